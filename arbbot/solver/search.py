"""Bracketed search for curves without a closed form: only exact quotes, no shape assumed beyond
"rises, then falls" (with integer rounding jitter near the top)."""

from __future__ import annotations

from collections.abc import Callable

GOLDEN_NUM, GOLDEN_DEN = 618_034, 1_000_000  # 1/phi to six digits: plenty for an integer search

Profit = Callable[[int], int | None]  # None: the input cannot be traded (a pool would revert, or 0 out)


def integer_argmax(f: Callable[[int], int], lo: int, hi: int) -> tuple[int, int]:
    """Argmax of a unimodal-up-to-rounding integer function on [lo, hi] by golden-section search;
    the last few points are checked exhaustively (rounding makes real quote functions only nearly
    unimodal). Ties go to the smaller input."""
    if lo > hi:
        raise ValueError(f"empty search range [{lo}, {hi}]")
    a, b = lo, hi
    while b - a > 32:
        span = b - a
        c = b - span * GOLDEN_NUM // GOLDEN_DEN
        d = a + span * GOLDEN_NUM // GOLDEN_DEN
        if c >= d:
            d = c + 1
        if f(c) >= f(d):
            b = d
        else:
            a = c
    best = max(range(a, b + 1), key=lambda x: (f(x), -x))
    return best, f(best)


def first_tradable(profit: Profit, min_input: int, max_input: int) -> int | None:
    """The smallest power-of-two multiple of min_input that gets a non-zero amount through every hop.

    Tiny inputs round to nothing (1 wei in, 0 out): a search must start where the route is alive,
    not stop there."""
    x = min_input
    while x <= max_input:
        if profit(x) is not None:
            return x
        x *= 2
    return None


def bracketed_optimum(profit: Profit, max_input: int, min_input: int = 1) -> tuple[int, int]:
    """Best input from exact quotes alone: grow a bracket from the first tradable input, golden-section
    inside it, then walk by single units to a local integer optimum. (0, 0) when nothing in range pays."""
    if max_input < min_input or min_input < 1:
        return 0, 0
    memo: dict[int, int] = {}

    def f(x: int) -> int:
        if x not in memo:
            v = profit(x)
            memo[x] = v if v is not None else -(1 << 512)
        return memo[x]

    start = first_tradable(profit, min_input, max_input)
    if start is None:
        return 0, 0
    # Near the first tradable input, rounding costs a few units and can grow with size before the price
    # gap pays (1 wei of WETH buys 0 USDC units, 2^20 buys a little less than it should): profit may fall
    # before it rises, so climbing stops at nothing. The best of a coarse grid over the whole range is
    # past that dust; the optimum lies within a grid step of it.
    grid = [start]
    while grid[-1] * 4 <= max_input:
        grid.append(grid[-1] * 4)
    x = max(grid, key=f)
    lo, hi = max(min_input, x // 4), min(max_input, x * 4)
    best, value = integer_argmax(f, lo, hi)
    best, value = walk(f, best, value, min_input, max_input)
    return (best, value) if value > 0 else (0, 0)


def walk(f: Callable[[int], int], x: int, value: int, lo: int, hi: int, max_steps: int = 1 << 12) -> tuple[int, int]:
    """Move by single units while a neighbour is strictly better (a plateau can be long: never walk it)."""
    for _ in range(max_steps):
        moved = False
        for y in (x - 1, x + 1):
            if lo <= y <= hi:
                v = f(y)
                if v > value:
                    x, value, moved = y, v, True
                    break
        if not moved:
            break
    return x, value


def plateau_walk(
    out: Callable[[int], int],
    min_input: Callable[[int], int | None],
    cost: Callable[[int], int],
    x: int,
    lo: int,
    hi: int,
    max_moves: int = 8,
) -> tuple[int, int]:
    """A local integer optimum of out(x) - cost(x), where out is non-decreasing and cost increasing.

    Output is constant on runs of inputs ("plateaus": an intermediate token with few decimals moves
    once per hundreds of millions of input units), and on a plateau the smallest input is best. So
    the walk goes from plateau edge to plateau edge, each found exactly by `min_input(y)` (the
    smallest input whose output is >= y), never wei by wei. `out` returns 0 for untradable inputs."""

    def value(x: int) -> int:
        o = out(x) if lo <= x <= hi else 0
        return o - cost(x) if o > 0 else -(1 << 512)

    def edge(x: int) -> int:
        o = out(x)
        if o <= 0 or x <= lo or out(x - 1) < o:
            return x  # not on a plateau (the usual case): no inversion needed
        m = min_input(o)
        return m if m is not None and lo <= m <= x else x

    x = edge(x)
    best = value(x)
    for _ in range(max_moves):
        o = out(x)
        candidates = []
        if o <= 0:
            nxt = None
        elif x < hi and out(x + 1) > o:
            nxt = x + 1
        else:
            nxt = min_input(o + 1)
        if nxt is not None and x < nxt <= hi:
            candidates.append(nxt)
        if x - 1 >= lo:
            candidates.append(edge(x - 1))
        moved = False
        for y in candidates:
            v = value(y)
            if v > best:
                x, best, moved = y, v, True
                break
        if not moved:
            break
    return x, best
