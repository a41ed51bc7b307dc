"""Pool models from batch-read chain state (lens snapshots -> amm models)."""

from __future__ import annotations

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import TickInfo, UniswapV3Pool
from arbbot.state.lens import V2Reserves, V3Snapshot


def v2_model(address: str, token0: str, token1: str, reserves: V2Reserves, fee_bps: int = 30) -> UniswapV2Pool:
    return UniswapV2Pool(address, token0, token1, reserves.reserve0, reserves.reserve1, fee_bps)


def v3_model(address: str, token0: str, token1: str, fee: int, snap: V3Snapshot) -> UniswapV3Pool:
    return UniswapV3Pool(
        address=address,
        token0=token0,
        token1=token1,
        fee=fee,
        tick_spacing=snap.tick_spacing,
        sqrt_price_x96=snap.sqrt_price_x96,
        tick=snap.tick,
        liquidity=snap.liquidity,
        ticks={t: TickInfo(g, n) for t, (g, n) in snap.ticks.items()},
        bitmap=dict(snap.bitmap),
    )
