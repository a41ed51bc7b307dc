"""The audit trail on SQLite: append-only (triggers), retention purge, pseudonymisation, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from arbbot.console import trail
from arbbot.db.models import ConsoleAuditModel

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _fill(sdb: sessionmaker[Session]) -> None:
    with sdb.begin() as s:
        trail.record(s, at=T0 - timedelta(days=400), actor="alice", action="login", source="127.0.0.1")
        trail.record(s, at=T0, actor="alice", action="control:pause", old='{"paused": false}',
                     new='{"paused": true}', source="127.0.0.1")  # fmt: skip
        trail.record(s, at=T0, actor="bob", action="user_added", target="=cmd|' /C calc'!A0")
        trail.record(s, at=T0, actor="bob", action="token_created", target="alice:ci")
        trail.record(s, at=T0, actor="bob", action="token_created", target="alicex:ci")


@pytest.mark.parametrize(
    "statement",
    [update(ConsoleAuditModel).values(actor="mallory"), delete(ConsoleAuditModel), text("DELETE FROM console_audit")],
    ids=["update", "delete", "raw-delete"],
)
def test_rows_cannot_be_changed_or_deleted(sessions_db: sessionmaker[Session], statement: object) -> None:
    _fill(sessions_db)
    with pytest.raises(DatabaseError, match="append-only"), sessions_db.begin() as s:
        s.execute(statement)  # type: ignore[call-overload]
    with sessions_db() as s:
        assert len(trail.rows(s)) == 5


def test_purge_keeps_the_retention_period(sessions_db: sessionmaker[Session]) -> None:
    _fill(sessions_db)
    with sessions_db.begin() as s:
        assert trail.purge(s, T0, retention_days=365) == 1
    with sessions_db() as s:
        assert [r.action for r in trail.rows(s)][2:] == ["user_added", "control:pause"]
    with pytest.raises(DatabaseError, match="append-only"), sessions_db.begin() as s:
        s.execute(delete(ConsoleAuditModel))  # the unlock did not outlive the purge


def test_pseudonymise_replaces_the_name_everywhere(sessions_db: sessionmaker[Session]) -> None:
    _fill(sessions_db)
    with sessions_db.begin() as s:
        assert trail.pseudonymise(s, "alice", "erased-1") == 3
    with sessions_db() as s:
        doc = trail.to_json(trail.rows(s))
        assert doc.count("alice") == 1 and '"alicex:ci"' in doc and '"erased-1:ci"' in doc


def test_exports(sessions_db: sessionmaker[Session]) -> None:
    _fill(sessions_db)
    with sessions_db() as s:
        items = trail.rows(s)
        parsed = list(csv.DictReader(io.StringIO(trail.to_csv(items))))
        doc = json.loads(trail.to_json(items))
    expected = ["user_added", "control:pause", "login"]
    assert [r["action"] for r in parsed][2:] == [d["action"] for d in doc][2:] == expected
    assert parsed[2]["target"].startswith("'=")  # no spreadsheet formula
    assert doc[3]["old"] == '{"paused": false}' and doc[3]["new"] == '{"paused": true}'
