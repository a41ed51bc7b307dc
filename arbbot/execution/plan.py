"""What the engine hands an executor: one simulated, judged trade, ready to sign."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from arbbot.sim.candidate import CandidateSim
from arbbot.strategy.arbitrage import Candidate
from arbbot.strategy.bribe import Bid
from arbbot.strategy.valuation import EthValue


@dataclass(frozen=True)
class TradePlan:
    """One simulated, judged trade, ready to sign: the candidate, the executor call and its fork simulation.

    Gas fields are wei per gas; `target_block` is the first block the bundle targets and `blocks` how many
    consecutive blocks it is sent for. `expected_net` is the simulated profit after the builder payment and gas at
    `max_fee_per_gas`, in ETH wei; `pre_raw` holds signed transactions that go before ours (a victim).
    """

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
    bid: Bid | None = None  # the builder share chosen for it and the context it was chosen in


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
    """What an executor did with a plan: whether it sent it and why (or why not), with the bundle's identity
    (hashes, `uuid`) and every builder's answer for the audit log.
    """

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
    """A submitted plan that landed: the block, the builder it is attributed to and the realized net.

    `realized_net` is the executed profit (in ETH wei) minus the gas the receipt shows was paid.
    """

    plan: TradePlan
    block_number: int
    builder: str | None
    realized_net: int  # Executed profit minus gas actually paid, from the receipt
    tx_hash: str


@dataclass(frozen=True)
class Missed:
    """A submitted plan that did not land: its final inclusion status (or `"superseded"`) and the reason."""

    plan: TradePlan
    status: str
    reason: str
    attempts: tuple[BuilderAttempt, ...] = ()  # requests made about it after sending (withdrawals)
    tx_hash: str | None = None  # our transaction's hash, where it was signed


class Executor(Protocol):
    """What the engine needs from an executor: submit plans, report their fate block by block, close.

    An executor may also offer `submit_batch(plans)` to send several trades in one bundle, in order.
    """

    name: str

    async def submit(self, plan: TradePlan) -> SubmitResult:
        """Sign and send one plan (or decline it); the result says which and why."""

    # Optional: `async def submit_batch(plans) -> list[SubmitResult]`, several trades in one bundle in the
    # given order (one result per plan). The engine sends only the first plan to executors without it.

    async def on_block(self, head: int) -> list[Landed | Missed]:
        """Check outstanding submissions now that `head` is the chain head."""
        ...

    async def close(self) -> None:
        """Release the executor's connections; called once, when the engine stops."""
