"""Shared CLI plumbing: settings from the global options, one-line errors, the console.

Only typer, rich and the standard library at module level: every command module imports this one,
and `arbbot <group> --help` must stay fast (see arbbot.cli.main).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from arbbot.config import Settings

console = Console()
err_console = Console(stderr=True)


class State:
    """The global options of the current invocation (`--config`, `--log-level`, `--log-json`), set by the root callback
    before any command runs.
    """

    config_file: Path | None = None
    log_level: str | None = None
    log_json: bool = False


state = State()


def settings(**overrides: object) -> Settings:
    """The settings of this invocation: the config file and environment, with `overrides` on top; also configures
    logging and warns on stderr about `ARBBOT_` environment variables that are no setting (a likely typo).

    Raises `ConfigError` naming the file, key and value when the settings do not load.
    """
    from arbbot import logs
    from arbbot.config import load_settings, unknown_env

    s = load_settings(state.config_file, log_level=state.log_level, **overrides)
    logs.configure(s.log_level, as_json=state.log_json)
    unknown = unknown_env(os.environ, {s.searcher.key_env, s.searcher.reputation_key_env})
    if unknown:
        err_console.print(
            f"[yellow]warning:[/] unknown environment variable{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)} (not an arbbot setting; a typo?)", highlight=False, soft_wrap=True,
        )  # fmt: skip
    return s


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error on stderr (the message is printed as is, never read as rich markup) and return the
    `typer.Exit` with `code` for the caller to raise: `raise fail(...)`.
    """
    # Messages carry node answers, URLs and classes in brackets: never rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
