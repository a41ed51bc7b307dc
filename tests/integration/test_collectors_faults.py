"""Collectors behind the fault proxy (a real anvil upstream): every block once, in order, with no gaps, whatever
the WebSocket or HTTP side does; each bad frame or answer is classified for the metrics."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.chain.jsonrpc import TransportEvent
from arbbot.collectors.blocks import BlockCollector
from arbbot.collectors.pending import PendingTxCollector
from arbbot.collectors.types import NewBlock
from arbbot.testing.fault_proxy import HTTP_CLASSES, WS_CLASSES, FaultProxy, Faults

# How each WebSocket fault is seen by the client (a dropped notification is invisible: the next one's gap is filled).
WS_KIND = {
    "ws_garbage": "malformed", "ws_half_json": "malformed", "ws_nested": "malformed", "ws_wrong_id": None,
    "ws_huge": "too_large", "ws_close": "truncated", "ws_stall": "timeout", "ws_slow": None, "ws_drop": None,
}  # fmt: skip


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnvilNode]:
    with AnvilNode(log_path=tmp_path / "anvil.log") as n:
        yield n


async def _collect(collector: BlockCollector, url: str, n: int, cadence: float, deadline: float) -> list[NewBlock]:
    """Mine n blocks at `cadence` (the scenario's clock) while collecting; stop at n blocks or the deadline."""
    out: list[NewBlock] = []
    stream = collector.stream()

    async def mine() -> None:
        for _ in range(n):
            await asyncio.to_thread(rpc, url, "evm_mine")
            await asyncio.sleep(cadence)  # block cadence of the scenario, not synchronisation

    async def consume() -> None:
        async for block in stream:
            out.append(block)
            if len(out) == n:
                return

    miner = asyncio.create_task(mine())
    try:
        await asyncio.wait_for(consume(), deadline)
    finally:
        miner.cancel()
        await stream.aclose()
    return out


def _in_order(blocks: list[NewBlock], n: int) -> None:
    assert [b.number for b in blocks] == list(range(1, n + 1))
    for prev, cur in itertools.pairwise(blocks):
        assert cur.parent_hash == prev.hash


@pytest.mark.parametrize("cls", WS_CLASSES)
def test_each_websocket_fault_loses_no_block(node: AnvilNode, cls: str) -> None:
    events: list[TransportEvent] = []
    n = 16
    faults = Faults(**{cls: 2}, slow_range=(0.6, 0.8), huge_bytes=20 * 2**20, nest_depth=50_000)
    with FaultProxy(node.url, faults) as proxy:
        collector = BlockCollector(proxy.url, poll_interval=0.05, start_after=0, stall_after=0.5,
                                   observer=events.append)  # fmt: skip
        blocks = asyncio.run(_collect(collector, node.url, n, 0.25, 30))
    _in_order(blocks, n)
    assert proxy.faults.injected == {cls: 2}
    kinds = Counter(e.kind for e in events if e.source == "ws")
    if WS_KIND[cls] is not None:
        assert kinds[WS_KIND[cls]] >= 1, (cls, events)
    if cls in ("ws_close", "ws_huge", "ws_stall"):
        assert collector.ws_failures >= 1  # the socket was given up and subscribed again
    assert any(b.via == "ws" for b in blocks), "went back to the subscription"


@pytest.mark.parametrize("use_ws", [True, False], ids=["websocket", "http-polling"])
def test_thirty_percent_of_everything_loses_no_block(node: AnvilNode, use_ws: bool) -> None:
    events: list[TransportEvent] = []
    n = 20
    faults = Faults(rate=0.3, seed=11, slow_range=(0.3, 0.6), huge_bytes=20 * 2**20, nest_depth=50_000,
                    exempt=("evm_",))  # fmt: skip
    with FaultProxy(node.url, faults) as proxy:
        collector = BlockCollector(proxy.url, poll_interval=0.05, start_after=0, stall_after=0.5, use_ws=use_ws,
                                   observer=events.append)  # fmt: skip
        blocks = asyncio.run(_collect(collector, node.url, n, 0.2, 90))
    _in_order(blocks, n)
    injected = set(proxy.faults.injected)
    assert injected & set(HTTP_CLASSES), injected
    if use_ws:
        assert injected & set(WS_CLASSES), injected
    assert {e.kind for e in events} <= {"timeout", "http_status", "malformed", "truncated", "connection", "too_large"}


def test_pending_transactions_survive_a_faulty_websocket(node: AnvilNode) -> None:
    sender = rpc(node.url, "eth_accounts")[0]  # type: ignore[index]
    rpc(node.url, "evm_setAutomine", [False])
    faults = Faults(ws_close=1, garbage=1, null_result=1)

    async def run() -> list[str]:
        proxy = FaultProxy(node.url, faults).start()
        collector = PendingTxCollector(proxy.url, poll_interval=0.05)
        stream = collector.stream()
        got: list[str] = []

        async def consume() -> None:
            async for ptx in stream:
                got.append(ptx.hash)
                if len(got) == 4:
                    return

        task = asyncio.create_task(consume())
        try:
            await asyncio.wait_for(collector.ready.wait(), 10)
            sent = []
            for i in range(4):
                tx = {"from": sender, "to": "0x000000000000000000000000000000000000dEaD", "data": f"0x{i:02x}"}
                sent.append(await asyncio.to_thread(rpc, node.url, "eth_sendTransaction", [tx]))
                await asyncio.sleep(0.3)  # arrival cadence of the scenario, not synchronisation
            await asyncio.wait_for(task, 30)
        finally:
            task.cancel()
            await stream.aclose()
            proxy.stop()
        assert set(got) == set(sent)
        return got

    got = asyncio.run(run())
    assert len(got) == len(set(got)) == 4
