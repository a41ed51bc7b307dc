"""`arbbot demo` end to end on the v4 replica: arbitrage and backrun bundles land through the local builder,
some through Uniswap V4 pools; the audit reproduces the owner's balance change to the wei, the report is
written, then the Solana loop lands on the local node and its journal equals the balance change; a seed
gives the same run."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import aiohttp
import pytest

from arbbot.db import crud
from arbbot.db import engine as db
from arbbot.demo.run import DemoConfig, DemoRun, run
from arbbot.engine.control_api import control_path
from arbbot.engine.counters import SearcherEvent

pytestmark = pytest.mark.replica  # every test here starts a replica


def _run(out: Path) -> tuple[DemoRun, list[str]]:
    stages: list[str] = []
    events: list[SearcherEvent] = []
    result = run(DemoConfig(rounds=6, backrun_every=3, out_dir=out), lambda what, data: stages.append(what),
                 events.append)  # fmt: skip
    assert {"stage", "round", "block"} <= set(stages)
    landed = [e for e in events if e.kind == "landed"]
    # Attributed by the block's coinbase; a MEV-Share backrun to the MEV-Share endpoint it was sent to.
    assert landed and all(e.data["builder"] == ("mev-share" if e.data["kind"] == "mev_share" else "local")
                          for e in landed)  # fmt: skip
    return result, [t.tx_hash for t in result.closing.trades]


def test_demo_lands_cycles_and_backruns_and_reconciles(tmp_path: Path) -> None:
    first, hashes = _run(tmp_path / "a")
    c = first.closing
    assert first.landed_by_kind.get("cycle", 0) >= 1
    assert first.landed_by_kind.get("backrun", 0) >= 1
    assert first.landed_by_kind.get("mev_share", 0) == 1  # the private swap, known only through hints
    assert any("MEV-Share hints, backrun merged" in r for r in first.rounds)
    # The v4 replica: some trades run through Uniswap V4 pools, on the PoolManager's capital.
    assert first.v4_trades >= 1
    assert first.v4_trades == sum(any(s.kind == "uniswap_v4" for s in t.route) for t in c.trades)
    assert first.balancer_trades >= 1  # users trade the Balancer pool through the Vault; the searcher trades it back
    assert first.balancer_trades == sum(any(s.kind.startswith("balancer") for s in t.route) for t in c.trades)
    assert c.problems == []
    assert len(c.trades) == first.counters["landed"]
    assert all(t.status == "success" and t.bundle_uuid for t in c.trades)
    assert c.audited_net > 0
    assert c.audited_net == c.owner_change  # to the wei
    assert c.report.is_file() and "<svg" in c.report.read_text()
    assert first.bundle_log.read_text().count('"event":"sent"') >= len(c.trades)
    # Then Solana: the route's bundle landed on the local node and its journal equals the balance change.
    sol = first.solana
    assert sol is not None and sol.attempt.status == "landed", sol and sol.attempt.reason
    landing = sol.attempt.landing
    assert landing is not None and landing.profit > 0
    assert sol.sol_after - sol.sol_before == landing.profit - landing.fee and sol.reconciled
    with db.session_factory(db.connect(first.db_url))() as s:
        (trade,) = crud.list_trades(s, sol.chain_id)
    assert trade.tx_hash == sol.attempt.signature and trade.profit == landing.profit

    second, again = _run(tmp_path / "b")
    assert again == hashes  # same seed, same trades
    assert second.closing.audited_net == c.audited_net
    assert second.solana is not None and first.solana is not None
    assert second.solana.attempt.route.hops == first.solana.attempt.route.hops  # same pools, same addresses
    assert second.solana.attempt.route.profit == first.solana.attempt.route.profit


def test_the_demo_serves_the_control_api_while_its_searcher_runs(tmp_path: Path) -> None:
    answers: list[dict[str, object]] = []
    asked: list[asyncio.Task[None]] = []

    async def ask(url: str) -> None:
        headers = {"Authorization": "Bearer demo-token", "X-Arbbot-Actor": "ana"}
        async with aiohttp.ClientSession() as http, http.get(url + "/v1/state", headers=headers) as r:
            assert r.status == 200
            answers.append(await r.json())

    def progress(what: str, data: dict[str, object]) -> None:
        text = str(data.get("text", ""))
        if what == "stage" and text.startswith("control API on "):
            url = text.removeprefix("control API on ")
            assert json.loads(control_path(tmp_path).read_text()) == {"url": url, "pid": os.getpid()}
            # Asked on the demo's own loop, where the server runs, while the rounds go on.
            asked.append(asyncio.get_running_loop().create_task(ask(url)))

    cfg = DemoConfig(rounds=2, backrun_every=0, out_dir=tmp_path / "out", mev_share=False, solana=False,
                     control_token="demo-token", control_dir=tmp_path)  # fmt: skip
    result = run(cfg, progress, lambda _e: None)
    assert asked and asked[0].done() and asked[0].exception() is None
    assert answers and answers[0]["builders"] == {"local": {"enabled": True}} and answers[0]["killed"] is False
    assert not control_path(tmp_path).exists()  # removed when the searcher stopped
    assert result.closing.reconciled
