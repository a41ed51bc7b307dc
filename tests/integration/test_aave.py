"""An Aave V3 market deployed from the unmodified npm artifacts serves flash loans on the replica."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.devnet import aave, artifacts, compiler, scenario
from arbbot.devnet.manifest import Manifest
from arbbot.devnet.replica import GENESIS_TIMESTAMP, ReplicaBuilder

LISTED = ("WETH", "USDC", "WBTC", "DAI")


@dataclass
class Market:
    w3: Web3
    url: str
    manifest: Manifest
    addresses: dict[str, str]
    liquidity: dict[str, int]
    deploy_gas: int
    deploy_seconds: float


@pytest.fixture(scope="module")
def market_session() -> Iterator[Market]:
    with AnvilNode(extra_args=["--timestamp", str(GENESIS_TIMESTAMP)]) as node:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        sc, _ = scenario.load("default")
        manifest = ReplicaBuilder(w3, sc).build("test")
        deployer = w3.eth.accounts[0]
        tokens = {sym: manifest.token(sym).address for sym in LISTED}
        liquidity = {sym: 1_000 * 10 ** manifest.token(sym).decimals for sym in LISTED}
        prices = {sym: sc.token(sym).price_eth for sym in LISTED}
        first = w3.eth.block_number + 1
        start = time.monotonic()
        addresses = aave.deploy_aave(w3, deployer, manifest.contracts["WETH9"], tokens, liquidity, prices_eth=prices)
        seconds = time.monotonic() - start
        gas = sum(w3.eth.get_block(n)["gasUsed"] for n in range(first, w3.eth.block_number + 1))
        yield Market(w3, node.url, manifest, addresses, liquidity, gas, seconds)


@pytest.fixture
def market(market_session: Market) -> Iterator[Market]:
    snap_id = rpc(market_session.url, "evm_snapshot")
    try:
        yield market_session
    finally:
        rpc(market_session.url, "evm_revert", [snap_id])


def _erc20(m: Market, address: str):
    return m.w3.eth.contract(address=address, abi=compiler.replica_contracts()["ReplicaToken"].abi)


def _probe(m: Market):
    art = compiler.replica_contracts()["AaveFlashProbe"]
    deployer = m.w3.eth.accounts[0]
    tx = (
        m.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        .constructor(m.addresses["AavePool"])
        .transact({"from": deployer})
    )
    return m.w3.eth.contract(address=m.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=art.abi)


def test_market_is_wired_and_seeded(market: Market) -> None:
    w3, a = market.w3, market.addresses
    provider = w3.eth.contract(address=a["AavePoolAddressesProvider"], abi=aave.load("PoolAddressesProvider").abi)
    assert provider.functions.getPool().call() == a["AavePool"]
    assert provider.functions.getPoolConfigurator().call() == a["AavePoolConfigurator"]
    assert provider.functions.getACLManager().call() == a["AaveACLManager"]
    assert provider.functions.getPriceOracle().call() == a["AaveOracle"]
    acl = w3.eth.contract(address=a["AaveACLManager"], abi=aave.load("ACLManager").abi)
    deployer = w3.eth.accounts[0]
    assert acl.functions.isPoolAdmin(deployer).call()
    pool = w3.eth.contract(address=a["AavePool"], abi=aave.load("Pool").abi)
    assert pool.functions.FLASHLOAN_PREMIUM_TOTAL().call() == aave.FLASHLOAN_PREMIUM_TOTAL_BPS
    assert len(pool.functions.getReservesList().call()) == len(LISTED)
    oracle = w3.eth.contract(address=a["AaveOracle"], abi=aave.load("AaveOracle").abi)
    weth = market.manifest.contracts["WETH9"]
    assert oracle.functions.getAssetPrice(weth).call() == 10**18
    assert oracle.functions.getAssetPrice(market.manifest.token("USDC").address).call() > 0
    for sym in LISTED:
        token = _erc20(market, market.manifest.token(sym).address)
        a_token = _erc20(market, a[f"a{sym}"])
        assert a_token.functions.symbol().call() == f"a{sym}"
        assert token.functions.balanceOf(a[f"a{sym}"]).call() == market.liquidity[sym]
        assert a_token.functions.balanceOf(deployer).call() == market.liquidity[sym]
        assert token.functions.allowance(deployer, a["AavePool"]).call() == 0
    # Reported for the write-up (pytest -s).
    print(f"\nAave deploy: {market.deploy_gas:,} gas, {market.deploy_seconds:.1f} s")


@pytest.mark.parametrize("symbol", ["WETH", "USDC"])
def test_aave_flash_loan_simple_round_trips(market: Market, symbol: str) -> None:
    w3, a = market.w3, market.addresses
    deployer = w3.eth.accounts[0]
    probe = _probe(market)
    token = _erc20(market, market.manifest.token(symbol).address)
    a_token = a[f"a{symbol}"]
    amount = market.liquidity[symbol] * 3 // 4 + 7  # odd amount: exercises the half-up rounding
    premium = aave.premium_for(amount)
    assert premium == (amount * 5 + 5_000) // 10_000 > 0
    # The probe holds only the premium; everything else it repays comes from the loan itself.
    if symbol == "WETH":
        w3.eth.wait_for_transaction_receipt(
            w3.eth.contract(address=token.address, abi=artifacts.load("WETH9").abi)
            .functions.deposit()
            .transact({"from": deployer, "value": premium})
        )
    else:
        w3.eth.wait_for_transaction_receipt(token.functions.mint(deployer, premium).transact({"from": deployer}))
    w3.eth.wait_for_transaction_receipt(token.functions.transfer(probe.address, premium).transact({"from": deployer}))
    before = token.functions.balanceOf(a_token).call()
    receipt = w3.eth.wait_for_transaction_receipt(
        probe.functions.borrow(token.address, amount).transact({"from": deployer})
    )
    assert receipt["status"] == 1
    assert probe.functions.lastAmount().call() == amount
    assert probe.functions.lastPremium().call() == premium
    assert probe.functions.lastBalanceDuringLoan().call() == amount + premium
    assert token.functions.balanceOf(a_token).call() == before + premium
    assert token.functions.balanceOf(probe.address).call() == 0
    assert token.functions.allowance(probe.address, a["AavePool"]).call() == 0
    # Suppliers earn the premium: the deployer's aToken balance grew.
    assert _erc20(market, a_token).functions.balanceOf(deployer).call() > market.liquidity[symbol]


def test_aave_flash_loan_beyond_liquidity_reverts(market: Market) -> None:
    w3 = market.w3
    probe = _probe(market)
    usdc = _erc20(market, market.manifest.token("USDC").address)
    available = usdc.functions.balanceOf(market.addresses["aUSDC"]).call()
    # The aToken cannot hand out more than it holds: OpenZeppelin's ERC20InsufficientBalance(aUSDC, ...).
    selector = Web3.keccak(text="ERC20InsufficientBalance(address,uint256,uint256)")[:4].hex()
    a_usdc = market.addresses["aUSDC"].lower().removeprefix("0x")
    with pytest.raises(Exception, match=f"{selector}0{{24}}{a_usdc}"):
        probe.functions.borrow(usdc.address, available + 1).call({"from": w3.eth.accounts[0]})


def test_only_the_pool_may_call_the_probe(market: Market) -> None:
    probe = _probe(market)
    usdc = market.manifest.token("USDC").address
    selector = Web3.keccak(text="OnlyPool(address)")[:4].hex()
    with pytest.raises(Exception, match=selector):
        probe.functions.executeOperation(usdc, 1, 0, probe.address, b"").call({"from": market.w3.eth.accounts[0]})
