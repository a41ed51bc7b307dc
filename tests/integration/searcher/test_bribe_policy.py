"""A bribe policy on the replica: the share it proposes for each opportunity (within the configured floor and
ceiling) is what the landed transaction pays the builder, to the wei, judged by the builder's own balance; the bid
and its context are journaled; a share that would leave the trade unprofitable is never sent; a failing policy
falls back to the operator's static share, said in the metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from web3 import Web3

from arbbot.audit.bundle_log import BundleLog
from arbbot.db import crud
from arbbot.db import engine as db
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.journal import Journal
from arbbot.metrics import Metrics
from arbbot.strategy.bribe import BidContext
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call


@dataclass
class Proposing:
    """A policy proposing a fixed share (or failing), recording every context it is asked about."""

    share: int
    fail: bool = False
    name: str = "proposing"
    seen: list[BidContext] = field(default_factory=list)

    def share_bps(self, ctx: BidContext) -> int:
        self.seen.append(ctx)
        if self.fail:
            raise RuntimeError("no model")
        return self.share


def _dislocate(w3: Web3, m: Manifest, eth_in: int = 300 * 10**18) -> None:
    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], eth_in))
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _land_one(replica: Replica, tmp_path: Path, policy: Proposing, metrics: Metrics, **params: object) -> dict:  # type: ignore[type-arg]
    """One dislocation traded with `policy`; what the builder was paid, the plan and the journaled bundle."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    engine = db.connect(f"sqlite:///{tmp_path / 'arbbot.db'}")
    sessions = db.session_factory(engine)

    async def scenario() -> dict:  # type: ignore[type-arg]
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, metrics=metrics, bribe_policy=policy,
                                 **params)  # fmt: skip
            rig.searcher.journal = Journal(BundleLog(tmp_path / "bundles.jsonl", sessions=sessions), 31337, sessions)
            async with rig.fanout:
                await rig.searcher.process_block()
                _dislocate(w3, m)
                plans = await rig.searcher.process_block()
                out: dict = {"plans": plans, "sent": sum(r.method == "eth_sendBundle" for r in builder.requests)}  # type: ignore[type-arg]
                if plans:
                    out["uuid"] = rig.searcher.results[-1].uuid
                    await rig.executor.settle()
                    built = await builder.build_block()
                    assert len(built.included) == 1, built.dropped
                    out["paid"] = w3.eth.get_balance(LOCAL_BUILDER_COINBASE, built.number) - w3.eth.get_balance(
                        LOCAL_BUILDER_COINBASE, built.number - 1
                    )
                    await rig.searcher.process_block()
                    assert rig.searcher.counters.landed == 1
                with sessions() as s:
                    out["bundles"] = [b for b in crud.list_bundles(s, 31337) if b.uuid == out.get("uuid")]
            await rig.node.close()
        return out

    try:
        return asyncio.run(scenario())
    finally:
        engine.dispose()


def test_the_policys_share_within_floor_and_ceiling_is_what_the_builder_is_paid(
    replica: Replica, tmp_path: Path
) -> None:
    policy, metrics = Proposing(6_123), Metrics()
    out = _land_one(replica, tmp_path, policy, metrics, bribe_floor_bps=1_000, bribe_ceiling_bps=6_000)
    (plan,) = out["plans"]
    gross = plan.candidate.gross_profit
    assert plan.bid is not None and plan.bid.policy == "proposing" and plan.bid.share_bps == 6_000  # clamped
    # Priority fee 0: the coinbase's balance moves by the executor's transfer only (the base fee is burned).
    assert out["paid"] == gross * 6_000 // 10_000 > 0
    ctx = plan.bid.context
    assert ctx in policy.seen  # what the policy was asked, as it was asked
    assert ctx.kind == "cycle" and ctx.gross_wei == gross and ctx.gas > 21_000 and ctx.builders == 1
    assert len(ctx.pool_kinds) == len(plan.candidate.hops) and ctx.recent_landing_rate == 0.5
    (row,) = out["bundles"]
    # With the pools the bundle trades (what `arbbot audit --missed` looks for if it misses).
    pools = sorted({p.lower() for p in plan.candidate.pools})
    assert row.bid == {"policy": "proposing", "share_bps": 6_000, "context": ctx.to_json(), "pools": pools}
    assert BidContext.from_json(row.bid["context"]) == ctx
    assert metrics.bribe_share_bps.labels(policy="proposing")._value.get() == 6_000


def test_a_share_that_leaves_nothing_after_gas_is_never_sent(replica: Replica, tmp_path: Path) -> None:
    policy = Proposing(10_000)  # the whole gross to the builder: the gas is a loss
    out = _land_one(replica, tmp_path, policy, Metrics(), bribe_floor_bps=0, bribe_ceiling_bps=10_000)
    assert policy.seen and out["plans"] == [] and out["sent"] == 0 and out["bundles"] == []


def test_a_failing_policy_falls_back_to_the_static_share_and_says_so(replica: Replica, tmp_path: Path) -> None:
    policy, metrics = Proposing(0, fail=True), Metrics()
    out = _land_one(replica, tmp_path, policy, metrics, bribe_share_bps=4_000, bribe_floor_bps=4_500,
                    bribe_ceiling_bps=9_000)  # fmt: skip
    (plan,) = out["plans"]
    assert plan.bid is not None and plan.bid.policy == "static" and plan.bid.share_bps == 4_500  # the floor holds
    assert out["paid"] == plan.candidate.gross_profit * 4_500 // 10_000
    assert metrics.bribe_fallbacks.labels(reason="policy proposing failed")._value.get() == len(policy.seen) >= 1
    (row,) = out["bundles"]
    assert row.bid is not None and row.bid["policy"] == "static"


@pytest.mark.parametrize("share", [0, 2_500])
def test_without_a_policy_the_static_share_is_journaled(replica: Replica, tmp_path: Path, share: int) -> None:
    out = _land_one(replica, tmp_path, None, Metrics(), bribe_share_bps=share)  # type: ignore[arg-type]
    (plan,) = out["plans"]
    assert plan.bid is not None and (plan.bid.policy, plan.bid.share_bps) == ("static", share)
    assert out["paid"] == plan.candidate.gross_profit * share // 10_000
    (row,) = out["bundles"]
    assert row.bid["share_bps"] == share
