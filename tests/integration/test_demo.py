"""`arbbot demo` end to end on the v4 replica: arbitrage and backrun bundles land through the local builder,
some through Uniswap V4 pools; the audit reproduces the owner's balance change to the wei, the report is
written, then the Solana loop lands on the local node and its journal equals the balance change; a seed
gives the same run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from pathlib import Path

import aiohttp
import httpx
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


def _console_login(url: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
    page = c.get("/login")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and m
    r = c.post("/login", data={"csrf": m.group(1), "username": "demo", "password": password})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text[:200]
    return c


def test_the_demo_serves_its_console_live_then_with_the_runs_trades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARBBOT_CONSOLE_PASSWORD", raising=False)
    live: list[str] = []
    asked: list[asyncio.Task[None]] = []
    shown: list[dict[str, object]] = []

    def overview(url: str, password: str) -> None:
        with contextlib.closing(_console_login(url, password)) as c:
            live.append(c.get("/").text)

    def progress(what: str, data: dict[str, object]) -> None:
        if what == "console":
            shown.append(data)
            login = Path(str(data["login_file"]))
            assert login.stat().st_mode & 0o777 == 0o600  # the password's file: its owner only
            password = login.read_text().split("password ", 1)[1].strip()
            # From a thread, while the rounds go on (the console asks the control API on the demo's own loop).
            asked.append(
                asyncio.get_running_loop().create_task(asyncio.to_thread(overview, str(data["url"]), password))
            )

    out = tmp_path / "out"
    cfg = DemoConfig(rounds=3, backrun_every=3, out_dir=out, mev_share=False, solana=False, console=True,
                     control_dir=tmp_path)  # fmt: skip
    result = run(cfg, progress, lambda _e: None)
    served = result.console
    assert served is not None and shown and shown[0]["url"] == served.url and served.url.startswith("http://127.0.0.1:")
    try:
        assert asked and asked[0].done() and asked[0].exception() is None
        # While the searcher ran, the console was attached to it through the control API.
        assert 'id="paused">running<' in live[0] and 'id="killed">off<' in live[0]
        assert "local" in live[0]  # the demo's one builder
        password = (out / "console-login").read_text().split("password ", 1)[1].strip()
        with contextlib.closing(_console_login(served.url, password)) as c:
            trades = c.get("/trades")
            assert trades.status_code == 200
            hashes = [t.tx_hash for t in result.closing.trades]
            assert hashes and all(h in trades.text for h in hashes)  # every audited trade of the run is listed
            bundles = c.get("/bundles").text
            assert bundles.count("landed") >= len(hashes)
            # A viewer: the controls are refused (the searcher has stopped, but the refusal comes first).
            csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text)
            assert csrf and c.post("/control/pause", data={"csrf": csrf.group(1)}).status_code == 403
        # The password is in its file only: not in the logs, the report, the bundle log or the database.
        elsewhere = [p for p in out.rglob("*") if p.is_file() and p.name != "console-login"]
        assert elsewhere and not [p for p in elsewhere if password.encode() in p.read_bytes()]
    finally:
        served.stop()
    assert not (out / "console-login").exists()  # the run's password goes with its console
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url + "/login", timeout=5)
