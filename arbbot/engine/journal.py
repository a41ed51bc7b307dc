"""What the searcher sent and what became of it, written where the reports and the audit find it.

Every bundle handed to the builders goes to the append-only bundle log and the bundles table, with its
strategy, simulated and expected profit and every builder's answer (bundle_submissions), also when no
builder accepted it. Our transaction is recorded as a pending trade linked to the bundle. Outcomes follow:
a landing (with the builder whose block it was) is audited at once from the receipt and the trace, so the
trades table holds realized against simulated figures; a miss is stored with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from arbbot.audit.bundle_log import BundleLog
from arbbot.db import crud
from arbbot.db.schemas import SubmissionRecord, TradeRecord
from arbbot.execution.plan import BuilderAttempt, Landed, Missed, SubmitResult, TradePlan

log = logging.getLogger(__name__)


class TradeAuditor(Protocol):
    """Audits landed transactions into the database (arbbot.audit)."""

    def __call__(self, tx_hashes: list[str]) -> None:
        """Audit these landed transactions (hashes, 0x-hex)."""
        ...


class Journal:
    """Writes every bundle sent and its outcome to the bundle log and, with a database, the trades table; landed
    transactions are handed to the auditor."""

    def __init__(
        self,
        bundle_log: BundleLog,
        chain_id: int,
        sessions: sessionmaker[Session] | None = None,
        auditor: TradeAuditor | None = None,
    ) -> None:
        self.bundle_log = bundle_log
        self.chain_id = chain_id
        self.sessions = sessions
        self.auditor = auditor
        self._uuid_of: dict[int, str] = {}  # id(plan) -> bundle uuid (outcomes carry the same plan object)
        self._open: dict[str, int] = {}  # bundle uuid -> its trades whose outcome has not come yet
        self._seen: dict[str, list[Landed | Missed]] = {}  # bundle uuid -> outcomes of its trades so far

    def sent(self, plan: TradePlan, result: SubmitResult) -> None:
        """Record one plan sent as its own bundle."""
        self.sent_batch([plan], [result])

    def sent_batch(self, plans: Sequence[TradePlan], results: Sequence[SubmitResult]) -> None:
        """One bundle carrying `plans` (one result each, sharing the bundle's uuid): one bundle record with the
        totals, one pending trade per transaction."""
        if not plans:
            return
        result = results[0]
        if result.uuid is None or result.tx_hash is None:
            return  # nothing reached a builder (e.g. the transactions could not be signed)
        simulated = [p.sim.executed.profit if p.sim.executed is not None else 0 for p in plans]
        attempts = _records(result.uuid, result.attempts)
        builders = list(result.accepted_by) or list(dict.fromkeys(a.builder for a in result.attempts))
        extra = {"trades": len(plans)} if len(plans) > 1 else None
        self.bundle_log.sent(
            uuid=result.uuid, chain_id=self.chain_id, builders=builders,
            target_blocks=list(result.target_blocks), tx_hashes=list(result.tx_hashes),
            simulated_profit=sum(simulated), bundle_hash=result.bundle_hash, strategy=plans[0].kind,
            expected_net=sum(p.expected_net for p in plans), status="sent" if result.sent else "rejected",
            attempts=attempts, extra=extra, bid=_bid(plans),
        )  # fmt: skip
        if not result.sent:
            return
        for plan in plans:
            self._uuid_of[id(plan)] = result.uuid
        self._open[result.uuid] = len(plans)
        if self.sessions is not None:
            records = [
                TradeRecord(
                    chain_id=self.chain_id,
                    tx_hash=r.tx_hash,
                    bundle_uuid=result.uuid,
                    executor=plan.executor,
                    profit=profit,
                    status="pending",
                )
                for plan, r, profit in zip(plans, results, simulated, strict=True)
                if r.tx_hash is not None
            ]
            with self.sessions.begin() as session:
                crud.upsert_trades(session, records)

    def outcome(self, o: Landed | Missed) -> None:
        """Record what became of one trade; a bundle's outcome is written once all its trades have one (a
        bundle lands whole or not at all), each landed trade audited."""
        bundle_uuid = self._uuid_of.pop(id(o.plan), None)
        if bundle_uuid is None:
            log.debug("outcome of a bundle this journal did not record (%s)", o.plan.kind)
            return
        seen = self._seen.setdefault(bundle_uuid, [])
        seen.append(o)
        self._open[bundle_uuid] = self._open.get(bundle_uuid, 1) - 1
        if self._open[bundle_uuid] > 0:
            return
        del self._open[bundle_uuid]
        outcomes = self._seen.pop(bundle_uuid)
        landed = [x for x in outcomes if isinstance(x, Landed)]
        if landed:
            # Realized profit in the bundles table comes from the audit of the receipts; the net seen here
            # (profit minus gas actually paid) goes in the log line.
            first = landed[0]
            extra: dict[str, str | int] = {
                "tx": first.tx_hash,
                "realized_net": str(sum(x.realized_net for x in landed)),
            }
            if len(outcomes) > 1:
                extra["txs"] = ",".join(x.tx_hash for x in landed)
                extra["trades_landed"] = len(landed)
            self.bundle_log.outcome(
                uuid=bundle_uuid, landed=True, landed_block=first.block_number, builder=first.builder, extra=extra,
            )  # fmt: skip
            if self.auditor is not None:
                self.auditor([x.tx_hash for x in landed])
        else:
            missed = [x for x in outcomes if isinstance(x, Missed)]
            m = missed[0]
            attempts = _records(bundle_uuid, m.attempts)
            self.bundle_log.outcome(uuid=bundle_uuid, landed=False, reason=m.reason, status="missed",
                                    extra={"status": m.status}, attempts=attempts)  # fmt: skip


def _bid(plans: Sequence[TradePlan]) -> dict[str, object] | None:
    """The first trade's bid as journaled, with every pool the bundle trades (what `arbbot audit --missed` looks
    for in the target blocks when the bundle misses)."""
    bid = plans[0].bid
    if bid is None:
        return None
    return {**bid.to_json(), "pools": sorted({p.lower() for plan in plans for p in plan.candidate.pools})}


def _records(bundle_uuid: str, attempts: Sequence[BuilderAttempt]) -> list[SubmissionRecord]:
    return [
        SubmissionRecord(
            bundle_uuid=bundle_uuid, builder=a.builder, method=a.method, accepted=a.accepted,  # type: ignore[arg-type]
            error=a.error, latency_ms=a.latency_ms, target_block=a.target_block, received_ms=a.received_ms,
            dialect=a.dialect, kind=a.kind,
        )
        for a in attempts
    ]  # fmt: skip


def db_auditor(rpc_url: str, executor: str, chain_id: int, sessions: sessionmaker[Session]) -> TradeAuditor:
    """Audits landed trades from the node (receipts, traces) into the trades table."""
    from arbbot.audit.auditor import AuditOptions, Auditor
    from arbbot.audit.store import save_trades, simulated_from_db
    from arbbot.chain.rpc import RpcClient

    auditor = Auditor(
        RpcClient(rpc_url), AuditOptions(executors=(executor,)), simulated=simulated_from_db(sessions, chain_id)
    )

    def audit(tx_hashes: list[str]) -> None:
        result = auditor.audit_hashes(tx_hashes)
        problems = [*result.problems, *save_trades(sessions, result.trades)]
        for p in problems:
            log.warning("audit of %s: %s", p.tx_hash, p.message)

    return audit
