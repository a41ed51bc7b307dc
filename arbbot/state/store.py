"""Current pool state, kept in step with the chain block by block, with an undo log for reorgs.

Pure bookkeeping: it is handed blocks and their logs (see updater.py for the I/O side). Before a
block first touches a pool, a copy of that pool is kept; rolling back a block restores the copies.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.state.events import (
    MalformedLog,
    ProtocolFeeEvent,
    StateEvent,
    SyncEvent,
    V3SwapEvent,
    decode,
    pool_key,
)

log = logging.getLogger(__name__)


class ReorgDetected(Exception):
    """The new block does not extend the block the store is at."""

    def __init__(self, number: int, parent_hash: str, expected: str) -> None:
        super().__init__(f"block {number} has parent {parent_hash}, store is at {expected}")
        self.number = number


class ReorgTooDeep(Exception):
    """The chain reorganised further back than the undo log reaches: a fresh sync is needed."""


@dataclass(frozen=True)
class BlockRef:
    """A block by number and hash, with its parent's hash (how reorgs are seen)."""

    number: int
    hash: str
    parent_hash: str


@dataclass
class _Undo:
    block: BlockRef
    saved: dict[str, Pool] = field(default_factory=dict)  # address -> state before this block


class PoolStore:
    """Every tracked pool's exact model at `head`, advanced block by block from logs, with undo records that roll back
    a reorganisation up to `max_undo` blocks deep."""

    def __init__(self, pools: Iterable[Pool], at: BlockRef, max_undo: int = 64) -> None:
        self.pools: dict[str, Pool] = {p.address.lower(): p for p in pools}
        self.head = at
        self._undo: deque[_Undo] = deque(maxlen=max_undo)
        self.skipped_logs = 0

    def __len__(self) -> int:
        return len(self.pools)

    def get(self, address: str) -> Pool | None:
        """The tracked pool at `address` (any case), or None."""
        return self.pools.get(address.lower())

    def add(self, pool: Pool) -> None:
        """Track a pool, replacing any at the same address."""
        self.pools[pool.address.lower()] = pool

    def apply_block(
        self, block: BlockRef, logs: Iterable[dict[str, Any]], lp_fees: Mapping[str, int] | None = None
    ) -> set[str]:
        """Apply one block's logs (in log order), then the dynamic LP fees read at its end (pool id ->
        fee: V4 fee hooks change them without an event); returns the keys of pools that changed."""
        if block.parent_hash.lower() != self.head.hash.lower():
            raise ReorgDetected(block.number, block.parent_hash, self.head.hash)
        undo = _Undo(block)
        changed: set[str] = set()
        for entry in logs:
            keyed = pool_key(entry)
            if keyed is None:
                continue
            address, emitter = keyed
            pool = self.pools.get(address)
            if pool is None or entry.get("removed"):
                continue
            if isinstance(pool, UniswapV4Pool) and pool.manager.lower() != emitter:
                continue  # a V4-shaped event from anyone but the pool's PoolManager says nothing
            try:
                event = decode(entry)
            except MalformedLog as exc:
                # Never guess: a pool whose update we cannot read is dropped until re-synced.
                log.warning("dropping pool %s: %s", address, exc)
                undo.saved.setdefault(address, pool.copy())
                del self.pools[address]
                self.skipped_logs += 1
                continue
            if event is None:
                continue
            if address not in undo.saved:
                undo.saved[address] = pool.copy()
            try:
                _apply(pool, event)
            except AmmError as exc:
                log.warning("dropping pool %s: event does not apply (%s)", address, exc)
                del self.pools[address]
                continue
            changed.add(address)
        for pool_id, fee in (lp_fees or {}).items():
            pool = self.pools.get(pool_id.lower())
            if isinstance(pool, UniswapV4Pool) and pool.lp_fee != fee:
                undo.saved.setdefault(pool_id.lower(), pool.copy())
                pool.apply_fees(lp_fee=fee)
                changed.add(pool_id.lower())
        self._undo.append(undo)
        self.head = block
        return changed

    def dynamic_fee_pools(self) -> dict[str, list[str]]:
        """PoolManager -> ids of its tracked dynamic-fee pools (their LP fee is read every block)."""
        out: dict[str, list[str]] = {}
        for key, pool in self.pools.items():
            if isinstance(pool, UniswapV4Pool) and pool.dynamic_fee:
                out.setdefault(pool.manager, []).append(key)
        return out

    def rollback_to(self, number: int) -> set[str]:
        """Undo every applied block above `number`; returns the addresses whose state was restored."""
        restored: set[str] = set()
        while self.head.number > number:
            if not self._undo:
                raise ReorgTooDeep(f"cannot roll back below block {self.head.number}: undo log exhausted")
            undo = self._undo.pop()
            for address, saved in undo.saved.items():
                self.pools[address] = saved
                restored.add(address)
            prev = self._undo[-1].block if self._undo else None
            self.head = prev if prev is not None else BlockRef(undo.block.number - 1, undo.block.parent_hash, "")
        if self.head.number != number:
            raise ReorgTooDeep(f"rolled back to {self.head.number}, wanted {number}")
        return restored

    def known_hash(self, number: int) -> str | None:
        """The hash this store applied at `number`, if still in the undo window."""
        if self.head.number == number:
            return self.head.hash
        for undo in self._undo:
            if undo.block.number == number:
                return undo.block.hash
            if undo.block.number == number + 1:
                return undo.block.parent_hash
        return None


def _apply(pool: Pool, event: StateEvent) -> None:
    if isinstance(event, SyncEvent):
        if not isinstance(pool, UniswapV2Pool):
            raise AmmError(f"Sync event for non-V2 pool {pool.address}")
        pool.apply_sync(event.reserve0, event.reserve1)
    elif isinstance(event, V3SwapEvent):
        if not isinstance(pool, UniswapV3Pool | UniswapV4Pool):
            raise AmmError(f"Swap event for a pool without ticks {pool.address}")
        pool.apply_swap_event(event.sqrt_price_x96, event.liquidity, event.tick)
    elif isinstance(event, ProtocolFeeEvent):
        if not isinstance(pool, UniswapV4Pool):
            raise AmmError(f"ProtocolFeeUpdated for non-V4 pool {pool.address}")
        pool.apply_fees(protocol_fee=event.protocol_fee)
    else:
        if not isinstance(pool, UniswapV3Pool | UniswapV4Pool):
            raise AmmError(f"liquidity event for a pool without ticks {pool.address}")
        pool.apply_liquidity_change(event.tick_lower, event.tick_upper, event.delta)
