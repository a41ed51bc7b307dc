"""What the searcher sent and what became of it, written where the audit finds it.

Each bundle sent goes to the append-only bundle log (and the bundles table) with its simulated profit,
and our transaction is recorded as a pending trade linked to that bundle, so `arbbot audit` later
shows simulated against realized figures. Outcomes (landed in block N, or missed) follow.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from arbbot.audit.bundle_log import BundleLog
from arbbot.db import crud
from arbbot.db.schemas import TradeRecord
from arbbot.execution.plan import Landed, Missed, SubmitResult, TradePlan

log = logging.getLogger(__name__)


class Journal:
    def __init__(self, bundle_log: BundleLog, chain_id: int, sessions: sessionmaker[Session] | None = None) -> None:
        self.bundle_log = bundle_log
        self.chain_id = chain_id
        self.sessions = sessions
        self._uuid_of: dict[int, str] = {}  # id(plan) -> bundle uuid (outcomes carry the same plan object)

    def sent(self, plan: TradePlan, result: SubmitResult) -> None:
        if not result.sent or result.uuid is None or result.tx_hash is None:
            return
        simulated = plan.sim.executed.profit if plan.sim.executed is not None else 0
        self.bundle_log.sent(
            uuid=result.uuid, chain_id=self.chain_id, builders=list(result.accepted_by),
            target_blocks=list(result.target_blocks), tx_hashes=list(result.tx_hashes),
            simulated_profit=simulated, bundle_hash=result.bundle_hash,
            extra={"strategy": plan.kind, "expected_net": str(plan.expected_net)},
        )  # fmt: skip
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
        else:
            self.bundle_log.outcome(uuid=bundle_uuid, landed=False, extra={"status": o.status, "reason": o.reason})
