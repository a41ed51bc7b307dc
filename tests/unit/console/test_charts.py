"""The server-drawn charts: escaped labels, bars in proportion, one row per label, and the blocks/s sampler."""

from __future__ import annotations

import itertools
import re

from arbbot.console import charts
from arbbot.console.context import Activity


def test_bars_are_in_proportion_one_row_each_and_labels_escaped() -> None:
    svg = charts.bars("c", "Funnel <1>", [("found", 8), ("<script>", 2), ("landed", 0)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Funnel &lt;1&gt;" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths == [charts.WIDTH - charts.LABEL_W - charts.VALUE_W, widths[0] / 4, 0.0]
    label_ys = [int(y) for y in re.findall(r'class="label" x="0" y="(\d+)"', svg)]
    assert len(label_ys) == 3 and all(b - a == charts.ROW for a, b in itertools.pairwise(label_ys))
    assert "no data yet" in charts.bars("c", "Empty", [])


def test_line_needs_two_points_and_spans_the_plot() -> None:
    assert "not enough data yet" in charts.line("p", "PnL", [(1, 0.5)], "block", "ETH")
    svg = charts.line("p", "PnL", [(100, 0.0), (101, 1.5), (105, -0.5)], "block", "ETH")
    points = re.search(r'points="([^"]+)"', svg)
    assert points is not None
    xs = [float(p.split(",")[0]) for p in points.group(1).split()]
    assert xs[0] == 90.0 and xs[-1] == charts.WIDTH - 20 and xs == sorted(xs)
    assert ">1.500<" in svg and ">-0.500<" in svg  # the corners name the extremes


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
