"""Whirlpool math: tick <-> sqrt price, one swap step, and the swap loop across tick arrays.

Known cases are the Whirlpool program's own unit-test expectations (inputs and exact outputs), which
this model must reproduce to the unit.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.whirlpool import TICK_ARRAY_SIZE, Tick, TickArray
from arbbot.solana.quote.whirlpool_math import (
    MAX_SQRT_PRICE_X64,
    MAX_TICK_INDEX,
    MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
    compute_swap_step,
    sqrt_price_from_tick_index,
    tick_index_from_sqrt_price,
)
from arbbot.solana.quote.whirlpool_swap import WhirlpoolSwapResult, swap, swap_tick_array_starts

Q64 = 1 << 64


def test_sqrt_price_exact_bits() -> None:
    assert sqrt_price_from_tick_index(0) == Q64
    cases = {
        1: (18447666387855959850, 18445821805675392311),
        2: (18448588748116922571, 18444899583751176498),
        4: (18450433606991734263, 18443055278223354162),
        8: (18454123878217468680, 18439367220385604838),
    }
    for tick, (up, down) in cases.items():
        assert sqrt_price_from_tick_index(tick) == up
        assert sqrt_price_from_tick_index(-tick) == down
    assert sqrt_price_from_tick_index(MAX_TICK_INDEX) == MAX_SQRT_PRICE_X64
    assert sqrt_price_from_tick_index(MIN_TICK_INDEX) == MIN_SQRT_PRICE_X64
    with pytest.raises(QuoteError, match="tick index 443637 outside"):
        sqrt_price_from_tick_index(MAX_TICK_INDEX + 1)


def test_tick_from_sqrt_price_edges() -> None:
    assert tick_index_from_sqrt_price(MAX_SQRT_PRICE_X64) == MAX_TICK_INDEX
    assert tick_index_from_sqrt_price(MAX_SQRT_PRICE_X64 - 1) == MAX_TICK_INDEX - 1
    assert tick_index_from_sqrt_price(MIN_SQRT_PRICE_X64) == MIN_TICK_INDEX
    assert tick_index_from_sqrt_price(MIN_SQRT_PRICE_X64 + 1) == MIN_TICK_INDEX
    assert tick_index_from_sqrt_price(Q64) == 0
    assert tick_index_from_sqrt_price(Q64 + 1) == 0
    assert tick_index_from_sqrt_price(Q64 - 1) == -1


@settings(max_examples=400, deadline=None)
@given(st.integers(MIN_TICK_INDEX, MAX_TICK_INDEX - 1))
def test_tick_roundtrip_and_ordering(tick: int) -> None:
    price = sqrt_price_from_tick_index(tick)
    assert tick_index_from_sqrt_price(price) == tick
    assert price < sqrt_price_from_tick_index(tick + 1)


@settings(max_examples=400, deadline=None)
@given(st.integers(MIN_SQRT_PRICE_X64, MAX_SQRT_PRICE_X64 - 1))
def test_tick_from_any_price_brackets_it(price: int) -> None:
    tick = tick_index_from_sqrt_price(price)
    assert sqrt_price_from_tick_index(tick) <= price < sqrt_price_from_tick_index(tick + 1)


def test_swap_step_with_fee_hand_computed() -> None:
    liquidity, fee_rate, amount = 10**12, 3_000, 1_000_000
    amount_in, amount_out, next_price, fee = compute_swap_step(
        amount, fee_rate, liquidity, Q64, MIN_SQRT_PRICE_X64, True, True
    )
    after_fee = amount * (1_000_000 - fee_rate) // 1_000_000  # 997_000
    # adding A at sqrt price 1: new price = L * 2^64 / (L + in), rounded up
    expected_price = -(-liquidity * Q64 // (liquidity + after_fee))
    assert next_price == expected_price
    assert amount_out == liquidity * (Q64 - expected_price) >> 64  # B out, rounded down
    assert amount_in == -(-(liquidity * (Q64 - expected_price) << 64) // (Q64 * expected_price))  # A in, up
    assert amount_in + fee == amount  # not at the target: the rest of the input is the fee
    assert amount_in <= after_fee


def _array(start: int, spacing: int, ticks: list[tuple[int, int]]) -> TickArray:
    slots = [Tick(False, 0, 0)] * TICK_ARRAY_SIZE
    for index, net in ticks:
        slots[(index - start) // spacing] = Tick(True, net, abs(net))
    return TickArray(start, tuple(slots), Pubkey.default())


def _run(
    spacing: int, liquidity: int, tick: int, start: int, amount: int, limit_tick: int | None, a_to_b: bool,
    arrays: list[list[tuple[int, int]]], exact_in: bool, limit: int | None = None,
) -> WhirlpoolSwapResult:  # fmt: skip
    step = -1 if a_to_b else 1
    built = [_array(start + spacing * TICK_ARRAY_SIZE * i * step, spacing, a) for i, a in enumerate(arrays)]
    return swap(
        amount=amount, a_to_b=a_to_b, exact_in=exact_in, sqrt_price=sqrt_price_from_tick_index(tick),
        tick_current_index=tick, liquidity=liquidity, fee_rate=0, tick_spacing=spacing, arrays=built,
        sqrt_price_limit=limit if limit is not None else sqrt_price_from_tick_index(limit_tick),  # type: ignore[arg-type]
    )  # fmt: skip


def _ab(r: WhirlpoolSwapResult, a_to_b: bool) -> tuple[int, int]:
    """(traded A, traded B) as the program reports them."""
    return (r.amount_in, r.amount_out) if a_to_b else (r.amount_out, r.amount_in)


# (spacing, L, tick, start, amount, limit tick, a_to_b, arrays, exact_in) -> (A, B, end tick, end L)
KNOWN = [
    ((8, 100_000, 255, 0, 100_000, 1720, False, [[(448, -100_000)], [], []], False), (948, 983, 1720, 0)),
    ((8, 100_000, 1720, 1408, 100_000, 0, True, [[], [], [(448, 100_000)]], False), (6026, 6715, -1, 0)),
    (
        (8, 100_000, 500, 0, 100_000, 1430, False,
         [[(448, 100_000)], [(768, -100_000), (1120, 100_000)], [(1536, -100_000)]], False),
        (2752, 3036, 1430, 100_000),
    ),
    (
        (8, 100_000, 1440, 1408, 100_000, 500, True,
         [[(1448, -100_000)], [(720, -100_000), (1120, 100_000)], [(448, 100_000)]], False),
        (2568, 2839, 500, 100_000),
    ),
    (
        (8, 100_000, 5, 0, 100_000, 400, False,
         [[(8, 100_000), (128, 200_000), (320, -200_000), (448, -100_000)]], False),
        (5791, 5920, 400, 200_000),
    ),
    (
        (128, 7587362620357, -22784, -33792, 10_000_000_000_000, -128, False,
         [[(-22784, 100)], [(-11392, 100)], [(-128, -100)]], True),
        (16067528741228, 5110297712223, -128, 7587362620357),
    ),
    (
        (128, 7587362620357, -256, -11264, 100_000_000_000_000, -33791, True,
         [[(-256, -100)], [(-22528, 100)], [(-33792, 100)]], True),
        (33412493784228, 6090103077425, -33791, 7587362620357),
    ),
    (
        (128, 7587362620357, -256, -11264, 100_000_000_000_000, -33792, True,
         [[(-256, -100)], [], [(-33792, 100)]], True),
        (33414548612789, 6090173110437, -33793, 7587362620357),
    ),
    (
        (8, 5_000_000_000, -225365, -225792, 100, -226000, True, [[], [], []], False),
        (613293650976, 100, -225397, 5_000_000_000),
    ),
    (
        (8, 5_000_000_000, -225365, -225792, 100, -225380, True, [[], [], []], False),
        (293539494127, 47, -225380, 5_000_000_000),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), KNOWN)
def test_swap_matches_the_program(args: tuple, expected: tuple[int, int, int, int]) -> None:
    result = _run(*args)
    a_to_b = args[6]
    assert (*_ab(result, a_to_b), result.tick_current_index, result.liquidity) == expected


def test_swap_to_max_price_without_initialized_ticks() -> None:
    r = _run(128, 10, 443635, 442368, 10**17, None, False, [[], [], []], False, limit=MAX_SQRT_PRICE_X64)
    assert (*_ab(r, False), r.tick_current_index, r.liquidity) == (0, 2147283, 443636, 10)


def test_running_past_the_tick_arrays_fails() -> None:
    with pytest.raises(QuoteError, match="runs past the tick arrays"):
        _run(8, 10**6, 0, 0, 10**12, None, False, [[]], True, limit=MAX_SQRT_PRICE_X64)


def test_tick_array_starts_follow_the_search_direction() -> None:
    assert swap_tick_array_starts(0, 64, a_to_b=True) == [0, -5632, -11264]
    assert swap_tick_array_starts(-1, 64, a_to_b=True) == [-5632, -11264, -16896]
    # b-to-a searches are shifted by one spacing: tick 5631 - 63 already looks into the next array
    assert swap_tick_array_starts(5632 - 64, 64, a_to_b=False) == [5632, 11264, 16896]
    assert swap_tick_array_starts(5632 - 65, 64, a_to_b=False) == [0, 5632, 11264]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 10**9), st.integers(0, 20_000), st.booleans(), st.integers(10**9, 10**15))
def test_exact_in_properties(amount: int, fee_rate: int, a_to_b: bool, liquidity: int) -> None:
    spacing, tick = 64, 0
    arrays = [_array(s, spacing, []) for s in swap_tick_array_starts(tick, spacing, a_to_b)]

    def run(x: int, fee: int) -> WhirlpoolSwapResult:
        return swap(
            amount=x, a_to_b=a_to_b, sqrt_price=Q64, tick_current_index=tick, liquidity=liquidity,
            fee_rate=fee, tick_spacing=spacing, arrays=arrays,
        )  # fmt: skip

    try:
        r = run(amount, fee_rate)
        bigger = run(amount + 1, fee_rate)
        no_fee = run(amount, 0)
    except QuoteError:
        return
    if r.amount_in == amount:  # fully filled within the arrays
        assert bigger.amount_out >= r.amount_out
        assert r.amount_out <= no_fee.amount_out
        assert r.amount_out <= amount  # price 1, and the pool rounds against the trader
        assert r.fee >= amount * fee_rate // 1_000_000
