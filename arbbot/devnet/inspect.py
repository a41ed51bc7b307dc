"""Read what a running replica holds: live reserves and prices of the manifest's pools."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from web3 import Web3

from arbbot.devnet import artifacts
from arbbot.devnet.manifest import Manifest, PoolEntry


@dataclass(frozen=True)
class PoolView:
    """A pool's live state on the replica: the price of token0 in token1 in whole units (decimals applied), V2 reserves
    in raw units, or for V3 the in-range liquidity (in `reserve0`) and the current tick.
    """

    pool: PoolEntry
    price: Decimal  # token1 per token0, in whole units
    reserve0: int  # V2: reserves; V3: in-range liquidity in `reserve0`, 0 in `reserve1`
    reserve1: int
    tick: int | None = None


def pool_view(w3: Web3, manifest: Manifest, pool: PoolEntry) -> PoolView:
    """Read one manifest pool's reserves (V2) or slot0 and liquidity (V3) from the node at the latest block."""
    d0 = manifest.token(pool.token0).decimals
    d1 = manifest.token(pool.token1).decimals
    scale = Decimal(10) ** (d0 - d1)
    if pool.kind == "uniswap_v2":
        c = w3.eth.contract(address=Web3.to_checksum_address(pool.address), abi=artifacts.load("UniswapV2Pair").abi)
        r0, r1, _ = c.functions.getReserves().call()
        price = Decimal(r1) / Decimal(r0) * scale if r0 else Decimal(0)
        return PoolView(pool, price, r0, r1)
    c = w3.eth.contract(address=Web3.to_checksum_address(pool.address), abi=artifacts.load("UniswapV3Pool").abi)
    slot0 = c.functions.slot0().call()
    liquidity = c.functions.liquidity().call()
    sqrt_p = Decimal(slot0[0]) / Decimal(2**96)
    return PoolView(pool, sqrt_p * sqrt_p * scale, liquidity, 0, tick=slot0[1])


def pool_views(w3: Web3, manifest: Manifest) -> list[PoolView]:
    """`pool_view` for every pool of the manifest, in manifest order."""
    return [pool_view(w3, manifest, p) for p in manifest.pools]


def price_of(view: PoolView, base: str, quote: str) -> Decimal:
    """Price of one `base` in `quote` from a pool holding both."""
    if (view.pool.token0, view.pool.token1) == (base, quote):
        return view.price
    if (view.pool.token1, view.pool.token0) == (base, quote):
        return Decimal(1) / view.price
    raise ValueError(f"pool {view.pool.address} does not hold {base}/{quote}")
