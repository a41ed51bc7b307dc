"""The searcher soaked on the replica behind the fault proxy (short form; `make soak` runs 200 blocks per rate
and records the figures in BENCHMARKS.md). Seeded user traffic at one block a second, every fault class at
random on HTTP and WebSocket. What must hold whatever the faults: the searcher keeps running and keeps up
(every block traded on or explicitly skipped, at most a block or two behind), its state equals a fresh sync
of every pool, nothing is sent that did not simulate profitably, and every fault is classified."""

from __future__ import annotations

import os

import pytest

from arbbot.chain.jsonrpc import CHAIN, KINDS
from arbbot.testing.soak import SoakConfig, SoakResult, run

pytestmark = [pytest.mark.soak, pytest.mark.replica]  # each run starts a replica

BLOCKS = int(os.environ.get("ARBBOT_SOAK_BLOCKS", "24"))
KNOWN_KINDS = {*KINDS, CHAIN}


def _check(r: SoakResult) -> None:
    assert r.still_running, "the searcher stopped"
    assert r.blocks_mined >= BLOCKS
    assert r.state_exact, r.mismatched  # every pool equals a fresh sync at the searcher's head
    assert r.sent_without_success == 0, r.unproven_sends  # nothing sent on a failed or unprofitable simulation
    assert set(r.errors_by_kind) <= KNOWN_KINDS, r.errors_by_kind  # every error classified
    assert set(r.node_faults) <= set(KINDS), r.node_faults
    assert r.lags[-1] == 0  # it reached the head at the end


@pytest.mark.parametrize(("rate", "use_ws"), [(0.3, True), (0.1, False)], ids=["30pct-websocket", "10pct-http"])
def test_soak_short(rate: float, use_ws: bool, tmp_path: object) -> None:
    r = run(SoakConfig(blocks=BLOCKS, fault_rate=rate, use_ws=use_ws, slow_range=(2.0, 10.0)))
    _check(r)
    assert sum(r.injected.values()) >= BLOCKS // 2, r.injected  # the faults were really there
    assert r.node_faults, "no fault reached the transport"
    assert r.simulations >= 1  # it still simulated under faults
