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
from arbbot.strategy.arbitrage import Candidate, CycleArbitrage
from arbbot.strategy.backrun import _Overlay

# keccak256 of the event signatures
V2_SYNC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"  # Sync(uint112,uint112)
V2_SWAP = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"  # Swap(address,4 x uint256,address)
# Swap(address,address,int256,int256,uint160,uint128,int24)
V3_SWAP = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"

MAX_U112 = 2**112 - 1
MIN_SQRT, MAX_SQRT = 4295128739, 1461446703485210103287313537499064193838596009  # V3 TickMath bounds


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


def _words(data: bytes, n: int) -> list[int] | None:
    if len(data) != 32 * n:
        return None
    return [int.from_bytes(data[32 * i : 32 * i + 32], "big") for i in range(n)]


def _signed(word: int, bits: int = 256) -> int:
    return word - (1 << bits) if word >> (bits - 1) else word


def effect_of_log(log: LogHint, pool: Pool) -> tuple[Pool, str] | None:
    """The pool after the victim as an exactly-stated log says, or None if the log states nothing usable."""
    topic = log.topics[0] if log.topics else None
    p = pool.copy()
    try:
        if topic == V2_SYNC and hasattr(p, "apply_sync"):
            w = _words(log.data, 2)
            if w is None or w[0] > MAX_U112 or w[1] > MAX_U112 or w[0] == 0 or w[1] == 0:
                return None
            p.apply_sync(w[0], w[1])
            return p, "exact"
        if topic == V2_SWAP and hasattr(p, "apply_sync"):
            w = _words(log.data, 4)
            if w is None:
                return None
            r0 = p.reserve0 + w[0] - w[2]  # type: ignore[attr-defined]
            r1 = p.reserve1 + w[1] - w[3]  # type: ignore[attr-defined]
            if not (0 < r0 <= MAX_U112 and 0 < r1 <= MAX_U112):
                return None
            p.apply_sync(r0, r1)
            return p, "amounts"
        if topic == V3_SWAP and hasattr(p, "apply_swap_event"):
            w = _words(log.data, 5)
            if w is None:
                return None
            sqrt_price, liquidity, tick = w[2], w[3], _signed(w[4])
            if not (MIN_SQRT <= sqrt_price < MAX_SQRT) or liquidity >= 2**128 or not -887272 <= tick <= 887272:
                return None
            # The pool's tick is the price's, or one below when a downward swap stopped on a tick boundary.
            if tick not in (at := get_tick_at_sqrt_ratio(sqrt_price), at - 1):
                return None
            p.apply_swap_event(sqrt_price, liquidity, tick)
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
