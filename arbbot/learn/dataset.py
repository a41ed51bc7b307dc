"""The training history: every journaled bundle that carries a bid and a final outcome, oldest first, as model rows
(`FEATURES` order), labels (landed 1, missed 0), the net profit at stake and how the share was chosen.

Malformed bids are skipped and counted, never fatal: the journal is written by another process and may hold rows of
an older shape.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from arbbot.db import crud
from arbbot.db.schemas import BundleRecord
from arbbot.strategy.bribe import BPS, BidContext


@dataclass(frozen=True)
class Example:
    """One bundle as the model sees it."""

    uuid: str
    created_at: datetime
    policy: str  # the policy that chose the share ("explore", "static", ...)
    share_bps: int  # the share the bundle was sent with
    context: BidContext
    landed: bool
    expected_net: int | None  # the judged net profit journaled with the bundle (wei)
    realized_profit: int | None  # the audited profit, once known (wei)
    grid: tuple[int, ...] | None = None  # the logging policy's grid, when the bid records it
    # How far the bid fell short of what took the opportunity (`lost_to`, exact payments only): the share of our
    # gross that would have matched the taker's payment, minus ours; <= 0 when we paid as much and lost anyway.
    shortfall_bps: int | None = None

    @property
    def features(self) -> tuple[float, ...]:
        """The model's input row (`FEATURES` order)."""
        return self.context.features(self.share_bps)

    @property
    def net_if_landed(self) -> int:
        """Net profit (wei) had it landed with the logged share: `BidContext.net_at` (the bid's own arithmetic, known
        for every row; the audited profit is known only for audited landings)."""
        return self.context.net_at(self.share_bps)

    @property
    def realized_net(self) -> int:
        """What the row earned: `net_if_landed` if it landed, else 0 (a missed bundle pays nothing)."""
        return self.net_if_landed if self.landed else 0


@dataclass(frozen=True)
class Dataset:
    """Examples oldest first, with what was skipped and why."""

    examples: tuple[Example, ...]
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def X(self) -> list[tuple[float, ...]]:
        """The feature rows."""
        return [e.features for e in self.examples]

    @property
    def y(self) -> list[int]:
        """1 landed, 0 missed."""
        return [int(e.landed) for e in self.examples]

    def window(self) -> dict[str, Any]:
        """First and last created_at (ISO, UTC), row count and the content hash."""
        first = self.examples[0].created_at if self.examples else None
        last = self.examples[-1].created_at if self.examples else None
        return {
            "first": first.isoformat() if first else None,
            "last": last.isoformat() if last else None,
            "rows": len(self.examples),
            "sha256": content_hash(self.examples),
        }

    def split(self, holdout: float) -> tuple[Dataset, Dataset]:
        """(training, held-out): the held-out window is the newest `holdout` fraction of the rows (time order kept)."""
        if not 0.0 <= holdout < 1.0:
            raise ValueError(f"holdout: a fraction in [0, 1), got {holdout!r}")
        n_test = round(len(self.examples) * holdout)
        cut = len(self.examples) - n_test
        return Dataset(self.examples[:cut], dict(self.skipped)), Dataset(self.examples[cut:], {})


def _canonical(e: Example) -> dict[str, Any]:
    return {
        "uuid": e.uuid, "created_at": e.created_at.isoformat(), "policy": e.policy, "share_bps": e.share_bps,
        "context": e.context.to_json(), "landed": e.landed,
        "expected_net": None if e.expected_net is None else str(e.expected_net),
        "realized_profit": None if e.realized_profit is None else str(e.realized_profit),
        "grid": None if e.grid is None else list(e.grid),
    }  # fmt: skip


def content_hash(examples: Sequence[Example]) -> str:
    """sha256 over a canonical serialization (sorted keys, no spaces, wei as decimal strings) of the rows in order:
    the same history hashes the same on any machine and any database."""
    h = hashlib.sha256()
    for e in examples:
        h.update(json.dumps(_canonical(e), sort_keys=True, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def _share(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BPS:
        raise ValueError(f"{name}: an integer share in 0..{BPS} bps required, got {value!r}")
    return value


def example(row: BundleRecord, bid: Any) -> Example:
    """The example of one journaled bundle and its bid as stored; ValueError naming the field when the bid is
    malformed."""
    if not isinstance(bid, dict):
        raise ValueError(f"bid: an object required, got {type(bid).__name__}")
    policy = bid.get("policy")
    if not isinstance(policy, str) or not policy:
        raise ValueError(f"bid.policy: a name required, got {policy!r}")
    share = _share(bid.get("share_bps"), "bid.share_bps")
    ctx_json = bid.get("context")
    if not isinstance(ctx_json, dict):
        raise ValueError(f"bid.context: an object required, got {type(ctx_json).__name__}")
    try:
        context = BidContext.from_json(ctx_json)
    except ValueError as exc:
        raise ValueError(f"bid.context: {exc}") from None
    if context.gross_wei < 0 or context.gas < 0 or context.max_fee_per_gas < 0 or context.base_fee < 0:
        raise ValueError("bid.context: negative amounts")
    if not all(math.isfinite(v) for v in context.features(share)):
        raise ValueError("bid.context: a feature is not a finite number")
    grid_json = bid.get("grid")
    grid = None
    if grid_json is not None:
        if not isinstance(grid_json, list) or not grid_json:
            raise ValueError(f"bid.grid: a list of shares required, got {grid_json!r}")
        grid = tuple(sorted({_share(g, "bid.grid") for g in grid_json}))
    created = row.created_at or datetime.fromtimestamp(0, UTC)
    return Example(
        uuid=row.uuid, created_at=created if created.tzinfo else created.replace(tzinfo=UTC), policy=policy,
        share_bps=share, context=context, landed=row.status == "landed", expected_net=row.expected_net,
        realized_profit=row.realized_profit, grid=grid, shortfall_bps=_shortfall(row, share, context),
    )  # fmt: skip


def _shortfall(row: BundleRecord, share: int, context: BidContext) -> int | None:
    """The share (bps of our gross, rounded up) the taker's exact payment amounts to, minus ours; None when the
    miss is not attributed, only a lower bound is known, or there is no gross to divide by."""
    lost = row.lost_to
    if row.status != "missed" or not isinstance(lost, dict) or lost.get("exact") is not True or context.gross_wei <= 0:
        return None
    paid = lost.get("paid_wei")
    if not isinstance(paid, str) or not paid.isdigit():
        return None
    return -(-int(paid) * BPS // context.gross_wei) - share


def load(session: Session, chain_id: int | None = None) -> Dataset:
    """Every bundle with a bid and a final outcome (landed or missed), oldest first; malformed bids are skipped and
    counted under the first field found wrong."""
    examples: list[Example] = []
    skipped: dict[str, int] = {}
    for row, bid in crud.list_bid_outcomes(session, chain_id):
        if bid is None:  # a JSON null: a bundle sent before bids were journaled
            continue
        try:
            examples.append(example(row, bid))
        except ValueError as exc:
            reason = str(exc).split(":", 1)[0]
            skipped[reason] = skipped.get(reason, 0) + 1
    return Dataset(tuple(examples), skipped)
