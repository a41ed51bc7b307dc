"""The console's audit trail: append a row, read and export rows, and the two jobs allowed to change old rows
(retention purge, pseudonymisation of an erased user). Everything else is refused by database triggers."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from arbbot.db.models import ConsoleAuditModel, ConsoleAuditUnlockModel

FIELDS = ("id", "at", "actor", "action", "target", "old", "new", "source")


def record(
    s: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str = "",
    old: str | None = None,
    new: str | None = None,
    source: str = "",
) -> None:
    """Append one audit row in the caller's unit of work."""
    s.add(
        ConsoleAuditModel(at=at, actor=actor, action=action, target=target[:128], old=old, new=new, source=source[:64])
    )


def rows(s: Session, limit: int | None = None, since: datetime | None = None) -> Sequence[ConsoleAuditModel]:
    """Audit rows, newest first."""
    q = select(ConsoleAuditModel).order_by(ConsoleAuditModel.id.desc())
    if since is not None:
        q = q.where(ConsoleAuditModel.at >= since)
    if limit is not None:
        q = q.limit(limit)
    return s.scalars(q).all()


def as_dicts(items: Sequence[ConsoleAuditModel]) -> list[dict[str, Any]]:
    """Rows as plain dicts (time in ISO 8601 UTC)."""
    return [{f: (getattr(r, f).isoformat() if f == "at" else getattr(r, f)) for f in FIELDS} for r in items]


def to_csv(items: Sequence[ConsoleAuditModel]) -> str:
    """Rows as CSV with a header line."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS)
    w.writeheader()
    for d in as_dicts(items):
        # A cell starting with =, +, - or @ would be a formula in a spreadsheet: prefix it.
        w.writerow({k: (f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in d.items()})
    return buf.getvalue()


def to_json(items: Sequence[ConsoleAuditModel]) -> str:
    """Rows as a JSON array."""
    return json.dumps(as_dicts(items), indent=1)


def _unlocked(s: Session, reason: str) -> int:
    key = secrets.randbelow(2**31 - 1) + 1
    s.execute(insert(ConsoleAuditUnlockModel).values(id=key, reason=reason))
    return key


def purge(s: Session, now: datetime, retention_days: int) -> int:
    """Delete rows older than the retention period; returns how many. The unlock row lives only inside this
    transaction (inserted and removed before commit), so no other writer ever sees the triggers open."""
    key = _unlocked(s, "retention")
    n = s.execute(delete(ConsoleAuditModel).where(ConsoleAuditModel.at < now - timedelta(days=retention_days)))
    s.execute(delete(ConsoleAuditUnlockModel).where(ConsoleAuditUnlockModel.id == key))
    return int(getattr(n, "rowcount", 0) or 0)


def pseudonymise(s: Session, name: str, alias: str) -> int:
    """Replace `name` by `alias` as actor and as target (also `name:label`, a token's target) in every row
    (erasure of a user); returns the fields changed."""
    key = _unlocked(s, "erasure")
    a, t = ConsoleAuditModel.actor, ConsoleAuditModel.target
    n = 0
    for stmt in (
        update(ConsoleAuditModel).where(a == name).values(actor=alias),
        update(ConsoleAuditModel).where(t == name).values(target=alias),
        update(ConsoleAuditModel)
        .where(t.startswith(f"{name}:", autoescape=True))
        .values(target=alias + func.substr(t, len(name) + 1)),
    ):
        n += int(getattr(s.execute(stmt), "rowcount", 0) or 0)
    s.execute(delete(ConsoleAuditUnlockModel).where(ConsoleAuditUnlockModel.id == key))
    return n
