"""512-bit-safe multiply-divide, with the same failure conditions as FullMath.sol."""

from __future__ import annotations

from arbbot.amm.errors import ContractRevert

MAX_UINT256 = (1 << 256) - 1


def mul_div(a: int, b: int, denominator: int) -> int:
    """floor(a*b/denominator); reverts if denominator is 0 or the result overflows uint256."""
    if denominator == 0:
        raise ContractRevert("FullMath.mulDiv: division by zero")
    result = a * b // denominator
    if result > MAX_UINT256:
        raise ContractRevert("FullMath.mulDiv: result overflows uint256")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """ceil(a·b / denominator), as `FullMath.mulDivRoundingUp`.

    Raises `ContractRevert` on a zero denominator or when the rounded result overflows uint256.
    """
    result = mul_div(a, b, denominator)
    if (a * b) % denominator:
        if result >= MAX_UINT256:
            raise ContractRevert("FullMath.mulDivRoundingUp: result overflows uint256")
        result += 1
    return result


def div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp (y == 0 returns 0 in the EVM's DIV; callers never pass 0)."""
    if y == 0:
        return 0
    return -(-x // y)
