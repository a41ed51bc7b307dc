"""SqrtPriceMath: price moves and token amounts between prices, with the contract's rounding.

Where the contract takes a different arithmetic path on 256-bit overflow, so do we: the two paths
round differently, and wei-exactness depends on following the same one.
"""

from __future__ import annotations

from arbbot.amm.errors import ContractRevert
from arbbot.amm.uniswap_v3.full_math import div_rounding_up, mul_div, mul_div_rounding_up

Q96 = 1 << 96
_U256 = 1 << 256
_MAX_U160 = (1 << 160) - 1


def _to_uint160(x: int) -> int:
    if x > _MAX_U160:
        raise ContractRevert("SafeCast.toUint160 overflow")
    return x


def next_sqrt_price_from_amount0_rounding_up(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    """`getNextSqrtPriceFromAmount0RoundingUp`: the Q64.96 price after adding (`add`) or removing `amount` of token0.

    Rounds up, and takes the contract's fallback path when the 256-bit product would overflow. Raises
    `ContractRevert` where the contract reverts (output beyond what the liquidity holds, overflow).
    """
    if amount == 0:
        return sqrt_p
    numerator1 = liquidity << 96
    product = amount * sqrt_p
    if add:
        if product < _U256:  # the contract checks product / amount == sqrtP (no overflow)
            denominator = numerator1 + product
            if denominator < _U256:  # and that the sum did not wrap
                return mul_div_rounding_up(numerator1, sqrt_p, denominator)
        second = numerator1 // sqrt_p + amount
        if second >= _U256:
            raise ContractRevert("LowGasSafeMath.add overflow")
        return div_rounding_up(numerator1, second)
    if product >= _U256 or numerator1 <= product:
        raise ContractRevert("SqrtPriceMath: amount0 out exceeds what the liquidity holds")
    return _to_uint160(mul_div_rounding_up(numerator1, sqrt_p, numerator1 - product))


def next_sqrt_price_from_amount1_rounding_down(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    """`getNextSqrtPriceFromAmount1RoundingDown`: the Q64.96 price after adding (`add`) or removing `amount` of token1.

    Rounds down; raises `ContractRevert` where the contract reverts.
    """
    if add:
        quotient = (amount << 96) // liquidity if amount <= _MAX_U160 else mul_div(amount, Q96, liquidity)
        result = sqrt_p + quotient
        if result >= _U256:
            raise ContractRevert("LowGasSafeMath.add overflow")
        return _to_uint160(result)
    quotient = (
        div_rounding_up(amount << 96, liquidity) if amount <= _MAX_U160 else mul_div_rounding_up(amount, Q96, liquidity)
    )
    if sqrt_p <= quotient:
        raise ContractRevert("SqrtPriceMath: amount1 out exceeds what the liquidity holds")
    return sqrt_p - quotient


def next_sqrt_price_from_input(sqrt_p: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """`getNextSqrtPriceFromInput`: the price after `amount_in` of input, rounded so the pool never gives away more.

    Raises `ContractRevert` on a zero price or zero liquidity.
    """
    if sqrt_p <= 0 or liquidity <= 0:
        raise ContractRevert("SqrtPriceMath: zero price or liquidity")
    if zero_for_one:
        return next_sqrt_price_from_amount0_rounding_up(sqrt_p, liquidity, amount_in, True)
    return next_sqrt_price_from_amount1_rounding_down(sqrt_p, liquidity, amount_in, True)


def next_sqrt_price_from_output(sqrt_p: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    """`getNextSqrtPriceFromOutput`: the price after paying out `amount_out`, rounded in the pool's favour.

    Raises `ContractRevert` on a zero price or zero liquidity, or when the liquidity cannot pay `amount_out`.
    """
    if sqrt_p <= 0 or liquidity <= 0:
        raise ContractRevert("SqrtPriceMath: zero price or liquidity")
    if zero_for_one:
        return next_sqrt_price_from_amount1_rounding_down(sqrt_p, liquidity, amount_out, False)
    return next_sqrt_price_from_amount0_rounding_up(sqrt_p, liquidity, amount_out, False)


def amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """`getAmount0Delta`: token0 between two Q64.96 prices for `liquidity`, rounded up or down as asked."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if sqrt_a <= 0:
        raise ContractRevert("SqrtPriceMath.getAmount0Delta: zero price")
    numerator1 = liquidity << 96
    numerator2 = sqrt_b - sqrt_a
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, sqrt_b), sqrt_a)
    return mul_div(numerator1, numerator2, sqrt_b) // sqrt_a


def amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """`getAmount1Delta`: token1 between two Q64.96 prices for `liquidity`, rounded up or down as asked."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_b - sqrt_a, Q96)
    return mul_div(liquidity, sqrt_b - sqrt_a, Q96)
