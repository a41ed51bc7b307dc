"""The whole loop of the learned bribe on the replica: a history written through the real bundle log, `arbbot learn
fit` (a subprocess, as a user runs it), then a searcher wired from the config (`bribe_policy = "learned"`) as
`arbbot run --live` wires it: its bid for a real dislocation comes from the model, within [floor, ceiling], is the
model's own best share for that context, and is what the landed transaction pays the builder, to the wei. A model
that is missing leaves the searcher bidding the operator's static share, said in the metrics."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from web3 import Web3

from arbbot.audit.bundle_log import BundleLog
from arbbot.config import BuilderSettings, SearcherSettings
from arbbot.db import crud
from arbbot.db import engine as db
from arbbot.devnet.context import context_from_manifest
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.factory import build
from arbbot.engine.journal import Journal
from arbbot.learn.policy import LearnedShare
from arbbot.metrics import Metrics
from arbbot.strategy.bribe import BidContext, StaticShare
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from tests.conftest import Replica
from tests.integration.learn import history
from tests.integration.learn.test_cli import _run
from tests.integration.searcher.harness import OWNER_KEY, router_call

FLOOR, CEILING = 2_000, 8_000


def broad(rng: random.Random) -> BidContext:
    """Opportunities over ranges wide enough to hold the replica's (tiny base fee, large gross, 2-3 hops)."""
    fee = int(10 ** rng.uniform(0, 10))  # 1 wei to 10 gwei, log-uniform
    return BidContext(
        kind=rng.choice(("cycle", "backrun")), gross_wei=int(10 ** rng.uniform(15, 22)),
        gas=rng.randint(100_000, 2_000_000), max_fee_per_gas=fee, base_fee=rng.randint(0, fee),
        pool_kinds=tuple(rng.choice(("uniswap_v2", "uniswap_v3", "uniswap_v4", "balancer_weighted"))
                         for _ in range(rng.randint(2, 3))),
        builders=rng.randint(1, 3), recent_landing_rate=rng.random(),
    )  # fmt: skip


def _dislocate(w3: Web3, m: Manifest) -> None:
    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _trade(replica: Replica, tmp_path: Path, model: Path) -> tuple[list, int, Metrics, list]:  # type: ignore[type-arg]
    """One dislocation traded by a searcher built from the config with the learned policy."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    engine = db.connect(f"sqlite:///{tmp_path / 'run.db'}")
    sessions = db.session_factory(engine)
    metrics = Metrics()

    async def scenario() -> tuple[list, int, list]:  # type: ignore[type-arg]
        async with LocalBuilder(replica.url) as builder:
            cfg = SearcherSettings(
                builders=[BuilderSettings(name="local", url=builder.url, coinbase=LOCAL_BUILDER_COINBASE)],
                executor=contract.address, bribe_share_bps=5_000, bribe_policy="learned", bribe_model=model,
                bribe_floor_bps=FLOOR, bribe_ceiling_bps=CEILING, max_hops=3,
            )  # fmt: skip
            journal = Journal(BundleLog(tmp_path / "run.jsonl", sessions=sessions), 31337, sessions)
            wiring = await build(cfg, context_from_manifest(m, replica.url), live=True, metrics=metrics,
                                 coinbase=LOCAL_BUILDER_COINBASE, key=OWNER_KEY, journal=journal)  # fmt: skip
            searcher = wiring.searcher
            try:
                await searcher.process_block()
                _dislocate(w3, m)
                plans = await searcher.process_block()
                paid = 0
                if plans:
                    await searcher.executor.settle()  # type: ignore[attr-defined]
                    built = await builder.build_block()
                    assert len(built.included) == 1, built.dropped
                    paid = w3.eth.get_balance(LOCAL_BUILDER_COINBASE, built.number) - w3.eth.get_balance(
                        LOCAL_BUILDER_COINBASE, built.number - 1
                    )
                    await searcher.process_block()
                    assert searcher.counters.landed == 1
                with sessions() as s:
                    rows = crud.list_bundles(s, 31337)
            finally:
                await wiring.aclose()
        return plans, paid, rows

    try:
        plans, paid, rows = asyncio.run(scenario())
    finally:
        engine.dispose()
    return plans, paid, metrics, rows


def test_fit_then_the_searcher_bids_the_models_share_and_pays_it(replica: Replica, tmp_path: Path) -> None:
    made = history.write(tmp_path, 2_400, seed=11, contexts=broad)
    out = tmp_path / "model"
    res = _run(tmp_path, made.db_url, "fit", "--out", str(out), "--seed", "1", "--resamples", "200")
    assert res.returncode == 0, res.stderr
    plans, paid, metrics, rows = _trade(replica, tmp_path, out)
    first = plans[0]
    bid = first.bid
    again = LearnedShare.from_dir(out, StaticShare(5_000), FLOOR, CEILING, 1)
    assert bid is not None and bid.policy == "learned", (bid, again.share_bps(bid.context), again.last_fallback)
    assert FLOOR <= bid.share_bps <= CEILING
    # The model's own best share for this very context (loaded afresh, the same way the factory loads it).
    assert again.share_bps(bid.context) == bid.share_bps and again.last_fallback is None
    assert bid.context.net_at(bid.share_bps) > 0
    assert paid == first.candidate.gross_profit * bid.share_bps // 10_000 > 0  # what the builder received
    row = next(r for r in rows if r.bid and r.bid["context"] == bid.context.to_json())
    assert row.bid["policy"] == "learned" and row.bid["share_bps"] == bid.share_bps and row.status == "landed"
    assert metrics.bribe_share_bps.labels(policy="learned")._value.get() == bid.share_bps


def test_a_missing_model_bids_the_static_share_and_says_so(replica: Replica, tmp_path: Path) -> None:
    plans, paid, metrics, _ = _trade(replica, tmp_path, tmp_path / "no-model")
    bid = plans[0].bid
    assert bid is not None and (bid.policy, bid.share_bps) == ("static", 5_000)
    assert paid == plans[0].candidate.gross_profit * 5_000 // 10_000
    assert metrics.bribe_fallbacks.labels(reason="no_model")._value.get() >= 1
