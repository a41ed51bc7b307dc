"""Known values and properties of the V3 math libraries (pure, no chain)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbbot.amm.errors import ContractRevert, InvalidAmount
from arbbot.amm.uniswap_v3 import tick_bitmap
from arbbot.amm.uniswap_v3.full_math import mul_div, mul_div_rounding_up
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)


def test_tick_math_bounds_and_center() -> None:
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(0) == 1 << 96
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
    with pytest.raises(ContractRevert):
        get_sqrt_ratio_at_tick(MAX_TICK + 1)
    with pytest.raises(ContractRevert):
        get_tick_at_sqrt_ratio(MAX_SQRT_RATIO)


@given(st.integers(min_value=MIN_TICK, max_value=MAX_TICK - 1))
def test_tick_round_trip_and_monotonic(tick: int) -> None:
    ratio = get_sqrt_ratio_at_tick(tick)
    assert get_tick_at_sqrt_ratio(ratio) == tick
    assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick + 1) - 1) == tick
    assert ratio < get_sqrt_ratio_at_tick(tick + 1)


@given(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1), st.integers(1, 2**256 - 1))
def test_mul_div_is_exact_or_reverts(a: int, b: int, d: int) -> None:
    exact = a * b // d
    if exact >= 2**256:
        with pytest.raises(ContractRevert):
            mul_div(a, b, d)
        return
    assert mul_div(a, b, d) == exact
    up = -(-(a * b) // d)
    if up < 2**256:
        assert mul_div_rounding_up(a, b, d) == up


def test_next_initialized_tick_within_one_word() -> None:
    bitmap: dict[int, int] = {}
    for t in (-200, -55, 70, 78, 84, 139, 240, 535):
        tick_bitmap.flip_tick(bitmap, t, 1)
    nxt = tick_bitmap.next_initialized_tick_within_one_word
    assert nxt(bitmap, 78, 1, False) == (84, True)
    assert nxt(bitmap, 77, 1, False) == (78, True)
    assert nxt(bitmap, -56, 1, False) == (-55, True)
    assert nxt(bitmap, 255, 1, False) == (511, False)  # end of the word
    assert nxt(bitmap, 78, 1, True) == (78, True)
    assert nxt(bitmap, 79, 1, True) == (78, True)
    assert nxt(bitmap, 258, 1, True) == (256, False)
    assert nxt(bitmap, -1, 1, True) == (-55, True)
    with pytest.raises(ContractRevert):
        tick_bitmap.flip_tick(bitmap, 5, 10)


def test_mint_and_burn_keep_ticks_bitmap_and_liquidity_consistent() -> None:
    pool = UniswapV3Pool.from_positions([(-600, 600, 10**18), (-120, 60, 5 * 10**17)], 1 << 96, fee=3000)
    assert pool.liquidity == 15 * 10**17
    assert pool.ticks[-120].liquidity_net == 5 * 10**17 and pool.ticks[60].liquidity_net == -(5 * 10**17)
    pool.apply_liquidity_change(-120, 60, -(5 * 10**17))  # burn it all: ticks cleared, bits flipped back
    assert -120 not in pool.ticks and 60 not in pool.ticks
    assert pool.liquidity == 10**18
    assert tick_bitmap.next_initialized_tick_within_one_word(pool.bitmap, -1, 60, True) == (-600, True)


def test_exact_in_then_exact_out_round_trip_and_crossing() -> None:
    pool = UniswapV3Pool.from_positions(
        [(-6000, 6000, 10**20), (-600, 600, 10**21), (1200, 3000, 10**21)], 1 << 96, fee=3000
    )
    out = pool.quote_exact_in("token0", 10**20)
    needed = pool.quote_exact_out("token0", out)
    assert needed <= 10**20 and pool.quote_exact_in("token0", needed) >= out
    big = pool.swap(False, 10**22)
    assert big.ticks_crossed >= 2  # through 600 and into [1200, 3000)
    with pytest.raises(InvalidAmount):
        pool.quote_exact_in("token0", 0)
    with pytest.raises(ContractRevert, match="SPL"):
        pool.swap(True, 10, sqrt_price_limit_x96=pool.sqrt_price_x96 + 1)


def test_zero_liquidity_gap_is_jumped() -> None:
    # Liquidity below and above the price, none at it: a swap must skip the gap to the next range.
    pool = UniswapV3Pool.from_positions([(-1200, -600, 10**21), (600, 1200, 10**21)], 1 << 96, fee=3000)
    assert pool.liquidity == 0
    result = pool.swap(False, 10**18)
    assert result.tick >= 600 and -result.amount0 > 0
