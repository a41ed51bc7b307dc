"""Executor gas of a Balancer V2 hop, on the replica: the real Vault and the manifest's 80/20 WETH/DAI weighted
pool, against the same two swaps done bare.

A trader first sells 40 WETH on Uniswap V2's WETH/DAI pair, so WETH -> DAI on the weighted pool, DAI -> WETH on
Uniswap V2 pays; the cycle runs on the executor's own capital at the models' best size. Bare gas is what the two
swaps cost alone: the Vault's `swap` sent by an account that already approved the Vault (paying its DAI straight
into the pair), then `pair.swap`; their gas summed without the per-transaction 21,000 base, plus one 21,000 base.
The executor pays more by design: it approves the Vault for exactly the input and resets the allowance to zero,
receives the output itself and measures it by balance, and checks every balance the route touches at the end.

Steady state: the executor and the bare sender already hold a little of each token (see executor_gas). Every
transaction is mined one 12-second slot after the head, so the pair's price-accumulator writes are the same in all.
"""

from __future__ import annotations

from typing import Any

from web3 import HTTPProvider, Web3

from arbbot.amm.balancer_pair import BalancerPairView
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, compiler, snapshot
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.route import ZERO_ADDRESS, Capital, Route, encode, hop_for
from arbbot.progress import LogProgress
from arbbot.state import lens
from arbbot.state.models import v2_model
from arbbot.strategy.sizing import bracketed_optimum

BASE_TX = 21_000
DEADLINE = 2**63


def measure() -> dict[str, int]:
    node, m = snapshot.start("default", progress=LogProgress())
    try:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        owner, trader = w3.eth.accounts[0], w3.eth.accounts[3]
        executor = deploy_executor(w3, m)
        weth, dai = m.token("WETH").address, m.token("DAI").address
        erc20 = compiler.replica_contracts()["ReplicaToken"].abi
        weth9 = w3.eth.contract(address=weth, abi=artifacts.load("WETH9").abi)
        vault = w3.eth.contract(address=m.contracts["BalancerVault"], abi=artifacts.load("BalancerVault").abi)
        pair_entry = next(p for p in m.pools_for("WETH", "DAI") if p.venue == "uniswap_v2")
        pair = w3.eth.contract(address=pair_entry.address, abi=artifacts.load("UniswapV2Pair").abi)
        minter = Web3.to_checksum_address(m.deployer)

        def tx(call: Any, sender: str) -> int:
            # One 12-second slot after the head, every transaction: a V2 pair writes its price accumulators only
            # when time has passed since its last update, which would otherwise depend on the wall clock.
            raw_rpc(node.url, "evm_setNextBlockTimestamp", [w3.eth.get_block("latest")["timestamp"] + 12])
            receipt = w3.eth.wait_for_transaction_receipt(
                call.transact({"from": sender, "gas": 3_000_000, "maxPriorityFeePerGas": 0})
            )
            if receipt["status"] != 1:
                raise RuntimeError("benchmark step reverted")
            return int(receipt["gasUsed"])

        def give_weth(to: str, amount: int) -> None:
            w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": owner, "to": weth, "value": amount}))
            tx(weth9.functions.transfer(to, amount), owner)

        def v2() -> Any:
            r = lens.read_v2(RpcClient(node.url), [pair_entry.address])[pair_entry.address]
            t0, t1 = m.token(pair_entry.token0).address, m.token(pair_entry.token1).address
            return v2_model(pair_entry.address, t0, t1, r)

        # The dislocation: 40 WETH sold on the V2 pair.
        model = v2()
        out = model.quote_exact_in(weth, 40 * 10**18)
        give_weth(pair.address, 40 * 10**18)
        zfo = model.token0.lower() == weth.lower()
        tx(pair.functions.swap(0 if zfo else out, out if zfo else 0, trader, b""), trader)

        entry = next(p for p in m.balancer_pools if set(p.tokens) == {"WETH", "DAI"})
        tokens, balances, _ = vault.functions.getPoolTokens(entry.pool_id).call()
        pool = w3.eth.contract(address=entry.address, abi=artifacts.load("BalancerWeightedPool").abi)
        bal = BalancerWeightedPool(
            entry.address, entry.pool_id, vault.address, tuple(tokens), list(balances), tuple(entry.weights),
            tuple(pool.functions.getScalingFactors().call()), entry.swap_fee,
        )  # fmt: skip
        view = BalancerPairView(bal, 0, 1)
        back = v2()

        def cycle(x: int) -> int:
            try:
                return back.quote_exact_in(dai, view.quote_exact_in(weth, x))
            except Exception:  # a size the models refuse (the Vault's 30% ratio): nothing out
                return 0

        amount, profit = bracketed_optimum(lambda x: cycle(x) - x, max_input=10**24, min_input=10**12)
        if profit <= 0:
            raise RuntimeError("the Balancer -> V2 cycle is not profitable on this replica")
        dai_out = view.quote_exact_in(weth, amount)
        # Steady state: dust of both tokens where balances are kept; the bare sender's approval set once.
        for holder in (executor.address, trader):
            give_weth(holder, 1)
            tx(w3.eth.contract(address=dai, abi=erc20).functions.mint(holder, 1), minter)
        give_weth(executor.address, amount)
        give_weth(trader, amount)
        tx(weth9.functions.approve(vault.address, 2**256 - 1), trader)
        hops = (hop_for(view, view.token0.lower() == weth.lower()), hop_for(back, back.token0.lower() == dai.lower()))
        route = encode(Route(Capital.OWN, ZERO_ADDRESS, weth, amount, profit, 0, hops))

        snap = raw_rpc(node.url, "evm_snapshot")
        try:
            gas_exec = tx(executor.functions.execute(route), owner)
        finally:
            raw_rpc(node.url, "evm_revert", [snap])
        snap = raw_rpc(node.url, "evm_snapshot")
        try:
            single = (entry.pool_id, 0, weth, dai, amount, b"")
            funds = (trader, False, pair.address, False)
            g1 = tx(vault.functions.swap(single, funds, dai_out, DEADLINE), trader)
            weth_out = back.quote_exact_in(dai, dai_out)
            dai0 = back.token0.lower() == dai.lower()
            g2 = tx(pair.functions.swap(0 if dai0 else weth_out, weth_out if dai0 else 0, trader, b""), trader)
        finally:
            raw_rpc(node.url, "evm_revert", [snap])
        return {"executor": gas_exec, "bare": BASE_TX + (g1 - BASE_TX) + (g2 - BASE_TX), "vault_swap": g1 - BASE_TX}
    finally:
        node.stop()


def run() -> list[dict[str, str]]:
    g = measure()
    overhead = g["executor"] - g["bare"]
    return [
        {
            "benchmark": "executor gas, 2-hop Balancer weighted -> V2 cycle on own capital (real Vault)",
            "figure": (
                f"{g['executor']:,} gas; overhead {overhead:,} over the bare swaps ({g['bare']:,}, of which the "
                f"Vault's swap {g['vault_swap']:,}); the overhead pays the exact approve and its reset to zero, "
                "the output measured by balance and the end-of-route balance checks"
            ),
            "baseline": f"bare swaps: {g['bare']:,} gas (Vault.swap paying into the pair, then pair.swap)",
            "ratio": f"{g['executor'] / g['bare']:.2f}x the bare swaps",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
