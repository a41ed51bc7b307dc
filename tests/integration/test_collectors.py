"""Collectors against a real anvil: blocks in order over WebSocket and over HTTP polling, logs, mempool."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

import pytest

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.collectors.blocks import BlockCollector
from arbbot.collectors.logs import LogCollector
from arbbot.collectors.pending import PendingTxCollector

T = TypeVar("T")


async def take(stream: AsyncIterator[T], n: int, deadline: float = 20.0) -> list[T]:
    out: list[T] = []

    async def consume() -> None:
        async for item in stream:
            out.append(item)
            if len(out) == n:
                return

    await asyncio.wait_for(consume(), timeout=deadline)
    return out


@pytest.fixture
def node(tmp_path: Path):
    with AnvilNode(log_path=tmp_path / "anvil.log") as n:
        yield n


@pytest.mark.parametrize("use_ws", [True, False], ids=["websocket", "http-polling"])
def test_blocks_arrive_in_order_without_gaps(node: AnvilNode, use_ws: bool) -> None:
    async def run() -> list:
        collector = BlockCollector(node.url, use_ws=use_ws, poll_interval=0.05, start_after=0)
        stream = collector.stream()

        async def mine() -> None:
            for _ in range(6):
                await asyncio.to_thread(rpc, node.url, "evm_mine")

        miner = asyncio.create_task(mine())
        blocks = await take(stream, 6)
        await miner
        await stream.aclose()
        return blocks

    blocks = asyncio.run(run())
    assert [b.number for b in blocks] == [1, 2, 3, 4, 5, 6]
    for prev, cur in itertools.pairwise(blocks):
        assert cur.parent_hash == prev.hash
    if not use_ws:
        assert {b.via for b in blocks} == {"http"}


def test_dead_websocket_falls_back_to_http(node: AnvilNode) -> None:
    async def run() -> list:
        collector = BlockCollector(node.url, ws_url="ws://127.0.0.1:9", poll_interval=0.05, start_after=0)
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        stream = collector.stream()
        blocks = await take(stream, 2)
        await stream.aclose()
        assert collector.ws_failures >= 1
        return blocks

    assert [b.number for b in asyncio.run(run())] == [1, 2]


def test_logs_of_each_block(node: AnvilNode) -> None:
    sender = rpc(node.url, "eth_accounts")[0]  # type: ignore[index]
    # Runtime code that emits LOG1(topic=0x..01) on any call: PUSH1 1 PUSH1 0 PUSH1 0 LOG1 STOP
    target = "0x00000000000000000000000000000000000000ee"
    rpc(node.url, "anvil_setCode", [target, "0x600160006000a100"])
    topic = "0x" + "00" * 31 + "01"

    async def run() -> list:
        stream = LogCollector(BlockCollector(node.url, poll_interval=0.05, start_after=0), topics=[topic]).stream()
        await asyncio.to_thread(rpc, node.url, "eth_sendTransaction", [{"from": sender, "to": target}])
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        got = await take(stream, 2)
        await stream.aclose()
        return got

    first, second = asyncio.run(run())
    assert [e["address"].lower() for e in first.logs] == [target]
    assert first.logs[0]["topics"] == [topic]
    assert second.logs == []


@pytest.mark.parametrize("use_ws", [True, False], ids=["websocket", "http-filter"])
def test_pending_transactions_with_their_input(node: AnvilNode, use_ws: bool) -> None:
    sender = rpc(node.url, "eth_accounts")[0]  # type: ignore[index]
    rpc(node.url, "evm_setAutomine", [False])

    async def run() -> list:
        collector = PendingTxCollector(node.url, use_ws=use_ws, poll_interval=0.05)
        stream = collector.stream()

        async def send() -> list[str]:
            hashes = []
            for i in range(3):
                tx = {"from": sender, "to": "0x000000000000000000000000000000000000dEaD", "data": f"0x{i:02x}aa"}
                hashes.append(await asyncio.to_thread(rpc, node.url, "eth_sendTransaction", [tx]))
            return hashes

        # The subscription must exist before the transactions are sent.
        consumer = asyncio.create_task(take(stream, 3))
        await asyncio.wait_for(collector.ready.wait(), timeout=10)
        hashes = await send()
        got = await consumer
        await stream.aclose()
        assert [p.hash for p in got] == hashes
        return got

    got = asyncio.run(run())
    assert [p.tx["input"] for p in got] == ["0x00aa", "0x01aa", "0x02aa"]
