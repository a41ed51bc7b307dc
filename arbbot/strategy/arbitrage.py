"""Cyclic arbitrage: re-price only the cycles through pools that changed, size each on exact quotes.

Pure: works on pool models (a mapping address -> Pool), never on the network. The same object prices
the live state (after a block) and a hypothetical one (after a pending victim swap) by being handed a
different mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from arbbot.amm.balancer_pair import BalancerPairView, underlying_id
from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.solver import Hop, Quote, Relaxation, closed_form, quote_cycle, relax, solve
from arbbot.strategy.cycles import Cycle, CycleIndex, TokenGraph


@dataclass(frozen=True)
class PricedHop:
    """One swap of a candidate, with what the executor needs to encode it.

    `pool`, `token_in` and `token_out` are the pool model's own strings (models compare them exactly; a Balancer
    pool's pair is its view key, see `amm.balancer_pair`); `fee_bps` is set for V2 hops only; `simulated` marks
    a hop priced by simulating the pool (a V4 hook that can change amounts) rather than by exact math.
    """

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
        """The candidate's pool addresses, in hop order."""
        return tuple(h.pool for h in self.hops)


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
        cycle_quote: Quote = quote_cycle,
    ) -> None:
        self.base_tokens = [t.lower() for t in base_tokens]
        self.max_hops = max_hops
        self.loan_fee_bps = loan_fee_bps
        self.max_input = max_input
        self.cycle_quote = cycle_quote  # the exact cycle quote the solver sizes on (models, or a compiled mirror)
        skip = {t.lower() for t in skip_tokens}
        graph = TokenGraph()
        for address, pool in pools.items():
            t0, t1 = pool.token0.lower(), pool.token1.lower()
            if t0 in skip or t1 in skip:
                continue
            graph.add_pool(address.lower(), t0, t1, group=underlying_id(address))
        self.graph = graph
        self.index = CycleIndex(graph.cycles(self.base_tokens, 2, max_hops))
        self.priced = 0  # cycles priced so far (for throughput figures)

    def __len__(self) -> int:
        return len(self.index.cycles)

    def touching(self, changed: Iterable[str]) -> list[Cycle]:
        """The indexed cycles that go through any of the `changed` pool addresses (case-insensitive)."""
        return self.index.touching(a.lower() for a in changed)

    def on_update(
        self,
        changed: Iterable[str],
        pools: Mapping[str, Pool],
        limit: int | None = None,
        size_top: int | None = None,
    ) -> list[Candidate]:
        """Profitable candidates among the cycles through `changed` pools, best first.

        Every cycle gets the exact filter (the solver's relaxed bound: a cycle is dropped only when no
        size can pay). `size_top`: size only that many of the rest, those with the highest bound on
        their profit (exact sizing is the expensive part). None sizes every one.
        """
        ranked: list[tuple[int, int, tuple[PricedHop, ...], list[Hop], Relaxation | None]] = []
        for n, cycle in enumerate(self.touching(changed)):
            self.priced += 1
            hops = self.hops_of(cycle, pools)
            if hops is None:
                continue
            route = self._route(hops, pools)
            if closed_form(route):
                relaxation = relax(route, max_input=self.max_input, loan_fee_bps=self.loan_fee_bps)
                if relaxation is None:
                    continue  # proven: no size pays
                ranked.append((relaxation.upper, n, hops, route, relaxation))
            else:
                ranked.append((1 << 256, n, hops, route, None))  # no bound: always sized
        ranked.sort(key=lambda item: (-item[0], item[1]))
        if size_top is not None:
            ranked = ranked[:size_top]
        found: list[Candidate] = []
        for upper, _n, hops, route, rx in ranked:
            # Branch and bound: the bound is exact, so a cycle whose bound cannot beat the limit-th best
            # profit already found cannot enter the answer; neither can any ranked after it.
            if limit is not None and len(found) >= limit and upper <= sorted(c.gross_profit for c in found)[-limit]:
                break
            if (c := self._sized(hops, route, rx)) is not None:
                found.append(c)
        found.sort(key=lambda c: c.gross_profit, reverse=True)
        return found[:limit] if limit is not None else found

    def hops_of(self, cycle: Cycle, pools: Mapping[str, Pool]) -> tuple[PricedHop, ...] | None:
        """The priced hops of `cycle` over `pools`, or `None` when a pool is missing from `pools`.

        A missing pool is never priced on a guess: the cycle is skipped until its state is known again.
        """
        hops = []
        for edge in cycle.edges:
            pool = pools.get(str(edge.pool))
            if pool is None:
                return None  # dropped from the store (unreadable update): never price on a guess
            zero_for_one = edge.token_in == pool.token0.lower()
            tin, tout = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
            model = getattr(pool, "model", pool)
            v3, v4 = isinstance(model, UniswapV3Pool), isinstance(model, UniswapV4Pool)
            fee = 0 if v3 or v4 or isinstance(model, BalancerPairView) else getattr(pool, "fee_bps", 30)
            simulated = getattr(pool, "pricing", "math") == "simulation"
            hops.append(PricedHop(pool.address, tin, tout, v3, zero_for_one, fee, v4, simulated))
        return tuple(hops)

    def price(self, cycle: Cycle, pools: Mapping[str, Pool]) -> Candidate | None:
        """The best size for one cycle on `pools`, or None if no size makes money."""
        self.priced += 1
        hops = self.hops_of(cycle, pools)
        if hops is None:
            return None
        return self._sized(hops, self._route(hops, pools), None)

    @staticmethod
    def _route(hops: Sequence[PricedHop], pools: Mapping[str, Pool]) -> list[Hop]:
        return [Hop(pools[h.pool.lower()], h.zero_for_one) for h in hops]

    def _sized(self, hops: tuple[PricedHop, ...], route: list[Hop], relaxation: Relaxation | None) -> Candidate | None:
        cap = self.max_input
        bound = getattr(route[0].pool, "max_amount_in", None)  # a Balancer pool refuses inputs past 30% of its balance
        if bound is not None and (limit := bound(hops[0].token_in)) is not None:
            cap = min(cap, limit)
        solution = solve(
            route, max_input=cap, loan_fee_bps=self.loan_fee_bps, quote=self.cycle_quote,
            relaxation=relaxation,
        )  # fmt: skip
        if solution is None:
            return None
        return Candidate(hops[0].token_in, solution.amount_in, solution.profit, hops)

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
