"""Pair views of an N-token Balancer pool: one shared state behind every pair, copies per pool, and cycles that
never route through one pool twice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm import base
from arbbot.amm.balancer_pair import BalancerPairView, copy_views, pair_views, underlying_id, view_id
from arbbot.amm.balancer_weighted import BalancerWeightedPool, scaling_factor
from arbbot.amm.errors import ContractRevert
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.strategy.arbitrage import CycleArbitrage

WETH = "0x" + "11" * 20
DAI = "0x" + "22" * 20
USDC = "0x" + "33" * 20
ONE = 10**18
PID = "0x" + "AB" * 20 + "0001" + "00" * 9 + "07"


def _model() -> BalancerWeightedPool:
    return BalancerWeightedPool(
        "0x" + "ab" * 20, PID, "0x" + "ba" * 20, (WETH, DAI, USDC),
        [100 * ONE, 320_000 * ONE, 320_000 * 10**6], (5 * 10**17, 3 * 10**17, 2 * 10**17),
        (scaling_factor(18), scaling_factor(18), scaling_factor(6)), 3 * 10**15,
    )  # fmt: skip


def test_one_view_per_pair_in_the_pools_order_keyed_by_pool_id() -> None:
    views = pair_views(_model())
    assert [(v.token0, v.token1) for v in views] == [(WETH, DAI), (WETH, USDC), (DAI, USDC)]
    assert [v.address for v in views] == [f"{PID.lower()}#0-1", f"{PID.lower()}#0-2", f"{PID.lower()}#1-2"]
    assert {underlying_id(v.address) for v in views} == {PID.lower()}
    assert underlying_id("0xAbC") == "0xabc"  # any other pool is its own group
    assert views[0].pool_id == PID and views[0].vault == "0x" + "ba" * 20


def test_views_quote_what_the_model_quotes_in_both_directions() -> None:
    m = _model()
    v = pair_views(m)[1]  # WETH/USDC
    assert v.quote_exact_in(WETH, ONE) == m.quote_exact_in(WETH, USDC, ONE) > 0
    assert v.quote_exact_in(USDC, 10**9) == m.quote_exact_in(USDC, WETH, 10**9) > 0
    assert v.quote_exact_out(WETH, 10**9) == m.quote_exact_out(WETH, USDC, 10**9)
    with pytest.raises(ValueError, match="neither token0 nor token1"):
        v.quote_exact_in(DAI, ONE)
    with pytest.raises(ContractRevert, match="304"):  # more than 30% of the balance in
        v.quote_exact_in(WETH, 31 * ONE)


def test_a_swap_through_one_view_moves_every_view_of_the_pool() -> None:
    views = pair_views(_model())
    before = views[2].quote_exact_in(DAI, 1000 * ONE)  # DAI -> USDC
    views[0].apply_swap(WETH, 5 * ONE)  # WETH in, DAI out: the pool now holds less DAI
    assert views[2].quote_exact_in(DAI, 1000 * ONE) > before


def test_copies_are_per_pool_and_independent_of_the_original() -> None:
    views = pair_views(_model())
    v2 = UniswapV2Pool("0x" + "cc" * 20, WETH, DAI, 10 * ONE, 30_000 * ONE)
    pools: dict[str, base.Pool] = {v.address: v for v in views} | {v2.address: v2}
    copies = copy_views(pools, [views[0].address, v2.address])
    # Every view of the copied pool comes along, over one shared copy.
    assert set(copies) == {v.address for v in views} | {v2.address}
    c0, c2 = copies[views[0].address], copies[views[2].address]
    assert isinstance(c0, BalancerPairView) and isinstance(c2, BalancerPairView)
    assert c0.underlying is c2.underlying and c0.underlying is not views[0].underlying
    before = views[2].quote_exact_in(DAI, 1000 * ONE)
    c0.apply_swap(WETH, 5 * ONE)
    assert c2.quote_exact_in(DAI, 1000 * ONE) > before  # the copies move together
    assert views[2].quote_exact_in(DAI, 1000 * ONE) == before  # the original does not
    assert copies[v2.address] is not v2 and copies[v2.address] == v2
    assert copy_views(pools, [v2.address]).keys() == {v2.address}


def test_a_view_survives_its_snapshot_exactly() -> None:
    v = pair_views(_model())[2]
    again = base.from_dict(v.to_dict())
    assert isinstance(again, BalancerPairView)
    assert again.to_dict() == v.to_dict() and again.address == v.address
    assert again.quote_exact_in(DAI, 12345 * ONE) == v.quote_exact_in(DAI, 12345 * ONE)
    with pytest.raises(ValueError, match="unknown Balancer pool kind 'nope'"):
        base.from_dict({"kind": "balancer_pair", "i": 0, "j": 1, "underlying": {"kind": "nope"}})
    with pytest.raises(ValueError, match=r"pair \(1, 1\)"):
        BalancerPairView(_model(), 1, 1)
    assert view_id("0xAB", 0, 2) == "0xab#0-2"


def test_cycles_never_pass_through_one_balancer_pool_twice() -> None:
    views = pair_views(_model())
    a = UniswapV2Pool("0x" + "c1" * 20, WETH, DAI, 10 * ONE, 30_000 * ONE)
    b = UniswapV2Pool("0x" + "c2" * 20, DAI, USDC, 10**6 * ONE, 10**6 * 10**6)
    pools: dict[str, base.Pool] = {p.address: p for p in [*views, a, b]}
    arb = CycleArbitrage(pools, [WETH], max_hops=3)
    cycles = {tuple(e.pool for e in c.edges) for c in arb.index.cycles}
    ids = {v.address for v in views}
    for c in cycles:
        assert len({underlying_id(p) for p in c}) == len(c)
    # Without the rule WETH->DAI (pool), DAI->USDC (b), USDC->WETH (pool) would be one of them.
    assert (views[0].address, b.address, views[1].address) not in cycles
    # Cycles mixing one pair of the pool with the other venues are all there.
    assert (views[0].address, a.address) in cycles and (a.address, views[0].address) in cycles
    assert (views[1].address, b.address, a.address) in cycles
    # Both directions of pair 0-1 with a, and of pair 0-2 with b and a: pair 1-2 would need a second pair.
    assert sum(1 for c in cycles if set(c) & ids) == 4


@settings(max_examples=300, deadline=None)
@given(
    balance=st.integers(1, 2**100),
    decimals=st.sampled_from([0, 6, 8, 18]),
    fee=st.integers(10**12, 10**17),
)
def test_the_search_bound_is_never_below_an_accepted_input(balance: int, decimals: int, fee: int) -> None:
    """Every input above `max_amount_in` is refused with BAL#304 (the solver never searches past it), and the bound
    is tight: an input no more than a few units below it is still traded unless the output rounds to nothing."""
    m = BalancerWeightedPool(
        "0xp", PID, "0xv", (WETH, DAI), [balance, 10**30], (5 * 10**17, 5 * 10**17),
        (scaling_factor(decimals), scaling_factor(18)), fee,
    )  # fmt: skip
    v = pair_views(m)[0]
    bound = v.max_amount_in(WETH)
    assert bound is not None
    for x in (bound + 1, bound + 2, bound * 2):
        with pytest.raises(ContractRevert, match="304"):
            v.quote_exact_in(WETH, x)
    # Tight: the largest accepted input is within a few units of the bound (a search loses nothing real).
    lo, hi = 1, bound + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            v.quote_exact_in(WETH, mid)
            lo = mid
        except ContractRevert as exc:
            assert "304" in str(exc)
            hi = mid
    assert 0 <= bound - lo <= 5


def test_a_dislocated_balancer_and_v2_cycle_is_sized_on_exact_quotes_within_the_pools_limit() -> None:
    m = BalancerWeightedPool(
        "0xp", PID, "0xv", (WETH, DAI), [100 * ONE, 240_000 * ONE], (5 * 10**17, 5 * 10**17),
        (scaling_factor(18), scaling_factor(18)), 3 * 10**15,
    )  # fmt: skip
    view = pair_views(m)[0]  # WETH at 2,400 DAI: sold here first
    v2 = UniswapV2Pool("0x" + "c1" * 20, WETH, DAI, 1_000 * ONE, 2_000_000 * ONE)  # WETH at 2,000 DAI
    pools: dict[str, base.Pool] = {view.address: view, v2.address: v2}
    arb = CycleArbitrage(pools, [WETH], max_hops=2)
    found = arb.on_update([view.address], pools)
    assert len(found) == 1
    c = found[0]
    assert [h.pool for h in c.hops] == [view.address, v2.address] and c.hops[0].fee_bps == 0
    out = v2.quote_exact_in(DAI, view.quote_exact_in(WETH, c.amount_in))
    assert c.gross_profit == out - c.amount_in > 0
    bound = view.max_amount_in(WETH)
    assert bound is not None and c.amount_in <= bound
    # No input on a fine grid over the whole feasible range beats it.
    for k in range(1, 400):
        x = bound * k // 400
        try:
            p = v2.quote_exact_in(DAI, view.quote_exact_in(WETH, x)) - x
        except ContractRevert:
            continue
        assert p <= c.gross_profit
