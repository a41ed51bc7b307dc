"""`LearnedShare`: the bribe policy that bids, per opportunity, the share maximising P(land | share, context) × the net
profit at that share, among the candidate shares within [floor, ceiling] that leave at least `min_profit` after gas.

It falls back to the static share (clamped to [floor, ceiling]) and says why in `last_fallback` and `fallbacks`
(reason -> count) when: there is no usable model (`no_model`), the context lies outside what the model was trained on
(`out_of_range`: a feature other than the share outside the [min, max] seen in training), no candidate share is
profitable (`unprofitable`; the searcher's judge then refuses the bundle as it would any other), no candidate lies
within [floor, ceiling] (`no_candidate`) or the model fails on the row (`model_error`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arbbot.learn.model import LandingModel, ModelError, load
from arbbot.strategy.bribe import FEATURES, BidContext, StaticShare, clamp

log = logging.getLogger(__name__)

FALLBACK_REASONS = ("no_model", "out_of_range", "unprofitable", "no_candidate", "model_error")
_SHARE = FEATURES.index("share_bps")


@dataclass
class LearnedShare:
    """A learned bid within [floor_bps, ceiling_bps]; `grid` (default: the model's logging grid) are the candidates."""

    model: LandingModel | None
    fallback: StaticShare
    floor_bps: int
    ceiling_bps: int
    min_profit: int = 1
    grid: Sequence[int] | None = None
    load_error: str | None = None  # why the model is missing, when it was read from a directory
    name: str = "learned"
    last_fallback: str | None = field(default=None, init=False)
    fallbacks: Counter[str] = field(default_factory=Counter, init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.floor_bps <= self.ceiling_bps <= 10_000:
            raise ValueError(f"floor_bps, ceiling_bps: 0 <= floor <= ceiling <= 10000, got "
                             f"{self.floor_bps}, {self.ceiling_bps}")  # fmt: skip

    @classmethod
    def from_dir(
        cls, directory: Path, fallback: StaticShare, floor_bps: int, ceiling_bps: int, min_profit: int = 1
    ) -> LearnedShare:
        """The policy with the model saved in `directory`; a model that does not load leaves it falling back (with
        the reason in `load_error`), never failing the searcher."""
        model: LandingModel | None = None
        error: str | None = None
        try:
            model = load(directory)
        except ModelError as exc:
            error = str(exc)
        except ImportError as exc:  # scikit-learn or skops not installed on this host
            error = f"model: cannot be loaded without {exc.name or 'scikit-learn and skops'}"
        if error is not None:
            log.warning("learned bribe policy: no model (%s); bidding the static share", error)
        return cls(model, fallback, floor_bps, ceiling_bps, min_profit, load_error=error)

    def candidates(self) -> list[int]:
        """The candidate shares within [floor, ceiling], ascending."""
        grid = self.grid if self.grid is not None else (self.model.grid if self.model is not None else ())
        return sorted({int(g) for g in grid if self.floor_bps <= g <= self.ceiling_bps})

    def in_range(self, ctx: BidContext) -> bool:
        """Whether every feature but the share lies within the training [min, max]."""
        if self.model is None:
            return False
        row = ctx.features(0)
        ranges = self.model.ranges
        return all(ranges[n][0] <= row[i] <= ranges[n][1] for i, n in enumerate(FEATURES) if i != _SHARE)

    def _fall_back(self, reason: str, ctx: BidContext) -> int:
        self.last_fallback = reason
        self.fallbacks[reason] += 1
        return clamp(self.fallback.share_bps(ctx), self.floor_bps, self.ceiling_bps)

    def share_bps(self, ctx: BidContext) -> int:
        """The learned share for `ctx`, or the fallback (see the module's description)."""
        if self.model is None:
            return self._fall_back("no_model", ctx)
        if not self.in_range(ctx):
            return self._fall_back("out_of_range", ctx)
        shares = [s for s in self.candidates() if ctx.net_at(s) >= max(self.min_profit, 1)]
        if not self.candidates():
            return self._fall_back("no_candidate", ctx)
        if not shares:
            return self._fall_back("unprofitable", ctx)
        try:  # whatever the model raises, the searcher bids the fallback
            p = self.model.predict([ctx.features(s) for s in shares])
            if len(p) != len(shares) or not all(0.0 <= float(v) <= 1.0 for v in p):  # NaN fails too
                raise ValueError(f"probabilities out of [0, 1]: {list(p)!r}")
        except Exception as exc:
            log.warning("learned bribe policy: model failed (%s: %s)", type(exc).__name__, exc)
            return self._fall_back("model_error", ctx)
        # Expected net per share; ties go to the lower share (the builder is paid no more than needed).
        best = max(range(len(shares)), key=lambda i: (float(p[i]) * ctx.net_at(shares[i]), -shares[i]))
        self.last_fallback = None
        return clamp(shares[best], self.floor_bps, self.ceiling_bps)
