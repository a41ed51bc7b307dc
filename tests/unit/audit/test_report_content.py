"""What a searcher reads in a report, from a realistic journal in a real (SQLite) database: the PnL as
a sum that adds up to the wei, routes in token units and in their direction, real gas costs, cycle vs
backrun, every bundle that did not land with its reason, per-builder figures, a time axis; the
terminal tables fit 80 columns without cutting a number."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from arbbot.reports import svg
from arbbot.reports.build import Report, build
from arbbot.reports.fit import Col, fit
from arbbot.reports.table import report as report_table
from arbbot.reports.window import Window
from arbbot.units import TokenInfo, amount, token_amount
from tests.unit.audit import report_data as d

GROSS = d.CYCLE_GROSS + d.BACKRUN_PROFIT + d.BACKRUN_BUILDER
BUILDER = d.CYCLE_BUILDER + d.BACKRUN_BUILDER
GAS = d.CYCLE_GAS + d.BACKRUN_GAS + d.REVERT_GAS
NET = d.CYCLE_PROFIT - d.CYCLE_GAS + d.BACKRUN_PROFIT - d.BACKRUN_GAS - d.REVERT_GAS
WEI = Decimal(10) ** 18


@pytest.fixture
def rep(tmp_path: Path) -> Report:
    sessions = d.write(tmp_path / "arbbot.db")
    return build(sessions, d.CHAIN, Window())


def _text(rep: Report, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(report_table(rep.rows, rep.summary, rep.title, rep.tokens, width))
    return console.export_text()


def test_gross_is_net_plus_builder_plus_gas_per_trade_and_in_total(rep: Report) -> None:
    s = rep.summary
    assert (s.gross, s.builder_payment, s.gas_cost, s.net) == (GROSS, BUILDER, GAS, NET)
    assert s.gross == s.net + s.builder_payment + s.gas_cost
    for r in rep.rows:
        assert r.gross == r.net + r.builder_payment + r.gas_cost
    assert [r.gross for r in rep.rows] == [d.CYCLE_GROSS, d.BACKRUN_PROFIT + d.BACKRUN_BUILDER, 0]
    assert (s.trades, s.succeeded, s.reverted) == (3, 2, 1)


def test_strategies_statuses_and_bundles_that_did_not_land(rep: Report) -> None:
    s = rep.summary
    assert [r.strategy for r in rep.rows] == ["cycle", "backrun", ""]
    assert {k: (v.trades, v.net, v.bundles, v.landed) for k, v in s.by_strategy.items()} == {
        "cycle": (1, d.CYCLE_PROFIT - d.CYCLE_GAS, 3, 1),
        "backrun": (1, d.BACKRUN_PROFIT - d.BACKRUN_GAS, 2, 1),
        "": (1, -d.REVERT_GAS, 0, 0),
    }
    assert s.by_status == {"landed": 2, "missed": 1, "cancelled": 1, "sent": 1}
    assert [(b.uuid, b.status) for b in s.not_landed] == [("m1", "missed"), ("x1", "cancelled"), ("s1", "sent")]


def test_builder_breakdown(rep: Report) -> None:
    b = rep.summary.by_builder
    assert list(b) == ["beaverbuild", "flashbots", "titan"]
    beaver, flashbots, titan = b["beaverbuild"], b["flashbots"], b["titan"]
    # Bundles, not requests: m1 went to beaverbuild for two target blocks.
    assert (beaver.sent, beaver.accepted, beaver.requests, beaver.landed, beaver.landed_unattributed) == (2, 2, 3, 1, 0)
    assert beaver.rate == 0.5 and beaver.median_latency_ms == 41.5 and beaver.preflight_ok == 1
    # b1 landed in a block whose builder is not recorded: it may have been titan's.
    assert (titan.sent, titan.accepted, titan.landed, titan.landed_unattributed, titan.rate) == (4, 3, 0, 1, 0.25)
    assert titan.median_latency_ms == (60.0 + 87.25) / 2 and titan.cancels == 1 and titan.preflight_failed == 1
    assert titan.errors == {"rate limited": 2}
    assert (flashbots.sent, flashbots.accepted, flashbots.landed, flashbots.median_latency_ms) == (2, 1, 0, 13.5)
    assert flashbots.errors == {"bundle simulation failed: execution reverted": 1}


def test_terminal_report_fits_80_columns_and_keeps_every_number_whole(rep: Report) -> None:
    text = _text(rep, 80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    # The only ellipses are in short addresses (0x1234…abcd), never in a number.
    assert re.sub(r"0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}", "", text).count("…") == 0
    # The PnL block: four exact figures (same decimals) that add up to the wei.
    figures = {}
    for label in ("gross profit", "- builder payments", "- gas", "= net PnL"):
        line = next(x for x in lines if x.strip().startswith(label))
        figures[label] = Decimal(line.split()[-1].replace(",", ""))
    assert figures["gross profit"] * WEI == GROSS and figures["= net PnL"] * WEI == NET
    assert figures["- builder payments"] * WEI == BUILDER and figures["- gas"] * WEI == GAS
    assert figures["gross profit"] == figures["= net PnL"] + figures["- builder payments"] + figures["- gas"]
    # Trades: token units and symbols; every amount whole on its line; small gas costs visible.
    for piece in ("1.000000 WETH", "3,201.553112", "1.012345", "777,000,123,456", "0x5555…5555", "0.503000"):
        assert piece in text
    for wei in (d.CYCLE_GAS, d.BACKRUN_GAS, d.REVERT_GAS, d.CYCLE_BUILDER, d.CYCLE_GROSS):
        assert amount(wei, 18, group=False) in text
    assert "0.00000000000105" in text and "0.00000226" in text
    flat = " ".join(text.split())
    assert "reverted 0x0000…0003 (block 126): Unprofitable(1000, 999)" in flat
    # Bundles that did not land, with why.
    assert "outbid: block 112 included a higher-paying bundle on the same pools" in flat
    assert "superseded by a newer plan (bundle x2)" in flat and "no outcome" in flat
    # Builders: sent, accepted, landed, rate, median latency.
    row = next(x for x in lines if x.startswith("titan"))
    assert row.split()[:6] == ["titan", "4", "3", "1*", "25%", "74"]
    row = next(x for x in lines if x.startswith("beaverbuild"))
    assert row.split()[:6] == ["beaverbuild", "2", "2", "1", "50%", "42"]
    assert "Cycle vs backrun" in text


def test_wide_terminal_shows_routes_on_one_line_and_every_column(rep: Report) -> None:
    narrow, wide = _text(rep, 80), _text(rep, 220)
    assert "(left out to fit 80 columns: sim diff, time, tx)" in narrow and "left out" not in wide
    lines = wide.splitlines()
    first = next(x for x in lines if x.startswith("101 "))
    # In the direction the route went: what went into the first pool, what each pool gave out.
    assert "1.000000 WETH → 3,201.553112 USDC → 1.012345 WETH" in first
    assert "11-30 13:58:32" in first and "0x0000…0001" in first and "-0.000000000000000007" in first
    second = next(x for x in lines if x.startswith("106 "))
    assert "0.500000 WETH → 777,000,123,456 0x5555…5555 (raw) → 0.503000 WETH" in second
    assert max(len(x) for x in lines) <= 220


def test_csv_and_json_keep_wei_and_the_route(rep: Report) -> None:
    parsed = list(csv.DictReader(io.StringIO(rep.render("csv"))))
    assert [int(r["net_wei"]) for r in parsed] == [r.net for r in rep.rows]
    assert sum(int(r["gross_wei"]) for r in parsed) == GROSS and sum(int(r["gas_cost_wei"]) for r in parsed) == GAS
    assert parsed[0]["path"] == "WETH > USDC > WETH" and parsed[0]["strategy"] == "cycle"
    assert parsed[0]["pools"] == f"{d.UNI_POOL} > {d.SUSHI_POOL}"
    doc = json.loads(rep.render("json"))
    assert int(doc["summary"]["gross_wei"]) == GROSS and int(doc["summary"]["net_wei"]) == NET
    hop = doc["trades"][0]["hops"][0]
    assert hop["amount_out"] == "3201553112" and hop["token_out"] == {
        "address": d.USDC,
        "symbol": "USDC",
        "decimals": 6,
    }
    assert doc["trades"][1]["hops"][0]["token_out"] == {"address": d.ODD, "symbol": None, "decimals": None}
    assert doc["summary"]["builders"]["titan"] | {"errors": None} == {
        "sent": 4, "accepted": 3, "landed": 0, "landed_unattributed": 1, "landing_rate": 0.25, "send_requests": 4,
        "median_latency_ms": 73.625, "preflight_ok": 0, "preflight_failed": 1, "cancels": 1, "errors": None,
    }  # fmt: skip
    assert [b["uuid"] for b in doc["bundles_not_landed"]] == ["m1", "x1", "s1"]
    assert doc["bundles_not_landed"][0]["miss_reason"].startswith("outbid")
    assert (
        doc["bundles_not_landed"][0]["lost_to"] == d.LOST_TO and doc["bundles_not_landed"][0]["bid_share_bps"] == 3000
    )
    assert doc["bundles_not_landed"][2]["lost_to"] is None and doc["bundles_not_landed"][2]["bid_share_bps"] is None
    assert [int(p["cumulative_net_wei"]) for p in doc["summary"]["pnl_over_time"]][-1] == NET
    assert doc["summary"]["by_strategy"]["backrun"]["bundles"] == 2


def test_html_has_the_sum_a_time_axis_and_every_section(rep: Report) -> None:
    page = rep.render("html")
    # Each miss says who took it and what they paid (exact wei on hover), a lower bound marked as one.
    assert "<code>0xabababab…</code> paid <span title='5500000000000000001 wei'>5.500000" in page
    assert "paid &ge; <span title='1000 wei'>" in page and "not looked at" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert page.count("<svg") == 4
    assert f"title='{GROSS} wei'" in page and f"title='{NET} wei'" in page  # exact wei on hover
    assert "&minus; builder payments" in page and "= net PnL" in page
    # Trades happened at 13:58:32, 13:59:32 and 14:03:32 UTC: minute ticks in between, labelled as such.
    assert "time (UTC), 2026-11-30" in page
    for label in ("13:59", "14:00", "14:01", "14:02", "14:03"):
        assert f">{label}</text>" in page
    assert "1.000000 WETH → 3,201.553112 USDC → 1.012345 WETH" in page
    assert "outbid: block 112 included a higher-paying bundle" in page and "no outcome recorded" in page
    assert "<td class='l'>titan</td><td>4</td><td>3</td><td>1*</td><td>25.0%</td><td>73.6</td>" in page
    assert "Cycle vs backrun" in page


def test_time_ticks_are_round_and_labelled_for_the_span() -> None:
    from datetime import UTC, datetime, timedelta

    lo = datetime(2026, 11, 30, 13, 58, 20, tzinfo=UTC)
    ticks, fmt = svg.time_ticks(lo, lo + timedelta(minutes=5))
    assert [t.strftime(fmt) for t in ticks] == ["13:59", "14:00", "14:01", "14:02", "14:03"]
    ticks, fmt = svg.time_ticks(lo, lo + timedelta(seconds=20))
    assert [t.strftime(fmt) for t in ticks] == ["13:58:20", "13:58:25", "13:58:30", "13:58:35", "13:58:40"]
    ticks, fmt = svg.time_ticks(lo, lo + timedelta(days=3))
    assert fmt == "%m-%d %H:%M" and [t.strftime(fmt) for t in ticks][:2] == ["12-01 00:00", "12-01 12:00"]
    ticks, fmt = svg.time_ticks(lo, lo + timedelta(days=10))
    assert fmt == "%Y-%m-%d" and len(ticks) == 5 and all(t.hour == t.minute == 0 for t in ticks)
    ticks, fmt = svg.time_ticks(lo, lo + timedelta(hours=12))
    assert fmt == "%m-%d %H:%M" and ticks[0].hour % 2 == 0 and ticks[0].minute == 0


def test_fit_drops_the_least_important_columns_and_says_so() -> None:
    cols = [Col("name", keep=5), Col("big", number=True, keep=4), Col("extra", keep=0), Col("note", keep=1)]
    rows = [["alpha", "123,456,789.123456789", "x" * 30, "a fairly long note that wraps between its words"]]
    console = Console(width=50, record=True, color_system=None, file=io.StringIO())
    console.print(fit(cols, rows, 50))
    out = console.export_text()
    assert "123,456,789.123456789" in out and "extra" not in out.splitlines()[0]
    assert "(left out to fit 50 columns: extra)" in out and max(len(x) for x in out.splitlines()) <= 50


def test_token_amounts() -> None:
    tokens = {d.USDC: TokenInfo("USDC", 6), d.WETH: TokenInfo("", 18), d.ODD: TokenInfo("ODD", None)}
    assert token_amount(3_201_553_112, d.USDC, tokens) == "3,201.553112 USDC"
    assert token_amount(10**18, d.WETH, tokens) == "1.000000 0xc02a…6cc2"  # no symbol: short address
    assert token_amount(42, d.ODD, tokens) == "42 ODD (raw)"  # no decimals: raw units, said so
    assert token_amount(42, "0x" + "77" * 20, tokens) == "42 0x7777…7777 (raw)"
    assert amount(10**18 + 1, 18, places=None) == "1.000000000000000001" and amount(-5, 0) == "-5"
    assert amount(1_234_500, 6, places=None) == "1.2345" and amount(2_500_000_000, 6) == "2,500.000000"
