"""Uniswap V4 pool: Pool.swap of v4-core over an exact copy of one pool's state in the PoolManager.

Differences from V3 that change amounts, all followed here: the amount sign convention (negative =
exact input), SwapMath.computeSwapStep's exact-input branch (a step that cannot reach its target
consumes the whole remaining input), the swap fee combining the LP fee with the protocol fee
(ProtocolFeeLibrary.calculateSwapFee), a 100% fee allowed for exact input only, and any tick spacing.

The pool is identified by its PoolId; `token0`/`token1` are the tokens a route trades. A pool whose
currency0 is native ether (`native`) is traded by routes as WETH (the executor wraps and unwraps), so
its `token0` is the WETH address and `currency0` is address 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from arbbot.amm.base import Pool, register
from arbbot.amm.errors import AmmError, ContractRevert, InsufficientLiquidity, InvalidAmount
from arbbot.amm.uniswap_v3 import tick_bitmap
from arbbot.amm.uniswap_v3.full_math import mul_div_rounding_up
from arbbot.amm.uniswap_v3.pool import SwapResult, TickInfo, _add_delta, apply_liquidity_change
from arbbot.amm.uniswap_v3.sqrt_price_math import (
    amount0_delta,
    amount1_delta,
    next_sqrt_price_from_input,
    next_sqrt_price_from_output,
)
from arbbot.amm.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from arbbot.amm.uniswap_v4.hooks import Pricing, is_dynamic_fee, swap_pricing

MAX_SWAP_FEE = 1_000_000
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_I128_MIN, _I128_MAX = -(1 << 127), (1 << 127) - 1
_MAX_I256 = (1 << 255) - 1


class SimulationOnly(AmmError):
    """The pool's hook can change a swap's amounts: it is priced by simulating the PoolManager, never by math."""


def swap_fee(lp_fee: int, protocol_fee: int) -> int:
    """ProtocolFeeLibrary.calculateSwapFee: protocol fee and LP fee (pips) combined; `protocol_fee` is one
    direction's 12-bit value."""
    pf = protocol_fee & 0xFFF
    if pf == 0:
        return lp_fee
    return pf + lp_fee - (pf * lp_fee) // 1_000_000


def compute_swap_step(
    sqrt_current: int, sqrt_target: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """v4-core SwapMath.computeSwapStep; amount_remaining < 0 means exact input.

    Returns (sqrt_next, amount_in, amount_out, fee_amount)."""
    zero_for_one = sqrt_current >= sqrt_target
    if amount_remaining < 0:
        left = -amount_remaining
        less_fee = left * (MAX_SWAP_FEE - fee_pips) // MAX_SWAP_FEE
        amount_in = (
            amount0_delta(sqrt_target, sqrt_current, liquidity, True)
            if zero_for_one
            else amount1_delta(sqrt_current, sqrt_target, liquidity, True)
        )
        if less_fee >= amount_in:
            sqrt_next = sqrt_target
            fee_amount = (
                amount_in
                if fee_pips == MAX_SWAP_FEE
                else mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
            )
        else:
            amount_in = less_fee
            sqrt_next = next_sqrt_price_from_input(sqrt_current, liquidity, less_fee, zero_for_one)
            fee_amount = left - amount_in
        amount_out = (
            amount1_delta(sqrt_next, sqrt_current, liquidity, False)
            if zero_for_one
            else amount0_delta(sqrt_current, sqrt_next, liquidity, False)
        )
        return sqrt_next, amount_in, amount_out, fee_amount
    amount_out = (
        amount1_delta(sqrt_target, sqrt_current, liquidity, False)
        if zero_for_one
        else amount0_delta(sqrt_current, sqrt_target, liquidity, False)
    )
    if amount_remaining >= amount_out:
        sqrt_next = sqrt_target
    else:
        amount_out = amount_remaining
        sqrt_next = next_sqrt_price_from_output(sqrt_current, liquidity, amount_out, zero_for_one)
    amount_in = (
        amount0_delta(sqrt_next, sqrt_current, liquidity, True)
        if zero_for_one
        else amount1_delta(sqrt_current, sqrt_next, liquidity, True)
    )
    fee_amount = mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
    return sqrt_next, amount_in, amount_out, fee_amount


def _to_int128(x: int) -> int:
    if not _I128_MIN <= x <= _I128_MAX:
        raise ContractRevert("SafeCast.toInt128 overflow (SafeCastOverflow)")
    return x


def _to_int256(x: int) -> int:
    if x > _MAX_I256:
        raise ContractRevert("SafeCast.toInt256 overflow (SafeCastOverflow)")
    return x


@register
@dataclass
class UniswapV4Pool(Pool):
    """A Uniswap V4 pool held by a PoolManager, identified by its PoolId.

    Quotes come from the v4 swap math (LP fee plus protocol fee) and equal the PoolManager's to the wei
    when the hook cannot change swap amounts; otherwise (`pricing == "simulation"`) quoting raises
    `SimulationOnly` and the pool must be simulated on a fork.
    """

    kind: ClassVar[str] = "uniswap_v4"
    address: str  # the PoolId, 0x + 64 hex digits
    token0: str  # what a route trades: currency0, or WETH when `native`
    token1: str
    fee: int  # PoolKey.fee: the static LP fee in pips, or 0x800000 for a dynamic-fee pool
    tick_spacing: int
    hooks: str
    sqrt_price_x96: int
    tick: int
    liquidity: int
    lp_fee: int  # the LP fee in force now (slot0): the static fee, or the hook's last dynamic fee
    protocol_fee: int = 0  # slot0's 24 bits: zeroForOne fee in the low 12, oneForZero in the high 12
    native: bool = False  # currency0 is native ether (traded as WETH = token0)
    manager: str = ""  # the PoolManager holding this pool
    ticks: dict[int, TickInfo] = field(default_factory=dict)
    bitmap: dict[int, int] = field(default_factory=dict)

    # -- identity ---------------------------------------------------------------------------------
    @property
    def currency0(self) -> str:
        """The PoolKey's currency0: the zero address for a native-ether pool, else `token0`."""
        return ZERO_ADDRESS if self.native else self.token0

    @property
    def currency1(self) -> str:
        """The PoolKey's currency1 (always `token1`)."""
        return self.token1

    @property
    def pricing(self) -> Pricing:
        """`"math"` when the pool math gives swap amounts exactly, `"simulation"` when the hook may change them."""
        return swap_pricing(self.hooks)

    @property
    def dynamic_fee(self) -> bool:
        """Whether the PoolKey's fee is the dynamic-fee flag (the hook sets `lp_fee`)."""
        return is_dynamic_fee(self.fee)

    def swap_fee(self, zero_for_one: bool) -> int:
        """The total swap fee in pips for that direction: the LP fee combined with that direction's protocol fee."""
        pf = self.protocol_fee & 0xFFF if zero_for_one else self.protocol_fee >> 12
        return swap_fee(self.lp_fee, pf)

    # -- the swap ---------------------------------------------------------------------------------------
    def swap(self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None) -> SwapResult:
        """PoolManager.swap on this state (unchanged): amount_specified < 0 is exact input, > 0 exact output.

        The result's amounts are the BalanceDelta the caller sees: negative = what it pays, positive =
        what it receives (the math alone: a hook's deltas are not in it, see `pricing`).
        """
        if amount_specified == 0:
            raise InvalidAmount(f"pool {self.address}: amount_specified is zero (SwapAmountCannotBeZero)")
        if self.sqrt_price_x96 == 0:
            raise ContractRevert(f"pool {self.address}: not initialized (PoolNotInitialized)")
        fee = self.swap_fee(zero_for_one)
        if fee >= MAX_SWAP_FEE and amount_specified > 0:
            raise ContractRevert(f"pool {self.address}: exact output with a 100% fee (InvalidFeeForExactOut)")
        limit = sqrt_price_limit_x96
        if limit is None:
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        start = self.sqrt_price_x96
        if limit >= start if zero_for_one else limit <= start:
            raise ContractRevert(f"pool {self.address}: limit {limit} on the wrong side (PriceLimitAlreadyExceeded)")
        if limit <= MIN_SQRT_RATIO if zero_for_one else limit >= MAX_SQRT_RATIO:
            raise ContractRevert(f"pool {self.address}: limit {limit} out of bounds (PriceLimitOutOfBounds)")
        if amount_specified < 0 and fee < MAX_SWAP_FEE:
            args = (-amount_specified, limit, fee, self.tick_spacing, start, self.tick, self.liquidity)
            consumed, out, sqrt_p, tick, liquidity, crossed = (
                _exact_in_0for1(*args, self.ticks, self.bitmap)
                if zero_for_one
                else _exact_in_1for0(*args, self.ticks, self.bitmap)
            )
            paid, got = _to_int128(-consumed), _to_int128(out)
            a0, a1 = (paid, got) if zero_for_one else (got, paid)
            return SwapResult(a0, a1, sqrt_p, tick, liquidity, crossed)
        return self._swap_generic(zero_for_one, amount_specified, limit, fee)

    def _swap_generic(self, zero_for_one: bool, amount_specified: int, limit: int, fee: int) -> SwapResult:
        remaining, calculated = amount_specified, 0
        sqrt_p, tick, liquidity = self.sqrt_price_x96, self.tick, self.liquidity
        crossed = 0
        while not (remaining == 0 or sqrt_p == limit):
            start = sqrt_p
            tick_next, initialized = tick_bitmap.next_initialized_tick_within_one_word(
                self.bitmap, tick, self.tick_spacing, zero_for_one
            )
            tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
            sqrt_next = get_sqrt_ratio_at_tick(tick_next)
            target = limit if (sqrt_next < limit if zero_for_one else sqrt_next > limit) else sqrt_next
            sqrt_p, amount_in, amount_out, fee_amount = compute_swap_step(sqrt_p, target, liquidity, remaining, fee)
            if amount_specified > 0:
                remaining -= _to_int256(amount_out)
                calculated -= _to_int256(amount_in + fee_amount)
            else:
                remaining += _to_int256(amount_in + fee_amount)
                calculated += _to_int256(amount_out)
            if sqrt_p == sqrt_next:
                if initialized:
                    info = self.ticks.get(tick_next)
                    net = info.liquidity_net if info is not None else 0
                    liquidity = _add_delta(liquidity, -net if zero_for_one else net)
                    crossed += 1
                tick = tick_next - 1 if zero_for_one else tick_next
            elif sqrt_p != start:
                tick = get_tick_at_sqrt_ratio(sqrt_p)
        if zero_for_one != (amount_specified < 0):
            a0, a1 = calculated, amount_specified - remaining
        else:
            a0, a1 = amount_specified - remaining, calculated
        return SwapResult(_to_int128(a0), _to_int128(a1), sqrt_p, tick, liquidity, crossed)

    # -- the Pool interface -------------------------------------------------------------------------------
    def _math_only(self) -> None:
        if self.pricing != "math":
            raise SimulationOnly(f"pool {self.address}: hook {self.hooks} can change swap amounts; simulate it")

    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """Output for exactly `amount_in`; refuses a partial fill (the executor requires the whole input)."""
        self._math_only()
        if amount_in <= 0:
            raise InvalidAmount(f"pool {self.address}: amount_in must be positive, got {amount_in}")
        zero_for_one = self._zero_for_one(token_in)
        r = self.swap(zero_for_one, -amount_in)
        paid, got = (r.amount0, r.amount1) if zero_for_one else (r.amount1, r.amount0)
        if -paid != amount_in:
            raise InsufficientLiquidity(f"pool {self.address}: takes only {-paid} of {amount_in} (price bound)")
        return got

    def quote_exact_out(self, token_in: str, amount_out: int) -> int:
        """Input the pool takes to pay exactly `amount_out`, state unchanged.

        Raises `SimulationOnly` for a hook that may change amounts and `InsufficientLiquidity` when the pool
        cannot pay `amount_out` before its price bound.
        """
        self._math_only()
        if amount_out <= 0:
            raise InvalidAmount(f"pool {self.address}: amount_out must be positive, got {amount_out}")
        zero_for_one = self._zero_for_one(token_in)
        r = self.swap(zero_for_one, amount_out)
        paid, got = (r.amount0, r.amount1) if zero_for_one else (r.amount1, r.amount0)
        if got < amount_out:
            raise InsufficientLiquidity(f"pool {self.address}: can deliver only {got} of {amount_out}")
        return -paid

    def apply_swap(self, token_in: str, amount_in: int) -> int:
        """Swap exactly `amount_in`, move price, tick and in-range liquidity to the result and return the output.

        Raises as `quote_exact_in` does, leaving the state unchanged.
        """
        out = self.quote_exact_in(token_in, amount_in)
        r = self.swap(self._zero_for_one(token_in), -amount_in)
        self.sqrt_price_x96, self.tick, self.liquidity = r.sqrt_price_x96, r.tick, r.liquidity
        return out

    # -- events -------------------------------------------------------------------------------------------
    def apply_swap_event(self, sqrt_price_x96: int, liquidity: int, tick: int) -> None:
        """A Swap event carries the price, in-range liquidity and tick after the swap."""
        self.sqrt_price_x96, self.liquidity, self.tick = sqrt_price_x96, liquidity, tick

    def apply_liquidity_change(self, tick_lower: int, tick_upper: int, delta: int) -> None:
        """ModifyLiquidity of `delta` on [tick_lower, tick_upper) (delta 0 only collects fees)."""
        self.liquidity = apply_liquidity_change(
            self.ticks, self.bitmap, self.tick_spacing, self.tick, self.liquidity, tick_lower, tick_upper, delta
        )

    def apply_fees(self, lp_fee: int | None = None, protocol_fee: int | None = None) -> None:
        """A dynamic LP fee read from slot0, or a ProtocolFeeUpdated event."""
        if lp_fee is not None:
            self.lp_fee = lp_fee
        if protocol_fee is not None:
            self.protocol_fee = protocol_fee

    # -- serialisation ------------------------------------------------------------------------------------
    def copy(self) -> UniswapV4Pool:
        """A deep copy, tick table and bitmap included."""
        return UniswapV4Pool(
            self.address, self.token0, self.token1, self.fee, self.tick_spacing, self.hooks, self.sqrt_price_x96,
            self.tick, self.liquidity, self.lp_fee, self.protocol_fee, self.native, self.manager,
            {t: TickInfo(i.liquidity_gross, i.liquidity_net) for t, i in self.ticks.items()}, dict(self.bitmap),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot with fees, hook, manager, tick table and bitmap; 256-bit values as decimal strings."""
        return {
            "kind": self.kind,
            "address": self.address,
            "token0": self.token0,
            "token1": self.token1,
            "fee": self.fee,
            "tick_spacing": self.tick_spacing,
            "hooks": self.hooks,
            "sqrt_price_x96": str(self.sqrt_price_x96),
            "tick": self.tick,
            "liquidity": str(self.liquidity),
            "lp_fee": self.lp_fee,
            "protocol_fee": self.protocol_fee,
            "native": self.native,
            "manager": self.manager,
            "ticks": {str(t): [str(i.liquidity_gross), str(i.liquidity_net)] for t, i in sorted(self.ticks.items())},
            "bitmap": {str(w): str(v) for w, v in sorted(self.bitmap.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UniswapV4Pool:
        """Rebuild a pool from `to_dict` output (missing hook, protocol fee, native and manager take their defaults)."""
        return cls(
            data["address"], data["token0"], data["token1"], int(data["fee"]), int(data["tick_spacing"]),
            data.get("hooks", ZERO_ADDRESS), int(data["sqrt_price_x96"]), int(data["tick"]), int(data["liquidity"]),
            int(data["lp_fee"]), int(data.get("protocol_fee", 0)), bool(data.get("native", False)),
            data.get("manager", ""),
            {int(t): TickInfo(int(g), int(n)) for t, (g, n) in data.get("ticks", {}).items()},
            {int(w): int(v) for w, v in data.get("bitmap", {}).items()},
        )  # fmt: skip


def _exact_in_0for1(
    amount: int, limit: int, fee: int, spacing: int, sqrt_p: int, tick: int, liquidity: int,
    ticks: dict[int, TickInfo], bitmap: dict[int, int],
) -> tuple[int, int, int, int, int, int]:  # fmt: skip
    """Exact-input zeroForOne loop with v4's computeSwapStep and the bitmap walk inlined (fee < 100%).

    Returns (input consumed, output, sqrt price, tick, liquidity, ticks crossed). Products stay below
    2^256 for uint128 liquidity and uint160 prices, so plain integers give exactly FullMath's results."""
    fee_complement = MAX_SWAP_FEE - fee
    left, out = amount, 0
    crossed = 0
    ratio_at, word_at = get_sqrt_ratio_at_tick, bitmap.get
    num1 = liquidity << 96
    while left != 0 and sqrt_p != limit:
        start = sqrt_p
        compressed = tick // spacing
        bit = compressed & 0xFF
        masked = word_at(compressed >> 8, 0) & ((2 << bit) - 1)
        if masked:
            tick_next = (compressed - bit + masked.bit_length() - 1) * spacing
            initialized = True
        else:
            tick_next, initialized = (compressed - bit) * spacing, False
        if tick_next < MIN_TICK:
            tick_next = MIN_TICK
        sqrt_next = ratio_at(tick_next)
        target = limit if sqrt_next < limit else sqrt_next
        less_fee = left * fee_complement // MAX_SWAP_FEE
        amount_in = -(((-num1 * (sqrt_p - target)) // sqrt_p) // target)  # amount0_delta, rounded up
        if less_fee >= amount_in:
            nxt = target
            left -= amount_in - ((-amount_in * fee) // fee_complement)
        else:
            nxt = next_sqrt_price_from_input(sqrt_p, liquidity, less_fee, True)
            left = 0  # the step takes all that is left: less_fee in, the rest as fee
        out += (liquidity * (sqrt_p - nxt)) >> 96
        sqrt_p = nxt
        if sqrt_p == sqrt_next:
            if initialized:
                info = ticks.get(tick_next)
                if info is not None:
                    liquidity = _add_delta(liquidity, -info.liquidity_net)
                    num1 = liquidity << 96
                crossed += 1
            tick = tick_next - 1
        elif sqrt_p != start:
            tick = get_tick_at_sqrt_ratio(sqrt_p)
    return amount - left, out, sqrt_p, tick, liquidity, crossed


def _exact_in_1for0(
    amount: int, limit: int, fee: int, spacing: int, sqrt_p: int, tick: int, liquidity: int,
    ticks: dict[int, TickInfo], bitmap: dict[int, int],
) -> tuple[int, int, int, int, int, int]:  # fmt: skip
    """Exact-input oneForZero loop; see _exact_in_0for1."""
    fee_complement = MAX_SWAP_FEE - fee
    left, out = amount, 0
    crossed = 0
    ratio_at, word_at = get_sqrt_ratio_at_tick, bitmap.get
    num1 = liquidity << 96
    while left != 0 and sqrt_p != limit:
        start = sqrt_p
        c1 = tick // spacing + 1
        bit = c1 & 0xFF
        masked = (word_at(c1 >> 8, 0) >> bit) << bit
        if masked:
            tick_next = (c1 + (masked & -masked).bit_length() - 1 - bit) * spacing
            initialized = True
        else:
            tick_next, initialized = (c1 + 255 - bit) * spacing, False
        if tick_next > MAX_TICK:
            tick_next = MAX_TICK
        sqrt_next = ratio_at(tick_next)
        target = limit if sqrt_next > limit else sqrt_next
        less_fee = left * fee_complement // MAX_SWAP_FEE
        amount_in = -((-liquidity * (target - sqrt_p)) >> 96)  # amount1_delta, rounded up
        if less_fee >= amount_in:
            nxt = target
            left -= amount_in - ((-amount_in * fee) // fee_complement)
        else:
            nxt = next_sqrt_price_from_input(sqrt_p, liquidity, less_fee, False)
            left = 0
        out += (num1 * (nxt - sqrt_p) // nxt) // sqrt_p
        sqrt_p = nxt
        if sqrt_p == sqrt_next:
            if initialized:
                info = ticks.get(tick_next)
                if info is not None:
                    liquidity = _add_delta(liquidity, info.liquidity_net)
                    num1 = liquidity << 96
                crossed += 1
            tick = tick_next
        elif sqrt_p != start:
            tick = get_tick_at_sqrt_ratio(sqrt_p)
    return amount - left, out, sqrt_p, tick, liquidity, crossed
