"""Raydium CLMM (AMM v3) exact-input swap, integer for integer as the program computes it.

Mirrors raydium-io/raydium-clmm `libraries/{tick_math,sqrt_price_math,liquidity_math,swap_math,
tick_array_bit_map}.rs`, `states/{pool,tick_array,tickarray_bitmap_extension}.rs` and `instructions/swap.rs`
(`swap_internal`) of the 2024 program the project's binary was built from. Prices are sqrt(token1/token0) Q64.64.

The program's 256-bit helpers panic on overflow, its `as_u64`/`as_u128` casts panic when the value does not fit,
and its `checked_*` calls are unwrapped: every such case is a failed transaction, so here it is a `QuoteError`.
Tick arrays the traversal needs but the caller did not supply are a `QuoteError` too (the program would fail
with `NotEnoughTickArrayAccount`, or a quote from a guessed array would be wrong). Pure: no I/O.

Deliberately conservative: pools priced above 2^32 token-1 units per token-0 unit are refused. The program's
oracle update squares the pre-swap price and multiplies it by the seconds since the last observation, which
panics above that once an observation exists; the quote does not read the observation account, so it refuses
them all (proven against the binary in tests/integration/solana/test_raydium_clmm_real.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.raydium_clmm import (
    EMPTY_TICK,
    EXTENSION_BITMAPS,
    TICK_ARRAY_SIZE,
    PoolState,
    Tick,
    TickArrayBitmapExtension,
    TickArrayState,
)

MIN_TICK = -443636
MAX_TICK = 443636
MIN_SQRT_PRICE_X64 = 4295048016
MAX_SQRT_PRICE_X64 = 79226673521066979257578248091
FEE_RATE_DENOMINATOR = 1_000_000
TICK_ARRAY_BITMAP_SIZE = 512
Q64 = 1 << 64
U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1
U256_LIMIT = 1 << 256
_U1024 = (1 << 1024) - 1
_U512 = (1 << 512) - 1


class MissingBitmapExtension(QuoteError):
    """The traversal leaves the pool's own tick-array bitmap and the bitmap extension was not supplied."""


def _fail(what: str) -> QuoteError:
    return QuoteError(f"Raydium CLMM: {what}")


def _tdiv(a: int, b: int) -> int:
    """Rust integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _trem(a: int, b: int) -> int:
    """Rust `%` (sign of the dividend)."""
    return a - b * _tdiv(a, b)


def _u64(x: int, what: str) -> int:
    if x > U64_MAX:
        raise _fail(f"{what} {x} does not fit u64")
    return x


def _u256_mul(a: int, b: int) -> int:
    p = a * b
    if p >= U256_LIMIT:
        raise _fail("256-bit multiplication overflow")
    return p


def _mul_div_floor_256(a: int, b: int, d: int) -> int:
    """`U256::mul_div_floor`: None (a panic at unwrap) above u128::MAX."""
    r = _u256_mul(a, b) // d
    if r > U128_MAX:
        raise _fail("mul_div result above u128")
    return r


def _mul_div_ceil_256(a: int, b: int, d: int) -> int:
    p = _u256_mul(a, b) + (d - 1)
    if p >= U256_LIMIT:
        raise _fail("256-bit addition overflow")
    r = p // d
    if r > U128_MAX:
        raise _fail("mul_div result above u128")
    return r


def _div_rounding_up(x: int, y: int) -> int:
    return x // y + (1 if x % y else 0)


# --- tick math -------------------------------------------------------------------------------------------------

_RATIOS = (
    (0x2, 0xFFF97272373D4000),
    (0x4, 0xFFF2E50F5F657000),
    (0x8, 0xFFE5CACA7E10F000),
    (0x10, 0xFFCB9843D60F7000),
    (0x20, 0xFF973B41FA98E800),
    (0x40, 0xFF2EA16466C9B000),
    (0x80, 0xFE5DEE046A9A3800),
    (0x100, 0xFCBE86C7900BB000),
    (0x200, 0xF987A7253AC65800),
    (0x400, 0xF3392B0822BB6000),
    (0x800, 0xE7159475A2CAF000),
    (0x1000, 0xD097F3BDFD2F2000),
    (0x2000, 0xA9F746462D9F8000),
    (0x4000, 0x70D869A156F31C00),
    (0x8000, 0x31BE135F97ED3200),
    (0x10000, 0x9AA508B5B85A500),
    (0x20000, 0x5D6AF8DEDC582C),
    (0x40000, 0x2216E584F5FA),
)


def sqrt_price_at_tick(tick: int) -> int:
    """The Q64.64 sqrt price at `tick`, `sqrt(1.0001^tick) * 2^64`, bit for bit as `tick_math` computes it.

    Raises `QuoteError` for a tick outside the protocol's range.
    """
    abs_tick = abs(tick)
    if abs_tick > MAX_TICK:
        raise _fail(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")
    ratio = 0xFFFCB933BD6FB800 if abs_tick & 1 else 1 << 64
    for bit, factor in _RATIOS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 64
    if tick > 0:
        ratio = U128_MAX // ratio
    return ratio


def tick_at_sqrt_price(sqrt_price_x64: int) -> int:
    """The greatest tick whose sqrt price is at most `sqrt_price_x64` (Q64.64), as `tick_math` computes it.

    Raises `QuoteError` for a price outside the protocol's range.
    """
    if not MIN_SQRT_PRICE_X64 <= sqrt_price_x64 < MAX_SQRT_PRICE_X64:
        raise _fail(f"sqrt price {sqrt_price_x64} outside the protocol range")
    msb = sqrt_price_x64.bit_length() - 1
    log2p_integer_x32 = (msb - 64) << 32
    bit = 0x8000_0000_0000_0000
    precision = 0
    log2p_fraction_x64 = 0
    r = sqrt_price_x64 >> (msb - 63) if msb >= 64 else sqrt_price_x64 << (63 - msb)
    while bit > 0 and precision < 16:
        r *= r
        more = r >> 127
        r >>= 63 + more
        log2p_fraction_x64 += bit * more
        bit >>= 1
        precision += 1
    log2p_x32 = log2p_integer_x32 + (log2p_fraction_x64 >> 32)
    log_sqrt_10001_x64 = log2p_x32 * 59543866431248
    tick_low = (log_sqrt_10001_x64 - 184467440737095516) >> 64
    tick_high = (log_sqrt_10001_x64 + 15793534762490258745) >> 64
    if tick_low == tick_high:
        return tick_low
    return tick_high if sqrt_price_at_tick(tick_high) <= sqrt_price_x64 else tick_low


# --- amounts and prices ----------------------------------------------------------------------------------------


def delta_amount_0(a: int, b: int, liquidity: int, round_up: bool) -> int:
    """Token-0 amount between sqrt prices `a` and `b` (Q64.64, either order) at `liquidity`, rounded as asked.

    Raises `QuoteError` where the program fails: a zero price or a result above u64.
    """
    if a > b:
        a, b = b, a
    n1 = liquidity << 64
    n2 = b - a
    if a == 0:
        raise _fail("sqrt price 0")
    if round_up:
        return _u64(_div_rounding_up(_mul_div_ceil_256(n1, n2, b), a), "amount_0")
    return _u64(_mul_div_floor_256(n1, n2, b) // a, "amount_0")


def delta_amount_1(a: int, b: int, liquidity: int, round_up: bool) -> int:
    """Token-1 amount between sqrt prices `a` and `b` (Q64.64, either order) at `liquidity`, rounded as asked.

    Raises `QuoteError` where the result does not fit u64.
    """
    if a > b:
        a, b = b, a
    if round_up:
        return _u64(_mul_div_ceil_256(liquidity, b - a, Q64), "amount_1")
    return _u64(_mul_div_floor_256(liquidity, b - a, Q64), "amount_1")


def _next_sqrt_price_from_input(sqrt_price: int, liquidity: int, amount: int, zero_for_one: bool) -> int:
    if sqrt_price == 0 or liquidity == 0:
        raise _fail("zero price or liquidity in a price step")
    if zero_for_one:
        if amount == 0:
            return sqrt_price
        n1 = liquidity << 64
        # amount * sqrt_price always fits 256 bits, so the program always takes its first branch.
        denominator = n1 + amount * sqrt_price
        return _mul_div_ceil_256(n1, sqrt_price, denominator)
    quotient = (amount << 64) // liquidity
    if quotient > U128_MAX:
        raise _fail("price quotient above u128")
    nxt = sqrt_price + quotient
    if nxt > U128_MAX:
        raise _fail("sqrt price overflow")
    return nxt


@dataclass(frozen=True)
class SwapStep:
    """One step of the swap within a single tick range: the price reached and the step's input, output and fee.

    `amount_in` excludes `fee_amount`; amounts are raw token units, the price Q64.64.
    """

    sqrt_price_next_x64: int
    amount_in: int
    amount_out: int
    fee_amount: int


def compute_swap_step_exact_in(
    sqrt_price_current: int,
    sqrt_price_target: int,
    liquidity: int,
    amount_remaining: int,
    fee_rate: int,
    zero_for_one: bool,
) -> SwapStep:
    """`swap_math::compute_swap_step` with `is_base_input = true`."""
    if fee_rate >= FEE_RATE_DENOMINATOR:
        raise _fail(f"trade_fee_rate {fee_rate} is not below {FEE_RATE_DENOMINATOR}")
    less_fee = amount_remaining * (FEE_RATE_DENOMINATOR - fee_rate) // FEE_RATE_DENOMINATOR
    if zero_for_one:
        amount_in = delta_amount_0(sqrt_price_target, sqrt_price_current, liquidity, True)
    else:
        amount_in = delta_amount_1(sqrt_price_current, sqrt_price_target, liquidity, True)
    if less_fee >= amount_in:
        nxt = sqrt_price_target
    else:
        nxt = _next_sqrt_price_from_input(sqrt_price_current, liquidity, less_fee, zero_for_one)
    reached = nxt == sqrt_price_target
    if zero_for_one:
        if not reached:
            amount_in = delta_amount_0(nxt, sqrt_price_current, liquidity, True)
        amount_out = delta_amount_1(nxt, sqrt_price_current, liquidity, False)
    else:
        if not reached:
            amount_in = delta_amount_1(sqrt_price_current, nxt, liquidity, True)
        amount_out = delta_amount_0(sqrt_price_current, nxt, liquidity, False)
    if not reached:
        if amount_remaining < amount_in:
            raise _fail("step input above the amount remaining")
        fee = amount_remaining - amount_in
    else:
        fee = _u64(
            (amount_in * fee_rate + (FEE_RATE_DENOMINATOR - fee_rate - 1)) // (FEE_RATE_DENOMINATOR - fee_rate),
            "fee",
        )
    return SwapStep(nxt, amount_in, amount_out, fee)


# --- tick arrays and bitmaps -----------------------------------------------------------------------------------


def tick_count(tick_spacing: int) -> int:
    """How many ticks one tick array spans: 60 times the tick spacing."""
    return TICK_ARRAY_SIZE * tick_spacing


def array_start_index(tick: int, tick_spacing: int) -> int:
    """The start tick of the array holding `tick`, rounding toward minus infinity."""
    n = tick_count(tick_spacing)
    start = _tdiv(tick, n)
    if tick < 0 and _trem(tick, n) != 0:
        start -= 1
    return start * n


def is_valid_start_index(tick_index: int, tick_spacing: int) -> bool:
    """True when `tick_index` is the start of a tick array the program accepts at this spacing."""
    if tick_index < MIN_TICK or tick_index > MAX_TICK:
        if tick_index > MAX_TICK:
            return False
        return tick_index == array_start_index(MIN_TICK, tick_spacing)
    return _trem(tick_index, tick_count(tick_spacing)) == 0


def max_tick_in_default_bitmap(tick_spacing: int) -> int:
    """The highest tick the pool's own 1024-bit tick-array bitmap reaches at this spacing (the lowest: its negative)."""
    return tick_spacing * TICK_ARRAY_SIZE * TICK_ARRAY_BITMAP_SIZE


def default_bitmap_range(tick_spacing: int) -> tuple[int, int]:
    """`PoolState::tick_array_start_index_range`: start indices the pool's own 1024-bit bitmap covers."""
    hi = max_tick_in_default_bitmap(tick_spacing)
    lo = -hi
    if hi > MAX_TICK:
        hi = array_start_index(MAX_TICK, tick_spacing) + tick_count(tick_spacing)
    if lo < MIN_TICK:
        lo = array_start_index(MIN_TICK, tick_spacing)
    return lo, hi


def needs_bitmap_extension(start_index: int, tick_spacing: int) -> bool:
    """True when the array holding `start_index` lies outside the pool's own bitmap, so the swap needs the extension."""
    lo, hi = default_bitmap_range(tick_spacing)
    s = array_start_index(start_index, tick_spacing)
    return s >= hi or s < lo


def _compressed(tick: int, tick_spacing: int) -> int:
    m = tick_spacing * TICK_ARRAY_SIZE
    c = _tdiv(tick, m) + 512
    if tick < 0 and _trem(tick, m) != 0:
        c -= 1
    return c


def _default_current_initialized(bitmap: int, tick_current: int, tick_spacing: int) -> tuple[bool, int]:
    if tick_current < MIN_TICK or tick_current > MAX_TICK:
        raise _fail(f"tick_current {tick_current} out of range")
    c = _compressed(tick_current, tick_spacing)
    bit_pos = abs(c)
    initialized = bit_pos < 1024 and bool(bitmap >> bit_pos & 1)
    return initialized, (c - 512) * tick_spacing * TICK_ARRAY_SIZE


def _default_next(bitmap: int, last: int, tick_spacing: int, zero_for_one: bool) -> tuple[bool, int]:
    if not is_valid_start_index(last, tick_spacing):
        raise _fail(f"tick array start {last} is not valid for spacing {tick_spacing}")
    boundary = max_tick_in_default_bitmap(tick_spacing)
    n = tick_count(tick_spacing)
    nxt = last - n if zero_for_one else last + n
    if nxt < -boundary or nxt >= boundary:
        return False, last
    bit_pos = abs(_compressed(nxt, tick_spacing))
    if zero_for_one:
        off = (bitmap << (1024 - bit_pos - 1)) & _U1024
        if off:
            return True, (bit_pos - (1024 - off.bit_length()) - 512) * n
        return False, -boundary
    off = bitmap >> bit_pos
    if off:
        return True, (bit_pos + ((off & -off).bit_length() - 1) - 512) * n
    return False, boundary - n


def _bitmap_tick_boundary(start: int, tick_spacing: int) -> tuple[int, int]:
    per = max_tick_in_default_bitmap(tick_spacing)
    m = abs(start) // per
    if start < 0 and abs(start) % per != 0:
        m += 1
    lo = per * m
    return (-lo, -lo + per) if start < 0 else (lo, lo + per)


def _extension_bitmap(ext: TickArrayBitmapExtension, start: int, tick_spacing: int) -> int:
    if not is_valid_start_index(start, tick_spacing):
        raise _fail(f"tick array start {start} is not valid for spacing {tick_spacing}")
    per = max_tick_in_default_bitmap(tick_spacing)
    if not (per < MAX_TICK and -per > MIN_TICK) or -per <= start < per:
        raise _fail(f"tick array start {start} is not in the bitmap extension's range")
    offset = abs(start) // per - 1
    if start < 0 and abs(start) % per == 0:
        offset -= 1
    if not 0 <= offset < EXTENSION_BITMAPS:
        raise _fail(f"bitmap extension offset {offset} out of range")
    return ext.negative[offset] if start < 0 else ext.positive[offset]


def _offset_in_bitmap(start: int, tick_spacing: int) -> int:
    m = abs(start) % max_tick_in_default_bitmap(tick_spacing)
    off = m // tick_count(tick_spacing)
    if start < 0 and m != 0:
        off = TICK_ARRAY_BITMAP_SIZE - off
    return off


def _extension_current_initialized(ext: TickArrayBitmapExtension, start: int, tick_spacing: int) -> bool:
    bitmap = _extension_bitmap(ext, start, tick_spacing)
    return bool(bitmap >> _offset_in_bitmap(start, tick_spacing) & 1)


def _extension_next(
    ext: TickArrayBitmapExtension, last: int, tick_spacing: int, zero_for_one: bool
) -> tuple[bool, int]:
    n = tick_count(tick_spacing)
    nxt = last - n if zero_for_one else last + n
    if nxt < array_start_index(MIN_TICK, tick_spacing) or nxt > array_start_index(MAX_TICK, tick_spacing):
        return False, nxt
    bitmap = _extension_bitmap(ext, nxt, tick_spacing)
    lo, hi = _bitmap_tick_boundary(nxt, tick_spacing)
    off = _offset_in_bitmap(nxt, tick_spacing)
    if zero_for_one:
        shifted = (bitmap << (TICK_ARRAY_BITMAP_SIZE - 1 - off)) & _U512
        if shifted:
            return True, nxt - (512 - shifted.bit_length()) * n
        return False, lo
    shifted = bitmap >> off
    if shifted:
        return True, nxt + ((shifted & -shifted).bit_length() - 1) * n
    return False, hi - n


def next_initialized_array(
    pool: PoolState, ext: TickArrayBitmapExtension | None, last: int, zero_for_one: bool
) -> int | None:
    """`PoolState::next_initialized_tick_array_start_index`: the next initialised tick array in the direction."""
    last = array_start_index(last, pool.tick_spacing)
    while True:
        found, start = _default_next(pool.tick_array_bitmap, last, pool.tick_spacing, zero_for_one)
        if found:
            return start
        last = start
        if ext is None:
            raise MissingBitmapExtension(
                "Raydium CLMM: the swap leaves the pool's own tick-array bitmap and the bitmap extension is not known"
            )
        found, start = _extension_next(ext, last, pool.tick_spacing, zero_for_one)
        if found:
            return start
        last = start
        if last < MIN_TICK or last > MAX_TICK:
            return None


def first_initialized_array(
    pool: PoolState, ext: TickArrayBitmapExtension | None, zero_for_one: bool
) -> tuple[bool, int]:
    """`PoolState::get_first_initialized_tick_array`: (whether it is the current tick's array, its start)."""
    current = array_start_index(pool.tick_current, pool.tick_spacing)
    if needs_bitmap_extension(pool.tick_current, pool.tick_spacing):
        if ext is None:
            raise MissingBitmapExtension(
                "Raydium CLMM: the pool's current tick is outside its own bitmap and the bitmap extension is not known"
            )
        if _extension_current_initialized(ext, current, pool.tick_spacing):
            return True, current
    else:
        initialized, start = _default_current_initialized(pool.tick_array_bitmap, pool.tick_current, pool.tick_spacing)
        if initialized:
            return True, start
    nxt = next_initialized_array(pool, ext, current, zero_for_one)
    if nxt is None:
        raise _fail("no liquidity in the swap direction (InsufficientLiquidityForDirection)")
    return False, nxt


def _next_initialized_tick(array: TickArrayState, tick: int, tick_spacing: int, zero_for_one: bool) -> Tick | None:
    if array_start_index(tick, tick_spacing) != array.start_tick_index:
        return None
    offset = _tdiv(tick - array.start_tick_index, tick_spacing)
    if zero_for_one:
        while offset >= 0:
            if array.ticks[offset].initialized:
                return array.ticks[offset]
            offset -= 1
    else:
        offset += 1
        while offset < TICK_ARRAY_SIZE:
            if array.ticks[offset].initialized:
                return array.ticks[offset]
            offset += 1
    return None


def _first_initialized_tick(array: TickArrayState, zero_for_one: bool) -> Tick:
    order = reversed(array.ticks) if zero_for_one else iter(array.ticks)
    for t in order:
        if t.initialized:
            return t
    raise _fail(f"tick array {array.start_tick_index} is marked initialised but holds no initialised tick")


# --- swap ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClmmSwap:
    """The outcome of `swap_exact_in`: amounts in raw token units and the pool's price, tick and liquidity after.

    `amount_in` is the whole input, fee included; `amount_out` is what leaves the output vault (before any
    Token-2022 transfer fee).
    """

    amount_in: int
    amount_out: int
    sqrt_price_x64: int
    tick: int
    liquidity: int
    # Start indices of the tick arrays the program loads, in the order it loads them: the hop's remaining
    # accounts after the optional bitmap extension.
    tick_arrays: tuple[int, ...]


def swap_exact_in(
    pool: PoolState,
    trade_fee_rate: int,
    protocol_fee_rate: int,
    fund_fee_rate: int,
    tick_arrays: Mapping[int, TickArrayState],
    bitmap_extension: TickArrayBitmapExtension | None,
    amount_in: int,
    zero_for_one: bool,
    *,
    output_vault_balance: int | None = None,
) -> ClmmSwap:
    """Swap exactly `amount_in` with no price limit (the program's default limit for the direction).

    Fails closed where the program fails, where it would fill only part of the input (it stops at the price
    limit and the route would be short), and where it would empty or freeze the output vault.
    """
    if not 0 < amount_in <= U64_MAX:
        raise _fail(f"amount_in {amount_in} must be in 1..2^64-1")
    if not pool.swap_enabled:
        raise _fail(f"swaps are disabled by pool status {pool.status:#x}")
    spacing = pool.tick_spacing
    limit = MIN_SQRT_PRICE_X64 + 1 if zero_for_one else MAX_SQRT_PRICE_X64 - 1
    if zero_for_one and not limit < pool.sqrt_price_x64:
        raise _fail("price already at the lower limit")
    if not zero_for_one and not limit > pool.sqrt_price_x64:
        raise _fail("price already at the upper limit")
    if pool.sqrt_price_x64 * pool.sqrt_price_x64 // Q64 > U128_MAX >> 32:
        # The oracle update squares the pre-swap price and scales it by elapsed seconds; past this it can overflow.
        raise _fail("pool price too high for the oracle update")

    used: list[int] = []

    def load(start: int) -> TickArrayState:
        arr = tick_arrays.get(start)
        if arr is None:
            raise _fail(f"tick array starting at {start} is needed and not known")
        if arr.start_tick_index != start:
            raise _fail(f"tick array keyed {start} starts at {arr.start_tick_index}")
        used.append(start)
        return arr

    is_match, current_valid = first_initialized_array(pool, bitmap_extension, zero_for_one)
    current = load(current_valid)

    remaining = amount_in
    calculated = 0
    sqrt_price = pool.sqrt_price_x64
    tick = pool.tick_current
    liquidity = pool.liquidity
    fee_growth = pool.fee_growth_global_0_x64 if zero_for_one else pool.fee_growth_global_1_x64
    fee_growth_other = pool.fee_growth_global_1_x64 if zero_for_one else pool.fee_growth_global_0_x64
    reward_growth = [r.reward_growth_global_x64 if r.initialized else None for r in pool.reward_infos]

    while remaining != 0 and sqrt_price != limit:
        start_price = sqrt_price
        nxt_tick = _next_initialized_tick(current, tick, spacing, zero_for_one)
        if nxt_tick is None:
            if not is_match:
                is_match = True
                nxt_tick = _first_initialized_tick(current, zero_for_one)
            else:
                nxt_tick = EMPTY_TICK
        if not nxt_tick.initialized:
            nxt_start = next_initialized_array(pool, bitmap_extension, current_valid, zero_for_one)
            if nxt_start is None:
                raise _fail("liquidity runs out before the input is swapped (LiquidityInsufficient)")
            current = load(nxt_start)
            current_valid = nxt_start
            nxt_tick = _first_initialized_tick(current, zero_for_one)
        tick_next = min(max(nxt_tick.tick, MIN_TICK), MAX_TICK)
        price_next = sqrt_price_at_tick(tick_next)
        if zero_for_one:
            target = limit if price_next < limit else price_next
            if not (tick >= tick_next and start_price >= price_next and start_price >= target):
                raise _fail(f"tick order broken at tick {tick} -> {tick_next}")
        else:
            target = limit if price_next > limit else price_next
            if not (tick_next > tick and price_next >= start_price and target >= start_price):
                raise _fail(f"tick order broken at tick {tick} -> {tick_next}")
        step = compute_swap_step_exact_in(start_price, target, liquidity, remaining, trade_fee_rate, zero_for_one)
        if (zero_for_one and step.sqrt_price_next_x64 < target) or (
            not zero_for_one and step.sqrt_price_next_x64 > target
        ):
            raise _fail("step price beyond its target")
        sqrt_price = step.sqrt_price_next_x64
        spent = step.amount_in + step.fee_amount
        if spent > remaining:
            raise _fail("step spends more than the amount remaining")
        remaining -= spent
        calculated = _u64(calculated + step.amount_out, "amount out")

        fee = step.fee_amount
        for rate in (protocol_fee_rate, fund_fee_rate):
            if rate > 0:
                delta = _u64(step.fee_amount * rate // FEE_RATE_DENOMINATOR, "protocol fee")
                if delta > fee:
                    raise _fail("protocol and fund fees above the step fee")
                fee -= delta
        if liquidity > 0:
            growth = (fee * Q64) // liquidity
            if growth > U128_MAX or fee_growth + growth > U128_MAX:
                raise _fail("fee growth overflow")
            fee_growth += growth

        if sqrt_price == price_next:
            if nxt_tick.initialized:
                # `TickState::cross` subtracts the tick's outside growth from the global one, unchecked-unwrapped.
                g0, g1 = (fee_growth, fee_growth_other) if zero_for_one else (fee_growth_other, fee_growth)
                if g0 < nxt_tick.fee_growth_outside_0_x64 or g1 < nxt_tick.fee_growth_outside_1_x64:
                    raise _fail(f"tick {nxt_tick.tick} fee growth outside above the global growth")
                for glob, outside in zip(reward_growth, nxt_tick.reward_growths_outside_x64, strict=True):
                    if glob is not None and glob < outside:
                        raise _fail(f"tick {nxt_tick.tick} reward growth outside above the global growth")
                net = -nxt_tick.liquidity_net if zero_for_one else nxt_tick.liquidity_net
                if net < 0:
                    if -net > liquidity:
                        raise _fail(f"liquidity underflow crossing tick {nxt_tick.tick}")
                    liquidity += net
                else:
                    if liquidity + net > U128_MAX:
                        raise _fail(f"liquidity overflow crossing tick {nxt_tick.tick}")
                    liquidity += net
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price != start_price:
            tick = tick_at_sqrt_price(sqrt_price)

    if remaining != 0:
        raise _fail(f"only {amount_in - remaining} of {amount_in} can be swapped before the price limit")
    if calculated == 0:
        raise _fail(f"{amount_in} in pays nothing out (TooSmallInputOrOutputAmount)")
    if (zero_for_one and not sqrt_price < pool.sqrt_price_x64) or (
        not zero_for_one and not sqrt_price > pool.sqrt_price_x64
    ):
        raise _fail("the swap does not move the price")
    if output_vault_balance is not None and calculated >= output_vault_balance:
        raise _fail(f"output {calculated} would empty the output vault holding {output_vault_balance}")
    return ClmmSwap(
        amount_in=amount_in,
        amount_out=calculated,
        sqrt_price_x64=sqrt_price,
        tick=tick,
        liquidity=liquidity,
        tick_arrays=tuple(used),
    )
