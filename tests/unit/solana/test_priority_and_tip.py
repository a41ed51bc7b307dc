"""Compute-unit price/limit and tip sizing: the arithmetic, its bounds and its refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbbot.solana.errors import FeeFloorError
from arbbot.solana.fees import TipPolicy, size_tip
from arbbot.solana.priority import PriorityPolicy, compute_unit_limit, compute_unit_price
from arbbot.solana.transaction import MAX_COMPUTE_UNIT_LIMIT


def test_price_is_the_nearest_rank_percentile_clamped() -> None:
    fees = [0, 0, 100, 200, 300, 400, 500, 600, 700, 800]
    assert compute_unit_price(fees, PriorityPolicy(percentile=75)) == 600  # rank ceil(7.5) = 8
    assert compute_unit_price(fees, PriorityPolicy(percentile=50)) == 300
    assert compute_unit_price(fees, PriorityPolicy(percentile=100, max_price=650)) == 650
    assert compute_unit_price(fees, PriorityPolicy(percentile=0, min_price=50)) == 50
    assert compute_unit_price([], PriorityPolicy(min_price=7)) == 7


def test_limit_is_units_times_margin_plus_headroom_capped() -> None:
    assert compute_unit_limit(100_000, PriorityPolicy()) == 121_000
    assert compute_unit_limit(1, PriorityPolicy(margin_bps=10_000, headroom=0)) == 1
    assert compute_unit_limit(1_300_000, PriorityPolicy()) == MAX_COMPUTE_UNIT_LIMIT
    with pytest.raises(ValueError, match="consumed 0"):
        compute_unit_limit(0, PriorityPolicy())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"percentile": 101}, "percentile"), ({"min_price": 5, "max_price": 4}, "price bounds"),
     ({"margin_bps": 9_999}, "margin_bps"), ({"headroom": -1}, "headroom")],
)  # fmt: skip
def test_priority_policy_refuses_bad_bounds(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        PriorityPolicy(**kwargs)


def test_tip_is_a_share_of_the_surplus_within_bounds() -> None:
    policy = TipPolicy(share_bps=5_000, min_tip=1_000, max_tip=50_000)
    assert size_tip(100_000, 10_000, 0, policy) == 45_000
    assert size_tip(13_000, 10_000, 0, policy) == 1_500
    assert size_tip(12_500, 10_000, 2_000, policy) == 2_000  # the floor wins over the share
    assert size_tip(10**12, 0, 0, policy) == 50_000  # capped
    with pytest.raises(FeeFloorError, match="not more than the lowest tip"):
        size_tip(12_000, 10_000, 2_000, policy)
    with pytest.raises(FeeFloorError, match="above the configured maximum"):
        size_tip(10**12, 0, 60_000, policy)


@given(
    profit=st.integers(0, 10**12), other=st.integers(0, 10**7), floor=st.integers(0, 10**6),
    share=st.integers(0, 10_000),
)  # fmt: skip
def test_a_sized_tip_lands_and_leaves_profit(profit: int, other: int, floor: int, share: int) -> None:
    policy = TipPolicy(share_bps=share, min_tip=1_000, max_tip=10**8)
    try:
        tip = size_tip(profit, other, floor, policy)
    except FeeFloorError:
        assert profit - other <= max(floor, 1_000) or max(floor, 1_000) > 10**8
        return
    assert max(floor, 1_000) <= tip <= 10**8
    assert tip < profit - other or tip == max(floor, 1_000) < profit - other
