"""Uniswap V4 pool ids (pure)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

_POOL_KEY = "(address,address,uint24,int24,address)"


def v4_pool_id(currency_a: str, currency_b: str, fee: int, tick_spacing: int, hooks: str) -> str:
    """keccak256(abi.encode(PoolKey)) with the currencies sorted (native ether is the zero address)."""
    c0, c1 = sorted((currency_a, currency_b), key=lambda x: int(x, 16))
    return "0x" + keccak(encode([_POOL_KEY], [(c0, c1, fee, tick_spacing, hooks)])).hex()
