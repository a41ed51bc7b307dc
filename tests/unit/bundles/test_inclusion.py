"""Inclusion tracking decisions, against an in-memory chain that answers the JSON-RPC calls it uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest
from eth_utils import to_checksum_address

from arbbot.execution.bundles.inclusion import InclusionStatus, InclusionTracker

H = [f"0x{i:064x}" for i in range(1, 4)]
TITAN_COINBASE = "0x4838B106FCe9647Bdf1E7877BF73cE8B0BAD5f97"


class Chain:
    """A node double: head number, receipts by hash, blocks by number."""

    def __init__(self, head: int) -> None:
        self.head = head
        self.receipts: dict[str, dict[str, Any]] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.calls: list[str] = []

    def mine(self, number: int, txs: Sequence[tuple[str, int, int]], miner: str, extra: bytes = b"") -> None:
        self.blocks[number] = {
            "number": hex(number),
            "hash": f"0x{number:064x}",
            "miner": miner.lower(),
            "extraData": "0x" + extra.hex(),
        }
        for h, index, status in txs:
            self.receipts[h] = {"blockNumber": hex(number), "transactionIndex": hex(index), "status": hex(status)}
        self.head = max(self.head, number)

    async def call(self, method: str, params: Sequence[Any] | None = None) -> Any:
        self.calls.append(method)
        params = list(params or [])
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_getTransactionReceipt":
            return self.receipts.get(params[0])
        if method == "eth_getBlockByNumber":
            return self.blocks.get(int(params[0], 16))
        raise AssertionError(f"unexpected {method}")


def check(chain: Chain, tracker: InclusionTracker | None = None, **kw: Any):
    tracker = tracker or InclusionTracker(chain, coinbase_names={"0x000000000000000000000000000000000000B11D": "local"})
    return asyncio.run(tracker.check(kw.pop("hashes", H[:2]), kw.pop("targets", [10, 11]), **kw))


def test_pending_then_missed() -> None:
    chain = Chain(head=9)
    assert check(chain).status is InclusionStatus.PENDING
    chain.head = 11
    res = check(chain)
    assert res.status is InclusionStatus.MISSED and "by block 11" in res.reason and not res.landed


def test_landed_attributed_by_coinbase_mapping() -> None:
    chain = Chain(head=9)
    chain.mine(11, [(H[0], 3, 1), (H[1], 4, 0)], miner="0x000000000000000000000000000000000000b11d")
    res = check(chain)
    assert res.landed and res.block_number == 11 and res.block_hash == f"0x{11:064x}"
    assert res.builder == "local" and res.coinbase == to_checksum_address("0x000000000000000000000000000000000000b11d")
    assert res.reverted == (H[1],) and [t.index for t in res.txs if t] == [3, 4]


def test_landed_attributed_by_extra_data() -> None:
    chain = Chain(head=9)
    chain.mine(10, [(H[0], 0, 1), (H[1], 1, 1)], miner=TITAN_COINBASE, extra=b"Titan (titanbuilder.xyz)")
    assert check(chain).builder == "titan"
    custom = InclusionTracker(chain, extra_data_hints={"titanbuilder.xyz": "T"})
    assert check(chain, custom).builder == "T"
    unknown = InclusionTracker(chain, extra_data_hints={})
    res = check(chain, unknown)
    assert res.landed and res.builder is None


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        ({10: [(H[0], 0, 1)], 11: [(H[1], 0, 1)]}, "split across blocks [10, 11]"),
        ({12: [(H[0], 0, 1), (H[1], 1, 1)]}, "not a target block"),
        ({10: [(H[0], 5, 1), (H[1], 2, 1)]}, "not contiguous"),
        ({10: [(H[0], 0, 1), (H[1], 2, 1)]}, "not contiguous"),
        ({10: [(H[0], 0, 1)]}, "1 required tx(s) not mined"),
    ],
    ids=["split", "wrong-block", "reordered", "gap", "subset"],
)
def test_conflicts(blocks: dict[int, list[tuple[str, int, int]]], reason: str) -> None:
    chain = Chain(head=9)
    for number, txs in blocks.items():
        chain.mine(number, txs, miner=TITAN_COINBASE)
    res = check(chain)
    assert res.status is InclusionStatus.CONFLICT and reason in res.reason


def test_optional_tx_may_be_missing() -> None:
    chain = Chain(head=9)
    chain.mine(10, [(H[0], 0, 1), (H[2], 1, 1)], miner=TITAN_COINBASE)
    res = check(chain, hashes=[H[0], H[1], H[2]], optional_tx_hashes=[H[1]])
    assert res.landed and res.txs[1] is None
    assert check(chain, hashes=[H[0], H[1], H[2]]).status is InclusionStatus.CONFLICT


def test_confirmations_and_wait() -> None:
    chain = Chain(head=9)
    chain.mine(10, [(H[0], 0, 1), (H[1], 1, 1)], miner=TITAN_COINBASE)
    res = check(chain, confirmations=2)
    assert res.status is InclusionStatus.PENDING and res.block_number == 10 and "awaiting 2" in res.reason
    chain.head = 12
    assert check(chain, confirmations=2).landed

    waiting = Chain(head=9)
    tracker = InclusionTracker(waiting)

    async def produce_later() -> Any:
        task = asyncio.create_task(tracker.wait(H[:2], [10], poll_interval=0.01, timeout=10))
        deadline = time.monotonic() + 5
        while waiting.calls.count("eth_blockNumber") < 3:  # the tracker has polled a few times
            assert time.monotonic() < deadline, "tracker did not poll"
            await asyncio.sleep(0.005)
        waiting.mine(10, [(H[0], 0, 1), (H[1], 1, 1)], miner=TITAN_COINBASE)
        return await task

    assert asyncio.run(produce_later()).landed
    timed_out = asyncio.run(InclusionTracker(Chain(head=1)).wait(H[:2], [10], poll_interval=0.01, timeout=0.05))
    assert timed_out.status is InclusionStatus.PENDING


def test_needs_hashes_and_targets() -> None:
    with pytest.raises(ValueError):
        check(Chain(head=1), hashes=[])
    with pytest.raises(ValueError):
        check(Chain(head=1), targets=[])
