"""The Whirlpool swap loop over a sequence of tick arrays (exact input), as the program runs it.

The program receives three tick arrays in swap direction; a tick array that does not exist on chain is
read as all-zero (no initialized ticks). Running past the last array fails the swap, and so does the quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.whirlpool import TICK_ARRAY_SIZE, Tick, TickArray
from arbbot.solana.quote.whirlpool_math import (
    MAX_SQRT_PRICE_X64,
    MAX_TICK_INDEX,
    MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
    U64_MAX,
    U128_MAX,
    compute_swap_step,
    sqrt_price_from_tick_index,
    tick_index_from_sqrt_price,
)

_ZERO_TICK = Tick(False, 0, 0)


def start_tick_index(tick_index: int, tick_spacing: int, offset: int = 0) -> int:
    """Start of the tick array holding `tick_index`, moved by `offset` arrays (floor division, as on chain)."""
    ticks_in_array = TICK_ARRAY_SIZE * tick_spacing
    return (tick_index // ticks_in_array + offset) * ticks_in_array


def swap_tick_array_starts(tick_current_index: int, tick_spacing: int, a_to_b: bool, count: int = 3) -> list[int]:
    """Start indexes of the tick arrays a swap walks through; b-to-a searches are shifted by one spacing."""
    base = tick_current_index if a_to_b else tick_current_index + tick_spacing
    step = -1 if a_to_b else 1
    return [start_tick_index(base, tick_spacing, step * i) for i in range(count)]


def zeroed_tick_array(start: int) -> TickArray:
    """What the program reads for a tick array that was never initialized (SparseSwap)."""
    return TickArray(start_tick_index=start, ticks=(_ZERO_TICK,) * TICK_ARRAY_SIZE, whirlpool=Pubkey.default())


class TickSequence:
    """The arrays of one swap, in direction order (mirrors the program's SwapTickSequence)."""

    def __init__(self, arrays: Sequence[TickArray], tick_spacing: int) -> None:
        if not arrays:
            raise QuoteError("a Whirlpool swap needs at least one tick array")
        self.arrays = list(arrays)
        self.spacing = tick_spacing
        self.ticks_in_array = TICK_ARRAY_SIZE * tick_spacing

    def _in_search_range(self, array: TickArray, tick: int, shifted: bool) -> bool:
        lower = array.start_tick_index - (self.spacing if shifted else 0)
        return lower <= tick < lower + self.ticks_in_array

    def _next_in_array(self, array: TickArray, tick: int, a_to_b: bool) -> int | None:
        if not self._in_search_range(array, tick, not a_to_b):
            raise QuoteError(
                f"InvalidTickArraySequence: tick {tick} is outside the array starting at {array.start_tick_index}"
            )
        offset = (tick - array.start_tick_index) // self.spacing
        if not a_to_b:
            offset += 1
        while 0 <= offset < TICK_ARRAY_SIZE:
            if array.ticks[offset].initialized:
                return offset * self.spacing + array.start_tick_index
            offset += -1 if a_to_b else 1
        return None

    def next_initialized(self, tick: int, a_to_b: bool, array_index: int) -> tuple[int, int]:
        """The next initialized tick from `tick` in the swap direction, as (array index, tick index).

        Moves on to the next array when the current one has none; stops at the protocol's tick bounds and at the
        end of the last array given. Raises `QuoteError` when `tick` is outside the array it should be in.
        """
        search = tick
        while True:
            if array_index >= len(self.arrays):
                raise QuoteError("TickArraySequenceInvalidIndex: the swap runs past the tick arrays given")
            array = self.arrays[array_index]
            found = self._next_in_array(array, search, a_to_b)
            if found is not None:
                return array_index, found
            if a_to_b and array.start_tick_index <= MIN_TICK_INDEX:
                return array_index, MIN_TICK_INDEX
            if not a_to_b and array.start_tick_index + self.ticks_in_array > MAX_TICK_INDEX:
                return array_index, MAX_TICK_INDEX
            if array_index + 1 == len(self.arrays):
                last = array.start_tick_index if a_to_b else array.start_tick_index + self.ticks_in_array - 1
                return array_index, last
            search = array.start_tick_index - 1 if a_to_b else array.start_tick_index + self.ticks_in_array - 1
            array_index += 1

    def tick(self, array_index: int, tick: int) -> Tick | None:
        """The tick at `tick` in array `array_index`, or None when it is not in that array or not a usable tick."""
        array = self.arrays[array_index]
        in_bounds = array.start_tick_index <= tick < array.start_tick_index + self.ticks_in_array
        usable = MIN_TICK_INDEX <= tick <= MAX_TICK_INDEX and tick % self.spacing == 0
        if not in_bounds or not usable:
            return None
        return array.ticks[(tick - array.start_tick_index) // self.spacing]

    def offset(self, array_index: int, tick: int) -> int:
        """The slot of `tick` within array `array_index`."""
        return (tick - self.arrays[array_index].start_tick_index) // self.spacing


@dataclass(frozen=True)
class WhirlpoolSwapResult:
    """The outcome of `swap`: amounts in raw token units and the pool's price (Q64.64), tick and liquidity after.

    `amount_in` is the input consumed, fee included; `fee` is the fee taken from it.
    """

    amount_in: int  # input consumed, fees included
    amount_out: int
    sqrt_price: int
    tick_current_index: int
    liquidity: int
    fee: int


def swap(
    *,
    amount: int,
    a_to_b: bool,
    exact_in: bool = True,
    sqrt_price: int,
    tick_current_index: int,
    liquidity: int,
    fee_rate: int,
    tick_spacing: int,
    arrays: Sequence[TickArray],
    sqrt_price_limit: int = 0,
) -> WhirlpoolSwapResult:
    """The program's swap loop; `sqrt_price_limit` 0 means none (the protocol bound in the swap direction).

    Exact output without an explicit limit must fill completely, as on chain (PartialFillError otherwise).
    """
    if not 0 < amount <= U64_MAX:
        raise QuoteError(f"amount must be a positive u64, got {amount}")
    limit = sqrt_price_limit or (MIN_SQRT_PRICE_X64 if a_to_b else MAX_SQRT_PRICE_X64)
    if not MIN_SQRT_PRICE_X64 <= limit <= MAX_SQRT_PRICE_X64:
        raise QuoteError(f"SqrtPriceOutOfBounds: sqrt_price_limit {limit}")
    if (a_to_b and limit > sqrt_price) or (not a_to_b and limit < sqrt_price):
        raise QuoteError(f"InvalidSqrtPriceLimitDirection: limit {limit} vs price {sqrt_price}")
    seq = TickSequence(arrays, tick_spacing)
    remaining, calculated, fee_sum = amount, 0, 0
    price, tick, liq, array_index = sqrt_price, tick_current_index, liquidity, 0
    while remaining > 0 and limit != price:
        next_array, next_tick = seq.next_initialized(tick, a_to_b, array_index)
        next_tick_price = sqrt_price_from_tick_index(next_tick)
        target = max(limit, next_tick_price) if a_to_b else min(limit, next_tick_price)
        step_in, step_out, next_price, fee = compute_swap_step(
            remaining, fee_rate, liq, price, target, exact_in, a_to_b
        )
        if exact_in:
            remaining -= step_in + fee
            calculated += step_out
        else:
            remaining -= step_out
            calculated += step_in + fee
        if remaining < 0:
            raise QuoteError("AmountRemainingOverflow")
        if calculated > U64_MAX:
            raise QuoteError("AmountCalcOverflow")
        fee_sum += fee
        if next_price == next_tick_price:
            crossed = seq.tick(next_array, next_tick)
            if crossed is not None and crossed.initialized:
                liq += -crossed.liquidity_net if a_to_b else crossed.liquidity_net
                if not 0 <= liq <= U128_MAX:
                    raise QuoteError(f"liquidity out of range after crossing tick {next_tick}: {liq}")
            offset = seq.offset(next_array, next_tick)
            edge = (a_to_b and offset == 0) or (not a_to_b and offset == TICK_ARRAY_SIZE - 1)
            array_index = next_array + 1 if edge else next_array
            tick = next_tick - 1 if a_to_b else next_tick
        elif next_price != price:
            tick = tick_index_from_sqrt_price(next_price)
        price = next_price
    if remaining > 0 and not exact_in and sqrt_price_limit == 0:
        raise QuoteError(f"PartialFillError: only {amount - remaining} of {amount} out available")
    amount_in, amount_out = (amount - remaining, calculated) if exact_in else (calculated, amount - remaining)
    return WhirlpoolSwapResult(amount_in, amount_out, price, tick, liq, fee_sum)
