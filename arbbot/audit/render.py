"""Audited trades for people (a rich table with notes) and for programs (JSON, amounts as strings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from arbbot.audit.types import AuditResult, TradeAudit
from arbbot.reports.model import eth


def _amounts(values: dict[str, int], symbols: dict[str, str]) -> str:
    return ", ".join(f"{v} {symbols.get(t, t)}" for t, v in values.items()) or "-"


def trade_dict(t: TradeAudit) -> dict[str, Any]:
    """JSON-safe: every integer amount becomes a decimal string (exact in any JSON reader)."""

    def conv(v: Any, key: str = "") -> Any:
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, int):
            return v if key in ("block_number", "block_timestamp", "index", "chain_id") else str(v)
        if isinstance(v, dict):
            return {k: conv(x, k) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        return v

    d = conv(asdict(t))
    d["gross_profit_eth"] = None if t.gross_profit_eth is None else str(t.gross_profit_eth)
    return d


def to_json(result: AuditResult) -> str:
    doc = {
        "trades": [trade_dict(t) for t in result.trades],
        "problems": [{"tx_hash": p.tx_hash, "message": p.message} for p in result.problems],
    }
    return json.dumps(doc, indent=2) + "\n"


def table(trades: Sequence[TradeAudit]) -> Group:
    t = Table(title="audited trades", header_style="bold")
    for name in ("block", "tx", "status", "route", "profit Ξ", "builder Ξ", "gas Ξ", "net Ξ", "sim diff Ξ", "source"):
        t.add_column(name, justify="right" if "Ξ" in name or name == "block" else "left", no_wrap=True)
    details: list[Text] = []
    for a in trades:
        route = " > ".join(s.venue or s.kind for s in a.route) or "-"
        diff = "" if a.simulated_diff is None else eth(a.simulated_diff)
        t.add_row(
            str(a.block_number), a.tx_hash[:12] + "…", a.status, route,
            "?" if a.profit_eth is None else eth(a.profit_eth), eth(a.builder_payment), eth(a.gas_cost),
            "?" if a.net_pnl is None else eth(a.net_pnl), diff, "trace" if a.traced else "receipts",
        )  # fmt: skip
        lines = [f"{a.tx_hash}  in: {_amounts(a.tokens_in, a.symbols)}  out: {_amounts(a.tokens_out, a.symbols)}"]
        lines.append(f"  profit per token: {_amounts(a.profit_by_token, a.symbols)}")
        if a.revert_reason:
            lines.append(f"  revert reason: {a.revert_reason}")
        if a.status == "reverted" and a.requested is not None:
            r = a.requested
            pools = " > ".join(h.pool for h in r.hops)
            lines.append(f"  requested: {r.amount_in} {a.symbols.get(r.token, r.token)} through {pools}")
        lines += [f"  note: {n}" for n in a.notes]
        details.append(Text("\n".join(lines)))
    return Group(t, *details)
