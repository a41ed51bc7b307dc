"""Cyclic arbitrage: re-price only the cycles through pools that changed, size each on exact quotes.

Pure: works on pool models (a mapping address -> Pool), never on the network. The same object prices
the live state (after a block) and a hypothetical one (after a pending victim swap) by being handed a
different mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.strategy.costs import loan_fee
from arbbot.strategy.cycles import Cycle, CycleIndex, TokenGraph
from arbbot.strategy.sizing import V2Hop, bracketed_optimum, v2_cycle_optimal_input

Q96 = 1 << 96


@dataclass(frozen=True)
class PricedHop:
    pool: str  # the pool's own address string
    token_in: str  # the pool's own token strings (models compare them exactly)
    token_out: str
    v3: bool  # Uniswap V3 or a fork (PancakeSwap V3)
    zero_for_one: bool
    fee_bps: int  # V2 only (0 for V3 and V4)
    v4: bool = False  # Uniswap V4 (the executor builds the PoolKey from the pool's model)
    simulated: bool = False  # priced by simulating the pool (a V4 hook that can change amounts), not by math


@dataclass(frozen=True)
class Candidate:
    """A sized cycle: put `amount_in` of `token` through `hops`, expect `gross_profit` after the loan fee."""

    token: str
    amount_in: int
    gross_profit: int
    hops: tuple[PricedHop, ...]

    @property
    def pools(self) -> tuple[str, ...]:
        return tuple(h.pool for h in self.hops)


def _marginal_rate(pool: Pool, zero_for_one: bool) -> float:
    """Output per unit input at zero size, after the fee (float: only used to skip hopeless cycles)."""
    pool = getattr(pool, "model", pool)  # a simulation-priced pool ranks by its model's price
    if isinstance(pool, UniswapV4Pool):
        if pool.liquidity <= 0:
            return 0.0
        price = (pool.sqrt_price_x96 / Q96) ** 2
        rate = price if zero_for_one else (1 / price if price > 0 else 0.0)
        return rate * (1 - pool.swap_fee(zero_for_one) / 1_000_000)
    if isinstance(pool, UniswapV2Pool):
        r_in, r_out = (pool.reserve0, pool.reserve1) if zero_for_one else (pool.reserve1, pool.reserve0)
        return 0.0 if r_in <= 0 else r_out / r_in * (1 - pool.fee_bps / 10_000)
    if isinstance(pool, UniswapV3Pool):
        if pool.liquidity <= 0:
            return 0.0
        price = (pool.sqrt_price_x96 / Q96) ** 2  # token1 per token0
        rate = price if zero_for_one else (1 / price if price > 0 else 0.0)
        return rate * (1 - pool.fee / 1_000_000)
    return float("inf")  # unknown kind: never skip on a guess


class CycleArbitrage:
    """Cycles of 2..max_hops through the base tokens over a set of pools, indexed by pool."""

    def __init__(
        self,
        pools: Mapping[str, Pool],
        base_tokens: Iterable[str],
        *,
        max_hops: int = 3,
        loan_fee_bps: int = 0,
        max_input: int = 10**24,
        skip_tokens: Iterable[str] = (),
    ) -> None:
        self.base_tokens = [t.lower() for t in base_tokens]
        self.max_hops = max_hops
        self.loan_fee_bps = loan_fee_bps
        self.max_input = max_input
        skip = {t.lower() for t in skip_tokens}
        graph = TokenGraph()
        for address, pool in pools.items():
            t0, t1 = pool.token0.lower(), pool.token1.lower()
            if t0 in skip or t1 in skip:
                continue
            graph.add_pool(address.lower(), t0, t1)
        self.graph = graph
        self.index = CycleIndex(graph.cycles(self.base_tokens, 2, max_hops))
        self.priced = 0  # cycles priced so far (for throughput figures)

    def __len__(self) -> int:
        return len(self.index.cycles)

    def touching(self, changed: Iterable[str]) -> list[Cycle]:
        return self.index.touching(a.lower() for a in changed)

    def on_update(
        self,
        changed: Iterable[str],
        pools: Mapping[str, Pool],
        limit: int | None = None,
        size_top: int | None = None,
    ) -> list[Candidate]:
        """Profitable candidates among the cycles through `changed` pools, best first.

        `size_top`: size only that many cycles, those with the best marginal rate at zero size (exact sizing
        is the expensive part; the rate is a cheap, usually faithful, ranking). None sizes every one.
        """
        ranked = []
        for cycle in self.touching(changed):
            self.priced += 1
            hops = self.hops_of(cycle, pools)
            if hops is None:
                continue
            rate = self._rate(hops, pools)
            if rate > 1.0 - 1e-9:
                ranked.append((rate, hops))
        ranked.sort(key=lambda item: item[0], reverse=True)
        if size_top is not None:
            ranked = ranked[:size_top]
        found = [c for _rate, hops in ranked if (c := self._sized(hops, pools)) is not None]
        found.sort(key=lambda c: c.gross_profit, reverse=True)
        return found[:limit] if limit is not None else found

    def hops_of(self, cycle: Cycle, pools: Mapping[str, Pool]) -> tuple[PricedHop, ...] | None:
        hops = []
        for edge in cycle.edges:
            pool = pools.get(str(edge.pool))
            if pool is None:
                return None  # dropped from the store (unreadable update): never price on a guess
            zero_for_one = edge.token_in == pool.token0.lower()
            tin, tout = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
            model = getattr(pool, "model", pool)
            v3, v4 = isinstance(model, UniswapV3Pool), isinstance(model, UniswapV4Pool)
            fee = 0 if v3 or v4 else getattr(pool, "fee_bps", 30)
            simulated = getattr(pool, "pricing", "math") == "simulation"
            hops.append(PricedHop(pool.address, tin, tout, v3, zero_for_one, fee, v4, simulated))
        return tuple(hops)

    def price(self, cycle: Cycle, pools: Mapping[str, Pool]) -> Candidate | None:
        """The best size for one cycle on `pools`, or None if no size makes money."""
        self.priced += 1
        hops = self.hops_of(cycle, pools)
        if hops is None:
            return None
        # Concave in size: unprofitable at the margin means unprofitable at any size.
        if self._rate(hops, pools) <= 1.0 - 1e-9:
            return None
        return self._sized(hops, pools)

    @staticmethod
    def _rate(hops: Sequence[PricedHop], pools: Mapping[str, Pool]) -> float:
        rate = 1.0
        for hop in hops:
            rate *= _marginal_rate(pools[hop.pool.lower()], hop.zero_for_one)
        return rate

    def _sized(self, hops: tuple[PricedHop, ...], pools: Mapping[str, Pool]) -> Candidate | None:
        models = [pools[h.pool.lower()] for h in hops]
        amount, gross = self._size(models, hops)
        if amount <= 0 or gross <= 0:
            return None
        return Candidate(hops[0].token_in, amount, gross, hops)

    def _size(self, models: Sequence[Pool], hops: Sequence[PricedHop]) -> tuple[int, int]:
        def profit(x: int) -> int:
            return self.quote(models, hops, x) - x - loan_fee(x, self.loan_fee_bps)

        if self.loan_fee_bps == 0 and all(isinstance(m, UniswapV2Pool) for m in models):
            v2 = []
            for m, h in zip(models, hops, strict=True):
                assert isinstance(m, UniswapV2Pool)
                r_in, r_out = (m.reserve0, m.reserve1) if h.zero_for_one else (m.reserve1, m.reserve0)
                v2.append(V2Hop(r_in, r_out, m.fee_bps))
            x = min(v2_cycle_optimal_input(v2), self.max_input)
            return (x, profit(x)) if x > 0 else (0, 0)
        # Tiny inputs lose to rounding (1 wei of WETH buys 0 USDC units), so profit only rises with size past
        # that dust: start the bracket search near the best of a coarse grid of powers of 16.
        grid = [16**k for k in range(0, 64) if 16**k <= self.max_input]
        coarse = max(grid, key=profit)
        return bracketed_optimum(profit, min(self.max_input, coarse * 16), max(1, coarse // 16))

    @staticmethod
    def quote(models: Sequence[Pool], hops: Sequence[PricedHop], amount: int) -> int:
        """Exact output of the cycle for `amount` in (0 where a pool would revert)."""
        out = amount
        try:
            for model, hop in zip(models, hops, strict=True):
                out = model.quote_exact_in(hop.token_in, out)
                if out <= 0:
                    return 0
        except AmmError:
            return 0
        return out
