"""Dry-run executor: every judged trade is logged and kept in memory, nothing is signed or sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from arbbot.execution.plan import Landed, Missed, SubmitResult, TradePlan

log = logging.getLogger(__name__)


class DryRunExecutor:
    name = "dry-run"

    def __init__(self) -> None:
        self.plans: list[TradePlan] = []

    async def submit(self, plan: TradePlan) -> SubmitResult:
        self.plans.append(plan)
        c = plan.candidate
        log.info(
            "dry-run %s: %d hops, in %d, gross %d, net %d after gas %d at %d wei, target block %d",
            plan.kind, len(c.hops), c.amount_in, c.gross_profit, plan.expected_net, plan.sim.gas_used,
            plan.max_fee_per_gas, plan.target_block,
        )  # fmt: skip
        return SubmitResult(False, "dry run")

    async def submit_batch(self, plans: Sequence[TradePlan]) -> list[SubmitResult]:
        return [await self.submit(p) for p in plans]

    async def on_block(self, head: int) -> list[Landed | Missed]:
        return []

    async def close(self) -> None:
        return None
