"""The /metrics endpoint is scraped over HTTP, and every metric the Grafana dashboard uses exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests

from arbbot.metrics import STAGES, Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "arbbot.json"
_SUFFIXES = {"counter": [""], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}


def exported_names(text: str) -> set[str]:
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M):
        if kind == "counter" and not name.endswith("_total"):
            name += "_total"
        names.update(name + suffix for suffix in _SUFFIXES.get(kind, [""]))
    return names


def test_scrape_and_dashboard_names_match() -> None:
    metrics = Metrics()
    metrics.blocks_processed.inc(3)
    metrics.opportunities.labels(outcome="found", strategy="cycle").inc()
    metrics.stage_latency.labels(stage="strategy").observe(0.004)
    server, port = metrics.serve()
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
        server.server_close()
    assert "arbbot_blocks_processed_total 3.0" in text
    assert 'arbbot_opportunities_total{outcome="found",strategy="cycle"} 1.0' in text
    for stage in STAGES:
        assert f'arbbot_stage_latency_seconds_count{{stage="{stage}"}}' in text
    exported = exported_names(text)
    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\barbbot_[a-z0-9_]+", target["expr"])
    }
    assert len(used) >= 12
    missing = used - exported
    assert not missing, f"dashboard uses metrics that are not exported: {sorted(missing)}"
