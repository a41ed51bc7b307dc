"""The WebSocket face of the node transport: one connection, id-matched calls and subscriptions, every frame judged.

Frames are bounded (`max_bytes`: the library refuses a bigger frame and closes), decoded with the same
depth guard as HTTP answers, and classified when bad: a garbled or over-nested frame is counted and skipped
(the connection is still good), an answer to an unknown id is counted and dropped, and a connection that
ends (closed mid-frame, too-big frame, reset) fails every waiting call and subscription with a classified
`WsClosed`. Deciding what silence means (a stalled connection) is left to the caller, who knows the cadence.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException

from arbbot.chain.jsonrpc import (
    CONNECTION,
    DEFAULT_MAX_DEPTH,
    MALFORMED,
    TIMEOUT,
    TOO_LARGE,
    TRUNCATED,
    Failure,
    InvalidEndpoint,
    Observer,
    RpcTransportError,
    TransportEvent,
    check_url,
    decode_json,
    describe,
    encode_request,
    excerpt,
    redact_url,
    unwrap,
)

log = logging.getLogger(__name__)

DEFAULT_WS_MAX_BYTES = 16 * 2**20  # a newHeads header is ~1 KB; a full pending tx a few KB


class WsClosed(RpcTransportError):
    """The WebSocket connection is gone (or never came up); `kind` says how."""


def ws_url_for(http_url: str) -> str:
    """anvil and most nodes serve WebSocket on the HTTP port."""
    if http_url.startswith(("ws://", "wss://")):
        return http_url
    return "ws" + http_url.removeprefix("http")


def _closed_kind(exc: BaseException, ws: ClientConnection | None = None) -> tuple[str, str]:
    """Classify how a connection ended, from the library's exception (and its parser's, which says more)."""
    if isinstance(exc, ConnectionClosed):
        sent, rcvd = exc.sent, exc.rcvd
        if sent is not None and sent.code == 1009:
            return TOO_LARGE, "a frame over the size cap (closed with 1009)"
        cause = exc.__cause__ or exc.__context__ or getattr(getattr(ws, "protocol", None), "parser_exc", None)
        if isinstance(cause, EOFError) and "expected" in str(cause):
            return TRUNCATED, f"connection ended in the middle of a frame ({describe(cause)})"
        if rcvd is None:
            return CONNECTION, "connection closed without a close frame"
        return CONNECTION, f"closed by the node ({rcvd.code} {rcvd.reason})".strip()
    if isinstance(exc, TimeoutError):
        return TIMEOUT, "no handshake within the open timeout"
    return CONNECTION, excerpt(f"{type(exc).__name__}: {describe(exc)}")


class WsSession:
    """Use `async with WsSession(url) as ws:`; then `await ws.call(...)`, `await ws.subscribe(...)`,
    `await ws.notification(sub_id, timeout)`."""

    def __init__(
        self,
        url: str,
        *,
        open_timeout: float = 5.0,
        call_timeout: float = 5.0,
        max_bytes: int = DEFAULT_WS_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        source: str = "ws",
        observer: Observer | None = None,
    ) -> None:
        self.url = check_url(url, ("ws", "wss"))
        self.shown_url = redact_url(url)
        self.open_timeout, self.call_timeout = open_timeout, call_timeout
        self.max_bytes, self.max_depth = max_bytes, max_depth
        self.source, self.observer = source, observer
        self._ids = itertools.count(1)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._calls: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._subs: dict[str, asyncio.Queue[Any]] = {}
        self._closed: WsClosed | None = None
        self.bad_frames = 0

    async def __aenter__(self) -> WsSession:
        try:
            # No permessage-deflate: a small compressed frame could inflate to the size cap (a decompression bomb);
            # uncompressed, an oversized frame is refused from its header, before its payload is read.
            self._ws = await connect(
                self.url, open_timeout=self.open_timeout, max_size=self.max_bytes, ping_interval=5, ping_timeout=10,
                compression=None,
            )  # fmt: skip
        except InvalidURI as exc:
            raise InvalidEndpoint(f"invalid WebSocket URL {self.shown_url!r}: {describe(exc)}") from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            kind, detail = _closed_kind(exc)
            self._observe("connect", kind, detail, final=True)
            raise WsClosed(
                f"WebSocket {self.shown_url}: cannot connect: {detail}", kind=kind, method="connect"
            ) from None
        self._reader = asyncio.create_task(self._read(), name=f"ws-reader {self.shown_url}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel the reader and close the socket; pending calls and subscriptions end with WsClosed."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), timeout=1.0)
        self._fail_all(WsClosed(f"WebSocket {self.shown_url}: closed", kind=CONNECTION))

    @property
    def closed(self) -> WsClosed | None:
        """Why the socket closed, or None while it is open."""
        return self._closed

    def _observe(self, method: str, kind: str, detail: str, *, final: bool) -> None:
        log.debug("WebSocket %s %s: %s: %s", self.shown_url, method, kind, detail)
        if self.observer is not None:
            try:
                self.observer(TransportEvent(self.source, method, kind, detail, final))
            except Exception:  # metrics must never break the stream
                log.exception("transport observer failed")

    def _fail_all(self, err: WsClosed) -> None:
        if self._closed is None:
            self._closed = err
        for _, fut in self._calls.values():
            if not fut.done():
                fut.set_exception(self._closed)
        self._calls.clear()
        for q in self._subs.values():
            q.put_nowait(self._closed)  # wakes a waiting consumer

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                self._frame(frame.encode() if isinstance(frame, str) else frame)
        except (ConnectionClosed, OSError, WebSocketException) as exc:
            kind, detail = _closed_kind(exc, self._ws)
            self._observe("frames", kind, detail, final=True)
            self._fail_all(WsClosed(f"WebSocket {self.shown_url}: {detail}", kind=kind, method="frames"))
            return
        self._observe("frames", CONNECTION, "closed by the node", final=True)
        self._fail_all(WsClosed(f"WebSocket {self.shown_url}: closed by the node", kind=CONNECTION))

    def _bad(self, detail: str) -> None:
        self.bad_frames += 1
        self._observe("frames", MALFORMED, detail, final=False)

    def _frame(self, raw: bytes) -> None:
        try:
            msg = decode_json(raw, self.max_depth)
        except Failure as f:
            self._bad(f.detail)
            return
        if not isinstance(msg, dict):
            self._bad(f"frame is not a JSON-RPC object: {excerpt(raw)}")
            return
        if msg.get("method") == "eth_subscription":
            params = msg.get("params")
            sub = params.get("subscription") if isinstance(params, dict) else None
            queue = self._subs.get(sub) if isinstance(sub, str) else None
            if queue is None or not isinstance(params, dict) or "result" not in params:
                self._bad(f"notification for no known subscription: {excerpt(raw)}")
                return
            queue.put_nowait(params["result"])
            return
        rid = msg.get("id")
        entry = self._calls.pop(rid, None) if isinstance(rid, int) and not isinstance(rid, bool) else None
        if entry is None:
            self._bad(f"answer to an unknown request id {excerpt(repr(rid), 40)}")
            return
        method, fut = entry
        if fut.done():
            return
        try:
            result = unwrap(method, msg, rid)
        except Failure as f:
            fut.set_exception(f)
            return
        except Exception as exc:  # RpcError: the node's answer
            fut.set_exception(exc)
            return
        if method == "eth_subscribe":
            # Before the caller resumes: the node may send the first notification in the very next frame.
            self._subs.setdefault(result, asyncio.Queue())
        fut.set_result(result)

    async def call(self, method: str, params: Sequence[Any] = (), *, timeout: float | None = None) -> Any:
        """One call over the socket: its result, RpcError, or WsClosed / RpcTransportError (not retried here:
        the caller decides whether to reconnect or fall back to HTTP)."""
        if self._closed is not None:
            raise self._closed
        assert self._ws is not None
        rid = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls[rid] = (method, fut)
        limit = timeout or self.call_timeout
        try:
            await self._ws.send(encode_request(rid, method, params).decode())
            async with asyncio.timeout(limit):
                return await fut
        except TimeoutError:
            self._observe(method, TIMEOUT, f"no answer within {limit:g}s", final=True)
            raise RpcTransportError(
                f"WebSocket {self.shown_url} {method}: no answer within {limit:g}s", kind=TIMEOUT, method=method
            ) from None
        except Failure as f:
            self._observe(method, f.kind, f.detail, final=True)
            raise RpcTransportError(f"WebSocket {self.shown_url} {method}: {f.detail} [{f.kind}]", kind=f.kind,
                                    method=method) from None  # fmt: skip
        except ConnectionClosed as exc:
            kind, detail = _closed_kind(exc, self._ws)
            raise WsClosed(f"WebSocket {self.shown_url} {method}: {detail}", kind=kind, method=method) from None
        finally:
            self._calls.pop(rid, None)

    async def subscribe(self, kind: str, *params: Any) -> str:
        """Subscribe (`newHeads`, `logs`, `newPendingTransactions` ...) and return the subscription id to read from."""
        sub_id = await self.call("eth_subscribe", [kind, *params])  # checked as an id by the shape rules
        self._subs.setdefault(sub_id, asyncio.Queue())
        return sub_id

    async def notification(self, sub_id: str, timeout: float) -> Any:
        """The next notification's `result`; TimeoutError after `timeout` of silence; WsClosed if the socket died."""
        queue = self._subs[sub_id]
        item = await asyncio.wait_for(queue.get(), timeout)
        if isinstance(item, WsClosed):
            queue.put_nowait(item)  # stays closed for the next waiter
            raise item
        return item
