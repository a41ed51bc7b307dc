"""TickMath: sqrt(1.0001^tick) * 2^96 exactly as the contract computes it, and its inverse."""

from __future__ import annotations

import math
from functools import lru_cache

from arbbot.amm.errors import ContractRevert

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342

# Q128 factors sqrt(1.0001^-(2^i)) for bit i of |tick|: constants of the protocol.
_FACTORS = (
    0xFFFCB933BD6FAD37AA2D162D1A594001,
    0xFFF97272373D413259A46990580E213A,
    0xFFF2E50F5F656932EF12357CF3C7FDCC,
    0xFFE5CACA7E10E4E61C3624EAA0941CD0,
    0xFFCB9843D60F6159C9DB58835C926644,
    0xFF973B41FA98C081472E6896DFB254C0,
    0xFF2EA16466C96A3843EC78B326B52861,
    0xFE5DEE046A99A2A811C461F1969C3053,
    0xFCBE86C7900A88AEDCFFC83B479AA3A4,
    0xF987A7253AC413176F2B074CF7815E54,
    0xF3392B0822B70005940C7A398E4B70F3,
    0xE7159475A2C29B7443B29C7FA6E889D9,
    0xD097F3BDFD2022B8845AD8F792AA5825,
    0xA9F746462D870FDF8A65DC1F90E061E5,
    0x70D869A156D2A1B890BB3DF62BAF32F7,
    0x31BE135F97D08FD981231505542FCFA6,
    0x9AA508B5B7A84E1C677DE54F3E99BC9,
    0x5D6AF8DEDB81196699C329225EE604,
    0x2216E584F5FA1EA926041BEDFE98,
    0x48A170391F7DC42444E8FA2,
)
_MAX_UINT256 = (1 << 256) - 1
_LOG_Q96 = 96 * math.log(2)
_LOG_BASE = math.log(1.0001)


@lru_cache(maxsize=1 << 16)  # swaps revisit the same word-boundary ticks over and over
def get_sqrt_ratio_at_tick(tick: int) -> int:
    """`TickMath.getSqrtRatioAtTick`: the Q64.96 square-root price of `tick`, rounded up, bit-exact.

    Raises `ContractRevert` for a tick outside [`MIN_TICK`, `MAX_TICK`].
    """
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise ContractRevert(f"TickMath: tick {tick} outside [{MIN_TICK}, {MAX_TICK}] ('T')")
    ratio = _FACTORS[0] if abs_tick & 1 else 1 << 128
    for bit in range(1, 20):
        if abs_tick & (1 << bit):
            ratio = (ratio * _FACTORS[bit]) >> 128
    if tick > 0:
        ratio = _MAX_UINT256 // ratio
    # Q128.128 -> Q64.96, rounding up so that getTickAtSqrtRatio round-trips.
    return (ratio >> 32) + (1 if ratio % (1 << 32) else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose ratio is <= sqrt_price_x96 (the contract's documented definition)."""
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise ContractRevert(f"TickMath: sqrt price {sqrt_price_x96} out of range ('R')")
    # A float estimate lands within a tick or two; exact integer checks then settle it, so the
    # result is the definition's, never the float's.
    guess = math.floor(2 * (math.log(sqrt_price_x96) - _LOG_Q96) / _LOG_BASE)
    guess = max(MIN_TICK, min(MAX_TICK - 1, guess))
    for _ in range(4):
        if get_sqrt_ratio_at_tick(guess) > sqrt_price_x96:
            guess -= 1
        elif guess < MAX_TICK and get_sqrt_ratio_at_tick(guess + 1) <= sqrt_price_x96:
            guess += 1
        else:
            return guess
    lo, hi = MIN_TICK, MAX_TICK
    while lo < hi:  # fallback: binary search on a strictly increasing function
        mid = (lo + hi + 1) // 2
        if get_sqrt_ratio_at_tick(mid) <= sqrt_price_x96:
            lo = mid
        else:
            hi = mid - 1
    return lo
