"""Uniswap V4 pools whose hook can change swap amounts, priced by simulation: the real PoolManager and the
real hook run in the fork (pyrevm) through the V4Quoter, so a quote is exactly what a swap would pay.

`SimulatedV4Pool` has the pool interface, so the strategy prices cycles through such a pool like any other,
while the math model (`model`) keeps the pool's identity and state. The strategy itself never prices these
pools by math: their models refuse (`amm.uniswap_v4.pool.SimulationOnly`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from eth_abi import decode, encode
from eth_utils import keccak

from arbbot.amm.base import Pool
from arbbot.amm.errors import InsufficientLiquidity, InvalidAmount
from arbbot.amm.uniswap_v4.pool import SimulationOnly, UniswapV4Pool
from arbbot.sim.fork import ForkSimulator

_QUOTE_IN = keccak(text="quoteExactInputSingle(((address,address,uint24,int24,address),bool,uint128,bytes))")[:4]
_QUOTE_OUT = keccak(text="quoteExactOutputSingle(((address,address,uint24,int24,address),bool,uint128,bytes))")[:4]
_PARAMS = "((address,address,uint24,int24,address),bool,uint128,bytes)"
_CALLER = "0x0000000000000000000000000000000000000001"
_U128 = 1 << 128


class SimulatedV4Pool(Pool):
    """A V4 pool priced by running it: quotes come from the V4Quoter on a fork of the current block."""

    kind: ClassVar[str] = "uniswap_v4_simulated"

    def __init__(self, model: UniswapV4Pool, fork: ForkSimulator, quoter: str) -> None:
        self.model, self.fork, self.quoter = model, fork, quoter
        self.address, self.token0, self.token1 = model.address, model.token0, model.token1
        self.quotes = 0  # simulations run (for throughput figures)
        self._prefetched: set[tuple[bytes, bool, int]] = set()

    pricing = "simulation"

    def _key(self) -> tuple[str, str, int, int, str]:
        m = self.model
        return (m.currency0, m.currency1, m.fee, m.tick_spacing, m.hooks)

    def _quote(self, selector: bytes, zero_for_one: bool, amount: int) -> tuple[int, int]:
        if not 0 < amount < _U128:
            raise InvalidAmount(f"pool {self.address}: amount {amount} outside 1..2^128-1")
        self.quotes += 1
        data = selector + encode([_PARAMS], [(self._key(), zero_for_one, amount, b"")])
        # Sizing asks for many amounts: read ahead once per direction and order of magnitude (a larger swap
        # crosses more ticks); repeats find their slots in the fork already.
        bucket = (selector, zero_for_one, amount.bit_length() // 4)
        fresh = bucket not in self._prefetched
        self._prefetched.add(bucket)
        result = self.fork.quote(_CALLER, self.quoter, data, prefetch=fresh)
        if not result.success:
            raise InsufficientLiquidity(f"pool {self.address}: the PoolManager refuses ({result.revert_reason})")
        quoted, gas = decode(["uint256", "uint256"], result.output[:64])
        return int(quoted), int(gas)

    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """The V4Quoter's exact-input quote on the fork: what the swap, hook included, would pay out.

        Raises `InvalidAmount` outside 1..2^128-1 and `InsufficientLiquidity` when the PoolManager refuses.
        """
        return self._quote(_QUOTE_IN, self._zero_for_one(token_in), amount_in)[0]

    def quote_exact_out(self, token_in: str, amount_out: int) -> int:
        """The V4Quoter's exact-output quote on the fork: the input the swap, hook included, would take."""
        return self._quote(_QUOTE_OUT, self._zero_for_one(token_in), amount_out)[0]

    def apply_swap(self, token_in: str, amount_in: int) -> int:
        """Always raises `SimulationOnly`: the state after a hooked swap is read from the chain, never modelled."""
        raise SimulationOnly(f"pool {self.address}: the state after a hooked swap is read from the chain, not modelled")

    def copy(self) -> SimulatedV4Pool:
        """A copy with its own model copy, on the same fork and quoter."""
        return SimulatedV4Pool(self.model.copy(), self.fork, self.quoter)

    def to_dict(self) -> dict[str, Any]:
        """The underlying model's snapshot (a simulated pool is saved as its math model)."""
        return self.model.to_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pool:
        """Always raises `SimulationOnly`: a simulated pool needs a fork, so it is rebuilt from its model instead."""
        raise SimulationOnly("a simulated pool is rebuilt from its model and a fork, not from a dict")


class SimulatedView(Mapping[str, Pool]):
    """The pools, with every V4 pool whose hook can change amounts priced by simulation on a fork. Lazy: only
    the pools a cycle asks for are looked at, so a large store costs nothing to wrap."""

    def __init__(self, pools: Mapping[str, Pool], fork: ForkSimulator, quoter: str) -> None:
        self.pools, self.fork, self.quoter = pools, fork, quoter
        self._wrapped: dict[str, SimulatedV4Pool] = {}

    def __getitem__(self, key: str) -> Pool:
        pool = self.pools[key]
        if not (isinstance(pool, UniswapV4Pool) and pool.pricing == "simulation"):
            return pool
        wrapped = self._wrapped.get(key)
        if wrapped is None or wrapped.model is not pool:
            wrapped = self._wrapped[key] = SimulatedV4Pool(pool, self.fork, self.quoter)
        return wrapped

    def __iter__(self) -> Iterator[str]:
        return iter(self.pools)

    def __len__(self) -> int:
        return len(self.pools)


def simulated_view(pools: Mapping[str, Pool], fork: ForkSimulator, quoter: str) -> SimulatedView:
    """`pools` as the strategy should price them on `fork`: hooked V4 pools through the V4Quoter."""
    return SimulatedView(pools, fork, quoter)
