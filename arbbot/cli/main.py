"""Entry point of the `arbbot` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from arbbot import __version__
from arbbot.cli import audit, demo, devnet, pools, searcher, solana
from arbbot.cli.common import err_console, state
from arbbot.errors import ArbbotError

app = typer.Typer(
    name="arbbot",
    help="On-chain arbitrage toolkit: replica, pool state, searcher, executor, bundles, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(devnet.app, name="devnet")
app.add_typer(pools.app, name="pools")
app.add_typer(solana.app, name="solana")
searcher.register(app)
audit.register(app)
demo.register(app)


def _version(value: bool) -> None:
    if value:
        print(f"arbbot {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="Logs as one JSON object per line.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    state.config_file = config
    state.log_level = log_level
    state.log_json = log_json


def main() -> None:
    try:
        app()
    except ArbbotError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
