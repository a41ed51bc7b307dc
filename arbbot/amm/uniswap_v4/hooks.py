"""Uniswap V4 hook triage from the hook address alone (its low 14 bits are its permissions).

A swap's amounts follow from the pool's state and fee unless the hook can change them:

- beforeSwap can override a dynamic pool's LP fee for that one swap and run arbitrary code (including
  trades in the same pool) before the swap is priced;
- beforeSwap/afterSwap "returns delta" flags let the hook take or give amounts on either side.

Pools whose hook has none of these flags (no hook at all, or hooks acting only on initialization,
liquidity or donations, or only after a swap without a delta) are priced by the pool math, with the LP
fee read from the pool's slot0. Every other pool is priced only by simulating the PoolManager.
"""

from __future__ import annotations

from typing import Literal

ALL_HOOK_MASK = (1 << 14) - 1
BEFORE_INITIALIZE = 1 << 13
AFTER_INITIALIZE = 1 << 12
BEFORE_ADD_LIQUIDITY = 1 << 11
AFTER_ADD_LIQUIDITY = 1 << 10
BEFORE_REMOVE_LIQUIDITY = 1 << 9
AFTER_REMOVE_LIQUIDITY = 1 << 8
BEFORE_SWAP = 1 << 7
AFTER_SWAP = 1 << 6
BEFORE_DONATE = 1 << 5
AFTER_DONATE = 1 << 4
BEFORE_SWAP_RETURNS_DELTA = 1 << 3
AFTER_SWAP_RETURNS_DELTA = 1 << 2
AFTER_ADD_LIQUIDITY_RETURNS_DELTA = 1 << 1
AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA = 1 << 0

# Flags that let a hook change what a swap pays or receives.
SWAP_CHANGING = BEFORE_SWAP | BEFORE_SWAP_RETURNS_DELTA | AFTER_SWAP_RETURNS_DELTA
DYNAMIC_FEE_FLAG = 0x800000  # LPFeeLibrary.DYNAMIC_FEE_FLAG, in PoolKey.fee
MAX_LP_FEE = 1_000_000

Pricing = Literal["math", "simulation"]


def permissions(hooks: str) -> int:
    """The hook's permission bits (0 for no hook)."""
    return int(hooks, 16) & ALL_HOOK_MASK


def swap_pricing(hooks: str) -> Pricing:
    """'math' when the pool math gives a swap's amounts exactly; 'simulation' when the hook may change them."""
    return "simulation" if permissions(hooks) & SWAP_CHANGING else "math"


def is_dynamic_fee(fee: int) -> bool:
    """Whether `fee` is the dynamic-fee flag (0x800000): the hook sets the LP fee instead of the PoolKey."""
    return fee == DYNAMIC_FEE_FLAG


def valid_hook_address(hooks: str, fee: int) -> bool:
    """Hooks.isValidHookAddress: what PoolManager.initialize accepts."""
    bits = permissions(hooks)
    for base, delta in (
        (BEFORE_SWAP, BEFORE_SWAP_RETURNS_DELTA),
        (AFTER_SWAP, AFTER_SWAP_RETURNS_DELTA),
        (AFTER_ADD_LIQUIDITY, AFTER_ADD_LIQUIDITY_RETURNS_DELTA),
        (AFTER_REMOVE_LIQUIDITY, AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA),
    ):
        if bits & delta and not bits & base:
            return False
    if int(hooks, 16) == 0:
        return not is_dynamic_fee(fee)
    return bits > 0 or is_dynamic_fee(fee)
