"""What a trade costs and whether it may be sent: gas at the worst fee it can pay, loan fee, builder payment.

Pure integer math, no I/O. The rule is fail-closed: a candidate is sendable only when a successful
simulation shows a profit that still clears `min_profit` after every cost, with gas charged at the
highest price the transaction can pay (its maxFeePerGas), never at a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BPS = 10_000


def builder_payment(gross_profit: int, share_bps: int) -> int:
    """What ArbExecutor pays block.coinbase: profit * share / 10_000, rounded down as the contract does."""
    if not 0 <= share_bps <= BPS:
        raise ValueError(f"share_bps: must be 0..{BPS}, got {share_bps}")
    return max(0, gross_profit) * share_bps // BPS


def loan_fee(amount: int, fee_bps: int) -> int:
    """A flash-loan fee of fee_bps, rounded up (Balancer's mulUp): the lender never gets less."""
    return -(-amount * fee_bps // BPS)


def worst_base_fee(next_base_fee: int, blocks_ahead: int) -> int:
    """The highest base fee any of the next `blocks_ahead` blocks can have (EIP-1559: at most +12.5% a block)."""
    if blocks_ahead < 1:
        raise ValueError(f"blocks_ahead: must be >= 1, got {blocks_ahead}")
    fee = next_base_fee
    for _ in range(blocks_ahead - 1):
        fee += max(1, fee // 8)
    return fee


def max_fee_per_gas(next_base_fee: int, blocks_ahead: int, priority_fee: int) -> int:
    """The `maxFeePerGas` to offer: the worst base fee over `blocks_ahead` blocks plus the priority fee, in wei."""
    return worst_base_fee(next_base_fee, blocks_ahead) + priority_fee


def cold_access_bound(hops: int) -> int:
    """Most gas a transaction can be undercharged when an earlier one warmed its accounts and slots.

    Per hop: the pool and the token out (2,500 each: cold 2,600 vs warm 100) and up to six storage slots
    (2,000 each: cold 2,100 vs warm 100); plus the executor, lender, start token and coinbase with four slots.
    """
    return 2_500 * (2 * hops + 4) + 2_000 * (6 * hops + 4)


def net_profit(gross_profit: int, gas: int, fee_per_gas: int, share_bps: int) -> int:
    """Gross (after the loan fee) minus the builder payment minus gas paid at fee_per_gas."""
    return gross_profit - builder_payment(gross_profit, share_bps) - gas * fee_per_gas


def min_gross_for(net_target: int, gas: int, fee_per_gas: int, share_bps: int) -> int | None:
    """The smallest gross profit whose net reaches `net_target` (None if no gross can: share is 100%).

    Used as the route's on-chain minProfit, so the contract itself reverts a trade that would lose.
    """
    if share_bps >= BPS:
        return None
    need = net_target + gas * fee_per_gas
    if need <= 0:
        return 0
    gross = -(-need * BPS // (BPS - share_bps))
    while net_profit(gross, gas, fee_per_gas, share_bps) < net_target:  # floor rounding of the payment
        gross += 1
    while gross > 0 and net_profit(gross - 1, gas, fee_per_gas, share_bps) >= net_target:
        gross -= 1
    return gross


@dataclass(frozen=True)
class Verdict:
    """Whether to send a trade (`send`), why or why not (`reason`), and the net profit in wei it was judged on."""

    send: bool
    reason: str
    net_profit: int = 0


def _refuse(
    sim_success: bool,
    sim_gross_profit: int | None,
    model_gross_profit: int,
    gas_charged: int,
    fee_per_gas: int,
    max_gas: int,
    fee_cap: int,
) -> Verdict | None:
    """The checks before any profit arithmetic: a refusal, or None when they all hold."""
    if not sim_success or sim_gross_profit is None:
        return Verdict(False, "simulation failed")
    if sim_gross_profit != model_gross_profit:
        return Verdict(False, f"simulation disagrees with the model ({sim_gross_profit} != {model_gross_profit})")
    if gas_charged <= 0 or gas_charged > max_gas:
        return Verdict(False, f"gas {gas_charged} outside 1..{max_gas}")
    if fee_per_gas <= 0 or fee_per_gas > fee_cap:
        return Verdict(False, f"fee per gas {fee_per_gas} outside 1..{fee_cap} (base fee spike?)")
    return None


def judge(
    *,
    sim_success: bool,
    sim_gross_profit: int | None,
    model_gross_profit: int,
    gas_charged: int,
    fee_per_gas: int,
    share_bps: int,
    min_profit: int,
    max_gas: int,
    fee_cap: int,
) -> Verdict:
    """Fail closed: every condition must hold, or the candidate is not sent."""
    refused = _refuse(sim_success, sim_gross_profit, model_gross_profit, gas_charged, fee_per_gas, max_gas, fee_cap)
    if refused is not None or sim_gross_profit is None:
        return refused or Verdict(False, "simulation failed")
    net = net_profit(sim_gross_profit, gas_charged, fee_per_gas, share_bps)
    if net <= 0 or net < min_profit:
        return Verdict(False, f"net profit {net} below the minimum {max(min_profit, 1)}", net)
    return Verdict(True, "profitable after all costs", net)


# --- routes whose profit is not WETH: judged in ETH at the block's on-chain price --------------------------


def attached_bribe(gross_eth: int, share_bps: int) -> int:
    """The ETH a non-WETH route attaches for the builder: the same share, of the profit's ETH value."""
    return builder_payment(gross_eth, share_bps)


def min_token_profit(eth_needed: int, gross_token: int, value_of: Callable[[int], int | None]) -> int | None:
    """The smallest token profit in 0..gross_token whose ETH value (by `value_of`, non-decreasing in the
    amount) is at least `eth_needed`: the route's on-chain minProfit, so a trade that lands paid for its
    bribe and gas at this block's price. None when even `gross_token` is not worth that much."""
    top = value_of(gross_token)
    if top is None or top < eth_needed:
        return None
    lo, hi = 0, gross_token  # value_of(hi) >= eth_needed
    while lo < hi:
        mid = (lo + hi) // 2
        v = value_of(mid)
        if v is not None and v >= eth_needed:
            hi = mid
        else:
            lo = mid + 1
    return lo


def judge_valued(
    *,
    sim_success: bool,
    sim_gross_profit: int | None,
    model_gross_profit: int,
    gross_eth: int | None,
    bribe: int,
    gas_charged: int,
    fee_per_gas: int,
    min_profit: int,
    max_gas: int,
    fee_cap: int,
) -> Verdict:
    """`judge` for a route whose profit is in another token: `gross_eth` is the simulated token profit's ETH
    value (None: no trusted valuation, never sent), `bribe` the ETH attached for the builder."""
    refused = _refuse(sim_success, sim_gross_profit, model_gross_profit, gas_charged, fee_per_gas, max_gas, fee_cap)
    if refused is not None:
        return refused
    if gross_eth is None:
        return Verdict(False, "no trusted ETH valuation of the profit token")
    net = gross_eth - bribe - gas_charged * fee_per_gas
    if net <= 0 or net < min_profit:
        return Verdict(False, f"net profit {net} wei (ETH value) below the minimum {max(min_profit, 1)}", net)
    return Verdict(True, "profitable after all costs, valued in ETH", net)
