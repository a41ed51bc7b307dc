"""The simulation fork behind a faulty node (the fault proxy in its own process, every class at random): each
simulation still reads its state and gives the same result, to the wei and the gas unit, as on a clean node;
when the state cannot be read, the simulation is an error naming the node method and the cause, never a
revert or a "dropped" opportunity. The searcher counts and logs such an error once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from eth_utils import to_checksum_address

from arbbot.chain.rpc import RpcClient
from arbbot.devnet.context import known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.engine.bootstrap import load_store
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.metrics import Metrics
from arbbot.sim.candidate import PreTx, PyrevmCandidateSimulator
from arbbot.sim.fork import BlockGone
from arbbot.sim.fork_reads import ForkReadError, ForkReads
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.testing.fault_proxy import HTTP_CLASSES, FaultProxyProcess
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call

SLOW = (0.3, 0.6)  # the proxy's slow answers; the reads' attempt timeout is shorter than this


@pytest.fixture
def dislocated(replica: Replica) -> Iterator[tuple[Replica, str, bytes, str, int]]:
    """The replica after a big swap, the executor, the best cycle's route, the owner, the head."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    store = load_store(RpcClient(replica.url), known_pools(m))
    best = CycleArbitrage(store.pools, [m.token("WETH").address], max_hops=3).on_update(
        store.pools.keys(), store.pools, limit=1
    )[0]
    hops = tuple(Hop(h.pool, h.token_out, h.v3, h.zero_for_one, h.fee_bps) for h in best.hops)
    route = encode(Route(Capital.BALANCER, m.contracts["BalancerVault"], best.token, best.amount_in, 0, 0, hops))
    yield replica, contract.address, route, w3.eth.accounts[0], store.head.number


def test_simulations_behind_a_faulty_node_equal_the_clean_ones(dislocated: tuple) -> None:
    replica, executor, route, owner, head = dislocated
    clean = PyrevmCandidateSimulator(replica.url, head).run(executor, owner, route)
    assert clean.success and clean.gross_profit and clean.gross_profit > 0
    with FaultProxyProcess(replica.url, rate=0.3, seed=5, classes=list(HTTP_CLASSES), slow_range=list(SLOW),
                           huge_bytes=40 * 2**20, nest_depth=50_000) as proxy:  # fmt: skip
        metrics = Metrics()
        reads = ForkReads(proxy.url, observer=metrics.observe_transport)
        try:
            for _ in range(6):  # a fresh fork each time, as each new block gets
                sim = PyrevmCandidateSimulator(proxy.url, head, reads=reads)
                got = sim.run(executor, owner, route)
                assert (got.success, got.gross_profit, got.gas_used, got.executed) == (
                    True, clean.gross_profit, clean.gas_used, clean.executed,
                )  # fmt: skip
        finally:
            reads.close()
        injected = proxy.faults()["injected"]
    assert sum(injected.values()) >= 5, injected
    faults = {s.labels["kind"]: s.value for s in metrics.registry.collect() for s in s.samples
              if s.name == "arbbot_node_faults_total" and s.labels["source"] == "fork" and s.value}  # fmt: skip
    assert faults and set(faults) <= {"timeout", "http_status", "malformed", "truncated", "connection", "too_large"}


def test_a_fork_that_cannot_read_is_an_error_naming_method_and_cause(dislocated: tuple) -> None:
    replica, executor, route, owner, head = dislocated
    victim = router_call(replica.w3, replica.manifest, "sushiswap", replica.w3.eth.accounts[6], 10**18)
    pre = PreTx(to_checksum_address(victim["from"]), to_checksum_address(victim["to"]),
                bytes.fromhex(victim["data"][2:]), victim["value"], victim["gas"])  # fmt: skip
    with FaultProxyProcess(replica.url) as proxy:
        reads = ForkReads(proxy.url)
        try:
            sim = PyrevmCandidateSimulator(proxy.url, head, reads=reads)
            proxy.set(rate=1.0, classes=["http_503"])  # from now on the node only answers 503
            for txs in ((), (pre,)):  # a cycle, and a backrun behind a victim's swap
                with pytest.raises(ForkReadError) as info:
                    sim.run(executor, owner, route, txs)
                err = info.value
                assert err.kind == "http_status" and err.method.startswith(("eth_", "batch"))
                assert "HTTP 503" in str(err) and "reverts" not in str(err)
        finally:
            reads.close()


def test_the_searcher_counts_a_failed_read_as_one_error_not_a_dropped_opportunity(
    replica: Replica, caplog: pytest.LogCaptureFixture
) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        with FaultProxyProcess(replica.url, rate=1.0, classes=["http_429"]) as broken:
            async with LocalBuilder(replica.url) as builder:
                rig = build_searcher(replica.url, w3, m, builder.url, contract, sim_url=broken.url)
                rig.searcher.metrics = metrics = Metrics()
                async with rig.fanout:
                    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
                    w3.eth.wait_for_transaction_receipt(tx)
                    with caplog.at_level(logging.INFO):
                        assert await rig.searcher.process_block() == []
                await rig.node.close()
        c = rig.searcher.counters
        assert c.opportunities_found >= 1 and c.errors >= 1 and c.sim_failed == 0 and c.sent == 0
        lines = [r.getMessage() for r in caplog.records if "simulation failed" in r.getMessage()]
        assert len(lines) == c.errors  # one line per error, not two
        assert all("[http_status]" in line and "HTTP 429" in line and "eth_" in line for line in lines), lines
        errors = {s.labels["kind"]: s.value for s in metrics.registry.collect() for s in s.samples
                  if s.name == "arbbot_searcher_errors_total"}  # fmt: skip
        assert errors == {"http_status": c.errors}
        assert not [r for r in caplog.records if "dropped" in r.getMessage()]

    asyncio.run(scenario())


def test_a_null_header_is_asked_again_and_only_a_lasting_one_is_a_gone_block(dislocated: tuple) -> None:
    """A node behind a load balancer may answer null for a block its peers have: one null is not a reorg."""
    replica, executor, route, owner, head = dislocated
    clean = PyrevmCandidateSimulator(replica.url, head).run(executor, owner, route)
    with FaultProxyProcess(replica.url, null_result=2) as proxy:
        reads = ForkReads(proxy.url, miss_proxy=False)
        try:
            got = PyrevmCandidateSimulator(proxy.url, head, reads=reads).run(executor, owner, route)
        finally:
            reads.close()
        assert proxy.faults()["injected"].get("null_result") == 2
    assert (got.gross_profit, got.gas_used) == (clean.gross_profit, clean.gas_used)
    with FaultProxyProcess(replica.url, null_result=100) as proxy:
        reads = ForkReads(proxy.url, miss_proxy=False)
        try:
            with pytest.raises(BlockGone, match=rf"block {head} not found at .* \(4 asks\)"):
                PyrevmCandidateSimulator(proxy.url, head, reads=reads)
        finally:
            reads.close()
        assert proxy.faults()["injected"].get("null_result") == 4
