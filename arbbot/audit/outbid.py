"""Who took an opportunity a bundle of ours missed, and what they paid the block's builder.

The taker is the first transaction, in the first target block where one exists, that emitted a log from one of the
route's pools (a V4 or Balancer pool: a log whose first indexed topic is its pool id) and is not one of ours. What
it paid the builder is its priority fee plus the ether its calls sent to the block's coinbase (from the node's call
trace). Without traces only the priority fee is known: a lower bound, marked as such.

Everything read is an untrusted node's answer: a log, receipt or block of the wrong shape gives no attribution
(never a made-up one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from arbbot.audit.accounting import coinbase_payments
from arbbot.audit.chain import ChainReader
from arbbot.chain.rpc import RpcError

_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
_ID = re.compile(r"^0x[0-9a-f]{64}$")
MAX_TRACE_DEPTH = 1024  # deeper call trees are refused (the EVM stops at 1024 anyway)


@dataclass(frozen=True)
class Outbid:
    """The transaction that traded our pools first in a target block, and what it paid that block's builder."""

    tx_hash: str
    block_number: int
    paid_wei: int  # priority fee + direct coinbase transfers (exact), or the priority fee alone (lower bound)
    exact: bool  # False: the node gave no call trace, `paid_wei` is a lower bound

    def to_json(self) -> dict[str, Any]:
        """As stored with the bundle (`lost_to`; wei as a decimal string)."""
        return {"tx": self.tx_hash, "block": self.block_number, "paid_wei": str(self.paid_wei), "exact": self.exact}


def split_pools(pools: Iterable[str]) -> tuple[list[str], list[str]]:
    """(contract addresses, pool ids) from journaled pool keys; a Balancer view key `<pool id>#i-j` counts as its
    pool id. Keys of neither shape are left out."""
    addresses: set[str] = set()
    ids: set[str] = set()
    for key in pools:
        k = str(key).split("#", 1)[0].lower()
        if _ADDRESS.match(k):
            addresses.add(k)
        elif _ID.match(k):
            ids.add(k)
    return sorted(addresses), sorted(ids)


def _quantity(value: Any) -> int | None:
    if isinstance(value, str) and value.startswith("0x") and 2 < len(value) <= 66:
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


def _depth(frame: Any, limit: int = MAX_TRACE_DEPTH) -> bool:
    """True when the frame tree is dicts all the way down and no deeper than `limit`."""
    stack = [(frame, 0)]
    while stack:
        f, d = stack.pop()
        if not isinstance(f, dict) or d > limit:
            return False
        calls = f.get("calls") or []
        if not isinstance(calls, list):
            return False
        stack.extend((c, d + 1) for c in calls)
    return True


def _logs(chain: ChainReader, block: int, addresses: list[str], ids: list[str]) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = []
    if addresses:
        queries.append({"fromBlock": hex(block), "toBlock": hex(block), "address": addresses})
    if ids:
        queries.append({"fromBlock": hex(block), "toBlock": hex(block), "topics": [None, ids]})
    found: list[dict[str, Any]] = []
    for q in queries:
        answer = chain.rpc.call("eth_getLogs", [q])
        if isinstance(answer, list):
            found += [log for log in answer if isinstance(log, dict)]
    return found


def _first_taker(logs: Sequence[dict[str, Any]], block: int, ours: set[str]) -> str | None:
    best: tuple[int, int, str] | None = None
    for log in logs:
        tx, index, pos = (
            log.get("transactionHash"),
            _quantity(log.get("transactionIndex")),
            _quantity(log.get("logIndex")),
        )
        if log.get("removed") or _quantity(log.get("blockNumber")) != block:
            continue
        if not isinstance(tx, str) or not _ID.match(tx.lower()) or index is None or pos is None:
            continue
        if tx.lower() in ours:
            continue
        if best is None or (index, pos) < best[:2]:
            best = (index, pos, tx.lower())
    return None if best is None else best[2]


def find_outbid(
    chain: ChainReader, target_blocks: Sequence[int], pools: Iterable[str], ours: Iterable[str]
) -> Outbid | None:
    """The first other transaction that traded one of `pools` in the earliest target block where one did, with its
    payment to that block's coinbase; None when no other transaction touched them (the miss had another cause) or
    the node's answers do not hold together."""
    addresses, ids = split_pools(pools)
    if not addresses and not ids:
        return None
    mine = {h.lower() for h in ours}
    for block in sorted(set(target_blocks)):
        taker = _first_taker(_logs(chain, block, addresses, ids), block, mine)
        if taker is None:
            continue
        return _payment(chain, block, taker)
    return None


def _payment(chain: ChainReader, block: int, tx_hash: str) -> Outbid | None:
    receipt = chain.receipt(tx_hash)
    header = chain.block(block)
    if not isinstance(receipt, dict) or not isinstance(header, dict):
        return None
    used, price = _quantity(receipt.get("gasUsed")), _quantity(receipt.get("effectiveGasPrice"))
    base, coinbase = _quantity(header.get("baseFeePerGas")), header.get("miner")
    if _quantity(receipt.get("blockNumber")) != block or used is None or price is None or base is None:
        return None
    if not isinstance(coinbase, str) or not _ADDRESS.match(coinbase.lower()):
        return None
    tip = max(0, price - base) * used
    try:
        frame = chain.trace(tx_hash)
    except RpcError:
        frame = None
    if frame is None or not _depth(frame):
        return Outbid(tx_hash, block, tip, exact=False)
    try:
        direct = coinbase_payments(frame, coinbase)
    except (TypeError, ValueError, AttributeError):
        return Outbid(tx_hash, block, tip, exact=False)  # a malformed value in the trace
    return Outbid(tx_hash, block, tip + direct, exact=True)
