"""Meteora DLMM exact-input swap, integer for integer as `lb_clmm` 0.10.1 computes it.

Prices are Q64.64: `price(id) = (1 + bin_step / 10_000) ^ id` with the program's binary exponentiation (the base
inverted to `u128::MAX / base` so every square stays under 2^128, the result inverted back the same way). Fees are
per 1e9: `base = base_factor * bin_step * 10 * 10^base_fee_power_factor`, `variable = ceil(variable_fee_control *
(volatility_accumulator * bin_step)^2 / 1e11)`, total capped at 10%. At swap time the pair first updates its
references from the clock (`elapsed >= filter_period`: index_reference = active_id, volatility_reference =
volatility_accumulator * reduction_factor / 10_000 while `elapsed < decay_period`, else 0), then before each bin it
visits sets `volatility_accumulator = min(volatility_reference + |index_reference - active_id| * 10_000,
max_volatility_accumulator)`. In a bin: if the input (fee included) exceeds what empties the bin
(`ceil(amount_out_max / price)` or `ceil(amount_out_max * price)` plus `ceil(that * fee / (1e9 - fee))`), the bin
is emptied; otherwise `fee = ceil(amount_in * fee / 1e9)` and the output is `floor((amount_in - fee) * price)` (or
`/ price`), capped at the bin's balance. Bins without the output token are skipped; bin arrays are walked through
the pair's bitmap (and the bitmap extension beyond +-512 arrays), jumping the active id to the edge of the next
array with liquidity.

Pure integer math; no I/O. Anything the program would refuse, or that cannot be decided from the accounts given
(a bin array or the bitmap extension not supplied, liquidity running out), raises QuoteError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.meteora_dlmm import BINS_PER_ARRAY, BinArray, BitmapExtension, LbPairState

U128_MAX = (1 << 128) - 1
SCALE_OFFSET = 64
ONE = 1 << SCALE_OFFSET
BASIS_POINT_MAX = 10_000
FEE_PRECISION = 1_000_000_000
MAX_FEE_RATE = 100_000_000
MAX_EXPONENTIAL = 0x80000
MIN_BIN_ID = -443_636
MAX_BIN_ID = 443_636
BITMAP_SIZE = 512  # bin arrays on each side of 0 in the pair's own bitmap
EXTENSION_WORDS = 12
EXTENSION_MIN = -BITMAP_SIZE * (EXTENSION_WORDS + 1)
EXTENSION_MAX = BITMAP_SIZE * (EXTENSION_WORDS + 1) - 1
STATUS_ENABLED = 0
ACTIVATION_SLOT = 0
PAIR_PERMISSIONLESS = 0
PAIR_TYPES = (0, 1, 2)  # permissionless, permission, customizable permissionless
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1


def _checked_u128(x: int, what: str) -> int:
    if x > U128_MAX:
        raise QuoteError(f"DLMM: {what} overflows u128")
    return x


def pow_q64(base: int, exp: int) -> int | None:
    """The program's `pow`: base^exp in Q64.64, or None where it overflows (the program then errors)."""
    if exp == 0:
        return ONE
    invert = exp < 0
    e = -exp if invert else exp
    if e >= MAX_EXPONENTIAL:
        return None
    squared = base
    result = ONE
    if squared >= result:
        squared = U128_MAX // squared
        invert = not invert
    bit = 1
    while bit <= 0x40000:
        if bit > 1:
            sq = squared * squared
            if sq > U128_MAX:
                return None
            squared = sq >> SCALE_OFFSET
        if e & bit:
            r = result * squared
            if r > U128_MAX:
                return None
            result = r >> SCALE_OFFSET
        bit <<= 1
    if result == 0:
        return None
    if invert:
        result = U128_MAX // result
    return result


def price_from_id(bin_id: int, bin_step: int) -> int:
    """The Q64.64 price of bin `bin_id`: `(1 + bin_step / 10_000) ^ bin_id`, computed as the program does.

    Price is token Y per token X in raw units; raises `QuoteError` where the program's power overflows.
    """
    base = ONE + ((bin_step << SCALE_OFFSET) // BASIS_POINT_MAX)
    price = pow_q64(base, bin_id)
    if price is None:
        raise QuoteError(f"DLMM: price of bin {bin_id} at bin step {bin_step} overflows Q64.64")
    return price


def _div_up(a: int, b: int) -> int:
    return -(-a // b)


def _to_u64(x: int, what: str) -> int:
    if x > U64_MAX:
        raise QuoteError(f"DLMM: {what} {x} does not fit u64")
    return x


def bin_array_index(bin_id: int) -> int:
    """Index of the bin array holding `bin_id` (70 bins per array, rounding toward minus infinity)."""
    return bin_id // BINS_PER_ARRAY


def base_fee_rate(pair: LbPairState) -> int:
    """The pair's base fee rate, per 1e9: `base_factor * bin_step * 10 * 10^base_fee_power_factor`."""
    p = pair.parameters
    return p.base_factor * pair.bin_step * 10 * 10**p.base_fee_power_factor


def variable_fee_rate(pair: LbPairState, volatility_accumulator: int) -> int:
    """The variable (volatility) fee rate, per 1e9, at `volatility_accumulator`, rounded up; 0 when the pair has none.

    Raises `QuoteError` when the intermediate product overflows u128, as the program would fail.
    """
    control = pair.parameters.variable_fee_control
    if control == 0:
        return 0
    square = (volatility_accumulator * pair.bin_step) ** 2
    return _div_up(_checked_u128(control * square, "variable fee"), 100_000_000_000)


def total_fee_rate(pair: LbPairState, volatility_accumulator: int) -> int:
    """Base plus variable fee rate, per 1e9, capped at the program's maximum (10%)."""
    return min(base_fee_rate(pair) + variable_fee_rate(pair, volatility_accumulator), MAX_FEE_RATE)


@dataclass(frozen=True)
class DlmmSwapResult:
    """The outcome of `swap_exact_in`, in raw token units.

    `fee` is the total fee taken from the input (included in `amount_in`) and `protocol_fee` the protocol's share
    of it; `start_bin_id`/`end_bin_id` are the active bin before and after; the volatility fields are the pair's
    dynamic-fee state after the swap.
    """

    amount_in: int  # consumed, fees included (equals the requested amount: the swap fails otherwise)
    amount_out: int
    fee: int
    protocol_fee: int
    start_bin_id: int
    end_bin_id: int
    bin_arrays: tuple[int, ...]  # indexes of the bin arrays the swap needs, in the order it walks them
    volatility_accumulator: int
    volatility_reference: int
    index_reference: int


def _references(pair: LbPairState, timestamp: int) -> tuple[int, int]:
    """(index_reference, volatility_reference) after the program's `update_references` at `timestamp`."""
    v, s = pair.v_parameters, pair.parameters
    elapsed = timestamp - v.last_update_timestamp
    index_ref, vol_ref = v.index_reference, v.volatility_reference
    if elapsed >= s.filter_period:
        index_ref = pair.active_id
        vol_ref = (v.volatility_accumulator * s.reduction_factor) // BASIS_POINT_MAX if elapsed < s.decay_period else 0
    return index_ref, vol_ref


def _flagged(pair: LbPairState, ext: BitmapExtension | None, index: int) -> bool:
    if -BITMAP_SIZE <= index < BITMAP_SIZE:
        return bool(pair.bin_array_bitmap >> (index + BITMAP_SIZE) & 1)
    if ext is None:
        raise QuoteError(
            f"DLMM: bin array {index} is beyond the pair's own bitmap and the bitmap extension was not supplied"
        )
    if index > 0:
        word, bit = index // BITMAP_SIZE - 1, index % BITMAP_SIZE
        return bool(ext.positive[word] >> bit & 1)
    word, bit = (-(index + 1)) // BITMAP_SIZE - 1, (-(index + 1)) % BITMAP_SIZE
    return bool(ext.negative[word] >> bit & 1)


def next_bin_array_with_liquidity(
    pair: LbPairState, ext: BitmapExtension | None, start: int, swap_for_y: bool
) -> int | None:
    """The first bin array index from `start` (inclusive) toward lower ids (`swap_for_y`) or higher ids whose
    bitmap bit is set, or None when none is left in the searchable range."""
    step = -1 if swap_for_y else 1
    low, high = (EXTENSION_MIN, EXTENSION_MAX) if ext is not None else (-BITMAP_SIZE, BITMAP_SIZE - 1)
    i = start
    if ext is None and not -BITMAP_SIZE <= i < BITMAP_SIZE:
        _flagged(pair, ext, i)  # raises: the program needs the extension here
    while low <= i <= high:
        if _flagged(pair, ext, i):
            return i
        i += step
    return None


def swap_exact_in(
    pair: LbPairState,
    bin_arrays: Mapping[int, BinArray],
    amount_in: int,
    swap_for_y: bool,
    *,
    timestamp: int,
    slot: int,
    bitmap_extension: BitmapExtension | None = None,
) -> DlmmSwapResult:
    """Swap exactly `amount_in` of X (`swap_for_y`) or Y through the bins, as the program's `swap` does.

    `bin_arrays` maps bin array index -> decoded array (only the arrays the swap reaches are needed);
    `timestamp`/`slot` are the clock the swap will run at.
    """
    if amount_in <= 0 or amount_in > U64_MAX:
        raise QuoteError(f"DLMM: amount_in {amount_in} must be in 1..2^64-1")
    if pair.status != STATUS_ENABLED:
        raise QuoteError(f"DLMM: pair status {pair.status} is not enabled")
    if pair.pair_type not in PAIR_TYPES:
        raise QuoteError(f"DLMM: pair type {pair.pair_type} is not one this build swaps")
    current_point = slot if pair.activation_type == ACTIVATION_SLOT else timestamp
    # Permission and customizable permissionless pairs open at their activation point (measured on the
    # binary: a plain permissionless pair ignores it).
    if pair.pair_type != PAIR_PERMISSIONLESS and current_point < pair.activation_point:
        raise QuoteError(f"DLMM: pair activates at {pair.activation_point}, now {current_point}")

    index_ref, vol_ref = _references(pair, timestamp)
    vol_acc = pair.v_parameters.volatility_accumulator
    active_id = pair.active_id
    start_bin = active_id
    left = amount_in
    out_total = fee_total = protocol_total = 0
    used: list[int] = []
    s = pair.parameters

    while left > 0:
        idx = next_bin_array_with_liquidity(pair, bitmap_extension, bin_array_index(active_id), swap_for_y)
        if idx is None:
            raise QuoteError(f"DLMM: liquidity runs out with {left} of {amount_in} left to swap")
        array = bin_arrays.get(idx)
        if array is None:
            raise QuoteError(f"DLMM: bin array {idx} is needed but was not supplied")
        if array.index != idx:
            raise QuoteError(f"DLMM: bin array supplied as {idx} has index {array.index}")
        used.append(idx)
        lower = idx * BINS_PER_ARRAY
        upper = lower + BINS_PER_ARRAY - 1
        if bin_array_index(active_id) != idx:
            active_id = upper if swap_for_y else lower
        while lower <= active_id <= upper and left > 0:
            delta = abs(index_ref - active_id)
            vol_acc = min(vol_ref + delta * BASIS_POINT_MAX, s.max_volatility_accumulator)
            b = array.bins[active_id - lower]
            price = b.price or price_from_id(active_id, pair.bin_step)
            out_max = b.amount_y if swap_for_y else b.amount_x
            if out_max > 0:
                rate = total_fee_rate(pair, vol_acc)
                if swap_for_y:
                    in_max = _to_u64(_div_up(out_max << SCALE_OFFSET, price), "bin max amount in")
                else:
                    in_max = _to_u64(_div_up(out_max * price, ONE), "bin max amount in")
                denominator = FEE_PRECISION - rate
                max_fee = _to_u64(_div_up(in_max * rate, denominator), "bin max fee")
                in_with_fee = _to_u64(in_max + max_fee, "bin max amount in with fee")
                if left > in_with_fee:
                    taken, out, fee = in_with_fee, out_max, max_fee
                else:
                    fee = _div_up(left * rate, FEE_PRECISION)
                    net = left - fee
                    if swap_for_y:
                        out = _to_u64((price * net) >> SCALE_OFFSET, "bin amount out")
                    else:
                        out = _to_u64((net << SCALE_OFFSET) // price, "bin amount out")
                    taken, out = left, min(out, out_max)
                left -= taken
                out_total += out
                fee_total += fee
                protocol_total += fee * s.protocol_share // BASIS_POINT_MAX
            if left > 0:
                nxt = active_id - 1 if swap_for_y else active_id + 1
                if not MIN_BIN_ID <= nxt <= MAX_BIN_ID:
                    raise QuoteError("DLMM: swap runs past the last bin")
                active_id = nxt
    _to_u64(out_total, "amount out")
    if out_total == 0:
        # The program refuses a swap that pays nothing (InsufficientOutAmount), whatever the minimum asked.
        raise QuoteError(f"DLMM: {amount_in} in pays nothing out")
    return DlmmSwapResult(
        amount_in=amount_in,
        amount_out=out_total,
        fee=fee_total,
        protocol_fee=protocol_total,
        start_bin_id=start_bin,
        end_bin_id=active_id,
        bin_arrays=tuple(used),
        volatility_accumulator=vol_acc,
        volatility_reference=vol_ref,
        index_reference=index_ref,
    )


def bin_arrays_for_swap(
    pair: LbPairState, swap_for_y: bool, count: int, bitmap_extension: BitmapExtension | None = None
) -> list[int]:
    """Up to `count` bin array indexes with liquidity from the active one on, in swap direction: the arrays to
    pass to the program (it walks them in this order)."""
    out: list[int] = []
    start = bin_array_index(pair.active_id)
    step = -1 if swap_for_y else 1
    while len(out) < count:
        try:
            idx = next_bin_array_with_liquidity(pair, bitmap_extension, start, swap_for_y)
        except QuoteError:
            break
        if idx is None:
            break
        out.append(idx)
        start = idx + step
    return out


def with_state(pair: LbPairState, result: DlmmSwapResult, timestamp: int) -> LbPairState:
    """The pair's dynamic-fee state after the swap as far as the quote models it (active id and volatility)."""
    v = replace(
        pair.v_parameters,
        volatility_accumulator=result.volatility_accumulator,
        volatility_reference=result.volatility_reference,
        index_reference=result.index_reference,
        last_update_timestamp=timestamp,
    )
    return replace(pair, active_id=result.end_bin_id, v_parameters=v)
