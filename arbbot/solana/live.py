"""Send one route as a Jito bundle, sized and checked, and follow it to its outcome.

For a route the searcher found: the compute-unit limit comes from simulating the transaction itself,
the price from the fees recent transactions touching the route's writable accounts paid, the tip from
the expected profit within the configured bounds and above the block engine's floor; `min_profit` on
chain covers signature + priority fee + tip + the minimum net (fees.required_min_profit). The final,
signed transaction is simulated once more and must succeed before it is sent: nothing goes out that
simulation did not show clearing every cost. Then getBundleStatuses until it lands, fails or times out,
the balances are read back (the audit) and everything is journaled.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.bundle import route_transaction
from arbbot.solana.errors import FeeFloorError, JitoError, SolanaError
from arbbot.solana.fees import (
    LAMPORTS_PER_SIGNATURE,
    SolPrice,
    TipPolicy,
    TxCost,
    profit_in_lamports,
    size_tip,
)
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.jito import JitoClient, bundle_id
from arbbot.solana.journal import Landing, SolanaJournal
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.priority import PriorityPolicy, compute_unit_limit, compute_unit_price
from arbbot.solana.routes import Route
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.transaction import MAX_COMPUTE_UNIT_LIMIT


class SimulationFailed(SolanaError):
    """The route transaction fails in simulation: it is not sent."""


@dataclass(frozen=True)
class LiveConfig:
    """Settings of a live send: priority-fee and tip policies, the net-profit floor and how long to follow a bundle.

    `min_net_profit` is in raw units of the route's base token and is added to every fee in the on-chain
    `min_profit`; `wait_timeout` and `poll_interval` (seconds) bound the wait for the bundle's status.
    """

    priority: PriorityPolicy = field(default_factory=PriorityPolicy)
    tip: TipPolicy = field(default_factory=TipPolicy)
    min_net_profit: int = 1
    wait_timeout: float = 30.0
    poll_interval: float = 0.4


@dataclass
class Attempt:
    """Everything decided and observed for one route, for the CLI and the tests."""

    route: Route
    cu_limit: int = 0
    units_simulated: int = 0
    cu_price: int = 0
    tip: int = 0
    tip_account: Pubkey | None = None
    min_profit: int = 0
    tx_size: int = 0
    lookup_tables_used: int = 0
    bundle_id: str | None = None
    signature: str | None = None
    status: str = "built"  # built | refused | sent | rejected | landed | failed | timeout
    reason: str | None = None
    landing: Landing | None = None


def _simulate(rpc: SolanaRpc, tx: object, what: str) -> int:
    value = rpc.simulate(tx)  # type: ignore[arg-type]
    err = value.get("err") if isinstance(value, dict) else "malformed answer"
    if err is not None:
        logs = [str(line) for line in (value.get("logs") or [])][-6:] if isinstance(value, dict) else []
        raise SimulationFailed(f"{what} simulation failed: {err}; last logs: {logs}")
    units = value.get("unitsConsumed")
    if not isinstance(units, int) or units <= 0:
        raise SimulationFailed(f"{what} simulation reported no compute units ({units!r}): cannot size the limit")
    return units


def _token_amount(rpc: SolanaRpc, account: Pubkey) -> int:
    acc = rpc.get_account(account)
    if acc is None:
        raise SolanaError(f"token account {account} does not exist")
    return decode_token_account(acc.data, account, acc.owner).amount


def execute_route(
    *,
    rpc: SolanaRpc,
    jito: JitoClient,
    program: ArbExecutor,
    route: Route,
    owner: Keypair,
    token_accounts: dict[Pubkey, Pubkey],
    config: LiveConfig,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
    sol_price: SolPrice | None = None,
    tip_floor: int = 0,
    journal: SolanaJournal | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Attempt:
    """Size, check, send and follow one route. Refusals (fee floor, failed simulation) come back as an
    Attempt with status "refused" and the reason; nothing was sent for them."""
    attempt = Attempt(route)
    pubkey = owner.pubkey()
    tips = jito.tip_accounts()
    if not tips:
        raise JitoError("the block engine named no tip accounts")
    tip_account = secrets.choice(tips)  # any of them; spreading tips avoids write-lock contention
    attempt.tip_account = tip_account
    writable = [m.pubkey for m in program.route_instruction(route, pubkey, token_accounts, 0).accounts if m.is_writable]
    attempt.cu_price = compute_unit_price(rpc.get_recent_prioritization_fees(writable), config.priority)
    blockhash, _ = rpc.get_latest_blockhash()

    def build(cu_limit: int, tip: int, min_net: int) -> tuple[object, int, int, int]:
        tx, built = route_transaction(
            program, route, owner, token_accounts, blockhash=blockhash, cu_limit=cu_limit,
            cu_price=attempt.cu_price, tip=(tip_account, tip), lookup_tables=lookup_tables,
            sol_price=sol_price, min_net_profit=min_net, lamports_per_signature=LAMPORTS_PER_SIGNATURE,
        )  # fmt: skip
        # execute_route follows the two compute-budget instructions: 8-byte discriminator, amount_in, min_profit.
        min_profit = int.from_bytes(bytes(built.message.instructions[2].data)[16:24], "little")
        return tx, built.size, built.lookup_tables_used, min_profit

    try:
        # Sizing pass: the largest limit and the smallest tip that lands; the units hardly depend on either.
        lowest_tip = max(tip_floor, config.tip.min_tip)
        sizing, _, _, _ = build(MAX_COMPUTE_UNIT_LIMIT, lowest_tip, 1)
        attempt.units_simulated = _simulate(rpc, sizing, "sizing")
        attempt.cu_limit = compute_unit_limit(attempt.units_simulated, config.priority)
        other = TxCost(1, attempt.cu_limit, attempt.cu_price).lamports
        profit_lamports = profit_in_lamports(route.profit, route.base, sol_price)
        attempt.tip = size_tip(profit_lamports, other, tip_floor, config.tip)
        tx, attempt.tx_size, attempt.lookup_tables_used, attempt.min_profit = build(
            attempt.cu_limit, attempt.tip, config.min_net_profit
        )
        # Preflight of the very transaction to be sent: min_profit on chain covers fee + tip + net.
        _simulate(rpc, tx, "preflight")
    except (FeeFloorError, SimulationFailed) as exc:
        attempt.status, attempt.reason = "refused", str(exc)
        return attempt

    source = token_accounts[route.base]
    before_tokens, before_lamports = _token_amount(rpc, source), rpc.get_balance(pubkey)
    slot = rpc.get_slot()
    started = time.monotonic()
    attempt.signature = str(tx.signatures[0])  # type: ignore[attr-defined]
    error = None
    try:
        attempt.bundle_id = jito.send_bundle([tx], tips, min_tip=config.tip.min_tip)  # type: ignore[list-item]
    except JitoError as exc:
        error = str(exc)
    latency = (time.monotonic() - started) * 1000
    bid = attempt.bundle_id or bundle_id([tx])  # type: ignore[list-item]
    expected_net = attempt.min_profit - config.min_net_profit  # the fees in base units
    expected_net = route.profit - expected_net
    if journal is not None:
        journal.sent(
            bundle_id=bid, engine=jito.url, slot=slot, signatures=[attempt.signature], route=route,
            expected_net=expected_net, accepted=error is None, latency_ms=latency, error=error,
            extra={"cu_limit": attempt.cu_limit, "cu_price": attempt.cu_price, "tip_lamports": attempt.tip,
                   "min_profit": attempt.min_profit},
        )  # fmt: skip
    if error is not None:
        attempt.status, attempt.reason = "rejected", error
        return attempt

    attempt.status = "sent"
    try:
        status = jito.wait(bid, timeout=config.wait_timeout, interval=config.poll_interval, sleep=sleep)
    except JitoError as exc:
        attempt.status, attempt.reason = "timeout", str(exc)
        if journal is not None:
            journal.outcome(bundle_id=bid, engine=jito.url, route=route, signature=attempt.signature,
                            executor=str(program.program_id), landing=None, reason=attempt.reason)  # fmt: skip
        return attempt
    if status.error is not None or status.status in ("Failed", "Invalid"):
        attempt.status, attempt.reason = "failed", status.error or status.status
        if journal is not None:
            journal.outcome(bundle_id=bid, engine=jito.url, route=route, signature=attempt.signature,
                            executor=str(program.program_id), landing=None, reason=attempt.reason)  # fmt: skip
        return attempt

    # The audit: what the chain says now, not what the quote said.
    after_tokens, after_lamports = _token_amount(rpc, source), rpc.get_balance(pubkey)
    fee = TxCost(1, attempt.cu_limit, attempt.cu_price).lamports
    attempt.landing = Landing(
        slot=status.slot if status.slot is not None else slot,
        token_delta=after_tokens - before_tokens,
        lamports_delta=after_lamports - before_lamports,
        fee=fee,
        tip=attempt.tip,
    )
    attempt.status = "landed"
    if journal is not None:
        journal.outcome(bundle_id=bid, engine=jito.url, route=route, signature=attempt.signature,
                        executor=str(program.program_id), landing=attempt.landing)  # fmt: skip
    return attempt
