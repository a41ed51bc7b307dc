"""The MEV-Share hint stream: SSE parsing in any chunking, hostile input, reconnect with Last-Event-ID, dedupe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.collectors.mev_share import Hint, HintError, HintStream, SseParser, parse_hint

H1, H2, H3 = ("0x" + c * 64 for c in "abc")
POOL = "0x" + "11" * 20


def _event(h: str, i: int | None = None, extra: dict | None = None) -> str:
    body = {"hash": h, "logs": None, "txs": [{"to": POOL, "functionSelector": "0x022c0d9f"}], **(extra or {})}
    head = f"id: {i}\n" if i is not None else ""
    return f"{head}data: {json.dumps(body)}\n\n"


STREAM = (
    b"\xef\xbb\xbf" + (":ping\n\n" + _event(H1, 1) + ":ping\r\n\r\n" + _event(H2, 2).replace("\n", "\r\n")).encode()
)


def _parse_all(chunks: list[bytes]) -> tuple[list[str], SseParser]:
    p = SseParser()
    out = []
    for c in chunks:
        out += [json.loads(e.data)["hash"] for e in p.feed(c)]
    return out, p


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    hashes, p = _parse_all(chunks)
    assert hashes == [H1, H2]
    assert p.pings == 2 and p.last_id == "2"


def test_an_empty_id_resets_the_last_event_id() -> None:
    p = SseParser()
    p.feed(b"id: 7\ndata: x\n\n")
    assert p.last_id == "7"
    p.feed(b"id\ndata: y\n\n")
    assert p.last_id is None


def test_multi_line_data_comments_and_unknown_fields() -> None:
    p = SseParser()
    events = p.feed(b'retry: 10\nfoo: bar\n: comment\ndata: {"a":\ndata: 1}\nevent: bundle\n\n')
    assert [(e.data, e.event) for e in events] == [('{"a":\n1}', "bundle")]


def test_oversized_lines_and_events_are_dropped_and_the_stream_goes_on() -> None:
    p = SseParser(max_line=100, max_event=150)
    big_line = b"data: " + b"x" * 300 + b"\n\n"
    big_event = b"data: " + b"y" * 90 + b"\ndata: " + b"z" * 90 + b"\n\n"
    endless = b"data: " + b"w" * 500  # no line end at all, fed in pieces
    out = p.feed(big_line) + p.feed(big_event) + p.feed(endless[:250]) + p.feed(endless[250:]) + p.feed(b"\n\n")
    out += p.feed(b"data: ok\n\n")
    assert [e.data for e in out] == ["ok"]
    assert p.dropped >= 3


def test_invalid_utf8_drops_that_event_only() -> None:
    p = SseParser()
    out = p.feed(b"data: \xff\xfe\n\ndata: fine\n\n")
    assert [e.data for e in out] == ["fine"]


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ([], "object"),
        ({"hash": "0x12"}, "hash"),
        ({"hash": H1, "logs": "x"}, "logs"),
        ({"hash": H1, "logs": [{"address": "0x12", "topics": []}]}, "logs[0].address"),
        ({"hash": H1, "logs": [{"address": POOL, "topics": ["0x" + "00" * 32] * 5}]}, "logs[0].topics"),
        ({"hash": H1, "txs": [{"to": POOL, "functionSelector": "0x12"}]}, "functionSelector"),
        ({"hash": H1, "txs": [{"to": POOL, "callData": "0xzz"}]}, "callData"),
        ({"hash": H1, "gasUsed": 5}, "gasUsed"),
        ({"hash": H1, "mevGasPrice": "0x" + "f" * 80}, "mevGasPrice"),
    ],
)
def test_bad_hints_are_named(obj: object, field: str) -> None:
    with pytest.raises(HintError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_hint(obj)


def test_a_full_hint_is_typed() -> None:
    hint = parse_hint(
        {
            "hash": H1.upper().replace("0X", "0x"),
            "logs": [{"address": POOL, "topics": ["0x" + "ab" * 32], "data": "0x" + "00" * 64}],
            "txs": [{"to": POOL, "callData": "0x022c0d9f0011"}],
            "mevGasPrice": "0x3b9aca00",
            "gasUsed": "0x5208",
        }
    )
    assert hint.hash == H1 and hint.mev_gas_price == 10**9 and hint.gas_used == 21000
    assert hint.logs[0].topics == ("0x" + "ab" * 32,) and len(hint.logs[0].data) == 64
    assert hint.txs[0].function_selector == bytes.fromhex("022c0d9f")  # from the calldata when not given


@settings(max_examples=120, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=70),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["hash", "logs", "txs", "to", "topics", "data", "address", "callData",
                                         "functionSelector", "gasUsed", "mevGasPrice"]), inner, max_size=5),
                    max_leaves=20))  # fmt: skip
def test_garbage_either_parses_or_raises_hint_error(obj: object) -> None:
    with contextlib.suppress(HintError):
        assert isinstance(parse_hint(obj), Hint)


class _Server:
    """A real SSE server on 127.0.0.1: the first connection sends event 1, garbage and a duplicate, then drops;
    the second answers from Last-Event-ID."""

    def __init__(self) -> None:
        self.headers: list[str | None] = []
        self.runner: web.AppRunner | None = None
        self.closing = asyncio.Event()

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.headers.append(request.headers.get("Last-Event-ID"))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        if len(self.headers) == 1:
            await resp.write(b":ping\n\n" + _event(H1, 1).encode() + b"data: {not json\n\n")
            await resp.write(b'data: {"hash": "0x1"}\n\n' + _event(H1, 2).encode())  # bad hash, then a replay
            return resp  # the connection ends: the client must come back
        start = int(self.headers[-1] or 0)
        for i, h in ((3, H2), (4, H3)):
            if i > start:
                await resp.write(_event(h, i).encode())
        await self.closing.wait()  # held open until the test ends
        return resp

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_get("/events", self.handler)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/events"

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        self.closing.set()
        await self.runner.cleanup()


def test_reconnects_with_last_event_id_skips_garbage_and_duplicates() -> None:
    async def main() -> None:
        server = _Server()
        async with server as url:
            stream = HintStream(url, backoff=0.01, rng=random.Random(1))
            got: list[str] = []
            async with contextlib.aclosing(stream.hints()) as hints:
                async for hint in hints:
                    got.append(hint.hash)
                    if len(got) == 3:
                        stream.stop()
                        break
            assert got == [H1, H2, H3]
            assert server.headers == [None, "2"]
            assert stream.bad == 2 and stream.duplicates == 1 and stream.reconnects == 1 and stream.pings == 0

    asyncio.run(asyncio.wait_for(main(), 30))


def test_an_unreachable_stream_backs_off_and_stops_without_raising() -> None:
    async def main() -> None:
        errors: list[str] = []
        three_failures = asyncio.Event()

        def on_error(text: str) -> None:
            errors.append(text)
            if len(errors) >= 3:
                three_failures.set()

        stream = HintStream("http://127.0.0.1:9/events", backoff=0.01, max_backoff=0.02, on_error=on_error)

        async def consume() -> list[Hint]:
            return [h async for h in stream.hints()]

        task = asyncio.create_task(consume())
        await three_failures.wait()
        stream.stop()
        assert await task == []
        assert errors and all("connection failed" in e for e in errors)

    asyncio.run(asyncio.wait_for(main(), 30))


def test_a_refusing_server_is_retried_until_it_streams() -> None:
    async def main() -> None:
        statuses = [503, 429]
        closing = asyncio.Event()

        async def handler(request: web.Request) -> web.StreamResponse:
            if statuses:
                return web.Response(status=statuses.pop(0), text="busy")
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(_event(H3, 9).encode())
            await closing.wait()  # held open until the test ends
            return resp

        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            errors: list[str] = []
            stream = HintStream(f"http://127.0.0.1:{runner.addresses[0][1]}/", backoff=0.01, on_error=errors.append)
            async with contextlib.aclosing(stream.hints()) as hints:
                hint = await anext(hints)
            assert hint.hash == H3 and hint.event_id == "9"
            assert stream.reconnects == 2 and len(errors) == 2 and stream.last_event_id == "9"
        finally:
            closing.set()
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 30))
