"""Sizing finds the exact integer optimum of real (integer, rounded) quote functions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.costs import loan_fee
from arbbot.strategy.sizing import (
    V2Hop,
    bracketed_optimum,
    integer_argmax,
    v2_amount_out,
    v2_cycle_optimal_input,
    v2_cycle_out,
)


def brute_force(hops: list[V2Hop], limit: int) -> tuple[int, int]:
    return max(((x, v2_cycle_out(x, hops) - x) for x in range(0, limit + 1)), key=lambda t: (t[1], -t[0]))


def test_fee_30_bps_is_uniswaps_997_over_1000() -> None:
    for amount, r_in, r_out in [(1, 10, 10), (10**18, 5 * 10**20, 10**12), (12345, 999_999, 77_777_777)]:
        legacy = amount * 997 * r_out // (r_in * 1000 + amount * 997)
        assert v2_amount_out(amount, V2Hop(r_in, r_out)) == legacy


def test_two_pool_dislocation_matches_brute_force() -> None:
    hops = [V2Hop(1_000_000, 2_000_000), V2Hop(1_900_000, 1_000_000)]  # buy cheap, sell dear
    x = v2_cycle_optimal_input(hops)
    _, bp = brute_force(hops, 200_000)
    assert x > 0
    assert v2_cycle_out(x, hops) - x == bp


def test_balanced_pools_are_not_profitable() -> None:
    hops = [V2Hop(10**21, 3 * 10**24), V2Hop(3 * 10**24, 10**21)]
    assert v2_cycle_optimal_input(hops) == 0


@settings(max_examples=100, deadline=None)
@given(
    r=st.lists(st.integers(min_value=10**3, max_value=2 * 10**4), min_size=6, max_size=6),
    fees=st.lists(st.sampled_from([5, 25, 30, 100]), min_size=3, max_size=3),
)
def test_three_hop_optimum_is_the_brute_force_optimum(r: list[int], fees: list[int]) -> None:
    # Integer rounding makes the top of the profit curve jagged; on pools this small the solver scans
    # every input the real curve allows to do better, so it lands on the global integer optimum.
    hops = [V2Hop(r[0], r[1], fees[0]), V2Hop(r[2], r[3], fees[1]), V2Hop(r[4], r[5], fees[2])]
    x = v2_cycle_optimal_input(hops)
    limit = r[5]  # out < the last pool's reserve, so any larger input loses
    _, best = brute_force(hops, limit)
    if best <= 0:
        assert x == 0 or v2_cycle_out(x, hops) - x <= 0
    else:
        assert v2_cycle_out(x, hops) - x == best


def test_integer_argmax_on_a_concave_function() -> None:
    assert integer_argmax(lambda x: -((x - 777) ** 2), 0, 10**6) == (777, 0)


def test_bracketed_optimum_finds_a_far_optimum_and_reports_unprofitable() -> None:
    peak = 3 * 10**20
    best, value = bracketed_optimum(lambda x: 10**30 - (x - peak) ** 2 // 10**10, max_input=10**24)
    assert value == 10**30 and abs(best - peak) < 10**5  # the top is flat for |x - peak| < 1e5
    assert bracketed_optimum(lambda x: -x, max_input=10**9) == (0, 0)


def test_a_cycle_whose_dust_inputs_round_to_nothing_is_still_sized() -> None:
    """1 wei of an 18-decimal token buys 0 units of a 6-decimal one, so profit falls from 1 wei up to far past
    the dust; the search must still find the profitable size (here the bracketed path: a loan fee is due)."""
    weth, usdc = "0x" + "11" * 20, "0x" + "22" * 20
    cheap = UniswapV2Pool(address="0x" + "aa" * 20, token0=weth, token1=usdc, reserve0=600 * 10**18,
                          reserve1=1_950_000 * 10**6)  # fmt: skip
    dear = UniswapV2Pool(address="0x" + "bb" * 20, token0=weth, token1=usdc, reserve0=1500 * 10**18,
                         reserve1=4_800_000 * 10**6)  # fmt: skip
    pools = {p.address: p for p in (cheap, dear)}
    arb = CycleArbitrage(pools, [weth], max_hops=2, loan_fee_bps=1)
    found = arb.on_update(pools.keys(), pools)
    assert len(found) == 1
    best = found[0]
    assert [h.pool for h in best.hops] == [cheap.address, dear.address]
    models = [cheap, dear]

    def profit(x: int) -> int:
        return CycleArbitrage.quote(models, best.hops, x) - x - loan_fee(x, 1)

    assert profit(1) < 0 and profit(10**6) < 0  # dust loses
    assert best.gross_profit == profit(best.amount_in) > 0
    fee_free = v2_cycle_optimal_input([V2Hop(600 * 10**18, 1_950_000 * 10**6), V2Hop(4_800_000 * 10**6, 1500 * 10**18)])
    assert best.gross_profit >= max(profit(fee_free), profit(best.amount_in - 1), profit(best.amount_in + 1))
