"""Charts drawn on the server as inline SVG (no script, nothing fetched): a line over time and horizontal bars.
Pure functions of their numbers; labels are escaped text, laid out so they do not overlap (bars: one row each;
lines: the axis labels at the corners only)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 560
ROW = 26  # one bar row: label and bar share it, so labels never touch
LABEL_W = 170
VALUE_W = 110


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.3f}"


def bars(chart_id: str, title: str, items: Sequence[tuple[str, float]], unit: str = "") -> str:
    """Horizontal bars, one row per (label, value); the longest bar spans the plot width."""
    height = 28 + ROW * max(1, len(items))
    top = max((v for _, v in items), default=0) or 1
    plot = WIDTH - LABEL_W - VALUE_W
    out = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="title" x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not items:
        out.append('<text x="0" y="44" font-size="12" fill="#666">no data yet</text>')
    for i, (label, value) in enumerate(items):
        y = 28 + i * ROW
        w = max(0.0, plot * value / top)
        out.append(f'<text class="label" x="0" y="{y + 17}" font-size="12">{escape(label[:24])}</text>')
        out.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" fill="#3b6ea8"/>')
        out.append(
            f'<text class="value" x="{WIDTH - VALUE_W + 8}" y="{y + 17}" font-size="12">'
            f"{escape(_num(value) + (' ' + unit if unit else ''))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def line(chart_id: str, title: str, points: Sequence[tuple[float, float]], x_label: str, y_label: str) -> str:
    """A line through (x, y) points in order, with the first/last x and the min/max y written at the corners."""
    height, left, right, top_pad, bottom = 216, 90, 20, 44, 36
    out = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="title" x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if len(points) < 2:
        out.append('<text x="0" y="44" font-size="12" fill="#666">not enough data yet</text></svg>')
        return "".join(out)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(min(ys), 0), max(max(ys), 0)
    sx = (WIDTH - left - right) / ((x1 - x0) or 1)
    sy = (height - top_pad - bottom) / ((y1 - y0) or 1)

    def at(x: float, y: float) -> str:
        return f"{left + (x - x0) * sx:.1f},{height - bottom - (y - y0) * sy:.1f}"

    zero = height - bottom - (0 - y0) * sy
    out.append(f'<line x1="{left}" y1="{zero:.1f}" x2="{WIDTH - right}" y2="{zero:.1f}" stroke="#bbb"/>')
    out.append(f'<polyline fill="none" stroke="#2a7d4f" stroke-width="2" points="{" ".join(at(*p) for p in points)}"/>')
    base = height - 8
    out += [
        f'<text class="label" x="0" y="{top_pad + 10}" font-size="11">{escape(_num(y1))}</text>',
        f'<text class="label" x="0" y="{height - bottom}" font-size="11">{escape(_num(y0))}</text>',
        f'<text class="label" x="{left}" y="{base}" font-size="11">{escape(_num(x0))}</text>',
        f'<text class="label" x="{WIDTH // 2 - 60}" y="{base}" font-size="11">{escape(x_label)}</text>',
        f'<text class="label" x="{WIDTH - right}" y="{base}" font-size="11" '
        f'text-anchor="end">{escape(_num(x1))}</text>',
        f'<text class="label" x="{left}" y="{top_pad - 12}" font-size="11" fill="#555">{escape(y_label)}</text>',
        "</svg>",
    ]
    return "".join(out)
