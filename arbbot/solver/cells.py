"""The optimum of a cycle's relaxed profit q(x) = curve(x) - k*x, walking cells of constant pieces.

q is concave (each piece is constant product on virtual reserves; crossing a tick or a gap only lowers
the marginal rate), so the first cell whose own optimum is not past its end holds the global one.
Exact rational arithmetic throughout: the result is the real optimum, not a float's guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

from arbbot.solver.curves import IDENTITY, Matrix, Piece, compose, inverse_at

BPS = 10_000


@dataclass(frozen=True)
class Cell:
    """The cycle's map on [start, end) (end None: unbounded)."""

    m: Matrix
    start: Fraction
    end: Fraction | None


def relaxed_profit_ge(m: Matrix, x: int, k_bps: int, p: int) -> bool:
    """Whether q(x) = m(x) - k*x >= p on this cell's map, exactly (k = k_bps / 10_000)."""
    a, b, c, d = m
    den = c * x + d
    if den <= 0:
        a, b, c, d, den = -a, -b, -c, -d, -den
    return BPS * (a * x + b) >= (k_bps * x + BPS * p) * den


def floor_value(m: Matrix, x: int, k_bps: int) -> int:
    """floor(q(x)) on this cell's map."""
    a, b, c, d = m
    den = c * x + d
    if den < 0:
        a, b, den = -a, -b, -den
    return (BPS * (a * x + b) - k_bps * x * den) // (BPS * den)


class CellWalk:
    """The cells of one cycle, generated lazily in order of input."""

    def __init__(self, hop_pieces: Sequence[Iterator[Piece]]) -> None:
        self._iters = list(hop_pieces)
        self._current: list[Piece] = [next(it) for it in self._iters]
        self.cells: list[Cell] = []
        self._start = Fraction(0)
        self._done = False

    def _make(self) -> Cell:
        composite = IDENTITY
        end: Fraction | None = None
        for matrix, in_end in self._current:
            if in_end is not None:
                x_at = inverse_at(composite, in_end)
                if x_at is not None and (end is None or x_at < end):
                    end = x_at
            composite = compose(matrix, composite)
        return Cell(composite, self._start, end)

    def next_cell(self) -> Cell | None:
        """The next cell in order of input, or `None` once the last (unbounded) cell has been produced."""
        if self._done:
            return None
        if self.cells:
            last = self.cells[-1]
            if last.end is None:
                self._done = True
                return None
            # Advance every hop whose piece ends at the cell's end (in its own input terms).
            composite = IDENTITY
            for i, (matrix, in_end) in enumerate(self._current):
                if in_end is not None and inverse_at(composite, in_end) == last.end:
                    self._current[i] = next(self._iters[i])
                    matrix = self._current[i][0]
                composite = compose(matrix, composite)
            self._start = last.end
        cell = self._make()
        self.cells.append(cell)
        return cell

    def cell_at(self, x: int) -> Cell | None:
        """The cell containing input x (generating cells as needed)."""
        for known in self.cells:
            if known.start <= x and (known.end is None or x < known.end):
                return known
        while (cell := self.next_cell()) is not None:
            if cell.start <= x and (cell.end is None or x < cell.end):
                return cell
        return None


@dataclass(frozen=True)
class RelaxedOptimum:
    """The relaxed (real-valued) optimum of a cycle within one cell: its floor `x`, clamped to [0, max_input], and
    `upper`, an integer no exact profit can exceed.
    """

    x: int  # floor of the real maximiser (clamped to [0, max_input])
    upper: int  # an integer no exact profit can exceed: floor of the real maximum
    cell: Cell


def slope_exceeds(m: Matrix, x: Fraction, k_bps: int) -> bool:
    """Whether the map's derivative at x exceeds k: det / (c*x + d)^2 > k_bps / 10_000."""
    a, b, c, d = m
    det = a * d - b * c
    if det <= 0:
        return False
    den = c * x + d
    return BPS * det * den.denominator**2 > k_bps * den.numerator**2


def relaxed_optimum(walk: CellWalk, k_bps: int, max_input: int) -> RelaxedOptimum | None:
    """The integer floor of the maximiser of q and an upper bound on any exact profit; None when q <= 0
    everywhere (no size can pay: the cycle is rejected exactly, never on a float's say-so)."""
    cell = walk.next_cell()
    assert cell is not None
    if not slope_exceeds(cell.m, Fraction(0), k_bps):
        return None
    while True:
        a, b, c, d = cell.m
        det = a * d - b * c
        if cell.start >= max_input:
            x = max_input
            break
        if det > 0 and c != 0:
            # (c*x + d)^2 = det / k  =>  x = (sqrt(det / k) - d) / c, floored
            s = isqrt(det * BPS // k_bps)
            if c < 0:
                s, c, d = -s, -c, -d
            x_star = (s - d) // c
            # The real maximiser lies in this cell iff the slope has fallen to k by the cell's end (the
            # floored x_star can sit before a fractional end while the real one lies past it).
            if cell.end is None or not slope_exceeds(cell.m, cell.end, k_bps):
                x = max(int(cell.start), min(x_star, max_input))
                if x_star >= max_input:
                    x = max_input
                break
        elif not slope_exceeds(cell.m, cell.start, k_bps):
            x = int(cell.start)
            break
        nxt = walk.next_cell()
        if nxt is None:
            x = min(int(cell.start), max_input)
            break
        if not slope_exceeds(nxt.m, nxt.start, k_bps):
            # The kink at the cell boundary is the top: q rises up to it and falls after.
            cell = nxt
            x = min(int(cell.start), max_input)
            break
        cell = nxt
    upper = _upper_bound(walk, x, k_bps)
    home = walk.cell_at(x) or cell
    return RelaxedOptimum(x, upper, home)


def _upper_bound(walk: CellWalk, x: int, k_bps: int) -> int:
    """floor(max q) from the real maximiser's neighbours: q is concave, so its maximum over reals lies
    between the integer points around the maximiser and is bounded by each cell's own closed-form top."""
    best = None
    for cell in walk.cells:
        if cell.end is not None and cell.end < x - 1:
            continue
        if cell.start > x + 1:
            continue
        top = _cell_top(cell.m, k_bps)
        if top is None:
            top = max(floor_value(cell.m, max(int(cell.start), x - 1), k_bps),
                      floor_value(cell.m, x + 1, k_bps))  # fmt: skip
        best = top if best is None else max(best, top)
    assert best is not None
    return best


def _cell_top(m: Matrix, k_bps: int) -> int | None:
    """floor(sup over reals of m(x) - k*x) for this map alone (an upper bound on its cell)."""
    a, b, c, d = m
    det = a * d - b * c
    if det <= 0 or c == 0:
        return None
    if c < 0:
        a, b, c, d = -a, -b, -c, -d
    # max = (B*a + K*d - 2*sqrt(B*K*det)) / (B*c); a smaller root (floor) only raises the bound.
    return (BPS * a + k_bps * d - 2 * isqrt(BPS * k_bps * det)) // (BPS * c)
