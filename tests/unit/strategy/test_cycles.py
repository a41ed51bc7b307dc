"""Cycle enumeration and the pool index."""

from __future__ import annotations

import itertools

import pytest

from arbbot.strategy.cycles import CycleIndex, TokenGraph


def graph() -> TokenGraph:
    return TokenGraph.from_pools(
        [
            ("uni:WETH/USDC", "WETH", "USDC"),
            ("sushi:WETH/USDC", "WETH", "USDC"),
            ("uni:USDC/DAI", "USDC", "DAI"),
            ("uni:DAI/WETH", "DAI", "WETH"),
            ("uni:WBTC/WETH", "WBTC", "WETH"),
            ("uni:WBTC/USDC", "WBTC", "USDC"),
        ]
    )


def test_two_hop_cycles_are_both_directions_across_venues() -> None:
    two = [c for c in graph().cycles(["WETH"], 2, 2)]
    assert {c.pools for c in two} == {
        ("uni:WETH/USDC", "sushi:WETH/USDC"),
        ("sushi:WETH/USDC", "uni:WETH/USDC"),
    }


def test_cycles_are_closed_simple_and_bounded() -> None:
    cycles = graph().cycles(["WETH"], 2, 4)
    assert cycles
    for c in cycles:
        assert 2 <= len(c) <= 4
        assert c.edges[0].token_in == c.edges[-1].token_out == "WETH"
        for a, b in itertools.pairwise(c.edges):
            assert a.token_out == b.token_in
        assert len(set(c.pools)) == len(c)
        inner = [e.token_out for e in c.edges[:-1]]
        assert len(set(inner)) == len(inner) and "WETH" not in inner
    three = {c.pools for c in cycles if len(c) == 3}
    assert ("uni:WETH/USDC", "uni:USDC/DAI", "uni:DAI/WETH") in three
    assert ("uni:DAI/WETH", "uni:USDC/DAI", "uni:WETH/USDC") in three


def test_count_matches_brute_force_on_a_complete_graph() -> None:
    tokens = ["A", "B", "C", "D"]
    pools = [(f"{a}{b}", a, b) for a, b in itertools.combinations(tokens, 2)]
    cycles = TokenGraph.from_pools(pools).cycles(["A"], 2, 4)
    # Simple cycles from A over distinct intermediate tokens, one pool per pair: 2 hops need a
    # repeated pool (none); 3 hops: ordered pairs of 2 others = 6; 4 hops: orderings of 3 others = 6.
    assert sorted(len(c) for c in cycles) == [3] * 6 + [4] * 6


def test_index_returns_only_cycles_through_changed_pools() -> None:
    cycles = graph().cycles(["WETH"], 2, 3)
    index = CycleIndex(cycles)
    touched = index.touching(["uni:WBTC/USDC"])
    assert touched and all("uni:WBTC/USDC" in c.pools for c in touched)
    assert len(touched) < len(cycles)
    assert index.touching(["nope"]) == []


def test_bad_bounds_and_pools() -> None:
    with pytest.raises(ValueError, match="hop bounds"):
        graph().cycles(["WETH"], 1, 3)
    with pytest.raises(ValueError, match="both tokens"):
        TokenGraph().add_pool("x", "A", "A")
