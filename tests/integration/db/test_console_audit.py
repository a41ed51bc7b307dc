"""The console's audit trail is append-only on both backends: UPDATE and DELETE (and TRUNCATE on PostgreSQL)
are refused by triggers; only the retention purge and the erasure job, inside their transaction, get through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.sql.expression import Executable

from arbbot.console import trail
from arbbot.db import session_factory
from arbbot.db.models import ConsoleAuditModel

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_append_only_on_each_backend(engine: Engine) -> None:
    sdb = session_factory(engine)
    with sdb.begin() as s:
        trail.record(s, at=T0 - timedelta(days=30), actor="alice", action="login", source="127.0.0.1")
        trail.record(s, at=T0, actor="alice", action="control:kill", old='{"killed": false}', new='{"killed": true}')
    refused: list[Executable] = [update(ConsoleAuditModel).values(new="forged"), delete(ConsoleAuditModel)]
    if engine.dialect.name == "postgresql":
        refused.append(text("TRUNCATE console_audit"))
    for stmt in refused:
        with pytest.raises(DatabaseError, match="append-only"), sdb.begin() as s:
            s.execute(stmt)
    with sdb.begin() as s:
        assert trail.purge(s, T0, retention_days=7) == 1
        assert trail.pseudonymise(s, "alice", "erased-x") == 1
    with sdb() as s:
        assert [(r.actor, r.action, r.new) for r in trail.rows(s)] == [("erased-x", "control:kill", '{"killed": true}')]
    with pytest.raises(DatabaseError, match="append-only"), sdb.begin() as s:
        s.execute(delete(ConsoleAuditModel))
