"""Bad input to `arbbot run` and `arbbot pools`: a malformed rpc_url, a node on another chain, a node that
answers garbage or a truncated body at start-up, builders that resolve nowhere. Each time one line naming the
field and value (or the node and what it did), a non-zero exit where it cannot go on, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.chain.anvil import AnvilNode, dev_key
from arbbot.testing.fault_proxy import FaultProxy, Faults

FACTORY = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
EXECUTOR = "0x000000000000000000000000000000000000e0e0"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    with AnvilNode(log_path=Path(tmp_path_factory.mktemp("anvil")) / "anvil.log") as n:
        yield n


def _arbbot(cwd: Path, config: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (cwd / "arbbot.toml").write_text(config)
    full_env = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run([sys.executable, "-m", "arbbot", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def _one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert res.returncode != 0, res.stdout
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, res.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def _config(rpc_url: str, *, network: str = "replica", builders: str = "") -> str:
    return f"""network = "{network}"
rpc_url = "{rpc_url}"
[[venues]]
name = "v2"
kind = "uniswap_v2"
factory = "{FACTORY}"
[searcher]
executor = "{EXECUTOR}"
{builders}
"""


@pytest.mark.parametrize(
    ("url", "command"),
    [("htp://127.0.0.1:8545", ["run"]), ("http://host:99999", ["run"]), ("127.0.0.1:8545", ["pools", "sync"])],
)
def test_a_malformed_rpc_url_is_one_line(tmp_path: Path, url: str, command: list[str]) -> None:
    _one_line_error(_arbbot(tmp_path, _config(url), *command), "rpc_url", repr(url))


@pytest.mark.parametrize("command", [["run"], ["pools", "sync"]], ids=["run", "pools"])
def test_a_node_on_another_chain_is_one_line(tmp_path: Path, node: AnvilNode, command: list[str]) -> None:
    # The node answers chain 31337; the config says mainnet.
    line = _one_line_error(_arbbot(tmp_path, _config(node.url, network="mainnet"), *command), "chain id 31337")
    assert "'mainnet'" in line and "chain id 1)" in line


def test_a_node_that_answers_garbage_is_one_line(tmp_path: Path, node: AnvilNode) -> None:
    with FaultProxy(node.url, Faults(garbage=10**6)) as proxy:
        line = _one_line_error(_arbbot(tmp_path, _config(proxy.url), "run"), "rpc_url", "non-JSON body")
    assert "[malformed]" in line


def test_a_truncated_answer_at_start_up_is_retried_not_fatal(tmp_path: Path, node: AnvilNode) -> None:
    """The first answers are cut short of their Content-Length: retried. The run then reaches its next check
    (WETH is no known token on a bare dev chain) and says so in one line."""
    with FaultProxy(node.url, Faults(truncated=3)) as proxy:
        res = _arbbot(tmp_path, _config(proxy.url), "run")
    assert proxy.faults.injected == {"truncated": 3}
    _one_line_error(res, "searcher.base_tokens", "'WETH'")


def test_builders_that_resolve_nowhere_are_one_line_each(tmp_path: Path, node: AnvilNode) -> None:
    builders = """[[searcher.builders]]
name = "ghost"
url = "http://ghost.invalid:8545"
[[searcher.builders]]
name = "phantom"
url = "https://phantom.invalid"
"""
    res = _arbbot(tmp_path, _config(node.url, builders=builders), "run", "--live", ARBBOT_SEARCHER_KEY=dev_key(0))
    line = _one_line_error(res, "searcher.builders", "no builder can be reached")
    assert "ghost" in line
    warnings = [ln for ln in res.stderr.splitlines() if "WARNING" in ln and "does not resolve" in ln]
    assert len(warnings) == 2 and any("phantom" in w for w in warnings), res.stderr
