"""Shared CLI plumbing: settings from the global options, one-line errors, the console."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.console import Console

from arbbot.config import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


class State:
    config_file: Path | None = None
    log_level: str | None = None


state = State()


def settings(**overrides: object) -> Settings:
    s = load_settings(state.config_file, log_level=state.log_level, **overrides)
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return s


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
