"""Raydium CPMM `swap_base_input`, integer-exact as the program computes it (curve/calculator.rs,
curve/fees.rs, instructions/swap_base_input.rs), Token-2022 transfer fees on both sides included.

Rates are parts per million (`FEE_RATE_DENOMINATOR`). With the creator fee taken on the input:
total = ceil(x · (trade + creator) / 1e6), creator = floor(total · creator / (trade + creator)),
trade fee = total − creator; otherwise trade fee = ceil(x · trade / 1e6) and the creator fee
ceil(out · creator / 1e6) is cut from the output. Output = floor((x − fees on input) · R_out /
(R_in + x − fees on input)); protocol and fund shares are floor(trade fee · rate / 1e6). Reserves are
the vault balances minus the protocol, fund and creator fees they hold.

Where the program fails, `QuoteError` (nothing transferable after the input fee, nothing received
after the output fee, a zero reserve, owed fees above a vault balance, the current build's
zero-divisor when creator-on-input pools have no fee at all).
"""

from __future__ import annotations

from dataclasses import dataclass

from arbbot.solana.errors import QuoteError
from arbbot.solana.quote.transfer_fee import TransferFee, transfer_fee

FEE_RATE_DENOMINATOR = 1_000_000
U64_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class CpmmSwap:
    """The outcome of a CPMM `swap_base_input`, in raw token units.

    The fees are those the program books for the swap: the trade fee (of which the protocol and fund shares)
    and the creator fee, taken from the input or the output as the pool says.
    """

    output_amount: int  # leaves the output vault (before any output transfer fee)
    trade_fee: int
    protocol_fee: int
    fund_fee: int
    creator_fee: int


def _ceil_div(n: int, d: int) -> int:
    return (n + d - 1) // d


def swap_base_input(
    input_amount: int,
    reserve_in: int,
    reserve_out: int,
    trade_fee_rate: int,
    protocol_fee_rate: int,
    fund_fee_rate: int,
    creator_fee_rate: int = 0,
    creator_fee_on_input: bool = True,
) -> CpmmSwap:
    """`CurveCalculator::swap_base_input` for `input_amount` arriving in the vault (after any input
    transfer fee), against reserves net of owed fees."""
    if input_amount <= 0:
        raise QuoteError(f"CPMM: input amount {input_amount} after transfer fee is not positive")
    if reserve_in <= 0 or reserve_out <= 0:
        raise QuoteError(f"CPMM: reserves ({reserve_in}, {reserve_out}) must both be positive")
    creator_fee = 0
    if creator_fee_on_input:
        total_rate = trade_fee_rate + creator_fee_rate
        if total_rate == 0:
            raise QuoteError("CPMM: trade and creator fee rates are both 0 (the program cannot split a zero fee)")
        total_fee = _ceil_div(input_amount * total_rate, FEE_RATE_DENOMINATOR)
        creator_fee = total_fee * creator_fee_rate // total_rate
        trade_fee = total_fee - creator_fee
        net_in = input_amount - total_fee
    else:
        trade_fee = _ceil_div(input_amount * trade_fee_rate, FEE_RATE_DENOMINATOR)
        net_in = input_amount - trade_fee
    if net_in < 0:
        raise QuoteError(f"CPMM: fees exceed the input {input_amount}")
    swapped = net_in * reserve_out // (reserve_in + net_in)
    output = swapped
    if not creator_fee_on_input:
        creator_fee = _ceil_div(swapped * creator_fee_rate, FEE_RATE_DENOMINATOR)
        output = swapped - creator_fee
        if output < 0:
            raise QuoteError("CPMM: creator fee exceeds the output")
    return CpmmSwap(
        output_amount=output,
        trade_fee=trade_fee,
        protocol_fee=trade_fee * protocol_fee_rate // FEE_RATE_DENOMINATOR,
        fund_fee=trade_fee * fund_fee_rate // FEE_RATE_DENOMINATOR,
        creator_fee=creator_fee,
    )


def swap_base_input_received(
    amount_in: int,
    reserve_in: int,
    reserve_out: int,
    trade_fee_rate: int,
    protocol_fee_rate: int,
    fund_fee_rate: int,
    creator_fee_rate: int = 0,
    creator_fee_on_input: bool = True,
    fee_in: TransferFee | None = None,
    fee_out: TransferFee | None = None,
) -> int:
    """What the user's output account receives for `amount_in` leaving the user's input account:
    the input transfer fee comes off before the curve, the output transfer fee after it."""
    if not 0 < amount_in <= U64_MAX:
        raise QuoteError(f"CPMM: amount_in {amount_in} is not a positive u64")
    arrived = amount_in - (transfer_fee(fee_in, amount_in) if fee_in else 0)
    swap = swap_base_input(
        arrived,
        reserve_in,
        reserve_out,
        trade_fee_rate,
        protocol_fee_rate,
        fund_fee_rate,
        creator_fee_rate,
        creator_fee_on_input,
    )
    received = swap.output_amount - (transfer_fee(fee_out, swap.output_amount) if fee_out else 0)
    if received <= 0:
        raise QuoteError(f"CPMM: {amount_in} in yields nothing after the output transfer fee")
    return received
