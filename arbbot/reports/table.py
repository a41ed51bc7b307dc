"""The terminal report: the PnL as a visible sum, trades, bundles that did not land, builders,
strategies. Every table fits the given width (see fit.py); amounts are in ETH and token units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.console import Group, RenderableType
from rich.text import Text

from arbbot.reports.fit import Col, fit
from arbbot.reports.model import Row, Summary, eth, exact_places, path_text
from arbbot.units import TokenInfo, short_address


def _signed(wei: int, places: int | None = 6) -> str:
    text = eth(wei, places)
    return f"[green]{text}[/]" if wei > 0 else f"[red]{text}[/]" if wei < 0 else text


def _time(at: datetime | None) -> str:
    return at.strftime("%m-%d %H:%M:%S") if at else ""


def pnl_sum(s: Summary) -> Text:
    """gross = net + builder payments + gas, every figure exact (same decimals), so the sum can be checked."""
    places = exact_places((s.gross, s.builder_payment, s.gas_cost, s.net))
    lines = [
        ("gross profit", eth(s.gross, places)),
        ("- builder payments", eth(s.builder_payment, places)),
        ("- gas", eth(s.gas_cost, places)),
        ("= net PnL", eth(s.net, places)),
    ]
    width = max(len(v) for _, v in lines)
    text = Text("PnL (ETH)\n", style="bold")
    for i, (label, value) in enumerate(lines):
        style = ("green" if s.net > 0 else "red" if s.net < 0 else "") if i == 3 else ""
        text.append(f"  {label:<20}")
        text.append(value.rjust(width), style=style)
        text.append("\n")
    counts = f"trades {s.trades} ({s.succeeded} ok, {s.reverted} reverted)"
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(s.by_status.items(), key=lambda kv: (kv[0] != "landed", kv[0])))
    text.append(f"{counts}; bundles {s.bundles}" + (f" ({statuses})" if statuses else ""))
    return text


def trades_table(rows: Sequence[Row], tokens: Mapping[str, TokenInfo], width: int) -> RenderableType:
    """The trades as a terminal table no wider than `width`: block and strategy, route with amounts, net, builder
    payment, gas and gross in ETH, and the difference from simulation.
    """
    cols = [
        Col("block", keep=6), Col("time", keep=1), Col("route", keep=9),
        Col("net", number=True, keep=8), Col("+ builder", number=True, keep=7), Col("+ gas", number=True, keep=7),
        Col("= gross", number=True, keep=7), Col("sim diff", number=True, keep=2), Col("tx", nowrap=True, keep=0),
    ]  # fmt: skip
    body = []
    for r in rows:
        route = path_text(r, tokens, amounts=True)
        if r.hops:
            route += "\nvia " + ", ".join(h.venue or short_address(h.pool) for h in r.hops)
        body.append([
            f"{r.block_number or ''}\n{r.strategy or '-'}", _time(r.recorded_at), route, _signed(r.net),
            eth(r.builder_payment), eth(r.gas_cost), eth(r.gross),
            "" if r.simulated_diff is None else _signed(r.simulated_diff), short_address(r.tx_hash),
        ])  # fmt: skip
    return fit(cols, body, width, title="Trades (ETH: net + builder + gas = gross; block, then cycle or backrun)")


def reverts(rows: Sequence[Row]) -> Text | None:
    """One line per trade that did not succeed, with its revert reason; None when every trade succeeded."""
    failed = [r for r in rows if r.status != "success"]
    if not failed:
        return None
    text = Text()
    for r in failed:
        why = r.revert_reason or "no reason recorded"
        text.append(f"{r.status} {short_address(r.tx_hash)} (block {r.block_number}): {why}\n", style="yellow")
    return text


def missed_table(s: Summary, width: int) -> RenderableType | None:
    """The bundles that did not land, with their status, reason, targets and expected net in ETH; None when there are
    none.
    """
    if not s.not_landed:
        return None
    cols = [
        Col("time", keep=2), Col("kind", keep=3), Col("target", keep=4), Col("expected net", number=True, keep=5),
        Col("status", keep=6), Col("reason", keep=7), Col("builders", keep=1), Col("bundle", keep=0),
    ]  # fmt: skip
    body = []
    for b in s.not_landed:
        expected = b.expected_net if b.expected_net is not None else b.simulated_profit
        status = "no outcome" if b.status == "sent" else b.status
        reason = b.miss_reason or ("not recorded" if b.status == "sent" else "")
        targets = ", ".join(str(n) for n in b.target_blocks)
        body.append([
            _time(b.created_at), b.strategy or "-", targets, eth(expected), status, reason, ", ".join(b.builders),
            b.uuid[:12],
        ])  # fmt: skip
    return fit(cols, body, width, title="Bundles that did not land")


def builders_table(s: Summary, width: int) -> RenderableType | None:
    """Per builder: bundles sent, accepted and landed, landing rate, median send latency, preflight results and the most
    frequent error; None without builders. A note under the table explains landings not attributed to a builder.
    """
    if not s.by_builder:
        return None
    cols = [
        Col("builder", keep=9), Col("sent", number=True, keep=8), Col("accepted", number=True, keep=6),
        Col("landed", number=True, keep=8), Col("rate", number=True, keep=7), Col("median ms", number=True, keep=5),
        Col("preflight ok/fail", number=True, keep=2), Col("top error", keep=1),
    ]  # fmt: skip
    body = []
    unattributed = False
    for name, b in s.by_builder.items():
        landed = str(b.landed_total) + ("*" if b.landed_unattributed else "")
        unattributed |= bool(b.landed_unattributed)
        median = b.median_latency_ms
        top = max(b.errors.items(), key=lambda kv: kv[1], default=None)
        body.append([
            name, str(b.sent), "-" if b.accepted is None else str(b.accepted), landed, f"{b.rate:.0%}",
            "-" if median is None else f"{median:.0f}", f"{b.preflight_ok}/{b.preflight_failed}",
            "" if top is None else f"{top[0]} (x{top[1]})",
        ])  # fmt: skip
    table = fit(cols, body, width, title="Builders (bundles; rate = landed / sent)")
    if not unattributed:
        return table
    note = Text("* includes bundles that landed in a block whose builder is not recorded (counted for every "
                "builder they were sent to)", style="dim")  # fmt: skip
    return Group(table, note)


def strategy_table(s: Summary, width: int) -> RenderableType | None:
    """Trades, net in ETH, bundles and landings per strategy (cycle, backrun, unknown last); None when there is nothing
    to show.
    """
    if not s.by_strategy:
        return None
    cols = [Col("kind", keep=4), Col("trades", number=True, keep=3), Col("net ETH", number=True, keep=3),
            Col("bundles", number=True, keep=2), Col("landed", number=True, keep=2)]  # fmt: skip
    body = [
        [name or "unknown", str(v.trades), _signed(v.net), str(v.bundles), str(v.landed)]
        for name, v in sorted(s.by_strategy.items(), key=lambda kv: (kv[0] == "", kv[0]))
    ]
    return fit(cols, body, width, title="Cycle vs backrun")


def report(
    rows: Sequence[Row], summary: Summary, title: str, tokens: Mapping[str, TokenInfo] | None = None,
    width: int = 80,
) -> Group:  # fmt: skip
    """The whole terminal report as one renderable: title, PnL sum, trades, reverts, missed bundles, builders and
    strategies, every table fitted to `width` columns.
    """
    parts: list[RenderableType | None] = [
        Text(title, style="bold"), pnl_sum(summary), Text(""), trades_table(rows, tokens or {}, width),
        reverts(rows), missed_table(summary, width), builders_table(summary, width), strategy_table(summary, width),
    ]  # fmt: skip
    return Group(*(p for p in parts if p is not None))
