"""Attribution of a missed opportunity from a node's answers, which are untrusted: the first other transaction on
our pools is the taker; its payment is the priority fee plus coinbase transfers from the trace; malformed answers
give no attribution or a lower bound, never a made-up payment. The node here is a scripted stand-in (a double:
the answers a real node would give, and broken ones a hostile node could)."""

from __future__ import annotations

from typing import Any

import pytest

from arbbot.audit.outbid import Outbid, find_outbid, split_pools
from arbbot.chain.rpc import RpcError

POOL = "0x" + "11" * 20
V4_ID = "0x" + "ab" * 32
COINBASE = "0x" + "cc" * 20
OURS, THEIRS, LATER = "0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 32


def _log(tx: str, index: int, pos: int, block: int = 10, **extra: Any) -> dict[str, Any]:
    return {"transactionHash": tx, "transactionIndex": hex(index), "logIndex": hex(pos), "blockNumber": hex(block),
            "removed": False, **extra}  # fmt: skip


class ScriptedNode:
    """A node double answering eth_getLogs, receipts, blocks and traces from a script."""

    def __init__(self, logs: list[Any], *, trace: Any = None, receipt: Any = None, block: Any = None) -> None:
        self.logs, self._trace = logs, trace
        self._receipt = receipt if receipt is not None else {
            "blockNumber": hex(10), "gasUsed": hex(100_000), "effectiveGasPrice": hex(12 * 10**9)}  # fmt: skip
        self._block = block if block is not None else {"baseFeePerGas": hex(10 * 10**9), "miner": COINBASE}
        self.rpc = self
        self.queries: list[dict[str, Any]] = []

    def call(self, method: str, params: list[Any]) -> Any:
        assert method == "eth_getLogs"
        self.queries.append(params[0])
        return self.logs

    def receipt(self, tx: str) -> Any:
        return self._receipt

    def block(self, n: int) -> Any:
        return self._block

    def trace(self, tx: str) -> Any:
        if isinstance(self._trace, Exception):
            raise self._trace
        return self._trace


def _find(node: ScriptedNode, pools: list[str] | None = None) -> Outbid | None:
    return find_outbid(node, [10], pools or [POOL], [OURS])  # type: ignore[arg-type]


def test_the_first_other_transaction_is_the_taker_and_pays_tip_plus_transfers() -> None:
    trace = {"type": "CALL", "to": "0x" + "ee" * 20, "value": "0x0", "calls": [
        {"type": "CALL", "to": COINBASE, "value": hex(5 * 10**18)},
        {"type": "CALL", "to": COINBASE, "value": hex(10**18), "error": "reverted"},  # undone: not paid
    ]}  # fmt: skip
    node = ScriptedNode([_log(LATER, 5, 9), _log(OURS, 0, 0), _log(THEIRS, 2, 4)], trace=trace)
    got = _find(node)
    assert got == Outbid(THEIRS, 10, 2 * 10**9 * 100_000 + 5 * 10**18, exact=True)


def test_without_a_trace_the_tip_alone_is_a_lower_bound() -> None:
    unsupported = RpcError("debug_traceTransaction", -32601, "the method does not exist")
    for trace in (None, unsupported, {"calls": "not a list"}, {"type": "CALL", "to": COINBASE, "value": "zz"}):
        got = _find(ScriptedNode([_log(THEIRS, 1, 0)], trace=trace))
        assert got == Outbid(THEIRS, 10, 2 * 10**9 * 100_000, exact=False), trace


@pytest.mark.parametrize(
    "logs",
    [
        [],
        [_log(OURS, 0, 0)],  # only ourselves
        [_log(THEIRS, 1, 0, block=11)],  # another block than asked
        [_log(THEIRS, 1, 0, removed=True)],  # reorged away
        [{"transactionHash": "0x12", "transactionIndex": "0x1", "logIndex": "0x0", "blockNumber": "0xa"}],
        [_log(THEIRS, 1, 0) | {"transactionIndex": None}],
        ["not a log", 7, None],
    ],
)
def test_no_taker_without_a_well_formed_log_of_another_transaction(logs: list[Any]) -> None:
    assert _find(ScriptedNode(logs)) is None


@pytest.mark.parametrize(
    ("receipt", "block"),
    [
        ({"blockNumber": hex(11), "gasUsed": "0x1", "effectiveGasPrice": "0x1"}, None),  # receipt of another block
        ({"blockNumber": hex(10), "gasUsed": "1", "effectiveGasPrice": "0x1"}, None),  # not a quantity
        (None, {"baseFeePerGas": "0x1", "miner": "nobody"}),  # no coinbase address
        (None, {"miner": COINBASE}),  # no base fee
    ],
)
def test_a_malformed_receipt_or_block_gives_no_payment(receipt: Any, block: Any) -> None:
    assert _find(ScriptedNode([_log(THEIRS, 1, 0)], receipt=receipt, block=block)) is None


def test_pool_keys_split_into_addresses_and_ids() -> None:
    balancer_view = V4_ID.upper().replace("0X", "0x") + "#0-2"
    assert split_pools([POOL.upper().replace("0X", "0x"), V4_ID, balancer_view, "garbage", "0x12"]) == (
        [POOL], [V4_ID])  # fmt: skip
    node = ScriptedNode([_log(THEIRS, 1, 0)])
    assert _find(node, [POOL, V4_ID]) is not None
    assert node.queries == [
        {"fromBlock": "0xa", "toBlock": "0xa", "address": [POOL]},
        {"fromBlock": "0xa", "toBlock": "0xa", "topics": [None, [V4_ID]]},
    ]
    assert find_outbid(node, [10], ["garbage"], []) is None  # type: ignore[arg-type]
