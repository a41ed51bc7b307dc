"""Did a bundle land? Poll receipts and blocks over JSON-RPC; name the block and the builder that built it.

Attribution uses the block's `miner` (fee recipient / coinbase) through a caller-supplied mapping, else a
case-insensitive substring match on the block's extraData. The default extraData hints are heuristics —
extraData is free text chosen by each builder and changes — so keep them configurable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_utils import to_checksum_address

from arbbot.execution.bundles.errors import BundleError
from arbbot.execution.bundles.rpc import RpcCaller

# Substring of extraData text (lower-case) -> builder name. Heuristic, not from a primary source.
DEFAULT_EXTRA_DATA_HINTS: Mapping[str, str] = {
    "buildernet": "buildernet",
    "titan": "titan",
    "beaverbuild": "beaverbuild",
    "rsync": "rsync",
    "builder0x69": "builder0x69",
    "quasar": "quasar",
    "bloxroute": "bloxroute",
    "illuminate dmocratize dstribute": "flashbots",
}


class InclusionStatus(StrEnum):
    """Where a bundle stands: pending, landed (all required txs contiguous and in order in one target block),
    missed (no tx mined by the last target block) or conflict (some mined, but not as this bundle).
    """

    PENDING = "pending"  # nothing mined yet and a target block is still ahead (or awaiting confirmations)
    LANDED = "landed"  # all required txs in one target block, in bundle order, contiguous
    MISSED = "missed"  # every target block has passed and none of the txs was mined
    CONFLICT = "conflict"  # some txs were mined, but not as this bundle (split, other block, out of order)


@dataclass(frozen=True)
class TxInclusion:
    """Where one transaction was mined: block number, index in the block and whether it succeeded (receipt status)."""

    tx_hash: str
    block_number: int
    index: int
    success: bool


@dataclass(frozen=True)
class InclusionResult:
    """One inclusion check: the status, the head block it was judged at and why.

    When the bundle landed, also the block, its coinbase and extraData and the builder attributed from them;
    `txs` holds each transaction's `TxInclusion` (or `None` if not mined), in bundle order.
    """

    status: InclusionStatus
    head: int
    reason: str = ""
    block_number: int | None = None
    block_hash: str | None = None
    coinbase: str | None = None
    extra_data: str | None = None
    builder: str | None = None
    txs: tuple[TxInclusion | None, ...] = ()
    reverted: tuple[str, ...] = ()

    @property
    def landed(self) -> bool:
        """True when the status is `LANDED`."""
        return self.status is InclusionStatus.LANDED


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return int(value, 16)
    raise BundleError(f"expected a hex quantity, got {value!r}")


def extra_data_text(extra_data_hex: str | None) -> str:
    """A block's extraData as text (invalid UTF-8 replaced); empty for missing or non-hex input."""
    if not extra_data_hex:
        return ""
    try:
        raw = bytes.fromhex(extra_data_hex.removeprefix("0x"))
    except ValueError:
        return ""
    return raw.decode("utf-8", errors="replace")


class InclusionTracker:
    """Checks over JSON-RPC whether a bundle's transactions landed, and which builder built the block.

    Receipts and blocks come from the node given; builder attribution trusts the caller's coinbase mapping first,
    then the extraData hints, which are heuristics.
    """

    def __init__(
        self,
        rpc: RpcCaller,
        *,
        coinbase_names: Mapping[str, str] | None = None,
        extra_data_hints: Mapping[str, str] | None = None,
    ) -> None:
        self.rpc = rpc
        self.coinbase_names = {k.lower(): v for k, v in (coinbase_names or {}).items()}
        hints = DEFAULT_EXTRA_DATA_HINTS if extra_data_hints is None else extra_data_hints
        self.extra_data_hints = {k.lower(): v for k, v in hints.items()}

    def attribute(self, coinbase: str | None, extra_data_hex: str | None) -> str | None:
        """The builder that built a block: the name mapped to its `coinbase`, else the first extraData hint found in
        its text, else `None`.
        """
        if coinbase and coinbase.lower() in self.coinbase_names:
            return self.coinbase_names[coinbase.lower()]
        text = extra_data_text(extra_data_hex).lower()
        for needle, name in self.extra_data_hints.items():
            if needle and needle in text:
                return name
        return None

    async def check(
        self,
        tx_hashes: Sequence[str],
        target_blocks: Sequence[int],
        *,
        optional_tx_hashes: Sequence[str] = (),
        confirmations: int = 0,
    ) -> InclusionResult:
        """One look. `optional_tx_hashes` may be missing (builders that drop allowed-to-revert txs)."""
        if not tx_hashes or not target_blocks:
            raise ValueError("need the bundle's tx hashes and at least one target block")
        optional = {h.lower() for h in optional_tx_hashes}
        head = _int(await self.rpc.call("eth_blockNumber", []))
        receipts = await asyncio.gather(*(self.rpc.call("eth_getTransactionReceipt", [h]) for h in tx_hashes))
        found: list[TxInclusion | None] = []
        for h, rc in zip(tx_hashes, receipts, strict=True):
            if rc is None or rc.get("blockNumber") is None:
                found.append(None)
                continue
            found.append(TxInclusion(h, _int(rc["blockNumber"]), _int(rc["transactionIndex"]), _int(rc["status"]) == 1))
        mined = [t for t in found if t is not None]
        last_target = max(target_blocks)
        if not mined:
            if head >= last_target:
                return InclusionResult(
                    InclusionStatus.MISSED, head, f"none mined by block {last_target}", txs=tuple(found)
                )
            return InclusionResult(InclusionStatus.PENDING, head, "not mined yet", txs=tuple(found))

        missing_required = [h for h, t in zip(tx_hashes, found, strict=True) if t is None and h.lower() not in optional]
        blocks = sorted({t.block_number for t in mined})
        conflict = ""
        if missing_required:
            conflict = f"{len(missing_required)} required tx(s) not mined while others were"
        elif len(blocks) > 1:
            conflict = f"txs split across blocks {blocks}"
        elif blocks[0] not in target_blocks:
            conflict = f"mined in block {blocks[0]}, not a target block {sorted(target_blocks)}"
        else:
            indices = [t.index for t in mined]
            if indices != list(range(indices[0], indices[0] + len(indices))):
                conflict = f"txs not contiguous and in bundle order (indices {indices})"
        if conflict:
            return InclusionResult(InclusionStatus.CONFLICT, head, conflict, block_number=blocks[0], txs=tuple(found))

        number = blocks[0]
        block = await self.rpc.call("eth_getBlockByNumber", [hex(number), False])
        if not isinstance(block, dict):
            return InclusionResult(
                InclusionStatus.PENDING, head, f"block {number} not available (reorg?)", txs=tuple(found)
            )
        coinbase = block.get("miner")
        coinbase = to_checksum_address(coinbase) if coinbase else None
        extra = block.get("extraData")
        status, reason = InclusionStatus.LANDED, f"landed in block {number}"
        if head - number < confirmations:
            status, reason = InclusionStatus.PENDING, f"in block {number}, awaiting {confirmations} confirmations"
        return InclusionResult(
            status,
            head,
            reason,
            block_number=number,
            block_hash=block.get("hash"),
            coinbase=coinbase,
            extra_data=extra,
            builder=self.attribute(coinbase, extra),
            txs=tuple(found),
            reverted=tuple(t.tx_hash for t in mined if not t.success),
        )

    async def wait(
        self,
        tx_hashes: Sequence[str],
        target_blocks: Sequence[int],
        *,
        optional_tx_hashes: Sequence[str] = (),
        confirmations: int = 0,
        poll_interval: float = 0.5,
        timeout: float = 60.0,
    ) -> InclusionResult:
        """Poll until the answer is final (landed, missed, conflict) or `timeout` passes (then PENDING)."""
        deadline = time.monotonic() + timeout
        while True:
            result = await self.check(
                tx_hashes, target_blocks, optional_tx_hashes=optional_tx_hashes, confirmations=confirmations
            )
            if result.status is not InclusionStatus.PENDING or time.monotonic() >= deadline:
                return result
            await asyncio.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))
