"""The one interface every pool model implements, and the registry that maps kinds to models."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar


class Pool(ABC):
    """A pool's exact state and the swaps it would execute. Pure: never touches the network."""

    kind: ClassVar[str]
    address: str
    token0: str
    token1: str

    @property
    def tokens(self) -> tuple[str, str]:
        """The pool's two token addresses, `(token0, token1)`, in the venue's sort order."""
        return self.token0, self.token1

    def _zero_for_one(self, token_in: str) -> bool:
        if token_in == self.token0:
            return True
        if token_in == self.token1:
            return False
        raise ValueError(f"pool {self.address}: token_in {token_in} is neither token0 nor token1")

    @abstractmethod
    def quote_exact_in(self, token_in: str, amount_in: int) -> int:
        """Amount out for exactly `amount_in` of `token_in` (state unchanged)."""

    @abstractmethod
    def quote_exact_out(self, token_in: str, amount_out: int) -> int:
        """Amount of `token_in` needed to receive exactly `amount_out` (state unchanged)."""

    @abstractmethod
    def apply_swap(self, token_in: str, amount_in: int) -> int:
        """Execute an exact-input swap on this state; returns the amount out."""

    @abstractmethod
    def copy(self) -> Pool:
        """An independent copy whose swaps and events do not touch this pool (for what-if quoting)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot including `kind`; 256-bit quantities are decimal strings so nothing is rounded."""

    @classmethod
    @abstractmethod
    def from_dict(cls, data: dict[str, Any]) -> Pool:
        """Rebuild a pool from `to_dict` output; the inverse of `to_dict`, exact to the last unit."""


REGISTRY: dict[str, type[Pool]] = {}


def register(cls: type[Pool]) -> type[Pool]:
    """Class decorator: a new AMM is one module plus this line."""
    REGISTRY[cls.kind] = cls
    return cls


def from_dict(data: dict[str, Any]) -> Pool:
    """Rebuild any registered pool from its `to_dict` output, dispatching on `data["kind"]`.

    Raises `ValueError` naming the kind when no model is registered for it.
    """
    kind = data.get("kind")
    if kind not in REGISTRY:
        raise ValueError(f"unknown pool kind {kind!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[kind].from_dict(data)
