"""A cycle that starts and ends in USDC, on the replica: found, judged in ETH at the block's on-chain price,
sent through the local builder (a test double of a real builder), landed, the builder paid in ETH attached
to the call, and the audit values the USDC profit in ETH at the price of the deepest WETH/USDC pool outside
the cycle. The expected valuation is computed here from raw chain reads and the deployed QuoterV2."""

from __future__ import annotations

import asyncio

from web3 import Web3

from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.audit.store import trade_record
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts
from arbbot.devnet.context import known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.bootstrap import load_store
from arbbot.execution.route import ZERO_ADDRESS, Capital
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call

Q96 = 1 << 96
V2_ABI = [
    {"name": "getReserves", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"type": "uint112"}, {"type": "uint112"}, {"type": "uint32"}]},
    {"name": "token0", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "address"}]},
]  # fmt: skip
V3_ABI = [
    {"name": "slot0", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"type": "uint160"}, {"type": "int24"}, {"type": "uint16"}, {"type": "uint16"}, {"type": "uint16"},
                 {"type": "uint8"}, {"type": "bool"}]},
    {"name": "liquidity", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"type": "uint128"}]},
    {"name": "token0", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "address"}]},
]  # fmt: skip
ERC20_ABI = [
    {"name": "balanceOf", "type": "function", "stateMutability": "view", "inputs": [{"type": "address"}],
     "outputs": [{"type": "uint256"}]},
]  # fmt: skip


def _weth_depths(w3: Web3, m: Manifest, block: int, skip: set[str]) -> dict[str, tuple[int, str, int]]:
    """pool -> (WETH-side depth in wei, kind, fee) for every WETH/USDC pool not in `skip`, read at `block`."""
    weth = m.token("WETH").address
    out = {}
    for p in m.pools_for("WETH", "USDC"):
        if p.address.lower() in skip:
            continue
        if p.kind == "uniswap_v2":
            c = w3.eth.contract(address=p.address, abi=V2_ABI)
            r0, r1, _ = c.functions.getReserves().call(block_identifier=block)
            weth_is0 = c.functions.token0().call() == weth
            out[p.address] = (r0 if weth_is0 else r1, p.kind, p.fee)
        else:
            c = w3.eth.contract(address=p.address, abi=V3_ABI)
            sqrt_p = c.functions.slot0().call(block_identifier=block)[0]
            liq = c.functions.liquidity().call(block_identifier=block)
            weth_is0 = c.functions.token0().call() == weth
            # Virtual reserves at the current price: x = L / sqrt(P), y = L * sqrt(P).
            out[p.address] = (liq * Q96 // sqrt_p if weth_is0 else liq * sqrt_p // Q96, p.kind, p.fee)
    return out


def test_usdc_cycle_is_judged_in_eth_lands_pays_the_builder_in_eth_and_is_audited_in_eth(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    two_v2 = {p.address.lower() for p in m.pools_for("WETH", "USDC") if p.kind == "uniswap_v2"}
    assert len(two_v2) == 2
    usdc_token = w3.eth.contract(address=usdc, abi=ERC20_ABI)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(
                replica.url, w3, m, builder.url, contract,
                base_tokens=[usdc], pool_filter=lambda p: p.address.lower() in two_v2,
                capital=Capital.LAST_HOP, lender=ZERO_ADDRESS, weth=weth, valuation_min_depth=10**18,
            )  # fmt: skip
            async with rig.fanout:
                # The dislocation: a big buy of USDC on Uniswap V2; WETH is now dear there against SushiSwap.
                tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
                assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
                judged_at = w3.eth.block_number
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert plans and c.sent == 1, (c, rig.executor.reports)
                plan = plans[0]
                assert plan.candidate.token == usdc and {p.lower() for p in plan.candidate.pools} == two_v2
                profit = plan.sim.executed.profit
                assert profit == plan.candidate.gross_profit > 0  # no share taken from a USDC profit

                # Judged in ETH: the deepest WETH/USDC pool outside the cycle, quoted for the whole profit.
                depths = _weth_depths(w3, m, judged_at, two_v2)
                source = max(depths, key=lambda a: (depths[a][0], -int(a, 16)))
                quoter = w3.eth.contract(address=m.contracts["QuoterV2"], abi=artifacts.load("QuoterV2").abi)
                expected_wei = quoter.functions.quoteExactInputSingle((usdc, weth, profit, depths[source][2], 0)).call(
                    block_identifier=judged_at
                )[0]
                v = plan.valuation
                assert v is not None and v.pool == source and v.wei == expected_wei and v.amount == profit
                assert v.depth == depths[source][0]
                assert plan.value == expected_wei * 5_000 // 10_000 > 0  # the bribe: the share of the ETH value
                assert plan.expected_net == expected_wei - plan.value - plan.sim.gas_used * plan.max_fee_per_gas > 0

                usdc0 = usdc_token.functions.balanceOf(contract.address).call()
                cb0 = w3.eth.get_balance(LOCAL_BUILDER_COINBASE)
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                assert c.landed == 1 and c.missed == 0
                ours = rig.searcher.results[0].tx_hash
                receipt = w3.eth.get_transaction_receipt(ours)
                assert receipt["status"] == 1 and receipt["blockNumber"] == judged_at + 1
                assert usdc_token.functions.balanceOf(contract.address).call() - usdc0 == profit  # to the unit
                assert w3.eth.get_balance(contract.address) == 0  # the executor's ETH never moved
                tx_value = w3.eth.get_transaction(ours)["value"]
                assert tx_value == plan.value
                # The builder got the attached ETH, on top of the block's priority fees.
                block = w3.eth.get_block(receipt["blockNumber"])
                tips = sum(
                    (r["effectiveGasPrice"] - block["baseFeePerGas"]) * r["gasUsed"]
                    for r in (w3.eth.get_transaction_receipt(h) for h in block["transactions"])
                )
                assert w3.eth.get_balance(LOCAL_BUILDER_COINBASE) - cb0 == plan.value + tips

                # The audit values the USDC profit in ETH at the parent block's on-chain price.
                discovered = known_pools(m)
                node = RpcClient(replica.url)
                options = AuditOptions(
                    executors=(contract.address,), valuation_min_depth=10**18,
                    pools_at=lambda n, token: load_store(
                        node, [d for d in discovered if token in (d.token0, d.token1)], n, weth=weth
                    ).pools.values(),
                )  # fmt: skip
                result = Auditor(node, options).audit_hashes([ours])
                assert not result.problems, result.problems
                trade = result.trades[0]
                assert trade.profit_by_token == {usdc: profit}
                assert trade.executed is not None and trade.executed.profit == profit
                assert trade.executed.builder_payment == plan.value == trade.attached
                assert len(trade.valuations) == 1
                tv = trade.valuations[0]
                assert (tv.token, tv.amount, tv.wei, tv.pool, tv.block) == (
                    usdc,
                    profit,
                    expected_wei,
                    source,
                    judged_at,
                )
                assert trade.profit_eth == expected_wei
                assert trade.builder_payment == plan.value
                assert trade.gross_profit_eth == expected_wei
                assert trade.net_pnl == expected_wei - plan.value - receipt["gasUsed"] * receipt["effectiveGasPrice"]
                assert c.realized_pnl_wei == trade.net_pnl
                # As stored for reports: profit after the builder payment, so gross and net come out right.
                record = trade_record(trade)
                assert record.profit == expected_wei - plan.value
                assert record.profit + record.builder_payment == trade.gross_profit_eth
                assert record.profit - record.gas_cost == trade.net_pnl
            await rig.node.close()

    asyncio.run(scenario())


def test_usdc_cycle_without_a_trusted_eth_price_is_never_sent(replica: Replica) -> None:
    """Fail closed: when no WETH/USDC pool outside the cycle is deep enough, the cycle is found but not sent."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    two_v2 = {p.address.lower() for p in m.pools_for("WETH", "USDC") if p.kind == "uniswap_v2"}
    events: list[str] = []

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(
                replica.url, w3, m, builder.url, contract,
                base_tokens=[usdc], pool_filter=lambda p: p.address.lower() in two_v2,
                capital=Capital.LAST_HOP, lender=ZERO_ADDRESS, weth=weth, valuation_min_depth=10**30,
            )  # fmt: skip
            rig.searcher.on_event = lambda e: events.append(str(e.data.get("reason", "")))
            async with rig.fanout:
                tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
                assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert c.opportunities_found >= 1 and not plans and c.sent == 0 and c.simulated == 0
                assert any("no trusted ETH valuation" in r for r in events), events
                built = await builder.build_block()
                assert not built.included
            await rig.node.close()

    asyncio.run(scenario())
