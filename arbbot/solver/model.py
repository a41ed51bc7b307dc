"""What the solver takes and gives: hops, solutions, the exact cycle quote."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import UniswapV2Pool

BPS = 10_000


@dataclass(frozen=True)
class Hop:
    """One hop of a cycle for the solver: the pool model and the swap direction."""

    pool: Pool
    zero_for_one: bool

    @property
    def token_in(self) -> str:
        """The token this hop takes in (`token0` when `zero_for_one`)."""
        return self.pool.token0 if self.zero_for_one else self.pool.token1


@dataclass(frozen=True)
class Solution:
    """The solver's answer: the integer input, its exact output and profit (after the loan fee, in the cycle's token).

    `certified` means no integer input in range does better (proven by the bound and a full scan of the
    window that could); `quotes` counts the exact cycle quotes spent.
    """

    amount_in: int
    amount_out: int
    profit: int  # amount_out - amount_in - loan fee, exact
    certified: bool  # no integer input in range does better (proven by the bound and a full scan)
    quotes: int  # exact cycle quotes spent


Quote = Callable[[Sequence[Hop], int], int | None]


def loan_fee(amount: int, fee_bps: int) -> int:
    """Rounded up, as lenders charge (Balancer's mulUp)."""
    return -(-amount * fee_bps // BPS)


def quote_cycle(hops: Sequence[Hop], amount: int) -> int | None:
    """Exact output for `amount` in through every hop; None when a hop would revert or gives nothing."""
    out = amount
    try:
        for hop in hops:
            out = hop.pool.quote_exact_in(hop.token_in, out)
            if out <= 0:
                return None
    except AmmError:
        return None
    return out


def _out(hop: Hop, amount: int) -> int:
    try:
        return hop.pool.quote_exact_in(hop.token_in, amount) if amount > 0 else 0
    except AmmError:
        return 0


def hop_min_input(hop: Hop, need: int) -> int | None:
    """The smallest input whose exact output through this hop is >= need (None: unreachable)."""
    pool = hop.pool
    if type(pool) is UniswapV2Pool:
        r_in, r_out = (pool.reserve0, pool.reserve1) if hop.zero_for_one else (pool.reserve1, pool.reserve0)
        g = BPS - pool.fee_bps
        if need >= r_out or g <= 0 or r_in <= 0:
            return None
        # floor(u*g*r_out / (r_in*BPS + u*g)) >= need  <=>  u*g*(r_out - need) >= need*r_in*BPS
        return max(1, -(-need * r_in * BPS // (g * (r_out - need))))
    try:
        guess = pool.quote_exact_out(hop.token_in, need)
    except AmmError:
        return None
    if _out(hop, guess) < need:
        # The exact-output path can round differently: search upwards, then bisect.
        lo, step = guess, 1
        while _out(hop, guess + step) < need:
            step *= 2
            if step > 1 << 256:
                return None
        lo, hi = guess + step // 2, guess + step
    else:
        lo, hi = guess - 1, guess
        step = 1
        while lo >= 1 and _out(hop, lo) >= need:
            hi, step = lo, step * 2
            lo = hi - step
        lo = max(lo, 0)
    while hi - lo > 1:  # out(lo) < need <= out(hi)
        mid = (lo + hi) // 2
        if _out(hop, mid) >= need:
            hi = mid
        else:
            lo = mid
    return hi


def cycle_min_input(hops: Sequence[Hop], need: int) -> int | None:
    """The smallest cycle input whose exact output is >= need (each hop is non-decreasing)."""
    for hop in reversed(hops):
        m = hop_min_input(hop, need)
        if m is None:
            return None
        need = m
    return need
