"""Small inline SVG charts (line, bars, scatter) for the HTML report: no scripts, no external files."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape

W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 36, 48
POS, NEG, LINE, MUTED = "#1a7f37", "#cf222e", "#0969da", "#57606a"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round tick values spanning [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    out = [first]
    while out[-1] < hi - step * 1e-9:  # the last tick is at or above hi, so every point is inside
        out.append(first + len(out) * step)
    return [round(v, 12) for v in out]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000 or abs(v) < 0.001:
        return f"{v:.2e}"
    return f"{v:.4f}".rstrip("0").rstrip(".")


class _Frame:
    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.xt = _ticks(*x_range)
        self.yt = _ticks(*y_range)
        self.x0, self.x1 = self.xt[0], self.xt[-1]
        self.y0, self.y1 = self.yt[0], self.yt[-1]

    def x(self, v: float) -> float:
        return LEFT + (v - self.x0) / ((self.x1 - self.x0) or 1) * (W - LEFT - RIGHT)

    def y(self, v: float) -> float:
        return H - BOTTOM - (v - self.y0) / ((self.y1 - self.y0) or 1) * (H - TOP - BOTTOM)

    def axes(self, x_label: str, y_label: str, x_ticks: bool = True) -> list[str]:
        out = []
        for v in self.yt:
            y = self.y(v)
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#d0d7de"/>')
            out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        if x_ticks:
            for v in self.xt:
                x = self.x(v)
                out.append(f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{_fmt(v)}</text>')
        out.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 10}" text-anchor="middle">{escape(x_label)}</text>')
        out.append(
            f'<text transform="translate(14 {(TOP + H - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">'
            f"{escape(y_label)}</text>"
        )
        if self.y0 < 0 < self.y1:
            z = self.y(0)
            out.append(f'<line x1="{LEFT}" y1="{z:.1f}" x2="{W - RIGHT}" y2="{z:.1f}" stroke="{MUTED}"/>')
        return out


def _svg(title: str, body: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="11" fill="#24292f">'
        f'<title>{escape(title)}</title><text x="{W / 2}" y="20" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>' + "".join(body) + "</svg>"
    )


def _empty(title: str) -> str:
    return _svg(title, [f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{MUTED}">no data</text>'])


def line_chart(points: Sequence[tuple[float, float]], title: str, x_label: str, y_label: str) -> str:
    """An SVG line chart of (x, y) points, with the y axis always including zero; a "no data" chart when `points` is
    empty.
    """
    if not points:
        return _empty(title)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    f = _Frame((min(xs), max(xs)), (min(0.0, *ys), max(0.0, *ys)))
    path = " ".join(f"{f.x(x):.1f},{f.y(y):.1f}" for x, y in points)
    body = f.axes(x_label, y_label)
    body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    body += [f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="3" fill="{LINE}"/>' for x, y in points]
    return _svg(title, body)


def bar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    y_label: str,
    labels: Sequence[str] = (),
    y_max: float | None = None,
) -> str:
    """Vertical bars, one per item; `labels` (same length) are printed above the bars; `y_max` fixes
    the top of the scale (100 for percentages)."""
    if not items:
        return _empty(title)
    vals = [v for _, v in items]
    top = max(0.0, *vals) if y_max is None else max(y_max, *vals)
    f = _Frame((0.0, 1.0), (min(0.0, *vals), top))
    body = f.axes("", y_label, x_ticks=False)
    slot = (W - LEFT - RIGHT) / len(items)
    for i, (name, v) in enumerate(items):
        x = LEFT + i * slot + slot * 0.15
        top, base = f.y(max(v, 0.0)), f.y(min(v, 0.0))
        color = NEG if v < 0 else POS
        body.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{max(base - top, 1):.1f}" '
                    f'fill="{color}"><title>{escape(name)}: {_fmt(v)}</title></rect>')  # fmt: skip
        cx = x + slot * 0.35
        short = name if len(name) <= 28 else name[:27] + "…"
        body.append(f'<text x="{cx:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{escape(short)}</text>')
        if i < len(labels):
            body.append(f'<text x="{cx:.1f}" y="{top - 4:.1f}" text-anchor="middle">{escape(labels[i])}</text>')
    return _svg(title, body)


def scatter(points: Sequence[tuple[float, float, bool]], title: str, x_label: str, y_label: str) -> str:
    """(x, y, ok) points; failed ones (ok False) are drawn red."""
    if not points:
        return _empty(title)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    f = _Frame((min(0.0, *xs), max(xs)), (min(0.0, *ys), max(0.0, *ys)))
    body = f.axes(x_label, y_label)
    for x, y, ok in points:
        body.append(f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="4" fill="{POS if ok else NEG}" '
                    f'fill-opacity="0.8"/>')  # fmt: skip
    return _svg(title, body)


# Round steps for a time axis, in seconds: 1 s up to 4 weeks.
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
               2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400)  # fmt: skip


def time_ticks(lo: datetime, hi: datetime, n: int = 6) -> tuple[list[datetime], str]:
    """About n round UTC times within [lo, hi], and the strftime format their labels need."""
    span = max((hi - lo).total_seconds(), 1.0)
    step = next((s for s in _TIME_STEPS if span / s <= n), _TIME_STEPS[-1])
    start = math.ceil(lo.timestamp() / step) * step
    ticks = []
    t = start
    while t <= hi.timestamp() + 1e-6:
        ticks.append(datetime.fromtimestamp(t, UTC))
        t += step
    fmt = "%H:%M:%S" if step < 60 else "%H:%M" if step < 86400 else "%Y-%m-%d"
    if step < 86400 and lo.astimezone(UTC).date() != hi.astimezone(UTC).date():
        fmt = "%m-%d " + fmt
    return ticks, fmt


def time_chart(
    points: Sequence[tuple[datetime, float]],
    title: str,
    y_label: str,
    markers: Sequence[tuple[datetime, str]] = (),
) -> str:
    """A step line of a running total over real time (UTC), with a dot and a tooltip per change;
    `markers` (time, text) are drawn as red ticks under the axis (e.g. bundles that did not land)."""
    if not points and not markers:
        return _empty(title)
    times = [p[0] for p in points] + [m[0] for m in markers]
    lo, hi = min(times), max(times)
    if hi - lo < timedelta(seconds=60):  # a lone point still gets a readable axis
        lo, hi = lo - timedelta(seconds=30), hi + timedelta(seconds=30)
    ys = [p[1] for p in points] or [0.0]
    f = _Frame((0.0, 1.0), (min(0.0, *ys), max(0.0, *ys)))
    span = (hi - lo).total_seconds()

    def x(t: datetime) -> float:
        return LEFT + (t - lo).total_seconds() / span * (W - LEFT - RIGHT)

    body = f.axes(f"time (UTC), {lo.astimezone(UTC):%Y-%m-%d}", y_label, x_ticks=False)
    ticks, fmt = time_ticks(lo, hi)
    for t in ticks:
        body.append(f'<line x1="{x(t):.1f}" y1="{TOP}" x2="{x(t):.1f}" y2="{H - BOTTOM}" stroke="#eaeef2"/>')
        body.append(f'<text x="{x(t):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{t.strftime(fmt)}</text>')
    if points:
        coords = [(x(lo), f.y(0.0))]
        for t, v in points:
            coords += [(x(t), coords[-1][1]), (x(t), f.y(v))]
        path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for t, v in points:
            tip = f"{t.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC: {_fmt(v)} {y_label}"
            body.append(f'<circle cx="{x(t):.1f}" cy="{f.y(v):.1f}" r="3" fill="{LINE}"><title>{escape(tip)}</title>'
                        "</circle>")  # fmt: skip
    for t, text in markers:
        mx, my = x(t), H - BOTTOM
        body.append(f'<path d="M{mx:.1f},{my + 2} l-4,7 h8 z" fill="{NEG}"><title>{escape(text)}</title></path>')
    return _svg(title, body)


def reliability_chart(points: Sequence[tuple[float, float, int]], title: str) -> str:
    """A reliability curve: (mean predicted probability, observed rate, rows) per bin on the unit square, with the
    diagonal a perfectly calibrated model would follow; each point's area grows with its rows."""
    if not points:
        return _empty(title)
    f = _Frame((0.0, 1.0), (0.0, 1.0))
    body = f.axes("predicted probability", "observed rate")
    body.append(f'<line x1="{f.x(0):.1f}" y1="{f.y(0):.1f}" x2="{f.x(1):.1f}" y2="{f.y(1):.1f}" stroke="{MUTED}" '
                'stroke-dasharray="4 4"/>')  # fmt: skip
    path = " ".join(f"{f.x(x):.1f},{f.y(y):.1f}" for x, y, _ in points)
    body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    top = max(n for _, _, n in points) or 1
    for x, y, n in points:
        r = 3 + 5 * math.sqrt(n / top)
        tip = f"predicted {x:.3f}, observed {y:.3f}, {n} rows"
        body.append(f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="{r:.1f}" fill="{LINE}" fill-opacity="0.7">'
                    f"<title>{escape(tip)}</title></circle>")  # fmt: skip
    return _svg(title, body)
