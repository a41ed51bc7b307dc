"""Pool models from batch-read chain state (lens snapshots -> amm models)."""

from __future__ import annotations

from arbbot.amm.pancakeswap_v3 import PancakeSwapV3Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import TickInfo, UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.state.lens import V2Reserves, V3Snapshot, V4Snapshot

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def v2_model(address: str, token0: str, token1: str, reserves: V2Reserves, fee_bps: int = 30) -> UniswapV2Pool:
    """A `UniswapV2Pool` model from reserves read on chain; `fee_bps` is the venue's swap fee."""
    return UniswapV2Pool(address, token0, token1, reserves.reserve0, reserves.reserve1, fee_bps)


def v3_model(
    address: str, token0: str, token1: str, fee: int, snap: V3Snapshot, kind: str = "uniswap_v3"
) -> UniswapV3Pool:
    """A V3 model, or a fork's (`kind` "pancakeswap_v3"): same math, the fork's own identity and fee tiers."""
    cls = PancakeSwapV3Pool if kind == "pancakeswap_v3" else UniswapV3Pool
    return cls(
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


def v4_model(
    pool_id: str,
    manager: str,
    currency0: str,
    currency1: str,
    fee: int,
    tick_spacing: int,
    hooks: str,
    snap: V4Snapshot,
    weth: str | None,
) -> UniswapV4Pool | None:
    """A V4 model. A native-ether side is traded as WETH (the executor wraps); without a WETH address, or
    for a native-ether / WETH pool, there is no such trade and no model (None)."""
    native = int(currency0, 16) == 0
    token0 = currency0
    if native:
        if weth is None or weth.lower() == currency1.lower():
            return None
        token0 = weth
    return UniswapV4Pool(
        address=pool_id,
        token0=token0,
        token1=currency1,
        fee=fee,
        tick_spacing=tick_spacing,
        hooks=hooks,
        sqrt_price_x96=snap.sqrt_price_x96,
        tick=snap.tick,
        liquidity=snap.liquidity,
        lp_fee=snap.lp_fee,
        protocol_fee=snap.protocol_fee,
        native=native,
        manager=manager,
        ticks={t: TickInfo(g, n) for t, (g, n) in snap.ticks.items()},
        bitmap=dict(snap.bitmap),
    )
