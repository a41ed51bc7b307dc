"""One URL check for configuration and transports: the same reasons, each in its own error type."""

from __future__ import annotations

import pytest

from arbbot.chain.jsonrpc import InvalidEndpoint, check_url
from arbbot.chain.urls import check_rpc_url, url_problem
from arbbot.errors import ConfigError

BAD = [
    ("", "empty URL"),
    ("localhost:8545", "has no scheme"),
    ("ftp://node:21", "has scheme 'ftp'"),
    ("http://:8545", "has no host"),
    ("http://node:99999", "invalid port"),
    ("http://node:port", "invalid port"),
    ("http://no de:8545", "contains whitespace"),
]


@pytest.mark.parametrize(("url", "reason"), BAD)
def test_bad_urls_name_the_reason_in_both_error_types(url: str, reason: str) -> None:
    problem = url_problem(url)
    assert problem is not None and reason in problem
    with pytest.raises(ConfigError, match=f"^rpc_url: .*{reason}"):
        check_rpc_url(url)
    with pytest.raises(InvalidEndpoint, match=f"^invalid endpoint URL: .*{reason}"):
        check_url(url, ("http", "https", "ws", "wss"))


def test_secrets_in_user_info_and_path_never_reach_the_message() -> None:
    problem = url_problem("ftp://user:hunter2@node.example/v2/SECRETKEY")
    assert problem is not None
    assert "hunter2" not in problem and "SECRETKEY" not in problem and "node.example" in problem


def test_transport_schemes_are_narrower_than_config_schemes() -> None:
    assert check_rpc_url(" ws://node:8546 ") == "ws://node:8546"
    with pytest.raises(InvalidEndpoint, match="has scheme 'ws'"):
        check_url("ws://node:8546")
    assert check_url("https://node.example/key") == "https://node.example/key"
