"""How much to put into a cycle: thin helpers over the exact solver (arbbot.solver) for callers that
hold reserves or a profit function rather than pool models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.solver import Hop, solve
from arbbot.solver.search import bracketed_optimum as _bracketed
from arbbot.solver.search import integer_argmax

__all__ = ["V2Hop", "bracketed_optimum", "integer_argmax", "v2_amount_out", "v2_cycle_optimal_input", "v2_cycle_out"]


@dataclass(frozen=True)
class V2Hop:
    """A V2 pair seen from one swap direction: reserves in raw units and the fee in basis points."""

    reserve_in: int
    reserve_out: int
    fee_bps: int = 30


def v2_amount_out(amount_in: int, hop: V2Hop) -> int:
    """UniswapV2Library.getAmountOut with the fee as a parameter (30 bps = 997/1000)."""
    if amount_in <= 0 or hop.reserve_in <= 0 or hop.reserve_out <= 0:
        return 0
    with_fee = amount_in * (10_000 - hop.fee_bps)
    return with_fee * hop.reserve_out // (hop.reserve_in * 10_000 + with_fee)


def v2_cycle_out(amount_in: int, hops: Sequence[V2Hop]) -> int:
    """The output of putting `amount_in` through `hops` in order, with each pair's integer rounding."""
    out = amount_in
    for hop in hops:
        out = v2_amount_out(out, hop)
    return out


def v2_cycle_optimal_input(hops: Sequence[V2Hop]) -> int:
    """Integer input that maximises out - in for an all-V2 cycle (0 if the cycle is not profitable).

    The exact solver's answer (arbbot.solver): the closed-form top, then plateau edges and, for small
    pools, a scan of every input the real curve says could do better."""
    if not hops:
        raise ValueError("hops: a cycle needs at least one hop")
    route = [
        Hop(UniswapV2Pool(f"hop{i}", "in", "out", h.reserve_in, h.reserve_out, h.fee_bps), True)
        for i, h in enumerate(hops)
    ]
    # Consecutive hops share the token between them; the solver only needs each hop's direction.
    solution = solve(route)
    return 0 if solution is None else solution.amount_in


def bracketed_optimum(profit: Callable[[int], int], max_input: int, min_input: int = 1) -> tuple[int, int]:
    """Best input for any cycle from exact quotes (no closed form assumed): see arbbot.solver.search.

    `profit(x)` is the exact net result of putting x in (negative when it loses). An input whose
    profit is <= -x got nothing out: the search starts past such dust sizes instead of stopping there.
    Returns (0, 0) when no input in range is profitable."""

    def alive(x: int) -> int | None:
        v = profit(x)
        return None if v <= -x else v

    return _bracketed(alive, max_input, min_input)
