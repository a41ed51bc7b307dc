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

    def __call__(self, tx_hashes: list[str]) -> None: ...


class Journal:
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

    def sent(self, plan: TradePlan, result: SubmitResult) -> None:
        if result.uuid is None or result.tx_hash is None:
            return  # nothing reached a builder (e.g. the transaction could not be signed)
        simulated = plan.sim.executed.profit if plan.sim.executed is not None else 0
        attempts = _records(result.uuid, result.attempts)
        builders = list(result.accepted_by) or list(dict.fromkeys(a.builder for a in result.attempts))
        self.bundle_log.sent(
            uuid=result.uuid, chain_id=self.chain_id, builders=builders,
            target_blocks=list(result.target_blocks), tx_hashes=list(result.tx_hashes),
            simulated_profit=simulated, bundle_hash=result.bundle_hash, strategy=plan.kind,
            expected_net=plan.expected_net, status="sent" if result.sent else "rejected", attempts=attempts,
        )  # fmt: skip
        if not result.sent:
            return
        self._uuid_of[id(plan)] = result.uuid
        if self.sessions is not None:
            record = TradeRecord(
                chain_id=self.chain_id, tx_hash=result.tx_hash, bundle_uuid=result.uuid, executor=plan.executor,
                profit=simulated, status="pending",
            )  # fmt: skip
            with self.sessions.begin() as session:
                crud.upsert_trades(session, [record])

    def outcome(self, o: Landed | Missed) -> None:
        bundle_uuid = self._uuid_of.pop(id(o.plan), None)
        if bundle_uuid is None:
            log.debug("outcome of a bundle this journal did not record (%s)", o.plan.kind)
            return
        if isinstance(o, Landed):
            # Realized profit in the bundles table comes from the audit of the receipt; the net seen here
            # (profit minus gas actually paid) goes in the log line.
            self.bundle_log.outcome(
                uuid=bundle_uuid, landed=True, landed_block=o.block_number, builder=o.builder,
                extra={"tx": o.tx_hash, "realized_net": str(o.realized_net)},
            )  # fmt: skip
            if self.auditor is not None:
                self.auditor([o.tx_hash])
        else:
            attempts = _records(bundle_uuid, o.attempts)
            self.bundle_log.outcome(uuid=bundle_uuid, landed=False, reason=o.reason, status="missed",
                                    extra={"status": o.status}, attempts=attempts)  # fmt: skip


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
