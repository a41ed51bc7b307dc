"""Cycle search over Solana pools with the shared token-graph engine, sized on exact quotes.

`arbbot.strategy.cycles` is venue-agnostic (a pool is an id and two tokens); this module only adapts
VenuePool to that shape and prices cycles with the venues' exact quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import QuoteError
from arbbot.solana.venues import VenuePool
from arbbot.strategy.cycles import Cycle, TokenGraph
from arbbot.strategy.sizing import bracketed_optimum


@dataclass(frozen=True)
class RouteHop:
    """One hop of a route: the pool and the mints going in and coming out."""

    pool: VenuePool
    mint_in: Pubkey
    mint_out: Pubkey

    @property
    def a_to_b(self) -> bool:
        """True when the hop swaps the pool's mint A for mint B."""
        return self.pool.a_to_b(self.mint_in)


@dataclass(frozen=True)
class Route:
    """A profitable cycle sized at its best integer input: `amount_in` of `base` in, `amount_out` of `base` back.

    Amounts are raw units of the base mint, as the venues' exact quotes gave them when the route was found.
    """

    base: Pubkey
    hops: tuple[RouteHop, ...]
    amount_in: int
    amount_out: int

    @property
    def profit(self) -> int:
        """Gross profit in raw units of the base mint, before transaction fees and tip."""
        return self.amount_out - self.amount_in


def graph_of(pools: Iterable[VenuePool]) -> TokenGraph:
    """The pool adapter: ids and mints as strings, which is all the graph engine needs."""
    return TokenGraph.from_pools((p.id, str(p.mint_a), str(p.mint_b)) for p in pools)


def hops_of(cycle: Cycle, pools: dict[str, VenuePool]) -> tuple[RouteHop, ...]:
    """The route hops of a graph cycle, with the pools looked up by id in `pools`."""
    return tuple(
        RouteHop(pools[str(e.pool)], Pubkey.from_string(e.token_in), Pubkey.from_string(e.token_out))
        for e in cycle.edges
    )


def route_out(hops: Sequence[RouteHop], amount_in: int) -> int:
    """Exact output of the whole route; QuoteError if any hop would fail."""
    amount = amount_in
    for hop in hops:
        amount = hop.pool.quote(hop.mint_in, amount)
    return amount


def _profit(hops: Sequence[RouteHop]) -> Callable[[int], int]:
    def profit(x: int) -> int:
        try:
            return route_out(hops, x) - x
        except QuoteError:
            return -x - 1  # a failing size is worse than doing nothing

    return profit


def find_routes(
    pools: Sequence[VenuePool],
    bases: Iterable[Pubkey],
    max_input: int,
    *,
    min_hops: int = 2,
    max_hops: int = 3,
    min_profit: int = 1,
    min_input: int | None = None,
) -> list[Route]:
    """Every profitable cycle through a base mint, at its best integer input, most profitable first.

    Tiny inputs lose to minimum fees and rounding whatever the prices, so the bracket search starts at
    `min_input` (default: a millionth of `max_input`) where the profit curve has its real shape.
    """
    start = min_input if min_input is not None else max(1, max_input // 1_000_000)
    by_id = {p.id: p for p in pools}
    graph = graph_of(pools)
    found: list[Route] = []
    for cycle in graph.cycles([str(b) for b in bases], min_hops=min_hops, max_hops=max_hops):
        hops = hops_of(cycle, by_id)
        best, value = bracketed_optimum(_profit(hops), max_input, start)
        if best > 0 and value >= min_profit:
            found.append(Route(Pubkey.from_string(cycle.base), hops, best, best + value))
    found.sort(key=lambda r: r.profit, reverse=True)
    return found
