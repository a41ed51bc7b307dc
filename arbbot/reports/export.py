"""CSV and JSON exports. Every amount is an exact integer in wei or the token's smallest unit (JSON:
decimal strings); symbols and decimals ride along so a reader can convert without guessing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from arbbot.db.schemas import BundleRecord
from arbbot.reports.model import BuilderStats, Row, Summary, bid_share
from arbbot.reports.window import Window
from arbbot.units import TokenInfo, symbol

COLUMNS = (
    "tx_hash", "block_number", "recorded_at", "executor", "status", "strategy", "route", "path", "pools",
    "gross_wei", "builder_payment_wei", "gas_cost_wei", "net_wei", "profit_wei", "gas_used", "bundle_uuid",
    "simulated_profit_wei", "simulated_diff_wei", "expected_net_wei", "revert_reason",
)  # fmt: skip


def _s(v: int | None) -> str | None:
    return None if v is None else str(v)


def row_dict(r: Row, tokens: Mapping[str, TokenInfo] | None = None) -> dict[str, Any]:
    """One row as the exports write it: every amount in wei as a decimal string (None where unknown), the route's path
    by token symbol and its pools by address.
    """
    tokens = tokens or {}
    return {
        "tx_hash": r.tx_hash, "block_number": r.block_number,
        "recorded_at": r.recorded_at.isoformat() if r.recorded_at else None, "executor": r.executor,
        "status": r.status, "strategy": r.strategy or None, "route": r.route,
        "path": " > ".join(symbol(t, dict(tokens)) for t in r.path), "pools": " > ".join(h.pool for h in r.hops),
        "gross_wei": str(r.gross), "builder_payment_wei": str(r.builder_payment), "gas_cost_wei": str(r.gas_cost),
        "net_wei": str(r.net), "profit_wei": str(r.profit), "gas_used": r.gas_used, "bundle_uuid": r.bundle_uuid,
        "simulated_profit_wei": _s(r.simulated_profit), "simulated_diff_wei": _s(r.simulated_diff),
        "expected_net_wei": _s(r.expected_net), "revert_reason": r.revert_reason,
    }  # fmt: skip


def _hops(r: Row, tokens: Mapping[str, TokenInfo]) -> list[dict[str, Any]]:
    def token(address: str) -> dict[str, Any]:
        info = tokens.get(address.lower())
        if info is None:
            return {"address": address, "symbol": None, "decimals": None}
        return {"address": address, "symbol": info.symbol or None, "decimals": info.decimals}

    return [
        {"pool": h.pool, "venue": h.venue, "token_in": token(h.token_in), "token_out": token(h.token_out),
         "amount_in": str(h.amount_in), "amount_out": str(h.amount_out)}
        for h in r.hops
    ]  # fmt: skip


def to_csv(rows: Sequence[Row], tokens: Mapping[str, TokenInfo] | None = None) -> str:
    """The rows as CSV with the `COLUMNS` header, one line per trade; amounts are exact integers in wei, an unknown
    value an empty cell.
    """
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row_dict(r, tokens).items()})
    return buf.getvalue()


def builder_dict(b: BuilderStats) -> dict[str, Any]:
    """One builder's statistics as exported in JSON.

    `landing_rate` is rounded to six places; errors are listed most frequent first.
    """
    return {
        "sent": b.sent, "accepted": b.accepted, "landed": b.landed, "landed_unattributed": b.landed_unattributed,
        "landing_rate": round(b.rate, 6), "send_requests": b.requests, "median_latency_ms": b.median_latency_ms,
        "preflight_ok": b.preflight_ok, "preflight_failed": b.preflight_failed, "cancels": b.cancels,
        "errors": dict(sorted(b.errors.items(), key=lambda kv: -kv[1])),
    }  # fmt: skip


def bundle_dict(b: BundleRecord) -> dict[str, Any]:
    """One bundle as exported among those that did not land: its outcome, targets, builders and simulated figures in wei
    (decimal strings).
    """
    return {
        "uuid": b.uuid, "created_at": b.created_at.isoformat() if b.created_at else None,
        "strategy": b.strategy or None, "status": "landed" if b.landed else b.status, "miss_reason": b.miss_reason,
        "target_blocks": b.target_blocks, "builders": b.builders, "simulated_profit_wei": str(b.simulated_profit),
        "expected_net_wei": _s(b.expected_net), "bid_share_bps": bid_share(b), "lost_to": b.lost_to,
    }  # fmt: skip


def summary_dict(s: Summary) -> dict[str, Any]:
    """The summary as exported in JSON: counts, totals in wei as decimal strings, per route, per strategy and per
    builder, and the cumulative net over time.
    """
    return {
        "trades": s.trades, "succeeded": s.succeeded, "reverted": s.reverted, "gross_wei": str(s.gross),
        "builder_payment_wei": str(s.builder_payment), "gas_cost_wei": str(s.gas_cost), "net_wei": str(s.net),
        "profit_wei": str(s.profit), "bundles": s.bundles, "bundles_landed": s.bundles_landed,
        "bundles_by_status": dict(sorted(s.by_status.items())),
        "net_by_route_wei": {k: str(v) for k, v in sorted(s.by_route.items())},
        "by_strategy": {
            k or "unknown": {"trades": v.trades, "net_wei": str(v.net), "bundles": v.bundles, "landed": v.landed}
            for k, v in sorted(s.by_strategy.items())
        },
        "builders": {k: builder_dict(v) for k, v in sorted(s.by_builder.items())},
        "pnl_over_time": [{"at": at.isoformat(), "cumulative_net_wei": str(v)} for at, v in s.over_time],
    }  # fmt: skip


def to_json(
    window: Window, rows: Sequence[Row], summary: Summary, chain_id: int, tokens: Mapping[str, TokenInfo] | None = None
) -> str:
    """The whole report as an indented JSON document: the window, the summary, each trade with its hops (token symbols
    and decimals beside the raw amounts) and the bundles that did not land.
    """
    tokens = tokens or {}
    doc = {
        "chain_id": chain_id,
        "window": {
            "since": window.since.isoformat() if window.since else None,
            "until": window.until.isoformat() if window.until else None,
            "from_block": window.from_block,
            "to_block": window.to_block,
        },
        "summary": summary_dict(summary),
        "trades": [{**row_dict(r, tokens), "hops": _hops(r, tokens)} for r in rows],
        "bundles_not_landed": [bundle_dict(b) for b in summary.not_landed],
    }
    return json.dumps(doc, indent=2) + "\n"
