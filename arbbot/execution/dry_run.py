"""Dry-run executor: every judged trade is logged and kept in memory, nothing is signed or sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from arbbot.execution.plan import Landed, Missed, SubmitResult, TradePlan

log = logging.getLogger(__name__)


class DryRunExecutor:
    """An executor that logs each plan and sends nothing; the plans it saw are kept in `plans`.

    Use it to run the whole pipeline against live state without risking a transaction.
    """

    name = "dry-run"

    def __init__(self) -> None:
        self.plans: list[TradePlan] = []

    async def submit(self, plan: TradePlan) -> SubmitResult:
        """Record and log the plan; always returns a not-submitted result ("dry run")."""
        self.plans.append(plan)
        c = plan.candidate
        log.info(
            "dry-run %s: %d hops, in %d, gross %d, net %d after gas %d at %d wei, target block %d",
            plan.kind, len(c.hops), c.amount_in, c.gross_profit, plan.expected_net, plan.sim.gas_used,
            plan.max_fee_per_gas, plan.target_block,
        )  # fmt: skip
        return SubmitResult(False, "dry run")

    async def submit_batch(self, plans: Sequence[TradePlan]) -> list[SubmitResult]:
        """`submit` each plan in turn."""
        return [await self.submit(p) for p in plans]

    async def on_block(self, head: int) -> list[Landed | Missed]:
        """Nothing is ever in flight, so nothing lands or misses: always an empty list."""
        return []

    async def close(self) -> None:
        """Nothing to release."""
        return None
