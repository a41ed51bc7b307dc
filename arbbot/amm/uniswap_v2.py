"""Uniswap V2 and its forks: constant product with the fee as a parameter."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from arbbot.amm.base import Pool, register
from arbbot.amm.errors import InsufficientLiquidity, InvalidAmount

MAX_UINT112 = (1 << 112) - 1


@register
@dataclass
class UniswapV2Pool(Pool):
    """A Uniswap V2 (or fork) pair: reserves in raw token units and the fee in basis points.

    `reserve0`/`reserve1` follow the pair's Sync events; quotes are `UniswapV2Library`'s integer math, so
    they equal the router's to the unit.
    """

    kind: ClassVar[str] = "uniswap_v2"
    address: str
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    fee_bps: int = 30  # 30 = 0.30%, Uniswap's 997/1000

    def _reserves(self, zero_for_one: bool) -> tuple[int, int]:
        return (self.reserve0, self.reserve1) if zero_for_one else (self.reserve1, self.reserve0)

    def amount_out(self, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """UniswapV2Library.getAmountOut with fee_bps (equal to 997/1000 at 30 bps)."""
        if amount_in <= 0:
            raise InvalidAmount(f"pool {self.address}: amount_in must be positive, got {amount_in}")
        if reserve_in <= 0 or reserve_out <= 0:
            raise InsufficientLiquidity(f"pool {self.address}: empty reserves")
        with_fee = amount_in * (10_000 - self.fee_bps)
        return with_fee * reserve_out // (reserve_in * 10_000 + with_fee)

    def amount_in(self, amount_out: int, reserve_in: int, reserve_out: int) -> int:
        """UniswapV2Library.getAmountIn: the input that yields at least `amount_out`."""
        if amount_out <= 0:
            raise InvalidAmount(f"pool {self.address}: amount_out must be positive, got {amount_out}")
        if amount_out >= reserve_out:
            raise InsufficientLiquidity(f"pool {self.address}: wants {amount_out} of a reserve of {reserve_out}")
        return reserve_in * amount_out * 10_000 // ((reserve_out - amount_out) * (10_000 - self.fee_bps)) + 1

    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """Exact-input quote in raw units of the other token, rounded down as the pair does.

        Raises `InvalidAmount` for a non-positive input and `InsufficientLiquidity` for empty reserves.
        """
        return self.amount_out(amount_in, *self._reserves(self._zero_for_one(token_in)))

    def quote_exact_out(self, token_in: str, amount_out: int) -> int:
        """Input of `token_in` needed for `amount_out`, rounded up (the contract's `+ 1`).

        Raises `InsufficientLiquidity` when `amount_out` reaches the output reserve.
        """
        return self.amount_in(amount_out, *self._reserves(self._zero_for_one(token_in)))

    def apply_swap(self, token_in: str, amount_in: int) -> int:
        """Swap exactly `amount_in` against these reserves, update them and return the amount out.

        Raises `InvalidAmount` if a reserve would exceed uint112, as the pair reverts with `UniswapV2: OVERFLOW`.
        """
        zero_for_one = self._zero_for_one(token_in)
        out = self.quote_exact_in(token_in, amount_in)
        if zero_for_one:
            reserve0, reserve1 = self.reserve0 + amount_in, self.reserve1 - out
        else:
            reserve0, reserve1 = self.reserve0 - out, self.reserve1 + amount_in
        if reserve0 > MAX_UINT112 or reserve1 > MAX_UINT112:  # the pair reverts: its reserves stay as they were
            raise InvalidAmount(f"pool {self.address}: reserves overflow uint112 ('UniswapV2: OVERFLOW')")
        self.reserve0, self.reserve1 = reserve0, reserve1
        return out

    def apply_sync(self, reserve0: int, reserve1: int) -> None:
        """A Sync event carries the reserves after every mint, burn, swap and sync."""
        self.reserve0, self.reserve1 = reserve0, reserve1

    def copy(self) -> UniswapV2Pool:
        """An independent copy of the pair's state."""
        return replace(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot; reserves as decimal strings."""
        return {
            "kind": self.kind,
            "address": self.address,
            "token0": self.token0,
            "token1": self.token1,
            "reserve0": str(self.reserve0),
            "reserve1": str(self.reserve1),
            "fee_bps": self.fee_bps,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UniswapV2Pool:
        """Rebuild a pair from `to_dict` output (`fee_bps` defaults to 30 when absent)."""
        return cls(
            data["address"], data["token0"], data["token1"], int(data["reserve0"]), int(data["reserve1"]),
            int(data.get("fee_bps", 30)),
        )  # fmt: skip
