"""Known trades on the replica for the audit tests: the executor deployed, V2/V3 cycles sized with the
exact models, sent as real transactions (profitable, reverted, with and without a builder share)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.state import lens
from arbbot.state.models import v2_model, v3_model
from arbbot.strategy.sizing import bracketed_optimum
from tests.conftest import Replica

COINBASE = Web3.to_checksum_address("0x000000000000000000000000000000000000c0de")


def deploy(r: Replica) -> Contract:
    return deploy_executor(r.w3, r.manifest)


def pool_model(r: Replica, venue: str, a: str, b: str, fee: int) -> Any:
    m = r.manifest
    entry = next(p for p in m.pools if p.venue == venue and p.fee == fee and {p.token0, p.token1} == {a, b})
    t0, t1 = m.token(entry.token0).address, m.token(entry.token1).address
    rpc = RpcClient(r.url)
    if entry.kind == "uniswap_v2":
        return v2_model(entry.address, t0, t1, lens.read_v2(rpc, [entry.address])[entry.address])
    return v3_model(entry.address, t0, t1, entry.fee, lens.read_v3(rpc, [entry.address])[entry.address])


def hop(pool: Any, token_in: str, v3: bool) -> Hop:
    zero_for_one = token_in.lower() == pool.token0.lower()
    return Hop(pool.address, pool.token1 if zero_for_one else pool.token0, v3, zero_for_one, 30)


def predict(pools: list, token: str, amount: int) -> int:
    out, tin = amount, token
    for pool in pools:
        out = pool.quote_exact_in(tin, out)
        tin = pool.token1 if tin.lower() == pool.token0.lower() else pool.token0
    return out


@dataclass
class Sent:
    tx_hash: str
    receipt: dict
    route: Route
    expected_profit: int  # the exact models' profit before the builder share (0 for a revert)


LEGS = {
    "v2-v2": [("uniswap_v2", 30, False), ("sushiswap", 30, False)],
    "v3-v2": [("uniswap_v3", 500, True), ("sushiswap", 30, False)],
}


def profitable_route(r: Replica, legs: str = "v2-v2", builder_bps: int = 0) -> tuple[Route, int]:
    m = r.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    spec = LEGS[legs]
    pools = [pool_model(r, v, "WETH", "USDC", f) for v, f, _ in spec]
    amount, profit = bracketed_optimum(lambda x: predict(pools, weth, x) - x, max_input=10**22, min_input=10**15)
    assert profit > 0, "the scenario's dislocation should be tradable"
    hops = (hop(pools[0], weth, spec[0][2]), hop(pools[1], usdc, spec[1][2]))
    return Route(Capital.BALANCER, m.contracts["BalancerVault"], weth, amount, 0, builder_bps, hops), profit


def losing_route(r: Replica) -> Route:
    m = r.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    pools = [pool_model(r, "sushiswap", "WETH", "USDC", 30), pool_model(r, "uniswap_v2", "WETH", "USDC", 30)]
    hops = (hop(pools[0], weth, False), hop(pools[1], usdc, False))
    return Route(Capital.BALANCER, m.contracts["BalancerVault"], weth, 10**18, 0, 0, hops)


def send(r: Replica, executor: Contract, route: Route, expected: int, tip: int = 0) -> Sent:
    """Sent with a fixed gas limit, so a losing route is mined and reverts on chain (no estimate first)."""
    tx = executor.functions.execute(encode(route)).transact(
        {"from": r.w3.eth.accounts[0], "maxPriorityFeePerGas": tip, "gas": 3_000_000}
    )
    receipt = dict(r.w3.eth.wait_for_transaction_receipt(tx))
    return Sent("0x" + bytes(tx).hex(), receipt, route, expected)


def weth_contract(r: Replica) -> Contract:
    return r.w3.eth.contract(address=r.manifest.token("WETH").address, abi=artifacts.load("WETH9").abi)


def weth_balance(r: Replica, holder: str, block: int | str = "latest") -> int:
    return weth_contract(r).functions.balanceOf(holder).call(block_identifier=block)
