"""One small progress interface, so the CLI, logs and tests report long work the same way."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

log = logging.getLogger("arbbot.progress")


class Stage(Protocol):
    """One running stage of work, advanced as steps complete."""

    def advance(self, n: int = 1) -> None:
        """Record `n` more steps done."""


class Progress(Protocol):
    """Something that reports long work in stages (log lines, terminal bars or nothing in tests)."""

    def stage(self, description: str, total: int | None = None) -> AbstractContextManager[Stage]:
        """A context manager for one stage called `description`, with `total` steps if known."""


class _LogStage:
    def __init__(self, description: str, total: int | None) -> None:
        self.description, self.total, self.done = description, total, 0

    def advance(self, n: int = 1) -> None:
        self.done += n


class LogProgress:
    """Progress written to the log: one line when a stage starts and one when it ends."""

    @contextmanager
    def stage(self, description: str, total: int | None = None) -> Iterator[_LogStage]:
        """Log the stage's start, then its end with the number of steps done."""
        log.info("%s ...", description)
        st = _LogStage(description, total)
        yield st
        log.info("%s done (%d steps)", description, st.done)


class RichProgress:
    """Live progress bars on the terminal (rich)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as _RP

        self._rp = _RP(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        )

    def __enter__(self) -> RichProgress:
        self._rp.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._rp.stop()

    @contextmanager
    def stage(self, description: str, total: int | None = None) -> Iterator[Stage]:
        """A live bar for the stage (indeterminate when `total` is unknown), shown complete when the stage ends."""
        task = self._rp.add_task(description, total=total)

        class _S:
            def advance(_self, n: int = 1) -> None:
                self._rp.advance(task, n)

        yield _S()
        self._rp.update(task, completed=total if total is not None else 1, total=total or 1)
