"""Current pool state, kept in step with the chain block by block, with an undo log for reorgs.

Pure bookkeeping: it is handed blocks and their logs (see updater.py for the I/O side). Before a
block first touches a pool, a copy of that pool is kept; rolling back a block restores the copies.

A Balancer V2 pool of N tokens is held as its pair views (`arbbot.amm.balancer_pair`), keyed
``<pool id>#i-j``, all sharing the pool's one model. An event of that pool changes the model once and
reports every view's key as changed; the undo log keeps one copy of the model per block, and a rollback
puts back views that again share one (restored) model.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arbbot.amm.balancer_pair import BalancerPairView, NTokenPool
from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.state.balancer import KINDS, BalancerStateError, Call, apply_event
from arbbot.state.events import (
    BALANCER_EVENTS,
    BALANCER_VAULT_TOPICS,
    MalformedLog,
    ProtocolFeeEvent,
    StateEvent,
    SyncEvent,
    V3LiquidityEvent,
    V3SwapEvent,
    decode,
    pool_key,
    topic0,
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
    timestamp: int | None = None  # None when not read: models that quote at a block's time then keep theirs


@dataclass
class _Undo:
    block: BlockRef
    saved: dict[str, Pool] = field(default_factory=dict)  # address -> state before this block
    # Balancer pool id -> (its model before this block, the (key, i, j) of its views then)
    balancer: dict[str, tuple[NTokenPool, tuple[tuple[str, int, int], ...]]] = field(default_factory=dict)


class PoolStore:
    """Every tracked pool's exact model at `head`, advanced block by block from logs, with undo records that roll back
    a reorganisation up to `max_undo` blocks deep."""

    def __init__(self, pools: Iterable[Pool], at: BlockRef, max_undo: int = 64) -> None:
        self.pools: dict[str, Pool] = {}
        self.head = at
        self._undo: deque[_Undo] = deque(maxlen=max_undo)
        self.skipped_logs = 0
        # Balancer: pool id -> keys of its tracked views; pool contract (lower case) -> pool id
        self._bal_views: dict[str, list[str]] = {}
        self._bal_ids: dict[str, str] = {}
        for p in pools:
            self.add(p)

    def __len__(self) -> int:
        return len(self.pools)

    def get(self, address: str) -> Pool | None:
        """The tracked pool at `address` (any case), or None."""
        return self.pools.get(address.lower())

    def add(self, pool: Pool) -> None:
        """Track a pool, replacing any at the same address.

        A Balancer pair view joins the views of its pool already tracked; they must share its model (ValueError
        otherwise: two models of one pool would drift apart)."""
        key = pool.address.lower()
        if isinstance(pool, BalancerPairView):
            pool_id = pool.pool_id.lower()
            keys = self._bal_views.setdefault(pool_id, [])
            others = [k for k in keys if k != key and k in self.pools]
            if others and self.balancer_model(pool_id) is not pool.underlying:
                raise ValueError(f"views of Balancer pool {pool_id} do not share one model ({key} vs {others[0]})")
            if key not in keys:
                keys.append(key)
            self._bal_ids[pool.underlying.address.lower()] = pool_id
        self.pools[key] = pool

    def balancer_model(self, pool_id: str) -> NTokenPool | None:
        """The one model every tracked view of Balancer pool `pool_id` shares, or None when none is tracked."""
        for key in self._bal_views.get(pool_id.lower(), ()):
            view = self.pools.get(key)
            if isinstance(view, BalancerPairView):
                return view.underlying
        return None

    def balancer_pools(self) -> dict[str, NTokenPool]:
        """Every tracked Balancer pool's model, by pool id."""
        out = {}
        for pool_id in self._bal_views:
            model = self.balancer_model(pool_id)
            if model is not None:
                out[pool_id] = model
        return out

    def _balancer_views(self, pool_id: str) -> tuple[tuple[str, int, int], ...]:
        views = (self.pools.get(k) for k in self._bal_views.get(pool_id, ()))
        return tuple((v.address, v.i, v.j) for v in views if isinstance(v, BalancerPairView))

    def _drop_balancer(self, pool_id: str) -> set[str]:
        keys = set(self._bal_views.get(pool_id, ()))
        for key in keys:
            self.pools.pop(key, None)
        self._bal_views[pool_id] = []
        return keys

    def _apply_balancer(self, undo: _Undo, pool_id: str, emitter: str, entry: dict[str, Any]) -> set[str]:
        """One log for Balancer pool `pool_id`: the keys of its views that changed (all of them, or none)."""
        model = self.balancer_model(pool_id)
        if model is None:
            return set()
        from_vault = topic0(entry) in BALANCER_VAULT_TOPICS
        if emitter != (model.vault if from_vault else model.address).lower():
            return set()  # a Vault event from anyone but its Vault, a pool event from anyone but the pool
        try:
            event = decode(entry)
            if event is None:
                return set()
            if not isinstance(event, BALANCER_EVENTS):
                raise BalancerStateError(f"{type(event).__name__} is not a Balancer event")
            if pool_id not in undo.balancer:  # once per block: the state before the block's first event
                undo.balancer[pool_id] = (model.copy(), self._balancer_views(pool_id))
            apply_event(model, event, undo.block.timestamp)  # unchanged when it raises
        except (MalformedLog, BalancerStateError) as exc:
            # Never guess: every view of a pool whose update we cannot read goes until the pool is re-synced.
            log.warning("dropping Balancer pool %s: %s", pool_id, exc)
            undo.balancer.setdefault(pool_id, (model.copy(), self._balancer_views(pool_id)))
            self.skipped_logs += 1
            self._drop_balancer(pool_id)
            return set()
        return set(self._bal_views[pool_id])

    def apply_block(
        self,
        block: BlockRef,
        logs: Iterable[dict[str, Any]],
        lp_fees: Mapping[str, int] | None = None,
        balancer_reads: Mapping[str, Mapping[str, tuple[Any, ...]]] | None = None,
    ) -> set[str]:
        """Apply one block's logs (in log order), then the dynamic LP fees read at its end (pool id ->
        fee: V4 fee hooks change them without an event) and the answers of Balancer pools' per-block calls
        read at its end (pool id -> answers by call name; see `balancer_block_calls`: a pause lapses without
        an event); returns the keys of pools that changed
        (for a Balancer pool, every one of its views)."""
        if block.parent_hash.lower() != self.head.hash.lower():
            raise ReorgDetected(block.number, block.parent_hash, self.head.hash)
        undo = _Undo(block)
        changed: set[str] = set()
        if block.timestamp is not None:
            changed |= self._move_to_time(undo, block.timestamp)
        for entry in logs:
            keyed = pool_key(entry)
            if keyed is None or entry.get("removed"):
                continue
            address, emitter = keyed
            bal_id = address if address in self._bal_views else self._bal_ids.get(address)
            if bal_id is not None:
                changed |= self._apply_balancer(undo, bal_id, emitter, entry)
                continue
            pool = self.pools.get(address)
            if pool is None:
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
            if event is None or isinstance(event, BALANCER_EVENTS):
                continue  # a Balancer event shape from a contract that is no Balancer pool says nothing
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
        for pool_id, answers in (balancer_reads or {}).items():
            changed |= self._book_block_reads(undo, pool_id.lower(), answers)
        self._undo.append(undo)
        self.head = block
        return changed

    def _move_to_time(self, undo: _Undo, timestamp: int) -> set[str]:
        """Move every Balancer model that quotes at a block's time to this block's (amplification ramps, rate caches
        expiring); the views of those whose quotes may have moved."""
        changed: set[str] = set()
        for pool_id, model in self.balancer_pools().items():
            kind = KINDS.get(model.kind)
            if kind is None or kind.at_time is None:
                continue
            saved, views = model.copy(), self._balancer_views(pool_id)
            try:
                moved = kind.at_time(model, timestamp)
            except BalancerStateError as exc:
                log.warning("dropping Balancer pool %s: %s", pool_id, exc)
                undo.balancer.setdefault(pool_id, (saved, views))
                self._drop_balancer(pool_id)
                continue
            if moved is None:  # already at this time: nothing to undo
                continue
            undo.balancer.setdefault(pool_id, (saved, views))
            if moved:
                changed |= set(self._bal_views[pool_id])
        return changed

    def _book_block_reads(self, undo: _Undo, pool_id: str, answers: Mapping[str, tuple[Any, ...]]) -> set[str]:
        model = self.balancer_model(pool_id)
        kind = KINDS.get(model.kind) if model is not None else None
        if model is None or kind is None:
            return set()
        saved, views = model.copy(), self._balancer_views(pool_id)
        before = model.to_dict()
        try:
            kind.book(model, answers)
        except BalancerStateError as exc:
            log.warning("dropping Balancer pool %s: %s", pool_id, exc)
            undo.balancer.setdefault(pool_id, (saved, views))
            self._drop_balancer(pool_id)
            return set()
        if model.to_dict() == before:
            return set()
        undo.balancer.setdefault(pool_id, (saved, views))
        return set(self._bal_views[pool_id])

    def balancer_block_calls(self) -> dict[str, tuple[str, tuple[Call, ...]]]:
        """Pool id -> (pool contract, calls) of each tracked Balancer pool with state that moves without an event
        (a paused pool: its pause lapses when its buffer period ends); the updater reads these after every block."""
        out = {}
        for pool_id, model in self.balancer_pools().items():
            kind = KINDS.get(model.kind)
            calls = kind.block_calls(model) if kind is not None else ()
            if calls:
                out[pool_id] = (model.address, calls)
        return out

    def dynamic_fee_pools(self) -> dict[str, list[str]]:
        """PoolManager -> ids of its tracked dynamic-fee pools (their LP fee is read every block)."""
        out: dict[str, list[str]] = {}
        for key, pool in self.pools.items():
            if isinstance(pool, UniswapV4Pool) and pool.dynamic_fee:
                out.setdefault(pool.manager, []).append(key)
        return out

    def rollback_to(self, number: int) -> set[str]:
        """Undo every applied block above `number`; returns the keys whose state was restored (a Balancer pool's views
        all point at its one restored model)."""
        restored: set[str] = set()
        while self.head.number > number:
            if not self._undo:
                raise ReorgTooDeep(f"cannot roll back below block {self.head.number}: undo log exhausted")
            undo = self._undo.pop()
            for address, saved in undo.saved.items():
                self.pools[address] = saved
                restored.add(address)
            for pool_id, (model, views) in undo.balancer.items():
                restored |= self._drop_balancer(pool_id)
                for key, i, j in views:
                    self.pools[key] = BalancerPairView(model, i, j)
                    restored.add(key)
                self._bal_views[pool_id] = [key for key, _, _ in views]
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
    elif isinstance(event, V3LiquidityEvent):
        if not isinstance(pool, UniswapV3Pool | UniswapV4Pool):
            raise AmmError(f"liquidity event for a pool without ticks {pool.address}")
        pool.apply_liquidity_change(event.tick_lower, event.tick_upper, event.delta)
    else:
        raise AmmError(f"{type(event).__name__} does not apply to pool {pool.address}")
