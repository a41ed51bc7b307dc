"""Deploy a working Aave V3 market on the replica from the unmodified @aave/core-v3 npm artifacts.

What a real deployment does, in order: the PoolAddressesProvider, the ACL (the deployer is ACL admin
and pool admin), the logic libraries linked into the Pool implementation, the Pool and PoolConfigurator
implementations handed to the provider (which deploys and initializes their proxies), the token
implementations bound to the Pool proxy, an interest rate strategy, an AaveOracle, then one reserve per
token with flash loans enabled, and finally the deployer's supply so the Pool has liquidity to lend.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from web3 import Web3
from web3.contract import Contract

from arbbot.devnet.artifacts import Artifact, _as_hex
from arbbot.errors import ArtifactError, DevnetError
from arbbot.paths import checkout

log = logging.getLogger(__name__)

_AAVE = "@aave/core-v3/artifacts/contracts/"
# name -> path inside node_modules; the version is pinned in package.json / package-lock.json.
AAVE_ARTIFACTS: dict[str, str] = {
    "PoolAddressesProvider": "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
    "ACLManager": "protocol/configuration/ACLManager.sol/ACLManager.json",
    "BorrowLogic": "protocol/libraries/logic/BorrowLogic.sol/BorrowLogic.json",
    "BridgeLogic": "protocol/libraries/logic/BridgeLogic.sol/BridgeLogic.json",
    "ConfiguratorLogic": "protocol/libraries/logic/ConfiguratorLogic.sol/ConfiguratorLogic.json",
    "EModeLogic": "protocol/libraries/logic/EModeLogic.sol/EModeLogic.json",
    "FlashLoanLogic": "protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json",
    "LiquidationLogic": "protocol/libraries/logic/LiquidationLogic.sol/LiquidationLogic.json",
    "PoolLogic": "protocol/libraries/logic/PoolLogic.sol/PoolLogic.json",
    "SupplyLogic": "protocol/libraries/logic/SupplyLogic.sol/SupplyLogic.json",
    "Pool": "protocol/pool/Pool.sol/Pool.json",
    "PoolConfigurator": "protocol/pool/PoolConfigurator.sol/PoolConfigurator.json",
    "DefaultReserveInterestRateStrategy": (
        "protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json"
    ),
    "AToken": "protocol/tokenization/AToken.sol/AToken.json",
    "VariableDebtToken": "protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json",
    "StableDebtToken": "protocol/tokenization/StableDebtToken.sol/StableDebtToken.json",
    "AaveOracle": "misc/AaveOracle.sol/AaveOracle.json",
    "MockAggregator": "mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json",
}

# Libraries with no links of their own, then FlashLoanLogic (links BorrowLogic).
POOL_LIBRARIES = ("BorrowLogic", "BridgeLogic", "EModeLogic", "LiquidationLogic", "PoolLogic", "SupplyLogic")
MARKET_ID = "Aave Ethereum Market (replica)"
FLASHLOAN_PREMIUM_TOTAL_BPS = 5  # mainnet Aave V3: 0.05%
FLASHLOAN_PREMIUM_TO_PROTOCOL_BPS = 0  # all of it to suppliers (raises the liquidity index)
RAY = 10**27
# Mainnet-like WETH strategy (RAY units). Only borrowing uses it; flash loans do not.
RATE_STRATEGY = (
    RAY * 80 // 100,  # optimalUsageRatio
    0,  # baseVariableBorrowRate
    RAY * 33 // 1000,  # variableRateSlope1
    RAY * 80 // 100,  # variableRateSlope2
    RAY * 4 // 100,  # stableRateSlope1
    RAY * 80 // 100,  # stableRateSlope2
    RAY * 2 // 100,  # baseStableRateOffset
    RAY * 8 // 100,  # stableRateExcessOffset
    RAY * 20 // 100,  # optimalStableToTotalDebtRatio
)
WAD = 10**18
ZERO_ADDRESS = "0x" + "00" * 20
_ERC20_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": name,
        "stateMutability": mut,
        "inputs": [{"name": n, "type": t} for n, t in ins],
        "outputs": [{"name": "", "type": out}] if out else [],
    }
    for name, mut, ins, out in (
        ("approve", "nonpayable", (("spender", "address"), ("amount", "uint256")), "bool"),
        ("mint", "nonpayable", (("to", "address"), ("amount", "uint256")), ""),
        ("deposit", "payable", (), ""),
        ("decimals", "view", (), "uint8"),
        ("balanceOf", "view", (("owner", "address"),), "uint256"),
        ("allowance", "view", (("owner", "address"), ("spender", "address")), "uint256"),
    )
]


def premium_for(amount: int, premium_bps: int = FLASHLOAN_PREMIUM_TOTAL_BPS) -> int:
    """The premium Aave charges on a flash loan: PercentageMath.percentMul, rounded half up."""
    return (amount * premium_bps + 5_000) // 10_000


@cache
def load(name: str) -> Artifact:
    """Load an @aave/core-v3 artifact by name (see AAVE_ARTIFACTS)."""
    rel = AAVE_ARTIFACTS.get(name)
    if rel is None:
        raise ArtifactError(f"unknown Aave artifact {name!r}; known: {', '.join(sorted(AAVE_ARTIFACTS))}")
    path = checkout(f"the Aave artifact {name}") / "node_modules" / _AAVE / rel
    if not path.is_file():
        raise ArtifactError(f"Aave artifact {name} missing at {path}; run `make setup` (npm ci) first")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"Aave artifact {name} at {path} is not valid JSON: {exc}") from exc
    abi = data.get("abi")
    bytecode = _as_hex(data.get("bytecode"))
    if not isinstance(abi, list) or len(bytecode) <= 2:
        raise ArtifactError(f"Aave artifact {name} at {path} has no ABI or no bytecode")
    return Artifact(
        name=name,
        abi=abi,
        bytecode=bytecode,
        deployed_bytecode=_as_hex(data.get("deployedBytecode")),
        link_references=data.get("linkReferences") or {},
        source=str(path),
    )


class _Deployer:
    def __init__(self, w3: Web3, deployer: str) -> None:
        self.w3 = w3
        self.deployer = Web3.to_checksum_address(deployer)
        self.gas_used = 0
        self.transactions = 0

    def tx(self, fn: Any, what: str, value: int = 0) -> Any:
        try:
            tx_hash = fn.transact({"from": self.deployer, "value": value})
        except Exception as exc:  # gas estimation surfaces the revert reason (Aave uses numeric codes)
            raise DevnetError(f"Aave deploy: {what} reverted: {exc}") from exc
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        self.gas_used += receipt["gasUsed"]
        self.transactions += 1
        if receipt["status"] != 1:
            raise DevnetError(f"Aave deploy: {what} (transaction {tx_hash.hex()}) reverted")
        return receipt

    def deploy(self, name: str, *args: Any, libraries: Mapping[str, str] | None = None) -> Contract:
        art = load(name)
        bytecode = art.linked(libraries or {}) if art.link_references else art.bytecode
        factory = self.w3.eth.contract(abi=art.abi, bytecode=bytecode)
        receipt = self.tx(factory.constructor(*args), f"deploying {name}")
        address = receipt["contractAddress"]
        if not address:
            raise DevnetError(f"Aave deploy: deploying {name} created no contract")
        return self.at(name, address)

    def at(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load(name).abi)

    def erc20(self, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=_ERC20_ABI)


def deploy_aave(
    w3: Web3,
    deployer: str,
    weth: str,
    tokens: dict[str, str],
    liquidity: dict[str, int],
    prices_eth: dict[str, Decimal | str | float] | None = None,
) -> dict[str, str]:
    """Deploy an Aave V3 market listing `tokens` (symbol -> address, WETH included) and seed it.

    `liquidity[symbol]` raw units of each token are supplied from `deployer` (WETH by wrapping ETH,
    the others by `mint`, so the deployer must be their minter); nothing is left approved. Flash loans
    are enabled on every reserve with mainnet's 0.05% premium. The AaveOracle quotes in WETH (base
    unit 1e18); `prices_eth` (symbol -> ETH per whole token) gives the other assets MockAggregator
    sources, assets without a price have none (flash loans and supply never ask the oracle).

    Returns name -> address: AavePoolAddressesProvider, AavePool (proxy), AavePoolConfigurator (proxy),
    AaveACLManager, AaveOracle, AaveInterestRateStrategy, the implementations (AavePoolImpl, ...), and
    per symbol a<SYM> / variableDebt<SYM> / stableDebt<SYM>.
    """
    d = _Deployer(w3, deployer)
    me = d.deployer
    weth = Web3.to_checksum_address(weth)
    tokens = {sym: Web3.to_checksum_address(addr) for sym, addr in tokens.items()}
    if tokens.get("WETH", weth) != weth:
        raise DevnetError(f"Aave deploy: tokens['WETH'] {tokens['WETH']} is not the WETH9 at {weth}")
    tokens.setdefault("WETH", weth)
    unknown = set(liquidity) - set(tokens)
    if unknown:
        raise DevnetError(f"Aave deploy: liquidity for unlisted tokens {sorted(unknown)}")
    out: dict[str, str] = {}

    # Registry and access control.
    provider = d.deploy("PoolAddressesProvider", MARKET_ID, me)
    d.tx(provider.functions.setACLAdmin(me), "setACLAdmin")
    acl = d.deploy("ACLManager", provider.address)
    d.tx(provider.functions.setACLManager(acl.address), "setACLManager")
    d.tx(acl.functions.addPoolAdmin(me), "addPoolAdmin")

    # Pool: libraries, implementation, proxy (deployed and initialized by the provider).
    libs = {name: d.deploy(name).address for name in POOL_LIBRARIES}
    libs["FlashLoanLogic"] = d.deploy("FlashLoanLogic", libraries={"BorrowLogic": libs["BorrowLogic"]}).address
    pool_impl = d.deploy("Pool", provider.address, libraries=libs)
    d.tx(pool_impl.functions.initialize(provider.address), "Pool implementation initialize")
    d.tx(provider.functions.setPoolImpl(pool_impl.address), "setPoolImpl")
    pool = d.at("Pool", provider.functions.getPool().call())

    # Configurator: library, implementation, proxy.
    cfg_lib = d.deploy("ConfiguratorLogic")
    cfg_impl = d.deploy("PoolConfigurator", libraries={"ConfiguratorLogic": cfg_lib.address})
    d.tx(cfg_impl.functions.initialize(provider.address), "PoolConfigurator implementation initialize")
    d.tx(provider.functions.setPoolConfiguratorImpl(cfg_impl.address), "setPoolConfiguratorImpl")
    configurator = d.at("PoolConfigurator", provider.functions.getPoolConfigurator().call())

    # Oracle (base currency WETH). Set before any reserve so the market is complete.
    assets, sources = [], []
    for sym, price in (prices_eth or {}).items():
        if sym == "WETH" or sym not in tokens:
            continue
        aggregator = d.deploy("MockAggregator", int(Decimal(str(price)) * WAD))
        out[f"AaveAggregator{sym}"] = aggregator.address
        assets.append(tokens[sym])
        sources.append(aggregator.address)
    oracle = d.deploy("AaveOracle", provider.address, assets, sources, ZERO_ADDRESS, weth, WAD)
    d.tx(provider.functions.setPriceOracle(oracle.address), "setPriceOracle")

    # Token implementations are bound to the Pool proxy (AToken.initialize checks it).
    a_impl = d.deploy("AToken", pool.address)
    v_impl = d.deploy("VariableDebtToken", pool.address)
    s_impl = d.deploy("StableDebtToken", pool.address)
    strategy = d.deploy("DefaultReserveInterestRateStrategy", provider.address, *RATE_STRATEGY)

    inputs = []
    for sym, addr in tokens.items():
        decimals = d.erc20(addr).functions.decimals().call()
        inputs.append(
            (
                a_impl.address,
                s_impl.address,
                v_impl.address,
                decimals,
                strategy.address,
                addr,
                me,  # treasury
                ZERO_ADDRESS,  # no incentives controller
                f"Aave Ethereum {sym}",
                f"a{sym}",
                f"Aave Ethereum Variable Debt {sym}",
                f"variableDebt{sym}",
                f"Aave Ethereum Stable Debt {sym}",
                f"stableDebt{sym}",
                b"",
            )
        )
    d.tx(configurator.functions.initReserves(inputs), "initReserves")
    for sym, addr in tokens.items():
        d.tx(configurator.functions.setReserveFlashLoaning(addr, True), f"setReserveFlashLoaning({sym})")
    d.tx(configurator.functions.updateFlashloanPremiumTotal(FLASHLOAN_PREMIUM_TOTAL_BPS), "flash premium")
    d.tx(configurator.functions.updateFlashloanPremiumToProtocol(FLASHLOAN_PREMIUM_TO_PROTOCOL_BPS), "premium split")

    for sym, addr in tokens.items():
        data = pool.functions.getReserveData(addr).call()
        # ReserveData: (configuration, liquidityIndex, currentLiquidityRate, variableBorrowIndex,
        # currentVariableBorrowRate, currentStableBorrowRate, lastUpdateTimestamp, id, aTokenAddress,
        # stableDebtTokenAddress, variableDebtTokenAddress, interestRateStrategyAddress, ...)
        out[f"a{sym}"] = data[8]
        out[f"stableDebt{sym}"] = data[9]
        out[f"variableDebt{sym}"] = data[10]

    # Seed liquidity: wrap or mint, approve the exact amount, supply (which spends the approval).
    for sym, amount in liquidity.items():
        if amount <= 0:
            continue
        token = d.erc20(tokens[sym])
        if tokens[sym] == weth:
            d.tx(token.functions.deposit(), f"wrap {sym}", value=amount)
        else:
            d.tx(token.functions.mint(me, amount), f"mint {sym}")
        d.tx(token.functions.approve(pool.address, amount), f"approve {sym}")
        d.tx(pool.functions.supply(tokens[sym], amount, me, 0), f"supply {sym}")
        if token.functions.allowance(me, pool.address).call() != 0:
            d.tx(token.functions.approve(pool.address, 0), f"clear approval {sym}")

    out.update(
        {
            "AavePoolAddressesProvider": provider.address,
            "AavePool": pool.address,
            "AavePoolConfigurator": configurator.address,
            "AaveACLManager": acl.address,
            "AaveOracle": oracle.address,
            "AaveInterestRateStrategy": strategy.address,
            "AavePoolImpl": pool_impl.address,
            "AavePoolConfiguratorImpl": cfg_impl.address,
            "AaveATokenImpl": a_impl.address,
            "AaveVariableDebtTokenImpl": v_impl.address,
            "AaveStableDebtTokenImpl": s_impl.address,
            "AaveConfiguratorLogic": cfg_lib.address,
            **{f"Aave{name}": addr for name, addr in libs.items()},
        }
    )
    log.info("Aave V3 market deployed: %d transactions, %d gas", d.transactions, d.gas_used)
    return out


__all__ = ["AAVE_ARTIFACTS", "FLASHLOAN_PREMIUM_TOTAL_BPS", "deploy_aave", "load", "premium_for"]
