"""The real-valued curve each pool's exact quote rounds down from, piece by piece, as integer Möbius maps.

A constant-product pool (V2, or a concentrated-liquidity pool between two initialized ticks, on its
virtual reserves) turns input u into out = c·u / (a + b·u). Shifted to where a piece starts, every
piece is out = (m0·in + m1) / (m2·in + m3) with integer m: composing hops is a 2x2 matrix product, so
a whole cycle on one "cell" (one piece per hop) is again one such map, with a closed-form optimum.

The contracts round every amount in the pool's favour, so the exact quote never exceeds this curve:
q(x) = curve(x) - cost(x) is a rigorous upper bound of the exact profit p(x). That is what lets the
solver reject a cycle exactly (q'(0) <= 1 means no size can pay) and certify an integer optimum.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from arbbot.amm.base import Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick

Q96 = 1 << 96
Matrix = tuple[int, int, int, int]  # (m0, m1, m2, m3): x -> (m0*x + m1) / (m2*x + m3)
IDENTITY: Matrix = (1, 0, 0, 1)

# A piece: its map (in terms of the hop's own total input) and where it ends (None: never).
Piece = tuple[Matrix, Fraction | None]


def compose(outer: Matrix, inner: Matrix) -> Matrix:
    """outer(inner(x)) as one map."""
    a, b, c, d = outer
    e, f, g, h = inner
    return a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h


def inverse_at(m: Matrix, y: Fraction) -> Fraction | None:
    """The x with m(x) = y, or None when the map never reaches y (its supremum is below)."""
    a, b, c, d = m
    den = a * y.denominator - c * y.numerator
    if den <= 0:
        return None
    return Fraction(d * y.numerator - b * y.denominator, den)


def has_closed_form(pool: Pool) -> bool:
    """Whether the pool's exact-input curve has the piecewise closed form the solver bounds (V2 and V3 models)."""
    return isinstance(pool, UniswapV2Pool | UniswapV3Pool)


def pieces(pool: Pool, zero_for_one: bool) -> Iterator[Piece]:
    """The pieces of the pool's relaxed exact-input curve in the given direction, in order of input."""
    if isinstance(pool, UniswapV2Pool):
        yield _v2_piece(pool, zero_for_one)
        return
    if isinstance(pool, UniswapV3Pool):
        yield from _v3_pieces(pool, zero_for_one)
        return
    raise TypeError(f"pool {pool.address}: kind {pool.kind!r} has no closed-form curve")


def _v2_piece(pool: UniswapV2Pool, zero_for_one: bool) -> Piece:
    r_in, r_out = (pool.reserve0, pool.reserve1) if zero_for_one else (pool.reserve1, pool.reserve0)
    g = 10_000 - pool.fee_bps
    if r_in <= 0 or r_out <= 0 or g <= 0:
        return (0, 0, 0, 1), None  # dead: nothing comes out
    return (g * r_out, 0, g, 10_000 * r_in), None


def initialized_ticks(pool: UniswapV3Pool) -> list[int]:
    """Initialized ticks as the swap loop sees them: the bitmap is the authority, not the tick map."""
    out = []
    spacing = pool.tick_spacing
    for word, bits in pool.bitmap.items():
        base = word << 8
        while bits:
            low = bits & -bits
            out.append((base + low.bit_length() - 1) * spacing)
            bits ^= low
    out.sort()
    return out


def _shifted(a0: int, b0: int, c0: int, in_s: Fraction, out_s: Fraction) -> Matrix:
    """out = out_s + c0*(in - in_s) / (a0 + b0*(in - in_s)) as one integer map of `in`."""
    ni, di = in_s.numerator, in_s.denominator
    no, do = out_s.numerator, out_s.denominator
    shift = a0 * di - b0 * ni
    return (no * b0 + c0 * do) * di, no * shift - c0 * ni * do, b0 * di * do, shift * do


def _v3_pieces(pool: UniswapV3Pool, zero_for_one: bool) -> Iterator[Piece]:
    g = 1_000_000 - pool.fee
    big_d = 1_000_000
    ticks = initialized_ticks(pool)
    price, liquidity, tick = pool.sqrt_price_x96, pool.liquidity, pool.tick
    in_s = out_s = Fraction(0)
    if zero_for_one:
        limit = MIN_SQRT_RATIO + 1
        # Initialized ticks at or below the current tick, nearest first (the loop's lte search).
        boundaries = [t for t in reversed(ticks) if t <= tick]
    else:
        limit = MAX_SQRT_RATIO - 1
        boundaries = [t for t in ticks if t > tick]
    nets = pool.ticks
    i = 0
    while True:
        t: int | None
        if i < len(boundaries):
            t = boundaries[i]
            end_price = get_sqrt_ratio_at_tick(t)
            if (zero_for_one and end_price < limit) or (not zero_for_one and end_price > limit):
                end_price, t = limit, None
        else:
            end_price, t = limit, None
        moves = end_price < price if zero_for_one else end_price > price
        if liquidity > 0 and g > 0 and moves:
            lq = liquidity
            if zero_for_one:
                a0, b0, c0 = big_d * lq * Q96 * Q96, g * price * Q96, g * lq * price * price
                length = Fraction(big_d * lq * Q96 * (price - end_price), g * price * end_price)
                gained = Fraction(lq * (price - end_price), Q96)
            else:
                a0, b0, c0 = big_d * lq * price * price, g * price * Q96, g * lq * Q96 * Q96
                length = Fraction(big_d * lq * (end_price - price), g * Q96)
                gained = Fraction(lq * Q96 * (end_price - price), price * end_price)
            in_e = in_s + length
            yield _shifted(a0, b0, c0, in_s, out_s), in_e
            in_s, out_s = in_e, out_s + gained
        # A piece with no liquidity takes no input: the price jumps across the gap for free.
        if t is None:
            break
        info = nets.get(t)
        net = info.liquidity_net if info is not None else 0
        liquidity = liquidity - net if zero_for_one else liquidity + net
        if liquidity < 0:
            break  # an inconsistent state the contract would revert on ('LS'): nothing beyond
        price = end_price
        i += 1
    # Past the last piece the output no longer grows.
    yield (0, out_s.numerator, 0, out_s.denominator), None


def marginal_at_zero(pool: Pool, zero_for_one: bool) -> tuple[int, int] | None:
    """The relaxed curve's slope at zero input as an exact fraction (num, den), or None when nothing
    ever comes out. At a liquidity gap it is the slope where liquidity resumes (the gap costs nothing).
    Cheap: no pieces are built, so a cycle that cannot pay is rejected in a few integer products."""
    if isinstance(pool, UniswapV2Pool):
        r_in, r_out = (pool.reserve0, pool.reserve1) if zero_for_one else (pool.reserve1, pool.reserve0)
        g = 10_000 - pool.fee_bps
        if r_in <= 0 or r_out <= 0 or g <= 0:
            return None
        return g * r_out, 10_000 * r_in
    if isinstance(pool, UniswapV3Pool):
        g = 1_000_000 - pool.fee
        if g <= 0:
            return None
        price = pool.sqrt_price_x96
        if pool.liquidity <= 0:
            liquid = _first_liquid_price(pool, zero_for_one)
            if liquid is None:
                return None
            price = liquid
        if zero_for_one:
            return g * price * price, 1_000_000 * Q96 * Q96
        return g * Q96 * Q96, 1_000_000 * price * price
    raise TypeError(f"pool {pool.address}: kind {pool.kind!r} has no closed-form curve")


def _first_liquid_price(pool: UniswapV3Pool, zero_for_one: bool) -> int | None:
    """Where a swap from an empty price first meets liquidity (None: it never does)."""
    for (_m, _end), start in _piece_starts(pool, zero_for_one):
        return start
    return None


def _piece_starts(pool: UniswapV3Pool, zero_for_one: bool) -> Iterator[tuple[Piece, int]]:
    """Each liquid piece with the price it starts at (the first ones only are ever needed here)."""
    ticks = initialized_ticks(pool)
    price, liquidity, tick = pool.sqrt_price_x96, pool.liquidity, pool.tick
    boundaries = [t for t in reversed(ticks) if t <= tick] if zero_for_one else [t for t in ticks if t > tick]
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    for t in [*boundaries, None]:
        end = limit if t is None else get_sqrt_ratio_at_tick(t)
        if (zero_for_one and end < limit) or (not zero_for_one and end > limit):
            end, t = limit, None
        moves = end < price if zero_for_one else end > price
        if liquidity > 0 and moves:
            yield ((0, 0, 0, 1), None), price
            return
        if t is None:
            return
        info = pool.ticks.get(t)
        net = info.liquidity_net if info is not None else 0
        liquidity = liquidity - net if zero_for_one else liquidity + net
        if liquidity < 0:
            return
        price = end
