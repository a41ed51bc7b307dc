"""Cycle pricing and the victim overlay on exact pool models (random states)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.backrun import PoolDirectory, Router, apply_victim
from arbbot.strategy.mempool import PendingSwap, SwapLeg

W, U, D = "0x" + "01" * 20, "0x" + "02" * 20, "0x" + "03" * 20
P1, P2, P3, P4 = ("0x" + f"{i:040x}" for i in (0xA1, 0xA2, 0xA3, 0xA4))
FACTORY = "0x" + "fa" * 20

reserve = st.integers(10**15, 10**24)


def _pools(r: list[int]) -> dict[str, UniswapV2Pool]:
    pools = [
        UniswapV2Pool(P1, W, U, r[0], r[1]),
        UniswapV2Pool(P2, W, U, r[2], r[3]),
        UniswapV2Pool(P3, U, D, r[4], r[5]),
        UniswapV2Pool(P4, W, D, r[6], r[7]),
    ]
    return {p.address.lower(): p for p in pools}


@settings(max_examples=60, deadline=None)
@given(st.lists(reserve, min_size=8, max_size=8))
def test_every_candidate_is_exactly_profitable_on_the_models(r: list[int]) -> None:
    pools = _pools(r)
    arb = CycleArbitrage(pools, [W], max_hops=3)
    assert len(arb) == 2 * 3  # W-U-W over two pools (both ways), W-U-D-W twice (two W/U pools) both ways
    for c in arb.on_update(pools.keys(), pools):
        models = [pools[h.pool.lower()] for h in c.hops]
        out = CycleArbitrage.quote(models, c.hops, c.amount_in)
        assert c.gross_profit == out - c.amount_in > 0
        # The optimum: nearby sizes never do better beyond integer-rounding jitter (a wei per hop).
        for x in (c.amount_in - 1, c.amount_in + 1, c.amount_in * 99 // 100, c.amount_in * 101 // 100):
            assert CycleArbitrage.quote(models, c.hops, x) - x <= c.gross_profit + len(c.hops)


def test_only_cycles_through_changed_pools_are_repriced() -> None:
    pools = _pools([10**21, 3 * 10**24, 10**21, 2 * 10**24, 10**24, 10**24, 10**21, 10**21])
    arb = CycleArbitrage(pools, [W], max_hops=3)
    assert {c.pools for c in arb.touching([P3])} == {c.pools for c in arb.index.cycles if P3 in c.pools}
    before = arb.priced
    found = arb.on_update([P4], pools)
    assert arb.priced - before == len(arb.touching([P4])) == 4
    assert all(P4 in c.pools for c in found) and found  # the W/U price gap is tradable through P4
    assert found == sorted(found, key=lambda c: -c.gross_profit)


def test_victim_swap_is_applied_to_copies_only() -> None:
    pools = _pools([10**21, 3 * 10**24, 10**21, 3 * 10**24, 10**24, 10**24, 10**21, 10**21])
    directory = PoolDirectory([(FACTORY, W, U, 30, P1), (FACTORY, U, D, 30, P3)])
    router = Router("uniswap_v2_router02", "0x" + "99" * 20, FACTORY)
    swap = PendingSwap("uniswap_v2_router02", True, 10**19, 0, (SwapLeg(W, U, None), SwapLeg(U, D, None)), 2**60)
    effect = apply_victim((swap,), router, pools, directory)
    assert effect is not None and set(effect.pools) == {P1, P3}
    expected_mid = pools[P1].quote_exact_in(W, 10**19)
    assert effect.amount_out == pools[P3].quote_exact_in(U, expected_mid)
    assert pools[P1].reserve0 == 10**21  # the live state is untouched
    assert effect.pools[P1].reserve0 == 10**21 + 10**19
    too_greedy = PendingSwap("uniswap_v2_router02", True, 10**19, 10**40, swap.legs, 2**60)
    assert apply_victim((too_greedy,), router, pools, directory) is None  # it would revert: no backrun
    exact_out = PendingSwap("uniswap_v2_router02", False, 10**20, 10**30, swap.legs, 2**60)
    out_effect = apply_victim((exact_out,), router, pools, directory)
    assert out_effect is not None and out_effect.amount_out == 10**20
    assert out_effect.amount_in == pools[P1].quote_exact_out(W, pools[P3].quote_exact_out(U, 10**20))
