"""What the audit produces per trade. Amounts are exact ints in the token's smallest unit (wei for ETH)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from arbbot.chain.executed import Executed as Executed  # the one record of the event, re-exported
from arbbot.execution.route import Route

Status = Literal["success", "reverted"]
PaymentSource = Literal["trace", "coinbase_delta", "none"]


@dataclass(frozen=True)
class Transfer:
    """An ERC-20 `Transfer` (or a WETH deposit or withdrawal) decoded from a log, raw token units."""

    token: str
    sender: str
    recipient: str
    amount: int
    index: int


@dataclass(frozen=True)
class Swap:
    """One pool swap as its event reported it, seen from the pool's side."""

    pool: str  # V4 and Balancer: the pool id (lower-case)
    kind: Literal["uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4", "balancer_v2"]
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    recipient: str  # Balancer: the zero address (the Vault's event names no trader)
    index: int
    venue: str = ""


@dataclass(frozen=True)
class FlashLoan:
    """A flash loan taken by the executor in the trade: lender, protocol, token, amount and the fee paid on top."""

    lender: str
    protocol: Literal["balancer", "aave_v3", "uniswap_v2", "uniswap_v3"]
    token: str
    amount: int
    fee: int  # what the lender kept on top of the amount
    index: int


@dataclass(frozen=True)
class TokenValuation:
    """A non-WETH profit valued in ETH on chain: selling `amount` of `token` through `pool` (the deepest
    trusted WETH pool outside the route) on the state of `block` returns `wei`."""

    token: str
    amount: int  # the token profit, raw units (negative: a loss, valued as the sale of its size)
    wei: int
    pool: str
    block: int  # the state the price was read at: the trade's parent block, what it was judged at
    depth: int  # the pool's WETH-side depth then, wei


@dataclass
class TradeAudit:
    """Everything the audit established about one trade: its block, sender, route, loans, swaps, transfers, the
    executor's reported event and the profit and costs measured from the chain."""

    chain_id: int
    tx_hash: str
    block_number: int
    block_timestamp: int
    executor: str
    sender: str
    status: Status
    gas_used: int
    effective_gas_price: int
    gas_cost: int  # wei, paid by the sender
    route: list[Swap] = field(default_factory=list)  # the swaps that happened, from the logs
    requested: Route | None = None  # the route the transaction asked for (its calldata)
    flash_loans: list[FlashLoan] = field(default_factory=list)
    executed: Executed | None = None
    tokens_in: dict[str, int] = field(default_factory=dict)  # received by the executor, per token
    tokens_out: dict[str, int] = field(default_factory=dict)  # sent by the executor, per token
    profit_by_token: dict[str, int] = field(default_factory=dict)  # in - out, per token
    profit_eth: int | None = None  # the executor's gain valued in wei of ETH (after the builder payment)
    valuations: list[TokenValuation] = field(default_factory=list)  # how non-WETH profit was valued
    attached: int = 0  # wei the transaction carried (a non-WETH route's builder payment, from the sender)
    builder_payment: int = 0  # wei sent to the block's coinbase by this trade
    builder_payment_source: PaymentSource = "none"
    net_pnl: int | None = None  # profit_eth - attached - gas_cost
    simulated_profit: int | None = None  # what the searcher expected (bundle record), if known
    simulated_diff: int | None = None  # profit_eth - simulated_profit (realized minus expected)
    revert_reason: str | None = None
    traced: bool = False  # a call trace was used (else receipts and balance deltas only)
    bundle_uuid: str | None = None
    symbols: dict[str, str] = field(default_factory=dict)  # token -> symbol, where known
    decimals: dict[str, int] = field(default_factory=dict)  # token -> decimals(), where it answers
    notes: list[str] = field(default_factory=list)

    @property
    def gross_profit_eth(self) -> int | None:
        """Before the builder payment and gas: what the cycle itself made."""
        if self.profit_eth is None:
            return None
        return self.profit_eth + self.builder_payment - self.attached  # attached ETH was never the cycle's


@dataclass(frozen=True)
class AuditProblem:
    """A transaction that could not be audited, and why (the audit of the others goes on)."""

    tx_hash: str | None
    message: str


@dataclass
class AuditResult:
    """The trades audited and the transactions that could not be, each with its reason."""

    trades: list[TradeAudit] = field(default_factory=list)
    problems: list[AuditProblem] = field(default_factory=list)
