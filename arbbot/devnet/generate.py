"""Seeded bulk generation of tokens and pools for large scenarios (thousands of pools).

Pools are created with real transactions against the real factories, sent in batches (see bulk.py):
V2 pools via createPair + funding + pair.mint, V3 pools via the NonfungiblePositionManager.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction
from math import isqrt
from typing import TYPE_CHECKING

from eth_abi import encode

from arbbot.chain.addresses import sort_tokens, v2_pair_address, v3_pool_address
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import compiler
from arbbot.devnet.bulk import BulkSender, create_address
from arbbot.devnet.manifest import PoolEntry
from arbbot.devnet.scenario import V3_FEE_TIERS, GenerateSpec, TokenSpec

if TYPE_CHECKING:
    from arbbot.devnet.replica import ReplicaBuilder

UINT256_MAX = 2**256 - 1
FAR_DEADLINE = 2**63


def _gen_tokens(rng: random.Random, n: int) -> list[TokenSpec]:
    specs = []
    for i in range(1, n + 1):
        decimals = rng.choice([6, 8, 18, 18, 18])
        # Log-uniform prices from 1e-6 to 10 ETH, 4 significant digits, as exact decimal strings.
        exponent = rng.randint(-6, 0)
        mantissa = rng.randint(1000, 9999)
        price = Decimal(mantissa) * Decimal(10) ** (exponent - 3)
        specs.append(TokenSpec(symbol=f"G{i:04d}", name=f"Generated {i}", decimals=decimals, price_eth=str(price)))
    return specs


def generate(builder: ReplicaBuilder, spec: GenerateSpec) -> None:
    """Add the spec's generated tokens, Uniswap V2 pools (spread over the scenario's V2 venues) and Uniswap V3 pools to
    the replica under construction, with real transactions sent in bulk.

    Seeded by the scenario's seed, so the same scenario always yields the same pools; each pool is recorded in the
    builder's manifest entries. Raises `ValueError` when there are too few tokens for distinct pairs.
    """
    w3, rng = builder.w3, random.Random(builder.sc.seed * 7919 + 1)
    rpc = RpcClient(w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    bulk = BulkSender(rpc, builder.deployer)
    token_art = compiler.replica_contracts()["ReplicaToken"]
    specs = _gen_tokens(rng, spec.tokens)
    with builder.progress.stage("deploy generated tokens", total=len(specs)) as st:
        for t in specs:
            data = token_art.bytecode + encode(["string", "string", "uint8"], [t.name, t.symbol, t.decimals]).hex()
            nonce = bulk.send(None, data, gas=1_500_000, what=f"deploy {t.symbol}")
            address = create_address(builder.deployer, nonce)
            builder.tokens[t.symbol] = w3.eth.contract(address=address, abi=token_art.abi)
            builder.token_specs[t.symbol] = t
            st.advance()
        bulk.flush()
    symbols = [t.symbol for t in specs]
    weth = builder.tokens["WETH"]

    def pick_pair(taken: set[tuple[str, str]]) -> tuple[str, str]:
        for _ in range(10_000):
            a = "WETH" if rng.random() < 0.5 else rng.choice(symbols)
            b = rng.choice(symbols)
            key = tuple(sorted((a, b)))
            if a != b and key not in taken:
                taken.add(key)  # type: ignore[arg-type]
                return a, b
        raise ValueError("generate: not enough distinct token pairs; add tokens")

    def fund(sym: str, to: str, amount: int) -> None:
        token = builder.tokens[sym]
        if sym == "WETH":
            bulk.send(weth.address, weth.encode_abi("deposit"), gas=100_000, value=amount, what="wrap ETH")
            bulk.send(weth.address, weth.encode_abi("transfer", args=[to, amount]), gas=100_000, what="send WETH")
        else:
            bulk.send(token.address, token.encode_abi("mint", args=[to, amount]), gas=150_000, what=f"mint {sym}")

    venues = [v for v in builder.sc.v2_venues]
    per_venue: dict[str, set[tuple[str, str]]] = {v: set() for v in venues}
    with builder.progress.stage("generate Uniswap V2 pools", total=spec.v2_pools) as st:
        for i in range(spec.v2_pools):
            venue = venues[i % len(venues)]
            factory = builder._at("UniswapV2Factory", builder.venues[venue].factory)
            a, b = pick_pair(per_venue[venue])
            addr_a, addr_b = builder.tokens[a].address, builder.tokens[b].address
            pair = v2_pair_address(factory.address, addr_a, addr_b)
            bulk.send(factory.address, factory.encode_abi("createPair", args=[addr_a, addr_b]), 3_000_000, what="pair")
            depth = rng.randint(spec.min_depth_eth, spec.max_depth_eth)
            amount_a, amount_b = builder._amounts((a, b), depth, rng.randint(-spec.max_skew_bps, spec.max_skew_bps))
            fund(a, pair, amount_a)
            fund(b, pair, amount_b)
            pair_c = builder._at("UniswapV2Pair", pair)
            bulk.send(pair, pair_c.encode_abi("mint", args=[builder.deployer]), 300_000, what="pair.mint")
            t0, _ = sort_tokens(addr_a, addr_b)
            s0, s1 = (a, b) if t0 == addr_a else (b, a)
            builder.pools.append(PoolEntry(kind="uniswap_v2", venue=venue, address=pair, token0=s0, token1=s1, fee=30))
            st.advance()
        bulk.flush()

    npm = builder._at("NonfungiblePositionManager", builder.contracts["NonfungiblePositionManager"])
    v3_factory = builder.contracts["UniswapV3Factory"]
    approved: set[str] = set()
    taken: set[tuple[str, str]] = set()
    with builder.progress.stage("generate Uniswap V3 pools", total=spec.v3_pools) as st:
        for _ in range(spec.v3_pools):
            a, b = pick_pair(taken)
            fee = rng.choice(sorted(V3_FEE_TIERS))
            spacing = V3_FEE_TIERS[fee]
            depth = rng.randint(spec.min_depth_eth, spec.max_depth_eth)
            amount_a, amount_b = builder._amounts((a, b), depth, rng.randint(-spec.max_skew_bps, spec.max_skew_bps))
            addr_a, addr_b = builder.tokens[a].address, builder.tokens[b].address
            t0, t1 = sort_tokens(addr_a, addr_b)
            flipped = t0 != addr_a
            amount0, amount1 = (amount_b, amount_a) if flipped else (amount_a, amount_b)
            s0, s1 = (b, a) if flipped else (a, b)
            sqrt_price = isqrt((amount1 << 192) // amount0)
            bulk.send(
                npm.address,
                npm.encode_abi("createAndInitializePoolIfNecessary", args=[t0, t1, fee, sqrt_price]),
                10_000_000,
                what=f"V3 pool {s0}/{s1} fee {fee}",
            )
            # The tick only guides where positions go, so a float estimate is fine here.
            ratio = Fraction(sqrt_price, 2**96) ** 2
            tick = math.floor(math.log(float(ratio)) / math.log(1.0001))
            for sym, amount in ((s0, amount0), (s1, amount1)):
                fund(sym, builder.deployer, amount)
                if sym not in approved:
                    token = builder.tokens[sym]
                    bulk.send(token.address, token.encode_abi("approve", args=[npm.address, UINT256_MAX]), 100_000)
                    approved.add(sym)
            per0, per1 = amount0 // spec.v3_positions, amount1 // spec.v3_positions
            for _ in range(spec.v3_positions):
                lower, upper = builder._position_range(tick, spacing, 20)
                params = (t0, t1, fee, lower, upper, per0, per1, 0, 0, builder.deployer, FAR_DEADLINE)
                bulk.send(npm.address, npm.encode_abi("mint", args=[params]), 1_200_000, what="V3 position")
            pool = v3_pool_address(v3_factory, t0, t1, fee)
            builder.pools.append(
                PoolEntry(
                    kind="uniswap_v3",
                    venue="uniswap_v3",
                    address=pool,
                    token0=s0,
                    token1=s1,
                    fee=fee,
                    tick_spacing=spacing,
                )
            )
            st.advance()
        for sym in sorted(approved):  # leave nothing approved behind
            token = builder.tokens[sym]
            bulk.send(token.address, token.encode_abi("approve", args=[npm.address, 0]), 100_000)
        bulk.flush()
    # One ordinary block last, so the replica's head carries the normal block gas limit again.
    rpc.call("evm_mine")
