"""The console over a REAL searcher on the replica, in real headless Chromium: the searcher (its control API, its
journal writing to the console's database) trades against the local builder (a test double of a real builder); the
console relays its events to the page. An operator logs in with password and TOTP, pauses from the page (no bundle
reaches the builder while opportunities keep coming), resumes (a bundle lands and the overview shows the trade
without a reload), engages and lifts the kill switch; a viewer sees live data and is refused every control, in the
page and by direct request. Screenshots of every page, 1280 px wide, go under the test's tmp dir and to
$ARBBOT_CONSOLE_SHOTS (default build/console-shots/); labels on each page are checked not to overlap."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.config import load_settings
from arbbot.console import sessions, totp, users
from arbbot.console.app import create_app
from arbbot.console.context import Console
from arbbot.console.control import ControlClient
from arbbot.console.server import config_view, utc_now
from arbbot.db.models import TradeModel
from arbbot.db.repo import upsert_pools
from arbbot.devnet.context import known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.engine.control import ControlLimits, ControlState
from arbbot.engine.control_api import ControlServer
from arbbot.engine.journal import Journal, db_auditor
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.console.browser import Browser
from tests.integration.console.conftest import PW, wait_for
from tests.integration.searcher.harness import Rig, build_searcher, router_call

TOKEN = "control-token-that-must-never-reach-a-browser"
SECRET_RPC_KEY = "rpc-key-that-must-never-be-shown"
# Also copied where a reviewer finds them after the run (the tmp dir is removed in time).
SHOTS = Path(os.environ.get("ARBBOT_CONSOLE_SHOTS") or Path(__file__).resolve().parents[3] / "build" / "console-shots")
# Every label-like element whose box must not overlap another's on the same page.
LABELS = "header a, header strong, h1, h2, th, button, label, svg text, canvas"
CHARTS = ("chart-pnl", "chart-funnel", "chart-rate", "chart-lag", "chart-errors")
# Each chart as Chart.js holds it, its canvas's box, and how many of its pixels are painted at all and in the
# series' own colour (within a small tolerance for anti-aliasing).
_CHART_PROBE = """Object.fromEntries(%s.map(id => {
  const ch = Chart.getChart(id), cv = document.getElementById(id), r = cv.getBoundingClientRect();
  if (!ch) return [id, null];
  const ds = ch.data.datasets[0], hex = ch.config.type === 'line' ? ds.borderColor : ds.backgroundColor;
  const want = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
  const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  let ink = 0, series = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] > 0) ink++;
    if (px[i + 3] > 200 && want.every((w, k) => Math.abs(px[i + k] - w) <= 12)) series++;
  }
  return [id, {type: ch.config.type, labels: ch.data.labels, data: ds.data, ink: ink, series: series,
               box: [r.left, r.top, r.right, r.bottom]}];
}))"""


@dataclass
class Live:
    """The searcher side, on its own event loop in a thread."""

    loop: asyncio.AbstractEventLoop
    rig: Rig
    builder: LocalBuilder
    server: ControlServer
    stack: AsyncExitStack

    def run(self, coro: Any) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout=120)

    def sends(self) -> int:
        return sum(1 for r in self.builder.requests if r.method == "eth_sendBundle")


def _serve(console: Console) -> tuple[str, Callable[[], None]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(console), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "uvicorn to start")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


def _dislocate(replica: Replica, eth_in: int) -> None:
    w3, m = replica.w3, replica.manifest
    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], eth_in))
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _overlaps(b: Browser) -> list[str]:
    """Pairs of visible label boxes that intersect (each box shrunk by 1 px so touching borders are fine)."""
    boxes = b.js(
        f"Array.from(document.querySelectorAll({json.dumps(LABELS)})).map(e => {{"
        "const r = e.getBoundingClientRect(); return [e.tagName + ':' + (e.textContent || '').trim().slice(0, 30),"
        " r.left + 1, r.top + 1, r.right - 1, r.bottom - 1]; }).filter(x => x[3] > x[1] && x[4] > x[2])"
    )
    found = []
    for i, (na, l1, t1, r1, b1) in enumerate(boxes):
        for nb, l2, t2, r2, b2 in boxes[i + 1 :]:
            if l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1:
                found.append(f"{na!r} overlaps {nb!r}")
    return found


def drawn_charts(b: Browser) -> dict[str, dict[str, Any]]:
    """The overview's five charts, each drawn by Chart.js on its own canvas: asserted to exist, to be painted,
    to fit the 1280 px page and not to overlap one another. Returns what each one holds."""
    charts: dict[str, dict[str, Any] | None] = b.js(_CHART_PROBE % json.dumps(list(CHARTS)))
    width = b.js("document.documentElement.clientWidth")
    for name, ch in charts.items():
        assert ch is not None, f"{name} is not a Chart.js chart"
        left, top, right, bottom = ch["box"]
        assert left >= 0 and right <= width and right - left >= 400 and bottom - top >= 200, (name, ch["box"])
        assert ch["ink"] > 1000, (name, ch["ink"])  # title, axes and ticks at least
    boxes = [(n, ch["box"]) for n, ch in charts.items() if ch is not None]
    for i, (na, (l1, t1, r1, b1)) in enumerate(boxes):
        for nb, (l2, t2, r2, b2) in boxes[i + 1 :]:
            assert not (l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1), f"{na} overlaps {nb}"
    return {n: ch for n, ch in charts.items() if ch is not None}


def fetch_json(b: Browser, path: str) -> Any:
    """GET `path` from the page (its session, Accept: application/json); the parsed answer."""
    b.js(f"window.__got = undefined; fetch({json.dumps(path)}, {{credentials: 'same-origin', headers: "
         "{Accept: 'application/json'}}).then(r => r.json()).then(d => { window.__got = d; }); true")  # fmt: skip
    wait_for(lambda: b.js("window.__got !== undefined"), f"GET {path} from the page")
    return b.js("window.__got")


def _shot(b: Browser, shots: Path, name: str) -> None:
    b.screenshot(shots / f"{name}.png")
    width = b.js("document.documentElement.clientWidth")
    assert 1200 <= width <= 1280, width
    assert b.js("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"), name
    assert _overlaps(b) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shots / f"{name}.png", SHOTS / f"{name}.png")


def test_console_over_a_live_searcher(replica: Replica, browser: Browser, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    engine = db.connect(f"sqlite:///{tmp_path / 'arbbot.db'}")
    sdb = db.session_factory(engine)
    with sdb.begin() as s:
        upsert_pools(s, 31337, [p for p in known_pools(m) if len(p.address) == 42])  # balancer pool ids are longer
        now = utc_now()
        users.add(s, "olga", "operator", PW, now=now, actor="shell")
        users.add(s, "vic", "viewer", PW, now=now, actor="shell")

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> Live:
        stack = AsyncExitStack()
        builder = await stack.enter_async_context(LocalBuilder(replica.url))
        control = ControlState(bribe_share_bps=5_000, min_profit_wei=0, builders=["local"],
                               limits=ControlLimits((1_000, 9_000), (0, 10**18)))  # fmt: skip
        rig = build_searcher(replica.url, w3, m, builder.url, contract, control=control)
        journal = Journal(BundleLog(tmp_path / "bundles.jsonl", sessions=sdb), 31337, sdb)
        journal.auditor = db_auditor(replica.url, contract.address, 31337, sdb)  # as `arbbot run` wires it
        rig.searcher.journal = journal
        await stack.enter_async_context(rig.fanout)
        server = await stack.enter_async_context(ControlServer(rig.searcher, TOKEN, keepalive=1.0))
        stack.push_async_callback(rig.node.close)
        return Live(asyncio.get_running_loop(), rig, builder, server, stack)

    live: Live = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=120)
    monkeypatch.setenv("ARBBOT_CONTROL_TOKEN", TOKEN)
    settings = load_settings(None, rpc_url=f"https://node.example/v2/{SECRET_RPC_KEY}")
    url = live.server.url
    assert url is not None
    console = Console(
        sessions_db=sdb, clock=utc_now, policy=users.Policy(attempts=5, lock_for=timedelta(minutes=10)),
        lifetimes=sessions.Lifetimes(idle=timedelta(minutes=15), absolute=timedelta(hours=8)),
        control=lambda: ControlClient(url, TOKEN), config_view=config_view(settings),
    )  # fmt: skip
    base, stop_console = _serve(console)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    c = live.rig.searcher.counters
    try:
        live.run(live.rig.searcher.process_block())  # in step with the head
        b = browser
        # --- operator: password, TOTP enrolment, the overview following the searcher live
        b.open(f"{base}/login")
        _shot(b, shots, "login")
        b.submit({"username": "olga", "password": PW})
        b.wait_path("/enroll")
        _shot(b, shots, "enroll")
        key = totp.decode_secret(b.js("document.getElementById('secret').textContent"))
        b.submit({"code": totp.totp(key, time.time())})
        b.wait_path("/enroll")
        b.open(f"{base}/")

        def text(element: str) -> str:
            return str(b.js(f"(document.getElementById({json.dumps(element)}) || {{}}).textContent || ''"))

        def wait(cond: Callable[[], object], what: str) -> None:
            try:
                wait_for(cond, what)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the page says: {b.js('document.body.innerText')[:3000]}") from None

        wait(lambda: text("stream-status") == "live", "the event stream to open")
        assert text("paused") == "running" and text("head") == str(w3.eth.block_number)

        # Pause from the page: opportunities keep coming, nothing reaches the builder.
        b.click("pause")
        b.wait_path("/")
        assert text("paused") == "paused"
        for _ in range(2):
            _dislocate(replica, 100 * 10**18)
            assert live.run(live.rig.searcher.process_block()) == []
        assert c.opportunities_found >= 2 and c.skipped_paused == c.opportunities_found, c
        assert live.sends() == 0 and live.builder.requests == []

        # Resume from the page; the next opportunity is sent and lands; the page updates without a reload.
        b.click("resume")
        b.wait_path("/")
        wait(lambda: text("stream-status") == "live", "the event stream to reopen")
        b.js("window.__kept = 'same document'; true")
        b.js("window.__pnl = Chart.getChart('chart-pnl'); window.__funnel = Chart.getChart('chart-funnel'); true")
        assert text("count-realized") == "0"
        _dislocate(replica, 100 * 10**18)
        assert live.run(live.rig.searcher.process_block())
        assert c.sent == 1 and live.sends() >= 1
        built = live.run(live.builder.build_block())
        assert len(built.included) == 1, built.dropped
        live.run(live.rig.searcher.process_block())
        assert c.landed == 1
        head = str(w3.eth.block_number)
        wait(lambda: text("count-realized") == "1" and text("head") == head, "the overview to show the trade")
        landed = b.js("Array.from(document.querySelectorAll('#events li.event-trade')).map(e => e.textContent)")
        assert any(x.startswith("trade landed in block") for x in landed), landed
        assert b.js("window.__kept") == "same document"  # no reload: the same document was updated in place
        # The charts follow too, updated in place from /api/overview: the same Chart.js objects, now holding the
        # trade's PnL as the database has it (summed here by hand) and the landed bundle in the funnel.
        with sdb() as s:
            done = s.execute(select(TradeModel.block_number, TradeModel.profit)
                             .where(TradeModel.status == "success")).all()  # fmt: skip
        assert len(done) == 1 and done[0][0] is not None
        ((block, profit),) = done
        expected = [{"x": block - 1, "y": 0}, {"x": block, "y": int(profit) / 10**18}]

        def charts_show_the_trade() -> bool:
            pnl = b.js("Chart.getChart('chart-pnl').data.datasets[0].data")
            funnel = b.js("Chart.getChart('chart-funnel').data.datasets[0].data")
            return bool(pnl == expected and funnel[3] == 1)

        wait(charts_show_the_trade, "the charts to show the trade")
        same = "Chart.getChart('chart-pnl') === window.__pnl && Chart.getChart('chart-funnel') === window.__funnel"
        assert b.js(same)
        assert int(b.js("document.body.dataset.chartsUpdated")) >= 1
        # The drawn charts hold what /api/overview answers (once the page has caught up with the last events:
        # the second block sent another bundle, so the funnel may still move).
        last: list[tuple[dict[str, Any], dict[str, Any]]] = []

        def drawn_as_served() -> bool:
            api = fetch_json(b, "/api/overview")["charts"]
            last.append((api, drawn_charts(b)))
            got = last[-1][1]
            for spec in (api["pnl"], api["funnel"], api["errors"]):
                held = got[spec["id"]]
                if spec["kind"] == "line" and held["data"] != spec["points"]:
                    return False
                if spec["kind"] == "bars" and (held["data"], held["labels"]) != (spec["values"], spec["labels"]):
                    return False
            return True

        wait(drawn_as_served, "the drawn charts to hold what /api/overview answers")
        api, drawn = last[-1]
        assert drawn["chart-pnl"]["data"] == api["pnl"]["points"] == expected
        assert drawn["chart-funnel"]["labels"] == ["found", "simulated", "sent", "landed"]
        assert drawn["chart-funnel"]["data"][3] == 1
        assert drawn["chart-pnl"]["series"] > 0 and drawn["chart-funnel"]["series"] > 0  # line and bars painted
        _shot(b, shots, "overview-operator")

        # The kill switch from the page: nothing leaves, not even after pause/resume; lifted from the page.
        b.click("kill")
        b.wait_path("/")
        assert text("killed") == "ENGAGED"
        before = len(live.builder.requests)
        _dislocate(replica, 150 * 10**18)
        assert live.run(live.rig.searcher.process_block()) == []
        assert len(live.builder.requests) == before and c.not_sent_killed >= 1
        b.click("unkill")
        b.wait_path("/")
        assert text("killed") == "off"

        # Every page, from the database the searcher's journal writes.
        b.open(f"{base}/bundles")
        rows = b.js(
            "Array.from(document.querySelectorAll('#per-builder tr')).slice(1)"
            ".map(r => Array.from(r.children).map(td => td.textContent))"
        )
        assert len(rows) == 1 and rows[0][0] == "local" and rows[0][3] == "1", rows  # one bundle landed
        assert rows[0][6].endswith(" ms max"), rows  # the send requests' latency
        _shot(b, shots, "bundles")
        b.open(f"{base}/trades")
        cells = b.js(
            "Array.from(document.querySelectorAll('#trades tr')).slice(1)"
            ".map(r => Array.from(r.children).map(td => td.textContent))"
        )
        done = [r for r in cells if r[2] == "success"]
        assert len(done) == 1 and done[0][3].isdigit() and done[0][4].lstrip("-").isdigit(), cells
        assert int(done[0][5]) == int(done[0][4]) - int(done[0][3])
        assert all(r[4] == r[5] == "" for r in cells if r[2] == "pending"), cells  # not realized until audited
        _shot(b, shots, "trades")
        b.open(f"{base}/pools?q=uniswap_v2")
        kinds = b.js("Array.from(document.querySelectorAll('table tr')).slice(1).map(r => r.cells[1].textContent)")
        v2 = [p for p in known_pools(m) if p.kind == "uniswap_v2"]
        assert v2 and kinds == ["uniswap_v2"] * len(v2), kinds  # the search matches the kind
        _shot(b, shots, "pools")
        b.open(f"{base}/config")
        page = b.js("document.documentElement.outerHTML")
        assert SECRET_RPC_KEY not in page and TOKEN not in page
        _shot(b, shots, "config")
        b.open(f"{base}/tokens")
        _shot(b, shots, "tokens")
        b.open(f"{base}/")
        assert TOKEN not in b.js("document.documentElement.outerHTML")
        b.click("logout")
        b.wait_path("/login")

        # --- viewer: live data, no control in the page, refused by direct request.
        b.submit({"username": "vic", "password": PW})
        b.wait_path("/")
        wait(lambda: text("stream-status") == "live", "the viewer's event stream to open")
        assert b.js("document.getElementById('controls') === null")
        assert b.js("document.querySelectorAll('form.control').length") == 0
        b.js("window.__kept = 'viewer'; true")
        _dislocate(replica, 10**17)
        live.run(live.rig.searcher.process_block())
        head = str(w3.eth.block_number)
        wait(lambda: text("head") == head, "the viewer's overview to follow the head")
        assert b.js("window.__kept") == "viewer"
        viewer_charts = drawn_charts(b)
        assert viewer_charts["chart-pnl"]["data"] == expected  # the same PnL for the viewer
        _shot(b, shots, "overview-viewer")
        csrf = b.js("document.querySelector('input[name=csrf]').value")
        for path, body in (("/control/pause", ""), ("/control/kill", "engaged=true"), ("/control/resume", "")):
            call = (f"fetch({json.dumps(path)}, {{method: 'POST', headers: {{'Content-Type': "
                    f"'application/x-www-form-urlencoded', 'X-CSRF-Token': {json.dumps(csrf)}}}, "
                    f"body: {json.dumps(body)}}}).then(r => r.status)")  # fmt: skip
            out = b.call("Runtime.evaluate", expression=call, returnByValue=True, awaitPromise=True)
            assert out["result"]["value"] == 403, (path, out)
        state = live.rig.searcher.control.snapshot()
        assert state["paused"] is False and state["killed"] is False
        assert live.rig.searcher.control.generation == 4  # olga's pause, resume, kill, lift: nothing more
    finally:
        stop_console()
        live.run(live.stack.aclose())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        engine.dispose()
