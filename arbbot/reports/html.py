"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from arbbot.reports import svg
from arbbot.reports.model import Row, Summary, eth, eth_float

_CSS = """
body{font-family:sans-serif;margin:24px;color:#24292f;background:#fff}
h1{font-size:22px;margin:0 0 4px} .sub{color:#57606a;margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:140px}
.card b{display:block;font-size:18px} .pos{color:#1a7f37} .neg{color:#cf222e}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(640px,1fr));gap:12px}
table{border-collapse:collapse;font-size:12px;margin-top:16px}
th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:right} th{background:#f6f8fa}
td.l,th.l{text-align:left} code{font-size:11px}
"""


def _cls(wei: int) -> str:
    return "pos" if wei > 0 else "neg" if wei < 0 else ""


def title_for(window_label: str) -> str:
    return f"arbbot report {window_label}"


def charts(rows: Sequence[Row], s: Summary) -> list[str]:
    cumulative = [(float(i + 1), eth_float(v)) for i, (_, v) in enumerate(s.cumulative)]
    by_route = sorted(s.by_route.items(), key=lambda kv: kv[1], reverse=True)
    builders = sorted(s.by_builder.items())
    return [
        svg.line_chart(cumulative, "Cumulative net PnL", "trade # (block order)", "ETH"),
        svg.bar_chart([(k, eth_float(v)) for k, v in by_route], "Net PnL per route (venues)", "ETH",
                      [eth(v, 4) for _, v in by_route]),
        svg.bar_chart([(k, 100 * b.rate) for k, b in builders], "Landing rate per builder", "% of bundles",
                      [f"{b.landed}/{b.sent}" for _, b in builders], y_max=100),
        svg.scatter([(eth_float(r.gas_cost), eth_float(r.gross), r.status == "success") for r in rows],
                    "Gas vs profit per trade", "gas cost (ETH)", "gross profit (ETH)"),
    ]  # fmt: skip


def render(rows: Sequence[Row], s: Summary, window_label: str, chain_id: int) -> str:
    title = title_for(window_label)
    cards = [
        ("trades", f"{s.trades} ({s.succeeded} ok, {s.reverted} reverted)", 0),
        ("gross profit Ξ", eth(s.gross), s.gross),
        ("builder payments Ξ", eth(s.builder_payment), 0),
        ("gas Ξ", eth(s.gas_cost), 0),
        ("net PnL Ξ", eth(s.net), s.net),
        ("bundles landed", f"{s.bundles_landed} / {s.bundles}", 0),
    ]
    head = "".join(
        f'<th class="{c}">{n}</th>'
        for n, c in (("block", ""), ("tx", "l"), ("status", "l"), ("route", "l"), ("profit Ξ", ""),
                     ("builder Ξ", ""), ("gas Ξ", ""), ("net Ξ", ""), ("sim diff Ξ", ""), ("revert reason", "l"))
    )  # fmt: skip
    body_rows = []
    for r in rows:
        diff = "" if r.simulated_diff is None else eth(r.simulated_diff)
        body_rows.append(
            f"<tr><td>{r.block_number or ''}</td><td class='l'><code>{escape(r.tx_hash)}</code></td>"
            f"<td class='l'>{escape(r.status)}</td><td class='l'>{escape(r.route)}</td><td>{eth(r.profit)}</td>"
            f"<td>{eth(r.builder_payment)}</td><td>{eth(r.gas_cost)}</td><td class='{_cls(r.net)}'>{eth(r.net)}</td>"
            f"<td>{diff}</td><td class='l'>{escape(r.revert_reason or '')}</td></tr>"
        )
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><div class='sub'>chain {chain_id} · generated {made} · amounts in ETH, "
        "exact wei in the CSV/JSON export</div>"
        "<div class='cards'>"
        + "".join(f"<div class='card'>{escape(k)}<b class='{_cls(w)}'>{escape(v)}</b></div>" for k, v, w in cards)
        + "</div><div class='charts'>"
        + "".join(f"<div>{c}</div>" for c in charts(rows, s))
        + f"</div><table><thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table></body></html>\n"
    )
