"""The terminal report (rich)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table

from arbbot.reports.model import Row, Summary, eth


def _signed(wei: int) -> str:
    text = eth(wei)
    return f"[green]{text}[/]" if wei > 0 else f"[red]{text}[/]" if wei < 0 else text


def trades_table(rows: Sequence[Row], title: str) -> Table:
    t = Table(title=title, header_style="bold")
    for name in ("block", "tx", "status", "route", "profit Ξ", "builder Ξ", "gas Ξ", "net Ξ", "sim diff Ξ", "note"):
        t.add_column(name, justify="right" if "Ξ" in name or name == "block" else "left", no_wrap=name != "note")
    for r in rows:
        diff = "" if r.simulated_diff is None else _signed(r.simulated_diff)
        t.add_row(
            str(r.block_number or ""), r.tx_hash[:12] + "…", r.status, r.route, eth(r.profit), eth(r.builder_payment),
            eth(r.gas_cost), _signed(r.net), diff, r.revert_reason or "",
        )  # fmt: skip
    return t


def summary_table(s: Summary) -> Table:
    t = Table(title="summary", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("trades (ok / reverted)", f"{s.trades} ({s.succeeded} / {s.reverted})")
    t.add_row("gross profit Ξ", eth(s.gross))
    t.add_row("builder payments Ξ", eth(s.builder_payment))
    t.add_row("gas Ξ", eth(s.gas_cost))
    t.add_row("net PnL Ξ", _signed(s.net))
    t.add_row("bundles landed / sent", f"{s.bundles_landed} / {s.bundles}")
    for name, b in sorted(s.by_builder.items()):
        t.add_row(f"  landing rate {name}", f"{b.rate:.0%} ({b.landed}/{b.sent})")
    return t


def report(rows: Sequence[Row], summary: Summary, title: str) -> Group:
    return Group(trades_table(rows, title), summary_table(summary))
