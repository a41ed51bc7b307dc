"""PancakeSwap V3: Uniswap V3's swap math, unchanged, with PancakeSwap's fee tiers.

The differences that matter elsewhere (pools CREATE2-deployed by a pool deployer, `pancakeV3SwapCallback`,
a Swap event with two extra protocol-fee fields, a two-slot slot0) live in chain/, state/ and the executor;
a swap's amounts, price, tick and liquidity follow exactly the V3 model's loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arbbot.amm.base import register
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool

PANCAKE_V3_FEE_TIERS = {100: 1, 500: 10, 2500: 50, 10000: 200}


@register
@dataclass
class PancakeSwapV3Pool(UniswapV3Pool):
    """A PancakeSwap V3 pool: `UniswapV3Pool`'s state and swap loop with PancakeSwap's fee tiers."""

    kind: ClassVar[str] = "pancakeswap_v3"
    FEE_TIERS: ClassVar[dict[int, int]] = PANCAKE_V3_FEE_TIERS
