"""What a pending transaction does to pools: its swaps, in execution order (pure data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SwapLeg:
    """One hop of a victim's swap: input and output token, the fee tier (V3 tier, V4 PoolKey fee, `None` for V2),
    and where known the V4 pool id, the venue and the minimum output a router checks after this leg.
    """

    token_in: str  # V4: a currency, the zero address for native ether
    token_out: str
    fee: int | None  # V3 fee tier, V4 PoolKey.fee; None for V2 (the venue's fee)
    pool_id: str | None = None  # V4: the PoolId (lower-case hex) the leg swaps in
    venue: str | None = None  # UniversalRouter legs: "v2" | "v3" | "v4" (which factory the pool is from)
    min_out: int = 0  # exact input: this leg's output must reach it (a router's check between hops)


@dataclass(frozen=True)
class PendingSwap:
    """A victim's swap: exact-in (amount = input, limit = min out) or exact-out (amount = output, limit = max in).

    `group`: swaps of one allow-revert command (or sub-plan) share a group; if any of them would revert,
    none of them happens and the transaction goes on.

    `v2_pays_arrivals`: in an exact-output swap, each V2 pair pays `getAmountOut` of the input that actually
    arrived (UniversalRouter's V2 swap reads the pair's balance) instead of the quoted output (Router02). The
    router rounds the input up, so the pair can pay more than asked: by up to a whole input unit's worth."""

    router_kind: str
    exact_in: bool
    amount: int
    limit: int
    legs: tuple[SwapLeg, ...]
    deadline: int
    group: int | None = None
    v2_pays_arrivals: bool = False


PendingSwaps = tuple[PendingSwap, ...]  # a transaction's swaps in execution order, never empty
