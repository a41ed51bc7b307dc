"""Competition on the replica: arbbot's searcher and seeded competing searchers (each a real searcher with its own key
and executor) send to the same local builder over real anvil; the builder's auction is judged from the block itself
(who has a transaction in it, what the builder's coinbase gained) and from arbbot's journal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from arbbot import db
from arbbot.db import crud
from arbbot.learn import dataset
from arbbot.strategy.bribe import BPS, StaticShare
from arbbot.testing.competition import ARBBOT, CompetitionConfig, CompetitionResult, RoundResult, run_competition
from arbbot.testing.competition_config import parse

pytestmark = pytest.mark.replica


def _run(tmp_path: Path, toml: str, arbbot_bps: int, *, rounds: int = 3, seed: int = 5) -> CompetitionResult:
    cfg = CompetitionConfig(parse(toml), StaticShare(arbbot_bps), tmp_path, rounds=rounds, seed=seed)
    return asyncio.run(run_competition(cfg))


def _contested(r: RoundResult, a: str, b: str) -> bool:
    """Both sent a bundle for the block over at least one same pool: one dislocation, two bidders."""
    return a in r.bids and b in r.bids and bool(set(r.bids[a].pools) & set(r.bids[b].pools))


RICH = '[competition]\ncompetitors = [{ name = "rich", seed = 1, policy = { kind = "static", share_bps = 9000 } }]'


def test_a_higher_paying_competitor_wins_and_the_same_seed_gives_the_same_auctions(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", RICH, 3_000)
    contested = [r for r in first.rounds if _contested(r, ARBBOT, "rich")]
    assert contested, [r.line() for r in first.rounds]
    for r in contested:
        assert r.bids[ARBBOT].share_bps == 3_000 and r.bids["rich"].share_bps == 9_000
        assert r.winners == ["rich"]  # arbbot's transaction is not in the block
        # Priority fee 0: the coinbase gains exactly the winner's share of its gross profit.
        assert r.builder_paid_wei == r.bids["rich"].gross_wei * 9_000 // BPS > 0
    journaled = {b.target_block: b for b in first.journal}
    for r in contested:
        row = journaled[r.block]
        assert (row.status, row.landed, row.share_bps, row.policy) == ("missed", False, 3_000, "static")
        # Who took it, read back from the chain: rich's transaction in that block, paying exactly what the
        # builder's coinbase gained over the block (its only transaction).
        assert row.lost_to == {"tx": r.winner_txs[0], "block": r.block, "paid_wei": str(r.builder_paid_wei),
                               "exact": True}  # fmt: skip
    # The learning history says by how much each contested bid fell short: the share of arbbot's own gross that
    # rich's payment amounts to (rounded up), minus the 3,000 bps bid.
    engine = db.connect(first.db_url)
    try:
        with db.session_factory(engine)() as session:
            shortfall = {e.uuid: e.shortfall_bps for e in dataset.load(session).examples}
            rows = {min(b.target_blocks): b for b in crud.list_bundles(session, 31337) if b.status == "missed"}
    finally:
        engine.dispose()
    for r in contested:
        b = rows[r.block]
        ours = int(b.bid["context"]["gross_wei"])  # type: ignore[index]
        assert shortfall[b.uuid] == -(-r.builder_paid_wei * BPS // ours) - 3_000
    assert all(b.status in ("landed", "missed") for b in first.journal)  # every bundle ended
    assert len(first.journal) == first.sent[ARBBOT]

    again = _run(tmp_path / "b", RICH, 3_000)
    assert [r.to_json() for r in again.rounds] == [r.to_json() for r in first.rounds]
    assert again.journal == first.journal


def test_arbbot_paying_more_wins_and_a_late_competitor_never_sends(tmp_path: Path) -> None:
    toml = """
[competition]
[[competition.competitors]]
name = "poor"
seed = 1
policy = { kind = "static", share_bps = 3000 }
[[competition.competitors]]
name = "late"
arrival_bps = 0
seed = 2
policy = { kind = "static", share_bps = 9900 }
"""
    result = _run(tmp_path, toml, 9_000)
    for r in result.rounds:
        assert "late" in r.late and "late" not in r.bids and "late" not in r.winners
        assert "poor" not in r.late
    assert result.sent["late"] == 0 and result.sent["poor"] > 0 and result.sent[ARBBOT] > 0
    contested = [r for r in result.rounds if _contested(r, ARBBOT, "poor")]
    assert contested, [r.line() for r in result.rounds]
    for r in contested:
        assert r.winners == [ARBBOT]
        assert r.builder_paid_wei == r.bids[ARBBOT].gross_wei * 9_000 // BPS > 0
    landed = {b.target_block for b in result.journal if b.status == "landed" and b.landed}
    assert {r.block for r in contested} <= landed
