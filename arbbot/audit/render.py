"""Audited trades for people (a table that fits the terminal, with notes) and for programs (JSON,
amounts as strings). People see ETH and token units; the JSON keeps every amount in raw units."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from arbbot.audit.types import AuditResult, TradeAudit
from arbbot.reports.fit import Col, fit
from arbbot.reports.model import eth
from arbbot.units import TokenInfo, amount, short_address


def _tokens(a: TradeAudit, tokens: Mapping[str, TokenInfo]) -> dict[str, TokenInfo]:
    """What is known of the trade's tokens: what the audit read on chain, else `tokens` (database, manifest)."""
    out = {k.lower(): v for k, v in tokens.items()}
    for address in {*a.symbols, *a.decimals}:
        known = out.get(address.lower())
        symbol = a.symbols.get(address) or (known.symbol if known else "")
        decimals = a.decimals.get(address, known.decimals if known else None)
        out[address.lower()] = TokenInfo(symbol, decimals)
    return out


def _amount(raw: int, token: str, known: Mapping[str, TokenInfo]) -> str:
    info = known.get(token.lower())
    name = info.symbol if info is not None and info.symbol else short_address(token)
    if info is None or info.decimals is None:
        return f"{raw:,} {name} (raw units)"
    return f"{amount(raw, info.decimals, places=None)} {name}"


def _amounts(values: dict[str, int], known: Mapping[str, TokenInfo]) -> str:
    return ", ".join(_amount(v, t, known) for t, v in values.items()) or "-"


def route_text(a: TradeAudit, known: Mapping[str, TokenInfo]) -> str:
    """In the order the swaps happened: what went into the first pool, what each pool gave out."""
    if not a.route:
        return "-"
    legs = [_amount(a.route[0].amount_in, a.route[0].token_in, known)]
    legs += [_amount(s.amount_out, s.token_out, known) for s in a.route]
    return " → ".join(legs) + "\nvia " + ", ".join(s.venue or s.kind for s in a.route)


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
    """The audit result as a JSON document: the trades (amounts as decimal strings, exact) and the problems."""
    doc = {
        "trades": [trade_dict(t) for t in result.trades],
        "problems": [{"tx_hash": p.tx_hash, "message": p.message} for p in result.problems],
    }
    return json.dumps(doc, indent=2) + "\n"


def table(trades: Sequence[TradeAudit], tokens: Mapping[str, TokenInfo] | None = None, width: int = 80) -> Group:
    """One row per trade (ETH: net + builder + gas = gross), then each trade's token flows and notes."""
    cols = [
        Col("block", number=True, keep=6), Col("status", keep=5), Col("route", keep=9),
        Col("net", number=True, keep=8), Col("+ builder", number=True, keep=5), Col("+ gas", number=True, keep=5),
        Col("= gross", number=True, keep=7), Col("sim diff", number=True, keep=2), Col("source", keep=1),
        Col("tx", nowrap=True, keep=3),
    ]  # fmt: skip
    rows = []
    details: list[RenderableType] = []
    for a in trades:
        known = _tokens(a, tokens or {})
        gross = a.gross_profit_eth
        rows.append([
            str(a.block_number), a.status, route_text(a, known), "?" if a.net_pnl is None else eth(a.net_pnl),
            eth(a.builder_payment), eth(a.gas_cost), "?" if gross is None else eth(gross),
            "" if a.simulated_diff is None else eth(a.simulated_diff), "trace" if a.traced else "receipts",
            short_address(a.tx_hash),
        ])  # fmt: skip
        lines = [
            f"{a.tx_hash} (block {a.block_number}, gas used {a.gas_used:,})",
            f"  executor received: {_amounts(a.tokens_in, known)}",
            f"  executor paid:     {_amounts(a.tokens_out, known)}",
            f"  profit per token:  {_amounts(a.profit_by_token, known)}",
        ]
        if a.revert_reason:
            lines.append(f"  revert reason: {a.revert_reason}")
        if a.status == "reverted" and a.requested is not None:
            r = a.requested
            pools = " > ".join(h.pool for h in r.hops)
            lines.append(f"  requested: {_amount(r.amount_in, r.token, known)} through {pools}")
        lines += [f"  note: {n}" for n in a.notes]
        details.append(Text("\n".join(lines)))
    return Group(fit(cols, rows, width, title="audited trades (ETH: net + builder + gas = gross)"), *details)
