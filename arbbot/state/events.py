"""Decoding of the pool events that move state (pure: log dicts in, typed values out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arbbot.chain import pool_events as pe

# The topics the state follows (decoded by arbbot.chain.pool_events, the one decoder of every pool event).
SYNC = pe.V2Sync.TOPIC
V3_SWAP = pe.V3Swap.TOPIC
V3_MINT = pe.V3Mint.TOPIC
V3_BURN = pe.V3Burn.TOPIC
# PancakeSwap V3's Swap carries the protocol fees taken as two more fields (Mint and Burn are V3's).
PANCAKE_SWAP = pe.PancakeV3Swap.TOPIC
# Uniswap V4: emitted by the PoolManager, the pool named by its id in topic 1.
V4_SWAP = pe.V4Swap.TOPIC
V4_MODIFY_LIQUIDITY = pe.V4ModifyLiquidity.TOPIC
V4_PROTOCOL_FEE = pe.V4ProtocolFeeUpdated.TOPIC
V4_TOPICS = (V4_SWAP, V4_MODIFY_LIQUIDITY, V4_PROTOCOL_FEE)
STATE_TOPICS = (SYNC, V3_SWAP, V3_MINT, V3_BURN, PANCAKE_SWAP, *V4_TOPICS)


# A log with a state event's signature but not its exact shape (wrong length or topic count, a word out of range).
MalformedLog = pe.BadEvent


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


def decode(log: dict[str, Any]) -> StateEvent | None:
    """The state change a log carries, None if it is not a state event; MalformedLog if it has a state event's
    first topic but not exactly that event's shape."""
    if _topic0(log) not in STATE_TOPICS:
        return None  # other pool events (a V2 Swap, a Flash) move no state the store keeps
    event = pe.decode(log.get("topics") or [], log.get("data", "0x"))
    if isinstance(event, pe.V2Sync):
        return SyncEvent(event.reserve0, event.reserve1)
    if isinstance(event, (pe.V3Swap, pe.PancakeV3Swap, pe.V4Swap)):
        return V3SwapEvent(event.sqrt_price_x96, event.liquidity, event.tick)
    if isinstance(event, pe.V4ModifyLiquidity):
        return V3LiquidityEvent(event.tick_lower, event.tick_upper, event.liquidity_delta)
    if isinstance(event, pe.V4ProtocolFeeUpdated):
        return ProtocolFeeEvent(event.protocol_fee)
    if isinstance(event, (pe.V3Mint, pe.V3Burn)) and event.tick_lower is not None and event.tick_upper is not None:
        delta = event.amount if isinstance(event, pe.V3Mint) else -event.amount
        return V3LiquidityEvent(event.tick_lower, event.tick_upper, delta)
    return None
