"""Helpers shared by the crud modules: dialect-specific upserts, batching, transactions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")

BATCH = 1000  # rows per executemany call: bounded memory, few round trips
IN_BATCH = 500  # values per IN (...): far below SQLite's bound-parameter limit


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT with ON CONFLICT support for the session's backend (both spell it the same way)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"arbbot.db supports SQLite and PostgreSQL, not {name}")


def executemany(session: Session, stmt: Any, rows: Sequence[dict[str, Any]]) -> None:
    # Core executemany on the session's connection: one statement, many parameter sets, the
    # session's transaction. psycopg 3 pipelines these; sqlite3 runs them in C.
    if rows:
        session.connection().execute(stmt, list(rows))


@contextmanager
def atomic(session: Session) -> Iterator[Session]:
    """One transaction around the block: its own (committed at the end) if none is open, else the
    caller's, which then commits or rolls back everything together."""
    if session.in_transaction():
        yield session
    else:
        with session.begin():
            yield session
