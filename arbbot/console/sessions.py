"""Server-side sessions: the cookie holds a random id, the database its SHA-256, the user, the CSRF token and
the times that bound it (idle and absolute expiry, checked against an injected clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from arbbot.console import passwords
from arbbot.db.models import ConsoleSessionModel, ConsoleUserModel


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives: unused (`idle`) and at most (`absolute`, from login)."""

    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Live:
    """A valid session: its user and CSRF token, and whether only the password step is done."""

    user: ConsoleUserModel
    csrf: str
    mfa_pending: bool
    key: str  # the database id (hash of the cookie value)


def start(s: Session, user: ConsoleUserModel, *, now: datetime, mfa_pending: bool, replaces: str | None) -> str:
    """A new session for `user`; returns the cookie value. The previous session of this browser (`replaces`, a
    cookie value) is deleted: the id changes at every login step, so a planted id is worth nothing."""
    if replaces:
        end(s, replaces)
    cookie = passwords.random_token()
    s.add(
        ConsoleSessionModel(
            id=passwords.sha256_hex(cookie), user_id=user.id, csrf=passwords.random_token(), mfa_pending=mfa_pending,
            created_at=now, last_seen=now,
        )
    )  # fmt: skip
    return cookie


def load(s: Session, cookie: str | None, *, now: datetime, lifetimes: Lifetimes) -> Live | None:
    """The live session behind `cookie`, touched (idle timer restarted); None when absent or expired (an expired
    one is deleted)."""
    if not cookie:
        return None
    row = s.get(ConsoleSessionModel, passwords.sha256_hex(cookie))
    if row is None:
        return None
    if now - row.last_seen > lifetimes.idle or now - row.created_at > lifetimes.absolute:
        s.delete(row)
        return None
    user = s.get(ConsoleUserModel, row.user_id)
    if user is None:
        return None
    row.last_seen = now
    return Live(user=user, csrf=row.csrf, mfa_pending=row.mfa_pending, key=row.id)


def end(s: Session, cookie: str) -> None:
    """Delete the session behind `cookie` (logout)."""
    s.execute(delete(ConsoleSessionModel).where(ConsoleSessionModel.id == passwords.sha256_hex(cookie)))


def end_all(s: Session, user_id: int) -> None:
    """Delete every session of a user (role change, MFA reset)."""
    s.execute(delete(ConsoleSessionModel).where(ConsoleSessionModel.user_id == user_id))


def csrf_ok(live: Live, presented: str | None) -> bool:
    """Whether the presented CSRF token is this session's (constant-time)."""
    return presented is not None and passwords.same(live.csrf, presented)
