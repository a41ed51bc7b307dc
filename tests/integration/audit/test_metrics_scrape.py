"""/metrics scraped over HTTP while trades are audited: the audit's figures are exported, and the
Grafana dashboard and the registry name exactly the same metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from arbbot.audit.auditor import Auditor
from arbbot.chain.rpc import RpcClient
from arbbot.metrics import OUTCOMES, STAGES, Metrics
from tests.conftest import Replica
from tests.integration.audit import trades

DASHBOARD = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "arbbot.json"
_SUFFIX = re.compile(r"(_total|_bucket|_sum|_count|_created)$")


def dashboard_metrics() -> set[str]:
    doc = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in doc["panels"] for t in p["targets"]]
    return {name for e in exprs for name in re.findall(r"\barbbot_[a-z0-9_]+", e)}


_SERIES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


def scrape(port: int) -> tuple[dict[str, dict[tuple, float]], set[str]]:
    """(samples by name and labels, every series name a query can use, labelled or not yet observed)."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples: dict[str, dict[tuple, float]] = {}
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in _SERIES.get(family.type, ("",)))
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return samples, names


def test_audit_figures_are_scraped_and_the_dashboard_names_exist(replica: Replica) -> None:
    executor = trades.deploy(replica)
    route, profit = trades.profitable_route(replica)
    win = trades.send(replica, executor, route, profit)
    loss = trades.send(replica, executor, trades.losing_route(replica), 0)
    metrics = Metrics()
    metrics.blocks_processed.inc(2)
    for outcome in OUTCOMES:
        metrics.opportunities.labels(outcome=outcome, strategy="cycle").inc()
    server, port = metrics.serve()
    try:
        result = Auditor(RpcClient(replica.url), metrics=metrics).audit_hashes([win.tx_hash, loss.tx_hash])
        got, names = scrape(port)
    finally:
        server.shutdown()
        server.server_close()
    assert result.problems == []
    a, b = result.trades
    assert got["arbbot_trades_audited_total"] == {(("status", "success"),): 1.0, (("status", "reverted"),): 1.0}
    assert got["arbbot_gas_spent_wei_total"][()] == pytest.approx(a.gas_cost + b.gas_cost, rel=1e-12)
    assert a.net_pnl is not None and b.net_pnl is not None
    assert got["arbbot_audited_pnl_wei"][()] == pytest.approx(a.net_pnl + b.net_pnl, rel=1e-12)
    assert got["arbbot_blocks_processed_total"][()] == 2.0
    assert {dict(k)["outcome"] for k in got["arbbot_opportunities_total"]} == set(OUTCOMES)
    assert got["arbbot_stage_latency_seconds_count"][(("stage", "audit"),)] == 2.0
    for stage in STAGES:
        assert (("stage", stage),) in got["arbbot_stage_latency_seconds_count"]
    # Every name the dashboard charts is scraped, and every metric we define is charted.
    used = dashboard_metrics()
    missing = used - names
    assert not missing, f"dashboard uses metrics that are not exported: {sorted(missing)}"
    defined = {_SUFFIX.sub("", name) for name in names if name.startswith("arbbot_")}
    charted = {_SUFFIX.sub("", name) for name in used}
    assert defined == charted, f"defined but not charted: {sorted(defined - charted)}"
