"""Costs and the fail-closed send rule: exact integer math, every failed condition blocks a send."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arbbot.strategy.costs import (
    builder_payment,
    cold_access_bound,
    judge,
    loan_fee,
    max_fee_per_gas,
    min_gross_for,
    net_profit,
    worst_base_fee,
)


def test_builder_payment_rounds_down_like_the_contract() -> None:
    assert builder_payment(10_001, 5_000) == 5_000
    assert builder_payment(-5, 9_000) == 0


def test_loan_fee_rounds_up() -> None:
    assert loan_fee(10_001, 1) == 2 and loan_fee(0, 9) == 0


def test_worst_base_fee_grows_by_an_eighth_per_block() -> None:
    assert worst_base_fee(800, 1) == 800
    assert worst_base_fee(800, 3) == 800 + 100 + 112
    assert max_fee_per_gas(7, 2, 3) == 7 + 1 + 3  # +1 wei at least, plus the tip


@given(
    net=st.integers(0, 10**20),
    gas=st.integers(21_000, 2_000_000),
    fee=st.integers(1, 10**12),
    share=st.integers(0, 9_999),
)
def test_min_gross_is_the_smallest_gross_that_reaches_the_net(net: int, gas: int, fee: int, share: int) -> None:
    gross = min_gross_for(net, gas, fee, share)
    assert gross is not None
    assert net_profit(gross, gas, fee, share) >= net
    assert gross == 0 or net_profit(gross - 1, gas, fee, share) < net


def test_a_full_share_can_never_pay_for_gas() -> None:
    assert min_gross_for(1, 100_000, 1, 10_000) is None


_OK = dict(
    sim_success=True, sim_gross_profit=10**18, model_gross_profit=10**18, gas_charged=200_000, fee_per_gas=10**9,
    share_bps=5_000, min_profit=0, max_gas=1_000_000, fee_cap=10**11,
)  # fmt: skip


def test_judge_sends_only_when_everything_holds() -> None:
    v = judge(**_OK)
    assert v.send and v.net_profit == 10**18 // 2 - 200_000 * 10**9
    for change in (
        {"sim_success": False},
        {"sim_gross_profit": None},
        {"sim_gross_profit": 10**18 - 1},  # disagrees with the model
        {"gas_charged": 1_000_001},
        {"fee_per_gas": 10**11 + 1},  # base fee spike over the cap
        {"min_profit": 10**18},
        {"sim_gross_profit": 1, "model_gross_profit": 1},  # cannot pay its gas
    ):
        assert not judge(**{**_OK, **change}).send, change


@given(
    gross=st.integers(-(10**18), 10**19),
    gas=st.integers(0, 3_000_000),
    fee=st.integers(0, 10**12),
    share=st.integers(0, 10_000),
    min_profit=st.integers(0, 10**18),
    success=st.booleans(),
)
def test_a_sent_verdict_always_means_profit_after_all_costs(
    gross: int, gas: int, fee: int, share: int, min_profit: int, success: bool
) -> None:
    v = judge(
        sim_success=success, sim_gross_profit=gross, model_gross_profit=gross, gas_charged=gas, fee_per_gas=fee,
        share_bps=share, min_profit=min_profit, max_gas=1_000_000, fee_cap=10**11,
    )  # fmt: skip
    if v.send:
        assert success and 0 < gas <= 1_000_000 and 0 < fee <= 10**11
        builder = gross * share // 10_000  # written out: a sent trade has a positive gross
        assert gross - builder - gas * fee == v.net_profit >= max(min_profit, 1)
    else:  # refused: something failed, or the net (written out) misses the floor
        net = gross - (gross * share // 10_000 if gross > 0 else 0) - gas * fee
        assert not success or gas == 0 or gas > 1_000_000 or fee == 0 or fee > 10**11 or net < max(min_profit, 1)


def test_cold_access_bound_grows_with_hops() -> None:
    assert cold_access_bound(2) < cold_access_bound(3) < cold_access_bound(4)
