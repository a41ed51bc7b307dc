"""Compute-unit limit and price for a route transaction: the limit from a simulation, the price from the
fees that recently landed transactions touching the same accounts. Pure arithmetic: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbbot.solana.transaction import MAX_COMPUTE_UNIT_LIMIT


@dataclass(frozen=True)
class PriorityPolicy:
    """`percentile` of the recent per-slot fees (nearest rank), clamped to [min_price, max_price]
    micro-lamports per CU; the limit is the simulated units x margin_bps / 10_000 plus `headroom`."""

    percentile: int = 75
    min_price: int = 0
    max_price: int = 1_000_000
    margin_bps: int = 12_000
    headroom: int = 1_000

    def __post_init__(self) -> None:
        if not 0 <= self.percentile <= 100:
            raise ValueError(f"percentile must be 0..100, got {self.percentile}")
        if not 0 <= self.min_price <= self.max_price:
            raise ValueError(f"price bounds must satisfy 0 <= min <= max, got {self.min_price}..{self.max_price}")
        if self.margin_bps < 10_000:
            raise ValueError(f"margin_bps must be at least 10000 (x1.0), got {self.margin_bps}")
        if self.headroom < 0:
            raise ValueError(f"headroom must not be negative, got {self.headroom}")


def compute_unit_price(recent: Sequence[int], policy: PriorityPolicy) -> int:
    """Nearest-rank percentile of the recent fees (slots without transactions count as 0, as the RPC
    reports them), clamped to the policy's bounds; the floor when there is no history."""
    if not recent:
        return policy.min_price
    ordered = sorted(recent)
    rank = max(1, -(-policy.percentile * len(ordered) // 100))  # ceil, 1-based
    return min(max(ordered[rank - 1], policy.min_price), policy.max_price)


def compute_unit_limit(units_consumed: int, policy: PriorityPolicy) -> int:
    """The limit to request for a transaction that consumed `units_consumed` in simulation."""
    if units_consumed <= 0:
        raise ValueError(f"simulation consumed {units_consumed} compute units; cannot size a limit from it")
    limit = -(-units_consumed * policy.margin_bps // 10_000) + policy.headroom
    return min(limit, MAX_COMPUTE_UNIT_LIMIT)
