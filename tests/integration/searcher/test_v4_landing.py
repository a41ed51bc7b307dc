"""Cycles across V2, V3, PancakeSwap V3 and Uniswap V4 found by the searcher, simulated through the deployed
executor on the cheapest capital, bundled to the local builder (a test double of a real builder) and landed
on the v4 replica with exactly the simulated profit: a V4 <-> V2 cycle on the PoolManager's own capital, a
PancakeSwap V3 <-> Uniswap V3 cycle, a backrun of a pending V4 swap sent through UniversalRouter, and a
cycle through the pool whose hook returns deltas, which is priced only by simulating it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.amm.base import Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.audit.types import TradeAudit
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.collectors.types import PendingTx
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.context import context_from_manifest, known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.devnet.universal_router import v4_exact_in_single
from arbbot.devnet.v4 import pool_key_of
from arbbot.engine.bootstrap import load_store
from arbbot.execution.capital import CapitalSources, options
from arbbot.execution.route import Capital, Route, decode, encode, hop_for
from arbbot.sim.candidate import PyrevmCandidateSimulator
from arbbot.sim.v4_quotes import SimulatedV4Pool, simulated_view
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from tests.integration.searcher.harness import build_searcher, fifo_node, weth_balance

DEADLINE = 2**63
SKIM_ABI = [{"type": "function", "name": "skimPips", "stateMutability": "view", "inputs": [],
             "outputs": [{"type": "uint256", "name": ""}]}]  # fmt: skip


@pytest.fixture
def v4_node(tmp_path: Path) -> Iterator[tuple[str, Manifest]]:
    """A node of its own on the v4 replica, `--order fifo` (the local builder keeps bundles in order)."""
    with fifo_node("v4", tmp_path) as node:
        yield node


def _entry(m: Manifest, kind: str, **match: object):  # type: ignore[no-untyped-def]
    return next(p for p in m.pools if p.kind == kind and all(getattr(p, k) == v for k, v in match.items()))


def _route_of(calldata: bytes) -> Route:
    length = int.from_bytes(calldata[36:68], "big")
    return decode(calldata[68 : 68 + length])


def _nudge_v2(w3: Web3, m: Manifest, venue: str = "uniswap_v2") -> None:
    """A small trade that makes the searcher look at the pair (and the cycles through it) this block."""
    router = w3.eth.contract(address=m.venues[venue].router, abi=artifacts.load("UniswapV2Router02").abi)
    path = [m.token("WETH").address, m.token("USDC").address]
    tx = router.functions.swapExactETHForTokens(0, path, w3.eth.accounts[9], DEADLINE).transact(
        {"from": w3.eth.accounts[9], "value": 10**16}
    )
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _audited(url: str, m: Manifest, executor: str, tx_hash: str) -> TradeAudit:
    venues = {p.address: p.venue for p in m.pools}
    return Auditor(RpcClient(url), AuditOptions(executors=(executor,), venues=venues)).audit_tx(tx_hash)


def _check_audit(url: str, m: Manifest, rig, plan) -> None:  # type: ignore[no-untyped-def]
    """The audit names every hop of the landed trade, V4 pools by id and PancakeSwap pools by address, in
    route order, and finds nothing that differs from the route; its profit is the executor's."""
    landed = rig.searcher.results[rig.searcher.plans.index(plan)].tx_hash
    trade = _audited(url, m, rig.contract.address, landed)
    assert trade.status == "success" and trade.notes == [], trade.notes
    kinds = {p.address.lower(): p.kind for p in m.pools}
    hops = plan.candidate.hops
    assert [(s.pool.lower(), s.kind) for s in trade.route] == [(h.pool.lower(), kinds[h.pool.lower()]) for h in hops]
    assert trade.executed is not None and trade.executed.profit == plan.sim.executed.profit


async def _land(w3: Web3, m: Manifest, builder: LocalBuilder, rig, plans) -> None:  # type: ignore[no-untyped-def]
    owner, executor = w3.eth.accounts[0], rig.contract.address
    weth0, eth0 = weth_balance(w3, m, executor), w3.eth.get_balance(owner)
    built = await builder.build_block()
    assert len(built.included) == 1, built.dropped
    await rig.searcher.process_block()
    weth1, eth1 = weth_balance(w3, m, executor), w3.eth.get_balance(owner)
    c = rig.searcher.counters
    assert c.landed == 1 and c.missed == 0
    assert weth1 - weth0 == plans[0].sim.executed.profit  # to the wei
    assert (weth1 - weth0) + (eth1 - eth0) == c.realized_pnl_wei >= plans[0].expected_net > 0


def test_v4_v2_cycle_lands_on_the_pool_managers_capital(v4_node: tuple[str, Manifest]) -> None:
    url, m = v4_node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
    v2 = _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC")
    traded = {v4.address.lower(), v2.address.lower()}
    sources = CapitalSources(pool_manager=m.contracts["PoolManager"], balancer_vault=m.contracts["BalancerVault"])

    async def scenario() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract, capital_sources=sources,
                                 pool_filter=lambda p: p.address.lower() in traded)  # fmt: skip
            async with rig.fanout:
                _nudge_v2(w3, m)
                plans = await rig.searcher.process_block()
                assert plans and rig.searcher.counters.sent == 1, rig.searcher.counters
                route = _route_of(plans[0].calldata)
                assert route.capital == Capital.POOL_MANAGER and route.lender == m.contracts["PoolManager"]
                v4_hops = [h for h in route.hops if h.v4]
                assert len(v4_hops) == 1 and v4_hops[0].native and v4_hops[0].v4_fee == 500
                assert {h.pool.lower() for h in plans[0].candidate.hops} == traded
                assert plans[0].sim.gas_exact
                await _land(w3, m, builder, rig, plans)
                _check_audit(url, m, rig, plans[0])
            await rig.node.close()

    asyncio.run(scenario())


def test_pancake_and_uniswap_v3_cycle_lands_on_the_cheapest_capital(v4_node: tuple[str, Manifest]) -> None:
    url, m = v4_node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    cake = _entry(m, "pancakeswap_v3", token0="WETH", token1="USDC")
    v3 = _entry(m, "uniswap_v3", token0="WETH", token1="USDC")
    traded = {cake.address.lower(), v3.address.lower()}
    sources = CapitalSources(pool_manager=m.contracts["PoolManager"], balancer_vault=m.contracts["BalancerVault"])

    async def scenario() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract, capital_sources=sources,
                                 pool_filter=lambda p: p.address.lower() in traded)  # fmt: skip
            async with rig.fanout:
                swap_router = w3.eth.contract(address=m.contracts["SwapRouter"], abi=artifacts.load("SwapRouter").abi)
                trader = w3.eth.accounts[8]
                params = (m.token("WETH").address, m.token("USDC").address, 500, trader, DEADLINE, 10**16, 0, 0)
                tx = swap_router.functions.exactInputSingle(params).transact({"from": trader, "value": 10**16})
                assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
                plans = await rig.searcher.process_block()
                assert plans and rig.searcher.counters.sent == 1, rig.searcher.counters
                plan = plans[0]
                assert {h.pool.lower() for h in plan.candidate.hops} == traded
                assert all(h.v3 for h in plan.candidate.hops)
                route = _route_of(plan.calldata)
                # The searcher's choice is the least gas among the sources that can run the route, re-measured.
                sim = PyrevmCandidateSimulator(url, rig.searcher.store.head.number, coinbase=LOCAL_BUILDER_COINBASE)
                gas = {}
                for option in options(route.hops, sources):
                    r = Route(option.capital, option.lender, route.token, route.amount_in, 0, route.builder_share_bps,
                              route.hops)  # fmt: skip
                    run = sim.run(contract.address, rig.searcher.params.caller, encode(r))
                    if run.success:
                        gas[option.capital] = run.gas_used
                assert len(gas) >= 2, gas  # the PoolManager and the Vault both can lend WETH here
                assert route.capital == min(gas, key=lambda k: gas[k])
                await _land(w3, m, builder, rig, plans)
                _check_audit(url, m, rig, plans[0])
            await rig.node.close()

    asyncio.run(scenario())


def test_pending_v4_swap_through_the_universal_router_is_backrun(v4_node: tuple[str, Manifest]) -> None:
    url, m = v4_node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
    v2 = _entry(m, "uniswap_v2", venue="sushiswap", token0="WETH", token1="USDC")
    traded = {v4.address.lower(), v2.address.lower()}
    sources = CapitalSources(pool_manager=m.contracts["PoolManager"])
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
                call = v4_exact_in_single(pool_key_of(m, v4), True, 150 * 10**18, 0)  # sells ether on V4
                data = router.encode_abi("execute", args=[call.commands, call.inputs, DEADLINE])
                raw_rpc(url, "evm_setAutomine", [False])
                try:
                    victim_hash = w3.eth.send_transaction(
                        {"from": victim, "to": router.address, "data": data, "value": call.value, "gas": 1_000_000}
                    )
                    head = w3.eth.block_number
                    tx = raw_rpc(url, "eth_getTransactionByHash", [victim_hash.to_0x_hex()])
                    assert isinstance(tx, dict) and tx.get("blockNumber") is None
                    plans = await rig.searcher.process_pending(PendingTx(victim_hash.to_0x_hex(), tx))
                    c = rig.searcher.counters
                    assert c.swaps_decoded == 1 and plans and c.sent == 1, c
                    plan = plans[0]
                    assert plan.kind == "backrun" and plan.pre_hashes == (victim_hash.to_0x_hex(),)
                    assert {h.pool.lower() for h in plan.candidate.hops} == traded
                    assert _route_of(plan.calldata).capital == Capital.POOL_MANAGER
                    raw_rpc(url, "anvil_dropTransaction", [victim_hash.to_0x_hex()])
                finally:
                    raw_rpc(url, "evm_setAutomine", [True])
                await _land(w3, m, builder, rig, plans)
                ours = w3.eth.get_transaction_receipt(rig.searcher.results[-1].tx_hash)
                theirs = w3.eth.get_transaction_receipt(victim_hash)
                assert theirs["status"] == 1 and ours["blockNumber"] == theirs["blockNumber"] == head + 1
                assert ours["transactionIndex"] == theirs["transactionIndex"] + 1
            await rig.node.close()

    asyncio.run(scenario())


def test_the_delta_returning_hook_pool_is_simulated_never_priced_by_math(v4_node: tuple[str, Manifest]) -> None:
    """A cycle through the skim pool: the math refuses to price it; priced by running the pool (and its
    hook) in the fork, the candidate's profit is exactly what the executor makes on chain."""
    url, m = v4_node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    rpc = RpcClient(url)
    weth = m.token("WETH").address
    store = load_store(rpc, known_pools(m), weth=weth)
    skim = _entry(m, "uniswap_v4", hook_kind="skim")
    v2 = _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC")
    traded: dict[str, Pool] = {k: p for k, p in store.pools.items() if k in {skim.address.lower(), v2.address.lower()}}
    model = traded[skim.address.lower()]
    assert isinstance(model, UniswapV4Pool) and model.pricing == "simulation"
    by_math = CycleArbitrage(traded, [weth], max_hops=2)
    assert len(by_math) == 2  # both directions of the cycle exist
    assert by_math.on_update(traded.keys(), traded) == []  # never priced by math
    sim = PyrevmCandidateSimulator(url, store.head.number)
    view = simulated_view(traded, sim.fork, m.contracts["V4Quoter"])
    assert isinstance(view[skim.address.lower()], SimulatedV4Pool)
    found = CycleArbitrage(view, [weth], max_hops=2).on_update(view.keys(), view)
    assert found, "a cycle through the skim pool, priced by simulation"
    best = found[0]
    assert any(h.simulated and h.v4 for h in best.hops)
    hops = tuple(hop_for(store.pools[h.pool.lower()], h.zero_for_one) for h in best.hops)
    route = encode(Route(Capital.POOL_MANAGER, m.contracts["PoolManager"], weth, best.amount_in, 0, 0, hops))
    owner = w3.eth.accounts[0]
    run = sim.run(contract.address, owner, route)
    assert run.success and run.gross_profit == best.gross_profit  # the simulated price is the real one
    # The math alone would have priced it otherwise: the hook keeps part of the output.
    first = best.hops[0]
    assert first.pool.lower() == skim.address.lower() and first.simulated  # ether is dearer on the skim pool
    by_curve = model.swap(first.zero_for_one, -best.amount_in)
    curve_out = by_curve.amount1 if first.zero_for_one else by_curve.amount0
    simulated_out = view[skim.address.lower()].quote_exact_in(first.token_in, best.amount_in)
    pips = w3.eth.contract(address=skim.hooks, abi=SKIM_ABI).functions.skimPips().call()
    assert pips > 0 and 0 < simulated_out < curve_out
    assert curve_out - simulated_out == curve_out * pips // 1_000_000  # exactly what the hook keeps
    before = weth_balance(w3, m, contract.address)
    tx = contract.functions.execute(route).transact({"from": owner, "gas": 1_500_000})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert weth_balance(w3, m, contract.address) - before == best.gross_profit


def test_the_searcher_prices_the_hooked_pool_only_by_simulation_and_lands_its_cycle(
    v4_node: tuple[str, Manifest],
) -> None:
    """Without a V4Quoter the searcher finds nothing through the skim pool (the math never prices it); with
    one, the same cycle is priced in the block's fork, simulated through the executor and landed exactly."""
    url, m = v4_node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)
    skim = _entry(m, "uniswap_v4", hook_kind="skim")
    v2 = _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC")
    traded = {skim.address.lower(), v2.address.lower()}
    sources = CapitalSources(pool_manager=m.contracts["PoolManager"], balancer_vault=m.contracts["BalancerVault"])

    async def scenario() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract, capital_sources=sources,
                                 pool_filter=lambda p: p.address.lower() in traded)  # fmt: skip
            async with rig.fanout:
                await rig.searcher.process_block()  # in step with the head
                _nudge_v2(w3, m)
                assert await rig.searcher.process_block() == []
                assert rig.searcher.counters.opportunities_found == 0 and rig.searcher.counters.errors == 0
                rig.searcher.params = replace(rig.searcher.params, v4_quoter=m.contracts["V4Quoter"])
                _nudge_v2(w3, m)
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert plans and c.sent == 1 and c.sim_disagreed == 0 and c.errors == 0, c
                plan = plans[0]
                assert {h.pool.lower() for h in plan.candidate.hops} == traded
                hooked = [h for h in plan.candidate.hops if h.pool.lower() == skim.address.lower()]
                assert len(hooked) == 1 and hooked[0].simulated and hooked[0].v4
                assert plan.sim.gross_profit == plan.candidate.gross_profit  # the simulated price is the real one
                await _land(w3, m, builder, rig, plans)
                _check_audit(url, m, rig, plans[0])
            await rig.node.close()

    asyncio.run(scenario())


@pytest.mark.replica  # builds the v4 snapshot when it is not cached
def test_the_replica_context_carries_every_v4_venue_router_and_contract() -> None:
    """What `arbbot run` on the v4 replica trades: V4 pools with their hooks and native ether, PancakeSwap
    pools, the UniversalRouter for backruns, the PoolManager and the V4Quoter."""
    m = snapshot.ensure("v4").manifest
    ctx = context_from_manifest(m, "http://127.0.0.1:1")
    assert ctx.pool_manager == m.contracts["PoolManager"] and ctx.v4_quoter == m.contracts["V4Quoter"]
    assert {v.kind for v in ctx.venues} == {"uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4"}
    universal = [r for r in ctx.routers if r.kind == "universal_router_v2"]
    assert [(r.address, r.factory) for r in universal] == [(m.contracts["UniversalRouter"], m.contracts["PoolManager"])]
    assert ctx.known_pools is not None
    assert sorted(ctx.known_pools, key=str) == sorted(known_pools(m), key=str)
    skim = _entry(m, "uniswap_v4", hook_kind="skim")
    known = next(p for p in ctx.known_pools if p.address == skim.address)
    assert (known.token0, known.hooks) == ("0x0000000000000000000000000000000000000000", skim.hooks)
