"""Learning the bribe against a seeded competitor population on the replica (issue goals: ECE <= 0.05; the learned
policy's profit above the best static share's, its 95% interval above zero; then both policies live, same seed).

1. History: `run_competition` with arbbot bidding by `ExploreShare` over a grid, against the built-in competition
   (three seeded competitors), every bundle journaled with its bid and outcome.
2. Fit on the oldest part, evaluate on the newest (calibration; replay backtest against the best static share of the
   training window).
3. Live: the same population and a fresh seed, once with the learned policy (model fitted on the whole history), once
   with that best static share; profit = the net at the bid (gross - builder share - gas at the fee cap) of each
   landed bundle, from the journal.

Synthetic and honest about it: the competitors run this project's own strategy code and seeded share rules, so this
measures whether the pipeline learns a population it can see, not a real mainnet auction.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from arbbot import db
from arbbot.learn import dataset
from arbbot.learn.evaluate import evaluate
from arbbot.learn.model import fit, save
from arbbot.learn.policy import LearnedShare
from arbbot.strategy.bribe import BribePolicy, ExploreShare, StaticShare
from arbbot.testing.competition import CompetitionConfig, CompetitionResult, run_competition
from arbbot.testing.competition_config import load as load_competition

SECTION = "Learning the bribe (synthetic competition on the replica)"
GRID = (2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 9500)
HISTORY_ROUNDS = int(os.environ.get("ARBBOT_BENCH_BRIBE_ROUNDS", "4000"))  # ~0.85 bundles a round
LIVE_ROUNDS = int(os.environ.get("ARBBOT_BENCH_BRIBE_LIVE_ROUNDS", "200"))
HISTORY_SEED, LIVE_SEED = 101, 202
NOTE = (
    f"History: {HISTORY_ROUNDS} rounds of seeded traffic on the replica (each user swap sized to what its user "
    "holds, so opportunities keep coming), arbbot bidding a share drawn uniformly from "
    f"{len(GRID)} grid shares (ExploreShare) against the three seeded competitors of the built-in competition file "
    "(fixed 90%, profit-scaled 50-95%, noisy 80% +- 10%, each late for some blocks); 30% newest rows held out. "
    f"Live: {LIVE_ROUNDS} further rounds (another seed), the same population, once per policy. Net at the bid = gross "
    "- builder share - gas at the fee cap, summed over landed bundles. Synthetic: the competitors run this project's "
    "strategy with seeded share rules; this measures whether the pipeline learns a population it can see."
)


def _history(out: Path, policy: BribePolicy, rounds: int, seed: int) -> CompetitionResult:
    spec = load_competition("default")
    cfg = CompetitionConfig(competition=spec, policy=policy, out_dir=out, rounds=rounds, seed=seed)
    return asyncio.run(run_competition(cfg, lambda line: print(f"  {line}", flush=True)))


def _data(db_url: str) -> dataset.Dataset:
    engine = db.connect(db_url)
    try:
        with db.session_factory(engine)() as s:
            return dataset.load(s)
    finally:
        engine.dispose()


def _live_net(db_url: str) -> tuple[int, int, int]:
    """(net at the bid summed over landed bundles, bundles landed, bundles sent)."""
    data = _data(db_url)
    landed = [e for e in data.examples if e.landed]
    return sum(e.net_if_landed for e in landed), len(landed), len(data.examples)


def _eth(wei: float) -> str:
    return f"{wei / 1e18:,.4f} ETH"


def run() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-bribe-") as tmp:
        root = Path(tmp)
        print(f"  history: {HISTORY_ROUNDS} rounds, exploring", flush=True)
        hist = _history(root / "history", ExploreShare(GRID, HISTORY_SEED), HISTORY_ROUNDS, HISTORY_SEED)
        data = _data(hist.db_url)
        train, test = data.split(0.3)
        model = fit(train, seed=0)
        ev = evaluate(model, train, test, resamples=2000, seed=0)
        cal, bt = ev.calibration, ev.backtest
        rows.append({"benchmark": "history: bundles (landed)", "figure": f"{len(data)} ({sum(data.y)})",
                     "baseline": f"{len(train)} train / {len(test)} held out", "ratio": ""})  # fmt: skip
        rows.append({"benchmark": "held out: expected calibration error (10 bins)", "figure": f"{cal.ece:.3f}",
                     "baseline": "goal <= 0.05", "ratio": "met" if cal.ece <= 0.05 else "MISSED"})  # fmt: skip
        rows.append({"benchmark": "held out: Brier score", "figure": f"{cal.brier:.3f}",
                     "baseline": f"landing rate {cal.landed_rate:.2f}", "ratio": ""})  # fmt: skip
        if bt is not None:
            above = bt.ci_low > 0
            rows.append({
                "benchmark": "replay: profit per opportunity, learned vs best static",
                "figure": _eth(bt.learned_mean), "baseline": f"{_eth(bt.static_mean)} (static {bt.static_share} bps)",
                "ratio": f"diff {_eth(bt.diff)}, 95% CI [{_eth(bt.ci_low)}, {_eth(bt.ci_high)}]"
                + (" above zero" if above else " NOT above zero"),
            })  # fmt: skip
            static_share = bt.static_share
        else:
            rows.append({"benchmark": "replay backtest", "figure": "refused", "baseline": str(ev.backtest_refused),
                         "ratio": ""})  # fmt: skip
            static_share = 9000
        # Live, the same population and seed for both: the model fitted on the whole history.
        whole = fit(data, seed=0)
        model_dir = save(whole, root / "model")
        learned = LearnedShare.from_dir(model_dir, StaticShare(static_share), min(GRID), max(GRID), 1)
        print(f"  live: learned, {LIVE_ROUNDS} rounds", flush=True)
        a = _history(root / "live-learned", learned, LIVE_ROUNDS, LIVE_SEED)
        print(f"  live: static {static_share} bps, {LIVE_ROUNDS} rounds", flush=True)
        b = _history(root / "live-static", StaticShare(static_share), LIVE_ROUNDS, LIVE_SEED)
        (na, la, sa), (nb, lb, sb) = _live_net(a.db_url), _live_net(b.db_url)
        rows.append({
            "benchmark": f"live, {LIVE_ROUNDS} rounds: net at the bid of landed bundles, learned vs static",
            "figure": f"{_eth(na)} ({la}/{sa} landed)", "baseline": f"{_eth(nb)} ({lb}/{sb} landed)",
            "ratio": f"{na / nb:.2f}x" if nb > 0 else "n/a",
        })  # fmt: skip
        fallbacks = dict(learned.fallbacks)
        rows.append({"benchmark": "live: learned bids that fell back to the static share", "figure": str(
            sum(fallbacks.values())), "baseline": ", ".join(f"{k} {v}" for k, v in sorted(fallbacks.items())) or "none",
            "ratio": ""})  # fmt: skip
    return rows
