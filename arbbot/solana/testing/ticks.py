"""Liquidity positions of the concentrated-liquidity test worlds (Raydium CLMM, Orca Whirlpool), shared: a position
and the per-tick (liquidity_net, liquidity_gross) it makes, and the account writer both worlds take."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solders.pubkey import Pubkey


@dataclass(frozen=True)
class Position:
    """A liquidity position for `build_ticks`: `liquidity` between `tick_lower` and `tick_upper` (multiples of the
    pool's spacing)."""

    tick_lower: int
    tick_upper: int
    liquidity: int


def build_ticks(positions: list[Position]) -> dict[int, tuple[int, int]]:
    """tick -> (liquidity_net, liquidity_gross) from positions."""
    ticks: dict[int, tuple[int, int]] = {}
    for p in positions:
        for t, sign in ((p.tick_lower, 1), (p.tick_upper, -1)):
            net, gross = ticks.get(t, (0, 0))
            ticks[t] = (net + sign * p.liquidity, gross + p.liquidity)
    return ticks


Put = Callable[[Pubkey, Pubkey, bytes], None]  # (address, owner program, data)
