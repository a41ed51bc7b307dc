"""Report rows and the summary behind every report format. Pure: exact wei integers, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from arbbot.db.schemas import BundleRecord, TradeRecord

WEI = 10**18


def eth(wei: int, places: int = 6) -> str:
    """Wei as ETH with `places` decimals, cut toward zero (display only; exports carry wei)."""
    sign = "-" if wei < 0 else ""
    q = abs(wei) * 10**places // WEI
    whole, frac = divmod(q, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def eth_float(wei: int) -> float:
    return float(Decimal(wei) / WEI)  # plotting only


@dataclass(frozen=True)
class Row:
    tx_hash: str
    block_number: int | None
    recorded_at: datetime | None
    executor: str
    status: str
    route: str  # venue path, e.g. "uniswap_v2 > sushiswap"
    profit: int  # executor's gain in wei after the builder payment, before gas
    gas_cost: int
    builder_payment: int
    net: int  # profit - gas_cost
    bundle_uuid: str | None
    simulated_profit: int | None
    revert_reason: str | None

    @property
    def gross(self) -> int:
        return self.profit + self.builder_payment

    @property
    def simulated_diff(self) -> int | None:
        return None if self.simulated_profit is None else self.profit - self.simulated_profit


def route_label(trade: TradeRecord) -> str:
    if not trade.route:
        return "(reverted)" if trade.status == "reverted" else "(no swaps)"
    return " > ".join(h.venue or h.pool[:10] for h in trade.route)


def rows(trades: Iterable[TradeRecord], bundles: Iterable[BundleRecord] = ()) -> list[Row]:
    """One row per trade, in block order (pending trades last)."""
    simulated = {b.uuid: b.simulated_profit for b in bundles}
    out = [
        Row(
            tx_hash=t.tx_hash,
            block_number=t.block_number,
            recorded_at=t.created_at,
            executor=t.executor,
            status=t.status,
            route=route_label(t),
            profit=t.profit,
            gas_cost=t.gas_cost or 0,
            builder_payment=t.builder_payment,
            net=t.profit - (t.gas_cost or 0),
            bundle_uuid=t.bundle_uuid,
            simulated_profit=simulated.get(t.bundle_uuid) if t.bundle_uuid else None,
            revert_reason=t.revert_reason,
        )
        for t in trades
    ]
    return sorted(out, key=lambda r: (r.block_number is None, r.block_number or 0))


@dataclass
class BuilderStats:
    sent: int = 0
    landed: int = 0

    @property
    def rate(self) -> float:
        return self.landed / self.sent if self.sent else 0.0


@dataclass
class Summary:
    trades: int = 0
    succeeded: int = 0
    reverted: int = 0
    profit: int = 0
    gross: int = 0
    gas_cost: int = 0
    builder_payment: int = 0
    net: int = 0
    cumulative: list[tuple[int, int]] = field(default_factory=list)  # (block, cumulative net wei)
    by_route: dict[str, int] = field(default_factory=dict)  # net wei per route
    by_builder: dict[str, BuilderStats] = field(default_factory=dict)
    gas_vs_profit: list[tuple[int, int, str]] = field(default_factory=list)  # (gas wei, gross wei, status)
    bundles: int = 0
    bundles_landed: int = 0


def summarize(report_rows: Sequence[Row], bundles: Iterable[BundleRecord] = ()) -> Summary:
    s = Summary()
    running = 0
    for r in report_rows:
        s.trades += 1
        s.succeeded += r.status == "success"
        s.reverted += r.status == "reverted"
        s.profit += r.profit
        s.gross += r.gross
        s.gas_cost += r.gas_cost
        s.builder_payment += r.builder_payment
        s.net += r.net
        running += r.net
        s.cumulative.append((r.block_number or 0, running))
        s.by_route[r.route] = s.by_route.get(r.route, 0) + r.net
        s.gas_vs_profit.append((r.gas_cost, r.gross, r.status))
    for b in bundles:
        s.bundles += 1
        s.bundles_landed += b.landed
        # A bundle goes to several builders; each counts it as sent, and as landed if it landed.
        for builder in b.builders:
            stats = s.by_builder.setdefault(builder, BuilderStats())
            stats.sent += 1
            stats.landed += b.landed
    return s
