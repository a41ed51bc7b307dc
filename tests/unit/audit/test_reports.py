"""Report building blocks: exact wei formatting, windows, summaries, exports, SVG, HTML, the daily schedule."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from arbbot import db
from arbbot.db import crud
from arbbot.db.schemas import BundleRecord, RouteHop, TradeRecord
from arbbot.reports import daily, export, html, svg
from arbbot.reports.model import eth, rows, summarize
from arbbot.reports.window import Window, make_window, parse_bound

P = "0x" + "11" * 20


def _trade(
    i: int, profit: int, gas: int, status: str = "success", pay: int = 0, bundle: str | None = None
) -> TradeRecord:
    hops = [RouteHop(pool=P, token_in=P, token_out=P, amount_in=1, amount_out=1, venue=v) for v in ("uni", "sushi")]
    return TradeRecord(
        chain_id=1,
        tx_hash="0x" + f"{i:064x}",
        block_number=10 + i,
        executor=P,
        profit=profit,
        gas_cost=gas,
        builder_payment=pay,
        status=status,
        route=hops if status == "success" else [],
        bundle_uuid=bundle,
        revert_reason=None if status == "success" else "Unprofitable(1, 2)",
    )


def test_eth_is_cut_toward_zero_and_never_hides_a_real_amount() -> None:
    assert eth(10**18 + 999_999_999_999) == "1.000000" and eth(-15 * 10**17) == "-1.500000"
    assert eth(123 * 10**16, 2) == "1.23" and eth(10**18, 0) == "1" and eth(0) == "0.000000"
    # Below a millionth of an ETH, as many decimals as three significant digits need (gas on a quiet chain).
    assert eth(1) == "0.000000000000000001" and eth(1_050_000) == "0.00000000000105"
    assert eth(-2_264_345_678_901) == "-0.00000226" and eth(120_000_000_000_000) == "0.000120"
    assert eth(12_345_678_901_234_567, None) == "0.012345678901234567"


def test_windows() -> None:
    assert parse_bound("123", "--since") == 123
    assert parse_bound("2026-01-02", "--until", end=True) == datetime(2026, 1, 3, tzinfo=UTC)
    assert parse_bound("2026-01-02T03:04:05Z", "--since") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="--since: not a block number, date"):
        parse_bound("last week", "--since")
    with pytest.raises(ValueError, match="--until: block 5 is before --since block 9"):
        make_window("9", "5")
    with pytest.raises(ValueError, match="--until: '2026-01-01' is not after"):
        make_window("2026-01-05", "2026-01-01")
    w = make_window("11", "12")
    assert [w.has_trade(_trade(i, 0, 0)) for i in range(4)] == [False, True, True, False]
    assert Window().label() == "start – now" and "block 11" in w.label()


@pytest.mark.parametrize(
    ("targets", "inside"),
    [([11], True), ([12, 13], True), ([9, 10], False), ([13, 14], False), ([9, 13], False), ([10, 11], True),
     ([9, 12, 14], True), ([], False)],
)  # fmt: skip
def test_a_bundle_is_in_a_block_window_only_if_one_of_its_targets_is(targets: list[int], inside: bool) -> None:
    bundle = BundleRecord(uuid="b", chain_id=1, target_blocks=targets, simulated_profit=1)
    assert make_window("11", "12").has_bundle(bundle) is inside
    assert Window().has_bundle(bundle)  # no bounds: every bundle
    assert Window(from_block=11).has_bundle(bundle) is any(n >= 11 for n in targets)
    assert Window(to_block=12).has_bundle(bundle) is any(n <= 12 for n in targets)


def test_summary_csv_json_are_exact() -> None:
    big = 10**40 + 7  # far beyond a float's 53 bits
    ts = [_trade(0, big, 3, bundle="b"), _trade(1, 0, 5, "reverted"), _trade(2, -20, 1, pay=4)]
    bundles = [
        BundleRecord(uuid="b", chain_id=1, builders=["x", "y"], landed=True, simulated_profit=big - 2),
        BundleRecord(uuid="c", chain_id=1, builders=["y"], landed=False, simulated_profit=1),
    ]
    r = rows(ts, bundles)
    s = summarize(r, bundles)
    assert s.net == big - 3 - 5 - 21 and s.gross == big + 4 - 20 and (s.succeeded, s.reverted) == (2, 1)
    assert s.by_route == {"uni > sushi": big - 3 - 21, "(reverted)": -5}
    # No per-request journal and no landing builder recorded: each builder it was sent to may have landed it.
    assert {k: (v.sent, v.accepted, v.landed, v.landed_unattributed) for k, v in s.by_builder.items()} == {
        "x": (1, None, 0, 1),
        "y": (2, None, 0, 1),
    }
    assert r[0].simulated_diff == 2 and s.cumulative[-1] == (12, s.net)
    parsed = list(csv.DictReader(io.StringIO(export.to_csv(r))))
    assert int(parsed[0]["net_wei"]) == big - 3 and parsed[1]["revert_reason"] == "Unprofitable(1, 2)"
    doc = json.loads(export.to_json(Window(), r, s, 1))
    assert int(doc["summary"]["net_wei"]) == s.net and doc["trades"][0]["simulated_diff_wei"] == "2"


def test_svg_and_html_are_self_contained() -> None:
    assert svg._ticks(1, 12)[-1] >= 12 and svg._ticks(-0.013, 0.02)[0] <= -0.013
    assert "no data" in svg.line_chart([], "t", "x", "y")
    chart = svg.bar_chart([("a<b", -1.0), ("c", 2.0)], "T&T", "ETH", ["-1", "2"])
    assert "a&lt;b" in chart and "T&amp;T" in chart and chart.count("<rect") == 2
    r = rows([_trade(0, 10**16, 10**15), _trade(1, 0, 10**15, "reverted")])
    page = html.render(r, summarize(r), "block 1 – block 2", 31337)
    assert "<title>arbbot report block 1 – block 2</title>" in page
    assert page.count("<svg") == 4 and "<script" not in page and "src=" not in page and "href=" not in page


def test_daily_times() -> None:
    at = datetime(2026, 3, 1, 0, 1, tzinfo=UTC)
    assert daily.previous_day(at) == date(2026, 2, 28)
    assert daily.next_run(at) == datetime(2026, 3, 1, 0, 5, tzinfo=UTC)
    assert daily.next_run(at + timedelta(minutes=5)) == datetime(2026, 3, 2, 0, 5, tzinfo=UTC)


def test_schedule_writes_the_previous_day(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'a.db'}")
    sessions = db.session_factory(engine)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with sessions.begin() as s:
        crud.upsert_trades(s, [_trade(0, 10**18, 1).model_copy(update={"created_at": yesterday})])
        crud.upsert_trades(s, [_trade(1, 5, 1)])  # today: not in yesterday's summary
    stop = threading.Event()
    written: list[list[Path]] = []
    # A clock a microsecond before the run time: the wait is that microsecond, then the summary is written.
    run_at = datetime.combine(datetime.now(UTC).date(), daily.RUN_AT, UTC)
    readings = iter([run_at - timedelta(microseconds=1)] * 2)

    def done(paths: list[Path]) -> None:
        written.append(paths)
        stop.set()

    daily.run_schedule(sessions, 1, tmp_path / "out", stop, clock=lambda: next(readings, run_at), on_written=done)
    assert [p.suffix for p in written[0]] == [".html", ".json", ".csv"]
    doc = json.loads(written[0][1].read_text())
    assert doc["summary"]["trades"] == 1 and doc["summary"]["net_wei"] == str(10**18 - 1)
    assert written[0][1].name == f"daily-1-{yesterday.date().isoformat()}.json"
    engine.dispose()
