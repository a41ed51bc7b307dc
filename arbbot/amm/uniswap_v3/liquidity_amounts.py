"""LiquidityAmounts (v3-periphery / v4-periphery): the most liquidity a range can hold for given amounts."""

from __future__ import annotations

Q96 = 1 << 96


def liquidity_for_amount0(sqrt_a: int, sqrt_b: int, amount0: int) -> int:
    """`getLiquidityForAmount0`: liquidity that `amount0` buys on the range between two Q64.96 prices, rounded down."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    return amount0 * (sqrt_a * sqrt_b // Q96) // (sqrt_b - sqrt_a)


def liquidity_for_amount1(sqrt_a: int, sqrt_b: int, amount1: int) -> int:
    """`getLiquidityForAmount1`: liquidity that `amount1` buys on the range between two Q64.96 prices, rounded down."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    return amount1 * Q96 // (sqrt_b - sqrt_a)


def liquidity_for_amounts(sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int) -> int:
    """getLiquidityForAmounts: the range [sqrt_a, sqrt_b] at the current price `sqrt_price`."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if sqrt_price <= sqrt_a:
        return liquidity_for_amount0(sqrt_a, sqrt_b, amount0)
    if sqrt_price < sqrt_b:
        return min(
            liquidity_for_amount0(sqrt_price, sqrt_b, amount0), liquidity_for_amount1(sqrt_a, sqrt_price, amount1)
        )
    return liquidity_for_amount1(sqrt_a, sqrt_b, amount1)
