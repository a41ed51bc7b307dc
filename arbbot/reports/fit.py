"""Terminal tables that fit the terminal's width: numbers are never cut or wrapped, text wraps, and
when even that is not enough the least important columns are left out (and named under the table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

GAP = 2  # between columns: the (blank) divider and one space of padding (collapsed with its neighbour's)
TEXT_MIN = 10  # narrowest a wrapping text column is allowed to get


@dataclass(frozen=True)
class Col:
    """A column of a `fit` table: its header, whether it holds a number (right-aligned and never wrapped or cut), how
    long it is kept when space runs out, and whether its text must stay on one line.
    """

    name: str
    number: bool = False  # right-aligned, never wrapped or cut
    keep: int = 0  # higher is kept longer; columns with the lowest `keep` go first when space runs out
    nowrap: bool = False  # text that must stay whole (an address someone copies)


def _cell_width(cell: str) -> int:
    return max((Text.from_markup(line).cell_len for line in cell.split("\n")), default=0)


def _longest_word(cell: str) -> int:
    return max((len(w) for w in Text.from_markup(cell).plain.split()), default=0)


def _need(col: Col, cells: Sequence[str]) -> int:
    """The narrowest this column can be without cutting anything it must keep whole."""
    natural = max([len(col.name), *(_cell_width(c) for c in cells)])
    if col.number or col.nowrap:
        return natural
    # Text wraps between words, never inside one (a word may be a number with its unit).
    return min(natural, max(TEXT_MIN, len(col.name), *(_longest_word(c) for c in cells)))


def fit(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int, *, title: str | None = None) -> RenderableType:
    """A table of `rows` (rich markup allowed in cells) no wider than `width`."""
    keep = list(range(len(cols)))
    needs = [_need(c, [r[i] for r in rows]) for i, c in enumerate(cols)]

    def total(idx: list[int]) -> int:
        return sum(needs[i] for i in idx) + GAP * (len(idx) - 1)

    dropped: list[str] = []
    while len(keep) > 1 and total(keep) > width:
        victim = min(keep, key=lambda i: (cols[i].keep, -i))  # the least important, rightmost first
        keep.remove(victim)
        dropped.append(cols[victim].name)
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1),
        collapse_padding=True, header_style="bold",
    )  # fmt: skip
    for i in keep:
        c = cols[i]
        if c.number or c.nowrap:
            table.add_column(c.name, justify="right" if c.number else "left", no_wrap=True, min_width=needs[i])
        else:
            table.add_column(c.name, overflow="fold", min_width=needs[i])
    for r in rows:
        table.add_row(*(r[i] for i in keep))
    if not dropped:
        return table
    note = Text(f"(left out to fit {width} columns: {', '.join(reversed(dropped))})", style="dim")
    return Group(table, note)
