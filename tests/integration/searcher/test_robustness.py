"""Bad input on the searcher's path: node down or answering garbage, builders down, slow, garbage or
rejecting, a nonce used elsewhere, a base-fee spike, a reverting simulation, stale state. Each time the
searcher logs, counts and keeps going, and sends nothing that did not simulate profitably."""

from __future__ import annotations

import asyncio
import socket

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.collectors.types import PendingTx
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.bundles.fanout import BuilderEndpoint
from arbbot.testing.fault_proxy import FaultProxy, Faults
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call, weth_balance


def _dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here any more
    return f"http://127.0.0.1:{port}"


def _dislocate(r: Replica, eth: int = 300) -> None:
    w3, m = r.w3, r.manifest
    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], eth * 10**18))
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def test_node_garbage_and_outage_are_survived(replica: Replica) -> None:
    contract = deploy_executor(replica.w3, replica.manifest)

    async def scenario() -> None:
        with FaultProxy(replica.url) as proxy:
            async with LocalBuilder(replica.url) as builder:
                rig = build_searcher(replica.url, replica.w3, replica.manifest, builder.url, contract,
                                     node_url=proxy.url, sim_url=replica.url)  # fmt: skip
                async with rig.fanout:
                    _dislocate(replica)
                    proxy.faults.garbage = 50  # more than the client's retries
                    assert await rig.searcher.process_block() == []
                    assert rig.searcher.counters.errors >= 1 and rig.searcher.counters.blocks_processed == 0
                    proxy.faults.garbage = 0
                    plans = await rig.searcher.process_block()  # the node is back: it catches up and trades
                    assert plans and rig.searcher.counters.sent == 1
                await rig.node.close()
            proxy.stop()  # the node disappears entirely
            errors = rig.searcher.counters.errors
            assert await rig.searcher.process_block() == []
            assert rig.searcher.counters.errors == errors + 1

    asyncio.run(scenario())


def test_a_simulation_that_hangs_on_its_node_is_abandoned(replica: Replica) -> None:
    """The in-process fork reads state lazily from the node; if the node stops answering usefully the fork
    may never return. The searcher gives up after its timeout, counts it, and handles the next update."""
    contract = deploy_executor(replica.w3, replica.manifest)

    async def scenario() -> None:
        with FaultProxy(replica.url, Faults(delay_s=30.0, delay_count=10**6)) as slow_node:
            async with LocalBuilder(replica.url) as builder:
                rig = build_searcher(replica.url, replica.w3, replica.manifest, builder.url, contract,
                                     node_url=replica.url, sim_url=slow_node.url, sim_timeout=1.0)  # fmt: skip
                async with rig.fanout:
                    _dislocate(replica)
                    assert await rig.searcher.process_block() == []
                    c = rig.searcher.counters
                    assert c.errors == 1 and c.opportunities_found >= 1 and c.sent == 0
                    assert c.blocks_processed == 1
                await rig.node.close()

    asyncio.run(scenario())


def test_bad_builders_do_not_stop_the_good_one(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            garbage = FaultProxy(builder.url, Faults(garbage=1_000)).start()
            slow = FaultProxy(builder.url, Faults(delay_s=3.0, delay_count=1_000)).start()
            unsigned = FaultProxy(builder.url).start()  # drops the signature header: the builder answers 403
            try:
                bad = [BuilderEndpoint("down", _dead_url()), BuilderEndpoint("garbage", garbage.url),
                       BuilderEndpoint("slow", slow.url), BuilderEndpoint("rejects", unsigned.url)]  # fmt: skip
                rig = build_searcher(replica.url, w3, m, builder.url, contract, extra_builders=bad)
                async with rig.fanout:
                    _dislocate(replica)
                    before = weth_balance(w3, m, contract.address)
                    plans = await rig.searcher.process_block()
                    assert plans, rig.searcher.counters
                    report = rig.executor.reports[-1]
                    # Handed over on the good builder's acceptance: the slow one (1 s timeout) is still out.
                    assert "slow" not in {o.builder for o in report.outcomes}
                    await rig.executor.settle()
                    errors = {o.builder: o.error_type for o in report.failed}
                    assert errors == {
                        "down": "EndpointUnreachable", "garbage": "EndpointBadResponse",
                        "slow": "EndpointTimeout", "rejects": "EndpointRpcError",
                    }  # fmt: skip
                    assert report.accepted_by(plans[0].target_block) == ["local"]
                    built = await builder.build_block()
                    assert len(built.included) == 1
                    await rig.searcher.process_block()
                    assert rig.searcher.counters.landed == 1
                    assert weth_balance(w3, m, contract.address) - before == plans[0].sim.executed.profit
                await rig.node.close()
            finally:
                for p in (garbage, slow, unsigned):
                    p.stop()

    asyncio.run(scenario())


def test_nonce_used_elsewhere_misses_then_the_next_bundle_lands(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    owner = w3.eth.accounts[0]

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract)
            async with rig.fanout:
                _dislocate(replica)
                first = await rig.searcher.process_block()
                assert first and rig.searcher.counters.sent == 1
                # The owner spends the nonce elsewhere (mined publicly): the bundle can no longer land.
                w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": owner, "to": owner}))
                again = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert c.missed == 1 and c.landed == 0
                assert again and c.sent == 2  # the opportunity is still there: sent with a fresh nonce
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                assert c.landed == 1
                # Re-simulated on a fork of the newer block, with the fresh nonce: exact to the wei.
                assert again[0].sim.gas_exact and c.realized_pnl_wei == again[0].expected_net
            await rig.node.close()

    asyncio.run(scenario())


def test_base_fee_spike_revert_and_stale_state_send_nothing(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            # 1. Base fee spike: the block after the dislocation would cost more per gas than the cap allows.
            rig = build_searcher(replica.url, w3, m, builder.url, contract, fee_cap=10**12)
            async with rig.fanout:
                raw_rpc(replica.url, "anvil_setNextBlockBaseFeePerGas", [hex(10**13)])
                _dislocate(replica)
                assert await rig.searcher.process_block() == []
                c = rig.searcher.counters
                assert c.simulated >= 1 and c.rejected >= 1 and c.sent == 0
            await rig.node.close()
            raw_rpc(replica.url, "anvil_setNextBlockBaseFeePerGas", [hex(1)])
            raw_rpc(replica.url, "evm_mine")

            # 2. The simulation reverts: this caller is not allowed to use the executor.
            stranger = w3.eth.accounts[3]
            rig = build_searcher(replica.url, w3, m, builder.url, contract, caller=stranger)
            async with rig.fanout:
                _dislocate(replica, 100)
                assert await rig.searcher.process_block() == []
                c = rig.searcher.counters
                assert c.sim_failed >= 1 and c.sent == 0
            await rig.node.close()

            # 3. Stale state: the model of the moved pool lags the chain, so simulation and model disagree.
            rig = build_searcher(replica.url, w3, m, builder.url, contract)
            async with rig.fanout:
                _dislocate(replica, 150)
                updater = rig.searcher.updater
                changed = updater.catch_up()
                for address in changed:
                    pool = rig.searcher.store.pools[address]
                    pool.reserve0, pool.reserve1 = pool.reserve0 * 101 // 100, pool.reserve1  # type: ignore[union-attr]
                candidates = rig.searcher.arbitrage.on_update(changed, rig.searcher.store.pools, 2)
                assert candidates
                assert await rig.searcher._trade("cycle", candidates, ()) == []
                c = rig.searcher.counters
                assert c.sim_disagreed >= 1 and c.sent == 0
            await rig.node.close()
            assert builder.pending_bundles() == []

    asyncio.run(scenario())


def test_garbage_pending_messages_are_counted_not_fatal(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        rig = build_searcher(replica.url, w3, m, _dead_url(), contract)
        router = m.venues["sushiswap"].router
        swap = router_call(w3, m, "sushiswap", w3.eth.accounts[6], 200 * 10**18)
        messages = [
            {},
            {"to": router, "input": "0xzz"},
            {"to": router, "input": swap["data"][:50]},  # truncated calldata
            {"to": router, "input": swap["data"], "value": "banana"},
            {"to": router, "input": swap["data"], "value": hex(swap["value"])},  # no sender, unknown hash
        ]
        for i, tx in enumerate(messages):
            assert await rig.searcher.process_pending(PendingTx("0x" + f"{i:064x}", tx)) == []
        c = rig.searcher.counters
        assert c.pending_seen == len(messages) and c.sent == 0
        # The last one decodes, then the node has no raw tx for it: gone from the mempool, counted, no error.
        assert c.swaps_decoded == 1 and c.pending_gone == 1 and c.errors == 0, c
        await rig.node.close()

    asyncio.run(scenario())
