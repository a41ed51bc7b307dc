"""The exact integer optimum of a cycle's profit. Pure: imports only `arbbot.amm` and the stdlib.

Method (see curves.py and cells.py):

1. Every V2 / V3 hop's exact-input curve is bounded above by a real curve that is constant product
   piece by piece (V3: on virtual reserves between initialized ticks; liquidity gaps cost no input).
   Composed over the cycle each cell is one integer Möbius map, so the relaxed profit
   q(x) = curve(x) - k*x has a closed-form maximiser per cell; q is concave, so the walk over cells
   stops at the global one.
2. The filter is exact: q'(0) <= k (computed in integers, defined at gaps) proves no input pays,
   because the contracts round every amount in the pool's favour (exact profit <= q everywhere).
3. The integer answer comes from exact quotes: the maximiser's floor and its neighbours, then a walk by
   single units to a local integer optimum. When the set {x : q(x) > best} is small enough to scan,
   every integer in it is quoted, so the answer is the proven global optimum (`certified`).
4. Pools without a closed form (any other kind) get a bracketed search on exact quotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.solver import native, v2
from arbbot.solver.cells import CellWalk, relaxed_optimum, relaxed_profit_ge
from arbbot.solver.curves import has_closed_form, marginal_at_zero, pieces
from arbbot.solver.model import Hop, Quote, Solution, cycle_min_input, loan_fee, quote_cycle
from arbbot.solver.search import bracketed_optimum, plateau_walk

__all__ = ["Hop", "Quote", "Relaxation", "Solution", "closed_form", "loan_fee", "quote_cycle", "relax", "solve"]

BPS = 10_000
_NEG = -(1 << 512)
MAX_INPUT = 10**30
SCAN_BUDGET = 1024  # integers quoted at most to prove a global optimum (only small pools have windows this narrow)


@dataclass(frozen=True)
class Relaxation:
    """The relaxed (real-valued) optimum of a cycle: where it is and a bound no exact profit exceeds."""

    x: int  # the real maximiser, floored and clamped to [1, max_input]
    upper: int  # an exact upper bound on any integer input's profit
    state: object  # what the Python solve() continues from (cells walked, or the V2 fold); None: compiled


def relax(hops: Sequence[Hop], *, max_input: int = MAX_INPUT, loan_fee_bps: int = 0) -> Relaxation | None:
    """The exact filter: None when no input can pay (proven on the relaxed curve, defined at liquidity
    gaps), else the relaxed optimum. Only for hops with a closed form (see `closed_form`)."""
    if not hops:
        raise ValueError("hops: a cycle needs at least one hop")
    if native.enabled():
        r = native.relax(hops, max_input, loan_fee_bps)
        if r is not NotImplemented:
            return None if r is None else Relaxation(r[0], r[1], None)
    return _relax(hops, max_input, loan_fee_bps)


def _relax(hops: Sequence[Hop], max_input: int, loan_fee_bps: int) -> Relaxation | None:
    num, den = 1, 1
    for h in hops:
        slope = marginal_at_zero(h.pool, h.zero_for_one)
        if slope is None:
            return None
        num, den = num * slope[0], den * slope[1]
    if num * BPS <= (BPS + loan_fee_bps) * den:
        return None  # the relaxed curve's slope at zero is already <= the cost: it is concave, so never pays
    if all(type(h.pool) is UniswapV2Pool for h in hops):
        fold = v2.fold(hops, max_input, loan_fee_bps)
        return None if fold is None else Relaxation(fold.x_star, fold.upper, fold)
    cells = CellWalk([pieces(h.pool, h.zero_for_one) for h in hops])
    top = relaxed_optimum(cells, BPS + loan_fee_bps, max_input)
    if top is None:
        return None
    return Relaxation(max(1, min(top.x, max_input)), top.upper, cells)


def closed_form(hops: Sequence[Hop]) -> bool:
    """Whether every hop's pool has a closed-form curve (V2 or V3), so the exact solver's bound applies."""
    return all(has_closed_form(h.pool) for h in hops)


def solve(
    hops: Sequence[Hop],
    *,
    max_input: int = MAX_INPUT,
    loan_fee_bps: int = 0,
    quote: Quote = quote_cycle,
    scan_budget: int = SCAN_BUDGET,
    relaxation: Relaxation | None = None,
) -> Solution | None:
    """The most profitable integer input for the cycle, or None when no input in [1, max_input] pays.

    `quote` is the exact cycle quote (default: the pool models'); `relaxation`, if already computed by
    `relax` for the same hops and parameters, is reused."""
    if not hops:
        raise ValueError("hops: a cycle needs at least one hop")
    if max_input < 1:
        return None
    if (quote is quote_cycle or quote is native.quote_cycle) and native.enabled():
        found = native.solve(hops, max_input, loan_fee_bps, scan_budget)
        if found is not NotImplemented:
            return found
    evaluated: dict[int, int | None] = {}

    def profit(x: int) -> int | None:
        if x not in evaluated:
            out = quote(hops, x)
            evaluated[x] = None if out is None else out - x - loan_fee(x, loan_fee_bps)
        return evaluated[x]

    def score(x: int) -> int:
        if x < 1 or x > max_input:
            return _NEG
        v = profit(x)
        return _NEG if v is None else v

    if not closed_form(hops):
        x, value = bracketed_optimum(profit, max_input)
        return _solution(x, value, hops, quote, False, len(evaluated))

    k_bps = BPS + loan_fee_bps
    if relaxation is None or relaxation.state is None:
        relaxation = _relax(hops, max_input, loan_fee_bps)
        if relaxation is None:
            return None  # proven: the relaxed profit never exceeds 0, so no exact profit can
    if isinstance(relaxation.state, v2.Fold) and quote is quote_cycle:
        return v2.finish(relaxation.state, scan_budget)
    top_x = relaxation.x
    best, best_value = top_x, score(top_x)
    for x in (top_x - 1, top_x + 1, top_x + 2):
        v = score(x)
        if v > best_value or (v == best_value and x < best):
            best, best_value = x, v
    outs: dict[int, int] = {}

    def out(x: int) -> int:
        if x not in outs:
            o = quote(hops, x) if 1 <= x <= max_input else None
            outs[x] = o or 0
        return outs[x]

    best, best_value = plateau_walk(
        out, lambda y: cycle_min_input(hops, y), lambda x: x + loan_fee(x, loan_fee_bps), best, 1, max_input
    )
    certified = max(best_value, 0) >= relaxation.upper
    if not certified:
        if isinstance(relaxation.state, v2.Fold):
            window = relaxation.state.window(max(best_value, 0), scan_budget)
        else:
            assert isinstance(relaxation.state, CellWalk)
            window = _window(relaxation.state, max(best_value, 0), k_bps, top_x, max_input, scan_budget)
        if window is not None:
            lo, hi = window
            for x in range(lo, hi + 1):
                v = score(x)
                if v > best_value or (v == best_value and x < best):
                    best, best_value = x, v
            certified = True
    if not certified and best_value <= 0:
        # Nothing found near the relaxed maximiser, and the bound is not beaten: dust inputs can round
        # to nothing at the maximiser while a few units more pay (a thin range just across a tick), so
        # search with exact quotes from where the route is alive before saying nothing pays.
        x, value = bracketed_optimum(profit, max_input)
        if value > best_value:
            best, best_value = x, value
    if best_value <= 0:
        return None
    return _solution(best, best_value, hops, quote, certified, len(evaluated) + len(outs))


def _solution(x: int, value: int, hops: Sequence[Hop], quote: Quote, certified: bool, n: int) -> Solution | None:
    if x <= 0 or value <= 0:
        return None
    out = quote(hops, x)
    assert out is not None
    return Solution(x, out, value, certified, n)


def _window(cells: CellWalk, floor_p: int, k_bps: int, x0: int, max_input: int, budget: int) -> tuple[int, int] | None:
    """The integers x in [1, max_input] with q(x) > floor_p, if there are at most `budget` of them.

    q is concave, so they form one interval around the relaxed maximiser; it is found by exponential
    then binary search on exact rational q. None when the interval is wider than the budget (or empty)."""
    target = floor_p + 1

    def above(x: int) -> bool:
        if x < 1 or x > max_input:
            return False
        cell = cells.cell_at(x)
        return cell is not None and relaxed_profit_ge(cell.m, x, k_bps, target)

    if above(x0 + budget) or above(x0 - budget):
        return None  # wider than the budget: not worth quoting (large pools: rounding noise only)
    if not above(x0):
        # The maximiser's floor is below target; the real top may still sit between x0 and x0 + 1.
        if above(x0 + 1):
            x0 += 1
        else:
            return 1, 0  # empty: no integer can beat floor_p
    # Right edge.
    step = 1
    while above(x0 + step):
        if step > budget:
            return None
        step *= 2
    lo_r, hi_r = x0 + step // 2, x0 + step  # above(lo_r) holds, above(hi_r) fails
    while hi_r - lo_r > 1:
        mid = (lo_r + hi_r) // 2
        if above(mid):
            lo_r = mid
        else:
            hi_r = mid
    step = 1
    while above(x0 - step):
        if step > budget:
            return None
        step *= 2
    lo_l, hi_l = x0 - step, x0 - step // 2  # above(hi_l) holds, above(lo_l) fails
    while hi_l - lo_l > 1:
        mid = (lo_l + hi_l) // 2
        if above(mid):
            hi_l = mid
        else:
            lo_l = mid
    if lo_r - hi_l + 1 > budget:
        return None
    return hi_l, lo_r
