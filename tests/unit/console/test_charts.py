"""The overview's chart data: cumulative PnL summed exactly in wei, bars in the order given with cut labels,
counters that are not integers read as 0, every chart JSON-able; and the blocks/s sampler."""

from __future__ import annotations

import json

from arbbot.console import charts
from arbbot.console.context import Activity

ETH = 10**18


def test_cumulative_pnl_starts_at_zero_the_block_before_and_sums_in_wei() -> None:
    rows = [(100, 2 * ETH), (100, -ETH // 2), (103, ETH // 10)]
    assert charts.cumulative_pnl(rows) == [(99.0, 0.0), (100.0, 2.0), (100.0, 1.5), (103.0, 1.6)]
    assert charts.cumulative_pnl([]) == []
    assert charts.cumulative_pnl([(0, 5)])[0] == (0.0, 0.0)  # no block before the genesis
    # Ten trades of 0.1 ETH: a float running sum would end at 0.9999999999999999.
    tenths = charts.cumulative_pnl([(200 + i, ETH // 10) for i in range(10)])
    assert tenths[-1] == (209.0, 1.0) and len(tenths) == 11


def test_line_and_bars_are_json_able_dicts() -> None:
    pnl = charts.line("chart-pnl", "PnL", [(99, 0), (100, 1.5)], "block", "ETH")
    assert pnl == {"id": "chart-pnl", "kind": "line", "title": "PnL", "x_label": "block", "y_label": "ETH",
                   "points": [{"x": 99.0, "y": 0.0}, {"x": 100.0, "y": 1.5}]}  # fmt: skip
    long = "x" * 100
    b = charts.bars("chart-e", "Errors", [("b", 3), ("</script>", 0), (long, 7)], "errors")
    assert b["labels"] == ["b", "</script>", "x" * charts.LABEL_MAX] and b["values"] == [3.0, 0.0, 7.0]
    assert b["kind"] == "bars" and b["unit"] == "errors"
    assert json.loads(json.dumps([pnl, b])) == [pnl, b]


def test_overview_reads_the_counters_and_refused_requests() -> None:
    counters: dict[str, object] = {
        "opportunities_found": 9, "simulated": 7, "sent": 3, "landed": 1, "blocks_processed": 40,
        "blocks_skipped": True, "errors": "2", "sim_failed": 4,
    }  # fmt: skip
    out = charts.overview(counters, [(10, ETH)], [(-2.0, 0.5), (0.0, 1.0)], [(None, 2), ("timeout", 1)])
    assert list(out) == ["pnl", "funnel", "rate", "lag", "errors"]
    assert [c["id"] for c in out.values()] == ["chart-pnl", "chart-funnel", "chart-rate", "chart-lag", "chart-errors"]
    assert out["funnel"]["labels"] == ["found", "simulated", "sent", "landed"]
    assert out["funnel"]["values"] == [9.0, 7.0, 3.0, 1.0]
    assert out["lag"]["kind"] == "line" and out["lag"]["points"] == []  # no pace record: no lag known
    assert "0 stale heads skipped" in out["lag"]["title"]  # a bool is no count
    assert dict(zip(out["errors"]["labels"], out["errors"]["values"], strict=True)) == {
        "node/builder errors": 0.0, "simulation failed": 4.0, "simulation disagreed": 0.0,
        "builder: refused": 2.0, "builder: timeout": 1.0,
    }  # fmt: skip
    assert out["pnl"]["points"] == [{"x": 9.0, "y": 0.0}, {"x": 10.0, "y": 1.0}]
    assert out["rate"]["points"] == [{"x": -2.0, "y": 0.5}, {"x": 0.0, "y": 1.0}]
    assert charts.overview({}, [], [], [])["funnel"]["values"] == [0.0] * 4


def test_activity_counts_each_block_once_per_bucket() -> None:
    now = [1000.0]
    a = Activity(clock=lambda: now[0])
    assert a.rates() == []
    for n, t in ((10, 981.0), (11, 985.0), (11, 985.5), (12, 995.0), (True, 996.0), ("13", 997.0)):
        now[0] = t
        a.block(n)
    now[0] = 1000.0
    assert a.rates(10.0) == [(-10.0, 0.2), (0.0, 0.1)]  # from the first block seen (19 s ago) to now
    assert a.rates(10.0, window=10.0) == [(-10.0, 0.0), (0.0, 0.1)]  # only the last 10 s
    assert len(a.rates(2.0)) == 10 and sum(r for _, r in a.rates(2.0)) * 2.0 == 3


def test_blocks_per_second_and_lag_come_from_the_searchers_pace_record() -> None:
    pace: dict[str, object] = {"steps": [
        {"ago_s": 5.5, "number": 10, "lag_s": 1.5},
        {"ago_s": 3.0, "number": 11, "lag_s": None},  # timestamp not read: no lag point
        {"ago_s": 2.5, "number": 12, "lag_s": 0.25},
        {"ago_s": "x", "number": 13, "lag_s": 1.0},  # malformed: left out
        {"ago_s": 0.5, "number": 14, "lag_s": True},  # a bool is no lag
        "junk",
    ]}  # fmt: skip
    out = charts.overview({"blocks_skipped": 3}, [], [(-2.0, 9.0)], [], pace)
    # 2 s buckets: 5.5 s ago falls in bucket 2, 3.0 and 2.5 in bucket 1, 0.5 in bucket 0 (the relayed rates unused).
    assert out["rate"]["points"] == [{"x": -4.0, "y": 0.5}, {"x": -2.0, "y": 1.0}, {"x": 0.0, "y": 0.5}]
    assert out["lag"]["points"] == [{"x": -5.5, "y": 1.5}, {"x": -2.5, "y": 0.25}]
    assert out["lag"]["title"].endswith("3 stale heads skipped")
    assert charts.overview({}, [], [(-2.0, 9.0)], [], {"steps": []})["rate"]["points"] == []  # the searcher's: none
