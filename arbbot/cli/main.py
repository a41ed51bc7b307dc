"""Entry point of the `arbbot` command.

Command modules are imported only when their command runs: `arbbot --help` lists them from the table
below, so starting the CLI never pays for web3, SQLAlchemy, pyrevm or solders unless a command needs
them. A new command group is one line in COMMANDS (its help text is checked against the module's by a
test).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from arbbot import __version__
from arbbot.errors import ArbbotError


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives: `attr` is a typer.Typer (a command group) or a `register(app)` function
    that adds the command to an app."""

    module: str
    attr: str
    help: str


# In the order `arbbot --help` lists them.
COMMANDS: dict[str, LazyCommand] = {
    "devnet": LazyCommand(
        "arbbot.cli.devnet", "app", "Run the local mainnet replica (anvil + real protocol bytecode)."
    ),
    "pools": LazyCommand("arbbot.cli.pools", "app", "Discover, sync and quote pools with exact (wei-level) math."),
    "solana": LazyCommand("arbbot.cli.solana", "app", "Solana: pools, quotes, and the route searcher."),
    "run": LazyCommand(
        "arbbot.cli.searcher",
        "register",
        "Watch blocks and the mempool, find cycles and backruns, prove them on a fork, bundle them.",
    ),
    "audit": LazyCommand(
        "arbbot.cli.audit",
        "register",
        "Audit trades: given transactions, a block range (with --executor), or every trade of --executor.",
    ),
    "report": LazyCommand(
        "arbbot.cli.audit",
        "register",
        "Report audited trades and bundles over a window: table, CSV, JSON or a self-contained HTML file.",
    ),
    "status": LazyCommand(
        "arbbot.cli.status", "register", "What the searcher started with `arbbot run` here is doing now."
    ),
    "builder": LazyCommand(
        "arbbot.cli.builder", "app", "The local block builder over the replica (a test double of a real builder)."
    ),
    "console": LazyCommand(
        "arbbot.cli.console", "app", "The operator console: web UI, users, API tokens and the audit trail."
    ),
    "learn": LazyCommand(
        "arbbot.cli.learn",
        "app",
        "Learn the builder payment: fit and evaluate a landing-probability model on the bundle history.",
    ),
    "compete": LazyCommand(
        "arbbot.cli.compete", "app", "Compete with seeded searchers in the local builder's auctions."
    ),
    "demo": LazyCommand(
        "arbbot.cli.demo",
        "register",
        "Replica -> executor -> local builder -> live searcher -> seeded traffic -> audit and HTML report.",
    ),
}


def load_command(name: str) -> Any:
    """Import the module behind COMMANDS[name] and build its click command."""
    spec = COMMANDS[name]
    target = getattr(importlib.import_module(spec.module), spec.attr)
    command: Any  # a TyperGroup, or a command of the click copy typer ships (typer._click)
    if isinstance(target, typer.Typer):
        # get_group, not get_command: a group with a single command must stay a group.
        command = typer.main.get_group(target)
    else:
        holder = typer.Typer()
        target(holder)
        command = typer.main.get_group(holder).commands[name]
    command.name = name
    _prepare(command)
    return command


def _not_loaded(*_: object, **__: object) -> None:
    raise RuntimeError("a lazy command was invoked before it was loaded")


class _UnsetIsNone:
    """Typer coerces every option value through a pydantic adapter built on first use, and importing
    pydantic costs more than the rest of `arbbot <command> --help`. An option that was not given (None)
    needs no coercion; one that was given goes through typer's own coercion as usual."""

    def __init__(self, typer_coercion: Callable[[], Any]) -> None:
        self.typer_coercion = typer_coercion

    def coerce(self, value: Any, *, param: Any, ctx: Any) -> Any:
        return None if value is None else self.typer_coercion().coerce(value, param=param, ctx=ctx)


def _no_coercion_when_unset(params: list[Any]) -> list[Any]:
    for param in params:
        # typer 0.29 builds a parameter's coercion on first use (`_runtime_param` is None until then).
        if getattr(param, "_runtime_param", False) is None and "get_runtime_param" not in vars(param):
            coercion = _UnsetIsNone(param.get_runtime_param)
            param.get_runtime_param = lambda c=coercion: c
    return params


def _prepare(command: Any) -> None:
    """Plain help and error text (rich's help formatter alone doubles the start-up time of `--help`),
    and a group's own options (its --help when a subcommand's help is asked for) need no pydantic."""
    command.rich_markup_mode = None
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        return
    get_params = command.get_params
    command.get_params = lambda ctx: _no_coercion_when_unset(get_params(ctx))
    for sub in subcommands.values():
        _prepare(sub)


class LazyGroup(TyperGroup):
    """The root group: lists every command from COMMANDS, imports one only to run it (or show its help)."""

    def get_params(self, ctx: typer.Context) -> list[Any]:  # type: ignore[override]
        """The root's options, with typer's value conversion skipped for those left unset."""
        return _no_coercion_when_unset(super().get_params(ctx))

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        """Every command name, in the order of `COMMANDS`, loaded or not."""
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        """The command if loaded, else a placeholder carrying its one-line help (enough for the root's help listing);
        None for an unknown name.
        """
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        # Enough for the root's help listing; resolve_command swaps in the real command before any use.
        return TyperCommand(name=cmd_name, help=spec.help, short_help=spec.help, callback=_not_loaded)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        """Import the named command before click resolves it; an unknown name fails with suggestions drawn from every
        command.
        """
        name = args[0] if args else ""
        if name in COMMANDS and name not in self.commands:
            self.commands[name] = load_command(name)
        if name and name not in self.commands and not name.startswith("-") and not ctx.resilient_parsing:
            # Suggestions among every command, loaded or not (click's own only sees the loaded ones).
            matches = get_close_matches(name, self.list_commands(ctx))
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="arbbot",
    cls=LazyGroup,
    help="On-chain arbitrage toolkit: replica, pool state, searcher, executor, bundles, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
    """Record the global options for the command that follows."""
    from arbbot.cli.common import state

    state.config_file = config
    state.log_level = log_level
    state.log_json = log_json


def main() -> None:
    """The `arbbot` console entry point: run the CLI, turning any `ArbbotError` that escapes a command into a one-line
    error and exit status 1.
    """
    try:
        app()
    except ArbbotError as exc:
        from rich.markup import escape

        from arbbot.cli.common import err_console

        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
