"""A seeded synthetic bundle history with a known ground truth, written through the real bundle log into a SQLite file.

Per opportunity, one competitor bids a share drawn from a normal distribution whose mean depends on the context
(backruns draw more competition than cycles, bigger opportunities a little more); our bundle lands if and only if
the share logged by the exploring policy beats it. So P(land | share, context) = Φ((share − μ(context)) / σ),
computed here with `math.erf`, independently of the code under test.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.strategy.bribe import Bid, BidContext, ExploreShare

GRID = (1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000)
SIGMA = 500.0
CHAIN_ID = 31337


def competitor_mean(ctx: BidContext) -> float:
    """μ(context): the competitor's mean share, bps."""
    return 1500.0 + 5000.0 * (ctx.kind == "backrun") + 1000.0 * (math.log10(ctx.gross_wei) - 17.0)


def true_p(share_bps: int, ctx: BidContext) -> float:
    """The ground truth P(land | share, context)."""
    return 0.5 * (1.0 + math.erf((share_bps - competitor_mean(ctx)) / (SIGMA * math.sqrt(2.0))))


def context(rng: random.Random) -> BidContext:
    """A random opportunity."""
    max_fee = rng.randint(1, 5) * 10**9
    return BidContext(
        kind=rng.choice(("cycle", "backrun")), gross_wei=int(10 ** rng.uniform(16.3, 17.7)),
        gas=rng.randint(150_000, 400_000), max_fee_per_gas=max_fee, base_fee=max_fee // 2,
        pool_kinds=tuple(rng.choice(("uniswap_v2", "uniswap_v3")) for _ in range(rng.randint(2, 3))),
    )  # fmt: skip


@dataclass(frozen=True)
class History:
    """Where the history was written and what it holds."""

    db_url: str
    rows: int
    landed: int


def write(
    tmp: Path,
    n: int,
    seed: int = 7,
    policy_name: str | None = None,
    contexts: Callable[[random.Random], BidContext] = context,
) -> History:
    """`n` opportunities bid with `ExploreShare(GRID, seed)` and their outcomes, through `BundleLog` into a SQLite
    file under `tmp` (`policy_name` overrides the name logged, to make a history not logged by an exploring
    policy)."""
    rng = random.Random(seed)
    url = f"sqlite:///{tmp / 'arbbot.db'}"
    engine = db.connect(url)
    log = BundleLog(tmp / "bundles.jsonl", sessions=db.session_factory(engine))
    explore = ExploreShare(GRID, seed)
    landed = 0
    for i in range(n):
        ctx = contexts(rng)
        share = explore.share_bps(ctx)
        competitor = rng.gauss(competitor_mean(ctx), SIGMA)
        won = share > competitor
        uuid = f"b{i:06d}"
        log.sent(
            uuid=uuid, chain_id=CHAIN_ID, builders=["local"], target_blocks=[i + 1],
            tx_hashes=["0x" + hashlib.sha256(uuid.encode()).hexdigest()], simulated_profit=ctx.gross_wei,
            strategy="backrun" if ctx.kind == "backrun" else "cycle", expected_net=ctx.net_at(share),
            bid=Bid(policy_name or explore.name, share, ctx).to_json(),
        )  # fmt: skip
        if won:
            landed += 1
            log.outcome(uuid=uuid, landed=True, landed_block=i + 1, builder="local")
        else:
            log.outcome(uuid=uuid, landed=False, status="missed", reason="outbid")
    engine.dispose()
    return History(url, n, landed)
