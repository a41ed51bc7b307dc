"""Backrun candidates from MEV-Share hints (pure: no I/O).

A hint reveals only part of a private transaction. What it says decides how the victim's effect is modelled:

* a Uniswap V2 `Sync(reserve0, reserve1)` log of a known pool: the pool's reserves after the victim,
  exactly (assumption "exact": only that the victim lands as simulated by the matchmaker);
* a Uniswap V3 `Swap` log with its data: the pool's price, tick and liquidity after the victim, exactly;
* a V2 `Swap` log with amounts: the reserves moved by exactly those amounts ("amounts");
* a log of a known pool without usable data, or a tx hint whose `to` is a known pool (or a router with
  the pools it may touch given): pool known, direction and size unknown -> both directions, each over a
  ladder of victim sizes ("ladder:<token_in>:<size>").

Every candidate carries the assumption it was made under. Fail closed: the caller sends each one only as
a bundle that references the victim by hash with the backrun's on-chain minProfit guard, so a wrong
assumption makes the backrun revert (and a `canRevert: false` bundle is then not included): nothing is
lost but the bundle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v3.tick_math import get_tick_at_sqrt_ratio
from arbbot.chain import pool_events
from arbbot.strategy.arbitrage import Candidate, CycleArbitrage
from arbbot.strategy.backrun import _Overlay

# The events a hint's logs are read for (decoded by arbbot.chain.pool_events, the one decoder of each).
V2_SYNC = pool_events.V2Sync.TOPIC
V2_SWAP = pool_events.V2Swap.TOPIC
V3_SWAP = pool_events.V3Swap.TOPIC

MAX_U112 = 2**112 - 1


@dataclass(frozen=True)
class HintCandidate:
    """A backrun candidate made from a MEV-Share hint, with the assumption it rests on and the victim's tx hash.

    `assumption` is `"exact"`, `"amounts"` or `"ladder:<token_in>:<victim amount in>"` (see the module docs).
    """

    candidate: Candidate
    assumption: str  # "exact" | "amounts" | "ladder:<token_in>:<victim amount in>"
    victim_hash: str


class LogHint(Protocol):
    """A log as a hint shows it (the collector's HintLog has this shape)."""

    @property
    def address(self) -> str:
        """The emitting contract's address."""

    @property
    def topics(self) -> tuple[str, ...]:
        """The log's topics as 0x-hex strings (topic 0: the event signature hash)."""

    @property
    def data(self) -> bytes:
        """The log's data bytes (empty when the hint withholds them)."""


def effect_of_log(log: LogHint, pool: Pool) -> tuple[Pool, str] | None:
    """The pool after the victim as an exactly-stated log says, or None if the log states nothing usable.

    A hint may reveal topic 0 alone (the indexed fields withheld): such a log is read for its data; a log that is
    not exactly its event's shape (see arbbot.chain.pool_events) states nothing."""
    topic = log.topics[0] if log.topics else None
    if topic not in (V2_SYNC, V2_SWAP, V3_SWAP):
        return None
    event = pool_events.try_decode(log.topics, log.data, withheld_ok=True)
    p = pool.copy()
    try:
        if isinstance(event, pool_events.V2Sync) and hasattr(p, "apply_sync"):
            if event.reserve0 == 0 or event.reserve1 == 0:
                return None  # an emptied pair: nothing to trade against
            p.apply_sync(event.reserve0, event.reserve1)
            return p, "exact"
        if isinstance(event, pool_events.V2Swap) and hasattr(p, "apply_sync"):
            r0 = p.reserve0 + event.amount0_in - event.amount0_out  # type: ignore[attr-defined]
            r1 = p.reserve1 + event.amount1_in - event.amount1_out  # type: ignore[attr-defined]
            if not (0 < r0 <= MAX_U112 and 0 < r1 <= MAX_U112):
                return None
            p.apply_sync(r0, r1)
            return p, "amounts"
        if isinstance(event, pool_events.V3Swap) and hasattr(p, "apply_swap_event"):
            sqrt_price, tick = event.sqrt_price_x96, event.tick
            # The pool's tick is the price's, or one below when a downward swap stopped on a tick boundary.
            if tick not in (at := get_tick_at_sqrt_ratio(sqrt_price), at - 1):
                return None
            p.apply_swap_event(sqrt_price, event.liquidity, tick)
            return p, "exact"
    except (AmmError, ValueError, OverflowError):
        return None
    return None


class HintStrategy:
    """Hint -> backrun candidates over the same cycle index the block and mempool strategies use."""

    def __init__(
        self,
        arbitrage: CycleArbitrage,
        *,
        ladder: Sequence[int] = (10**17, 10**18, 10**19, 10**20),
        router_pools: Mapping[str, Sequence[str]] | None = None,
        max_ladder_pools: int = 4,
    ) -> None:
        if not ladder or any(x <= 0 for x in ladder):
            raise ValueError(f"ladder sizes must be positive, got {list(ladder)}")
        self.arbitrage = arbitrage
        self.ladder = tuple(sorted(ladder))
        self.router_pools = {k.lower(): tuple(a.lower() for a in v) for k, v in (router_pools or {}).items()}
        self.max_ladder_pools = max_ladder_pools

    def candidates(
        self,
        victim_hash: str,
        logs: Iterable[LogHint],
        tx_targets: Iterable[str | None],
        pools: Mapping[str, Pool],
        limit: int | None = None,
        size_top: int | None = None,
    ) -> list[HintCandidate]:
        """Best first: candidates on exact post-states, then on amounts, then the ladder (smallest victim
        first: the assumption most likely to hold when the victim is at least that big)."""
        exact: dict[str, Pool] = {}
        kinds: dict[str, str] = {}
        unsized: list[str] = []
        for log in logs:
            address = log.address.lower()
            pool = pools.get(address)
            if pool is None:
                continue
            if kinds.get(address) == "exact" and log.topics and log.topics[0] == V2_SWAP:
                continue  # a V2 pair emits Sync (the post-state) before Swap: the amounts are already in it
            found = effect_of_log(log, exact.get(address, pool))
            if found is None:
                if address not in exact:
                    unsized.append(address)
                continue
            exact[address], kinds[address] = found
        out: list[HintCandidate] = []
        if exact:
            view = _Overlay(pools, exact)
            kind = "exact" if all(k == "exact" for k in kinds.values()) else "amounts"
            for c in self.arbitrage.on_update(exact.keys(), view, limit, size_top):
                out.append(HintCandidate(c, kind, victim_hash))
            return out  # the logs said how the pools move: no guessing on top of that
        for to in tx_targets:
            if to is None:
                continue
            to = to.lower()
            if to in pools:
                unsized.append(to)
            unsized.extend(a for a in self.router_pools.get(to, ()) if a in pools)
        seen: set[str] = set()
        targets = [a for a in unsized if not (a in seen or seen.add(a))][: self.max_ladder_pools]  # type: ignore[func-returns-value]
        # Smallest victim first, both directions at each rung: a caller that sends only the first few still
        # covers both directions with the assumptions most likely to hold.
        failed: set[tuple[str, str]] = set()
        for size in self.ladder:
            for address in targets:
                pool = pools[address]
                for token_in in (pool.token0, pool.token1):
                    if (address, token_in) in failed:
                        continue
                    moved = pool.copy()
                    try:
                        moved.apply_swap(token_in, size)
                    except AmmError:
                        failed.add((address, token_in))  # larger victims fail too
                        continue
                    view = _Overlay(pools, {address: moved})
                    for c in self.arbitrage.on_update([address], view, limit, size_top):
                        out.append(HintCandidate(c, f"ladder:{token_in.lower()}:{size}", victim_hash))
        return out
