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


@pytest.mark.parametrize("use_ws", [True, False], ids=["websocket", "http-polling"])
def test_a_block_replaced_at_the_tip_is_delivered(node: AnvilNode, use_ws: bool) -> None:
    """The chain drops its tip and mines another block at the same height: no new height is announced, yet the
    replacement is handed out (a consumer waiting for the next height would sit a whole block behind)."""

    async def run() -> list:
        collector = BlockCollector(node.url, use_ws=use_ws, poll_interval=0.05, start_after=0)
        stream = collector.stream()
        fork_point = await asyncio.to_thread(rpc, node.url, "evm_snapshot")
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        first = await take(stream, 1)
        await asyncio.to_thread(rpc, node.url, "evm_revert", [fork_point])
        await asyncio.to_thread(rpc, node.url, "evm_mine", [first[0].timestamp + 7])
        second = await take(stream, 1)
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        third = await take(stream, 1)
        await stream.aclose()
        return first + second + third

    first, replacement, after = asyncio.run(run())
    assert (first.number, replacement.number, after.number) == (1, 1, 2)
    assert replacement.hash != first.hash
    assert after.parent_hash == replacement.hash


@pytest.mark.parametrize("use_ws", [True, False], ids=["websocket", "http-polling"])
def test_rewind_hands_out_the_same_blocks_again(node: AnvilNode, use_ws: bool) -> None:
    """A consumer that could not apply a block (it vanished under it and came back the same) asks again: the
    block keeps its height and hash, so only the rewind brings it back; on a socket, without a stall counted."""
    events: list = []

    async def run() -> tuple[list, list]:
        collector = BlockCollector(node.url, use_ws=use_ws, poll_interval=0.05, start_after=0,
                                   stall_after=30.0, observer=events.append)  # fmt: skip
        stream = collector.stream()
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        await asyncio.to_thread(rpc, node.url, "evm_mine")
        first = await take(stream, 2)
        collector.rewind(0)
        again = await take(stream, 2, deadline=10.0)  # well inside the 30 s a stall would need
        await stream.aclose()
        return first, again

    first, again = asyncio.run(run())
    assert [b.number for b in first] == [1, 2]
    assert [(b.number, b.hash) for b in again] == [(b.number, b.hash) for b in first]
    assert not [e for e in events if e.kind == "timeout"]
