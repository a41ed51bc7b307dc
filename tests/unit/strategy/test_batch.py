"""The choice of trades that go out together, against an exhaustive oracle written here independently."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.strategy.batch import EXACT_LIMIT, Item, choose, compatible

ADDRS = [f"0x{i:040x}" for i in range(6)]
TOKENS = ["0xweth", "0xusdc"]


def _fits(subset: list[Item], balances: dict[str, int] | None) -> bool:
    """Oracle feasibility, stated directly: every pair disjoint; per token, own capital summed fits."""
    for a, b in combinations(subset, 2):
        if set(a.touches) & set(b.touches):
            return False
        if set(a.borrows) & set(b.touches) or set(b.borrows) & set(a.touches):
            return False
    for token in TOKENS:
        using = [it.own[token] for it in subset if token in it.own]
        if balances is None or token not in balances:
            if len(using) > 1:
                return False
        elif sum(using) > balances[token]:
            return False
    return True


def _oracle(items: list[Item], balances: dict[str, int] | None) -> int:
    best = 0
    for r in range(len(items) + 1):
        for subset in combinations(items, r):
            if _fits(list(subset), balances):
                best = max(best, sum(max(it.value, 0) for it in subset if it.value > 0))
    return best


items_st = st.lists(
    st.builds(
        Item,
        value=st.integers(-(10**18), 10**18),
        touches=st.frozensets(st.sampled_from(ADDRS), min_size=1, max_size=3),
        own=st.dictionaries(st.sampled_from(TOKENS), st.integers(1, 100), max_size=2),
        borrows=st.frozensets(st.sampled_from(ADDRS), max_size=1),
    ),
    max_size=9,
)
balances_st = st.none() | st.dictionaries(st.sampled_from(TOKENS), st.integers(0, 200), max_size=2)


@settings(max_examples=400, deadline=None)
@given(items_st, balances_st)
def test_the_choice_is_compatible_and_worth_the_most_of_any_compatible_set(items: list[Item], balances) -> None:
    chosen = choose(items, balances)
    assert chosen == sorted(set(chosen))
    picked = [items[i] for i in chosen]
    assert _fits(picked, balances) and compatible(picked, balances)
    assert all(it.value > 0 for it in picked)
    assert sum(it.value for it in picked) == _oracle(items, balances)


def test_overlapping_trades_keep_only_the_better_one() -> None:
    pool = "0xpool"
    a = Item(5, frozenset({pool, "0xa"}))
    b = Item(7, frozenset({pool, "0xb"}))
    c = Item(3, frozenset({"0xc"}))
    assert choose([a, b, c]) == [1, 2]


def test_two_small_disjoint_trades_beat_one_larger_trade_that_overlaps_both() -> None:
    big = Item(10, frozenset({"0xp", "0xq"}))
    left, right = Item(6, frozenset({"0xp"})), Item(6, frozenset({"0xq"}))
    assert choose([big, left, right]) == [1, 2]


def test_a_lender_that_another_route_swaps_through_conflicts() -> None:
    # Route 0 borrows from pair X (a flash loan from a pool not in it); route 1 swaps through X.
    borrower = Item(4, frozenset({"0xa", "0xb"}), borrows=frozenset({"0xx"}))
    swapper = Item(3, frozenset({"0xx", "0xc"}))
    assert not compatible([borrower, swapper])
    assert choose([borrower, swapper]) == [0]
    # Two trades borrowing from one vault that neither swaps through go together.
    other = Item(2, frozenset({"0xd"}), borrows=frozenset({"0xvault"}))
    assert choose([Item(1, frozenset({"0xe"}), borrows=frozenset({"0xvault"})), other]) == [0, 1]


def test_own_capital_of_one_token_must_fit_the_executor_balance_together() -> None:
    a = Item(4, frozenset({"0xa"}), {"0xweth": 60})
    b = Item(3, frozenset({"0xb"}), {"0xweth": 50})
    assert choose([a, b], {"0xweth": 100}) == [0]
    assert choose([a, b], {"0xweth": 110}) == [0, 1]
    assert choose([a, b], None) == [0]  # balance unknown: one own-capital trade per token
    c = Item(2, frozenset({"0xc"}), {"0xusdc": 5})
    assert choose([a, b, c], None) == [0, 2]


def test_nothing_worth_sending_is_chosen_empty() -> None:
    assert choose([]) == []
    assert choose([Item(0, frozenset({"0xa"})), Item(-5, frozenset({"0xb"}))]) == []


def test_beyond_the_exact_limit_a_greedy_choice_is_still_compatible() -> None:
    shared = "0xshared"
    items = [Item(100 + i, frozenset({f"0x{i}", shared} if i % 2 else {f"0x{i}"})) for i in range(EXACT_LIMIT + 5)]
    chosen = choose(items)
    picked = [items[i] for i in chosen]
    assert compatible(picked)
    # Every item without the shared pool, and the best one with it.
    odd = [i for i in range(len(items)) if i % 2]
    assert chosen == sorted([i for i in range(len(items)) if not i % 2] + [max(odd)])
