"""Fork simulations per second: a real cycle through the deployed ArbExecutor on a Balancer flash loan,
run in-process with pyrevm (state cached after the first run), next to the same call as anvil eth_call,
measured in the same run on the same node and block."""

from __future__ import annotations

import time

from web3 import HTTPProvider, Web3

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.devnet.context import known_pools
from arbbot.engine.bootstrap import load_store
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.progress import LogProgress
from arbbot.sim.candidate import PyrevmCandidateSimulator, execute_calldata
from arbbot.strategy.arbitrage import CycleArbitrage
from benchmarks.searcher_common import deploy_executor

PYREVM_RUNS = 3_000
ANVIL_RUNS = 300


def run() -> list[dict[str, str]]:
    node, manifest = snapshot.start("default", progress=LogProgress())
    try:
        w3 = Web3(HTTPProvider(node.url))
        executor = deploy_executor(w3, manifest)
        owner = w3.eth.accounts[0]
        store = load_store(RpcClient(node.url), known_pools(manifest))
        arb = CycleArbitrage(store.pools, [manifest.token("WETH").address], max_hops=3)
        best = arb.on_update(store.pools.keys(), store.pools, limit=1)[0]  # the scenario's own dislocation
        hops = tuple(Hop(h.pool, h.token_out, h.v3, h.zero_for_one, h.fee_bps) for h in best.hops)
        route = encode(Route(Capital.BALANCER, manifest.contracts["BalancerVault"], best.token, best.amount_in, 0, 0,
                             hops))  # fmt: skip
        sim = PyrevmCandidateSimulator(node.url, store.head.number)
        first = sim.run(executor, owner, route)
        assert first.success and first.gross_profit == best.gross_profit, first
        t0 = time.perf_counter()
        for _ in range(PYREVM_RUNS):
            sim.run(executor, owner, route)
        pyrevm_rate = PYREVM_RUNS / (time.perf_counter() - t0)

        rpc = RpcClient(node.url)
        call = {"from": owner, "to": executor, "data": "0x" + execute_calldata(route).hex(), "gas": hex(3_000_000)}
        rpc.call("eth_call", [call, hex(store.head.number)])
        t0 = time.perf_counter()
        for _ in range(ANVIL_RUNS):
            rpc.call("eth_call", [call, hex(store.head.number)])
        anvil_rate = ANVIL_RUNS / (time.perf_counter() - t0)
    finally:
        node.stop()
    return [
        {
            "benchmark": f"fork simulations: {len(best.hops)}-hop cycle through ArbExecutor on a flash loan",
            "figure": f"{pyrevm_rate:,.0f} sims/s in-process (pyrevm); {anvil_rate:,.0f} calls/s anvil eth_call",
            "baseline": "goal >= 1,000/s in-process; anvil eth_call measured in the same run",
            "ratio": f"{pyrevm_rate / 1000:.1f}x the goal; {pyrevm_rate / anvil_rate:.1f}x anvil eth_call",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
