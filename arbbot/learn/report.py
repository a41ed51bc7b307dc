"""The evaluation report as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched): the
model's metadata, calibration figures and reliability curve, and the replay backtest of the learned policy against
the best static share."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from arbbot.learn.evaluate import Evaluation
from arbbot.reports import html, svg
from arbbot.reports.model import eth

_CSS = html.CSS  # the HTML report's stylesheet: one look for both pages


def _wei(v: float) -> str:
    """A mean in wei, as ETH (rounded to the wei: these are estimates, not sums)."""
    return eth(round(v))


def _card(name: str, value: str, cls: str = "") -> str:
    return f"<div class='card'>{escape(name)}<b class='{cls}'>{escape(value)}</b></div>"


def _meta_table(meta: dict[str, Any]) -> str:
    data = meta.get("data", {})
    cal = meta.get("calibration", {})
    rows = [
        ("training window", f"{data.get('first')} → {data.get('last')} ({data.get('rows')} rows)"),
        ("training data sha256", str(data.get("sha256"))),
        ("calibration", f"{cal.get('method')} on the newest {cal.get('calibration_rows')} training rows "
                        f"(boosting on the {cal.get('fit_rows')} before them)"),
        ("share grid (bps)", ", ".join(str(g) for g in meta.get("grid", []))),
        ("versions", ", ".join(f"{k} {v}" for k, v in sorted(meta.get("versions", {}).items()))),
        ("seed", str(meta.get("seed"))),
        ("created", str(meta.get("created"))),
        ("model sha256", str(meta.get("model_sha256"))),
    ]  # fmt: skip
    return "<table>" + "".join(f"<tr><th class='l'>{escape(k)}</th><td class='l'>{escape(v)}</td></tr>"
                               for k, v in rows) + "</table>"  # fmt: skip


def _backtest(ev: Evaluation) -> str:
    bt = ev.backtest
    if bt is None:
        return f"<h2>Backtest</h2><p class='neg'>refused: {escape(ev.backtest_refused or '')}</p>"
    ci = f"[{_wei(bt.ci_low)}, {_wei(bt.ci_high)}]"
    cls = "pos" if bt.ci_low > 0 else "neg" if bt.ci_high < 0 else "muted"
    chart = svg.bar_chart(
        [("learned", bt.learned_mean / 1e18), (f"static {bt.static_share} bps", bt.static_mean / 1e18)],
        "Replay estimate of realized net per opportunity (held-out)", "ETH",
        [_wei(bt.learned_mean), _wei(bt.static_mean)],
    )  # fmt: skip
    static_rows = "".join(
        f"<tr><td>{g}</td><td>{_wei(v)}</td><td class='l'>{'chosen' if g == bt.static_share else ''}</td></tr>"
        for g, v in sorted(bt.static_train.items())
    )
    return (
        "<h2>Backtest (replay on the held-out window)</h2>"
        "<div class='cards'>"
        + _card("learned ETH / opportunity", _wei(bt.learned_mean))
        + _card(f"static {bt.static_share} bps ETH / opportunity", _wei(bt.static_mean))
        + _card("learned − static ETH", _wei(bt.diff), cls)
        + _card(f"95% CI ({bt.resamples} bootstrap resamples)", ci, cls)
        + "</div>"
        f"<div class='sub'>{bt.rows} held-out rows; rows matched: learned {bt.learned_matched}, static "
        f"{bt.static_matched}; grid of {len(bt.grid)} shares, each logged with probability 1/{len(bt.grid)}. "
        "A row counts for a policy only when the policy picks the logged share; its realized net (net at the logged "
        f"share if it landed, else 0) is weighted by {len(bt.grid)}.</div>"
        f"<div class='charts'><div>{chart}</div></div>"
        "<h2>Static shares on the training window (replay estimate)</h2>"
        f"<table><tr><th>share bps</th><th>ETH / opportunity</th><th></th></tr>{static_rows}</table>"
    )


def _body(ev: Evaluation, meta: dict[str, Any]) -> str:
    cal = ev.calibration
    curve = svg.reliability_chart([(b.predicted, b.observed, b.rows) for b in cal.bins],
                                  "Reliability curve (held-out, 10 equal-width bins)")  # fmt: skip
    return (
        "<div class='cards'>"
        + _card("Brier score", f"{cal.brier:.4f}")
        + _card("ECE (10 equal-width bins)", f"{cal.ece:.4f}", "pos" if cal.ece <= 0.05 else "neg")
        + _card("landed rate", f"{cal.landed_rate:.3f}")
        + _card("held-out rows", str(cal.rows))
        + "</div>"
        f"<div class='charts'><div>{curve}</div></div>" + _backtest(ev) + "<h2>Model</h2>" + _meta_table(meta)
    )


def _window(ev: Evaluation) -> str:
    w = ev.test_window
    return (
        f"held-out window {escape(str(w.get('first')))} → {escape(str(w.get('last')))} ({ev.test_rows} rows, data "
        f"sha256 {escape(str(w.get('sha256')))}) · trained on {ev.train_rows} earlier rows"
    )


def render(ev: Evaluation, meta: dict[str, Any]) -> str:
    """The report page for evaluation `ev` of the model described by `meta`."""
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = "arbbot landing model evaluation"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><div class='sub'>generated {made} · {_window(ev)}</div>"
        + _body(ev, meta)
        + "</body></html>\n"
    )


def section(ev: Evaluation, meta: dict[str, Any]) -> str:
    """The same evaluation as a section of another page (the PnL report's HTML, `arbbot report --model`)."""
    return f"<h2>Landing model (the builder payment)</h2><div class='sub'>{_window(ev)}</div>" + _body(ev, meta)
