"""Balancer V2 pools on the replica: the real WeightedPoolFactory (v3) and ComposableStablePoolFactory (v3) over
the replica's Vault.

The factories and their ProtocolFeePercentagesProvider are the npm `@balancer-labs/v2-deployments` artifacts,
each deployed only when a scenario lists pools of its kind; each pool is created through its factory (tokens
sorted by address, as the Vault requires), owned by the deployer (who may change its swap fee, and a stable
pool's amplification) and INIT-joined with the scenario's amounts. A stable pool token with a scenario rate gets
a `ReplicaRateProvider` (replica-side, its deployer sets the rate).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.logs import DISCARD

from arbbot.chain.addresses import ZERO_ADDRESS
from arbbot.devnet import artifacts, compiler
from arbbot.devnet.manifest import BalancerPoolEntry
from arbbot.devnet.scenario import BalancerStablePoolSpec, BalancerWeightedPoolSpec
from arbbot.errors import DevnetError

if TYPE_CHECKING:
    from arbbot.devnet.replica import ReplicaBuilder

# Mainnet's settings for the provider (50% caps on the yield and AUM fees) and the v3 version strings.
MAX_YIELD_FEE = MAX_AUM_FEE = 5 * 10**17
FACTORY_VERSION = '{"name":"WeightedPoolFactory","version":3,"deployment":"20230206-weighted-pool-v3"}'
POOL_VERSION = '{"name":"WeightedPool","version":3,"deployment":"20230206-weighted-pool-v3"}'
STABLE_FACTORY_VERSION = (
    '{"name":"ComposableStablePoolFactory","version":3,"deployment":"20230206-composable-stable-pool-v3"}'
)
STABLE_POOL_VERSION = '{"name":"ComposableStablePool","version":3,"deployment":"20230206-composable-stable-pool-v3"}'
JOIN_KIND_INIT = 0
UINT256_MAX = 2**256 - 1


def deploy_weighted_factory(b: ReplicaBuilder) -> None:
    """Deploy the ProtocolFeePercentagesProvider and the WeightedPoolFactory against the replica's Vault."""
    vault = b.contracts["BalancerVault"]
    with b.progress.stage("deploy Balancer WeightedPoolFactory", total=2) as st:
        provider = b._deploy(
            artifacts.load("BalancerProtocolFeePercentagesProvider"), vault, MAX_YIELD_FEE, MAX_AUM_FEE
        )
        st.advance()
        factory = b._deploy(
            artifacts.load("BalancerWeightedPoolFactory"), vault, provider.address, FACTORY_VERSION, POOL_VERSION
        )
        st.advance()
    b.contracts.update(
        {"BalancerProtocolFeePercentagesProvider": provider.address, "BalancerWeightedPoolFactory": factory.address}
    )


def _amounts(b: ReplicaBuilder, spec: BalancerWeightedPoolSpec) -> list[int]:
    """Raw amounts per token (in `spec.tokens` order): explicit, or the pool's ETH value split by weight."""
    if spec.amounts is not None:
        return [int(a) for a in spec.amounts]
    assert spec.depth_eth is not None  # the spec validates exactly one of the two
    out = []
    for k, (sym, weight) in enumerate(zip(spec.tokens, spec.weights, strict=True)):
        token = b._spec(sym)
        value = Fraction(spec.depth_eth) * Fraction(Decimal(weight))
        amount = value / Fraction(Decimal(token.price_eth)) * 10**token.decimals
        if k == len(spec.tokens) - 1:
            amount /= b._price_factor(spec.skew_bps)
        if int(amount) <= 0:
            raise DevnetError(f"scenario {b.sc.name}: Balancer pool {spec.tokens} puts no {sym} in")
        out.append(int(amount))
    return out


def _refused(b: ReplicaBuilder, pool: str, exc: Exception, hint: str = "") -> DevnetError:
    """A pool the factory or the pool itself refused, as one line naming it and the Vault's code (no traceback)."""
    reason = str(exc.args[0] if exc.args else exc).splitlines()[0]
    return DevnetError(f"scenario {b.sc.name}: {pool}: the pool refused its creation or INIT join ({reason}){hint}")


def create_weighted_pools(b: ReplicaBuilder) -> None:
    """Create the scenario's weighted pools through the factory, INIT-join each and record it in the manifest."""
    specs = b.sc.balancer_weighted_pools
    if not specs:
        return
    deploy_weighted_factory(b)
    factory = b._at("BalancerWeightedPoolFactory", b.contracts["BalancerWeightedPoolFactory"])
    vault = b._at("BalancerVault", b.contracts["BalancerVault"])
    with b.progress.stage("create and join Balancer weighted pools", total=len(specs)) as st:
        for k, spec in enumerate(specs):
            try:
                _create_weighted_pool(b, vault, factory, spec)
            except (ContractLogicError, Web3RPCError) as exc:
                # A weight under 1%, a fee out of range, an INIT join whose invariant rounds to zero.
                raise _refused(b, f"balancer_weighted_pools[{k}] {spec.tokens}", exc) from None
            st.advance()


def _create_weighted_pool(b: ReplicaBuilder, vault: Any, factory: Any, spec: BalancerWeightedPoolSpec) -> None:
    amounts = _amounts(b, spec)
    rows = sorted(
        zip(spec.tokens, spec.weights_wad, amounts, strict=True),
        key=lambda r: int(b.tokens[r[0]].address, 16),
    )
    symbols = [r[0] for r in rows]
    addresses = [b.tokens[s].address for s in symbols]
    weights = [r[1] for r in rows]
    balances = [r[2] for r in rows]
    label = "-".join(f"{w * 100 // 10**18}{s}" for s, w in zip(symbols, weights, strict=True))
    receipt = b._tx(
        factory.functions.create(
            f"Balancer {label}", f"B-{label}", addresses, weights, [ZERO_ADDRESS] * len(addresses),
            spec.swap_fee_wad, b.deployer,
        )
    )  # fmt: skip
    created = factory.events.PoolCreated().process_receipt(receipt, errors=DISCARD)
    if len(created) != 1:
        raise DevnetError(f"replica build: WeightedPoolFactory.create for {symbols} logged no PoolCreated")
    pool = b._at("BalancerWeightedPool", created[0]["args"]["pool"])
    pool_id = pool.functions.getPoolId().call()
    for sym, amount in zip(symbols, balances, strict=True):
        b._fund(sym, amount, spender=vault.address)
    user_data = encode(["uint256", "uint256[]"], [JOIN_KIND_INIT, balances])
    request = (addresses, [UINT256_MAX] * len(addresses), user_data, False)
    b._tx(vault.functions.joinPool(pool_id, b.deployer, b.deployer, request))
    held = vault.functions.getPoolTokens(pool_id).call()
    if list(held[0]) != addresses or list(held[1]) != balances:
        raise DevnetError(f"replica build: Balancer pool {pool.address} holds {held[1]}, expected {balances}")
    b.balancer_pools.append(
        BalancerPoolEntry(
            kind="balancer_weighted",
            address=pool.address,
            pool_id="0x" + bytes(pool_id).hex(),
            factory=factory.address,
            tokens=symbols,
            weights=weights,
            swap_fee=spec.swap_fee_wad,
            balances=balances,
        )
    )


def _fee_provider(b: ReplicaBuilder) -> str:
    """The replica's ProtocolFeePercentagesProvider, deployed on first use."""
    if "BalancerProtocolFeePercentagesProvider" not in b.contracts:
        provider = b._deploy(
            artifacts.load("BalancerProtocolFeePercentagesProvider"),
            b.contracts["BalancerVault"], MAX_YIELD_FEE, MAX_AUM_FEE,
        )  # fmt: skip
        b.contracts["BalancerProtocolFeePercentagesProvider"] = provider.address
    return b.contracts["BalancerProtocolFeePercentagesProvider"]


def _stable_amounts(b: ReplicaBuilder, spec: BalancerStablePoolSpec) -> list[int]:
    """Raw amounts per token (in `spec.tokens` order): explicit, or the pool's ETH value split evenly."""
    if spec.amounts is not None:
        return [int(a) for a in spec.amounts]
    assert spec.depth_eth is not None  # the spec validates exactly one of the two
    out = []
    for k, sym in enumerate(spec.tokens):
        token = b._spec(sym)
        amount = Fraction(spec.depth_eth, len(spec.tokens)) / Fraction(Decimal(token.price_eth)) * 10**token.decimals
        if k == len(spec.tokens) - 1:
            amount /= b._price_factor(spec.skew_bps)
        if int(amount) <= 0:
            raise DevnetError(f"scenario {b.sc.name}: Balancer stable pool {spec.tokens} puts no {sym} in")
        out.append(int(amount))
    return out


def create_stable_pools(b: ReplicaBuilder) -> None:
    """Create the scenario's composable stable pools through the factory (rate providers first, where the scenario
    gives a rate), INIT-join each and record it in the manifest."""
    specs = b.sc.balancer_stable_pools
    if not specs:
        return
    vault = b._at("BalancerVault", b.contracts["BalancerVault"])
    with b.progress.stage("create and join Balancer composable stable pools", total=len(specs) + 1) as st:
        factory = b._deploy(
            artifacts.load("BalancerComposableStablePoolFactory"),
            vault.address, _fee_provider(b), STABLE_FACTORY_VERSION, STABLE_POOL_VERSION,
        )  # fmt: skip
        b.contracts["BalancerComposableStablePoolFactory"] = factory.address
        st.advance()
        for k, spec in enumerate(specs):
            try:
                _create_stable_pool(b, vault, factory, spec)
            except (ContractLogicError, Web3RPCError) as exc:
                # An INIT join whose invariant passes the 2^111 preminted BPT reverts BAL#001.
                hint = "; its invariant (the sum of the 18-decimal, rate-scaled amounts, about) must stay below 2^111"
                raise _refused(b, f"balancer_stable_pools[{k}] {spec.tokens}", exc, hint) from None
            st.advance()


def _create_stable_pool(b: ReplicaBuilder, vault: Any, factory: Any, spec: BalancerStablePoolSpec) -> None:
    rows = sorted(
        zip(spec.tokens, _stable_amounts(b, spec), strict=True), key=lambda r: int(b.tokens[r[0]].address, 16)
    )
    symbols = [r[0] for r in rows]
    addresses = [b.tokens[s].address for s in symbols]
    providers: dict[str, str] = {}
    for sym in symbols:
        rate = spec.rate_wad(sym)
        if rate is not None:
            providers[sym] = b._deploy(compiler.replica_contracts()["ReplicaRateProvider"], rate).address
    durations = [spec.rate_cache_duration if s in providers else 0 for s in symbols]
    label = "-".join(symbols)
    receipt = b._tx(
        factory.functions.create(
            f"Balancer stable {label}", f"BS-{label}", addresses, spec.amp,
            [providers.get(s, ZERO_ADDRESS) for s in symbols], durations, [s in spec.yield_exempt for s in symbols],
            spec.swap_fee_wad, b.deployer,
        )
    )  # fmt: skip
    created = factory.events.PoolCreated().process_receipt(receipt, errors=DISCARD)
    if len(created) != 1:
        raise DevnetError(f"replica build: ComposableStablePoolFactory.create for {symbols} logged no PoolCreated")
    pool = b._at("BalancerComposableStablePool", created[0]["args"]["pool"])
    pool_id = pool.functions.getPoolId().call()
    registered = list(vault.functions.getPoolTokens(pool_id).call()[0])
    bpt_index = pool.functions.getBptIndex().call()
    if registered[bpt_index] != pool.address or [t for t in registered if t != pool.address] != addresses:
        raise DevnetError(f"replica build: Balancer stable pool {pool.address} registers {registered}")
    balances = [r[1] for r in rows]
    for sym, amount in zip(symbols, balances, strict=True):
        b._fund(sym, amount, spender=vault.address)
    # The INIT join lists every registered token; the BPT's slot is 0 (the pool premints its own supply).
    init = list(balances)
    init.insert(bpt_index, 0)
    user_data = encode(["uint256", "uint256[]"], [JOIN_KIND_INIT, init])
    b._tx(
        vault.functions.joinPool(
            pool_id, b.deployer, b.deployer, (registered, [UINT256_MAX] * len(registered), user_data, False)
        )
    )
    held = list(vault.functions.getPoolTokens(pool_id).call()[1])
    del held[bpt_index]
    if held != balances:
        raise DevnetError(f"replica build: Balancer stable pool {pool.address} holds {held}, expected {balances}")
    b.balancer_pools.append(
        BalancerPoolEntry(
            kind="balancer_composable_stable",
            address=pool.address,
            pool_id="0x" + bytes(pool_id).hex(),
            factory=factory.address,
            tokens=symbols,
            swap_fee=spec.swap_fee_wad,
            balances=balances,
            amp=spec.amp,
            bpt_index=bpt_index,
            rate_providers=providers,
        )
    )
