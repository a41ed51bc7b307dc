"""CSV and JSON exports. Every amount is an exact integer in wei (JSON: decimal strings)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from arbbot.reports.model import Row, Summary
from arbbot.reports.window import Window

COLUMNS = (
    "tx_hash", "block_number", "recorded_at", "executor", "status", "route", "profit_wei", "builder_payment_wei",
    "gross_wei", "gas_cost_wei", "net_wei", "bundle_uuid", "simulated_profit_wei", "simulated_diff_wei",
    "revert_reason",
)  # fmt: skip


def _opt(v: int | None) -> str:
    return "" if v is None else str(v)


def row_dict(r: Row) -> dict[str, Any]:
    return {
        "tx_hash": r.tx_hash, "block_number": r.block_number,
        "recorded_at": r.recorded_at.isoformat() if r.recorded_at else None, "executor": r.executor,
        "status": r.status, "route": r.route, "profit_wei": str(r.profit),
        "builder_payment_wei": str(r.builder_payment), "gross_wei": str(r.gross), "gas_cost_wei": str(r.gas_cost),
        "net_wei": str(r.net), "bundle_uuid": r.bundle_uuid,
        "simulated_profit_wei": None if r.simulated_profit is None else str(r.simulated_profit),
        "simulated_diff_wei": None if r.simulated_diff is None else str(r.simulated_diff),
        "revert_reason": r.revert_reason,
    }  # fmt: skip


def to_csv(rows: Sequence[Row]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row_dict(r).items()})
    return buf.getvalue()


def summary_dict(s: Summary) -> dict[str, Any]:
    return {
        "trades": s.trades, "succeeded": s.succeeded, "reverted": s.reverted, "profit_wei": str(s.profit),
        "gross_wei": str(s.gross), "gas_cost_wei": str(s.gas_cost), "builder_payment_wei": str(s.builder_payment),
        "net_wei": str(s.net), "bundles": s.bundles, "bundles_landed": s.bundles_landed,
        "net_by_route_wei": {k: str(v) for k, v in sorted(s.by_route.items())},
        "builders": {k: {"sent": v.sent, "landed": v.landed} for k, v in sorted(s.by_builder.items())},
    }  # fmt: skip


def to_json(window: Window, rows: Sequence[Row], summary: Summary, chain_id: int) -> str:
    doc = {
        "chain_id": chain_id,
        "window": {
            "since": window.since.isoformat() if window.since else None,
            "until": window.until.isoformat() if window.until else None,
            "from_block": window.from_block,
            "to_block": window.to_block,
        },
        "summary": summary_dict(summary),
        "trades": [row_dict(r) for r in rows],
    }
    return json.dumps(doc, indent=2) + "\n"
