"""Pending transactions across gaps, against a real anvil behind the fault proxy: a filter answer lost on the way
(a filter hands each hash out once), a socket that dies with a notification in it, a node without the txpool
namespace; and a filter read is never sent twice."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.chain.jsonrpc import RetryPolicy, RpcTransportError
from arbbot.chain.ws import WsSession
from arbbot.collectors.pending import PendingTxCollector
from arbbot.collectors.rpc_async import AsyncRpc
from arbbot.collectors.types import PendingTx
from arbbot.testing.fault_proxy import FaultProxy, Faults

DEAD = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnvilNode]:
    with AnvilNode(log_path=tmp_path / "anvil.log") as n:
        rpc(n.url, "evm_setAutomine", [False])  # sent transactions stay pending
        yield n


def _send(url: str, i: int) -> str:
    sender = rpc(url, "eth_accounts")[0]  # type: ignore[index]
    tx = {"from": sender, "to": DEAD, "data": f"0x{i:02x}"}
    out = rpc(url, "eth_sendTransaction", [tx])
    assert isinstance(out, str)
    return out


def _lose_filter_answers(count: int, lost: list[str]) -> Any:
    """A rewrite hook: the first `count` non-empty filter answers arrive as `null` (the node has handed them out)."""

    def rewrite(request: dict[str, Any], result: Any) -> Any:
        if request.get("method") == "eth_getFilterChanges" and result and len(lost) < count:
            lost.extend(result)
            return None
        return result

    return rewrite


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.02)  # polling a recorded condition, bounded by the caller's wait_for


async def _take(stream: Any, n: int, deadline: float) -> list[PendingTx]:
    out: list[PendingTx] = []

    async def run() -> None:
        async for ptx in stream:
            out.append(ptx)
            if len(out) == n:
                return

    await asyncio.wait_for(run(), deadline)
    return out


def test_a_lost_filter_answer_is_made_up_from_the_pool(node: AnvilNode) -> None:
    lost: list[str] = []
    faults = Faults(rewrite=_lose_filter_answers(1, lost))

    async def run() -> tuple[list[PendingTx], list[str], PendingTxCollector]:
        with FaultProxy(node.url, faults) as proxy:
            collector = PendingTxCollector(proxy.url, use_ws=False, poll_interval=0.05)
            stream = collector.stream()
            first = asyncio.ensure_future(_take(stream, 1, 30))
            await asyncio.wait_for(collector.ready.wait(), 10)
            a = await asyncio.to_thread(_send, node.url, 1)
            got = await first
            b = await asyncio.to_thread(_send, node.url, 2)
            got += await _take(stream, 1, 30)
            await stream.aclose()
            return got, [a, b], collector

    got, (a, b), collector = asyncio.run(run())
    assert lost == [a]  # the only answer that held `a` never reached the collector
    assert [(p.hash, p.via) for p in got] == [(a, "txpool"), (b, "http")]
    assert got[0].tx["hash"] == a and got[0].tx["input"] == "0x01"
    assert collector.recovered == 1


def test_without_the_txpool_namespace_a_lost_answer_stays_lost_and_the_pool_is_asked_once(node: AnvilNode) -> None:
    lost: list[str] = []
    faults = Faults(rewrite=_lose_filter_answers(2, lost), unavailable=("txpool_",))

    async def run() -> tuple[list[PendingTx], list[str]]:
        with FaultProxy(node.url, faults) as proxy:
            collector = PendingTxCollector(proxy.url, use_ws=False, poll_interval=0.05)
            stream = collector.stream()
            task = asyncio.ensure_future(_take(stream, 1, 30))
            await asyncio.wait_for(collector.ready.wait(), 10)
            sent = []
            for i in range(3):
                sent.append(await asyncio.to_thread(_send, node.url, i))
                if i < 2:  # one transaction per lost answer: wait for the proxy to have lost this one
                    await asyncio.wait_for(_until(lambda i=i: len(lost) == i + 1), 30)
            got = await task
            await stream.aclose()
            assert proxy.faults.refused == ["txpool_content"]
            return got, sent

    got, sent = asyncio.run(run())
    assert lost == sent[:2]
    assert [(p.hash, p.via) for p in got] == [(sent[2], "http")]


def test_a_notification_lost_with_the_socket_is_made_up_from_the_pool(node: AnvilNode) -> None:
    async def run() -> tuple[list[PendingTx], list[str], PendingTxCollector]:
        with FaultProxy(node.url, Faults()) as proxy:
            collector = PendingTxCollector(proxy.url, poll_interval=0.05)
            stream = collector.stream()
            first = asyncio.ensure_future(_take(stream, 1, 30))
            await asyncio.wait_for(collector.ready.wait(), 10)
            proxy.faults.ws_close = 1  # the next frame to the client, the notification of `a`, dies half-sent
            a = await asyncio.to_thread(_send, node.url, 1)
            got = await first
            assert proxy.faults.injected == {"ws_close": 1}
            b = await asyncio.to_thread(_send, node.url, 2)
            got += await _take(stream, 1, 30)
            await stream.aclose()
            return got, [a, b], collector

    got, (a, b), collector = asyncio.run(run())
    assert collector.ws_failures == 1
    assert (got[0].hash, got[0].via) == (a, "txpool")
    assert got[1].hash == b and got[1].via in ("ws", "http")
    assert collector.recovered == 1


def test_a_filter_read_is_sent_once_where_another_read_is_retried_and_hedged(node: AnvilNode) -> None:
    async def run() -> None:
        with FaultProxy(node.url, Faults()) as proxy:
            async with AsyncRpc(proxy.url, 2.0, RetryPolicy(attempts=5), hedge_after=0.2) as client:
                fid = await client.call("eth_newPendingTransactionFilter")
                proxy.faults.garbage = 1
                await client.call("eth_blockNumber")  # the garbled answer is asked again
                proxy.faults.garbage = 1
                with pytest.raises(RpcTransportError):
                    await client.call("eth_getFilterChanges", [fid])
                proxy.faults.delay_s, proxy.faults.delay_count = 0.6, 1
                await client.call("eth_blockNumber")  # unanswered after 0.2 s: sent again
                proxy.faults.delay_count = 1
                assert await client.call("eth_getFilterChanges", [fid]) == []  # slow, waited for, never doubled
                seen = proxy.faults.seen_methods
                assert seen.count("eth_blockNumber") == 4
                assert seen.count("eth_getFilterChanges") == 2

    asyncio.run(run())


def test_a_notification_in_the_frame_right_after_the_subscription_answer_is_kept() -> None:
    """The WebSocket server here is a TEST DOUBLE of a node's eth_subscribe (JSON-RPC 2.0 over WebSocket, as geth
    and anvil speak it): it answers the subscription and sends the first notification in the same write, as a
    busy node can."""
    note = {"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": "0xabc", "result": "0x01"}}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            req = json.loads(msg.data)
            answer = json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": "0xabc"})
            # One write: both frames reach the client's buffer together.
            assert request.transport is not None
            frames = _text_frame(answer.encode()) + _text_frame(json.dumps(note).encode())
            request.transport.write(frames)
        return ws

    async def run() -> Any:
        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        try:
            async with WsSession(f"ws://127.0.0.1:{port}/") as session:
                sub = await session.subscribe("newPendingTransactions")
                assert sub == "0xabc"
                return await session.notification(sub, 5.0), session.bad_frames
        finally:
            await runner.cleanup()

    result, bad = asyncio.run(run())
    assert (result, bad) == ("0x01", 0)


def _text_frame(payload: bytes) -> bytes:
    """An unmasked server-to-client text frame (RFC 6455 section 5.2)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x81, n])
    elif n < 2**16:
        head = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return head + payload
