"""Uniswap V3 pool: the swap loop of UniswapV3Pool.swap over an exact copy of its state.

Quotes equal what the deployed pool returns, to the wei, including tick crossings and zero-liquidity
gaps. State follows the chain through Swap / Mint / Burn events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from arbbot.amm.base import Pool, register
from arbbot.amm.errors import ContractRevert, InsufficientLiquidity, InvalidAmount
from arbbot.amm.uniswap_v3 import tick_bitmap
from arbbot.amm.uniswap_v3.sqrt_price_math import next_sqrt_price_from_input
from arbbot.amm.uniswap_v3.swap_math import compute_swap_step
from arbbot.amm.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

FEE_TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
_MAX_I256 = (1 << 255) - 1
_MAX_U128 = (1 << 128) - 1


@dataclass
class TickInfo:
    """One initialized tick: total liquidity referencing it (`liquidity_gross`) and the signed change in in-range
    liquidity when the price crosses it upwards (`liquidity_net`).
    """

    liquidity_gross: int
    liquidity_net: int


@dataclass(frozen=True)
class SwapResult:
    """The outcome of a simulated swap: signed token deltas and the pool state after it.

    `amount0`/`amount1` are from the pool's view (positive: paid into the pool, negative: paid out), in raw
    units; `sqrt_price_x96` is Q64.96; `ticks_crossed` counts initialized ticks crossed (it drives gas).
    """

    amount0: int  # signed, pool's view: positive = paid into the pool
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int


def _to_int256(x: int) -> int:
    if x > _MAX_I256:
        raise ContractRevert("SafeCast.toInt256 overflow")
    return x


def _add_delta(x: int, y: int) -> int:
    z = x + y
    if y < 0 and z < 0:
        raise ContractRevert("LiquidityMath.addDelta underflow ('LS')")
    if z > _MAX_U128:
        raise ContractRevert("LiquidityMath.addDelta overflow ('LA')")
    return z


def apply_liquidity_change(
    ticks: dict[int, TickInfo], bitmap: dict[int, int], spacing: int, tick: int, liquidity: int,
    tick_lower: int, tick_upper: int, delta: int,
) -> int:  # fmt: skip
    """A position's liquidity change on [tick_lower, tick_upper): updates ticks and bitmap in place and
    returns the in-range liquidity after it (shared by V3, its forks and V4)."""
    if delta == 0:
        return liquidity
    for t, net_sign in ((tick_lower, 1), (tick_upper, -1)):
        info = ticks.get(t) or TickInfo(0, 0)
        before = info.liquidity_gross
        info.liquidity_gross = _add_delta(before, delta)
        info.liquidity_net += net_sign * delta
        if (before == 0) != (info.liquidity_gross == 0):
            tick_bitmap.flip_tick(bitmap, t, spacing)
        if info.liquidity_gross == 0:
            ticks.pop(t, None)  # the contract clears a tick whose last position left
        else:
            ticks[t] = info
    if tick_lower <= tick < tick_upper:
        return _add_delta(liquidity, delta)
    return liquidity


@register
@dataclass
class UniswapV3Pool(Pool):
    """A Uniswap V3 pool: slot0 price and tick, in-range liquidity, and the tick table and bitmap.

    Quotes run the contract's swap loop over this state and equal the deployed pool's to the wei, including
    tick crossings; the state follows the chain through Swap, Mint and Burn events. Forks with other fee
    tiers subclass it.
    """

    kind: ClassVar[str] = "uniswap_v3"
    FEE_TIERS: ClassVar[dict[int, int]] = FEE_TICK_SPACING  # fee -> tick spacing of the venue's factory
    address: str
    token0: str
    token1: str
    fee: int  # hundredths of a bip: 100, 500, 3000, 10000
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: dict[int, TickInfo] = field(default_factory=dict)
    bitmap: dict[int, int] = field(default_factory=dict)  # word position -> word
    # Bumped by every Mint/Burn applied, so copies of the tick table kept elsewhere (the compiled
    # solver's) know when to refresh.
    ticks_version: int = field(default=0, init=False, repr=False, compare=False)

    # -- the swap loop ----------------------------------------------------------------------------
    def swap(self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None) -> SwapResult:
        """Simulate UniswapV3Pool.swap on this state without changing it.

        amount_specified > 0: exact input; < 0: exact output. The default price limit is the
        extreme the periphery uses (MIN+1 / MAX-1).
        """
        if amount_specified == 0:
            raise InvalidAmount(f"pool {self.address}: amount_specified is zero ('AS')")
        limit = sqrt_price_limit_x96
        if limit is None:
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        if zero_for_one:
            if not (MIN_SQRT_RATIO < limit < self.sqrt_price_x96):
                raise ContractRevert(f"pool {self.address}: price limit {limit} invalid for zeroForOne ('SPL')")
        elif not (self.sqrt_price_x96 < limit < MAX_SQRT_RATIO):
            raise ContractRevert(f"pool {self.address}: price limit {limit} invalid for oneForZero ('SPL')")

        exact_input = amount_specified > 0
        if exact_input:
            return self._swap_exact_in(zero_for_one, amount_specified, limit)
        remaining, calculated = amount_specified, 0
        sqrt_p, tick, liquidity = self.sqrt_price_x96, self.tick, self.liquidity
        crossed = 0
        while remaining != 0 and sqrt_p != limit:
            start = sqrt_p
            tick_next, initialized = tick_bitmap.next_initialized_tick_within_one_word(
                self.bitmap, tick, self.tick_spacing, zero_for_one
            )
            tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
            sqrt_next = get_sqrt_ratio_at_tick(tick_next)
            target = limit if (sqrt_next < limit if zero_for_one else sqrt_next > limit) else sqrt_next
            sqrt_p, amount_in, amount_out, fee_amount = compute_swap_step(
                sqrt_p, target, liquidity, remaining, self.fee
            )
            if exact_input:
                remaining -= _to_int256(amount_in + fee_amount)
                calculated -= _to_int256(amount_out)
            else:
                remaining += _to_int256(amount_out)
                calculated += _to_int256(amount_in + fee_amount)
            if sqrt_p == sqrt_next:
                if initialized:
                    info = self.ticks.get(tick_next)
                    net = info.liquidity_net if info is not None else 0
                    liquidity = _add_delta(liquidity, -net if zero_for_one else net)
                    crossed += 1
                tick = tick_next - 1 if zero_for_one else tick_next
            elif sqrt_p != start:
                tick = get_tick_at_sqrt_ratio(sqrt_p)

        if zero_for_one == exact_input:
            amount0, amount1 = amount_specified - remaining, calculated
        else:
            amount0, amount1 = calculated, amount_specified - remaining
        return SwapResult(amount0, amount1, sqrt_p, tick, liquidity, crossed)

    def _swap_exact_in(self, zero_for_one: bool, amount: int, limit: int) -> SwapResult:
        """The exact-input swap loop with computeSwapStep and the bitmap walk inlined, one loop per
        direction: the hot path of every quote.

        Same arithmetic as the generic loop (the exactness suite checks both against the pool). The
        products below cannot overflow 256 bits for uint128 liquidity and uint160 prices, so plain
        integer arithmetic gives exactly what FullMath gives here.
        """
        args = (amount, limit, self.fee, self.tick_spacing, self.sqrt_price_x96, self.tick, self.liquidity)
        if zero_for_one:
            return exact_in_0for1(*args, self.ticks, self.bitmap)
        return exact_in_1for0(*args, self.ticks, self.bitmap)

    # -- the Pool interface -----------------------------------------------------------------------
    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """Exact-input quote: the output in raw units with the default price limit, state unchanged.

        Raises `InvalidAmount` for a non-positive input; a swap that runs out of liquidity returns what the pool
        would actually pay.
        """
        if amount_in <= 0:
            raise InvalidAmount(f"pool {self.address}: amount_in must be positive, got {amount_in}")
        zero_for_one = self._zero_for_one(token_in)
        result = self.swap(zero_for_one, amount_in)
        return -(result.amount1 if zero_for_one else result.amount0)

    def quote_exact_out(self, token_in: str, amount_out: int) -> int:
        """Input (fee included) the pool takes to pay exactly `amount_out`, state unchanged.

        Raises `InsufficientLiquidity` when the pool reaches the price bound before paying `amount_out`.
        """
        if amount_out <= 0:
            raise InvalidAmount(f"pool {self.address}: amount_out must be positive, got {amount_out}")
        zero_for_one = self._zero_for_one(token_in)
        result = self.swap(zero_for_one, -amount_out)
        received = -(result.amount1 if zero_for_one else result.amount0)
        if received < amount_out:
            raise InsufficientLiquidity(f"pool {self.address}: can deliver only {received} of {amount_out}")
        return result.amount0 if zero_for_one else result.amount1

    def apply_swap(self, token_in: str, amount_in: int) -> int:
        """Swap exactly `amount_in`, move price, tick and in-range liquidity to the result and return the output."""
        zero_for_one = self._zero_for_one(token_in)
        result = self.swap(zero_for_one, amount_in)
        self.sqrt_price_x96, self.tick, self.liquidity = result.sqrt_price_x96, result.tick, result.liquidity
        return -(result.amount1 if zero_for_one else result.amount0)

    # -- events -------------------------------------------------------------------------------------
    def apply_swap_event(self, sqrt_price_x96: int, liquidity: int, tick: int) -> None:
        """A Swap event carries the pool's price, in-range liquidity and tick after the swap."""
        self.sqrt_price_x96, self.liquidity, self.tick = sqrt_price_x96, liquidity, tick

    def apply_liquidity_change(self, tick_lower: int, tick_upper: int, delta: int) -> None:
        """Mint (delta > 0) or Burn (delta < 0) of `delta` liquidity on [tick_lower, tick_upper)."""
        if delta == 0:
            return
        self.ticks_version += 1  # compiled mirrors of this pool rebuild their tick table
        self.liquidity = apply_liquidity_change(
            self.ticks, self.bitmap, self.tick_spacing, self.tick, self.liquidity, tick_lower, tick_upper, delta
        )

    # -- serialisation --------------------------------------------------------------------------------
    def copy(self) -> UniswapV3Pool:
        """A deep copy (tick table and bitmap included) of the same class, so forks stay forks."""
        return type(self)(
            self.address, self.token0, self.token1, self.fee, self.tick_spacing, self.sqrt_price_x96, self.tick,
            self.liquidity, {t: TickInfo(i.liquidity_gross, i.liquidity_net) for t, i in self.ticks.items()},
            dict(self.bitmap),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot including the tick table and bitmap; 256-bit values as decimal strings."""
        return {
            "kind": self.kind,
            "address": self.address,
            "token0": self.token0,
            "token1": self.token1,
            "fee": self.fee,
            "tick_spacing": self.tick_spacing,
            "sqrt_price_x96": str(self.sqrt_price_x96),
            "tick": self.tick,
            "liquidity": str(self.liquidity),
            "ticks": {str(t): [str(i.liquidity_gross), str(i.liquidity_net)] for t, i in sorted(self.ticks.items())},
            "bitmap": {str(w): str(v) for w, v in sorted(self.bitmap.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UniswapV3Pool:  # also builds the forks' subclasses
        """Rebuild a pool (or a fork's subclass) from `to_dict` output."""
        return cls(
            data["address"], data["token0"], data["token1"], int(data["fee"]), int(data["tick_spacing"]),
            int(data["sqrt_price_x96"]), int(data["tick"]), int(data["liquidity"]),
            {int(t): TickInfo(int(g), int(n)) for t, (g, n) in data.get("ticks", {}).items()},
            {int(w): int(v) for w, v in data.get("bitmap", {}).items()},
        )  # fmt: skip

    @classmethod
    def from_positions(
        cls,
        positions: list[tuple[int, int, int]],
        sqrt_price_x96: int,
        fee: int = 3000,
        address: str = "0xpool",
        token0: str = "token0",
        token1: str = "token1",
    ) -> UniswapV3Pool:
        """A pool state built from (tick_lower, tick_upper, liquidity) positions, for tests."""
        pool = cls(address, token0, token1, fee, cls.FEE_TIERS[fee], sqrt_price_x96,
                   get_tick_at_sqrt_ratio(sqrt_price_x96), 0)  # fmt: skip
        for lower, upper, amount in positions:
            pool.apply_liquidity_change(lower, upper, amount)
        return pool


def exact_in_0for1(
    amount: int, limit: int, fee: int, spacing: int, sqrt_p: int, tick: int, liquidity: int,
    ticks: dict[int, TickInfo], bitmap: dict[int, int],
) -> SwapResult:  # fmt: skip
    """Exact-input zeroForOne swap loop (computeSwapStep and the bitmap walk inlined). fee < 1e6."""
    fee_complement = 1_000_000 - fee
    remaining, calculated = amount, 0
    crossed = 0
    ratio_at, word_at = get_sqrt_ratio_at_tick, bitmap.get
    num1 = liquidity << 96
    while remaining != 0 and sqrt_p != limit:
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
        less_fee = remaining * fee_complement // 1_000_000
        # amount0_delta(target, current, round up) = ceil(ceil(a / b) / c), written out
        amount_in = -(((-num1 * (sqrt_p - target)) // sqrt_p) // target)
        if less_fee >= amount_in:
            nxt = target
            fee_amount = -((-amount_in * fee) // fee_complement)
        else:
            nxt = next_sqrt_price_from_input(sqrt_p, liquidity, less_fee, True)
            if nxt != target:
                amount_in = -(((-num1 * (sqrt_p - nxt)) // sqrt_p) // nxt)
                fee_amount = remaining - amount_in  # the rest of the input is fee
            else:
                fee_amount = -((-amount_in * fee) // fee_complement)
        calculated -= (liquidity * (sqrt_p - nxt)) >> 96
        remaining -= amount_in + fee_amount
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
    return SwapResult(amount - remaining, calculated, sqrt_p, tick, liquidity, crossed)


def exact_in_1for0(
    amount: int, limit: int, fee: int, spacing: int, sqrt_p: int, tick: int, liquidity: int,
    ticks: dict[int, TickInfo], bitmap: dict[int, int],
) -> SwapResult:  # fmt: skip
    """Exact-input oneForZero swap loop (computeSwapStep and the bitmap walk inlined). fee < 1e6."""
    fee_complement = 1_000_000 - fee
    remaining, calculated = amount, 0
    crossed = 0
    ratio_at, word_at = get_sqrt_ratio_at_tick, bitmap.get
    num1 = liquidity << 96
    while remaining != 0 and sqrt_p != limit:
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
        less_fee = remaining * fee_complement // 1_000_000
        # amount1_delta(current, target, round up)
        amount_in = -((-liquidity * (target - sqrt_p)) >> 96)
        if less_fee >= amount_in:
            nxt = target
            fee_amount = -((-amount_in * fee) // fee_complement)
        else:
            nxt = next_sqrt_price_from_input(sqrt_p, liquidity, less_fee, False)
            if nxt != target:
                amount_in = -((-liquidity * (nxt - sqrt_p)) >> 96)
                fee_amount = remaining - amount_in  # the rest of the input is fee
            else:
                fee_amount = -((-amount_in * fee) // fee_complement)
        calculated -= (num1 * (nxt - sqrt_p) // nxt) // sqrt_p
        remaining -= amount_in + fee_amount
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
    return SwapResult(calculated, amount - remaining, sqrt_p, tick, liquidity, crossed)
