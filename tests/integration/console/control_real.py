"""The searcher's REAL control API server (`arbbot.engine.control_api.ControlServer`) on 127.0.0.1 at a run-time
port, in a thread with its own event loop, for the console tests that need no running searcher.

The server, its control state (`ControlState`), its counters and its pool store are the real ones; what is
missing is a searcher trading on a chain, so `Idle` stands in for the `Searcher` object with exactly the
attributes the server reads (`control`, `on_event`, `store`, `counters`) and reports control changes as the
searcher does. Tests that need blocks, bundles and trades use a real searcher on the replica instead
(`test_live.py`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from arbbot.engine.control import Change, ControlLimits, ControlState
from arbbot.engine.control_api import ControlServer
from arbbot.engine.counters import Counters, SearcherEvent
from arbbot.engine.pace import Pace
from arbbot.state.store import BlockRef, PoolStore


class Idle:
    """A searcher that follows no chain (no head yet) and sends nothing; its control changes become events."""

    def __init__(self, control: ControlState) -> None:
        self.control = control
        self.on_event: Callable[[SearcherEvent], None] | None = None
        self.store = PoolStore([], BlockRef(0, "", ""))
        self.counters = Counters()
        self.pace = Pace()
        self.changes: list[Change] = []
        control.listeners.append(self._changed)

    def _changed(self, change: Change) -> None:
        self.changes.append(change)
        if self.on_event is not None:
            self.on_event(SearcherEvent("control", {"what": change.what, "old": change.old, "new": change.new,
                                                    "actor": change.actor}))  # fmt: skip

    def emit(self, kind: str, **data: Any) -> None:
        """Report one searcher event (what the engine would report while trading)."""
        if self.on_event is not None:
            self.on_event(SearcherEvent(kind, data))


class RealControlApi:
    """Serve the real control API over an `Idle` searcher; `stop()` shuts it down and ends its thread."""

    def __init__(self, token: str, builders: tuple[str, ...] = ("flashbots", "titan")) -> None:
        limits = ControlLimits((5000, 9500), (0, 10**18))
        control = ControlState(
            bribe_share_bps=9000, min_profit_wei=0, builders=builders, limits=limits, strategies=("cycles", "backrun")
        )
        self.searcher = Idle(control)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = ControlServer(self.searcher, token, keepalive=0.5)  # type: ignore[arg-type]
        url = self.run(self.server.start())
        assert url is not None
        self.url: str = url

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop and wait for it."""
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout=30)

    @property
    def state(self) -> dict[str, Any]:
        """The control state as the server would answer it (without head and counters)."""
        return self.searcher.control.snapshot()

    @property
    def actors(self) -> list[tuple[str, str]]:
        """(what, actor) of every control change, in order."""
        return [(c.what, c.actor) for c in self.searcher.changes]

    def stop(self) -> None:
        """Stop the server, the loop and its thread."""
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
