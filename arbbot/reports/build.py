"""A report in every format from one load of the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from arbbot.reports import export, html
from arbbot.reports.load import load
from arbbot.reports.model import Row, Summary, rows, summarize
from arbbot.reports.window import Window
from arbbot.units import TokenInfo


@dataclass(frozen=True)
class Report:
    """One report: the rows and summary of a window of one chain, with the token symbols and decimals needed to print
    amounts; render it in any format from this one load.
    """

    chain_id: int
    window: Window
    rows: list[Row]
    summary: Summary
    tokens: dict[str, TokenInfo] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)  # further HTML sections, in order (e.g. a landing model's)

    @property
    def title(self) -> str:
        """The report's title, naming its window."""
        return html.title_for(self.window.label())

    def render(self, fmt: str) -> str:
        """The report as text in `fmt`: "csv", "json" or "html"; raises `ValueError` naming the format otherwise."""
        if fmt == "csv":
            return export.to_csv(self.rows, self.tokens)
        if fmt == "json":
            return export.to_json(self.window, self.rows, self.summary, self.chain_id, self.tokens)
        if fmt == "html":
            return html.render(self.rows, self.summary, self.window.label(), self.chain_id, self.tokens, self.sections)
        raise ValueError(f"format: one of csv, json, html to write a file, got {fmt!r}")

    def write(self, fmt: str, path: Path) -> Path:
        """Write the report in `fmt` to `path` (parent directories created) through a temporary file renamed into place,
        so a reader never sees half a report; returns `path`.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.render(fmt), encoding="utf-8")
        tmp.replace(path)  # readers never see half a report
        return path


def build(
    sessions: sessionmaker[Session], chain_id: int, window: Window, tokens: Mapping[str, TokenInfo] | None = None
) -> Report:
    """`tokens`: symbols and decimals for tokens the database does not know (e.g. the replica's manifest)."""
    loaded = load(sessions, chain_id, window, tokens)
    report_rows = rows(loaded.trades, loaded.linked)
    summary = summarize(report_rows, loaded.bundles, loaded.submissions)
    return Report(chain_id, window, report_rows, summary, loaded.tokens)
