"""A victim's pending UniversalRouter v2 transaction that crosses a V2, a V3 and a V4 pool in one `execute`
(ETH wrapped, swapped V2 → V3, unwrapped, swapped on V4, each step feeding the next through the router's
balance and the PoolManager's delta) is seen in the mempool, decoded, backrun and lands on the v4 replica:
the victim first, our backrun right after it in the same block, profit exactly what was simulated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.collectors.types import PendingTx
from arbbot.devnet import artifacts
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.execution.capital import CapitalSources
from arbbot.testing.local_builder import LocalBuilder
from tests.integration.amm.test_universal_router_decoding import mixed_v2_v3_v4
from tests.integration.searcher.harness import build_searcher, fifo_node, weth_balance

DEADLINE = 2**63


@pytest.fixture
def v4_node(tmp_path: Path) -> Iterator[tuple[str, Manifest]]:
    """A node of its own on the v4 replica, `--order fifo` (the local builder keeps bundles in order)."""
    with fifo_node("v4", tmp_path) as node:
        yield node


def _entry(m: Manifest, kind: str, **match: object):  # type: ignore[no-untyped-def]
    return next(p for p in m.pools if p.kind == kind and all(getattr(p, k) == v for k, v in match.items()))


def test_pending_universal_router_v2_swap_across_v2_v3_v4_is_backrun_and_lands(v4_node: tuple[str, Manifest]) -> None:
    url, m = v4_node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    crossed = {
        _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC").address.lower(),
        _entry(m, "uniswap_v3", token0="WETH", token1="USDC").address.lower(),
        _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none").address.lower(),
    }
    sushi = _entry(m, "uniswap_v2", venue="sushiswap", token0="WETH", token1="USDC").address.lower()
    traded = crossed | {sushi}
    sources = CapitalSources(pool_manager=m.contracts["PoolManager"], balancer_vault=m.contracts["BalancerVault"])
    victim = w3.eth.accounts[6]

    async def scenario() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract, capital_sources=sources,
                                 pool_filter=lambda p: p.address.lower() in traded)  # fmt: skip
            async with rig.fanout:
                await rig.searcher.process_block()  # in step with the head
                rig.searcher.counters.sent = 0
                router = w3.eth.contract(
                    address=m.contracts["UniversalRouter"], abi=artifacts.load("UniversalRouter").abi
                )
                call = mixed_v2_v3_v4(m, 120 * 10**18)
                data = router.encode_abi("execute", args=[call.commands, call.inputs, DEADLINE])
                raw_rpc(url, "evm_setAutomine", [False])
                try:
                    victim_hash = w3.eth.send_transaction(
                        {"from": victim, "to": router.address, "data": data, "value": call.value, "gas": 2_000_000}
                    )
                    head = w3.eth.block_number
                    tx = raw_rpc(url, "eth_getTransactionByHash", [victim_hash.to_0x_hex()])
                    assert isinstance(tx, dict) and tx.get("blockNumber") is None  # pending, in the mempool
                    swaps = rig.searcher.backrun.decode(tx)  # type: ignore[union-attr]
                    assert swaps is not None and len(swaps) == 1
                    assert [leg.venue for leg in swaps[0].legs] == ["v2", "v3", "v4"]
                    plans = await rig.searcher.process_pending(PendingTx(victim_hash.to_0x_hex(), tx))
                    c = rig.searcher.counters
                    assert c.swaps_decoded == 1 and plans and c.sent == 1, c
                    plan = plans[0]
                    assert plan.kind == "backrun" and plan.pre_hashes == (victim_hash.to_0x_hex(),)
                    touched = {h.pool.lower() for h in plan.candidate.hops}
                    assert touched <= traded and touched & crossed
                    raw_rpc(url, "anvil_dropTransaction", [victim_hash.to_0x_hex()])
                finally:
                    raw_rpc(url, "evm_setAutomine", [True])
                owner, executor = w3.eth.accounts[0], contract.address
                weth0, eth0 = weth_balance(w3, m, executor), w3.eth.get_balance(owner)
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                c = rig.searcher.counters
                assert c.landed == 1 and c.missed == 0, c
                weth1, eth1 = weth_balance(w3, m, executor), w3.eth.get_balance(owner)
                assert weth1 - weth0 == plan.sim.executed.profit > 0  # to the wei
                # Reconciled: the executor's WETH gain is the simulated profit to the wei, and the realized PnL the
                # searcher books is exactly the on-chain balance changes (gain, minus gas and builder payment).
                assert (weth1 - weth0) + (eth1 - eth0) == c.realized_pnl_wei > 0
                # Fail closed on gas: the judge charged at least what the chain took (the victim had warmed the
                # pools in the simulation), so the realized PnL is never below the expected net.
                assert plan.sim.gas_uncertainty > 0 and c.realized_pnl_wei >= plan.expected_net, (plan, c)
                ours = w3.eth.get_transaction_receipt(rig.searcher.results[rig.searcher.plans.index(plan)].tx_hash)
                theirs = w3.eth.get_transaction_receipt(victim_hash)
                assert theirs["status"] == 1 and ours["status"] == 1
                assert ours["blockNumber"] == theirs["blockNumber"] == head + 1
                assert ours["transactionIndex"] == theirs["transactionIndex"] + 1
            await rig.node.close()

    asyncio.run(scenario())
