"""Token quirks are detected on real contracts: fee-on-transfer, reverting decimals, bytes32 names."""

from __future__ import annotations

from pathlib import Path

from arbbot.chain.rpc import RpcClient
from arbbot.devnet.compiler import compile_files
from arbbot.state import lens
from arbbot.state.tokens import fee_on_transfer_via_pair, read_tokens
from tests.conftest import Replica

NONSTANDARD = Path(__file__).resolve().parents[3] / "contracts" / "src" / "testing" / "NonStandardToken.sol"


def test_metadata_of_standard_and_quirky_tokens(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    art = compile_files([NONSTANDARD])["NonStandardToken"]
    tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(10**24).transact({"from": w3.eth.accounts[0]})
    odd = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    eoa = w3.eth.accounts[9]
    meta = read_tokens(RpcClient(replica.url), [m.token("USDC").address, m.token("WBTC").address, odd, eoa])
    usdc = meta[m.token("USDC").address]
    assert (usdc.decimals, usdc.symbol, usdc.non_standard) == (6, "USDC", False)
    assert meta[m.token("WBTC").address].decimals == 8
    quirky = meta[odd]
    assert quirky.decimals is None and quirky.symbol == "NSTD" and quirky.name == "Non Standard"
    assert quirky.non_standard
    assert meta[eoa].decimals is None and meta[eoa].non_standard  # not a contract at all


def test_fee_on_transfer_is_detected_through_a_pair(replica: Replica) -> None:
    m = replica.manifest
    rpc = RpcClient(replica.url)
    reserves = lens.read_v2(rpc, [p.address for p in m.pools if p.kind == "uniswap_v2"])
    for pool in (p for p in m.pools if p.kind == "uniswap_v2"):
        r = reserves[pool.address]
        assert r is not None
        flags = fee_on_transfer_via_pair(rpc, pool.address, r.reserve0, r.reserve1)
        assert flags == (pool.token0 == "FOT", pool.token1 == "FOT"), pool
    after = lens.read_v2(rpc, list(reserves))
    assert after == reserves  # the probe never moves anything
