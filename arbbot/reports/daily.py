"""The daily summary: yesterday's (UTC) report written as HTML, JSON and CSV, once or every day."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from arbbot.reports.build import build
from arbbot.reports.window import day_window
from arbbot.units import TokenInfo

log = logging.getLogger(__name__)
RUN_AT = time(0, 5)  # a few minutes after midnight UTC, so the day's last trades are audited


def previous_day(now: datetime) -> date:
    """The UTC calendar day before the one `now` falls in (the day a run at `now` reports on)."""
    return (now.astimezone(UTC) - timedelta(days=1)).date()


def next_run(now: datetime, at: time = RUN_AT) -> datetime:
    """The first UTC time at `at` o'clock that is later than `now` (today's if still ahead, else tomorrow's)."""
    now = now.astimezone(UTC)
    today = datetime.combine(now.date(), at, UTC)
    return today if now < today else today + timedelta(days=1)


def write_daily(
    sessions: sessionmaker[Session], chain_id: int, day: date, out_dir: Path,
    tokens: Mapping[str, TokenInfo] | None = None,
) -> list[Path]:  # fmt: skip
    """Write the report of one UTC day as `daily-<chain>-<day>.html`, `.json` and `.csv` in `out_dir` (each written
    atomically); returns the three paths.
    """
    report = build(sessions, chain_id, day_window(day), tokens)
    stem = f"daily-{chain_id}-{day.isoformat()}"
    return [report.write(fmt, out_dir / f"{stem}.{fmt}") for fmt in ("html", "json", "csv")]


def run_schedule(
    sessions: sessionmaker[Session],
    chain_id: int,
    out_dir: Path,
    stop: threading.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_written: Callable[[list[Path]], None] | None = None,
    tokens: Mapping[str, TokenInfo] | None = None,
) -> None:
    """Write the previous day's summary at RUN_AT every day until `stop` is set."""
    while not stop.is_set():
        wait = (next_run(clock()) - clock()).total_seconds()
        if stop.wait(max(wait, 0.0)):
            return
        paths = write_daily(sessions, chain_id, previous_day(clock()), out_dir, tokens)
        log.info("daily summary written: %s", ", ".join(str(p) for p in paths))
        if on_written is not None:
            on_written(paths)
