"""Decoding of the pool events that move state (pure: log dicts in, typed values out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

SYNC = "0x" + keccak(text="Sync(uint112,uint112)").hex()
V3_SWAP = "0x" + keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)").hex()
V3_MINT = "0x" + keccak(text="Mint(address,address,int24,int24,uint128,uint256,uint256)").hex()
V3_BURN = "0x" + keccak(text="Burn(address,int24,int24,uint128,uint256,uint256)").hex()
# PancakeSwap V3's Swap carries the protocol fees taken as two more fields (Mint and Burn are V3's).
PANCAKE_SWAP = "0x" + keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24,uint128,uint128)").hex()
# Uniswap V4: emitted by the PoolManager, the pool named by its id in topic 1.
V4_SWAP = "0x" + keccak(text="Swap(bytes32,address,int128,int128,uint160,uint128,int24,uint24)").hex()
V4_MODIFY_LIQUIDITY = "0x" + keccak(text="ModifyLiquidity(bytes32,address,int24,int24,int256,bytes32)").hex()
V4_PROTOCOL_FEE = "0x" + keccak(text="ProtocolFeeUpdated(bytes32,uint24)").hex()
V4_TOPICS = (V4_SWAP, V4_MODIFY_LIQUIDITY, V4_PROTOCOL_FEE)
STATE_TOPICS = (SYNC, V3_SWAP, V3_MINT, V3_BURN, PANCAKE_SWAP, *V4_TOPICS)


class MalformedLog(ValueError):
    """A log with the right signature but the wrong shape (truncated data, missing topics)."""


@dataclass(frozen=True)
class SyncEvent:
    """A V2 `Sync`: the pair's reserves after the change, raw token units."""

    reserve0: int
    reserve1: int


@dataclass(frozen=True)
class V3SwapEvent:
    """A V3-style (or V4) `Swap`: the pool's price (Q64.96), in-range liquidity and tick after it."""

    sqrt_price_x96: int
    liquidity: int
    tick: int


@dataclass(frozen=True)
class V3LiquidityEvent:
    """A V3 `Mint` or `Burn` (or V4 `ModifyLiquidity`): liquidity added or removed over a tick range."""

    tick_lower: int
    tick_upper: int
    delta: int  # + for Mint, - for Burn


@dataclass(frozen=True)
class ProtocolFeeEvent:
    """A V4 `ProtocolFeeUpdated`: the pool's new protocol fee."""

    protocol_fee: int  # 24 bits: zeroForOne low 12, oneForZero high 12


StateEvent = SyncEvent | V3SwapEvent | V3LiquidityEvent | ProtocolFeeEvent


def _topic0(log: dict[str, Any]) -> str | None:
    topics = log.get("topics") or []
    if not topics:
        return None
    return topics[0].lower() if isinstance(topics[0], str) else "0x" + bytes(topics[0]).hex()


def pool_key(log: dict[str, Any]) -> tuple[str, str] | None:
    """(pool key, emitter) of a state log: the pool's address, or for a V4 event the pool id (whose
    PoolManager must be the emitter). None when the log cannot name a pool."""
    emitter = str(log.get("address", "")).lower()
    if _topic0(log) in V4_TOPICS:
        topics = log.get("topics") or []
        if len(topics) < 2:
            return None
        t1 = topics[1] if isinstance(topics[1], str) else "0x" + bytes(topics[1]).hex()
        return t1.lower(), emitter
    return emitter, emitter


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _words(data: str, n: int, what: str) -> list[int]:
    raw = data[2:] if data.startswith("0x") else data
    if len(raw) < 64 * n:
        raise MalformedLog(f"{what} log data has {len(raw) // 2} bytes, expected {32 * n}")
    return [int(raw[64 * i : 64 * i + 64], 16) for i in range(n)]


def decode(log: dict[str, Any]) -> StateEvent | None:
    """The state change a log carries, or None if it is not a state event."""
    topics = log.get("topics") or []
    if not topics:
        return None
    t0 = topics[0].lower() if isinstance(topics[0], str) else "0x" + bytes(topics[0]).hex()
    data = log.get("data", "0x")
    if not isinstance(data, str):
        data = "0x" + bytes(data).hex()
    if t0 == SYNC:
        r0, r1 = _words(data, 2, "Sync")
        return SyncEvent(r0, r1)
    if t0 in (V3_SWAP, PANCAKE_SWAP, V4_SWAP):
        _a0, _a1, sqrt_p, liquidity, tick = _words(data, 5, "Swap")
        return V3SwapEvent(sqrt_p, liquidity, _signed(tick & ((1 << 256) - 1), 256))
    if t0 == V4_MODIFY_LIQUIDITY:
        lower, upper, delta, _salt = _words(data, 4, "ModifyLiquidity")
        return V3LiquidityEvent(_signed(lower, 256), _signed(upper, 256), _signed(delta, 256))
    if t0 == V4_PROTOCOL_FEE:
        (fee,) = _words(data, 1, "ProtocolFeeUpdated")
        return ProtocolFeeEvent(fee & 0xFFFFFF)
    if t0 in (V3_MINT, V3_BURN):
        if len(topics) < 4:
            raise MalformedLog(f"{'Mint' if t0 == V3_MINT else 'Burn'} log has {len(topics)} topics, expected 4")
        lower = _signed(int(topics[2], 16), 256)
        upper = _signed(int(topics[3], 16), 256)
        if t0 == V3_MINT:
            _sender, amount, _x, _y = _words(data, 4, "Mint")
            return V3LiquidityEvent(lower, upper, amount)
        amount, _x, _y = _words(data, 3, "Burn")
        return V3LiquidityEvent(lower, upper, -amount)
    return None
