"""The solver against oracles that share none of its code: brute force over every input on small pools,
and dense scans with the pool models' own quote functions on large ones.

The oracles call `Pool.quote_exact_in` directly; the solver's curves, cells, bounds and walks are
never used to judge the solver.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import FEE_TICK_SPACING, UniswapV3Pool
from arbbot.amm.uniswap_v3.tick_math import get_sqrt_ratio_at_tick
from arbbot.solver import Hop, relax, solve
from arbbot.strategy.sizing import bracketed_optimum

FEES = sorted(FEE_TICK_SPACING)


def oracle_out(hops: list[Hop], x: int) -> int:
    """Exact cycle output straight from the models (0 when a hop reverts or gives nothing)."""
    out = x
    for hop in hops:
        try:
            out = hop.pool.quote_exact_in(hop.pool.token0 if hop.zero_for_one else hop.pool.token1, out)
        except AmmError:
            return 0
        if out <= 0:
            return 0
    return out


def oracle_profit(hops: list[Hop], x: int) -> int | None:
    out = oracle_out(hops, x)
    return None if out == 0 else out - x


def brute_force(hops: list[Hop], limit: int) -> tuple[int, int]:
    """(input, profit) of the best input in [1, limit], smallest input on ties; (0, 0) if none pays.

    Once the first pool is drained (its output stops growing) larger inputs only lose: stop there."""
    first = hops[0]
    token = first.pool.token0 if first.zero_for_one else first.pool.token1
    drained = oracle_out([first], 10**30)
    best = (0, 0)
    for x in range(1, limit + 1):
        p = oracle_profit(hops, x)
        if p is not None and p > best[1]:
            best = (x, p)
        try:
            if first.pool.quote_exact_in(token, x) >= drained:
                break
        except AmmError:
            break
    return best


def rounding_slack(hops: list[Hop], x: int) -> int:
    """What one unit of each hop's output is worth at the end of the cycle near input `x`, summed: the
    most that integer rounding alone can separate two near-optimal inputs by. A unit of an intermediate
    token can be worth many units of the input token (a pool pricing it at 5:1 makes one unit of
    rounding there five units of profit), so it is measured on the downstream hops, not assumed to be one.
    """
    slack, amount = 1, x  # the last hop's own unit
    for i in range(len(hops) - 1):
        amount = oracle_out(hops[i : i + 1], amount)
        rest = hops[i + 1 :]
        slack += max(oracle_out(rest, amount + 1) - oracle_out(rest, amount), 1)
    return slack


def last_hop_capacity(hops: list[Hop]) -> int:
    """What the last pool can pay out at most: no input above it can be profitable."""
    return max(oracle_out(hops[-1:], 10**30), 0)


# -- random small pools ---------------------------------------------------------------------------------


@st.composite
def small_v2(draw: st.DrawFn) -> UniswapV2Pool:
    r0 = draw(st.integers(10, 30_000))
    r1 = draw(st.integers(10, 30_000))
    return UniswapV2Pool("v2", "token0", "token1", r0, r1, draw(st.sampled_from([0, 5, 25, 30, 100, 1000])))


@st.composite
def small_v3(draw: st.DrawFn) -> UniswapV3Pool:
    fee = draw(st.sampled_from(FEES))
    spacing = FEE_TICK_SPACING[fee]
    positions = []
    for _ in range(draw(st.integers(1, 3))):
        lower = draw(st.integers(-30, 30)) * spacing
        upper = lower + draw(st.integers(1, 12)) * spacing
        positions.append((lower, upper, draw(st.integers(10**3, 10**7))))
    tick = draw(st.integers(-40 * spacing, 40 * spacing))
    # Anywhere inside the tick: often in a liquidity gap, sometimes exactly on an initialized tick.
    base = get_sqrt_ratio_at_tick(tick)
    span = get_sqrt_ratio_at_tick(tick + 1) - base
    price = base + draw(st.integers(0, span - 1))
    return UniswapV3Pool.from_positions(positions, price, fee=fee)


pool = st.one_of(small_v2(), small_v3())


def _check_against_brute_force(hops: list[Hop]) -> None:
    cap = last_hop_capacity(hops)
    assume(0 < cap <= 3_000)  # brute force stays cheap; every profitable input is below cap
    _, best = brute_force(hops, cap)
    solution = solve(hops)
    if best <= 0:
        assert solution is None, f"found {solution} where nothing pays"
        return
    assert solution is not None, f"missed a profitable cycle (best profit {best})"
    assert solution.profit == oracle_profit(hops, solution.amount_in)  # the reported profit is exact
    assert solution.profit == best  # the global optimum
    for y in (solution.amount_in - 1, solution.amount_in + 1):  # and a local one, by the oracle's quotes
        p = oracle_profit(hops, y) if y >= 1 else None
        assert p is None or p <= solution.profit


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(a=pool, b=pool, zero_for_one=st.booleans())
def test_two_hop_cycles_hit_the_brute_force_optimum(a: UniswapV2Pool | UniswapV3Pool, b, zero_for_one: bool) -> None:
    _check_against_brute_force([Hop(a, zero_for_one), Hop(b, not zero_for_one)])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(a=pool, b=pool, c=pool, d=st.lists(st.booleans(), min_size=3, max_size=3))
def test_three_hop_cycles_hit_the_brute_force_optimum(a, b, c, d: list[bool]) -> None:
    _check_against_brute_force([Hop(a, d[0]), Hop(b, d[1]), Hop(c, d[2])])


# -- large pools: dense scans with the models' own quotes -------------------------------------------------


@st.composite
def large_v2(draw: st.DrawFn) -> UniswapV2Pool:
    scale0 = 10 ** draw(st.integers(6, 30))
    scale1 = 10 ** draw(st.integers(6, 30))
    r0 = draw(st.integers(scale0, 10 * scale0)) % (1 << 112) or 1
    r1 = draw(st.integers(scale1, 10 * scale1)) % (1 << 112) or 1
    return UniswapV2Pool("big2", "token0", "token1", r0, r1, draw(st.sampled_from([5, 25, 30, 100])))


@st.composite
def large_v3(draw: st.DrawFn) -> UniswapV3Pool:
    fee = draw(st.sampled_from(FEES))
    spacing = FEE_TICK_SPACING[fee]
    center = draw(st.integers(-2000, 2000)) * spacing
    positions = []
    for _ in range(draw(st.integers(1, 4))):
        lower = center + draw(st.integers(-300, 300)) * spacing
        upper = lower + draw(st.integers(1, 300)) * spacing
        positions.append((lower, upper, draw(st.integers(10**12, 10**26))))
    tick = center + draw(st.integers(-200, 200)) * spacing
    return UniswapV3Pool.from_positions(positions, get_sqrt_ratio_at_tick(tick) + draw(st.integers(0, 10**9)), fee)


def _scan_points(rng: random.Random, around: int, cap: int) -> list[int]:
    points = {1, 2, 3, 10, 1000}
    points.update(int(cap * i / 64) for i in range(1, 65))
    points.update(10**e for e in range(0, 31))
    if around:
        for width in (1, 10, 10**3, 10**6, 10**9, around // 100, around // 10):
            for _ in range(6):
                points.add(around + rng.randint(-width, width))
    return sorted(p for p in points if 1 <= p <= 10**30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=st.one_of(large_v2(), large_v3()),
    b=st.one_of(large_v2(), large_v3()),
    zero_for_one=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_no_sampled_input_beats_the_solver_on_large_pools(a, b, zero_for_one: bool, seed: int) -> None:
    hops = [Hop(a, zero_for_one), Hop(b, not zero_for_one)]
    solution = solve(hops)
    cap = max(last_hop_capacity(hops), 1)
    around = solution.amount_in if solution is not None else 0
    best_seen = 0
    for x in _scan_points(random.Random(seed), around, min(cap, 10**30)):
        p = oracle_profit(hops, x)
        if p is not None:
            best_seen = max(best_seen, p)
    if solution is None:
        assert best_seen <= 0, f"solver found nothing, the scan found profit {best_seen}"
    else:
        assert solution.profit == oracle_profit(hops, solution.amount_in) > 0
        if solution.certified:
            assert solution.profit >= best_seen
        else:
            # On large pools the set of inputs the real curve allows to do better is far too wide to
            # quote (10^6..10^12 integers); inside it exact profits differ only by integer rounding,
            # at most one unit of each hop's output. The solver is held to that, never more.
            assert solution.profit >= best_seen - rounding_slack(hops, solution.amount_in)
        # A local optimum by the oracle's own quotes.
        for y in (solution.amount_in - 1, solution.amount_in + 1):
            p = oracle_profit(hops, y) if y >= 1 else None
            assert p is None or p <= solution.profit


# -- the two ways the old sizing lost cycles ----------------------------------------------------------------


def test_dust_inputs_that_round_to_nothing_do_not_end_the_search() -> None:
    # 1 and 2 wei in give 0 out (a unit of u costs ~5e8 wei of w in the first pool), yet u sells for
    # twice that in the second pool.
    a = UniswapV2Pool("a", "w", "u", 10**21, 10**12, 30)
    b = UniswapV2Pool("b", "w", "u", 10**21, 2 * 10**12, 30)
    hops = [Hop(b, True), Hop(a, False)]
    assert oracle_out(hops, 1) == oracle_out(hops, 2) == 0
    solution = solve(hops)
    assert solution is not None and solution.profit > 10**18
    # The profit-function search (kinds without a closed form) no longer stops at 1 wei either.
    x, profit = bracketed_optimum(lambda v: oracle_out(hops, v) - v, max_input=10**24)
    assert profit > 10**18 and oracle_out(hops, x) - x == profit


def test_a_pool_in_a_liquidity_gap_is_not_dropped() -> None:
    # No liquidity at the current price (marginal rate 0): the liquid range above is far cheaper than
    # the V2 pool, and crossing the gap costs nothing.
    gap = UniswapV3Pool.from_positions([(6000, 7020, 10**22)], get_sqrt_ratio_at_tick(4000), fee=3000)
    assert gap.liquidity == 0
    v2 = UniswapV2Pool("v2", "token0", "token1", 10**22, 10**22 * 3, 30)  # token1 per token0: 3
    hops = [Hop(gap, False), Hop(v2, True)]  # buy token0 with token1 in the gap pool, sell it on V2
    relaxation = relax(hops)
    assert relaxation is not None  # the exact filter keeps it
    solution = solve(hops)
    assert solution is not None and solution.profit > 0
    assert solution.profit == oracle_profit(hops, solution.amount_in)


def test_unprofitable_cycles_are_rejected_by_the_exact_bound() -> None:
    a = UniswapV2Pool("a", "w", "u", 10**21, 3 * 10**24, 30)
    b = UniswapV2Pool("b", "w", "u", 10**21, 3 * 10**24, 30)
    assert relax([Hop(a, True), Hop(b, False)]) is None
    assert solve([Hop(a, True), Hop(b, False)]) is None


def test_plateaus_of_a_low_decimal_token_are_left_at_their_smallest_input() -> None:
    # The middle token has few units: output is constant over ~1e9-wide runs of input; the best input
    # on a run is its smallest one, which the oracle confirms by stepping one wei down.
    a = UniswapV2Pool("a", "w", "u", 727739980246468085351432, 10**15, 30)
    b = UniswapV2Pool("b", "u", "d", 10**24, 10**24, 30)
    c = UniswapV2Pool("c", "w", "d", 10**24, 10**15, 30)
    hops = [Hop(a, True), Hop(b, True), Hop(c, False)]
    solution = solve(hops, max_input=10**24)
    assert solution is not None
    assert oracle_out(hops, solution.amount_in - 1) < solution.amount_out
    assert oracle_profit(hops, solution.amount_in + 1) < solution.profit


def test_loan_fee_is_charged_rounded_up_and_shifts_the_optimum_down() -> None:
    a = UniswapV2Pool("a", "w", "u", 10**21, 2 * 10**21, 30)
    b = UniswapV2Pool("b", "w", "u", 10**21, int(2.2 * 10**21), 30)
    hops = [Hop(b, True), Hop(a, False)]
    free = solve(hops)
    paid = solve(hops, loan_fee_bps=5)
    assert free is not None and paid is not None
    assert paid.amount_in < free.amount_in
    fee = -(-paid.amount_in * 5 // 10_000)
    assert paid.profit == oracle_out(hops, paid.amount_in) - paid.amount_in - fee


def test_max_input_caps_the_answer() -> None:
    a = UniswapV2Pool("a", "w", "u", 10**21, 2 * 10**21, 30)
    b = UniswapV2Pool("b", "w", "u", 10**21, int(2.2 * 10**21), 30)
    hops = [Hop(b, True), Hop(a, False)]
    capped = solve(hops, max_input=10**18)
    assert capped is not None and capped.amount_in <= 10**18 < solve(hops).amount_in  # type: ignore[union-attr]
    assert capped.profit == oracle_profit(hops, capped.amount_in)
    assert all(capped.profit >= oracle_profit(hops, x) for x in range(10**18 - 20, 10**18 + 1))  # type: ignore[operator]


@pytest.mark.parametrize("compiled", ["1", "0"])
def test_a_maximiser_past_a_tiny_first_cell_is_not_floored_into_it(compiled: str, monkeypatch) -> None:
    # The V3 pool's first range holds ~3 units of input, i.e. a cycle input of ~1e-7: the first cell
    # ends there while the real maximiser lies near 3. Flooring it into the first cell once proved
    # "nothing pays" (upper bound 0) on a cycle that makes 6 on 1 wei.
    monkeypatch.setenv("ARBBOT_NATIVE", compiled)
    a = UniswapV2Pool("a", "token0", "token1", 35_184_372_088_832, 1_048_576, 0)
    b = UniswapV3Pool.from_positions([(0, 60, 1000), (2220, 2280, 1 << 40)], get_sqrt_ratio_at_tick(0), fee=3000)
    c = UniswapV2Pool("c", "token0", "token1", 19, 33_554_432, 1000)
    hops = [Hop(a, False), Hop(b, False), Hop(c, False)]
    _, best = brute_force(hops, 2_000)
    assert best > 0
    solution = solve(hops)
    assert solution is not None and solution.profit == best == oracle_profit(hops, solution.amount_in)
