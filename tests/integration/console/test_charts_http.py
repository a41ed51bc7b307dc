"""The overview's charts over real HTTP: `/api/overview` answers the counts and the chart data from the database
and the searcher's counters (viewers only), the page embeds the same chart data as inert JSON (hostile labels
cannot end its element), the chart library the setup step placed is served by the console at the version
package.json pins, and without it the page says which file is missing and what to run. The searcher's state is
read with no database lock held."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path

from arbbot.console import vendor
from arbbot.console.control import ControlClient
from arbbot.console.server import chart_library_warning
from arbbot.db.models import BundleModel, BundleSubmissionModel, TradeModel
from tests.integration.console.conftest import Served
from tests.integration.console.test_http import _client, login

ROOT = Path(__file__).resolve().parents[3]
ETH = 10**18
HOSTILE = "</script><b>x"  # a builder failure kind as stored (16 characters at most)


def _trade(n: int, block: int | None, profit: int, status: str) -> TradeModel:
    return TradeModel(chain_id=1, tx_hash=f"0x{n:064x}", block_number=block, executor="0x" + "ee" * 20, route=[],
                      tokens_in={}, tokens_out={}, profit=profit, status=status)  # fmt: skip


def _embedded(page: str) -> dict[str, dict[str, object]]:
    m = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    assert m is not None, "no chart data in the page"
    doc: dict[str, dict[str, object]] = json.loads(m.group(1))
    return doc


def test_chart_data_from_the_database_and_counters(served: Served) -> None:
    with served.sdb.begin() as s:
        s.add_all([_trade(1, 12, 3 * ETH // 10, "success"), _trade(2, 10, ETH, "success"),
                   _trade(3, 11, 5 * ETH, "reverted"), _trade(4, None, 7 * ETH, "pending"),
                   _trade(5, 12, -ETH // 20, "success")])  # fmt: skip
        s.add(BundleModel(uuid="b1", chain_id=1, builders=["titan"], target_blocks=[12], simulated_profit=1))
        s.flush()
        s.add_all([BundleSubmissionModel(bundle_uuid="b1", builder="titan", method="eth_sendBundle", accepted=False,
                                         kind=k) for k in (HOSTILE, HOSTILE, None)])  # fmt: skip
    counters = served.control.searcher.counters
    counters.opportunities_found, counters.simulated, counters.sent, counters.landed = 6, 5, 2, 1
    with _client(served) as c:
        assert c.get("/api/overview", headers={"Accept": "application/json"}).status_code == 401
        login(served, c, "vic", None)
        api = c.get("/api/overview", headers={"Accept": "application/json"})
        assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")
        summary = api.json()
        page = c.get("/")
    assert summary["counts"] == {"pools": 0, "bundles": 1, "trades": 5, "realized": 3}
    assert summary["head"] is None and summary["error"] is None  # the idle searcher follows no chain
    data = summary["charts"]
    # Successful trades only, by block: 1 ETH at block 10, then +0.3 and -0.05 at block 12.
    assert data["pnl"]["points"] == [{"x": 9, "y": 0}, {"x": 10, "y": 1.0}, {"x": 12, "y": 1.3}, {"x": 12, "y": 1.25}]
    assert dict(zip(data["funnel"]["labels"], data["funnel"]["values"], strict=True)) == {
        "found": 6, "simulated": 5, "sent": 2, "landed": 1}  # fmt: skip
    errors = dict(zip(data["errors"]["labels"], data["errors"]["values"], strict=True))
    assert errors[f"builder: {HOSTILE}"] == 2 and errors["builder: refused"] == 1
    assert data["rate"]["points"] == []  # no block relayed yet
    assert {k: v["kind"] for k, v in data.items()} == {"pnl": "line", "funnel": "bars", "rate": "line",
                                                        "lag": "line", "errors": "bars"}  # fmt: skip
    # The page carries the same data, as JSON that no label can break out of.
    assert page.status_code == 200 and _embedded(page.text) == data
    assert HOSTILE not in page.text and "<b>x" not in page.text
    assert '<script src="/static/chart.umd.js" defer></script>' in page.text
    for c_id in ("chart-pnl", "chart-funnel", "chart-rate", "chart-lag", "chart-errors"):
        assert f'<canvas id="{c_id}"' in page.text


def test_the_chart_library_is_served_at_the_pinned_version(served: Served) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["chart.js"]
    assert vendor.chart_js_version() == pinned, "run `make setup` (it places the pinned Chart.js)"
    assert chart_library_warning(served.console) is None
    with _client(served) as c:
        r = c.get("/static/chart.umd.js")  # like the other static files: no session needed
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
        assert r.text.startswith(f"/*!\n * Chart.js v{pinned}\n") and "Released under the MIT License" in r.text[:300]
        login(served, c, "vic", None)
        assert f"Charts drawn with Chart.js {pinned}, served by this console." in c.get("/").text
    assert "MIT License" in (vendor.VENDOR / "chart.js-LICENSE.md").read_text()


def test_a_missing_chart_library_is_said_not_crashed_on(served: Served, tmp_path: Path) -> None:
    missing = tmp_path / "vendor" / "chart.umd.js"
    served.console.chart_js = missing
    warning = chart_library_warning(served.console)
    assert warning is not None and str(missing) in warning and "make setup" in warning and "\n" not in warning
    with _client(served) as c:
        r = c.get("/static/chart.umd.js")
        assert r.status_code == 404 and str(missing) in r.text
        login(served, c, "vic", None)
        page = c.get("/")
        assert page.status_code == 200 and 'id="state"' in page.text  # the rest of the page is there
        note = re.search(r'id="charts-missing">([^<]+)<', page.text)
        assert note is not None and html.unescape(note.group(1)) == vendor.missing_note(missing)
        assert "chart.umd.js" not in page.text.split("</head>")[0]  # no script tag for an absent file
        assert c.get("/api/overview", headers={"Accept": "application/json"}).json()["charts"]  # data still there


def test_the_searchers_state_is_read_with_no_database_lock_held(served: Served) -> None:
    """The searcher answers its control API from the event loop that writes its journal: while the console asks
    it, the console must not hold the SQLite write lock that journal may be waiting for."""
    database = served.sdb.kw["bind"].url.database
    make, probes = served.console.control, list[str]()
    assert make is not None and database

    def control() -> ControlClient:
        other = sqlite3.connect(database, timeout=0, isolation_level=None)  # another writer: it must not wait
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            probes.append("free")
        except sqlite3.OperationalError as exc:
            probes.append(str(exc))
        finally:
            other.close()
        return make()

    served.console.control = control
    with _client(served) as c:
        login(served, c, "vic", None)
        assert c.get("/").status_code == 200
        assert c.get("/api/overview", headers={"Accept": "application/json"}).json()["error"] is None
        assert c.get("/api/state", headers={"Accept": "application/json"}).status_code == 200
    assert probes == ["free", "free", "free"]
