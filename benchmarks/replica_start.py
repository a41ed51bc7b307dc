"""How long the mainnet replica takes to come up: build from scratch vs load from its snapshot."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.devnet import snapshot

RUNS = 5


def run() -> list[dict[str, str]]:
    snap = snapshot.ensure("default")
    builds, loads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            t0 = time.perf_counter()
            snapshot.build_state("default", log_path=Path(tmp) / f"build{i}.log")
            builds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with AnvilNode(load_state=snap.state_path, log_path=Path(tmp) / f"load{i}.log") as node:
                rpc(node.url, "eth_blockNumber")
                loads.append(time.perf_counter() - t0)
    build, load = statistics.median(builds), statistics.median(loads)
    return [
        {
            "benchmark": "replica start (default scenario)",
            "figure": f"{load * 1000:.0f} ms from snapshot (median of {RUNS})",
            "baseline": f"{build:.2f} s full build from npm artifacts",
            "ratio": f"{build / load:.0f}x faster",
        }
    ]
