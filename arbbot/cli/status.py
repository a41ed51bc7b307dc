"""The searcher as an operator watches it: a live panel on a terminal (plain log lines otherwise), and
`arbbot status`, which reads a running searcher's status file from another shell."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from arbbot.cli.common import console, settings
from arbbot.engine import status as status_file

if TYPE_CHECKING:
    from arbbot.engine.context import ChainContext
    from arbbot.engine.counters import SearcherEvent
    from arbbot.engine.searcher import Searcher

log = logging.getLogger("arbbot.run")
ETH = 10**18
WRITE_EVERY_S = 0.5


def _eth(wei: int) -> str:
    return f"{wei / ETH:+.6f} ETH"


def render(st: status_file.Status) -> Group:
    """The operator's panel of a searcher status: state, head block, opportunity and bundle counts, PnL of landed
    bundles, errors and per-builder landing rates.
    """
    c = st.counters
    t = Table.grid(padding=(0, 2))
    t.add_column(no_wrap=True)
    t.add_column(overflow="fold")  # addresses and errors wrap whole, never cut to "…"
    state = "running" if st.running else "stopped"
    t.add_row("searcher", f"{state}, {st.mode} on {st.chain} (chain id {st.chain_id}), pid {st.pid}")
    t.add_row("executor", st.executor or "-")
    t.add_row("head block", f"{st.head or '-'}  ({c.get('blocks_processed', 0)} processed, "
                            f"{st.skipped_blocks} skipped to catch up)")  # fmt: skip
    dropped = c.get("sim_failed", 0) + c.get("sim_disagreed", 0)
    t.add_row("opportunities", f"found {c.get('opportunities_found', 0)}  simulated {c.get('simulated', 0)}  "
                               f"rejected {c.get('rejected', 0)}  dropped {dropped}")  # fmt: skip
    t.add_row("bundles", f"sent {c.get('sent', 0)}  landed {c.get('landed', 0)}  missed {c.get('missed', 0)}")
    t.add_row("PnL (landed)", _eth(int(c.get("realized_pnl_wei", 0))))
    if st.control:
        t.add_row("control", control_line(st.control))
    t.add_row("errors", f"{c.get('errors', 0)}" + (f"  last: {st.last_error}" if st.last_error else ""))
    parts: list[Table | Text] = [t]
    if st.builders:
        b = Table(title="per builder", title_justify="left", box=None, padding=(0, 2))
        for col in ("builder", "sent", "landed", "rate"):
            b.add_column(col, justify="left" if col == "builder" else "right")
        for name, tally in sorted(st.builders.items()):
            rate = f"{tally.landed / tally.sent:.0%}" if tally.sent else "-"
            b.add_row(name, str(tally.sent), str(tally.landed), rate)
        parts.append(b)
    updated = datetime.fromtimestamp(st.updated_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    parts.append(Text(f"updated {updated}", style="dim"))
    return Group(*parts)


def control_line(control: dict[str, Any]) -> str:
    """The operator's switches in one line: running/paused/killed, bribe share, minimum profit, builders off."""
    state = "KILLED (nothing is sent)" if control.get("killed") else "paused" if control.get("paused") else "running"
    paused = control.get("paused_strategies") or []
    if paused:
        state += f", paused: {', '.join(paused)}"
    off = sorted(n for n, b in (control.get("builders") or {}).items() if not b.get("enabled", True))
    return (f"{state}; bribe share {control.get('bribe_share_bps')} bps; min profit {control.get('min_profit_wei')} "
            f"wei; builders off: {', '.join(off) or 'none'}; generation {control.get('generation', 0)}")  # fmt: skip


class StatusView:
    """Follows the searcher's events: keeps the status file current and, on a terminal, a live panel."""

    def __init__(self, data_dir: Path, ctx: ChainContext, *, live: bool, console: Console) -> None:
        self.data_dir = data_dir
        self.console = console
        self.status = status_file.Status(pid=os.getpid(), chain=ctx.name, chain_id=ctx.chain_id,
                                         mode="live" if live else "dry run")  # fmt: skip
        self.searcher: Searcher | None = None
        self._live: Live | None = None
        self._written = 0.0

    def attach(self, searcher: Searcher) -> None:
        """Follow `searcher` (its counters and executor) and write the status file at once."""
        self.searcher = searcher
        self.status.executor = searcher.params.executor
        self._flush(force=True)

    def chain(self, hook: Callable[[SearcherEvent], None]) -> Callable[[SearcherEvent], None]:
        """Wrap the searcher's event hook: each event updates the status (written at most every `WRITE_EVERY_S`, at once
        for sends and outcomes) and the panel, or without a terminal logs one line per block, then goes on to `hook`.
        """

        def on_event(event: SearcherEvent) -> None:
            self.status.on_event(event)
            hook(event)
            if event.kind == "block" and self._live is None:
                c = self._counters()
                log.info("block %s: found %s, simulated %s, sent %s, landed %s, missed %s, errors %s",
                         event.data.get("number"), c.get("opportunities_found", 0), c.get("simulated", 0),
                         c.get("sent", 0), c.get("landed", 0), c.get("missed", 0), c.get("errors", 0))  # fmt: skip
            self._flush(force=event.kind in ("sent", "landed", "missed", "control"))

        return on_event

    def _counters(self) -> dict[str, int]:
        return self.searcher.counters.snapshot() if self.searcher is not None else {}

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < WRITE_EVERY_S:
            return
        self._written = now
        self.status.counters = self._counters()
        if self.searcher is not None:
            self.status.control = self.searcher.control.snapshot()
        try:
            status_file.write(self.data_dir, self.status)
        except OSError as exc:  # a full disk must not stop trading; say it once per write attempt
            log.warning("status file not written: %s", exc)
        if self._live is not None:
            self._live.update(render(self.status))

    def __enter__(self) -> StatusView:
        if self.console.is_terminal:
            self._live = Live(render(self.status), console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.update(render(self.status))
            self._live.__exit__(t, e, tb)
            self._live = None

    def close(self) -> None:
        """Mark the searcher stopped and write the status file a last time."""
        self.status.running = False
        self._flush(force=True)


def register(app: typer.Typer) -> None:
    """Add the `status` command to `app`."""

    @app.command("status")
    def status() -> None:
        """What the searcher started with `arbbot run` here is doing now."""
        s = settings()
        st = status_file.read(s.data_dir)
        if st is None:
            console.print(f"no searcher has run with data directory {s.data_dir} (no {status_file.STATUS_NAME})")
            raise typer.Exit(1)
        console.print(render(st))
        if not st.running:
            raise typer.Exit(3)
