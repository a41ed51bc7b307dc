"""The searcher end to end on the replica: find, simulate through the deployed executor, bundle to the
local builder (a test double of a real builder), land, and grow the owner's balance by exactly the
simulated profit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.collectors.types import PendingTx
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.strategy.costs import cold_access_bound
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, fifo_node, router_call, weth_balance


def _owner_wealth(w3: Web3, manifest: Manifest, owner: str, executor: str) -> tuple[int, int]:
    return weth_balance(w3, manifest, executor), w3.eth.get_balance(owner)


def test_dislocation_is_found_simulated_bundled_and_lands_with_the_simulated_profit(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    owner = w3.eth.accounts[0]

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract)
            async with rig.fanout:
                # The dislocation: a big buy of USDC on one venue, mined in its own block.
                tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
                assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert plans and c.sent == 1, (c, rig.executor.reports)
                plan = plans[0]
                assert plan.candidate.pools and m.pools_for("WETH", "USDC")
                assert plan.sim.gas_exact and plan.expected_net > 0
                weth0, eth0 = _owner_wealth(w3, m, owner, contract.address)
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                weth1, eth1 = _owner_wealth(w3, m, owner, contract.address)
                assert c.landed == 1 and c.missed == 0
                assert weth1 - weth0 == plan.sim.executed.profit  # to the wei
                receipt = w3.eth.get_transaction_receipt(rig.searcher.results[0].tx_hash)
                assert receipt["gasUsed"] == plan.sim.gas_used
                assert (weth1 - weth0) + (eth1 - eth0) == plan.expected_net == c.realized_pnl_wei
            await rig.node.close()

    asyncio.run(scenario())


@pytest.fixture
def fifo_replica(tmp_path: Path) -> Iterator[tuple[str, Manifest]]:
    """Its own replica node with `--order fifo` (the local builder keeps multi-sender bundles in order)."""
    with fifo_node("default", tmp_path) as node:
        yield node


def test_pending_victim_swap_is_backrun_in_one_bundle_that_lands_with_the_simulated_profit(
    fifo_replica: tuple[str, Manifest],
) -> None:
    url, m = fifo_replica
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    owner, victim = w3.eth.accounts[0], w3.eth.accounts[6]

    async def scenario() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract)
            async with rig.fanout:
                await rig.searcher.process_block()  # in step with the head; nothing else changed
                rig.searcher.counters.sent = 0
                raw_rpc(url, "evm_setAutomine", [False])
                try:
                    victim_hash = w3.eth.send_transaction(router_call(w3, m, "sushiswap", victim, 200 * 10**18))
                    head = w3.eth.block_number
                    tx = raw_rpc(url, "eth_getTransactionByHash", [victim_hash.to_0x_hex()])
                    assert isinstance(tx, dict) and tx.get("blockNumber") is None  # pending, not mined
                    plans = await rig.searcher.process_pending(PendingTx(victim_hash.to_0x_hex(), tx))
                    c = rig.searcher.counters
                    assert c.swaps_decoded == 1 and plans and c.sent == 1, c
                    plan, ours_hash = plans[0], rig.searcher.results[-1].tx_hash
                    assert plan.kind == "backrun" and plan.pre_hashes == (victim_hash.to_0x_hex(),)
                    assert not plan.sim.gas_exact and plan.expected_net > 0  # charged with the cold-access bound
                    assert w3.eth.block_number == head
                    # The local builder serves bundles only (a test double): the public copy leaves the pool,
                    # the victim then reaches the block only inside our bundle.
                    raw_rpc(url, "anvil_dropTransaction", [victim_hash.to_0x_hex()])
                finally:
                    raw_rpc(url, "evm_setAutomine", [True])
                weth0, eth0 = _owner_wealth(w3, m, owner, contract.address)
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                weth1, eth1 = _owner_wealth(w3, m, owner, contract.address)
                assert c.landed == 1
                ours = w3.eth.get_transaction_receipt(ours_hash)
                theirs = w3.eth.get_transaction_receipt(victim_hash)
                assert theirs["status"] == 1 and ours["status"] == 1
                assert ours["blockNumber"] == theirs["blockNumber"] == head + 1
                assert ours["transactionIndex"] == theirs["transactionIndex"] + 1
                assert weth1 - weth0 == plan.sim.executed.profit  # to the wei
                # Gas after a victim is charged with a bound: what was paid never exceeds what was charged.
                # The victim warmed the pools in the fork: charged with the larger of the per-hop allowance and
                # what the victim spent beyond the intrinsic gas.
                charged = plan.sim.gas_used + max(cold_access_bound(len(plan.candidate.hops)), plan.sim.gas_uncertainty)
                assert plan.sim.gas_used <= ours["gasUsed"] <= charged
                net = (weth1 - weth0) + (eth1 - eth0)
                assert net == c.realized_pnl_wei >= plan.expected_net > 0
                assert net - plan.expected_net == (charged - ours["gasUsed"]) * ours["effectiveGasPrice"]
            await rig.node.close()

    asyncio.run(scenario())
