"""Token graph over pools and the cycles through base tokens, indexed by pool for cheap re-pricing.

Generic: a pool is anything with an id and two tokens, so the same code serves EVM and Solana venues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

PoolId = Hashable
Token = str


@dataclass(frozen=True)
class Edge:
    """A directed edge of the token graph: swap `token_in` for `token_out` in `pool`."""

    pool: PoolId
    token_in: Token
    token_out: Token


@dataclass(frozen=True)
class Cycle:
    """A closed route: each edge's token_out is the next edge's token_in; it starts and ends at `base`."""

    base: Token
    edges: tuple[Edge, ...]

    @property
    def pools(self) -> tuple[PoolId, ...]:
        """The cycle's pools, in hop order."""
        return tuple(e.pool for e in self.edges)

    def __len__(self) -> int:
        return len(self.edges)


class TokenGraph:
    """Tokens as nodes, pools as edges in both directions: the graph cycles are enumerated on."""

    def __init__(self) -> None:
        self._out: dict[Token, list[Edge]] = defaultdict(list)
        self._pools: dict[PoolId, tuple[Token, Token]] = {}
        self._group: dict[PoolId, Hashable] = {}

    def add_pool(self, pool: PoolId, token0: Token, token1: Token, group: Hashable | None = None) -> None:
        """Add a two-token pool as an edge each way; adding a pool again is a no-op.

        `group` names the state the pool shares with others (the pairs of one Balancer pool): a cycle uses
        each group at most once, since a quote through one pair does not see a swap through another earlier
        in the same route. Raises `ValueError` when both tokens are the same.
        """
        if token0 == token1:
            raise ValueError(f"pool {pool!r}: both tokens are {token0}")
        if pool in self._pools:
            return
        self._pools[pool] = (token0, token1)
        self._group[pool] = pool if group is None else group
        self._out[token0].append(Edge(pool, token0, token1))
        self._out[token1].append(Edge(pool, token1, token0))

    @classmethod
    def from_pools(cls, pools: Iterable[tuple[PoolId, Token, Token]]) -> TokenGraph:
        """A graph with every `(pool, token0, token1)` of `pools` added."""
        g = cls()
        for pool, t0, t1 in pools:
            g.add_pool(pool, t0, t1)
        return g

    def __len__(self) -> int:
        return len(self._pools)

    def edges_from(self, token: Token) -> Sequence[Edge]:
        """The edges leaving `token` (empty for an unknown token)."""
        return self._out.get(token, ())

    def cycles(self, bases: Iterable[Token], min_hops: int = 2, max_hops: int = 4) -> list[Cycle]:
        """Every simple cycle of min..max hops from each base token, each pool (and pool group) used at most once.

        Intermediate tokens are not revisited (no figure-eights), so each cycle is a clean route.
        Both directions of a cycle are kept: they are different trades.
        """
        if not 2 <= min_hops <= max_hops:
            raise ValueError(f"hop bounds must satisfy 2 <= min_hops <= max_hops, got {min_hops}..{max_hops}")
        found: list[Cycle] = []
        for base in dict.fromkeys(bases):
            self._walk(base, base, [], {base}, set(), min_hops, max_hops, found)
        return found

    def _walk(
        self,
        base: Token,
        at: Token,
        path: list[Edge],
        seen_tokens: set[Token],
        used_pools: set[PoolId],
        min_hops: int,
        max_hops: int,
        found: list[Cycle],
    ) -> None:
        for edge in self._out.get(at, ()):
            group = self._group[edge.pool]
            if group in used_pools:
                continue
            if edge.token_out == base:
                if len(path) + 1 >= min_hops:
                    found.append(Cycle(base, (*path, edge)))
                continue
            if len(path) + 1 >= max_hops or edge.token_out in seen_tokens:
                continue
            path.append(edge)
            seen_tokens.add(edge.token_out)
            used_pools.add(group)
            self._walk(base, edge.token_out, path, seen_tokens, used_pools, min_hops, max_hops, found)
            used_pools.discard(group)
            seen_tokens.discard(edge.token_out)
            path.pop()


class CycleIndex:
    """Cycles by pool: when pools change, only the cycles through them are re-priced."""

    def __init__(self, cycles: Iterable[Cycle]) -> None:
        self.cycles = list(cycles)
        self._by_pool: dict[PoolId, list[int]] = defaultdict(list)
        for i, cycle in enumerate(self.cycles):
            for pool in dict.fromkeys(cycle.pools):
                self._by_pool[pool].append(i)

    def touching(self, pools: Iterable[PoolId]) -> list[Cycle]:
        """The cycles through any of `pools`, each once, in index order."""
        ids: set[int] = set()
        for pool in pools:
            ids.update(self._by_pool.get(pool, ()))
        return [self.cycles[i] for i in sorted(ids)]
