"""Report rows and the summary behind every report format. Pure: exact wei integers, no I/O.

Money is in wei of ETH (the audit values each trade in ETH): `gross = net + builder payment + gas`
for every trade and for the totals, exactly. Route amounts stay in each token's smallest unit.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from arbbot.db.schemas import BundleRecord, SubmissionRecord, TradeRecord
from arbbot.units import TokenInfo, amount, short_address

WEI = 10**18
SEND_METHODS = ("eth_sendBundle", "mev_sendBundle")
NOT_LANDED = ("missed", "cancelled", "replaced", "sent")  # "sent": no outcome recorded (yet)


def eth(wei: int, places: int | None = 6) -> str:
    """Wei as ETH for people: at least `places` decimals and more where a small amount needs them to
    show its first significant digits (never 0.000000 for a real cost); None: exact. Cut toward zero."""
    return amount(wei, 18, places=places, group=False)


def eth_float(wei: int) -> float:
    """Wei as a float number of ETH, for plotting only: it is inexact, never use it for sums or printed figures."""
    return float(Decimal(wei) / WEI)  # plotting only


def exact_places(values: Iterable[int], minimum: int = 6) -> int:
    """Decimals that show every one of `values` (wei) exactly, so printed figures add up to the digit."""
    need = minimum
    for v in values:
        frac = abs(v) % WEI
        if frac:
            need = max(need, 18 - (len(str(frac)) - len(str(frac).rstrip("0"))))
    return min(need, 18)


@dataclass(frozen=True)
class Hop:
    """One swap of a traded route as the audit recorded it: the pool, its venue and the amounts in and out, in each
    token's smallest unit.
    """

    pool: str
    venue: str
    token_in: str
    token_out: str
    amount_in: int  # into the pool, token_in's smallest unit
    amount_out: int  # out of the pool


@dataclass(frozen=True)
class Row:
    """One audited trade as the reports show it, all money in wei of ETH.

    `profit` is the executor's gain after the builder payment and before gas; `net` is `profit - gas_cost`;
    `simulated_profit` is what the bundle's simulation predicted (None when no bundle was recorded for the trade).
    """

    tx_hash: str
    block_number: int | None
    recorded_at: datetime | None  # when it happened (send time, else the block's time)
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
    strategy: str = ""  # 'cycle' | 'backrun' | '' (not sent by our searcher, or not recorded)
    hops: tuple[Hop, ...] = ()
    gas_used: int | None = None
    expected_net: int | None = None  # what the searcher judged the bundle would net

    @property
    def gross(self) -> int:
        """What the route made before the builder's share and gas: net + builder payment + gas."""
        return self.profit + self.builder_payment

    @property
    def simulated_diff(self) -> int | None:
        """Realised minus simulated profit in wei (negative: the trade made less than simulated); None without a
        simulation.
        """
        return None if self.simulated_profit is None else self.profit - self.simulated_profit

    @property
    def path(self) -> list[str]:
        """Tokens in the order the route visits them: [token_in of hop 1, token_out of each hop]."""
        return [self.hops[0].token_in, *(h.token_out for h in self.hops)] if self.hops else []


def route_label(trade: TradeRecord) -> str:
    """The venues a trade swapped through, such as "uniswap_v2 > sushiswap" (a pool's address prefix where the venue is
    unknown); "(reverted)" or "(no swaps)" for a trade without swaps.
    """
    if not trade.route:
        return "(reverted)" if trade.status == "reverted" else "(no swaps)"
    return " > ".join(h.venue or h.pool[:10] for h in trade.route)


def path_text(r: Row, tokens: Mapping[str, TokenInfo], *, amounts: bool = False) -> str:
    """WETH → USDC → WETH, or with amounts: 1.000000 WETH → 3,201.55 USDC → 1.012345 WETH (what went
    into the first pool, what each pool gave out)."""
    if not r.hops:
        return r.route
    if not amounts:
        return " → ".join(_symbol(t, tokens) for t in r.path)
    legs = [_amount(r.hops[0].amount_in, r.hops[0].token_in, tokens)]
    legs += [_amount(h.amount_out, h.token_out, tokens) for h in r.hops]
    return " → ".join(legs)


def pools_text(r: Row) -> str:
    """The pools of a row's route as "venue 0x1234…abcd", comma-separated, in route order."""
    return ", ".join(f"{h.venue or 'pool'} {short_address(h.pool)}" for h in r.hops)


def _symbol(token: str, tokens: Mapping[str, TokenInfo]) -> str:
    info = tokens.get(token.lower())
    return info.symbol if info is not None and info.symbol else short_address(token)


def _amount(raw: int, token: str, tokens: Mapping[str, TokenInfo]) -> str:
    info = tokens.get(token.lower())
    if info is None or info.decimals is None:
        return f"{raw:,} {_symbol(token, tokens)} (raw)"
    return f"{amount(raw, info.decimals)} {_symbol(token, tokens)}"


def rows(trades: Iterable[TradeRecord], bundles: Iterable[BundleRecord] = ()) -> list[Row]:
    """One row per trade, in block order (pending trades last)."""
    by_uuid = {b.uuid: b for b in bundles}
    out = []
    for t in trades:
        b = by_uuid.get(t.bundle_uuid) if t.bundle_uuid else None
        row = Row(
            tx_hash=t.tx_hash, block_number=t.block_number, recorded_at=t.created_at, executor=t.executor,
            status=t.status, route=route_label(t), profit=t.profit, gas_cost=t.gas_cost or 0,
            builder_payment=t.builder_payment, net=t.profit - (t.gas_cost or 0), bundle_uuid=t.bundle_uuid,
            simulated_profit=b.simulated_profit if b is not None else None, revert_reason=t.revert_reason,
            strategy=b.strategy if b is not None else "",
            hops=tuple(Hop(h.pool, h.venue, h.token_in, h.token_out, h.amount_in, h.amount_out) for h in t.route),
            gas_used=t.gas_used, expected_net=b.expected_net if b is not None else None,
        )  # fmt: skip
        out.append(row)
    return sorted(out, key=lambda r: (r.block_number is None, r.block_number or 0))


@dataclass
class BuilderStats:
    """One builder's share of our bundles. `sent`/`accepted` count bundles (not requests); `landed`
    counts bundles that landed in a block this builder built. A bundle that landed in a block whose
    builder is not recorded counts in `landed_unattributed` of every builder it was sent to (and in its
    landing rate: it may have been any of them)."""

    sent: int = 0
    accepted: int | None = 0  # None: no per-request record for this builder (older journals)
    landed: int = 0
    landed_unattributed: int = 0
    requests: int = 0  # send requests (a bundle may be sent once per target block)
    latencies_ms: list[float] = field(default_factory=list)  # of send requests
    preflight_ok: int = 0
    preflight_failed: int = 0
    cancels: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # error text -> count (sends and preflights)

    @property
    def landed_total(self) -> int:
        """Bundles sent to this builder that landed: through it, or through a builder not recorded."""
        return self.landed + self.landed_unattributed

    @property
    def rate(self) -> float:
        """Landed (through this builder, or through a builder not recorded) per bundle sent to it."""
        return self.landed_total / self.sent if self.sent else 0.0

    @property
    def median_latency_ms(self) -> float | None:
        """The median latency of send requests to this builder, in milliseconds; None without any."""
        return statistics.median(self.latencies_ms) if self.latencies_ms else None


@dataclass
class StrategyStats:
    """Totals for one strategy (`cycle`, `backrun`, or '' when unknown): trades and their net in wei, bundles and how
    many landed.
    """

    trades: int = 0
    net: int = 0
    bundles: int = 0
    landed: int = 0


@dataclass
class Summary:
    """The totals behind every report format, exact in wei: `gross = net + builder_payment + gas_cost` holds for the
    totals as it does for each row.

    `cumulative` and `over_time` are running net totals by block and by time, `by_route` the net per route,
    `by_status` the bundles per outcome (landed counted as "landed"), `gas_vs_profit` one (gas, gross, status) point
    per trade.
    """

    trades: int = 0
    succeeded: int = 0
    reverted: int = 0
    profit: int = 0
    gross: int = 0
    gas_cost: int = 0
    builder_payment: int = 0
    net: int = 0
    cumulative: list[tuple[int, int]] = field(default_factory=list)  # (block, cumulative net wei)
    over_time: list[tuple[datetime, int]] = field(default_factory=list)  # (time, cumulative net wei)
    by_route: dict[str, int] = field(default_factory=dict)  # net wei per route
    by_builder: dict[str, BuilderStats] = field(default_factory=dict)
    by_strategy: dict[str, StrategyStats] = field(default_factory=dict)  # '' = unknown
    by_status: dict[str, int] = field(default_factory=dict)  # bundles per status
    gas_vs_profit: list[tuple[int, int, str]] = field(default_factory=list)  # (gas wei, gross wei, status)
    bundles: int = 0
    bundles_landed: int = 0
    not_landed: list[BundleRecord] = field(default_factory=list)  # missed, cancelled, replaced, no outcome


def bid_share(b: BundleRecord) -> int | None:
    """The builder share (bps) the bundle was sent with, where its bid was journaled."""
    share = (b.bid or {}).get("share_bps")
    return share if isinstance(share, int) and not isinstance(share, bool) else None


def _strategy(s: Summary, name: str) -> StrategyStats:
    return s.by_strategy.setdefault(name, StrategyStats())


def summarize(
    report_rows: Sequence[Row], bundles: Iterable[BundleRecord] = (), submissions: Iterable[SubmissionRecord] = ()
) -> Summary:
    """Sum the rows (in the order given, normally `rows`' block order) and the bundles and send journal of the same
    window into a `Summary`.
    """
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
        st = _strategy(s, r.strategy)
        st.trades += 1
        st.net += r.net
    timed = sorted((r.recorded_at, r.net) for r in report_rows if r.recorded_at is not None)
    total = 0
    for at, net in timed:
        total += net
        s.over_time.append((at, total))
    bundle_list = list(bundles)
    for b in bundle_list:
        s.bundles += 1
        s.bundles_landed += b.landed
        status = "landed" if b.landed else b.status
        s.by_status[status] = s.by_status.get(status, 0) + 1
        st = _strategy(s, b.strategy)
        st.bundles += 1
        st.landed += b.landed
        if not b.landed and status in NOT_LANDED:
            s.not_landed.append(b)
    s.not_landed.sort(key=lambda b: (b.created_at is None, b.created_at or datetime.min))
    s.by_builder = builder_stats(bundle_list, submissions)
    return s


def builder_stats(bundles: Sequence[BundleRecord], submissions: Iterable[SubmissionRecord]) -> dict[str, BuilderStats]:
    """Per builder, from the per-request journal where it exists, else from each bundle's builder list."""
    known = {b.uuid: b for b in bundles}
    subs = [x for x in submissions if x.bundle_uuid in known]
    out: dict[str, BuilderStats] = {}
    sent: dict[str, set[str]] = {}
    accepted: dict[str, set[str]] = {}
    journaled = {x.bundle_uuid for x in subs}
    for x in subs:
        st = out.setdefault(x.builder, BuilderStats())
        if x.method in SEND_METHODS:
            st.requests += 1
            sent.setdefault(x.builder, set()).add(x.bundle_uuid)
            if x.accepted:
                accepted.setdefault(x.builder, set()).add(x.bundle_uuid)
            if x.latency_ms is not None:
                st.latencies_ms.append(x.latency_ms)
        elif x.method == "eth_callBundle":
            if x.accepted:
                st.preflight_ok += 1
            else:
                st.preflight_failed += 1
        elif x.method == "eth_cancelBundle":
            st.cancels += 1
        if x.error and x.method != "eth_cancelBundle":
            st.errors[x.error] = st.errors.get(x.error, 0) + 1
    for b in bundles:
        if b.uuid in journaled:
            continue
        for name in b.builders:  # older journals: the bundle's builder list, nothing per request
            st = out.setdefault(name, BuilderStats())
            sent.setdefault(name, set()).add(b.uuid)
            st.accepted = None
    for name, st in out.items():
        st.sent = len(sent.get(name, ()))
        if st.accepted is not None:
            st.accepted = len(accepted.get(name, ()))
    for b in bundles:
        if not b.landed:
            continue
        if b.landed_builder:
            out.setdefault(b.landed_builder, BuilderStats()).landed += 1
        else:
            for name, uuids in sent.items():
                if b.uuid in uuids:
                    out[name].landed_unattributed += 1
    return dict(sorted(out.items()))
