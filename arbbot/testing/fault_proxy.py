"""A fault-injecting JSON-RPC proxy: a TEST DOUBLE standing between a client and a real node, HTTP and WebSocket.

It forwards every request to the real upstream node unchanged, except where a rule says to misbehave the way
nodes, load balancers and hosted providers do. Two ways to ask for faults, combinable:

* counters (`Faults(http_429=3)`): the next N answers of that class, consumed in `COUNTED` order;
* a rate (`Faults(rate=0.1, seed=7)`): each answer (HTTP) or server-to-client frame (WebSocket) is faulty with
  that probability, the class drawn uniformly from `classes` / `ws_classes`, reproducibly for a seed.

HTTP classes: `http_429`, `http_503`, `garbage` (an HTML error page), `truncated` (a body shorter than its
Content-Length, then the connection closes), `half_json` (a complete body holding half a JSON document),
`slow` (answered after `slow_range` seconds), `dropped` (the connection closes without an answer), `nested`
(a result nested `nest_depth` deep), `huge` (a `huge_bytes` result, chunked, no Content-Length), `wrong_id`,
`null_result`, `bad_hex` (quantities and data that are not hex), `batch_missing` and `batch_shuffled`.

WebSocket classes, on frames from the node to the client: `ws_garbage`, `ws_half_json`, `ws_nested`,
`ws_huge`, `ws_close` (the TCP connection dies in the middle of a frame), `ws_stall` (the connection stays open
but nothing more is forwarded on it), `ws_slow`, `ws_drop` (one frame silently lost), `ws_wrong_id`.

Also: `eth_getLogs` refusals for ranges wider than `max_log_range`, methods refused as "not available"
(`unavailable` prefixes, as on nodes with a namespace switched off), and a `rewrite` hook for results.

It does NOT emulate provider quotas over time, per-method pricing, TLS, HTTP/2, or faults on frames from the
client to the node. `exempt` methods are never faulted (the test's own control calls). Listens on 127.0.0.1
on a port chosen at run time; WebSocket upgrades are served on the same port, as anvil does.

`FaultProxyProcess` runs the same proxy in a child process (`python -m arbbot.testing.fault_proxy`), for
clients that hold the interpreter lock while they wait (pyrevm): `GET /__faults` reads its counters,
`POST /__faults` changes its faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
import requests
from aiohttp import web

HTTP_CLASSES = (
    "http_429", "http_503", "garbage", "truncated", "half_json", "slow", "dropped", "nested", "huge",
    "wrong_id", "null_result", "bad_hex", "batch_missing", "batch_shuffled",
)  # fmt: skip
WS_CLASSES = (
    "ws_garbage", "ws_half_json", "ws_nested", "ws_huge", "ws_close", "ws_stall", "ws_slow", "ws_drop",
    "ws_wrong_id",
)  # fmt: skip
# Counted faults are taken in this order (at most one per answer); `delay_count` applies on top of any.
COUNTED = (*HTTP_CLASSES, *WS_CLASSES)
_BATCH_ONLY = {"batch_missing", "batch_shuffled"}


@dataclass
class Faults:
    """What to break. Counters are consumed as answers go out; `rate` draws faults at random."""

    http_429: int = 0
    http_503: int = 0
    garbage: int = 0
    truncated: int = 0
    half_json: int = 0
    slow: int = 0
    dropped: int = 0
    nested: int = 0
    huge: int = 0
    wrong_id: int = 0
    null_result: int = 0
    bad_hex: int = 0
    batch_missing: int = 0
    batch_shuffled: int = 0
    ws_garbage: int = 0
    ws_half_json: int = 0
    ws_nested: int = 0
    ws_huge: int = 0
    ws_close: int = 0
    ws_stall: int = 0
    ws_slow: int = 0
    ws_drop: int = 0
    ws_wrong_id: int = 0
    delay_s: float = 0.0  # delay answers by this long (to trigger client timeouts)...
    delay_count: int = 0  # ...for the next N answers only
    rate: float = 0.0  # probability that an answer / frame is faulty
    classes: tuple[str, ...] = HTTP_CLASSES  # drawn from when `rate` hits an HTTP answer
    ws_classes: tuple[str, ...] = WS_CLASSES  # ... a WebSocket frame
    seed: int | None = None
    slow_range: tuple[float, float] = (2.0, 10.0)  # seconds, for slow / ws_slow
    nest_depth: int = 100_000
    huge_bytes: int = 50 * 2**20
    exempt: tuple[str, ...] = ()  # method prefixes never faulted
    max_log_range: int | None = None  # eth_getLogs wider than this gets a "range too large" error
    rewrite: Callable[[dict[str, Any], Any], Any] | None = None  # (request, upstream result) -> new result
    # Methods with these prefixes answer "method not found", as on nodes with a namespace switched off
    # (e.g. "debug_" on most hosted providers); each refusal is recorded in `refused`.
    unavailable: tuple[str, ...] = ()
    seen_methods: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=dict)  # class -> answers/frames broken so far
    answered: int = 0  # HTTP answers that went out (faulty or not)
    frames: int = 0  # WebSocket frames forwarded to clients (faulty or not)


class _Drop(Exception):
    """Close the client's connection without answering."""


class FaultProxy:
    """A fault-injecting proxy (a test double) in front of the real node at `upstream`, served from a thread of this
    process.

    `faults` is shared and live: a test may change its counters while the proxy runs and read `injected`, `refused`,
    `answered` and `frames` afterwards. `ws_upstream` defaults to `upstream` with its scheme switched to ws. Use as a
    context manager, or call `start()` and `stop()`.
    """

    def __init__(self, upstream: str, faults: Faults | None = None, ws_upstream: str | None = None) -> None:
        self.upstream = upstream
        self.ws_upstream = ws_upstream or "ws" + upstream.removeprefix("http")
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0
        self._ready = threading.Event()
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def url(self) -> str:
        """The proxy's HTTP JSON-RPC URL on 127.0.0.1; the port is known once `start()` has returned."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def ws_url(self) -> str:
        """The proxy's WebSocket URL (same port as `url`, as anvil serves both)."""
        return f"ws://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FaultProxy:
        """Start serving in a daemon thread and return once the port is bound; raises `RuntimeError` after 10 s without
        it.
        """
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("fault proxy did not start")
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._start())
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _start(self) -> None:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def stop(self) -> None:
        """Stop the event loop, close open WebSockets, the listener and the upstream session; does nothing if not
        started.
        """
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ choosing faults

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
            return False

    def _count(self, name: str) -> None:
        with self._lock:
            self.faults.injected[name] = self.faults.injected.get(name, 0) + 1

    def _choose(self, candidates: tuple[str, ...], pool: tuple[str, ...], allowed: Callable[[str], bool]) -> str | None:
        for name in candidates:
            if allowed(name) and getattr(self.faults, name) > 0 and self._take(name):
                self._count(name)
                return name
        with self._lock:
            hit = self.faults.rate > 0 and self._rng.random() < self.faults.rate
            options = [c for c in pool if allowed(c)]
            choice = self._rng.choice(options) if hit and options else None
        if choice is not None:
            self._count(choice)
        return choice

    def _exempt(self, methods: list[str]) -> bool:
        return bool(methods) and all(m.startswith(self.faults.exempt) for m in methods) if self.faults.exempt else False

    # ------------------------------------------------------------------ HTTP

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        if request.path == "/__faults":
            return await self._control(request)
        if request.method != "POST":
            return web.Response(status=405, text="POST only")
        try:
            return await self._http(request)
        except _Drop:
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPException() from None  # never sent: the connection is gone

    async def _http(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            parsed = json.loads(body)
        except ValueError:
            return web.Response(status=400, text='{"error":"bad json"}', content_type="application/json")
        calls = parsed if isinstance(parsed, list) else [parsed]
        methods = [str(c.get("method")) for c in calls if isinstance(c, dict)]
        with self._lock:
            self.faults.seen_methods.extend(methods)
            self.faults.answered += 1
        if self.faults.delay_s and self._take("delay_count"):
            await asyncio.sleep(self.faults.delay_s)  # deliberate slowness is the fault being injected
        is_batch = isinstance(parsed, list)
        fault = None
        if not self._exempt(methods):
            fault = self._choose(HTTP_CLASSES, self.faults.classes, lambda c: is_batch or c not in _BATCH_ONLY)
        if fault == "http_429":
            return web.Response(status=429, text='{"error":"rate limited"}', content_type="application/json")
        if fault == "http_503":
            return web.Response(status=503, text="service unavailable")
        if fault == "garbage":
            return web.Response(status=200, text="<html>502 Bad Gateway</html>", content_type="text/html")
        if fault == "dropped":
            raise _Drop
        if fault == "slow":
            await asyncio.sleep(self._rng.uniform(*self.faults.slow_range))  # the fault being injected
        if fault == "nested":
            return self._nested_answer(calls[0] if calls else {})
        if fault == "huge":
            return await self._huge_answer(request, calls[0] if calls else {})
        status, payload = await self._forward(parsed, body)
        if fault in ("wrong_id", "null_result", "bad_hex", "batch_missing", "batch_shuffled"):
            payload = self._mangle(fault, payload)
        if fault == "half_json":
            payload = payload[: max(1, len(payload) // 2)]
        if fault == "truncated":
            resp = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
            resp.content_length = len(payload)
            await resp.prepare(request)
            await resp.write(payload[: max(1, len(payload) // 2)])
            raise _Drop
        return web.Response(status=status, body=payload, content_type="application/json")

    async def _control(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            changes = await request.json()
            with self._lock:
                for key, value in changes.items():
                    current = getattr(self.faults, key)
                    if callable(current) or isinstance(current, list | dict):
                        continue
                    setattr(self.faults, key, tuple(value) if isinstance(current, tuple) else value)
                if "seed" in changes:
                    self._rng = random.Random(changes["seed"])
        return web.json_response(_plain(self.faults))

    async def _forward(self, parsed: Any, body: bytes) -> tuple[int, bytes]:
        assert self._session is not None
        requests = parsed if isinstance(parsed, list) else [parsed]
        refusals = [self._refuse(c) if isinstance(c, dict) else None for c in requests]
        if any(r is not None for r in refusals):
            forward = [c for c, r in zip(requests, refusals, strict=True) if r is None]
            answers: list[Any] = []
            if forward:
                async with self._session.post(self.upstream, json=forward) as up:
                    answers = await up.json(content_type=None)
            it = iter(answers)
            out = [r if r is not None else next(it) for r in refusals]
            return 200, json.dumps(out if isinstance(parsed, list) else out[0]).encode()
        headers = {"Content-Type": "application/json"}
        async with self._session.post(self.upstream, data=body, headers=headers) as up:
            status, payload = up.status, await up.read()
        rewrite = self.faults.rewrite
        if rewrite is not None and not isinstance(parsed, list):
            answer = json.loads(payload)
            if "result" in answer:
                answer["result"] = rewrite(parsed, answer["result"])
            payload = json.dumps(answer).encode()
        return status, payload

    def _refuse(self, request: dict[str, Any]) -> dict[str, Any] | None:
        method = str(request.get("method", ""))
        if self.faults.unavailable and method.startswith(self.faults.unavailable):
            with self._lock:
                self.faults.refused.append(method)
            msg = f"the method {method} does not exist/is not available"
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32601, "message": msg}}
        limit = self.faults.max_log_range
        if limit is None or method != "eth_getLogs":
            return None
        flt = (request.get("params") or [{}])[0]
        if "blockHash" in flt:
            return None
        lo, hi = int(flt.get("fromBlock", "0x0"), 16), int(flt.get("toBlock", "0x0"), 16)
        if hi - lo + 1 > limit:
            return {
                "jsonrpc": "2.0",
                "id": request.get("id"),
                "error": {"code": -32005, "message": f"block range too large: max {limit} blocks"},
            }
        return None

    def _nested_answer(self, call: Any) -> web.Response:
        rid = call.get("id") if isinstance(call, dict) else None
        depth = self.faults.nest_depth
        head = json.dumps({"jsonrpc": "2.0", "id": rid})[:-1].encode() + b',"result":'
        body = head + b"[" * depth + b"]" * depth + b"}"
        return web.Response(status=200, body=body, content_type="application/json")

    async def _huge_answer(self, request: web.Request, call: Any) -> web.StreamResponse:
        rid = call.get("id") if isinstance(call, dict) else None
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()  # no Content-Length: the client must stop reading on its own
        await resp.prepare(request)
        await resp.write(json.dumps({"jsonrpc": "2.0", "id": rid})[:-1].encode() + b',"result":"0x')
        block = b"00" * 32768
        try:
            for _ in range(self.faults.huge_bytes // len(block)):
                await resp.write(block)
            await resp.write(b'"}')
            await resp.write_eof()
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass  # the client stopped reading at its cap, as it should
        return resp

    def _mangle(self, fault: str, payload: bytes) -> bytes:
        try:
            answer = json.loads(payload)
        except ValueError:
            return payload
        items = answer if isinstance(answer, list) else [answer]
        with self._lock:
            rng = random.Random(self._rng.random())
        if fault == "batch_missing" and isinstance(answer, list) and answer:
            answer.pop(rng.randrange(len(answer)))
        elif fault == "batch_shuffled" and isinstance(answer, list):
            answer.reverse()
        for item in items:
            if not isinstance(item, dict):
                continue
            if fault == "wrong_id" and isinstance(item.get("id"), int):
                item["id"] = item["id"] + 7919
            elif fault == "null_result" and "result" in item:
                item["result"] = None
            elif fault == "bad_hex" and "result" in item:
                item["result"] = _bad_hex(item["result"])
        return json.dumps(answer).encode()

    # ------------------------------------------------------------------ WebSocket

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        client = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await client.prepare(request)
        self._sockets.add(client)
        try:
            async with self._session.ws_connect(self.ws_upstream, max_msg_size=0) as node:
                up = asyncio.create_task(self._client_to_node(client, node))
                try:
                    await self._node_to_client(request, client, node)
                finally:
                    up.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await up
        except (aiohttp.ClientError, OSError):
            pass  # upstream gone: the client sees its socket close
        finally:
            self._sockets.discard(client)
            if not client.closed:
                with contextlib.suppress(Exception):
                    await client.close()
        return client

    async def _client_to_node(self, client: web.WebSocketResponse, node: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in client:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                parsed = json.loads(msg.data)
                calls = parsed if isinstance(parsed, list) else [parsed]
                with self._lock:
                    self.faults.seen_methods.extend(str(c.get("method")) for c in calls)
            await node.send_str(msg.data)
        await node.close()

    async def _node_to_client(
        self, request: web.Request, client: web.WebSocketResponse, node: aiohttp.ClientWebSocketResponse
    ) -> None:
        stalled = False
        async for msg in node:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            with self._lock:
                self.faults.frames += 1
            if stalled:
                continue  # the connection looks alive (pings are answered) but carries nothing
            fault = self._choose(WS_CLASSES, self.faults.ws_classes, lambda c: True)
            text = msg.data
            if fault == "ws_drop":
                continue
            if fault == "ws_stall":
                stalled = True
                continue
            if fault == "ws_slow":
                await asyncio.sleep(self._rng.uniform(*self.faults.slow_range))  # the fault being injected
            elif fault == "ws_garbage":
                text = "<html>502 Bad Gateway</html>"
            elif fault == "ws_half_json":
                text = text[: max(1, len(text) // 2)]
            elif fault == "ws_nested":
                depth = self.faults.nest_depth
                text = '{"jsonrpc":"2.0","method":"eth_subscription","params":{"result":' + "[" * depth + "]" * depth
                text += "}}"
            elif fault == "ws_wrong_id":
                text = self._mangle("wrong_id", text.encode()).decode()
            elif fault == "ws_huge":
                await client.send_str('{"jsonrpc":"2.0","method":"eth_subscription","params":{"result":"0x'
                                      + "00" * (self.faults.huge_bytes // 2) + '"}}')  # fmt: skip
                continue
            elif fault == "ws_close":
                # A frame header announcing the whole message, half of it, then the TCP connection dies.
                data = text.encode()
                header = b"\x81" + (bytes([126]) + struct.pack("!H", len(data)) if len(data) < 65536
                                    else bytes([127]) + struct.pack("!Q", len(data)))  # fmt: skip
                if request.transport is not None:
                    request.transport.write(header + data[: max(1, len(data) // 2)])
                    request.transport.close()
                return
            await client.send_str(text)


def _bad_hex(value: Any) -> Any:
    """The same answer with its quantities and data made not hex (strings that start 0x, at any depth <= 2)."""
    if isinstance(value, str) and value.startswith("0x"):
        return "0xZZ" + value[2:]
    if isinstance(value, dict):
        out = dict(value)
        for key in ("number", "blockNumber", "status", "gasUsed", "timestamp", "data", "nonce"):
            if isinstance(out.get(key), str):
                out[key] = "banana"
                break
        return out
    if isinstance(value, list) and value:
        return [_bad_hex(value[0]), *value[1:]]
    return "banana"


def _plain(faults: Faults) -> dict[str, Any]:
    """The faults as JSON-able values (the rewrite hook is not)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(faults):
        value = getattr(faults, f.name)
        if callable(value):
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    out["seen_methods"] = len(faults.seen_methods)  # a count: the list itself grows without bound
    return out


class FaultProxyProcess:
    """The fault proxy (a test double) in a child process, stopped by its PID (`stop()` or context exit)."""

    def __init__(self, upstream: str, **faults: Any) -> None:
        self.upstream = upstream
        self._faults = faults
        self._proc: subprocess.Popen[str] | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """The child proxy's HTTP JSON-RPC URL on 127.0.0.1; known once `start()` has returned."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def ws_url(self) -> str:
        """The child proxy's WebSocket URL (same port as `url`)."""
        return f"ws://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        """The child process's PID while it runs, else None."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> FaultProxyProcess:
        """Spawn the child with this object's faults and wait for it to print its port; raises `RuntimeError` (after
        stopping the child) if it does not.
        """
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "arbbot.testing.fault_proxy", self.upstream, json.dumps(self._faults)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError("fault proxy process did not start")
        self._port = int(line)
        return self

    def faults(self) -> dict[str, Any]:
        """The child's current `Faults` as JSON (counters left, `injected`, `refused`; `seen_methods` as a count), read
        from `GET /__faults`.
        """
        return requests.get(f"{self.url}/__faults", timeout=10).json()

    def set(self, **changes: Any) -> dict[str, Any]:
        """Change fields of the child's `Faults` (lists become tuples; a new `seed` restarts its random draws) and
        return them as `faults()` does. The rewrite hook and the records (`seen_methods`, `refused`, `injected`) are not
        set this way.
        """
        return requests.post(f"{self.url}/__faults", json=changes, timeout=10).json()

    def stop(self) -> None:
        """Stop the child by closing its stdin and waiting for it, killing that PID after 10 s; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> FaultProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _main() -> None:
    upstream, spec = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    fields = {f.name: f for f in dataclasses.fields(Faults)}
    kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) and k in fields else v for k, v in spec.items()}
    proxy = FaultProxy(upstream, Faults(**kwargs)).start()
    print(proxy._port, flush=True)
    with contextlib.suppress(Exception):
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    proxy.stop()


if __name__ == "__main__":
    _main()
