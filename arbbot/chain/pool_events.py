"""The pool and lender events arbbot reads, and their one decoder: log topics and data in, typed records out.

Uniswap V2 `Sync` and `Swap`; Uniswap V3 `Swap`, `Mint`, `Burn` and `Flash`; PancakeSwap V3 `Swap`; Uniswap V4
`Swap`, `ModifyLiquidity` and `ProtocolFeeUpdated`; Balancer V2 and Aave V3 `FlashLoan`; the Balancer V2 Vault's
`Swap`, `PoolBalanceChanged`, `PoolBalanceManaged`, `PoolRegistered`, `TokensRegistered` and `TokensDeregistered`,
and a Balancer pool's own `SwapFeePercentageChanged` and `PausedStateChanged` (and a composable stable pool's
`AmpUpdateStarted`, `AmpUpdateStopped`, `TokenRateCacheUpdated` and `TokenRateProviderSet`). The state store, the
hint strategy and the audit all decode through here, so a log means the same to each of them.

Logs are untrusted: any contract can emit any topic, and a node can hand back a truncated or padded log. A log
carrying one of these events' first topic is taken only in exactly that event's shape: its topic count, its data
length, every word inside its ABI type (an address with twelve zero bytes, a signed field sign-extended, an unsigned
one without high bits, a bool 0 or 1, dynamic arrays at exactly the offsets the ABI encoder writes and of the lengths
their event requires) and the protocol's own bounds where every genuine event keeps them (a V3/V4 price within the
tick math's range, ticks within ±887272, a position's lower tick below its upper). Anything else raises `BadEvent`
naming the field and the value; nothing is read from whatever bytes happen to be there.

Pure: no I/O. Addresses come back as lower-case 0x-hex (no checksum work on the state's hot path), pool ids and
salts as lower-case 0x + 64 hex.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from eth_utils import keccak

from arbbot.chain.logdata import as_bytes

# Uniswap V3 TickMath (V4 and PancakeSwap V3 use the same): the range every pool keeps its price and ticks in.
MIN_TICK, MAX_TICK = -887272, 887272
MIN_SQRT_PRICE = 4295128739
MAX_SQRT_PRICE = 1461446703485210103287273052203988822378723970342  # exclusive


class BadEvent(ValueError):
    """A log that carries a known event's first topic but not that event's shape; the message names the field."""


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


@dataclass(frozen=True)
class V2Sync:
    """Uniswap V2 `Sync(uint112 reserve0, uint112 reserve1)`: the pair's reserves after the change."""

    SIGNATURE: ClassVar[str] = "Sync(uint112,uint112)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    reserve0: int
    reserve1: int


@dataclass(frozen=True)
class V2Swap:
    """Uniswap V2 `Swap(address indexed sender, uint amount0In, amount1In, amount0Out, amount1Out, address indexed to)`.

    `sender` and `to` are None only when the indexed topics were withheld (a MEV-Share hint, `withheld_ok`)."""

    SIGNATURE: ClassVar[str] = "Swap(address,uint256,uint256,uint256,uint256,address)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    sender: str | None
    to: str | None
    amount0_in: int
    amount1_in: int
    amount0_out: int
    amount1_out: int


@dataclass(frozen=True)
class V3Swap:
    """Uniswap V3 `Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1,
    uint160 sqrtPriceX96, uint128 liquidity, int24 tick)`: the pool's deltas (positive: paid into the pool) and its
    price, in-range liquidity and tick after the swap. `sender`/`recipient` are None only when withheld."""

    SIGNATURE: ClassVar[str] = "Swap(address,address,int256,int256,uint160,uint128,int24)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    sender: str | None
    recipient: str | None
    amount0: int
    amount1: int
    sqrt_price_x96: int
    liquidity: int
    tick: int


@dataclass(frozen=True)
class PancakeV3Swap:
    """PancakeSwap V3 `Swap`: V3's fields plus the protocol fees taken in each token (`uint128` each)."""

    SIGNATURE: ClassVar[str] = "Swap(address,address,int256,int256,uint160,uint128,int24,uint128,uint128)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    sender: str | None
    recipient: str | None
    amount0: int
    amount1: int
    sqrt_price_x96: int
    liquidity: int
    tick: int
    protocol_fees_token0: int
    protocol_fees_token1: int


@dataclass(frozen=True)
class V4Swap:
    """Uniswap V4 `Swap(bytes32 indexed id, address indexed sender, int128 amount0, int128 amount1, uint160
    sqrtPriceX96, uint128 liquidity, int24 tick, uint24 fee)` from the PoolManager: amounts from the swapper's side
    (negative: paid into the pool). `pool_id`/`sender` are None only when withheld."""

    SIGNATURE: ClassVar[str] = "Swap(bytes32,address,int128,int128,uint160,uint128,int24,uint24)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    sender: str | None
    amount0: int
    amount1: int
    sqrt_price_x96: int
    liquidity: int
    tick: int
    fee: int


@dataclass(frozen=True)
class V3Mint:
    """Uniswap V3 `Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper,
    uint128 amount, uint256 amount0, uint256 amount1)`: `amount` liquidity added on [tick_lower, tick_upper)."""

    SIGNATURE: ClassVar[str] = "Mint(address,address,int24,int24,uint128,uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    owner: str | None
    tick_lower: int | None
    tick_upper: int | None
    sender: str
    amount: int
    amount0: int
    amount1: int


@dataclass(frozen=True)
class V3Burn:
    """Uniswap V3 `Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount,
    uint256 amount0, uint256 amount1)`: `amount` liquidity removed from [tick_lower, tick_upper)."""

    SIGNATURE: ClassVar[str] = "Burn(address,int24,int24,uint128,uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    owner: str | None
    tick_lower: int | None
    tick_upper: int | None
    amount: int
    amount0: int
    amount1: int


@dataclass(frozen=True)
class V4ModifyLiquidity:
    """Uniswap V4 `ModifyLiquidity(bytes32 indexed id, address indexed sender, int24 tickLower, int24 tickUpper,
    int256 liquidityDelta, bytes32 salt)`: liquidity added (+) or removed (-) on [tick_lower, tick_upper)."""

    SIGNATURE: ClassVar[str] = "ModifyLiquidity(bytes32,address,int24,int24,int256,bytes32)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    sender: str | None
    tick_lower: int
    tick_upper: int
    liquidity_delta: int
    salt: str


@dataclass(frozen=True)
class V4ProtocolFeeUpdated:
    """Uniswap V4 `ProtocolFeeUpdated(bytes32 indexed id, uint24 protocolFee)`: zeroForOne fee in the low 12 bits,
    oneForZero in the high 12."""

    SIGNATURE: ClassVar[str] = "ProtocolFeeUpdated(bytes32,uint24)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    protocol_fee: int


@dataclass(frozen=True)
class V3Flash:
    """Uniswap V3 `Flash(address indexed sender, address indexed recipient, uint256 amount0, uint256 amount1,
    uint256 paid0, uint256 paid1)`: lent amounts and what came back on top (the fees)."""

    SIGNATURE: ClassVar[str] = "Flash(address,address,uint256,uint256,uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    sender: str | None
    recipient: str | None
    amount0: int
    amount1: int
    paid0: int
    paid1: int


@dataclass(frozen=True)
class BalancerFlashLoan:
    """Balancer V2 Vault `FlashLoan(address indexed recipient, address indexed token, uint256 amount,
    uint256 feeAmount)`."""

    SIGNATURE: ClassVar[str] = "FlashLoan(address,address,uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    recipient: str | None
    token: str | None
    amount: int
    fee_amount: int


@dataclass(frozen=True)
class AaveFlashLoan:
    """Aave V3 Pool `FlashLoan(address indexed target, address initiator, address indexed asset, uint256 amount,
    uint8 interestRateMode, uint256 premium, uint16 indexed referralCode)`."""

    SIGNATURE: ClassVar[str] = "FlashLoan(address,address,address,uint256,uint8,uint256,uint16)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    target: str | None
    asset: str | None
    referral_code: int | None
    initiator: str
    amount: int
    interest_rate_mode: int
    premium: int


# --- Balancer V2: the Vault's pool events (the pool named by its id in topic 1) and a pool's own settings -----------

BALANCER_MAX_TOKENS = 50  # far above any Balancer V2 pool's token count: a longer array is not a genuine event


@dataclass(frozen=True)
class BalancerSwap:
    """Balancer V2 Vault `Swap(bytes32 indexed poolId, address indexed tokenIn, address indexed tokenOut, uint256
    amountIn, uint256 amountOut)`: the pool's balance of `token_in` grew by `amount_in` (fee included), its balance of
    `token_out` fell by `amount_out`, raw token units."""

    SIGNATURE: ClassVar[str] = "Swap(bytes32,address,address,uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    token_in: str | None
    token_out: str | None
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class BalancerPoolBalanceChanged:
    """Balancer V2 Vault `PoolBalanceChanged(bytes32 indexed poolId, address indexed liquidityProvider, address[]
    tokens, int256[] deltas, uint256[] protocolFeeAmounts)`: a join (deltas >= 0) or exit (deltas <= 0), tokens in
    the Vault's order. The protocol fees are paid out of the pool's balance, so each balance moves by
    `delta - protocol_fee_amount`."""

    SIGNATURE: ClassVar[str] = "PoolBalanceChanged(bytes32,address,address[],int256[],uint256[])"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    liquidity_provider: str | None
    tokens: tuple[str, ...]
    deltas: tuple[int, ...]
    protocol_fee_amounts: tuple[int, ...]


@dataclass(frozen=True)
class BalancerPoolBalanceManaged:
    """Balancer V2 Vault `PoolBalanceManaged(bytes32 indexed poolId, address indexed assetManager, address indexed
    token, int256 cashDelta, int256 managedDelta)`: an asset manager moved the pool's `token` between cash and managed
    (the total unchanged) or reported a managed gain or loss; the pool's total balance moves by their sum."""

    SIGNATURE: ClassVar[str] = "PoolBalanceManaged(bytes32,address,address,int256,int256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    asset_manager: str | None
    token: str | None
    cash_delta: int
    managed_delta: int


@dataclass(frozen=True)
class BalancerPoolRegistered:
    """Balancer V2 Vault `PoolRegistered(bytes32 indexed poolId, address indexed poolAddress, uint8 specialization)`.

    The Vault builds the id from the pool's address (bytes 0-19) and specialization (bytes 20-21); an id that does
    not carry both is refused. Anyone can register a pool: trust comes from the factory, not from this event."""

    SIGNATURE: ClassVar[str] = "PoolRegistered(bytes32,address,uint8)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    pool_address: str | None
    specialization: int  # 0 general, 1 minimal swap info, 2 two-token


@dataclass(frozen=True)
class BalancerTokensRegistered:
    """Balancer V2 Vault `TokensRegistered(bytes32 indexed poolId, address[] tokens, address[] assetManagers)`."""

    SIGNATURE: ClassVar[str] = "TokensRegistered(bytes32,address[],address[])"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    tokens: tuple[str, ...]
    asset_managers: tuple[str, ...]


@dataclass(frozen=True)
class BalancerTokensDeregistered:
    """Balancer V2 Vault `TokensDeregistered(bytes32 indexed poolId, address[] tokens)`."""

    SIGNATURE: ClassVar[str] = "TokensDeregistered(bytes32,address[])"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    pool_id: str | None
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class BalancerSwapFeeChanged:
    """A Balancer pool's own `SwapFeePercentageChanged(uint256 swapFeePercentage)` (18 decimals), emitted by the pool
    contract, not the Vault."""

    SIGNATURE: ClassVar[str] = "SwapFeePercentageChanged(uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    swap_fee: int


@dataclass(frozen=True)
class BalancerPausedStateChanged:
    """A Balancer pool's own `PausedStateChanged(bool paused)`, emitted by the pool contract."""

    SIGNATURE: ClassVar[str] = "PausedStateChanged(bool)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    paused: bool


@dataclass(frozen=True)
class BalancerAmpUpdateStarted:
    """A composable stable pool's `AmpUpdateStarted(uint256 startValue, uint256 endValue, uint256 startTime, uint256
    endTime)`: its amplification (times 1000) ramps linearly between the two values over the two times."""

    SIGNATURE: ClassVar[str] = "AmpUpdateStarted(uint256,uint256,uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    start_value: int
    end_value: int
    start_time: int
    end_time: int


@dataclass(frozen=True)
class BalancerAmpUpdateStopped:
    """A composable stable pool's `AmpUpdateStopped(uint256 currentValue)`: the ramp stops at this value (times
    1000) from the block's timestamp on."""

    SIGNATURE: ClassVar[str] = "AmpUpdateStopped(uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    value: int


@dataclass(frozen=True)
class BalancerTokenRateCacheUpdated:
    """A composable stable pool's `TokenRateCacheUpdated(uint256 indexed tokenIndex, uint256 rate)`: the rate cache of
    the token at `token_index` (among the Vault's tokens, BPT included) holds `rate` from the block's timestamp on."""

    SIGNATURE: ClassVar[str] = "TokenRateCacheUpdated(uint256,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    token_index: int | None
    rate: int


@dataclass(frozen=True)
class BalancerTokenRateProviderSet:
    """A composable stable pool's `TokenRateProviderSet(uint256 indexed tokenIndex, address indexed provider, uint256
    cacheDuration)`: the token's rate cache lasts `duration` seconds from the block's timestamp on."""

    SIGNATURE: ClassVar[str] = "TokenRateProviderSet(uint256,address,uint256)"
    TOPIC: ClassVar[str] = _topic(SIGNATURE)

    token_index: int | None
    provider: str | None
    duration: int


PoolEvent = (
    V2Sync
    | V2Swap
    | V3Swap
    | PancakeV3Swap
    | V4Swap
    | V3Mint
    | V3Burn
    | V4ModifyLiquidity
    | V4ProtocolFeeUpdated
    | V3Flash
    | BalancerFlashLoan
    | AaveFlashLoan
    | BalancerSwap
    | BalancerPoolBalanceChanged
    | BalancerPoolBalanceManaged
    | BalancerPoolRegistered
    | BalancerTokensRegistered
    | BalancerTokensDeregistered
    | BalancerSwapFeeChanged
    | BalancerPausedStateChanged
    | BalancerAmpUpdateStarted
    | BalancerAmpUpdateStopped
    | BalancerTokenRateCacheUpdated
    | BalancerTokenRateProviderSet
)
_E = TypeVar("_E", bound=PoolEvent)


class _Words:
    """Reads the words of one event, each checked against its ABI type; a bad one raises BadEvent naming it."""

    def __init__(self, event: str, words: Sequence[bytes]) -> None:
        self.event, self.words, self.at = event, words, 0

    def _next(self) -> bytes:
        word = self.words[self.at]
        self.at += 1
        return word

    def _bad(self, name: str, why: str, value: object) -> BadEvent:
        return BadEvent(f"{self.event}.{name} {why}: {value}")

    def uint(self, name: str, bits: int = 256) -> int:
        """The next word as a `uint<bits>`."""
        value = int.from_bytes(self._next(), "big")
        if value >> bits:
            raise self._bad(name, f"out of uint{bits}", value)
        return value

    def int_(self, name: str, bits: int = 256) -> int:
        """The next word as an `int<bits>` (sign-extended to 256 bits, as the ABI writes it)."""
        value = int.from_bytes(self._next(), "big")
        if value >> 255:
            value -= 1 << 256
        if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
            raise self._bad(name, f"out of int{bits}", value)
        return value

    def address(self, name: str) -> str:
        """The next word as an address: twenty bytes with twelve zero bytes above them."""
        word = self._next()
        if any(word[:12]):
            raise self._bad(name, "is not an address", "0x" + word.hex())
        return "0x" + word[12:].hex()

    def bytes32(self, name: str) -> str:
        """The next word as it is (0x + 64 hex)."""
        return "0x" + self._next().hex()

    def tick(self, name: str) -> int:
        """The next word as an `int24` tick within the tick math's range."""
        value = self.int_(name, 24)
        if not MIN_TICK <= value <= MAX_TICK:
            raise self._bad(name, f"outside [{MIN_TICK}, {MAX_TICK}]", value)
        return value

    def sqrt_price(self, name: str) -> int:
        """The next word as a `uint160` price within [MIN_SQRT_PRICE, MAX_SQRT_PRICE)."""
        value = self.uint(name, 160)
        if not MIN_SQRT_PRICE <= value < MAX_SQRT_PRICE:
            raise self._bad(name, f"outside [{MIN_SQRT_PRICE}, {MAX_SQRT_PRICE})", value)
        return value

    def bool_(self, name: str) -> bool:
        """The next word as a `bool`: exactly 0 or 1."""
        value = int.from_bytes(self._next(), "big")
        if value > 1:
            raise self._bad(name, "is not a bool", value)
        return value == 1

    def arrays(self, names: Sequence[str]) -> list[_Words]:
        """The data's dynamic arrays of static words, one reader per name (which must be the data's only fields).

        Each array sits exactly where the ABI encoder puts it (head offsets in order, one after the other, no gap),
        holds at most `BALANCER_MAX_TOKENS` words, and the last one ends the data."""
        if len(self.words) < len(names):
            raise self._bad("data", f"is shorter than its {len(names)} array offsets", f"{len(self.words)} words")
        heads = [self.uint(f"{n} offset") for n in names]
        expected = 32 * len(names)
        out = []
        for name, offset in zip(names, heads, strict=True):
            if offset != expected:
                raise self._bad(f"{name} offset", f"is not the encoder's {expected}", offset)
            at = offset // 32
            if at >= len(self.words):
                raise self._bad(name, "length word is past the data end", offset)
            length = int.from_bytes(self.words[at], "big")
            if length > BALANCER_MAX_TOKENS or at + 1 + length > len(self.words):
                raise self._bad(name, "length does not fit the data", length)
            out.append(_Words(self.event, self.words[at + 1 : at + 1 + length]))
            expected = offset + 32 * (1 + length)
        if expected != 32 * len(self.words):
            raise self._bad("data", "has bytes past its last array", f"{32 * len(self.words)} > {expected}")
        return out

    def check_range(self, lower: int | None, upper: int | None) -> None:
        """A position's range: the lower tick below the upper (when both are known)."""
        if lower is not None and upper is not None and lower >= upper:
            raise self._bad("tickLower", "is not below tickUpper", f"{lower} >= {upper}")


# Each decoder: (indexed topic words, or None when withheld; data words) -> record.
_Decoder = Callable[[_Words | None, _Words], PoolEvent]


def _sync(_ix: _Words | None, w: _Words) -> V2Sync:
    return V2Sync(w.uint("reserve0", 112), w.uint("reserve1", 112))


def _v2_swap(ix: _Words | None, w: _Words) -> V2Swap:
    sender, to = (ix.address("sender"), ix.address("to")) if ix else (None, None)
    return V2Swap(sender, to, w.uint("amount0In"), w.uint("amount1In"), w.uint("amount0Out"), w.uint("amount1Out"))


def _v3_swap(ix: _Words | None, w: _Words) -> V3Swap:
    sender, recipient = (ix.address("sender"), ix.address("recipient")) if ix else (None, None)
    return V3Swap(
        sender,
        recipient,
        w.int_("amount0"),
        w.int_("amount1"),
        w.sqrt_price("sqrtPriceX96"),
        w.uint("liquidity", 128),
        w.tick("tick"),
    )


def _pancake_swap(ix: _Words | None, w: _Words) -> PancakeV3Swap:
    sender, recipient = (ix.address("sender"), ix.address("recipient")) if ix else (None, None)
    return PancakeV3Swap(
        sender,
        recipient,
        w.int_("amount0"),
        w.int_("amount1"),
        w.sqrt_price("sqrtPriceX96"),
        w.uint("liquidity", 128),
        w.tick("tick"),
        w.uint("protocolFeesToken0", 128),
        w.uint("protocolFeesToken1", 128),
    )


def _v4_swap(ix: _Words | None, w: _Words) -> V4Swap:
    pool_id, sender = (ix.bytes32("id"), ix.address("sender")) if ix else (None, None)
    return V4Swap(
        pool_id,
        sender,
        w.int_("amount0", 128),
        w.int_("amount1", 128),
        w.sqrt_price("sqrtPriceX96"),
        w.uint("liquidity", 128),
        w.tick("tick"),
        w.uint("fee", 24),
    )


def _mint(ix: _Words | None, w: _Words) -> V3Mint:
    owner, lower, upper = (ix.address("owner"), ix.tick("tickLower"), ix.tick("tickUpper")) if ix else (None,) * 3
    w.check_range(lower, upper)
    return V3Mint(owner, lower, upper, w.address("sender"), w.uint("amount", 128), w.uint("amount0"), w.uint("amount1"))


def _burn(ix: _Words | None, w: _Words) -> V3Burn:
    owner, lower, upper = (ix.address("owner"), ix.tick("tickLower"), ix.tick("tickUpper")) if ix else (None,) * 3
    w.check_range(lower, upper)
    return V3Burn(owner, lower, upper, w.uint("amount", 128), w.uint("amount0"), w.uint("amount1"))


def _modify_liquidity(ix: _Words | None, w: _Words) -> V4ModifyLiquidity:
    pool_id, sender = (ix.bytes32("id"), ix.address("sender")) if ix else (None, None)
    lower, upper = w.tick("tickLower"), w.tick("tickUpper")
    w.check_range(lower, upper)
    return V4ModifyLiquidity(pool_id, sender, lower, upper, w.int_("liquidityDelta"), w.bytes32("salt"))


def _protocol_fee(ix: _Words | None, w: _Words) -> V4ProtocolFeeUpdated:
    return V4ProtocolFeeUpdated(ix.bytes32("id") if ix else None, w.uint("protocolFee", 24))


def _v3_flash(ix: _Words | None, w: _Words) -> V3Flash:
    sender, recipient = (ix.address("sender"), ix.address("recipient")) if ix else (None, None)
    return V3Flash(sender, recipient, w.uint("amount0"), w.uint("amount1"), w.uint("paid0"), w.uint("paid1"))


def _balancer_loan(ix: _Words | None, w: _Words) -> BalancerFlashLoan:
    recipient, token = (ix.address("recipient"), ix.address("token")) if ix else (None, None)
    return BalancerFlashLoan(recipient, token, w.uint("amount"), w.uint("feeAmount"))


def _aave_loan(ix: _Words | None, w: _Words) -> AaveFlashLoan:
    target, asset, referral = (
        (ix.address("target"), ix.address("asset"), ix.uint("referralCode", 16)) if ix else (None,) * 3
    )
    return AaveFlashLoan(
        target,
        asset,
        referral,
        w.address("initiator"),
        w.uint("amount"),
        w.uint("interestRateMode", 8),
        w.uint("premium"),
    )


def _pool_id(ix: _Words | None) -> str | None:
    return ix.bytes32("poolId") if ix else None


def _same_length(event: str, **arrays: _Words) -> int:
    lengths = {name: len(w.words) for name, w in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise BadEvent(f"{event}: array lengths differ: {lengths}")
    return next(iter(lengths.values()))


def _balancer_swap(ix: _Words | None, w: _Words) -> BalancerSwap:
    pool_id, token_in, token_out = (
        (ix.bytes32("poolId"), ix.address("tokenIn"), ix.address("tokenOut")) if ix else (None,) * 3
    )
    return BalancerSwap(pool_id, token_in, token_out, w.uint("amountIn"), w.uint("amountOut"))


def _balance_changed(ix: _Words | None, w: _Words) -> BalancerPoolBalanceChanged:
    pool_id, provider = (ix.bytes32("poolId"), ix.address("liquidityProvider")) if ix else (None, None)
    tokens, deltas, fees = w.arrays(("tokens", "deltas", "protocolFeeAmounts"))
    n = _same_length(w.event, tokens=tokens, deltas=deltas, protocolFeeAmounts=fees)
    return BalancerPoolBalanceChanged(
        pool_id,
        provider,
        tuple(tokens.address(f"tokens[{k}]") for k in range(n)),
        tuple(deltas.int_(f"deltas[{k}]") for k in range(n)),
        tuple(fees.uint(f"protocolFeeAmounts[{k}]") for k in range(n)),
    )


def _balance_managed(ix: _Words | None, w: _Words) -> BalancerPoolBalanceManaged:
    pool_id, manager, token = (
        (ix.bytes32("poolId"), ix.address("assetManager"), ix.address("token")) if ix else (None,) * 3
    )
    return BalancerPoolBalanceManaged(pool_id, manager, token, w.int_("cashDelta"), w.int_("managedDelta"))


def _pool_registered(ix: _Words | None, w: _Words) -> BalancerPoolRegistered:
    pool_id, address = (ix.bytes32("poolId"), ix.address("poolAddress")) if ix else (None, None)
    specialization = w.uint("specialization", 8)
    if specialization > 2:
        raise w._bad("specialization", "is not a PoolSpecialization (0..2)", specialization)
    carried = pool_id is None or address is None or pool_id[2:42] == address[2:]
    if not carried or (pool_id is not None and int(pool_id[42:46], 16) != specialization):
        raise w._bad("poolId", f"does not carry the pool address {address} and specialization", pool_id)
    return BalancerPoolRegistered(pool_id, address, specialization)


def _tokens_registered(ix: _Words | None, w: _Words) -> BalancerTokensRegistered:
    tokens, managers = w.arrays(("tokens", "assetManagers"))
    n = _same_length(w.event, tokens=tokens, assetManagers=managers)
    return BalancerTokensRegistered(
        _pool_id(ix),
        tuple(tokens.address(f"tokens[{k}]") for k in range(n)),
        tuple(managers.address(f"assetManagers[{k}]") for k in range(n)),
    )


def _tokens_deregistered(ix: _Words | None, w: _Words) -> BalancerTokensDeregistered:
    (tokens,) = w.arrays(("tokens",))
    return BalancerTokensDeregistered(
        _pool_id(ix), tuple(tokens.address(f"tokens[{k}]") for k in range(len(tokens.words)))
    )


def _swap_fee_changed(_ix: _Words | None, w: _Words) -> BalancerSwapFeeChanged:
    return BalancerSwapFeeChanged(w.uint("swapFeePercentage"))


def _paused_changed(_ix: _Words | None, w: _Words) -> BalancerPausedStateChanged:
    return BalancerPausedStateChanged(w.bool_("paused"))


def _amp_started(_ix: _Words | None, w: _Words) -> BalancerAmpUpdateStarted:
    return BalancerAmpUpdateStarted(w.uint("startValue"), w.uint("endValue"), w.uint("startTime"), w.uint("endTime"))


def _amp_stopped(_ix: _Words | None, w: _Words) -> BalancerAmpUpdateStopped:
    return BalancerAmpUpdateStopped(w.uint("currentValue"))


def _rate_cache_updated(ix: _Words | None, w: _Words) -> BalancerTokenRateCacheUpdated:
    index = ix.uint("tokenIndex") if ix is not None else None
    return BalancerTokenRateCacheUpdated(index, w.uint("rate"))


def _rate_provider_set(ix: _Words | None, w: _Words) -> BalancerTokenRateProviderSet:
    index, provider = (ix.uint("tokenIndex"), ix.address("provider")) if ix is not None else (None, None)
    return BalancerTokenRateProviderSet(index, provider, w.uint("cacheDuration"))


@dataclass(frozen=True)
class _Spec:
    cls: type[PoolEvent]
    indexed: int  # topics after topic 0
    words: int | None  # data words, none dynamic; None: dynamic arrays, whose decoder checks the layout
    decode: _Decoder
    name: str = field(init=False)  # the record's name, for messages ("V4Swap", not the ambiguous "Swap")

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.cls.__name__)


_SPECS = (
    _Spec(V2Sync, 0, 2, _sync),
    _Spec(V2Swap, 2, 4, _v2_swap),
    _Spec(V3Swap, 2, 5, _v3_swap),
    _Spec(PancakeV3Swap, 2, 7, _pancake_swap),
    _Spec(V4Swap, 2, 6, _v4_swap),
    _Spec(V3Mint, 3, 4, _mint),
    _Spec(V3Burn, 3, 3, _burn),
    _Spec(V4ModifyLiquidity, 2, 4, _modify_liquidity),
    _Spec(V4ProtocolFeeUpdated, 1, 1, _protocol_fee),
    _Spec(V3Flash, 2, 4, _v3_flash),
    _Spec(BalancerFlashLoan, 2, 2, _balancer_loan),
    _Spec(AaveFlashLoan, 3, 4, _aave_loan),
    _Spec(BalancerSwap, 3, 2, _balancer_swap),
    _Spec(BalancerPoolBalanceChanged, 2, None, _balance_changed),
    _Spec(BalancerPoolBalanceManaged, 3, 2, _balance_managed),
    _Spec(BalancerPoolRegistered, 2, 1, _pool_registered),
    _Spec(BalancerTokensRegistered, 1, None, _tokens_registered),
    _Spec(BalancerTokensDeregistered, 1, None, _tokens_deregistered),
    _Spec(BalancerSwapFeeChanged, 0, 1, _swap_fee_changed),
    _Spec(BalancerPausedStateChanged, 0, 1, _paused_changed),
    _Spec(BalancerAmpUpdateStarted, 0, 4, _amp_started),
    _Spec(BalancerAmpUpdateStopped, 0, 1, _amp_stopped),
    _Spec(BalancerTokenRateCacheUpdated, 1, 1, _rate_cache_updated),
    _Spec(BalancerTokenRateProviderSet, 2, 1, _rate_provider_set),
)
_BY_TOPIC: dict[bytes, _Spec] = {bytes.fromhex(s.cls.TOPIC[2:]): s for s in _SPECS}
EVENT_TYPES: tuple[type[PoolEvent], ...] = tuple(s.cls for s in _SPECS)
TOPICS: frozenset[str] = frozenset(s.cls.TOPIC for s in _SPECS)


def _topic_words(topics: Sequence[object], event: str, head: bytes) -> list[bytes]:
    out = [head]
    for i, topic in enumerate(topics[1:], start=1):
        raw = as_bytes(topic)
        if raw is None or len(raw) != 32:
            raise BadEvent(f"{event}.topics[{i}] is not a 32-byte word: {str(topic)[:80]}")
        out.append(raw)
    return out


def _spec_of(topics: Sequence[object]) -> tuple[_Spec, bytes] | None:
    if not topics:
        return None
    head = as_bytes(topics[0])
    spec = _BY_TOPIC.get(head) if head is not None else None
    return (spec, head) if spec is not None and head is not None else None


def decode(topics: Sequence[object], data: object, *, withheld_ok: bool = False) -> PoolEvent | None:
    """The event a log carries, `None` when its first topic is none of these events', `BadEvent` when it is one's
    but the log is not exactly that event's shape.

    `topics` and `data` may be bytes or 0x-hex strings. With `withheld_ok` (a MEV-Share hint, which may reveal the
    first topic alone) a log with topic 0 only is taken too, its indexed fields then None; any other topic count
    than one or the event's full count is still refused."""
    found = _spec_of(topics)
    if found is None:
        return None
    spec, head = found
    name = spec.name
    words = _topic_words(topics, name, head)
    withheld = withheld_ok and len(words) == 1 and spec.indexed > 0
    if len(words) != 1 + spec.indexed and not withheld:
        raise BadEvent(f"{name}.topics has {len(words)} topics, expected {1 + spec.indexed}")
    raw = as_bytes(data)
    if raw is None:
        raise BadEvent(f"{name}.data is not bytes or 0x-hex: {str(data)[:80]}")
    if spec.words is None:
        if len(raw) % 32:
            raise BadEvent(f"{name}.data has {len(raw)} bytes, not whole words")
    elif len(raw) != 32 * spec.words:
        raise BadEvent(f"{name}.data has {len(raw)} bytes, expected {32 * spec.words}")
    data_words = _Words(name, [raw[i : i + 32] for i in range(0, len(raw), 32)])
    indexed = None if withheld else _Words(name, words[1:])
    return spec.decode(indexed, data_words)


def decode_as(cls: type[_E], topics: Sequence[object], data: object, *, withheld_ok: bool = False) -> _E:
    """The log as the event `cls`; `BadEvent` when it carries another first topic (another event's included) or is
    not exactly `cls`'s shape."""
    found = _spec_of(topics)
    if found is None or found[0].cls is not cls:
        head = str(topics[0])[:80] if topics else "none"
        raise BadEvent(f"{cls.__name__}.topics[0] is not its topic: {head}")
    event = decode(topics, data, withheld_ok=withheld_ok)
    if not isinstance(event, cls):  # unreachable: the spec of `cls` made it; kept for the type checker
        raise BadEvent(f"{cls.__name__} decoded as {type(event).__name__}")
    return event


def try_decode(topics: Sequence[object], data: object, *, withheld_ok: bool = False) -> PoolEvent | None:
    """`decode`, with a malformed log also answered `None`: for users that leave both kinds of log out."""
    try:
        return decode(topics, data, withheld_ok=withheld_ok)
    except BadEvent:
        return None
