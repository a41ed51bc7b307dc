"""Live counters of the searcher and the events it reports to whoever drives it (CLI, demo, tests)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Counters:
    """What the searcher has seen and done since it started, for logs, metrics and `arbbot status`."""

    blocks_processed: int = 0
    blocks_skipped: int = 0  # stale heads passed over to trade on the newest (their logs still applied)
    pending_seen: int = 0
    pending_gone: int = 0  # left the mempool (mined, replaced, dropped) before its raw bytes were fetched
    swaps_decoded: int = 0
    opportunities_found: int = 0
    simulated: int = 0
    sim_disagreed: int = 0  # simulation and model differ: dropped
    sim_failed: int = 0  # reverted or no Executed event: dropped
    rejected: int = 0  # simulated fine but not profitable after all costs: not sent
    not_chosen: int = 0  # passed alone, but conflicts with a better set of trades of the same update
    dropped_in_sequence: int = 0  # passed alone, not after the trades before it in the bundle
    sent: int = 0  # trades (several may share one bundle)
    multi_trade_bundles: int = 0  # bundles that carry more than one of our trades
    bundles_sent: int = 0  # bundles a builder accepted (sent, landed, missed count trades)
    bundles_landed: int = 0
    bundles_missed: int = 0
    landed: int = 0
    missed: int = 0
    skipped_paused: int = 0  # opportunities not traded because the searcher or their strategy was paused
    not_sent_killed: int = 0  # opportunities or judged trades not sent because the kill switch was engaged
    errors: int = 0  # bad messages, node or builder trouble; the engine kept running
    realized_pnl_wei: int = 0

    def snapshot(self) -> dict[str, int]:
        """The counters as a plain dict (name -> count)."""
        return asdict(self)


@dataclass(frozen=True)
class SearcherEvent:
    """One step of progress: kind is block, skipped, found, simulated, dropped, rejected, not-chosen,
    sent, landed, missed, error, paused, killed, updated (a block's summary after trading), control."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
