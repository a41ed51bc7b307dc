"""Fail closed, over random states: whatever the market, the bribe share, the minimum profit or the fee cap,
the searcher only hands over a trade whose simulation through the deployed executor showed a profit after
gas, loan fee and builder payment - and executing that very transaction on the chain confirms it."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.dry_run import DryRunExecutor
from arbbot.strategy.costs import cold_access_bound
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call, weth_balance

# Every WETH pair of the replica's V2 venues (venue, other token).
PAIRS = [("uniswap_v2", "USDC"), ("sushiswap", "USDC"), ("uniswap_v2", "WBTC"), ("sushiswap", "WBTC"),
         ("uniswap_v2", "DAI")]  # fmt: skip
swaps = st.lists(st.tuples(st.sampled_from(PAIRS), st.integers(1, 400)), min_size=1, max_size=3)


def _net_after_costs(gross: int, gas: int, fee_per_gas: int, share_bps: int) -> int:
    """The contract's arithmetic, written out here: the builder gets share_bps of a positive gross, rounded
    down; gas is paid at the fee cap the transaction signs."""
    builder = gross * share_bps // 10_000 if gross > 0 else 0
    return gross - builder - gas * fee_per_gas


# Markets that do pay (a large swap, an ordinary share, no floor, a normal fee cap): without them the
# property could hold by never handing anything over.
PAYING = [
    ([(("uniswap_v2", "USDC"), 300)], 5_000, 0, 10**12),
    ([(("sushiswap", "WBTC"), 250), (("uniswap_v2", "DAI"), 200)], 2_000, 10**12, 10**12),
    ([(("uniswap_v2", "WBTC"), 400)], 9_000, 0, 10**12),
]


def test_only_trades_that_pay_after_all_costs_are_handed_over(replica: Replica) -> None:
    reached: list[bool] = []

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        market=swaps,
        share=st.integers(0, 10_000),
        min_profit=st.sampled_from([0, 10**12, 10**16, 10**18, 10**20]),
        fee_cap=st.sampled_from([1, 10**3, 10**12]),
    )
    def check(market: list[tuple[tuple[str, str], int]], share: int, min_profit: int, fee_cap: int) -> None:
        reached.append(_hand_over(replica, market, share, min_profit, fee_cap) > 0)

    for args in PAYING:
        check = example(*args)(check)
    check()
    handed = sum(reached)
    assert handed >= len(PAYING), f"only {handed} of {len(reached)} examples handed over a trade"


def _hand_over(replica: Replica, market: list[tuple[tuple[str, str], int]], share: int, min_profit: int,
               fee_cap: int) -> int:  # fmt: skip
    """One example: the random state, one block processed, every plan checked on chain; the plans' count."""
    w3, m = replica.w3, replica.manifest
    snap = raw_rpc(replica.url, "evm_snapshot")
    try:
        contract = deploy_executor(w3, m)
        owner = w3.eth.accounts[0]
        rig = build_searcher(replica.url, w3, m, "http://127.0.0.1:9", contract, bribe_share_bps=share,
                             min_profit_wei=min_profit, fee_cap=fee_cap, max_candidates=3,
                             max_trades_per_bundle=3)  # fmt: skip
        rig.searcher.executor = DryRunExecutor()
        for (venue, symbol), eth in market:  # the random state: swaps of random size on random venues
            tx = w3.eth.send_transaction(router_call(w3, m, venue, w3.eth.accounts[5], eth * 10**18, symbol))
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        plans = asyncio.run(rig.searcher.process_block())
        c = rig.searcher.counters
        event(f"handed over: {len(plans)}, rejected: {min(c.rejected, 1)}")
        assert c.sent == 0
        assert c.opportunities_found >= c.simulated >= len(plans)
        pools = [p.lower() for plan in plans for p in plan.candidate.pools]
        assert len(pools) == len(set(pools)), "trades sent together never share a pool"
        for plan in plans:  # in bundle order: each judged after the ones before it
            assert plan.sim.success and plan.sim.gross_profit == plan.candidate.gross_profit
            # Inexact gas (after earlier calls in the fork) is charged with the larger of the per-hop allowance and
            # what those calls spent beyond the intrinsic gas.
            allowance = max(cold_access_bound(len(plan.candidate.hops)), plan.sim.gas_uncertainty)
            charged = plan.sim.gas_used + (0 if plan.sim.gas_exact else allowance)
            assert plan.max_fee_per_gas <= fee_cap and charged <= rig.searcher.params.max_gas
            net = _net_after_costs(plan.sim.gross_profit, charged, plan.max_fee_per_gas, share)
            assert net == plan.expected_net >= max(min_profit, 1)
            # The same transaction, executed for real, makes at least what was judged.
            weth0, eth0 = weth_balance(w3, m, contract.address), w3.eth.get_balance(owner)
            tx = w3.eth.send_transaction({
                "from": owner, "to": contract.address, "data": "0x" + plan.calldata.hex(), "gas": plan.gas_limit,
                "maxFeePerGas": plan.max_fee_per_gas, "maxPriorityFeePerGas": plan.priority_fee,
            })  # fmt: skip
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
            realized = weth_balance(w3, m, contract.address) - weth0 + w3.eth.get_balance(owner) - eth0
            assert realized >= plan.expected_net
        return len(plans)
    finally:
        raw_rpc(replica.url, "evm_revert", [snap])
