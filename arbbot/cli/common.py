"""Shared CLI plumbing: settings from the global options, one-line errors, the console."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from arbbot import logs
from arbbot.chain.jsonrpc import STARTUP_RETRY, redact_url
from arbbot.chain.rpc import RpcClient
from arbbot.config import Settings, load_settings
from arbbot.errors import ArbbotError

console = Console()
err_console = Console(stderr=True)


class State:
    config_file: Path | None = None
    log_level: str | None = None
    log_json: bool = False


state = State()


def settings(**overrides: object) -> Settings:
    s = load_settings(state.config_file, log_level=state.log_level, **overrides)
    logs.configure(s.log_level, as_json=state.log_json)
    return s


def fail(message: str, code: int = 1) -> typer.Exit:
    # Messages carry node answers, URLs and classes in brackets: never rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def check_node(url: str, expected_chain_id: int | None, network: str) -> int:
    """The node's chain id; a one-line failure if it cannot be read or is not the configured network's."""
    try:
        chain_id = int(RpcClient(url, timeout=10.0, retry=STARTUP_RETRY).call("eth_chainId"), 16)
    except ArbbotError as exc:
        raise fail(f"rpc_url {redact_url(url)}: {exc}") from None
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise fail(
            f"rpc_url {redact_url(url)}: the node is on chain {chain_id}, but network = {network!r} is chain "
            f"{expected_chain_id}; point rpc_url at a {network} node or set network to match"
        )
    return chain_id
