"""The searcher's local control API (aiohttp): read and change its control state, follow its events (SSE).

Bound to loopback unless the config allows otherwise; every request needs `Authorization: Bearer <token>`
(compared in constant time, never logged); the caller names who acts in `X-Arbbot-Actor`, logged with each
change. JSON in and out; errors are `{"error": "<one line naming the field and value>"}`. The URL is written
to `<data_dir>/control.json` (`{"url", "pid"}`) while the server runs. The contract: README, "Control API".
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from arbbot.engine.control import Change, ControlError, ControlState, parse_wei
from arbbot.engine.counters import SearcherEvent

if TYPE_CHECKING:
    from arbbot.engine.searcher import Searcher
    from arbbot.metrics import Metrics

log = logging.getLogger(__name__)

CONTROL_NAME = "control.json"
KEEPALIVE_S = 15.0
QUEUE_MAX = 1_000  # events buffered per stream; a reader that falls this far behind is disconnected
MAX_BODY = 16 * 1024
_CLOSE = object()


def control_path(data_dir: Path) -> Path:
    """Where a running searcher with this data directory writes its control API's URL and PID."""
    return data_dir / CONTROL_NAME


def export_metrics(control: ControlState, metrics: Metrics) -> Callable[[Change], None]:
    """Set the control gauges now and return the listener that keeps them current (and counts changes)."""

    def refresh() -> None:
        snap = control.snapshot()
        metrics.control_paused.set(1 if snap["paused"] else 0)
        metrics.control_killed.set(1 if snap["killed"] else 0)
        metrics.control_bribe_share_bps.set(snap["bribe_share_bps"])
        metrics.control_min_profit_wei.set(int(snap["min_profit_wei"]))
        for name, b in snap["builders"].items():
            metrics.control_builder_enabled.labels(builder=name).set(1 if b["enabled"] else 0)

    def on_change(change: Change) -> None:
        metrics.control_changes.labels(what=change.what.split(".")[0]).inc()
        refresh()

    refresh()
    return on_change


def _wei(value: Any) -> str | None:
    return None if value is None else str(int(value))


def contract_event(event: SearcherEvent) -> tuple[str, dict[str, Any]] | None:
    """The control API's event for a searcher event (block, bundle, trade, control), or None for the others.
    Wei amounts are decimal strings (exact in any JSON reader)."""
    d = event.data
    if event.kind == "updated":
        return "block", {"number": d.get("number"), "hash": d.get("hash"), "candidates": d.get("candidates", 0),
                         "sent": d.get("sent", 0)}  # fmt: skip
    if event.kind == "sent" and not d.get("position"):  # one event per bundle: its first trade
        return "bundle", {"uuid": d.get("uuid"), "builders": list(d.get("builders") or ()),
                          "target_block": d.get("target_block"), "profit_wei": _wei(d.get("net"))}  # fmt: skip
    if event.kind == "landed":
        return "trade", {"tx_hash": d.get("tx"), "block": d.get("block"), "profit_wei": _wei(d.get("net")),
                         "landed": True}  # fmt: skip
    if event.kind == "missed":
        return "trade", {"tx_hash": d.get("tx"), "block": d.get("block"), "profit_wei": None, "landed": False}
    if event.kind == "control":
        return "control", {"what": d.get("what"), "old": d.get("old"), "new": d.get("new"), "actor": d.get("actor")}
    return None


class EventHub:
    """Hands each event to every open stream, numbered in order. `publish` may be called from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # ids are handed out in the order events are queued
        self._queues: set[asyncio.Queue[Any]] = set()

    def subscribe(self) -> asyncio.Queue[Any]:
        """A new stream's queue (call on the loop)."""
        q: asyncio.Queue[Any] = asyncio.Queue(QUEUE_MAX)
        self._queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Any]) -> None:
        """Forget a stream's queue (call on the loop)."""
        self._queues.discard(q)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Queue one event for every stream; from the loop thread or any other."""
        with self._lock:
            item = (next(self._ids), kind, data)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening any more
                self.loop.call_soon_threadsafe(self._deliver, item)

    def _deliver(self, item: Any) -> None:
        for q in list(self._queues):
            try:
                q.put_nowait(item)
            except asyncio.QueueFull:  # a reader that does not keep up is cut off rather than slowing the rest
                self._queues.discard(q)
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
                q.put_nowait(_CLOSE)

    def close(self) -> None:
        """End every open stream (call on the loop)."""
        for q in list(self._queues):
            with contextlib.suppress(asyncio.QueueEmpty):
                while q.full():
                    q.get_nowait()
            q.put_nowait(_CLOSE)
        self._queues.clear()


def _actor(request: web.Request) -> str:
    """The `X-Arbbot-Actor` header made safe to log: printable, at most 64 characters."""
    raw = request.headers.get("X-Arbbot-Actor", "")
    return "".join(ch for ch in raw if ch.isprintable())[:64]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class ControlServer:
    """Serves one searcher's control API on `host:port` (0: chosen at start) until `stop()`."""

    def __init__(
        self,
        searcher: Searcher,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Path | None = None,
        keepalive: float = KEEPALIVE_S,
    ) -> None:
        if not token:
            raise ValueError("the control API needs a token")
        self.searcher = searcher
        self.control = searcher.control
        self._expected = f"Bearer {token}".encode()
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.keepalive = keepalive
        self.url: str | None = None
        self.hub: EventHub | None = None
        self._runner: web.AppRunner | None = None
        self._chained: Callable[[SearcherEvent], None] | None = None
        self._previous: Callable[[SearcherEvent], None] | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Listen, follow the searcher's events, write `control.json`; returns the URL."""
        self.hub = EventHub(asyncio.get_running_loop())
        hub = self.hub
        previous = self._previous = self.searcher.on_event

        def on_event(event: SearcherEvent) -> None:
            if previous is not None:
                previous(event)
            mapped = contract_event(event)
            if mapped is not None:
                hub.publish(*mapped)

        self._chained = on_event
        self.searcher.on_event = on_event
        app = web.Application(middlewares=[self._auth], client_max_size=MAX_BODY)
        app.router.add_get("/v1/state", self._state)
        app.router.add_post("/v1/pause", self._pause)
        app.router.add_post("/v1/resume", self._resume)
        app.router.add_post("/v1/kill", self._kill)
        app.router.add_post("/v1/params", self._params)
        app.router.add_post("/v1/builders/{name}", self._builder)
        app.router.add_get("/v1/events", self._events)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else self.port
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{port}"
        if self.data_dir is not None:
            self._write_file()
        log.info("control API on %s", self.url)
        return self.url

    def _write_file(self) -> None:
        assert self.data_dir is not None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = control_path(self.data_dir)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"url": self.url, "pid": os.getpid()}))
        tmp.replace(path)  # readers never see half a file

    async def stop(self) -> None:
        """End the streams, stop listening, remove `control.json` (when it is still this process's)."""
        if self.hub is not None:
            self.hub.close()
        if self._chained is not None and self.searcher.on_event is self._chained:
            self.searcher.on_event = self._previous
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.data_dir is not None:
            path = control_path(self.data_dir)
            with contextlib.suppress(OSError, ValueError):
                if json.loads(path.read_text()).get("pid") == os.getpid():
                    path.unlink()

    async def __aenter__(self) -> ControlServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- requests

    @web.middleware
    async def _auth(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._expected):
            return _error(401, "authorization: missing or wrong bearer token")
        try:
            return await handler(request)
        except ControlError as exc:
            return _error(exc.status, str(exc))
        except web.HTTPException as exc:  # unknown route or method: the same JSON shape as every other error
            if exc.status >= 400:
                return _error(exc.status, f"{request.method} {request.path}: {exc.reason}")
            raise

    async def _body(self, request: web.Request, allowed: set[str]) -> dict[str, Any]:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ControlError("body: not JSON") from None
        if not isinstance(body, dict):
            raise ControlError(f"body: must be a JSON object, got {type(body).__name__}")
        for key in body:
            if key not in allowed:
                raise ControlError(f"{key}: unknown field (allowed: {', '.join(sorted(allowed)) or 'none'})")
        return body

    def _full_state(self) -> dict[str, Any]:
        s = self.searcher
        head = s.store.head
        state = self.control.snapshot()
        state["head"] = {"number": head.number, "hash": head.hash} if head.hash else None
        state["counters"] = s.counters.snapshot()
        state["pace"] = s.pace.snapshot(time.time())
        return state

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self._full_state())

    async def _paused(self, request: web.Request, on: bool) -> web.Response:
        body = await self._body(request, {"strategy"})
        strategy = body.get("strategy")
        if strategy is not None and not isinstance(strategy, str):
            raise ControlError(f"strategy: must be a string, got {strategy!r}")
        (self.control.pause if on else self.control.resume)(strategy, actor=_actor(request))
        return web.json_response(self._full_state())

    async def _pause(self, request: web.Request) -> web.Response:
        return await self._paused(request, True)

    async def _resume(self, request: web.Request) -> web.Response:
        return await self._paused(request, False)

    async def _kill(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"engaged"})
        if "engaged" not in body:
            raise ControlError("engaged: missing (true or false)")
        self.control.set_killed(body["engaged"], actor=_actor(request))
        return web.json_response(self._full_state())

    async def _params(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"bribe_share_bps", "min_profit_wei"})
        bribe = body.get("bribe_share_bps")
        if bribe is not None and (not isinstance(bribe, int) or isinstance(bribe, bool)):
            raise ControlError(f"bribe_share_bps: must be an integer, got {bribe!r}")
        raw_min = body.get("min_profit_wei")
        min_profit = parse_wei("min_profit_wei", raw_min) if raw_min is not None else None
        self.control.set_params(bribe_share_bps=bribe, min_profit_wei=min_profit, actor=_actor(request))
        return web.json_response(self._full_state())

    async def _builder(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await self._body(request, {"enabled"})
        if "enabled" not in body:
            raise ControlError("enabled: missing (true or false)")
        self.control.set_builder(name, body["enabled"], actor=_actor(request))
        return web.json_response(self._full_state())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        assert self.hub is not None
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        q = self.hub.subscribe()
        try:
            await response.write(b": connected\n\n")
            while True:
                try:
                    item = await asyncio.wait_for(q.get(), self.keepalive)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if item is _CLOSE:
                    break
                event_id, kind, data = item
                await response.write(f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode())
        except ConnectionResetError:
            pass  # the reader went away
        finally:
            self.hub.unsubscribe(q)
        return response
