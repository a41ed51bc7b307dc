"""Pure AMM math, one module per AMM behind one interface (`base.Pool`). No I/O anywhere here."""

# Importing the built-in models registers them (base.REGISTRY), so base.from_dict knows every kind.
from arbbot.amm import uniswap_v2 as uniswap_v2
from arbbot.amm.uniswap_v3 import pool as uniswap_v3_pool

__all__ = ["uniswap_v2", "uniswap_v3_pool"]
