"""Pure AMM math, one module per AMM behind one interface (`base.Pool`). No I/O anywhere here."""

# Importing the built-in models registers them (base.REGISTRY), so base.from_dict knows every kind.
from arbbot.amm import balancer_pair as balancer_pair
from arbbot.amm import pancakeswap_v3 as pancakeswap_v3
from arbbot.amm import uniswap_v2 as uniswap_v2
from arbbot.amm.uniswap_v3 import pool as uniswap_v3_pool
from arbbot.amm.uniswap_v4 import pool as uniswap_v4_pool

__all__ = ["balancer_pair", "pancakeswap_v3", "uniswap_v2", "uniswap_v3_pool", "uniswap_v4_pool"]
