"""MEV-Share hint event stream: server-sent events over HTTP, parsed into typed hints.

The stream (Flashbots MEV-Share "event stream") is a long-lived GET answered with `text/event-stream`:
each event is a block of `field: value` lines ended by a blank line; `data:` carries one JSON object
(`hash`, `logs`, `txs[{to, functionSelector, callData}]`, `mevGasPrice`, `gasUsed`, any of them null or
absent); lines starting with ':' are comments (the server's `:ping` keep-alive every ~15 s).

Everything that arrives is untrusted: lines and events are size-capped, a malformed event is counted
and skipped, never raised. The stream reconnects with capped exponential back-off and sends the last
event id seen (`Last-Event-ID`) so a server that keeps history can resume; hints are deduplicated by
transaction hash (a bounded memory of recent hashes), so a replay after reconnect is not acted on twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024  # bytes in one SSE line
MAX_EVENT = 256 * 1024  # bytes of data in one event
MAX_LOGS = 64  # logs kept from one hint
MAX_TXS = 16  # txs kept from one hint
MAX_CALLDATA = 32 * 1024  # bytes of callData kept from one tx hint


class HintError(ValueError):
    """A hint that does not have the documented shape."""


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event: its data, and the id and event type when the server sent them."""

    data: str
    id: str | None = None
    event: str | None = None


class SseParser:
    """Incremental `text/event-stream` parser (WHATWG rules: CR, LF or CRLF line ends; `data` lines joined
    by LF; `id` without NUL is remembered; comments ignored). Feed bytes in any chunking."""

    def __init__(self, max_line: int = MAX_LINE, max_event: int = MAX_EVENT) -> None:
        self.max_line, self.max_event = max_line, max_event
        self._buf = b""
        self._started = False
        self._data: list[str] = []
        self._size = 0
        self._event: str | None = None
        self._oversized = False
        self.last_id: str | None = None
        self.pings = 0
        self.dropped = 0  # events or lines thrown away for size or encoding

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Feed raw bytes of the stream; return the events they complete (a leading byte order mark is dropped)."""
        if not self._started:
            self._buf += chunk
            if len(self._buf) < 3 and b"\xef\xbb\xbf".startswith(self._buf):
                return []  # could still be the byte order mark
            self._buf = self._buf.removeprefix(b"\xef\xbb\xbf")  # a leading BOM is not part of the stream
            self._started = True
            chunk = b""
        self._buf += chunk
        out: list[SseEvent] = []
        while True:
            cut = _line_end(self._buf)
            if cut is None:
                if len(self._buf) > self.max_line:  # a line with no end in sight: drop what we have of it
                    self._buf = b""
                    self._oversized = True
                    self.dropped += 1
                return out
            end, width = cut
            if end == len(self._buf) - 1 and self._buf[end : end + 1] == b"\r":
                return out  # a CR at the end of the chunk may be the first half of CRLF: wait
            line, self._buf = self._buf[:end], self._buf[end + width :]
            if len(line) > self.max_line:
                self._oversized = True
                self.dropped += 1
                continue
            event = self._line(line)
            if event is not None:
                out.append(event)

    def _line(self, raw: bytes) -> SseEvent | None:
        if not raw:
            return self._dispatch()
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._oversized = True  # a broken event: drop it whole at its end
            return None
        if line.startswith(":"):
            if line[1:].strip() == "ping":
                self.pings += 1
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._size += len(value) + 1
            if self._size > self.max_event:
                self._oversized = True
            else:
                self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self.last_id = value or None  # an empty id resets it
        elif name == "event":
            self._event = value
        return None  # "retry" and unknown fields are ignored

    def _dispatch(self) -> SseEvent | None:
        data, event, oversized = self._data, self._event, self._oversized
        self._data, self._event, self._size, self._oversized = [], None, 0, False
        if oversized:
            self.dropped += 1
            return None
        if not data:
            return None
        return SseEvent("\n".join(data), self.last_id, event)


def _line_end(buf: bytes) -> tuple[int, int] | None:
    lf, cr = buf.find(b"\n"), buf.find(b"\r")
    if cr == -1 and lf == -1:
        return None
    if cr == -1 or (lf != -1 and lf < cr):
        return lf, 1
    return cr, 2 if buf[cr + 1 : cr + 2] == b"\n" else 1


# ---------------------------------------------------------------------------------------------- hints


@dataclass(frozen=True)
class HintLog:
    """One log of a MEV-Share hint, as far as the sender chose to reveal it."""

    address: str  # lower case
    topics: tuple[str, ...]  # lower-case 0x + 64 hex
    data: bytes


@dataclass(frozen=True)
class HintTx:
    """One transaction of a MEV-Share hint; each field is None unless the sender shared it."""

    to: str | None
    function_selector: bytes | None  # 4 bytes
    call_data: bytes | None


@dataclass(frozen=True)
class Hint:
    """One pending transaction (or bundle) as MEV-Share reveals it: only what its sender allowed."""

    hash: str  # lower-case 0x + 64 hex: what a backrun bundle references as `{hash}`
    logs: tuple[HintLog, ...] = ()
    txs: tuple[HintTx, ...] = ()
    mev_gas_price: int | None = None
    gas_used: int | None = None
    event_id: str | None = field(default=None, compare=False)


def _hex(value: Any, what: str, *, size: int | None = None, cap: int | None = None) -> bytes:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise HintError(f"{what} is not 0x-hex: {str(value)[:40]!r}")
    if cap is not None and len(value) > 2 + 2 * cap:
        raise HintError(f"{what} longer than {cap} bytes")
    body = value[2:]
    try:
        raw = bytes.fromhex(body if len(body) % 2 == 0 else "0" + body)
    except ValueError:
        raise HintError(f"{what} is not hex: {value[:40]!r}") from None
    if size is not None and len(raw) != size:
        raise HintError(f"{what} has {len(raw)} bytes, expected {size}")
    return raw


def _quantity(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value[:2] in ("0x", "0X") and 2 < len(value) <= 66:
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise HintError(f"{what} is not a hex quantity: {str(value)[:40]!r}")


def parse_hint(obj: Any, event_id: str | None = None) -> Hint:
    """A typed hint from one event's JSON, or HintError naming the bad field."""
    if not isinstance(obj, dict):
        raise HintError("event is not a JSON object")
    h = "0x" + _hex(obj.get("hash"), "hash", size=32).hex()
    logs: list[HintLog] = []
    raw_logs = obj.get("logs") or []
    if not isinstance(raw_logs, list):
        raise HintError("logs is not a list")
    for i, item in enumerate(raw_logs[:MAX_LOGS]):
        if not isinstance(item, dict):
            raise HintError(f"logs[{i}] is not an object")
        address = "0x" + _hex(item.get("address"), f"logs[{i}].address", size=20).hex()
        topics = item.get("topics") or []
        if not isinstance(topics, list) or len(topics) > 4:
            raise HintError(f"logs[{i}].topics is not a list of at most 4")
        parsed = tuple("0x" + _hex(t, f"logs[{i}].topics", size=32).hex() for t in topics)
        data = _hex(item.get("data") or "0x", f"logs[{i}].data", cap=MAX_CALLDATA)
        logs.append(HintLog(address, parsed, data))
    txs: list[HintTx] = []
    raw_txs = obj.get("txs") or []
    if not isinstance(raw_txs, list):
        raise HintError("txs is not a list")
    for i, item in enumerate(raw_txs[:MAX_TXS]):
        if not isinstance(item, dict):
            raise HintError(f"txs[{i}] is not an object")
        to = item.get("to")
        to_s = "0x" + _hex(to, f"txs[{i}].to", size=20).hex() if to is not None else None
        sel = item.get("functionSelector")
        sel_b = _hex(sel, f"txs[{i}].functionSelector", size=4) if sel is not None else None
        cd = item.get("callData")
        cd_b = _hex(cd, f"txs[{i}].callData", cap=MAX_CALLDATA) if cd is not None else None
        if sel_b is None and cd_b is not None and len(cd_b) >= 4:
            sel_b = cd_b[:4]
        txs.append(HintTx(to_s, sel_b, cd_b))
    return Hint(
        h, tuple(logs), tuple(txs),
        _quantity(obj.get("mevGasPrice"), "mevGasPrice"), _quantity(obj.get("gasUsed"), "gasUsed"), event_id,
    )  # fmt: skip


class RecentHashes:
    """The last `size` hashes seen (first-in, first-out)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def add(self, h: str) -> bool:
        """True if new."""
        if h in self._seen:
            return False
        self._seen[h] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


class HintStream:
    """Consume a MEV-Share event stream: `async for hint in HintStream(url).hints()`.

    Never raises for what the server sends; connection failures are retried with capped exponential
    back-off (jittered) until `stop()`. `bad`, `duplicates`, `reconnects` count what happened.
    """

    def __init__(
        self,
        url: str,
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        idle_timeout: float = 60.0,  # no byte (not even a ping) for this long: the connection is dead
        session: aiohttp.ClientSession | None = None,
        on_error: Callable[[str], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.backoff, self.max_backoff, self.idle_timeout = backoff, max_backoff, idle_timeout
        self._session = session
        self.on_error = on_error
        self.last_event_id: str | None = None
        self.recent = RecentHashes()
        self.bad = self.duplicates = self.reconnects = self.pings = 0
        self._stop = asyncio.Event()
        self._rng = rng or random.Random()

    def stop(self) -> None:
        """Ask `hints` to end."""
        self._stop.set()

    def _problem(self, text: str) -> None:
        log.warning("mev-share stream: %s", text)
        if self.on_error is not None:
            self.on_error(text)

    async def hints(self) -> AsyncGenerator[Hint, None]:
        """The stream's hints, reconnecting with jittered back-off until `stop`; malformed and duplicate events are
        counted and skipped, never raised."""
        own = self._session is None
        session = self._session or aiohttp.ClientSession()
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    async for hint in self._connect(session):
                        failures = 0
                        yield hint
                    self._problem("stream ended by the server; reconnecting")
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    self._problem(f"connection failed: {type(exc).__name__}: {str(exc)[:200]}")
                if self._stop.is_set():
                    return
                failures += 1
                self.reconnects += 1
                pause = min(self.max_backoff, self.backoff * 2 ** min(failures - 1, 16))
                pause *= 0.5 + self._rng.random() / 2
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), pause)
        finally:
            if own:
                await session.close()

    async def _connect(self, session: aiohttp.ClientSession) -> AsyncIterator[Hint]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.idle_timeout)
        async with session.get(self.url, headers=headers, timeout=timeout) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(
                    resp.request_info, resp.history, status=resp.status, message="event stream refused"
                )
            parser = SseParser()
            async for chunk in resp.content.iter_any():
                events = parser.feed(chunk)
                self.pings, dropped = parser.pings, parser.dropped
                if dropped:
                    self.bad += dropped
                    parser.dropped = 0
                for event in events:
                    if event.id is not None:
                        self.last_event_id = event.id
                    hint = self._hint(event)
                    if hint is not None:
                        yield hint
                if self._stop.is_set():
                    return

    def _hint(self, event: SseEvent) -> Hint | None:
        if event.event not in (None, "", "message"):
            return None  # other event kinds are not hints
        try:
            hint = parse_hint(json.loads(event.data), event.id)
        except (ValueError, RecursionError) as exc:  # HintError and JSONDecodeError are ValueErrors
            self.bad += 1
            self._problem(f"bad event {str(event.id)[:20]}: {str(exc)[:200]}")
            return None
        if not self.recent.add(hint.hash):
            self.duplicates += 1
            return None
        return hint
