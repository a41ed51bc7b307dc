"""Generated (bulk) scenarios: every generated pool is real, funded and where the manifest says."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import scenario, snapshot
from arbbot.state import lens

SCENARIO = """
name = "gen-test"
seed = 99
v2_venues = ["uniswap_v2", "sushiswap"]
[[tokens]]
symbol = "USDC"
decimals = 6
price_eth = "0.0003"
[generate]
tokens = 12
v2_pools = 40
v3_pools = 8
v3_positions = 2
"""


@pytest.mark.replica
def test_generated_pools_exist_with_liquidity(tmp_path: Path) -> None:
    path = tmp_path / "gen.toml"
    path.write_text(SCENARIO)
    sc, _ = scenario.load(str(path))
    assert sc.generate is not None and sc.generate.v2_pools == 40
    node, manifest = snapshot.start(str(path), log_path=tmp_path / "anvil.log")
    try:
        rpc = RpcClient(node.url)
        v2 = [p for p in manifest.pools if p.kind == "uniswap_v2"]
        v3 = [p for p in manifest.pools if p.kind == "uniswap_v3"]
        assert (len(v2), len(v3)) == (40, 8)
        assert {p.venue for p in v2} == {"uniswap_v2", "sushiswap"}
        reserves = lens.read_v2(rpc, [p.address for p in v2])
        assert all(r is not None and r.reserve0 > 0 and r.reserve1 > 0 for r in reserves.values())
        states = lens.read_v3(rpc, [p.address for p in v3])
        for pool in v3:
            st = states[pool.address]
            assert st is not None and st.tick_spacing == pool.tick_spacing and len(st.ticks) >= 2
        # Generated tokens carry the decimals the manifest records.
        w3 = Web3(HTTPProvider(node.url))
        abi = [
            {
                "name": "decimals",
                "type": "function",
                "inputs": [],
                "outputs": [{"type": "uint8"}],
                "stateMutability": "view",
            }
        ]
        for tok in manifest.tokens:
            assert w3.eth.contract(address=tok.address, abi=abi).functions.decimals().call() == tok.decimals
        npm = manifest.contracts["NonfungiblePositionManager"]
        erc20 = [
            {
                "name": "allowance",
                "type": "function",
                "inputs": [{"type": "address"}, {"type": "address"}],
                "outputs": [{"type": "uint256"}],
                "stateMutability": "view",
            }
        ]
        for tok in manifest.tokens:
            if tok.symbol.startswith("G"):  # nothing left approved to the position manager
                c = w3.eth.contract(address=tok.address, abi=erc20)
                assert c.functions.allowance(manifest.deployer, npm).call() == 0
        # The head block carries the normal gas limit (bulk blocks were larger).
        assert int(rpc.call("eth_getBlockByNumber", ["latest", False])["gasLimit"], 16) == 30_000_000
    finally:
        node.stop()
