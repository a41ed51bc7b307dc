"""Constant-product quotes of SPL token-swap and Raydium AMM v4, rounding exactly as their programs do."""

from __future__ import annotations

from arbbot.solana.errors import QuoteError

U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1


def _u64(name: str, value: int) -> None:
    if not 0 <= value <= U64_MAX:
        raise QuoteError(f"{name} must be a u64, got {value}")


def token_swap_fee(amount: int, numerator: int, denominator: int) -> int:
    """token-swap `calculate_fee`: floor(amount * n / d), but at least 1 when the fee is charged at all."""
    if numerator == 0 or amount == 0:
        return 0
    if denominator == 0:
        raise QuoteError(f"fee denominator is 0 with numerator {numerator}")
    return max(1, amount * numerator // denominator)


def spl_ceil_div(dividend: int, divisor: int) -> tuple[int, int]:
    """spl-math `checked_ceil_div`: (ceil quotient, divisor adjusted so quotient * divisor covers the dividend).

    A quotient of 0 rounds to 1 when the dividend is at least half the divisor, else stays 0.
    """
    if divisor == 0:
        raise QuoteError("division by zero in ceil_div")
    quotient = dividend // divisor
    if quotient == 0:
        return (1, 0) if dividend * 2 >= divisor else (0, 0)
    if dividend % divisor:
        quotient += 1
        divisor = dividend // quotient + (1 if dividend % quotient else 0)
    return quotient, divisor


def token_swap_constant_product_out(
    amount_in: int,
    reserve_in: int,
    reserve_out: int,
    trade_fee: tuple[int, int],
    owner_trade_fee: tuple[int, int],
) -> int:
    """Tokens out of an SPL token-swap constant-product pool for `amount_in` (`SwapCurve::swap`).

    Both fees are taken from the input first; the curve then keeps the invariant with a ceiling
    division, so the pool never loses to rounding (the program may take slightly less input than
    given: the adjusted divisor of the ceiling division).
    """
    _u64("amount_in", amount_in)
    if amount_in == 0:
        raise QuoteError("amount_in must be positive, got 0")
    fees = token_swap_fee(amount_in, *trade_fee) + token_swap_fee(amount_in, *owner_trade_fee)
    less_fees = amount_in - fees
    if less_fees <= 0:
        raise QuoteError(f"amount_in {amount_in} does not cover the fees {fees}")
    invariant = reserve_in * reserve_out
    if invariant > U128_MAX:
        raise QuoteError(f"invariant {reserve_in} x {reserve_out} overflows u128")
    new_out, new_in = spl_ceil_div(invariant, reserve_in + less_fees)
    if new_in < reserve_in:  # the program's checked_sub fails: the swap would drain the pool
        raise QuoteError(f"swap of {amount_in} overflows reserves {reserve_in}/{reserve_out}")
    out = reserve_out - new_out
    if out <= 0:
        raise QuoteError(f"swap of {amount_in} yields nothing from reserves {reserve_in}/{reserve_out}")
    return out


def raydium_swap_base_in_out(
    amount_in: int, reserve_in: int, reserve_out: int, swap_fee_numerator: int, swap_fee_denominator: int
) -> int:
    """Tokens out of Raydium AMM v4 `swap_base_in` given the reserves net of `need_take_pnl`.

    The swap fee is ceil-divided and taken from the input; the rest goes through
    out = reserve_out * in / (reserve_in + in), floored. A fee under half a unit is refused: older
    builds (spl_ceil_div) charge 0 for it, builds since raydium-amm 78c6a81 (2025-08) charge 1; from
    half a unit up both round the same way.
    """
    _u64("amount_in", amount_in)
    if amount_in == 0:
        raise QuoteError("amount_in must be positive, got 0")
    if swap_fee_denominator == 0:
        raise QuoteError("Raydium swap_fee_denominator is 0")
    charged = amount_in * swap_fee_numerator
    if 0 < 2 * charged < swap_fee_denominator:
        # Builds before raydium-amm 78c6a81 round a fee under half a unit to 0, later ones up to 1.
        raise QuoteError(
            f"Raydium swap fee on {amount_in} is under half a unit, which program builds round differently"
        )
    fee, _ = spl_ceil_div(charged, swap_fee_denominator)
    if fee > amount_in:  # the program's checked_sub of the fee fails
        raise QuoteError(f"Raydium swap fee {fee} exceeds amount_in {amount_in}")
    after_fee = amount_in - fee
    if reserve_in + after_fee == 0:
        raise QuoteError("Raydium pool has empty reserves")
    out = reserve_out * after_fee // (reserve_in + after_fee)
    if out >= reserve_out:
        raise QuoteError(f"InsufficientFunds: {out} out of a reserve of {reserve_out}")
    if out == 0:
        raise QuoteError(f"swap of {amount_in} yields nothing from reserves {reserve_in}/{reserve_out}")
    return out
