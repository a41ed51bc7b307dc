"""What the engine hands an executor: one simulated, judged trade, ready to sign."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from arbbot.sim.candidate import CandidateSim
from arbbot.strategy.arbitrage import Candidate
from arbbot.strategy.valuation import EthValue


@dataclass(frozen=True)
class TradePlan:
    kind: Literal["cycle", "backrun"]
    candidate: Candidate
    executor: str  # the ArbExecutor address
    calldata: bytes  # execute(route)
    gas_limit: int
    max_fee_per_gas: int
    priority_fee: int
    target_block: int
    blocks: int
    sim: CandidateSim
    expected_net: int  # simulated profit after builder payment and gas at max_fee_per_gas, in ETH wei
    value: int = 0  # ETH the transaction carries: the builder payment of a route whose profit is not WETH
    valuation: EthValue | None = None  # how a non-WETH profit was valued in ETH (None: a WETH route)
    pre_raw: tuple[str, ...] = ()  # signed txs that go before ours (the victim)
    pre_hashes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class BuilderAttempt:
    """One builder's answer to one request about a bundle."""

    builder: str
    method: str  # eth_sendBundle | eth_callBundle | eth_cancelBundle
    accepted: bool
    latency_ms: float
    target_block: int | None = None
    error: str | None = None
    received_ms: float | None = None  # the builder's own receive time (`receivedTimestampMs`), where given
    dialect: str | None = None  # the request shape it was sent in
    kind: str | None = None  # why it failed: "refused"/"rate_limited" (never sent), "rejected", "timeout"…


@dataclass(frozen=True)
class SubmitResult:
    sent: bool
    reason: str
    bundle_hash: str | None = None
    tx_hash: str | None = None
    accepted_by: tuple[str, ...] = ()
    uuid: str | None = None  # the bundle's replacementUuid: the key of its audit-log records
    target_blocks: tuple[int, ...] = ()
    tx_hashes: tuple[str, ...] = ()  # the whole bundle, in order (a victim first, then ours)
    attempts: tuple[BuilderAttempt, ...] = ()  # every builder's answer, accepted or not


@dataclass(frozen=True)
class Landed:
    plan: TradePlan
    block_number: int
    builder: str | None
    realized_net: int  # Executed profit minus gas actually paid, from the receipt
    tx_hash: str


@dataclass(frozen=True)
class Missed:
    plan: TradePlan
    status: str
    reason: str
    attempts: tuple[BuilderAttempt, ...] = ()  # requests made about it after sending (withdrawals)


class Executor(Protocol):
    name: str

    async def submit(self, plan: TradePlan) -> SubmitResult: ...

    # Optional: `async def submit_batch(plans) -> list[SubmitResult]`, several trades in one bundle in the
    # given order (one result per plan). The engine sends only the first plan to executors without it.

    async def on_block(self, head: int) -> list[Landed | Missed]:
        """Check outstanding submissions now that `head` is the chain head."""
        ...

    async def close(self) -> None: ...
