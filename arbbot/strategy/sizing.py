"""How much to put into a cycle: closed form for all-V2 cycles, bracketed search otherwise.

Both work on exact integer quotes; the closed form only proposes a starting point, which is then
settled on the exact integer maximum of the real quote function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

GOLDEN = Fraction(618_034, 1_000_000)  # 1/phi, to six digits: plenty for an integer search


@dataclass(frozen=True)
class V2Hop:
    reserve_in: int
    reserve_out: int
    fee_bps: int = 30


def v2_amount_out(amount_in: int, hop: V2Hop) -> int:
    """UniswapV2Library.getAmountOut with the fee as a parameter (30 bps = 997/1000)."""
    if amount_in <= 0 or hop.reserve_in <= 0 or hop.reserve_out <= 0:
        return 0
    with_fee = amount_in * (10_000 - hop.fee_bps)
    return with_fee * hop.reserve_out // (hop.reserve_in * 10_000 + with_fee)


def v2_cycle_out(amount_in: int, hops: Sequence[V2Hop]) -> int:
    out = amount_in
    for hop in hops:
        out = v2_amount_out(out, hop)
    return out


def v2_virtual_pool(hops: Sequence[V2Hop]) -> tuple[Fraction, Fraction, Fraction]:
    """Collapse a path of constant-product pools into one (Ea, Eb, gamma) pool (gamma of the first hop).

    A path's output, ignoring integer rounding, equals gamma*x*Eb / (Ea + gamma*x); folding pools one
    by one keeps that form (the standard virtual-reserves construction).
    """
    first = hops[0]
    gamma0 = Fraction(10_000 - first.fee_bps, 10_000)
    ea, eb = Fraction(first.reserve_in), Fraction(first.reserve_out)
    for hop in hops[1:]:
        g = Fraction(10_000 - hop.fee_bps, 10_000)
        denom = hop.reserve_in + g * eb
        ea, eb = ea * hop.reserve_in / denom, g * eb * hop.reserve_out / denom
    return ea, eb, gamma0


def v2_cycle_optimal_input(hops: Sequence[V2Hop]) -> int:
    """Integer input that maximises out - in for an all-V2 cycle (0 if the cycle is not profitable)."""
    if not hops:
        raise ValueError("hops: a cycle needs at least one hop")
    ea, eb, gamma = v2_virtual_pool(hops)
    if eb * gamma <= ea:  # marginal rate at zero input <= 1: no size makes money
        return 0
    # d/dx [gamma*x*Eb/(Ea+gamma*x) - x] = 0  =>  x* = (sqrt(Ea*Eb*gamma) - Ea) / gamma
    prod = ea * eb * gamma
    root = Fraction(isqrt(prod.numerator * prod.denominator), prod.denominator)
    guess = max(1, int((root - ea) / gamma))
    return integer_argmax(lambda x: v2_cycle_out(x, hops) - x, max(1, guess - 64), guess + 64)[0]


def integer_argmax(f: Callable[[int], int], lo: int, hi: int) -> tuple[int, int]:
    """Argmax of a unimodal-up-to-rounding integer function on [lo, hi] by golden-section search.

    Integer rounding makes real quote functions only nearly unimodal, so the last few points are
    checked exhaustively.
    """
    if lo > hi:
        raise ValueError(f"empty search range [{lo}, {hi}]")
    a, b = lo, hi
    while b - a > 32:
        span = b - a
        c = b - int(span * GOLDEN)
        d = a + int(span * GOLDEN)
        if c >= d:
            d = c + 1
        if f(c) >= f(d):
            b = d
        else:
            a = c
    best = max(range(a, b + 1), key=lambda x: (f(x), -x))
    return best, f(best)


def bracketed_optimum(profit: Callable[[int], int], max_input: int, min_input: int = 1) -> tuple[int, int]:
    """Best input for any cycle (V3 included) from exact quotes: grow a bracket, then golden-section.

    `profit(x)` is the exact net result of putting x in (negative when it loses). Returns (0, 0) when
    no input in range is profitable.
    """
    if max_input < min_input:
        return 0, 0
    # Doubling finds where profit stops rising; the optimum lies within [x/2, 2x] of that point.
    x, prev = min_input, profit(min_input)
    while x * 2 <= max_input:
        nxt = profit(x * 2)
        if nxt < prev:
            break
        x, prev = x * 2, nxt
    lo, hi = max(min_input, x // 2), min(max_input, x * 2)
    best, value = integer_argmax(profit, lo, hi)
    return (best, value) if value > 0 else (0, 0)
