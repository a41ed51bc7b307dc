"""Which stored pool states are stale, read from the replica's real logs: only pools a Sync/Swap/Mint/Burn
touched after their stored block, through a node that refuses wide log ranges; an unreadable answer
marks its whole batch stale rather than none."""

from __future__ import annotations

from typing import Any

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts
from arbbot.state.stale import touched_since
from arbbot.testing.fault_proxy import FaultProxy, Faults
from tests.conftest import Replica

WETH_ABI = [
    {"type": "function", "name": "deposit", "stateMutability": "payable", "inputs": [], "outputs": []},
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "s", "type": "address"}, {"name": "a", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
]  # fmt: skip


def _swap(r: Replica, venue: str, symbol: str) -> int:
    """Swap 0.1 WETH for `symbol` through the venue's Router02 (one pool touched); the block it landed in."""
    w3, m = r.w3, r.manifest
    me = w3.eth.accounts[0]
    weth, other = m.token("WETH").address, m.token(symbol).address
    router_address = m.venues[venue].router
    token = w3.eth.contract(address=weth, abi=WETH_ABI)
    token.functions.deposit().transact({"from": me, "value": 10**17})
    token.functions.approve(router_address, 2**256 - 1).transact({"from": me})
    router = w3.eth.contract(address=router_address, abi=artifacts.load("UniswapV2Router02").abi)
    tx = router.functions.swapExactTokensForTokens(10**17, 0, [weth, other], me, 2**32).transact({"from": me})
    receipt = w3.eth.wait_for_transaction_receipt(tx)  # automine seals the block after the send returns
    assert receipt["status"] == 1
    return int(receipt["blockNumber"])


def _pool(r: Replica, venue: str, a: str, b: str) -> str:
    return next(p.address for p in r.manifest.pools if p.venue == venue and {p.token0, p.token1} == {a, b})


def test_only_pools_touched_after_their_stored_block(replica: Replica) -> None:
    start = replica.w3.eth.block_number
    first = _swap(replica, "uniswap_v2", "USDC")
    _swap(replica, "sushiswap", "USDC")
    head = replica.w3.eth.block_number
    uni, sushi = _pool(replica, "uniswap_v2", "WETH", "USDC"), _pool(replica, "sushiswap", "WETH", "USDC")
    states = {p.address: start for p in replica.manifest.pools}
    faults = Faults(max_log_range=2)  # the scan is 5+ blocks wide: the node refuses it until it shrinks
    with FaultProxy(replica.url, faults) as proxy:
        assert touched_since(RpcClient(proxy.url), states, head) == {uni.lower(), sushi.lower()}
        assert faults.seen_methods.count("eth_getLogs") >= 3
        # The Uniswap pair stored at the block of its own swap: that swap is already in its state.
        assert touched_since(RpcClient(proxy.url), {**states, uni: first}, head) == {sushi.lower()}
        # Everything stored at the head: nothing to ask.
        faults.seen_methods.clear()
        assert touched_since(RpcClient(proxy.url), dict.fromkeys(states, head), head) == set()
        assert faults.seen_methods == []


def test_an_unreadable_log_answer_marks_the_batch_stale(replica: Replica) -> None:
    start = replica.w3.eth.block_number
    _swap(replica, "uniswap_v2", "USDC")
    head = replica.w3.eth.block_number

    def garble(request: dict[str, Any], result: Any) -> Any:
        if request.get("method") == "eth_getLogs":
            return [{"address": entry.get("address"), "blockNumber": "not a number"} for entry in result]
        return result

    states = {p.address: start for p in replica.manifest.pools}
    with FaultProxy(replica.url, Faults(rewrite=garble)) as proxy:
        got = touched_since(RpcClient(proxy.url), states, head)
    assert got == {a.lower() for a in states}
