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
# Balancer V2: the Vault's events name the pool by id in topic 1 (the Vault must be the emitter); a pool's own fee and
# pause events come from the pool contract, named by its address.
BAL_SWAP = pe.BalancerSwap.TOPIC
BAL_BALANCE_CHANGED = pe.BalancerPoolBalanceChanged.TOPIC
BAL_BALANCE_MANAGED = pe.BalancerPoolBalanceManaged.TOPIC
BAL_TOKENS_REGISTERED = pe.BalancerTokensRegistered.TOPIC
BAL_TOKENS_DEREGISTERED = pe.BalancerTokensDeregistered.TOPIC
BAL_SWAP_FEE = pe.BalancerSwapFeeChanged.TOPIC
BAL_PAUSED = pe.BalancerPausedStateChanged.TOPIC
# A composable stable pool's own: its amplification ramp, its tokens' rate caches and their durations.
BAL_AMP_STARTED = pe.BalancerAmpUpdateStarted.TOPIC
BAL_AMP_STOPPED = pe.BalancerAmpUpdateStopped.TOPIC
BAL_RATE_CACHE = pe.BalancerTokenRateCacheUpdated.TOPIC
BAL_RATE_PROVIDER = pe.BalancerTokenRateProviderSet.TOPIC
BALANCER_VAULT_TOPICS = (BAL_SWAP, BAL_BALANCE_CHANGED, BAL_BALANCE_MANAGED, BAL_TOKENS_REGISTERED,
                         BAL_TOKENS_DEREGISTERED)  # fmt: skip
BALANCER_POOL_TOPICS = (BAL_SWAP_FEE, BAL_PAUSED, BAL_AMP_STARTED, BAL_AMP_STOPPED, BAL_RATE_CACHE, BAL_RATE_PROVIDER)
BALANCER_TOPICS = (*BALANCER_VAULT_TOPICS, *BALANCER_POOL_TOPICS)
STATE_TOPICS = (SYNC, V3_SWAP, V3_MINT, V3_BURN, PANCAKE_SWAP, *V4_TOPICS, *BALANCER_TOPICS)


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


@dataclass(frozen=True)
class BalancerSwapEvent:
    """A Balancer Vault `Swap`: the pool gained `amount_in` of `token_in` (fee included) and paid `amount_out`."""

    token_in: str
    token_out: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class BalancerBalancesEvent:
    """Net changes of a Balancer pool's total balances (cash plus managed), raw token units, signed.

    From `PoolBalanceChanged` (every token, in the Vault's order: the delta less the protocol fee paid out of the
    pool) or `PoolBalanceManaged` (one token: cash delta plus managed delta)."""

    tokens: tuple[str, ...]
    deltas: tuple[int, ...]


@dataclass(frozen=True)
class BalancerSwapFeeEvent:
    """A Balancer pool's new swap fee (18 decimals), from its own `SwapFeePercentageChanged`."""

    swap_fee: int


@dataclass(frozen=True)
class BalancerPausedEvent:
    """A Balancer pool paused or unpaused, from its own `PausedStateChanged`."""

    paused: bool


@dataclass(frozen=True)
class BalancerAmpEvent:
    """A composable stable pool's amplification ramp (values times 1000, unix times), from its own
    `AmpUpdateStarted`; `stopped` for `AmpUpdateStopped`, whose one value holds from the block's timestamp on (the
    times are then that timestamp, filled in by the store)."""

    start: int
    end: int
    start_time: int
    end_time: int
    stopped: bool = False


@dataclass(frozen=True)
class BalancerRateCacheEvent:
    """A composable stable pool's `TokenRateCacheUpdated`: the cache of the token at `index` (the Vault's order) holds
    `rate` from the block's timestamp on."""

    index: int
    rate: int


@dataclass(frozen=True)
class BalancerRateDurationEvent:
    """A composable stable pool's `TokenRateProviderSet`: the token at `index` has `provider`, its cache lasting
    `duration` seconds from the block's timestamp on."""

    index: int
    provider: str
    duration: int


@dataclass(frozen=True)
class BalancerTokensChangedEvent:
    """Tokens registered to or deregistered from a tracked Balancer pool: its shape changed, so it needs a re-sync."""

    what: str


BalancerEvent = (
    BalancerSwapEvent
    | BalancerBalancesEvent
    | BalancerSwapFeeEvent
    | BalancerPausedEvent
    | BalancerAmpEvent
    | BalancerRateCacheEvent
    | BalancerRateDurationEvent
    | BalancerTokensChangedEvent
)
BALANCER_EVENTS = (
    BalancerSwapEvent, BalancerBalancesEvent, BalancerSwapFeeEvent, BalancerPausedEvent, BalancerAmpEvent,
    BalancerRateCacheEvent, BalancerRateDurationEvent, BalancerTokensChangedEvent,
)  # fmt: skip
StateEvent = SyncEvent | V3SwapEvent | V3LiquidityEvent | ProtocolFeeEvent | BalancerEvent


def topic0(log: dict[str, Any]) -> str | None:
    """The log's first topic as lower-case 0x-hex, None when it has none."""
    topics = log.get("topics") or []
    if not topics:
        return None
    return topics[0].lower() if isinstance(topics[0], str) else "0x" + bytes(topics[0]).hex()


def pool_key(log: dict[str, Any]) -> tuple[str, str] | None:
    """(pool key, emitter) of a state log: the pool's address, or for a V4 or Balancer Vault event the pool id (whose
    PoolManager or Vault must be the emitter). None when the log cannot name a pool."""
    emitter = str(log.get("address", "")).lower()
    if topic0(log) in V4_TOPICS or topic0(log) in BALANCER_VAULT_TOPICS:
        topics = log.get("topics") or []
        if len(topics) < 2:
            return None
        t1 = topics[1] if isinstance(topics[1], str) else "0x" + bytes(topics[1]).hex()
        return t1.lower(), emitter
    return emitter, emitter


def decode(log: dict[str, Any]) -> StateEvent | None:
    """The state change a log carries, None if it is not a state event; MalformedLog if it has a state event's
    first topic but not exactly that event's shape."""
    if topic0(log) not in STATE_TOPICS:
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
    balancer = _balancer(event)
    if balancer is not None:
        return balancer
    if isinstance(event, (pe.V3Mint, pe.V3Burn)) and event.tick_lower is not None and event.tick_upper is not None:
        delta = event.amount if isinstance(event, pe.V3Mint) else -event.amount
        return V3LiquidityEvent(event.tick_lower, event.tick_upper, delta)
    return None


def _balancer(event: pe.PoolEvent | None) -> BalancerEvent | None:
    if isinstance(event, pe.BalancerSwap) and event.token_in is not None and event.token_out is not None:
        return BalancerSwapEvent(event.token_in, event.token_out, event.amount_in, event.amount_out)
    if isinstance(event, pe.BalancerPoolBalanceChanged):
        # The Vault books a join as +(amountIn - fee) and an exit as -(amountOut + fee): the fee leaves the pool.
        deltas = tuple(d - f for d, f in zip(event.deltas, event.protocol_fee_amounts, strict=True))
        return BalancerBalancesEvent(event.tokens, deltas)
    if isinstance(event, pe.BalancerPoolBalanceManaged) and event.token is not None:
        return BalancerBalancesEvent((event.token,), (event.cash_delta + event.managed_delta,))
    if isinstance(event, pe.BalancerSwapFeeChanged):
        return BalancerSwapFeeEvent(event.swap_fee)
    if isinstance(event, pe.BalancerPausedStateChanged):
        return BalancerPausedEvent(event.paused)
    if isinstance(event, pe.BalancerAmpUpdateStarted):
        return BalancerAmpEvent(event.start_value, event.end_value, event.start_time, event.end_time)
    if isinstance(event, pe.BalancerAmpUpdateStopped):
        return BalancerAmpEvent(event.value, event.value, 0, 0, stopped=True)
    if isinstance(event, pe.BalancerTokenRateCacheUpdated) and event.token_index is not None:
        return BalancerRateCacheEvent(event.token_index, event.rate)
    if isinstance(event, pe.BalancerTokenRateProviderSet) and event.token_index is not None and event.provider:
        return BalancerRateDurationEvent(event.token_index, event.provider, event.duration)
    if isinstance(event, pe.BalancerTokensRegistered | pe.BalancerTokensDeregistered):
        return BalancerTokensChangedEvent(type(event).__name__)
    return None
