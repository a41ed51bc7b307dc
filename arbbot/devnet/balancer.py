"""Balancer V2 weighted pools on the replica: the real WeightedPoolFactory (v3) over the replica's Vault.

The factory and its ProtocolFeePercentagesProvider are the npm `@balancer-labs/v2-deployments` artifacts,
deployed only when a scenario lists weighted pools; each pool is created through the factory (tokens
sorted by address, as the Vault requires), owned by the deployer (who may change its swap fee) and
INIT-joined with the scenario's amounts.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from eth_abi import encode
from web3.logs import DISCARD

from arbbot.chain.addresses import ZERO_ADDRESS
from arbbot.devnet import artifacts
from arbbot.devnet.manifest import BalancerPoolEntry
from arbbot.devnet.scenario import BalancerWeightedPoolSpec
from arbbot.errors import DevnetError

if TYPE_CHECKING:
    from arbbot.devnet.replica import ReplicaBuilder

# Mainnet's settings for the provider (50% caps on the yield and AUM fees) and the v3 version strings.
MAX_YIELD_FEE = MAX_AUM_FEE = 5 * 10**17
FACTORY_VERSION = '{"name":"WeightedPoolFactory","version":3,"deployment":"20230206-weighted-pool-v3"}'
POOL_VERSION = '{"name":"WeightedPool","version":3,"deployment":"20230206-weighted-pool-v3"}'
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


def create_weighted_pools(b: ReplicaBuilder) -> None:
    """Create the scenario's weighted pools through the factory, INIT-join each and record it in the manifest."""
    specs = b.sc.balancer_weighted_pools
    if not specs:
        return
    deploy_weighted_factory(b)
    factory = b._at("BalancerWeightedPoolFactory", b.contracts["BalancerWeightedPoolFactory"])
    vault = b._at("BalancerVault", b.contracts["BalancerVault"])
    with b.progress.stage("create and join Balancer weighted pools", total=len(specs)) as st:
        for spec in specs:
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
            st.advance()
