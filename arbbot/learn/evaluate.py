"""Offline evaluation of a landing model on a held-out window (pure: no I/O).

Calibration: the Brier score, the expected calibration error over `BINS` equal-width bins of predicted probability
(each bin's absolute difference between mean predicted probability and observed landing rate, weighted by its
share of the rows; equal-width, the usual definition, so that the numbers compare with other reports; empty bins
count for nothing) and the reliability curve.

Backtest: the realized profit per opportunity of a policy, estimated by replay on a history logged by an exploring
policy (each share drawn uniformly from a known grid of k shares): a held-out row counts for the policy only when the
share the policy picks for its context is the share that was logged, and the estimate is the sum of the matched rows'
realized net × k / n. A row's realized net is `BidContext.net_at(logged share)` if it landed, else 0: known for every
row (the audited profit exists only for audited landings), and the same arithmetic the judge bids with. The estimate
is unbiased because each logged share had probability 1/k whatever the context; on a history logged any other way
it is not, so the backtest refuses one. The best static share is the grid share with the highest replay estimate on
the training window; the difference learned − static is reported with a seeded 95% percentile-bootstrap interval
(rows resampled with replacement, both policies on the same resample).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from arbbot.learn.dataset import Dataset, Example
from arbbot.learn.model import LandingModel
from arbbot.learn.policy import LearnedShare
from arbbot.strategy.bribe import StaticShare

BINS = 10
EXPLORING = ("explore",)  # policies whose logged shares are uniform over a known grid (arbbot.strategy.bribe)


class BacktestRefused(ValueError):
    """The history cannot be replayed (not logged by an exploring policy, or a share off the grid)."""


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of predicted probability: its bounds, rows, mean prediction and observed landing rate."""

    lo: float
    hi: float
    rows: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class Calibration:
    """How well predicted probabilities match outcomes on the held-out rows."""

    rows: int
    landed_rate: float
    brier: float
    ece: float
    bins: tuple[ReliabilityBin, ...]


def calibration(p: Sequence[float], y: Sequence[int], bins: int = BINS) -> Calibration:
    """Brier score, equal-width-bin ECE and the reliability curve of predictions `p` against outcomes `y`."""
    pa, ya = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(pa) == 0 or len(pa) != len(ya):
        raise ValueError(
            f"rows: predictions and outcomes of the same non-zero length required, got {len(pa)}, {len(ya)}"
        )
    idx = np.minimum((pa * bins).astype(np.int64), bins - 1)
    out = []
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        n = int(mask.sum())
        if n == 0:
            continue
        pred, obs = float(pa[mask].mean()), float(ya[mask].mean())
        ece += n / len(pa) * abs(pred - obs)
        out.append(ReliabilityBin(b / bins, (b + 1) / bins, n, pred, obs))
    return Calibration(len(pa), float(ya.mean()), float(np.mean((pa - ya) ** 2)), ece, tuple(out))


@dataclass(frozen=True)
class Backtest:
    """Replay estimates (wei per opportunity) of the learned policy and the best static share on the held-out rows."""

    grid: tuple[int, ...]
    rows: int
    learned_mean: float
    learned_matched: int
    static_share: int
    static_mean: float
    static_matched: int
    static_train: dict[int, float]  # replay estimate of each grid share on the training window
    diff: float  # learned − static
    ci_low: float
    ci_high: float
    resamples: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (wei as floats: these are means)."""
        d = asdict(self)
        d["grid"] = list(self.grid)
        d["static_train"] = {str(k): v for k, v in self.static_train.items()}
        return d


def check_replayable(examples: Sequence[Example], grid: Sequence[int], where: str) -> None:
    """BacktestRefused unless every row was logged by an exploring policy with a share on `grid`."""
    others: dict[str, int] = {}
    for e in examples:
        if e.policy not in EXPLORING:
            others[e.policy] = others.get(e.policy, 0) + 1
    if others:
        named = ", ".join(f"{n} by {p!r}" for p, n in sorted(others.items()))
        raise BacktestRefused(f"policy: the backtest replays a history logged by an exploring policy (uniform over a "
                              f"grid); {where} rows were logged otherwise ({named})")  # fmt: skip
    off = sorted({e.share_bps for e in examples} - set(grid))
    if off:
        raise BacktestRefused(f"share_bps: {where} rows logged shares {off} off the grid {list(grid)}")


def replay_terms(chosen: Sequence[int], examples: Sequence[Example], k: int) -> np.ndarray:
    """Per row: realized net × k where the policy's share equals the logged one, else 0 (their mean is the
    estimate)."""
    return np.array(
        [float(e.realized_net * k) if c == e.share_bps else 0.0 for c, e in zip(chosen, examples, strict=True)]
    )


def best_static(train: Sequence[Example], grid: Sequence[int]) -> tuple[int, dict[int, float]]:
    """The grid share with the highest replay estimate on `train` (ties: the lower share), and every share's."""
    k = len(grid)
    est = {g: float(replay_terms([g] * len(train), train, k).mean()) if train else 0.0 for g in grid}
    return max(grid, key=lambda g: (est[g], -g)), est


def backtest(
    train: Sequence[Example],
    test: Sequence[Example],
    grid: Sequence[int],
    learned: Callable[[Example], int],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> Backtest:
    """Replay the learned policy (`learned(example)` -> its share for that row's context) and the best static share
    of the training window on `test`; BacktestRefused when the history is not replayable."""
    grid = tuple(sorted(grid))
    if not test:
        raise BacktestRefused("rows: no held-out rows to replay")
    check_replayable(train, grid, "training")
    check_replayable(test, grid, "held-out")
    static, static_train = best_static(train, grid)
    k = len(grid)
    chosen = [learned(e) for e in test]
    lt = replay_terms(chosen, test, k)
    st = replay_terms([static] * len(test), test, k)
    rng = np.random.default_rng(seed)
    d = lt - st
    boot = np.empty(resamples)
    for start in range(0, resamples, 100):  # in slices: memory stays ~100 × rows
        m = min(100, resamples - start)
        boot[start : start + m] = d[rng.integers(0, len(test), size=(m, len(test)))].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return Backtest(
        grid=grid, rows=len(test), learned_mean=float(lt.mean()),
        learned_matched=sum(c == e.share_bps for c, e in zip(chosen, test, strict=True)), static_share=static,
        static_mean=float(st.mean()), static_matched=sum(e.share_bps == static for e in test),
        static_train=static_train, diff=float(d.mean()), ci_low=float(lo), ci_high=float(hi), resamples=resamples,
        seed=seed,
    )  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """A model's evaluation on a held-out window: calibration always; the backtest, or why it was refused."""

    train_rows: int
    test_rows: int
    test_window: dict[str, Any]
    calibration: Calibration
    backtest: Backtest | None
    backtest_refused: str | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON of every metric."""
        return {
            "train_rows": self.train_rows, "test_rows": self.test_rows, "test_window": self.test_window,
            "calibration": asdict(self.calibration),
            "backtest": None if self.backtest is None else self.backtest.to_json(),
            "backtest_refused": self.backtest_refused,
        }  # fmt: skip


def evaluate(model: LandingModel, train: Dataset, test: Dataset, *, resamples: int = 2000, seed: int = 0) -> Evaluation:
    """Calibration of `model` on `test`, and the replay backtest of the learned policy (candidates: the logging grid,
    falling back to the best static share) against the best static share of `train`."""
    if len(test) == 0:
        raise BacktestRefused("rows: no held-out rows to evaluate on")
    p = model.predict(test.X)
    cal = calibration([float(v) for v in p], test.y)
    grid = model.grid
    try:
        check_replayable(train.examples, grid, "training")
        static, _ = best_static(train.examples, grid)
        policy = LearnedShare(model, StaticShare(static), min(grid), max(grid), grid=grid)
        bt: Backtest | None = backtest(train.examples, test.examples, grid, lambda e: policy.share_bps(e.context),
                                       resamples=resamples, seed=seed)  # fmt: skip
        refused = None
    except BacktestRefused as exc:
        bt, refused = None, str(exc)
    return Evaluation(len(train), len(test), test.window(), cal, bt, refused)
