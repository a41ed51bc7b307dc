"""Sessions: idle and absolute expiry on an injected clock, id rotation, CSRF comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from arbbot.console import sessions, users

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LIFE = sessions.Lifetimes(idle=timedelta(minutes=15), absolute=timedelta(hours=1))


def _user(sdb: sessionmaker[Session]) -> None:
    with sdb.begin() as s:
        users.add(s, "alice", "viewer", "a long enough password", now=T0, actor="shell")


def test_idle_expiry(sessions_db: sessionmaker[Session]) -> None:
    _user(sessions_db)
    with sessions_db.begin() as s:
        cookie = sessions.start(s, users.need(s, "alice"), now=T0, mfa_pending=False, replaces=None)
        assert sessions.load(s, cookie, now=T0 + timedelta(minutes=14), lifetimes=LIFE) is not None  # touched
        assert sessions.load(s, cookie, now=T0 + timedelta(minutes=28), lifetimes=LIFE) is not None
        assert sessions.load(s, cookie, now=T0 + timedelta(minutes=44), lifetimes=LIFE) is None  # 16 min idle
        assert sessions.load(s, cookie, now=T0 + timedelta(minutes=45), lifetimes=LIFE) is None  # deleted


def test_absolute_expiry_even_when_used(sessions_db: sessionmaker[Session]) -> None:
    _user(sessions_db)
    with sessions_db.begin() as s:
        cookie = sessions.start(s, users.need(s, "alice"), now=T0, mfa_pending=False, replaces=None)
        for minutes in range(10, 61, 10):
            assert sessions.load(s, cookie, now=T0 + timedelta(minutes=minutes), lifetimes=LIFE) is not None
        assert sessions.load(s, cookie, now=T0 + timedelta(minutes=61), lifetimes=LIFE) is None


def test_login_rotates_the_id_and_the_csrf_token(sessions_db: sessionmaker[Session]) -> None:
    _user(sessions_db)
    with sessions_db.begin() as s:
        user = users.need(s, "alice")
        first = sessions.start(s, user, now=T0, mfa_pending=True, replaces=None)
        a = sessions.load(s, first, now=T0, lifetimes=LIFE)
        second = sessions.start(s, user, now=T0, mfa_pending=False, replaces=first)
        b = sessions.load(s, second, now=T0, lifetimes=LIFE)
        assert second != first and a is not None and b is not None and a.csrf != b.csrf
        assert sessions.load(s, first, now=T0, lifetimes=LIFE) is None
        assert sessions.csrf_ok(b, b.csrf)
        assert not sessions.csrf_ok(b, a.csrf) and not sessions.csrf_ok(b, None) and not sessions.csrf_ok(b, "")
