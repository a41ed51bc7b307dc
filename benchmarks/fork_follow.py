"""Following the head on a fork: for each new block, what it costs to move the simulation fork to it and
run the block's first simulation (cold state), re-forking in-process (pyrevm, a new fork per block) against
resetting one anvil fork process (anvil_reset to the block). `arbbot run --fork-url` uses the first by
default (`--simulator pyrevm`), the second with `--simulator anvil`."""

from __future__ import annotations

import statistics
import time

from web3 import HTTPProvider, Web3

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.devnet.context import known_pools
from arbbot.engine.bootstrap import load_store
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.progress import LogProgress
from arbbot.sim.anvil_fork import AnvilForkSimulator
from arbbot.sim.candidate import PyrevmCandidateSimulator
from arbbot.strategy.arbitrage import CycleArbitrage
from benchmarks.searcher_common import deploy_executor

BLOCKS = 20


def run() -> list[dict[str, str]]:
    node, manifest = snapshot.start("default", progress=LogProgress())
    anvil = AnvilForkSimulator(node.url)
    try:
        w3 = Web3(HTTPProvider(node.url))
        executor = deploy_executor(w3, manifest)
        owner = w3.eth.accounts[0]
        store = load_store(RpcClient(node.url), known_pools(manifest))
        arb = CycleArbitrage(store.pools, [manifest.token("WETH").address], max_hops=3)
        best = arb.on_update(store.pools.keys(), store.pools, limit=1)[0]
        hops = tuple(Hop(h.pool, h.token_out, h.v3, h.zero_for_one, h.fee_bps) for h in best.hops)
        route = encode(Route(Capital.BALANCER, manifest.contracts["BalancerVault"], best.token, best.amount_in, 0, 0,
                             hops))  # fmt: skip
        refork, reset = [], []
        for _ in range(BLOCKS):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            head = w3.eth.block_number
            t0 = time.perf_counter()
            sim = PyrevmCandidateSimulator(node.url, head)
            assert sim.run(executor, owner, route).success
            refork.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            at = anvil.at(head)
            assert at.run(executor, owner, route).success
            reset.append(time.perf_counter() - t0)
    finally:
        anvil.close()
        node.stop()
    a, b = statistics.median(refork) * 1000, statistics.median(reset) * 1000
    if a <= b:
        ratio = f"re-fork {b / a:.1f}x faster (the default)"
    else:
        ratio = f"anvil_reset {a / b:.1f}x faster: the default should change"
    return [
        {
            "benchmark": f"fork follows the head: move the fork to a new block + first simulation ({BLOCKS} blocks)",
            "figure": f"re-fork in-process (pyrevm): {a:.1f} ms median",
            "baseline": f"anvil_reset of one anvil fork: {b:.1f} ms median, same blocks, same run",
            "ratio": ratio,
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
