"""Which capital a route can run on, and the cheapest of them by measured gas (pure: no I/O).

Every source here is free (no loan fee), so the profit of a route does not depend on the choice; only the
gas does. `options` lists the sources that can run a route, cheapest expected first (the order measured
in BENCHMARKS.md: a flash swap from the route's own last or first V2 pair, then the PoolManager, the
Balancer Vault, and the executor's own balance). `cheapest` picks, among simulated runs, the one that
succeeded with the least gas: a PoolManager that does not hold the start token, for instance, simply
fails its simulation and is not chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arbbot.execution.route import ZERO_ADDRESS, Capital, Hop


@dataclass(frozen=True)
class CapitalOption:
    """One way to fund a route: the `Capital` mode and the lender contract it borrows from (zero address when none)."""

    capital: Capital
    lender: str


@dataclass(frozen=True)
class CapitalSources:
    """What the searcher may borrow from on this chain (None: not available)."""

    pool_manager: str | None = None  # Uniswap V4
    balancer_vault: str | None = None
    own_balance: bool = False  # the executor holds start tokens of its own
    own_pairs: bool = True  # flash swaps from the route's own V2 pairs


def options(hops: Sequence[Hop], sources: CapitalSources) -> list[CapitalOption]:
    """The free capital sources that can run `hops`, cheapest expected first (a route with a Balancer hop never
    gets the Balancer flash loan, nor a flash swap from a pair the Balancer hop stands where)."""
    out: list[CapitalOption] = []
    v4 = any(h.v4 for h in hops)
    if v4:
        if sources.pool_manager:
            out.append(CapitalOption(Capital.POOL_MANAGER, sources.pool_manager))
            if sources.own_balance:
                out.append(CapitalOption(Capital.OWN, sources.pool_manager))
        return out
    v2_only = all(not (h.v3 or h.balancer) for h in hops)
    if sources.own_pairs and v2_only:
        out.append(CapitalOption(Capital.LAST_HOP, ZERO_ADDRESS))
    if sources.own_pairs and not (hops[0].v3 or hops[0].balancer):
        out.append(CapitalOption(Capital.FIRST_HOP, ZERO_ADDRESS))
    if sources.pool_manager:
        out.append(CapitalOption(Capital.POOL_MANAGER, sources.pool_manager))
    # The Vault refuses a swap inside its own flash loan (BAL#400): no Balancer loan for a Balancer hop.
    if sources.balancer_vault and not any(h.balancer for h in hops):
        out.append(CapitalOption(Capital.BALANCER, sources.balancer_vault))
    if sources.own_balance:
        out.append(CapitalOption(Capital.OWN, ZERO_ADDRESS))
    return out


@dataclass(frozen=True)
class Measured:
    """The simulated result of one `CapitalOption`: whether it succeeded, the gas it used and, on failure, why."""

    option: CapitalOption
    success: bool
    gas: int
    reason: str = ""


def cheapest(candidates: Sequence[CapitalOption], measure: Callable[[CapitalOption], Measured]) -> Measured | None:
    """Measure every option (a simulation each) and keep the successful one with the least gas (ties: the
    earlier option); None when none succeeds."""
    best: Measured | None = None
    for option in candidates:
        m = measure(option)
        if m.success and (best is None or m.gas < best.gas):
            best = m
    return best
