"""Executor gas of the builder payment by profit token, on the replica.

One dislocated pair of WETH/USDC V2 pools (Uniswap V2 and SushiSwap), one 2-hop cycle on the cheapest
capital (LAST_HOP: the last pair lends), each variant sized at its best amount and run from the same
state (snapshot and revert):
  - WETH start, the builder paid a 50% share of the profit, unwrapped from WETH (the existing path);
  - USDC start, no builder payment;
  - USDC start, the builder paid with ETH attached to the call (msg.value forwarded to the coinbase).
The coinbase is an existing, funded account (as a real builder's is), so no new-account charge is counted.
Each run is mined one 12-second slot after the head, so the pairs' price-accumulator writes are the same in all.
"""

from __future__ import annotations

from typing import Any

from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.route import ZERO_ADDRESS, Capital, Hop, Route, encode
from arbbot.progress import LogProgress
from arbbot.sim.candidate import execute_calldata

DEADLINE = 2**63


def _v2_out(amount: int, r_in: int, r_out: int) -> int:
    return amount * 997 * r_out // (r_in * 1000 + amount * 997)


def measure() -> dict[str, int]:
    node, m = snapshot.start("default", progress=LogProgress())
    try:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        owner, builder = w3.eth.accounts[0], w3.eth.accounts[9]
        contract = deploy_executor(w3, m)
        weth, usdc = m.token("WETH").address, m.token("USDC").address
        uni = next(p for p in m.pools_for("WETH", "USDC") if p.venue == "uniswap_v2")
        sushi = next(p for p in m.pools_for("WETH", "USDC") if p.venue == "sushiswap")
        router = w3.eth.contract(address=m.venues["uniswap_v2"].router, abi=artifacts.load("UniswapV2Router02").abi)
        tx = router.functions.swapExactETHForTokens(0, [weth, usdc], owner, DEADLINE).transact(
            {"from": owner, "value": 300 * 10**18}
        )
        w3.eth.wait_for_transaction_receipt(tx)
        raw_rpc(node.url, "anvil_setCoinbase", [builder])
        pair_abi = artifacts.load("UniswapV2Pair").abi

        def reserves(address: str) -> tuple[int, int]:  # (WETH, USDC)
            c = w3.eth.contract(address=address, abi=pair_abi)
            r0, r1, _ = c.functions.getReserves().call()
            return (r0, r1) if c.functions.token0().call() == weth else (r1, r0)

        (uw, uu), (sw, su) = reserves(uni.address), reserves(sushi.address)

        def best(out: Any) -> int:
            return max((a for a in (int(1.2**k) for k in range(60, 140))), key=lambda a: out(a) - a)

        # WETH is cheap on Uniswap V2 after the buy: WETH -> USDC on SushiSwap, USDC -> WETH on Uniswap V2;
        # and the same loop started in USDC.
        weth_in = best(lambda a: _v2_out(_v2_out(a, sw, su), uu, uw))
        usdc_in = best(lambda a: _v2_out(_v2_out(a, uu, uw), sw, su))
        usdc_profit = _v2_out(_v2_out(usdc_in, uu, uw), sw, su) - usdc_in
        assert usdc_profit > 0

        def hop(pool: str, token_in: str, token_out: str) -> Hop:
            return Hop(pool, token_out, False, int(token_in, 16) < int(token_out, 16))

        weth_route = Route(Capital.LAST_HOP, ZERO_ADDRESS, weth, weth_in, 0, 5_000,
                           (hop(sushi.address, weth, usdc), hop(uni.address, usdc, weth)))  # fmt: skip
        usdc_route = Route(Capital.LAST_HOP, ZERO_ADDRESS, usdc, usdc_in, 0, 0,
                           (hop(uni.address, usdc, weth), hop(sushi.address, weth, usdc)))  # fmt: skip

        def run(route: Route, value: int) -> int:
            snap = raw_rpc(node.url, "evm_snapshot")
            try:
                # One slot later than the head, every run: a V2 pair writes its price accumulators only when
                # time has passed since its last update, which would otherwise depend on the wall clock.
                raw_rpc(node.url, "evm_setNextBlockTimestamp", [w3.eth.get_block("latest")["timestamp"] + 12])
                call = {"from": owner, "to": contract.address, "value": value, "gas": 1_000_000,
                        "data": execute_calldata(encode(route)), "maxPriorityFeePerGas": 0}  # fmt: skip
                tx = w3.eth.send_transaction(call)  # type: ignore[arg-type]
                receipt = w3.eth.wait_for_transaction_receipt(tx)
                if receipt["status"] != 1:
                    raise RuntimeError("benchmark route reverted")
                return int(receipt["gasUsed"])
            finally:
                raw_rpc(node.url, "evm_revert", [snap])

        return {
            "weth_share": run(weth_route, 0),
            "usdc_none": run(usdc_route, 0),
            "usdc_attached": run(usdc_route, 10**15),
        }
    finally:
        node.stop()


def run() -> list[dict[str, str]]:
    g = measure()
    extra = g["usdc_attached"] - g["usdc_none"]
    return [
        {
            "benchmark": "executor gas, builder paid in ETH by profit token (2-hop V2->V2, LAST_HOP capital)",
            "figure": (
                f"USDC profit, builder paid the ETH attached to the call: {g['usdc_attached']:,} gas "
                f"(+{extra:,} for the payment over the same route paying nothing: {g['usdc_none']:,})"
            ),
            "baseline": f"WETH profit, builder paid a 50% share unwrapped from WETH: {g['weth_share']:,} gas",
            "ratio": f"{g['usdc_attached'] / g['weth_share']:.3f}x the WETH-share route",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
