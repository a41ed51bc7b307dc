"""All-V2 cycles: the same method as the general solver, written out in plain integers (the hot case).

A path of constant-product pools is one map out = C*x / (A + B*x) (virtual-reserves folding, exact in
integers), so the real optimum, the bound on any exact profit and the window that could beat a
candidate are all closed forms; only a handful of exact quotes are spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import isqrt

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.solver.model import BPS, Hop, Solution
from arbbot.solver.search import plateau_walk

_NEG = -(1 << 512)


@dataclass(frozen=True)
class Fold:
    """An all-V2 cycle folded into one map out = C·x / (A + B·x), with its relaxed optimum and profit bound.

    `params` holds each hop's exact quoting terms; `x_star` is the real maximiser rounded down, clamped to
    [1, max_input]; `upper` is an integer no exact profit can exceed; `k` is 10,000 plus the loan fee in bps.
    """

    params: tuple[tuple[int, int, int], ...]  # per hop: (reserve_in * BPS, BPS - fee, reserve_out)
    a: int
    b: int
    c: int
    k: int  # BPS + loan fee bps
    loan_fee_bps: int
    max_input: int
    x_star: int
    upper: int

    def out(self, x: int) -> int:
        """Exact output (UniswapV2Library.getAmountOut per hop); 0 when a hop rounds to nothing."""
        for a0, g, r_out in self.params:
            w = x * g
            x = w * r_out // (a0 + w)
            if x == 0:
                return 0
        return x

    def min_input(self, need: int) -> int | None:
        """The smallest input whose exact output is >= need (each hop inverted exactly)."""
        for a0, g, r_out in reversed(self.params):
            if need >= r_out:
                return None
            # floor(u*g*r_out / (a0 + u*g)) >= need  <=>  u*g*(r_out - need) >= need*a0
            need = max(1, -(-need * a0 // (g * (r_out - need))))
        return need

    def window(self, floor_p: int, budget: int) -> tuple[int, int] | None:
        """The integers with relaxed profit > floor_p (at most `budget` of them), else None.

        q(x) > p  <=>  -k*B*x^2 + (BPS*C - k*A - BPS*p*B)*x - BPS*p*A > 0."""
        alpha = self.k * self.b
        beta = BPS * self.c - self.k * self.a - BPS * floor_p * self.b
        disc = beta * beta - 4 * alpha * BPS * floor_p * self.a
        if disc < 0:
            return 1, 0
        root = isqrt(disc) + 1
        lo = max(1, (beta - root) // (2 * alpha))
        hi = min(self.max_input, -(-(beta + root) // (2 * alpha)))
        return (lo, hi) if hi - lo + 1 <= budget else None


def fold(hops: Sequence[Hop], max_input: int, loan_fee_bps: int) -> Fold | None:
    """Fold the path into one map; None when its marginal rate at zero size cannot beat the cost."""
    params = []
    big_a, big_b, big_c = 1, 0, 1
    for hop in hops:
        pool = hop.pool
        assert type(pool) is UniswapV2Pool
        r_in, r_out = (pool.reserve0, pool.reserve1) if hop.zero_for_one else (pool.reserve1, pool.reserve0)
        g = BPS - pool.fee_bps
        if r_in <= 0 or r_out <= 0 or g <= 0:
            return None
        a0 = r_in * BPS
        params.append((a0, g, r_out))
        big_a, big_b, big_c = a0 * big_a, a0 * big_b + g * big_c, g * r_out * big_c
    k = BPS + loan_fee_bps
    if big_c * BPS <= k * big_a:
        return None
    det = big_c * big_a
    # (A + B*x)^2 = C*A / k at the top, floored; and floor(sup q), which no exact profit exceeds.
    x_star = max(1, min((isqrt(det * BPS // k) - big_a) // big_b, max_input))
    upper = (BPS * big_c + k * big_a - 2 * isqrt(BPS * k * det)) // (BPS * big_b)
    return Fold(tuple(params), big_a, big_b, big_c, k, loan_fee_bps, max_input, x_star, upper)


def finish(f: Fold, scan_budget: int) -> Solution | None:
    """Exact quotes around the top, a walk to a local integer optimum, and the window scan that
    proves it global when the window is small."""
    seen: dict[int, int] = {}
    max_input, fee_bps = f.max_input, f.loan_fee_bps

    def profit(x: int) -> int:
        v = seen.get(x)
        if v is None:
            if x < 1 or x > max_input:
                v = _NEG
            else:
                o = f.out(x)
                v = _NEG if o == 0 else o - x + (-x * fee_bps // BPS)
            seen[x] = v
        return v

    x0 = f.x_star
    best, value = x0, profit(x0)
    for x in (x0 - 1, x0 + 1, x0 + 2):
        v = profit(x)
        if v > value or (v == value and x < best):
            best, value = x, v
    outs: dict[int, int] = {}

    def out(x: int) -> int:
        o = outs.get(x)
        if o is None:
            o = outs[x] = f.out(x) if 1 <= x <= max_input else 0
        return o

    best, value = plateau_walk(out, f.min_input, lambda x: x - (-x * fee_bps // BPS), best, 1, max_input)
    certified = max(value, 0) >= f.upper
    if not certified:
        window = f.window(max(value, 0), scan_budget)
        if window is not None:
            for x in range(window[0], window[1] + 1):
                v = profit(x)
                if v > value or (v == value and x < best):
                    best, value = x, v
            certified = True
    if value <= 0:
        return None
    return Solution(best, f.out(best), value, certified, len(seen) + len(outs))
