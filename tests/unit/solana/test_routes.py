"""Route search: the shared token-graph engine over Solana pools, sized on exact quotes."""

from __future__ import annotations

from solders.pubkey import Pubkey

from arbbot.solana.routes import find_routes, graph_of, route_out
from arbbot.strategy.cycles import TokenGraph
from tests.unit.solana._pools import raydium_pool, token_swap_pool

A, B, C = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()


def test_graph_is_the_shared_engine_with_pool_ids_and_mints() -> None:
    pools = [token_swap_pool(A, B, 10**12, 10**12), raydium_pool(A, B, 10**12, 10**12)]
    graph = graph_of(pools)
    assert isinstance(graph, TokenGraph) and len(graph) == 2
    cycles = graph.cycles([str(A)], max_hops=3)
    assert {c.pools for c in cycles} == {(pools[0].id, pools[1].id), (pools[1].id, pools[0].id)}


def test_profitable_two_hop_at_its_exact_best_size() -> None:
    cheap_b = token_swap_pool(A, B, 10**12, 105 * 10**10)  # A buys 5% more B here
    fair = raydium_pool(A, B, 10**12, 10**12)
    routes = find_routes([cheap_b, fair], [A], max_input=10**11)
    assert len(routes) == 1
    best = routes[0]
    assert [h.pool for h in best.hops] == [cheap_b, fair]
    assert [(h.mint_in, h.mint_out, h.a_to_b) for h in best.hops] == [(A, B, True), (B, A, False)]
    assert best.amount_out == route_out(best.hops, best.amount_in)
    assert best.profit > 0
    # the integer optimum: one unit more or less earns no more
    for x in (best.amount_in - 1, best.amount_in + 1):
        assert route_out(best.hops, x) - x <= best.profit


def test_three_hops_through_a_third_mint() -> None:
    pools = [
        token_swap_pool(A, B, 10**12, 10**12),
        raydium_pool(B, C, 10**12, 10**12),
        raydium_pool(C, A, 10**12, 11 * 10**11),
    ]
    routes = find_routes(pools, [A], max_input=10**11, max_hops=3)
    assert routes and len(routes[0].hops) == 3
    assert [h.mint_in for h in routes[0].hops] == [A, B, C]
    assert routes[0].profit == route_out(routes[0].hops, routes[0].amount_in) - routes[0].amount_in > 0


def test_no_route_when_prices_agree() -> None:
    pools = [token_swap_pool(A, B, 10**12, 10**12), raydium_pool(A, B, 10**12, 10**12)]
    assert find_routes(pools, [A], max_input=10**11) == []
