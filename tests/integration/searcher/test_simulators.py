"""The two simulation backends agree on a real cycle through the deployed executor: pyrevm in-process and an
anvil fork give the same profit and gas; after a victim's swap the anvil fork's gas is exact and pyrevm's
(flagged inexact) stays within the cold-access bound the searcher charges."""

from __future__ import annotations

from web3 import Web3

from arbbot.chain.anvil import pid_alive
from arbbot.chain.rpc import RpcClient
from arbbot.devnet.context import known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.engine.bootstrap import load_store
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.sim.anvil_fork import AnvilForkSimulator
from arbbot.sim.candidate import PreTx, PyrevmCandidateSimulator
from arbbot.strategy.arbitrage import Candidate, CycleArbitrage
from arbbot.strategy.costs import cold_access_bound
from tests.conftest import Replica
from tests.integration.searcher.harness import router_call


def test_pyrevm_and_anvil_fork_agree(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    executor = deploy_executor(w3, m).address
    owner = w3.eth.accounts[0]
    store = load_store(RpcClient(replica.url), known_pools(m))
    arb = CycleArbitrage(store.pools, [m.token("WETH").address], max_hops=3)
    best = arb.on_update(store.pools.keys(), store.pools, limit=1)[0]
    hops = tuple(Hop(h.pool, h.token_out, h.v3, h.zero_for_one, h.fee_bps) for h in best.hops)
    route = encode(Route(Capital.BALANCER, m.contracts["BalancerVault"], best.token, best.amount_in, 0, 2_000, hops))
    victim = router_call(w3, m, "sushiswap", w3.eth.accounts[6], 5 * 10**18)
    pre = (PreTx(victim["from"], victim["to"], bytes.fromhex(victim["data"][2:]), victim["value"], 300_000),)

    fast = PyrevmCandidateSimulator(replica.url, store.head.number)
    anvil = AnvilForkSimulator(replica.url)
    try:
        exact = anvil.at(store.head.number)
        pid = anvil.node.pid if anvil.node else 0
        a, b = fast.run(executor, owner, route), exact.run(executor, owner, route)
        assert a.success and b.success and a.gas_exact and b.gas_exact
        assert a.gross_profit == b.gross_profit == best.gross_profit
        assert a.executed == b.executed and a.executed is not None and a.executed.builder_payment > 0
        assert a.gas_used == b.gas_used
        assert exact.base_fee == fast.base_fee

        after_a, after_b = fast.run(executor, owner, route, pre), exact.run(executor, owner, route, pre)
        assert after_a.success and after_b.success
        assert not after_a.gas_exact and after_b.gas_exact
        assert after_a.gross_profit == after_b.gross_profit > best.gross_profit  # the victim widened the gap
        assert after_a.gas_used <= after_b.gas_used <= after_a.gas_used + cold_access_bound(len(hops))
        assert exact.run(executor, owner, route) == b  # every run is rolled back
    finally:
        anvil.close()
    assert not pid_alive(pid)
    assert Web3.is_checksum_address(executor)


def test_both_backends_run_two_trades_in_sequence_and_agree(replica: Replica) -> None:
    """Two pool-disjoint cycles, one after the other as in one bundle: same profits on both backends; the
    anvil fork's gas is exact for each, pyrevm's second (flagged inexact) is within the cold-access bound;
    a trade repeated after itself no longer finds its profit and reverts on its guard."""
    w3, m = replica.w3, replica.manifest
    executor = deploy_executor(w3, m).address
    owner = w3.eth.accounts[0]
    for venue, symbol in (("uniswap_v2", "USDC"), ("sushiswap", "WBTC")):
        tx = w3.eth.send_transaction(router_call(w3, m, venue, w3.eth.accounts[5], 300 * 10**18, symbol))
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    store = load_store(RpcClient(replica.url), known_pools(m))
    arb = CycleArbitrage(store.pools, [m.token("WETH").address], max_hops=2)
    found = arb.on_update(store.pools.keys(), store.pools, limit=20)
    first = found[0]
    second = next(c for c in found if not set(c.pools) & set(first.pools))

    def route(c: Candidate, min_profit: int = 0) -> bytes:
        hops = tuple(Hop(h.pool, h.token_out, h.v3, h.zero_for_one, h.fee_bps) for h in c.hops)
        return encode(Route(Capital.BALANCER, m.contracts["BalancerVault"], c.token, c.amount_in, min_profit, 2_000,
                            hops))  # fmt: skip

    fast = PyrevmCandidateSimulator(replica.url, store.head.number)
    anvil = AnvilForkSimulator(replica.url)
    try:
        exact = anvil.at(store.head.number)
        pid = anvil.node.pid if anvil.node else 0
        a = fast.run_sequence(executor, owner, [route(first), route(second)])
        b = exact.run_sequence(executor, owner, [route(first), route(second)])
        assert all(r.success for r in (*a, *b))
        assert [r.gross_profit for r in a] == [r.gross_profit for r in b] == [first.gross_profit, second.gross_profit]
        assert a[0].gas_exact and a[0].gas_used == b[0].gas_used
        assert not a[1].gas_exact and b[1].gas_exact
        assert a[1].gas_used <= b[1].gas_used <= a[1].gas_used + cold_access_bound(len(second.hops))
        # Nothing was kept: each alone gives what it gave first in line.
        assert fast.run(executor, owner, route(first)) == a[0]
        assert exact.run(executor, owner, route(second)).gross_profit == second.gross_profit
        # The same trade twice, guarded at its profit: the second finds the gap closed and reverts.
        again = exact.run_sequence(executor, owner, [route(first), route(first, first.gross_profit)])
        assert again[0].success and not again[1].success
        assert not fast.run_sequence(executor, owner, [route(first), route(first, first.gross_profit)])[1].success
    finally:
        anvil.close()
    assert not pid_alive(pid)


def test_the_anvil_fork_keeps_every_account_balance_of_the_node(replica: Replica) -> None:
    """A dev account of the node (the searcher's key on a dev chain) has its real balance in the fork, not the
    balance anvil gives its own dev accounts."""
    w3 = replica.w3
    poor = w3.eth.accounts[0]
    rpc = RpcClient(replica.url)
    rpc.call("anvil_setBalance", [poor, hex(5 * 10**18)])
    rpc.call("evm_mine")
    head = w3.eth.block_number
    anvil = AnvilForkSimulator(replica.url)
    try:
        fork = anvil.at(head)
        assert int(fork.rpc.call("eth_getBalance", [poor, "latest"]), 16) == 5 * 10**18
        assert fork.rpc.call("eth_accounts") == []
    finally:
        anvil.close()
