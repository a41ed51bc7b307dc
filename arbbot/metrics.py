"""Prometheus metrics, defined once. Every name here is what deploy/grafana/arbbot.json charts.

A private registry (not the process-global default) so tests and several engines in one process
never collide; `serve()` exposes it on /metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from arbbot.chain.jsonrpc import KINDS, TransportEvent

# Pipeline stages whose latency is measured (collector -> strategy -> simulation -> execution -> audit).
STAGES = ("collect", "state_update", "strategy", "simulation", "bundle_submit", "audit")
# Outcomes an opportunity is counted under, in pipeline order (label `outcome` of arbbot_opportunities).
OUTCOMES = ("found", "simulated", "dropped", "sent", "landed")
TRADE_STATUSES = ("success", "reverted")  # label `status` of arbbot_trades_audited
# Where node answers come from (label `source` of arbbot_node_faults / arbbot_node_failures).
NODE_SOURCES = ("node", "ws", "fork")
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Metrics:
    """Every Prometheus metric arbbot exports, on a private `registry` (so several engines or tests in one
    process do not collide). Metric names match what the Grafana dashboard in deploy/grafana charts.
    """

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.blocks_processed = Counter(
            "arbbot_blocks_processed", "Blocks whose state updates were applied", registry=r
        )
        self.reorgs = Counter("arbbot_reorgs", "Chain reorganisations rolled back", ["depth"], registry=r)
        self.state_lag_blocks = Gauge("arbbot_state_lag_blocks", "Chain head minus last applied block", registry=r)
        self.pools_tracked = Gauge("arbbot_pools_tracked", "Pools whose state is kept current", ["kind"], registry=r)
        self.opportunities = Counter(
            "arbbot_opportunities",
            "Opportunities by pipeline outcome (found, simulated, dropped, sent, landed)",
            ["outcome", "strategy"],
            registry=r,
        )
        self.bundles_sent = Counter("arbbot_bundles_sent", "Bundles sent, per builder", ["builder"], registry=r)
        self.bundles_landed = Counter(
            "arbbot_bundles_landed", "Bundles that landed, per builder", ["builder"], registry=r
        )
        self.multi_trade_bundles = Counter(
            "arbbot_multi_trade_bundles", "Bundles sent that carry several of our trades", registry=r
        )
        self.bundles_superseded = Counter(
            "arbbot_bundles_superseded", "Bundles replaced by a newer plan and withdrawn", registry=r
        )
        self.preflight_rejected = Counter(
            "arbbot_preflight_rejected",
            "Bundles a builder's eth_callBundle showed failing, per builder",
            ["builder"],
            registry=r,
        )
        self.builder_errors = Counter("arbbot_builder_errors", "Builder RPC errors", ["builder"], registry=r)
        self.pnl_wei = Gauge("arbbot_realized_pnl_wei", "Cumulative realized net PnL in wei of ETH", registry=r)
        self.gas_spent_wei = Counter("arbbot_gas_spent_wei", "Gas paid by landed trades, in wei", registry=r)
        self.builder_paid_wei = Counter("arbbot_builder_paid_wei", "Paid to builders (coinbase), in wei", registry=r)
        self.trades_audited = Counter(
            "arbbot_trades_audited", "Our trades audited from receipts, by status", ["status"], registry=r
        )
        self.audited_pnl_wei = Gauge(
            "arbbot_audited_pnl_wei", "Net PnL (after gas and builder payments) of audited trades, in wei", registry=r
        )
        self.stage_latency = Histogram(
            "arbbot_stage_latency_seconds",
            "Latency per pipeline stage",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.builder_latency = Histogram(
            "arbbot_builder_latency_seconds", "Bundle RPC round trip per builder", ["builder"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.node_faults = Counter(
            "arbbot_node_faults",
            "Faulty node answers (every failed attempt, retried or not), by source and failure class",
            ["source", "kind"], registry=r,
        )  # fmt: skip
        self.node_failures = Counter(
            "arbbot_node_failures", "Node calls given up after their retries, by source and failure class",
            ["source", "kind"], registry=r,
        )  # fmt: skip
        self.searcher_errors = Counter(
            "arbbot_searcher_errors", "Searcher errors (each logged once), by stage and failure class",
            ["where", "kind"], registry=r,
        )  # fmt: skip
        self.blocks_skipped = Counter(
            "arbbot_blocks_skipped", "Stale blocks passed over to trade on the newest head (state still applied)",
            registry=r,
        )  # fmt: skip
        self.builder_failures = Counter(
            "arbbot_builder_failures", "Failed bundle RPCs, by builder and failure class", ["builder", "kind"],
            registry=r,
        )  # fmt: skip
        self.bundles_not_sent = Counter(
            "arbbot_bundles_not_sent",
            "Sends not made: the builder's dialect cannot say the bundle (refused) or its rate limit was reached",
            ["builder", "kind"], registry=r,
        )  # fmt: skip
        self.builder_backoffs = Counter(
            "arbbot_builder_backoffs", "Times a builder that kept failing was paused", ["builder"], registry=r
        )
        self.builder_backed_off = Gauge(
            "arbbot_builder_backed_off", "1 while a builder that kept failing is paused", ["builder"], registry=r
        )
        self.control_paused = Gauge("arbbot_control_paused", "1 while the whole searcher is paused", registry=r)
        self.control_killed = Gauge("arbbot_control_killed", "1 while the kill switch is engaged", registry=r)
        self.bribe_share_bps = Gauge(
            "arbbot_bribe_share_bps",
            "The builder share of the last bid, by the policy that chose it",
            ["policy"],
            registry=r,
        )
        self.bribe_fallbacks = Counter(
            "arbbot_bribe_fallbacks",
            "Bids made with the static share because the policy could not bid",
            ["reason"],
            registry=r,
        )
        self.control_bribe_share_bps = Gauge(
            "arbbot_control_bribe_share_bps", "The builder's share of gross profit in force, in bps", registry=r
        )
        self.control_min_profit_wei = Gauge(
            "arbbot_control_min_profit_wei", "The minimum net profit in force, in wei", registry=r
        )
        self.control_builder_enabled = Gauge(
            "arbbot_control_builder_enabled", "1 while sending to the builder is enabled", ["builder"], registry=r
        )
        self.control_changes = Counter(
            "arbbot_control_changes", "Control changes made, by what changed", ["what"], registry=r
        )
        for source in NODE_SOURCES:
            for kind in KINDS:
                self.node_faults.labels(source=source, kind=kind)
                self.node_failures.labels(source=source, kind=kind)
        for stage in STAGES:  # export every stage from the start so dashboards show zeros, not gaps
            self.stage_latency.labels(stage=stage)
        for status in TRADE_STATUSES:
            self.trades_audited.labels(status=status)

    def observe_transport(self, event: TransportEvent) -> None:
        """An observer for the node transport: every failed attempt counted by source and class."""
        self.node_faults.labels(source=event.source, kind=event.kind).inc()
        if event.final:
            self.node_failures.labels(source=event.source, kind=event.kind).inc()

    def serve(self, port: int = 0, addr: str = "127.0.0.1") -> tuple[WSGIServer, int]:
        """Start /metrics on addr:port (0 = any free port); returns the server and its port."""
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        return server, server.server_port

    def names(self) -> set[str]:
        """Every sample name this registry exports (histograms expand to _bucket/_sum/_count)."""
        out: set[str] = set()
        for family in self.registry.collect():
            out.update(sample.name for sample in family.samples)
        return out
