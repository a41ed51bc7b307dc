"""SPL token-swap and Raydium AMM v4 quotes: hand-computed cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.solana.errors import QuoteError
from arbbot.solana.quote.constant_product import (
    raydium_swap_base_in_out,
    spl_ceil_div,
    token_swap_constant_product_out,
    token_swap_fee,
)


def test_ceil_div_keeps_the_product_covering_the_dividend() -> None:
    assert spl_ceil_div(12, 5) == (3, 4)  # 12/5 -> 3, then 12/3 = 4 exactly
    assert spl_ceil_div(400, 32) == (13, 31)  # 400/32 -> 13, then 400/13 = 30.8 -> 31
    assert spl_ceil_div(600, 1000) == (1, 0)  # quotient 0, dividend >= half the divisor
    assert spl_ceil_div(1, 1000) == (0, 0)
    assert spl_ceil_div(10, 5) == (2, 5)


def test_token_swap_fee_minimum_one() -> None:
    assert token_swap_fee(1_000_000, 25, 10_000) == 2_500
    assert token_swap_fee(10, 25, 10_000) == 1  # 0.025 floors to 0, the program charges 1
    assert token_swap_fee(10, 0, 10_000) == 0


def test_token_swap_hand_computed() -> None:
    # fees 2500 + 500 off 1_000_000 -> 997_000 in; invariant 1e9 * 2e9 = 2e18;
    # new destination = ceil(2e18 / 1_000_997_000) = 1_998_007_987 -> out 2e9 - 1_998_007_987
    assert token_swap_constant_product_out(1_000_000, 10**9, 2 * 10**9, (25, 10_000), (5, 10_000)) == 1_992_013


def test_raydium_hand_computed() -> None:
    # fee ceil(1_000_000 * 25 / 10_000) = 2_500; out = floor(1e11 * 997_500 / (5e11 + 997_500))
    assert raydium_swap_base_in_out(1_000_000, 5 * 10**11, 10**11, 25, 10_000) == 199_499
    # fee ceil(401 * 25 / 10_000 = 1.0025) = 2; out = floor(1e11 * 399 / (5e11 + 399)) = 79
    assert raydium_swap_base_in_out(401, 5 * 10**11, 10**11, 25, 10_000) == 79


def test_raydium_matches_a_mainnet_swap_log() -> None:
    # swap_base_in log: amount_in 8100000000, total_pc 44216203657379, total_coin 389985580796223,
    # swap_in_after_deduct_fee 8079750000, swap_amount_out 916055586 (coin to pc, fee 25/10000)
    assert raydium_swap_base_in_out(8_100_000_000, 389_985_580_796_223, 44_216_203_657_379, 25, 10_000) == 916_055_586


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(QuoteError, match="amount_in must be positive"):
        raydium_swap_base_in_out(0, 10, 10, 25, 10_000)
    with pytest.raises(QuoteError, match="must be a u64"):
        token_swap_constant_product_out(1 << 64, 10, 10, (0, 1), (0, 1))
    with pytest.raises(QuoteError, match="yields nothing"):
        raydium_swap_base_in_out(400, 10**12, 10, 25, 10_000)
    # A fee under half a unit: 0 in builds before raydium-amm 78c6a81, 1 since; at half a unit both charge 1.
    with pytest.raises(QuoteError, match="under half a unit"):
        raydium_swap_base_in_out(199, 10**9, 10**9, 25, 10_000)
    assert raydium_swap_base_in_out(200, 10**9, 10**9, 25, 10_000) == 199 * 10**9 // (10**9 + 199)
    with pytest.raises(QuoteError, match="swap_fee_denominator is 0"):
        raydium_swap_base_in_out(10, 10, 10, 25, 0)
    # A fee rate above 1 takes more than the amount: the program's checked_sub fails.
    with pytest.raises(QuoteError, match="swap fee 15 exceeds amount_in 10"):
        raydium_swap_base_in_out(10, 10**6, 10**6, 3, 2)


reserve = st.integers(10**3, 10**15)
amount = st.integers(1, 10**12)


@settings(max_examples=300, deadline=None)
@given(amount, reserve, reserve, st.integers(0, 100), st.integers(0, 100))
def test_token_swap_never_loses_invariant(x: int, r_in: int, r_out: int, fee_n: int, owner_n: int) -> None:
    try:
        out = token_swap_constant_product_out(x, r_in, r_out, (fee_n, 10_000), (owner_n, 10_000))
    except QuoteError:
        return
    fees = token_swap_fee(x, fee_n, 10_000) + token_swap_fee(x, owner_n, 10_000)
    assert 0 < out < r_out
    assert (r_in + x - fees) * (r_out - out) >= r_in * r_out  # the pool never gives away value to rounding
    assert out <= x * r_out // r_in + 1  # never better than the spot price


@settings(max_examples=300, deadline=None)
@given(amount, reserve, reserve, st.integers(0, 100))
def test_raydium_monotonic_and_bounded(x: int, r_in: int, r_out: int, fee_n: int) -> None:
    try:
        a = raydium_swap_base_in_out(x, r_in, r_out, fee_n, 10_000)
    except QuoteError:
        return
    b = raydium_swap_base_in_out(x + 1, r_in, r_out, fee_n, 10_000)
    assert b >= a
    assert a < r_out
    assert a * (r_in + x) <= x * r_out  # fee only lowers the output below the no-fee curve
