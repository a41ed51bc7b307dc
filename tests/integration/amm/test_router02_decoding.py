"""Router02 exact-output swaps proven on real bytecode: the replica's UniswapV2Router02 (npm) runs the very
calldata the decoder reads, and the predicted hops and pair reserves afterwards equal the chain's to the wei.

Router02 pays each pair's quoted output exactly (`getAmountsIn`, then `swap(amounts[i+1])`), so a pair that
could pay more for the rounded-up input keeps the difference: the model must not swap the input forward."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi import decode as abi_decode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import HTTPProvider, Web3

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.chain.anvil import AnvilNode, pid_alive
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.context import known_pools, routers_from_manifest
from arbbot.devnet.manifest import Manifest
from arbbot.engine.bootstrap import directory_for, load_store
from arbbot.strategy.backrun import apply_victim
from arbbot.strategy.mempool import decode_swap

pytestmark = pytest.mark.replica

V2_SWAP = "0x" + keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()
DEADLINE = 2**63


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Manifest]]:
    snap = snapshot.ensure("default")
    n = AnvilNode(load_state=snap.state_path, log_path=Path(tmp_path_factory.mktemp("r02")) / "anvil.log")
    n.start()
    pid = n.pid
    try:
        yield n.url, snap.manifest
    finally:
        n.stop()
    assert not pid_alive(pid)


def _prove(url: str, m: Manifest, fn: str, args: list, value: int = 0) -> list[tuple[str, int, int]]:  # type: ignore[type-arg]
    """Decode and predict a Router02 call, run it from the victim's account and compare hop by hop and reserve
    by reserve. Returns the chain's hops (pair, amount in, amount out)."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    (router,) = [r for r in routers_from_manifest(m) if r.kind == "uniswap_v2_router02" and r.factory == (
        m.venues["uniswap_v2"].factory)]  # fmt: skip
    contract = w3.eth.contract(address=router.address, abi=artifacts.load("UniswapV2Router02").abi)
    data = contract.encode_abi(fn, args=args)
    weth = m.token("WETH").address
    discovered = known_pools(m)
    before = load_store(RpcClient(url), discovered, weth=weth)
    swaps = decode_swap(
        {"to": router.address, "input": data, "value": hex(value)}, {router.address.lower(): router.kind}, weth
    )
    assert swaps is not None
    effect = apply_victim(swaps, router, before.pools, directory_for(discovered))
    assert effect is not None
    victim = w3.eth.accounts[6]
    tx = w3.eth.send_transaction({"from": victim, "to": router.address, "data": data, "value": value, "gas": 1_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    chain = []
    for log in receipt["logs"]:
        if "0x" + bytes(log["topics"][0]).hex() == V2_SWAP:
            a0in, a1in, a0out, a1out = abi_decode(["uint256"] * 4, bytes(log["data"]))
            chain.append((log["address"].lower(), a0in + a1in, a0out + a1out))
    assert [(h.pool, h.amount_in, h.amount_out) for h in effect.hops] == chain
    after = load_store(RpcClient(url), discovered, weth=weth)
    for address, model in effect.pools.items():
        assert isinstance(model, UniswapV2Pool)
        live = after.pools[address]
        assert (model.reserve0, model.reserve1) == (live.reserve0, live.reserve1), address  # type: ignore[attr-defined]
    return chain


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(usdc_whole=st.integers(1, 30_000), two_hops=st.booleans())
def test_eth_for_exact_tokens_pays_the_quoted_outputs_exactly(
    node: tuple[str, Manifest], usdc_whole: int, two_hops: bool
) -> None:
    """swapETHForExactTokens into USDC (6 decimals), directly or through DAI: every pair pays exactly the
    quoted output, and the leftover ETH goes back to the sender (the reserves say so to the wei)."""
    url, m = node
    snap_id = raw_rpc(url, "evm_snapshot", [])
    try:
        weth, usdc, dai = (m.token(s).address for s in ("WETH", "USDC", "DAI"))
        want = usdc_whole * 10**6 + 123_457
        path = [weth, dai, usdc] if two_hops else [weth, usdc]
        chain = _prove(url, m, "swapETHForExactTokens", [want, path, Web3.to_checksum_address(
            Web3(HTTPProvider(url)).eth.accounts[6]), DEADLINE], value=40 * 10**18)  # fmt: skip
        assert chain[-1][2] == want
    finally:
        assert raw_rpc(url, "evm_revert", [snap_id]) is True


def test_tokens_for_exact_eth_where_the_pair_could_pay_more(node: tuple[str, Manifest]) -> None:
    """USDC in, an exact amount of ETH out: the rounded-up USDC input would buy more WETH than asked (up to a
    USDC unit's worth, about 10^8 wei), and Router02 still takes exactly what was asked."""
    url, m = node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    snap_id = raw_rpc(url, "evm_snapshot", [])
    try:
        weth, usdc = m.token("WETH").address, m.token("USDC").address
        victim = w3.eth.accounts[6]
        # The victim first buys USDC and approves the router (transactions before the one under test).
        _prove(url, m, "swapExactETHForTokens", [1, [weth, usdc], victim, DEADLINE], value=5 * 10**18)
        router = m.venues["uniswap_v2"].router
        approve = w3.eth.contract(address=usdc, abi=ERC20_APPROVE).functions.approve(router, 2**256 - 1)
        assert w3.eth.wait_for_transaction_receipt(approve.transact({"from": victim}))["status"] == 1
        pair = w3.eth.contract(address=Web3.to_checksum_address(_pair(m)), abi=GET_RESERVES)
        r0, r1, _ = pair.functions.getReserves().call()
        usdc_is_0 = int(usdc, 16) < int(weth, 16)
        r_usdc, r_weth = (r0, r1) if usdc_is_0 else (r1, r0)
        want = 10**18 + 1
        (hop,) = _prove(url, m, "swapTokensForExactETH", [want, 10**12, [usdc, weth], victim, DEADLINE])
        assert hop[2] == want
        # The pair's own formula (997/1000) on the input it took: more than was asked, and not paid.
        could = hop[1] * 997 * r_weth // (r_usdc * 1000 + hop[1] * 997)
        assert could > want
    finally:
        assert raw_rpc(url, "evm_revert", [snap_id]) is True


ERC20_APPROVE = [{"type": "function", "name": "approve", "stateMutability": "nonpayable",
                  "inputs": [{"name": "s", "type": "address"}, {"name": "a", "type": "uint256"}],
                  "outputs": [{"name": "", "type": "bool"}]}]  # fmt: skip
GET_RESERVES = [{"type": "function", "name": "getReserves", "stateMutability": "view", "inputs": [],
                 "outputs": [{"name": "r0", "type": "uint112"}, {"name": "r1", "type": "uint112"},
                             {"name": "t", "type": "uint32"}]}]  # fmt: skip


def _pair(m: Manifest) -> str:
    return next(
        p.address for p in m.pools
        if p.kind == "uniswap_v2" and p.venue == "uniswap_v2" and {p.token0, p.token1} == {"WETH", "USDC"}
    )  # fmt: skip
