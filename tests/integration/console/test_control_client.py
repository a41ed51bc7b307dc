"""The console's control API client against the searcher's real control API server (over real HTTP), and
against hostile answers no real server gives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from arbbot.console.control import ControlClient, ControlError, discover, parse_event
from tests.integration.console.control_real import RealControlApi

TOKEN = "t0ken-for-tests"


@pytest.fixture
def api() -> Iterator[RealControlApi]:
    d = RealControlApi(TOKEN)
    try:
        yield d
    finally:
        d.stop()


def test_every_call_and_the_actor_header(api: RealControlApi) -> None:
    c = ControlClient(api.url, TOKEN)
    try:
        first = c.state()
        assert not first.paused and first.raw["head"] is None and first.raw["counters"]["skipped_paused"] == 0
        assert c.pause("olga").paused
        assert c.pause("olga", "backrun").paused_strategies == ["backrun"]
        assert not c.resume("olga").paused
        assert c.kill("olga", True).killed
        st = c.params("olga", bribe_share_bps=8000, min_profit_wei=10**15)
        assert (st.bribe_share_bps, st.min_profit_wei) == (8000, 10**15)
        assert c.builder("olga", "titan", False).builders == {"flashbots": True, "titan": False}
        assert st.generation == 6 and c.state().generation == 7
    finally:
        c.close()
    whats = ["paused", "paused.backrun", "paused", "killed", "bribe_share_bps", "min_profit_wei", "builder.titan"]
    assert api.actors == [(w, "olga") for w in whats]


def test_refusals_are_one_line_errors(api: RealControlApi) -> None:
    c = ControlClient(api.url, TOKEN)
    try:
        with pytest.raises(ControlError, match=r"answered 400: bribe_share_bps: 10 is outside the limits") as e:
            c.params("olga", bribe_share_bps=10)
        assert e.value.status == 400
        with pytest.raises(ControlError, match="answered 404: builder: 'nobody'") as e:
            c.builder("olga", "nobody", True)
        assert e.value.status == 404
        with pytest.raises(ControlError, match="answered 400: strategy: 'arb' is not one of"):
            c.pause("olga", "arb")
    finally:
        c.close()
    bad = ControlClient(api.url, "wrong")
    with pytest.raises(ControlError, match="answered 401"):
        bad.state()
    bad.close()
    assert api.actors == []


def test_the_relay_re_serves_named_events_and_never_the_token(api: RealControlApi) -> None:
    c = ControlClient(api.url, TOKEN)

    async def follow() -> list[bytes]:
        got: list[bytes] = []
        stream = c.events()
        got.append(await anext(stream))  # connected: the searcher's stream is open and subscribed
        await asyncio.to_thread(c.pause, "olga")
        api.searcher.emit("updated", number=7, hash="0x" + "ab" * 32, candidates=2, sent=1)
        api.searcher.emit("landed", tx="0x" + "cd" * 32, block=7, net=12345)
        api.searcher.emit("missed", tx=None, block=8)
        while len(got) < 5:
            chunk = await anext(stream)
            if not chunk.startswith(b":"):
                got.append(chunk)
        await stream.aclose()  # type: ignore[attr-defined]
        return got

    got = asyncio.run(follow())
    c.close()
    assert got[0] == b"event: connected\ndata: {}\n\n"  # after the searcher's own ": connected": subscribed
    kinds = [chunk.split(b"\n")[1] for chunk in got[1:]]
    assert kinds == [b"event: control", b"event: block", b"event: trade", b"event: trade"]
    datas = [json.loads(chunk.split(b"\ndata: ")[1]) for chunk in got[1:]]
    assert datas[0] == {"what": "paused", "old": False, "new": True, "actor": "olga"}
    assert datas[1]["number"] == 7 and datas[1]["sent"] == 1
    assert datas[2]["profit_wei"] == "12345" and datas[2]["landed"] is True
    assert datas[3] == {"tx_hash": None, "block": 8, "profit_wei": None, "landed": False}
    assert all(TOKEN.encode() not in chunk for chunk in got)


def test_hostile_events_are_dropped() -> None:
    assert parse_event({"id": "3", "event": "block", "data": '{"number": 1}'}) == (3, "block", {"number": 1})
    assert parse_event({"id": "3", "event": "script", "data": "{}"}) is None
    assert parse_event({"id": "x", "event": "block", "data": "{}"}) is None
    assert parse_event({"id": "3", "event": "block", "data": "[1]"}) is None
    assert parse_event({"id": "3", "event": "block", "data": "{not json"}) is None


def test_unreachable_and_malformed(api: RealControlApi, tmp_path: Path) -> None:
    # A broken or hostile searcher answer cannot come from the real server: a transport double answers it.
    hostile = httpx.MockTransport(lambda req: httpx.Response(200, json={**api.state, "paused": "yes"}))
    c = ControlClient("http://127.0.0.1:9", TOKEN, transport=hostile)
    with pytest.raises(ControlError, match="field 'paused' has a bad value 'yes'"):
        c.state()
    c.close()
    with pytest.raises(ControlError, match=r"control\.json not found"):
        discover(tmp_path)
    (tmp_path / "control.json").write_text(json.dumps({"url": "file:///etc/passwd", "pid": 1}))
    with pytest.raises(ControlError, match="is not an http"):
        discover(tmp_path)
    (tmp_path / "control.json").write_text(json.dumps({"url": api.url, "pid": 1}))
    assert discover(tmp_path) == api.url
    gone = ControlClient("http://127.0.0.1:9", TOKEN, timeout=2.0)
    with pytest.raises(ControlError, match="control API GET /state") as e:
        gone.state()
    assert e.value.status is None
    gone.close()
