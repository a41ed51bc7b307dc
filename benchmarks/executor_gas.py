"""Executor gas on the replica: a whole cycle on a Balancer flash loan vs the same pool swaps done bare.

Overhead = executor transaction gas - (the bare swaps' gas as one transaction would pay it: their
calls without per-transaction base costs, plus one 21,000 base). The bare swaps are the minimal
transfer + pair.swap (V2, output sent straight to the next pair) and pool.swap (V3) sequence, run by a
contract-free path: each step is timed in its own transaction on the same state.
"""

from __future__ import annotations

from pathlib import Path

from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.compiler import compile_files
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.progress import LogProgress
from arbbot.state import lens
from arbbot.state.models import v2_model
from arbbot.strategy.sizing import V2Hop, v2_cycle_optimal_input

ROOT = Path(__file__).resolve().parents[1]
BASE_TX = 21_000


def run() -> list[dict[str, str]]:
    node, m = snapshot.start("default", progress=LogProgress())
    try:
        w3 = Web3(HTTPProvider(node.url))
        owner = w3.eth.accounts[0]
        art = compile_files([ROOT / "contracts" / "src" / "ArbExecutor.sol"])["ArbExecutor"]
        weth_addr, usdc_addr = m.token("WETH").address, m.token("USDC").address
        tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(weth_addr).transact({"from": owner})
        executor = w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=art.abi)
        uni = next(p for p in m.pools if p.venue == "uniswap_v2" and {p.token0, p.token1} == {"WETH", "USDC"})
        sushi = next(p for p in m.pools if p.venue == "sushiswap" and {p.token0, p.token1} == {"WETH", "USDC"})
        reserves = lens.read_v2(RpcClient(node.url), [uni.address, sushi.address])
        a = v2_model(uni.address, m.token(uni.token0).address, m.token(uni.token1).address, reserves[uni.address])
        b = v2_model(
            sushi.address, m.token(sushi.token0).address, m.token(sushi.token1).address, reserves[sushi.address]
        )
        a_in = (a.reserve0, a.reserve1) if a.token0 == weth_addr else (a.reserve1, a.reserve0)
        b_in = (b.reserve0, b.reserve1) if b.token0 == usdc_addr else (b.reserve1, b.reserve0)
        amount = v2_cycle_optimal_input([V2Hop(*a_in), V2Hop(*b_in)])
        mid = a.quote_exact_in(weth_addr, amount)
        out = b.quote_exact_in(usdc_addr, mid)
        hops = (
            Hop(a.address, usdc_addr, False, a.token0 == weth_addr),
            Hop(b.address, weth_addr, False, b.token0 == usdc_addr),
        )
        route = encode(Route(Capital.BALANCER, m.contracts["BalancerVault"], weth_addr, amount, 0, 0, hops))

        snap = raw_rpc(node.url, "evm_snapshot")
        gas_exec = w3.eth.wait_for_transaction_receipt(
            executor.functions.execute(route).transact({"from": owner, "gas": 2_000_000})
        )["gasUsed"]
        raw_rpc(node.url, "evm_revert", [snap])

        # The same two swaps, bare: wrap, send WETH to pair A, swap A -> straight into B, swap B.
        weth = w3.eth.contract(address=weth_addr, abi=artifacts.load("WETH9").abi)
        pair_abi = artifacts.load("UniswapV2Pair").abi
        weth.functions.deposit().transact({"from": owner, "value": amount})
        steps = [
            weth.functions.transfer(a.address, amount),
            w3.eth.contract(address=a.address, abi=pair_abi).functions.swap(
                *((0, mid) if a.token0 == weth_addr else (mid, 0)), b.address, b""
            ),
            w3.eth.contract(address=b.address, abi=pair_abi).functions.swap(
                *((0, out) if b.token0 == usdc_addr else (out, 0)), owner, b""
            ),
        ]
        bare = BASE_TX
        for step in steps:
            receipt = w3.eth.wait_for_transaction_receipt(step.transact({"from": owner}))
            assert receipt["status"] == 1
            bare += receipt["gasUsed"] - BASE_TX
    finally:
        node.stop()
    overhead = gas_exec - bare
    return [
        {
            "benchmark": "executor gas, 2-hop V2->V2 cycle on a Balancer flash loan",
            "figure": f"{gas_exec:,} gas; overhead {overhead:,} over the bare swaps",
            "baseline": f"bare transfer + 2 pair swaps: {bare:,} gas; goal overhead <= 25,000",
            "ratio": "within goal" if overhead <= 25_000 else f"{overhead - 25_000:,} over the goal",
        }
    ]
