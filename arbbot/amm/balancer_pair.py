"""Two-token views of a Balancer V2 pool of N tokens, so routes, the solver and the store see one `Pool` per pair.

Every view of one pool shares that pool's one model (`underlying`): a swap booked through any view, or from
the Vault's `Swap` event, moves the balances every other view quotes from. Copies for what-if quoting must
therefore be made per underlying model (`copy_views`), never per view, or two views of one pool would drift
apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol

from arbbot.amm.balancer_stable import BalancerComposableStablePool
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.amm.base import Pool, register


class NTokenPool(Protocol):
    """What a Balancer pool model of N tokens offers: quotes and swaps between any two of its tokens."""

    kind: ClassVar[str]
    address: str
    pool_id: str
    vault: str
    tokens: tuple[str, ...]
    paused: bool

    def index(self, token: str) -> int:
        """The token's position in `tokens`."""

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Output for exactly `amount_in` (state unchanged)."""

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Input for exactly `amount_out` (state unchanged)."""

    def apply_swap(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Book an exact-input swap; returns the output."""

    def copy(self) -> NTokenPool:
        """An independent copy."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot with `kind`."""


# Models a view can wrap, by kind (so a view's snapshot can be rebuilt).
MODELS: dict[str, Any] = {
    BalancerWeightedPool.kind: BalancerWeightedPool,
    BalancerComposableStablePool.kind: BalancerComposableStablePool,
}


def register_model(cls: Any) -> Any:
    """Class decorator for another N-token model a view can wrap (a new Balancer pool type)."""
    MODELS[cls.kind] = cls
    return cls


def view_id(pool_id: str, i: int, j: int) -> str:
    """The key of the view of tokens `i` < `j` of the pool `pool_id`: ``<pool id>#<i>-<j>``."""
    return f"{pool_id.lower()}#{i}-{j}"


def underlying_id(key: str) -> str:
    """The pool a store key belongs to: the pool id of a view's key, the key itself for any other pool."""
    return key.split("#", 1)[0].lower()


@register
class BalancerPairView(Pool):
    """Tokens `i` < `j` of a Balancer pool as a two-token `Pool` (token0 = tokens[i], token1 = tokens[j]).

    `address` is the view's key (see `view_id`), not a contract address: the executor reaches the pool through
    `underlying.vault` and `underlying.pool_id`.
    """

    kind: ClassVar[str] = "balancer_pair"

    def __init__(self, underlying: NTokenPool, i: int, j: int) -> None:
        n = len(underlying.tokens)
        if not 0 <= i < j < n:
            raise ValueError(f"pool {underlying.pool_id}: pair ({i}, {j}) is not two token indices i < j < {n}")
        self.underlying = underlying
        self.i, self.j = i, j
        self.token0, self.token1 = underlying.tokens[i], underlying.tokens[j]
        self.address = view_id(underlying.pool_id, i, j)

    def __repr__(self) -> str:
        return f"BalancerPairView({self.address}, {self.token0}, {self.token1})"

    @property
    def pool_id(self) -> str:
        """The Vault's id of the underlying pool."""
        return self.underlying.pool_id

    @property
    def vault(self) -> str:
        """The Vault that holds the underlying pool's balances."""
        return self.underlying.vault

    def _other(self, token_in: str) -> str:
        return self.token1 if self._zero_for_one(token_in) else self.token0

    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """What the Vault pays out for exactly `amount_in` of `token_in` (the model's refusals raise)."""
        return self.underlying.quote_exact_in(token_in, self._other(token_in), amount_in)

    def quote_exact_out(self, token_in: str, amount_out: int) -> int:
        """The input of `token_in` the Vault takes to pay exactly `amount_out` of the other token."""
        return self.underlying.quote_exact_out(token_in, self._other(token_in), amount_out)

    def max_amount_in(self, token_in: str) -> int | None:
        """An input above which the pool refuses every swap from `token_in` (None: no such limit)."""
        bound = getattr(self.underlying, "max_amount_in", None)
        return None if bound is None else int(bound(token_in))

    def apply_swap(self, token_in: str, amount_in: int) -> int:
        """Swap exactly `amount_in` on the shared state (every view of the pool sees it); returns the output."""
        return self.underlying.apply_swap(token_in, self._other(token_in), amount_in)

    def copy(self) -> BalancerPairView:
        """A view over an independent copy of the underlying pool (use `copy_views` for several views of one pool)."""
        return BalancerPairView(self.underlying.copy(), self.i, self.j)

    def to_dict(self) -> dict[str, Any]:
        """The view's pair and the underlying pool's whole snapshot."""
        return {"kind": self.kind, "i": self.i, "j": self.j, "underlying": self.underlying.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BalancerPairView:
        """Rebuild a view (and a model of its own) from `to_dict` output."""
        inner = data.get("underlying") or {}
        model = MODELS.get(inner.get("kind", ""))
        if model is None:
            raise ValueError(f"unknown Balancer pool kind {inner.get('kind')!r}; known: {sorted(MODELS)}")
        return cls(model.from_dict(inner), int(data["i"]), int(data["j"]))


def pair_views(model: NTokenPool) -> list[BalancerPairView]:
    """One view per pair of the pool's swappable tokens (a composable pool's own BPT is not one of them)."""
    skip = getattr(model, "bpt_index", None)
    idx = [k for k in range(len(model.tokens)) if k != skip]
    return [BalancerPairView(model, i, j) for n, i in enumerate(idx) for j in idx[n + 1 :]]


def copy_views(pools: Mapping[str, Pool], keys: Iterable[str]) -> dict[str, Pool]:
    """Independent copies of `pools[key]` for each key, where views of one Balancer pool share one copied model.

    Every view of a copied pool that `pools` holds is included too, so a what-if swap through one pair is seen by
    every other pair of that pool.
    """
    wanted = {k.lower() for k in keys}
    groups = {underlying_id(k) for k in wanted if isinstance(pools.get(k), BalancerPairView)}
    out: dict[str, Pool] = {}
    models: dict[int, NTokenPool] = {}
    for key, pool in pools.items():
        k = key.lower()
        if isinstance(pool, BalancerPairView):
            if underlying_id(k) not in groups:
                continue
            model = models.setdefault(id(pool.underlying), pool.underlying.copy())
            out[k] = BalancerPairView(model, pool.i, pool.j)
        elif k in wanted:
            out[k] = pool.copy()
    return out
