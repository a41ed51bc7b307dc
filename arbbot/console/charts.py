"""The overview's charts as data: each one a JSON-able dict (id, kind, title, axis labels or unit, and its
points or bars), which the page embeds and `/api/overview` serves, and which the page's script draws with
Chart.js. Pure functions of their inputs: no I/O, no drawing; labels are plain text (Chart.js paints them on
a canvas, so nothing in them is read as HTML)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

WEI_PER_ETH = 10**18
LABEL_MAX = 40  # longer labels (a builder's failure kind) are cut, so a bar chart keeps its plot width

Chart = dict[str, Any]


def line(chart_id: str, title: str, points: Sequence[tuple[float, float]], x_label: str, y_label: str) -> Chart:
    """A line through (x, y) points in the order given, over a numeric x axis."""
    return {
        "id": chart_id,
        "kind": "line",
        "title": title,
        "x_label": x_label,
        "y_label": y_label,
        "points": [{"x": float(x), "y": float(y)} for x, y in points],
    }


def bars(chart_id: str, title: str, items: Sequence[tuple[str, float]], unit: str) -> Chart:
    """Horizontal bars, one per (label, value), in the order given; `unit` names the value axis."""
    return {
        "id": chart_id,
        "kind": "bars",
        "title": title,
        "unit": unit,
        "labels": [label[:LABEL_MAX] for label, _ in items],
        "values": [float(v) for _, v in items],
    }


def count(counters: Mapping[str, object], key: str) -> float:
    """One of the searcher's counters; 0 when absent or not an integer (its state document is checked, but a
    chart never fails on a counter)."""
    v = counters.get(key, 0)
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else 0.0


def cumulative_pnl(trades: Iterable[tuple[int, int]]) -> list[tuple[float, float]]:
    """(block, cumulative realized profit in ETH) over (block, profit in wei) of the successful trades, in block
    order, starting at 0 the block before the first. The sum is exact in wei; only each point is a float (ETH,
    for drawing)."""
    total, points = 0, list[tuple[float, float]]()
    for block, profit in trades:
        if not points:
            points.append((float(max(block - 1, 0)), 0.0))  # nothing realized before the first trade's block
        total += profit
        points.append((float(block), total / WEI_PER_ETH))
    return points


def funnel(counters: Mapping[str, object]) -> list[tuple[str, float]]:
    """Opportunities found -> simulated -> sent -> landed."""
    keys = (("found", "opportunities_found"), ("simulated", "simulated"), ("sent", "sent"), ("landed", "landed"))
    return [(name, count(counters, key)) for name, key in keys]


def _steps(pace: Mapping[str, object] | None) -> list[tuple[float, float | None]]:
    """(seconds ago, lag in seconds or None) of each well-formed step of the searcher's pace record (the control API's
    `pace`), oldest first; anything malformed is left out."""
    raw = pace.get("steps") if isinstance(pace, Mapping) else None
    out: list[tuple[float, float | None]] = []
    for st in raw if isinstance(raw, list) else []:
        if not isinstance(st, Mapping):
            continue
        ago, lag_s = st.get("ago_s"), st.get("lag_s")
        if isinstance(ago, bool) or not isinstance(ago, int | float) or not 0 <= ago < 1e6:
            continue
        ok_lag = isinstance(lag_s, int | float) and not isinstance(lag_s, bool) and 0 <= lag_s < 1e9
        out.append((float(ago), float(lag_s) if ok_lag else None))  # type: ignore[arg-type]
    return sorted(out, key=lambda t: -t[0])


def pace_rates(pace: Mapping[str, object] | None, bucket: float = 2.0) -> list[tuple[float, float]]:
    """Heads the searcher processed per second, per `bucket` seconds, from its first step in the record to now
    (x: seconds before now, oldest first)."""
    steps = _steps(pace)
    if not steps:
        return []
    counts: dict[int, int] = {}
    for ago, _ in steps:
        k = int(ago // bucket)
        counts[k] = counts.get(k, 0) + 1
    last = int(steps[0][0] // bucket)
    return [(-k * bucket, counts.get(k, 0) / bucket) for k in range(last, -1, -1)]


def pace_lag(pace: Mapping[str, object] | None) -> list[tuple[float, float]]:
    """How far behind each processed head's timestamp the searcher was when it processed it (x: seconds before
    now, y: seconds), oldest first; heads whose timestamp was not read are left out."""
    return [(-ago, lag_s) for ago, lag_s in _steps(pace) if lag_s is not None]


def error_classes(counters: Mapping[str, object], refused: Iterable[tuple[str | None, int]]) -> list[tuple[str, float]]:
    """The searcher's error counters, then the failed builder requests by failure kind ((kind, n) pairs)."""
    items = [(name, count(counters, key)) for key, name in
             (("errors", "node/builder errors"), ("sim_failed", "simulation failed"),
              ("sim_disagreed", "simulation disagreed"))]  # fmt: skip
    items += [(f"builder: {kind or 'refused'}", float(n)) for kind, n in refused]
    return items


def overview(
    counters: Mapping[str, object],
    trades: Iterable[tuple[int, int]],
    rates: Sequence[tuple[float, float]],
    refused: Iterable[tuple[str | None, int]],
    pace: Mapping[str, object] | None = None,
) -> dict[str, Chart]:
    """The overview's five charts by name: PnL, funnel, blocks/s, lag, errors by class. Blocks/s and lag come from
    the searcher's own pace record when it serves one (kept whether or not anyone watches); `rates` (the blocks the
    console relayed) stand in for blocks/s with a searcher that does not."""
    skipped = int(count(counters, "blocks_skipped"))
    own = isinstance(pace, Mapping) and isinstance(pace.get("steps"), list)
    return {
        "pnl": line("chart-pnl", "Realized PnL (ETH, cumulative)", cumulative_pnl(trades), "block", "ETH"),
        "funnel": bars("chart-funnel", "Opportunity funnel", funnel(counters), "opportunities"),
        "rate": line(
            "chart-rate",
            "Blocks/s (2 s buckets, last 2 min)",
            pace_rates(pace) if own else rates,
            "seconds ago",
            "blocks/s",
        ),
        "lag": line(
            "chart-lag",
            f"Lag behind each block's timestamp (s); {skipped} stale heads skipped",
            pace_lag(pace),
            "seconds ago",
            "seconds",
        ),
        "errors": bars("chart-errors", "Errors by class", error_classes(counters, refused), "errors"),
    }
