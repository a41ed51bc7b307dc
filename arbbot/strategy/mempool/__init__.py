"""Decoding of pending swaps (pure: calldata in, swaps out): Uniswap V2 Router02, V3 SwapRouter (and forks
with their ABIs) and UniversalRouter v1.2 and v2, keyed by router address and kind.

Untrusted input: anything that does not decode cleanly, or does something that cannot be followed
exactly, is `None`, never an exception to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arbbot.strategy.mempool.router02 import decode_router02
from arbbot.strategy.mempool.swaprouter import decode_swaprouter
from arbbot.strategy.mempool.types import PendingSwap, PendingSwaps, SwapLeg
from arbbot.strategy.mempool.universal_router import decode_universal_router
from arbbot.strategy.mempool.v4_ids import v4_pool_id

__all__ = ["ROUTER_KINDS", "PendingSwap", "PendingSwaps", "SwapLeg", "decode_swap", "universal_router_version",
           "v4_pool_id"]  # fmt: skip

# Router kinds; "universal_router" is the v2 router's older name.
UNIVERSAL_ROUTER_VERSIONS = {"universal_router_v1_2": "v1_2", "universal_router_v2": "v2", "universal_router": "v2"}
ROUTER_KINDS = ("uniswap_v2_router02", "uniswap_v3_swaprouter", *UNIVERSAL_ROUTER_VERSIONS)


def universal_router_version(kind: str) -> str | None:
    """The UniversalRouter command-table version (`"v1_2"` or `"v2"`) of a router kind; `None` for other kinds."""
    return UNIVERSAL_ROUTER_VERSIONS.get(kind)


def _input_bytes(tx: Mapping[str, Any]) -> bytes | None:
    data = tx.get("input", tx.get("data"))
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if not isinstance(data, str):
        return None
    try:
        return bytes.fromhex(data.removeprefix("0x"))
    except ValueError:
        return None


def _value(tx: Mapping[str, Any]) -> int | None:
    v = tx.get("value", 0)
    try:
        n = (int(v, 16) if v.startswith("0x") else int(v)) if isinstance(v, str) else int(v or 0)
    except (TypeError, ValueError):
        return None
    return n if 0 <= n < 1 << 256 else None


def decode_swap(tx: Mapping[str, Any], routers: Mapping[str, str], weth: str | None = None) -> PendingSwaps | None:
    """The swaps a pending transaction makes, in execution order, if it calls one of `routers`
    (lower-case address -> kind); `weth` is the chain's wrapped ether (UniversalRouter WRAP/UNWRAP)."""
    to = tx.get("to")
    if not isinstance(to, str):
        return None
    kind = routers.get(to.lower())
    data = _input_bytes(tx)
    value = _value(tx)
    if kind is None or data is None or len(data) < 4 or value is None:
        return None
    try:
        if kind == "uniswap_v2_router02":
            one = decode_router02(data, value)
            return (one,) if one is not None else None
        if kind == "uniswap_v3_swaprouter":
            one = decode_swaprouter(data)
            return (one,) if one is not None else None
        version = universal_router_version(kind)
        if version is not None:
            return decode_universal_router(data, value, version, to, weth, kind)
    except Exception:  # untrusted calldata: eth_abi raises many types for malformed input
        return None
    return None
