"""Orca Whirlpool fixed-point math (Q64.64 sqrt prices), bit-exact with the program's u128/u256 arithmetic.

Python integers are unbounded, so every place where the program would overflow a u64/u128/u256 is
checked explicitly and reported the way the program fails (or, for the "fixed delta", as None).
"""

from __future__ import annotations

from arbbot.solana.errors import QuoteError

U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1
U256_MAX = (1 << 256) - 1

MIN_TICK_INDEX = -443636
MAX_TICK_INDEX = 443636
MIN_SQRT_PRICE_X64 = 4295048016
MAX_SQRT_PRICE_X64 = 79226673515401279992447579055
FEE_RATE_MUL_VALUE = 1_000_000
PROTOCOL_FEE_RATE_MUL_VALUE = 10_000

# sqrt(1.0001)^(2^i) in Q96 for positive ticks, and sqrt(1.0001)^-(2^i) in Q64 for negative ticks,
# i = 0..18: the program's own constants (needed bit for bit, so they cannot be re-derived here).
_POS_BASE_ODD = 79232123823359799118286999567
_POS_BASE_EVEN = 79228162514264337593543950336
_POS_FACTORS = (
    79236085330515764027303304731,
    79244008939048815603706035061,
    79259858533276714757314932305,
    79291567232598584799939703904,
    79355022692464371645785046466,
    79482085999252804386437311141,
    79736823300114093921829183326,
    80248749790819932309965073892,
    81282483887344747381513967011,
    83390072131320151908154831281,
    87770609709833776024991924138,
    97234110755111693312479820773,
    119332217159966728226237229890,
    179736315981702064433883588727,
    407748233172238350107850275304,
    2098478828474011932436660412517,
    55581415166113811149459800483533,
    38992368544603139932233054999993551,
)
_NEG_BASE_ODD = 18445821805675392311
_NEG_BASE_EVEN = 18446744073709551616
_NEG_FACTORS = (
    18444899583751176498,
    18443055278223354162,
    18439367220385604838,
    18431993317065449817,
    18417254355718160513,
    18387811781193591352,
    18329067761203520168,
    18212142134806087854,
    17980523815641551639,
    17526086738831147013,
    16651378430235024244,
    15030750278693429944,
    12247334978882834399,
    8131365268884726200,
    3584323654723342297,
    696457651847595233,
    26294789957452057,
    37481735321082,
)

_LOG_B_2_X32 = 59543866431248
_BIT_PRECISION = 14
_LOG_B_P_ERR_MARGIN_LOWER_X64 = 184467440737095516
_LOG_B_P_ERR_MARGIN_UPPER_X64 = 15793534762490258745


def sqrt_price_from_tick_index(tick: int) -> int:
    """Q64.64 sqrt(1.0001^tick): positive ticks multiply Q96 factors (>> 96 each, >> 32 at the end)."""
    if not MIN_TICK_INDEX <= tick <= MAX_TICK_INDEX:
        raise QuoteError(f"tick index {tick} outside [{MIN_TICK_INDEX}, {MAX_TICK_INDEX}]")
    if tick >= 0:
        ratio = _POS_BASE_ODD if tick & 1 else _POS_BASE_EVEN
        for i, factor in enumerate(_POS_FACTORS, start=1):
            if tick & (1 << i):
                ratio = (ratio * factor) >> 96
        return ratio >> 32
    abs_tick = -tick
    ratio = _NEG_BASE_ODD if abs_tick & 1 else _NEG_BASE_EVEN
    for i, factor in enumerate(_NEG_FACTORS, start=1):
        if abs_tick & (1 << i):
            ratio = (ratio * factor) >> 64
    return ratio


def tick_index_from_sqrt_price(sqrt_price_x64: int) -> int:
    """Greatest tick whose sqrt price is <= the given one: log2 to 14 bits, then settle between two candidates."""
    msb = sqrt_price_x64.bit_length() - 1
    log2p_integer_x32 = (msb - 64) << 32
    bit = 0x8000_0000_0000_0000
    precision = 0
    log2p_fraction_x64 = 0
    r = sqrt_price_x64 >> (msb - 63) if msb >= 64 else sqrt_price_x64 << (63 - msb)
    while bit > 0 and precision < _BIT_PRECISION:
        r *= r
        more_than_two = r >> 127
        r >>= 63 + more_than_two
        log2p_fraction_x64 += bit * more_than_two
        bit >>= 1
        precision += 1
    log2p_x32 = log2p_integer_x32 + (log2p_fraction_x64 >> 32)
    logbp_x64 = log2p_x32 * _LOG_B_2_X32
    tick_low = (logbp_x64 - _LOG_B_P_ERR_MARGIN_LOWER_X64) >> 64
    tick_high = (logbp_x64 + _LOG_B_P_ERR_MARGIN_UPPER_X64) >> 64
    if tick_low == tick_high:
        return tick_low
    return tick_high if sqrt_price_from_tick_index(tick_high) <= sqrt_price_x64 else tick_low


def _div(n: int, d: int, round_up: bool) -> int:
    if d == 0:
        raise QuoteError("division by zero")
    q, r = divmod(n, d)
    return q + 1 if round_up and r else q


def amount_delta_a(p0: int, p1: int, liquidity: int, round_up: bool) -> int | None:
    """Token A for a move between two sqrt prices: L * (upper - lower) << 64 / (upper * lower); None past u64."""
    lower, upper = min(p0, p1), max(p0, p1)
    numerator = (liquidity * (upper - lower)) << 64
    if numerator > U256_MAX:
        return None
    result = _div(numerator, upper * lower, round_up)
    return None if result > U64_MAX else result


def amount_delta_b(p0: int, p1: int, liquidity: int, round_up: bool) -> int | None:
    """Token B for a move between two sqrt prices: L * (upper - lower) >> 64; None past u64."""
    lower, upper = min(p0, p1), max(p0, p1)
    diff = upper - lower
    if liquidity == 0 or diff == 0:
        return 0
    product = liquidity * diff
    if product > U128_MAX:
        return None
    result = product >> 64
    if round_up and product & U64_MAX:
        if result == U64_MAX:
            return None
        result += 1
    return None if result > U64_MAX else result


def _delta(fn_a: bool, p0: int, p1: int, liquidity: int, round_up: bool) -> int:
    value = amount_delta_a(p0, p1, liquidity, round_up) if fn_a else amount_delta_b(p0, p1, liquidity, round_up)
    if value is None:
        raise QuoteError(f"token amount for liquidity {liquidity} between {p0} and {p1} exceeds u64")
    return value


def next_sqrt_price_from_a_round_up(sqrt_price: int, liquidity: int, amount: int, is_input: bool) -> int:
    """The sqrt price after adding (`is_input`) or removing `amount` of token A at `liquidity`, rounded up.

    Raises `QuoteError` where the program fails: an overflow, or an output the liquidity cannot pay.
    """
    if amount == 0:
        return sqrt_price
    product = sqrt_price * amount
    numerator = (liquidity * sqrt_price) << 64
    if numerator > U256_MAX:
        raise QuoteError("MultiplicationOverflow in next sqrt price from token A")
    liquidity_x64 = liquidity << 64
    if not is_input and liquidity_x64 <= product:
        raise QuoteError("DivideByZero: output exceeds the liquidity at this price")
    denominator = liquidity_x64 + product if is_input else liquidity_x64 - product
    if denominator > U256_MAX:
        raise QuoteError("MultiplicationOverflow in next sqrt price from token A")
    price = _div(numerator, denominator, True)
    if price > U128_MAX:
        raise QuoteError("NumberDownCastError in next sqrt price from token A")
    if price < MIN_SQRT_PRICE_X64:
        raise QuoteError("TokenMinSubceeded: sqrt price below the minimum")
    if price > MAX_SQRT_PRICE_X64:
        raise QuoteError("TokenMaxExceeded: sqrt price above the maximum")
    return price


def next_sqrt_price_from_b_round_down(sqrt_price: int, liquidity: int, amount: int, is_input: bool) -> int:
    """The sqrt price after adding (`is_input`) or removing `amount` of token B at `liquidity`, rounded down.

    Raises `QuoteError` where the price leaves the u128 range or would go below zero.
    """
    delta = _div(amount << 64, liquidity, not is_input)
    if is_input:
        price = sqrt_price + delta
        if price > U128_MAX:
            raise QuoteError("SqrtPriceOutOfBounds: sqrt price overflows u128")
        return price
    if delta > sqrt_price:
        raise QuoteError("SqrtPriceOutOfBounds: sqrt price below zero")
    return sqrt_price - delta


def next_sqrt_price(sqrt_price: int, liquidity: int, amount: int, is_input: bool, a_to_b: bool) -> int:
    """The sqrt price after `amount` moves in the swap direction: token A's formula when A is the amount's
    token (input of an A-to-B swap or output of a B-to-A swap), token B's otherwise.
    """
    if is_input == a_to_b:
        return next_sqrt_price_from_a_round_up(sqrt_price, liquidity, amount, is_input)
    return next_sqrt_price_from_b_round_down(sqrt_price, liquidity, amount, is_input)


def compute_swap_step(
    amount_remaining: int,
    fee_rate: int,
    liquidity: int,
    sqrt_price_current: int,
    sqrt_price_target: int,
    is_input: bool,
    a_to_b: bool,
) -> tuple[int, int, int, int]:
    """One step of the swap loop within one liquidity range: (amount_in, amount_out, next_sqrt_price, fee)."""
    fixed_is_a = a_to_b == is_input
    if fixed_is_a:
        initial_fixed = amount_delta_a(sqrt_price_current, sqrt_price_target, liquidity, is_input)
    else:
        initial_fixed = amount_delta_b(sqrt_price_current, sqrt_price_target, liquidity, is_input)
    amount_calc = amount_remaining
    if is_input:
        amount_calc = amount_remaining * (FEE_RATE_MUL_VALUE - fee_rate) // FEE_RATE_MUL_VALUE
    if initial_fixed is not None and amount_calc >= initial_fixed:
        next_price = sqrt_price_target
    else:
        next_price = next_sqrt_price(sqrt_price_current, liquidity, amount_calc, is_input, a_to_b)
    is_max_swap = next_price == sqrt_price_target
    unfixed = _delta(not fixed_is_a, sqrt_price_current, next_price, liquidity, not is_input)
    if not is_max_swap or initial_fixed is None:
        fixed = _delta(fixed_is_a, sqrt_price_current, next_price, liquidity, is_input)
    else:
        fixed = initial_fixed
    amount_in, amount_out = (fixed, unfixed) if is_input else (unfixed, fixed)
    if not is_input and amount_out > amount_remaining:
        amount_out = amount_remaining
    if is_input and not is_max_swap:
        fee = amount_remaining - amount_in
    else:
        fee = _div(amount_in * fee_rate, FEE_RATE_MUL_VALUE - fee_rate, True)
        if fee > U64_MAX:
            raise QuoteError("fee amount exceeds u64")
    return amount_in, amount_out, next_price, fee
