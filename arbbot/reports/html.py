"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched).

Amounts are shown in ETH and token units; hovering one shows its exact wei. The CSV/JSON exports carry
every amount in wei.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from arbbot.reports import svg
from arbbot.reports.model import Row, Summary, bid_share, eth, eth_float, exact_places, path_text
from arbbot.units import TokenInfo, short_address

_CSS = """
body{font-family:sans-serif;margin:24px;color:#24292f;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 4px} .sub{color:#57606a;margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:140px}
.card b{display:block;font-size:18px} .pos{color:#1a7f37} .neg{color:#cf222e} .muted{color:#57606a}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(640px,1fr));gap:12px}
table{border-collapse:collapse;font-size:12px;margin-top:8px}
th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}
td.l,th.l{text-align:left} td{white-space:nowrap} td.l{white-space:normal} td.route{min-width:320px}
code{font-size:11px}
table.sum td{font-family:monospace;font-size:14px;border:none;padding:1px 8px}
table.sum tr.total td{border-top:1px solid #24292f;font-weight:bold}
"""


CSS = _CSS  # shared with the other self-contained pages (the learned-bribe report)


def _cls(wei: int) -> str:
    return "pos" if wei > 0 else "neg" if wei < 0 else ""


def _wei(wei: int | None, places: int | None = 6, signed: bool = False) -> str:
    """A table cell: ETH for reading, the exact wei on hover."""
    if wei is None:
        return "<td></td>"
    cls = f" class='{_cls(wei)}'" if signed else ""
    return f"<td{cls} title='{wei} wei'>{eth(wei, places)}</td>"


def _time(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def title_for(window_label: str) -> str:
    """The title of a report of the window so labelled, shared by the HTML page and the terminal report."""
    return f"arbbot report {window_label}"


def charts(rows: Sequence[Row], s: Summary) -> list[str]:
    """The report's charts as inline SVG documents: cumulative net over time (with the bundles that did not land
    marked), landing rate per builder, net per route, and gas against gross profit per trade. Plotted in float ETH;
    the exact wei are in the tables.
    """
    over_time = [(at, eth_float(v)) for at, v in s.over_time]
    missed = [
        (b.created_at, f"{b.status if b.status != 'sent' else 'no outcome'}: {b.miss_reason or 'no reason recorded'}")
        for b in s.not_landed
        if b.created_at is not None
    ]
    by_route = sorted(s.by_route.items(), key=lambda kv: kv[1], reverse=True)
    builders = sorted(s.by_builder.items())
    return [
        svg.time_chart(over_time, "Cumulative net PnL over time (red: bundles that did not land)", "ETH", missed),
        svg.bar_chart([(k, 100 * b.rate) for k, b in builders], "Landing rate per builder", "% of bundles sent",
                      [f"{b.landed_total}/{b.sent}" for _, b in builders], y_max=100),
        svg.bar_chart([(k, eth_float(v)) for k, v in by_route], "Net PnL per route (venues)", "ETH",
                      [eth(v) for _, v in by_route]),
        svg.scatter([(eth_float(r.gas_cost), eth_float(r.gross), r.status == "success") for r in rows],
                    "Gas vs gross profit per trade", "gas cost (ETH)", "gross profit (ETH)"),
    ]  # fmt: skip


def _sum(s: Summary) -> str:
    places = exact_places((s.gross, s.builder_payment, s.gas_cost, s.net))
    lines = [("gross profit", s.gross, ""), ("&minus; builder payments", s.builder_payment, ""),
             ("&minus; gas", s.gas_cost, ""), ("= net PnL", s.net, "total")]  # fmt: skip
    body = "".join(
        f"<tr class='{cls}'><td class='l'>{label}</td><td class='{_cls(v) if cls else ''}' title='{v} wei'>"
        f"{eth(v, places)}</td><td class='l'>ETH</td></tr>"
        for label, v, cls in lines
    )
    return f"<h2>PnL</h2><table class='sum'>{body}</table>"


def _trades(rows: Sequence[Row], tokens: Mapping[str, TokenInfo]) -> str:
    head = "".join(
        f'<th class="{c}">{n}</th>'
        for n, c in (("block", ""), ("time (UTC)", "l"), ("kind", "l"), ("route", "l"), ("net", ""),
                     ("+ builder", ""), ("+ gas", ""), ("= gross", ""), ("sim diff", ""), ("status", "l"), ("tx", "l"))
    )  # fmt: skip
    body = []
    for r in rows:
        route = escape(path_text(r, tokens, amounts=True))
        if r.hops:
            pools = ", ".join(f"<span title='{escape(h.pool)}'>{escape(h.venue or short_address(h.pool))}</span>"
                              for h in r.hops)  # fmt: skip
            route += f"<br><span class='muted'>via {pools}</span>"
        status = escape(r.status) + (f": {escape(r.revert_reason)}" if r.revert_reason else "")
        body.append(
            f"<tr><td>{r.block_number or ''}</td><td>{_time(r.recorded_at)}</td>"
            f"<td class='l'>{escape(r.strategy or '-')}</td><td class='l route'>{route}</td>{_wei(r.net, signed=True)}"
            f"{_wei(r.builder_payment)}{_wei(r.gas_cost)}{_wei(r.gross)}{_wei(r.simulated_diff, signed=True)}"
            f"<td class='l'>{status}</td><td><code title='{escape(r.tx_hash)}'>{escape(short_address(r.tx_hash))}"
            "</code></td></tr>"
        )
    return (f"<h2>Trades <span class='muted'>(ETH: net + builder + gas = gross)</span></h2>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")  # fmt: skip


def _not_landed(s: Summary) -> str:
    if not s.not_landed:
        return "<h2>Bundles that did not land</h2><p class='muted'>none</p>"
    names = ("time (UTC)", "kind", "target blocks", "expected net", "bid bps", "status", "reason", "lost to",
             "builders", "bundle")  # fmt: skip
    head = "".join(f"<th class='{'' if n in ('expected net', 'bid bps') else 'l'}'>{n}</th>" for n in names)
    body = []
    for b in s.not_landed:
        expected = b.expected_net if b.expected_net is not None else b.simulated_profit
        status = "no outcome recorded" if b.status == "sent" else b.status
        share = bid_share(b)
        body.append(
            f"<tr><td class='l'>{_time(b.created_at)}</td><td class='l'>{escape(b.strategy or '-')}</td>"
            f"<td class='l'>{', '.join(str(n) for n in b.target_blocks)}</td>{_wei(expected)}"
            f"<td>{'-' if share is None else share}</td>"
            f"<td class='l'>{escape(status)}</td><td class='l'>{escape(b.miss_reason or '')}</td>"
            f"<td class='l'>{_lost_to(b.lost_to)}</td>"
            f"<td class='l'>{escape(', '.join(b.builders))}</td><td class='l'><code>{escape(b.uuid)}</code></td></tr>"
        )
    return (f"<h2>Bundles that did not land</h2><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")  # fmt: skip


def _lost_to(lost: dict[str, object] | None) -> str:
    """Who took a missed opportunity (`arbbot audit --missed`): its transaction and what it paid the builder ("≥"
    when only the priority fee is known), or why nobody is named."""
    if not lost:
        return "<span class='muted'>not looked at</span>"
    if "none" in lost:
        return f"<span class='muted'>{escape(str(lost['none']))}</span>"
    tx, paid = str(lost.get("tx", "")), str(lost.get("paid_wei", ""))
    if not paid.isdigit():
        return "<span class='muted'>malformed</span>"
    bound = "" if lost.get("exact") is True else "&ge; "
    return f"<code>{escape(tx[:10])}…</code> paid {bound}<span title='{int(paid)} wei'>{eth(int(paid))}</span> ETH"


def _builders(s: Summary) -> str:
    if not s.by_builder:
        return "<h2>Builders</h2><p class='muted'>no bundles sent</p>"
    names = ("builder", "sent", "accepted", "landed", "landing rate", "median latency (ms)", "preflight ok",
             "preflight failed", "cancels", "most frequent error")  # fmt: skip
    head = "".join(f"<th class='{'l' if n in ('builder', 'most frequent error') else ''}'>{n}</th>" for n in names)
    body = []
    note = ""
    for name, b in s.by_builder.items():
        median = b.median_latency_ms
        top = max(b.errors.items(), key=lambda kv: kv[1], default=None)
        landed = f"{b.landed_total}" + ("*" if b.landed_unattributed else "")
        if b.landed_unattributed:
            note = ("<p class='muted'>* includes bundles that landed in a block whose builder is not recorded, "
                    "counted for every builder they were sent to</p>")  # fmt: skip
        body.append(
            f"<tr><td class='l'>{escape(name)}</td><td>{b.sent}</td><td>{'-' if b.accepted is None else b.accepted}"
            f"</td><td>{landed}</td><td>{b.rate:.1%}</td><td>{'-' if median is None else f'{median:.1f}'}</td>"
            f"<td>{b.preflight_ok}</td><td>{b.preflight_failed}</td><td>{b.cancels}</td>"
            f"<td class='l'>{'' if top is None else escape(f'{top[0]} (x{top[1]})')}</td></tr>"
        )
    return (f"<h2>Builders <span class='muted'>(bundles; landing rate = landed / sent)</span></h2>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}")  # fmt: skip


def _strategies(s: Summary) -> str:
    head = "".join(f"<th class='{c}'>{n}</th>" for n, c in (("kind", "l"), ("trades", ""), ("net ETH", ""),
                                                            ("bundles", ""), ("landed", "")))  # fmt: skip
    body = "".join(
        f"<tr><td class='l'>{escape(k or 'unknown')}</td><td>{v.trades}</td>{_wei(v.net, signed=True)}"
        f"<td>{v.bundles}</td><td>{v.landed}</td></tr>"
        for k, v in sorted(s.by_strategy.items(), key=lambda kv: (kv[0] == "", kv[0]))
    )
    return f"<h2>Cycle vs backrun</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(
    rows: Sequence[Row],
    s: Summary,
    window_label: str,
    chain_id: int,
    tokens: Mapping[str, TokenInfo] | None = None,
    sections: Sequence[str] = (),
) -> str:
    """The HTML report as one self-contained page (inline CSS and SVG, no scripts): summary cards, the PnL sum, charts,
    trades, bundles that did not land, builders and strategies, then `sections` (HTML made elsewhere, e.g. a landing
    model's evaluation); amounts shown in ETH with the exact wei on hover.
    """
    title = title_for(window_label)
    cards = [
        ("trades", f"{s.trades} ({s.succeeded} ok, {s.reverted} reverted)", 0),
        ("gross profit ETH", eth(s.gross), s.gross),
        ("builder payments ETH", eth(s.builder_payment), 0),
        ("gas ETH", eth(s.gas_cost), 0),
        ("net PnL ETH", eth(s.net), s.net),
        ("bundles landed", f"{s.bundles_landed} / {s.bundles}", 0),
    ]
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><div class='sub'>chain {chain_id} · generated {made} · amounts in ETH and token "
        "units (hover for exact wei); exact wei in the CSV/JSON export</div>"
        "<div class='cards'>"
        + "".join(f"<div class='card'>{escape(k)}<b class='{_cls(w)}'>{escape(v)}</b></div>" for k, v, w in cards)
        + "</div>"
        + _sum(s)
        + "<div class='charts'>"
        + "".join(f"<div>{c}</div>" for c in charts(rows, s))
        + "</div>"
        + _trades(rows, tokens or {})
        + _not_landed(s)
        + _builders(s)
        + _strategies(s)
        + "".join(sections)
        + "</body></html>\n"
    )
