"""Which of one update's judged trades go out together: the compatible set of greatest total value.

Pure (no I/O, standard library only). Each trade is an `Item`: its value (the ETH-valued expected net
after gas, fees and bribe), the pools it swaps through, the lenders it borrows from, and what it takes
from the executor's own balance. A set is compatible when no two items swap through a common pool, no
item borrows from a pool another item swaps through (two items may share a lender: each loan is repaid
within its own transaction), and,
per token, the own capital the set uses fits in the executor's balance (unknown balance: one own-capital
trade per token). The fork simulation of the set in sequence is still the judge of what is sent; this only
picks which trades to try together.

Method: exact by branch and bound over include/exclude decisions (items by value, bound = value so far
plus every remaining positive value) for up to `EXACT_LIMIT` items, which covers every update the searcher
makes (it judges a few candidates per update); beyond that a greedy pass by value, which is only a
heuristic. Items that cannot add value (value <= 0) are never chosen. Ties keep the earlier items, so the
choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

EXACT_LIMIT = 20  # items searched exactly; 2**20 leaves at worst, pruned far below that in practice


@dataclass(frozen=True)
class Item:
    """One judged trade as the batch chooser sees it: its value in ETH wei, the pools it swaps through, the lenders it
    borrows from and the executor's own capital it needs per token (all addresses lower-case).
    """

    value: int  # what the trade adds, in wei of ETH
    touches: frozenset[str]  # lower-case addresses of the pools whose state the trade changes
    own: Mapping[str, int] = field(default_factory=dict)  # token (lower-case) -> own capital the trade needs
    # Lower-case addresses the trade borrows from and repays within its transaction: two trades may share a
    # lender, but not borrow from a pool another trade swaps through (its balances would differ).
    borrows: frozenset[str] = frozenset()


def compatible(items: Sequence[Item], balances: Mapping[str, int] | None = None) -> bool:
    """Whether all of `items` can go in one block: disjoint state and enough own capital for all of them."""
    seen: set[str] = set()
    for it in items:
        if seen & it.touches:
            return False
        seen |= it.touches
    for i, it in enumerate(items):
        if it.borrows and any(it.borrows & other.touches for j, other in enumerate(items) if j != i):
            return False
    need: dict[str, int] = {}
    users: dict[str, int] = {}
    for it in items:
        for token, amount in it.own.items():
            need[token] = need.get(token, 0) + amount
            users[token] = users.get(token, 0) + 1
    for token, total in need.items():
        if balances is None or token not in balances:
            if users[token] > 1:
                return False
        elif total > balances[token]:
            return False
    return True


def choose(items: Sequence[Item], balances: Mapping[str, int] | None = None) -> list[int]:
    """Indices (ascending) of the compatible subset of `items` with the greatest total value."""
    useful = [i for i, it in enumerate(items) if it.value > 0]
    if len(useful) > EXACT_LIMIT:
        return _greedy(items, useful, balances)
    order = sorted(useful, key=lambda i: (-items[i].value, i))
    suffix = [0] * (len(order) + 1)
    for k in range(len(order) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + items[order[k]].value
    best: list[int] = []
    best_value = 0

    def walk(k: int, taken: list[int], value: int) -> None:
        nonlocal best, best_value
        if value > best_value:
            best, best_value = list(taken), value
        if k == len(order) or value + suffix[k] <= best_value:
            return
        i = order[k]
        taken.append(i)
        if compatible([items[j] for j in taken], balances):
            walk(k + 1, taken, value + items[i].value)
        taken.pop()
        walk(k + 1, taken, value)

    walk(0, [], 0)
    return sorted(best)


def _greedy(items: Sequence[Item], useful: list[int], balances: Mapping[str, int] | None) -> list[int]:
    taken: list[int] = []
    for i in sorted(useful, key=lambda i: (-items[i].value, i)):
        if compatible([items[j] for j in [*taken, i]], balances):
            taken.append(i)
    return sorted(taken)
