"""Bundles sent to builders, and whether they landed (audit trail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from arbbot.db.models import BundleModel, BundleSubmissionModel
from arbbot.db.schemas import Amount, BlockNumber, BundleRecord, BundleStatus, Hash32, SubmissionRecord
from arbbot.db.types import utcnow

_TABLE: Table = BundleModel.__table__  # type: ignore[assignment]
_SUBMISSIONS: Table = BundleSubmissionModel.__table__  # type: ignore[assignment]
_AMOUNT: TypeAdapter[int] = TypeAdapter(Amount)
_HASH: TypeAdapter[str] = TypeAdapter(Hash32)
_BLOCKS: TypeAdapter[list[int]] = TypeAdapter(list[BlockNumber])


def insert_bundle(session: Session, bundle: BundleRecord) -> None:
    """A new bundle; its uuid must be new (IntegrityError otherwise)."""
    now = utcnow()
    values = bundle.model_dump()
    values["created_at"] = bundle.created_at or now
    values["updated_at"] = bundle.updated_at or now
    session.execute(_TABLE.insert().values(**values))


def update_bundle(
    session: Session,
    uuid: str,
    *,
    landed: bool | None = None,
    landed_block: int | None = None,
    realized_profit: int | None = None,
    bundle_hash: str | None = None,
    builders: list[str] | None = None,
    target_blocks: list[int] | None = None,
    status: BundleStatus | None = None,
    miss_reason: str | None = None,
    landed_builder: str | None = None,
) -> bool:
    """Change the given fields (None: unchanged), e.g. once the bundle landed or expired.
    False if there is no such bundle."""
    changes: dict[str, Any] = {}
    if landed is not None:
        changes["landed"] = landed
    if landed_block is not None:
        changes["landed_block"] = TypeAdapter(BlockNumber).validate_python(landed_block)
    if realized_profit is not None:
        changes["realized_profit"] = _AMOUNT.validate_python(realized_profit)
    if bundle_hash is not None:
        changes["bundle_hash"] = _HASH.validate_python(bundle_hash)
    if builders is not None:
        changes["builders"] = list(builders)
    if target_blocks is not None:
        changes["target_blocks"] = _BLOCKS.validate_python(target_blocks)
    if status is not None:
        changes["status"] = TypeAdapter(BundleStatus).validate_python(status)
    if miss_reason is not None:
        changes["miss_reason"] = miss_reason.replace("\x00", "")[:10_000]
    if landed_builder is not None:
        changes["landed_builder"] = landed_builder[:200]
    if not changes:
        return get_bundle(session, uuid) is not None
    changes["updated_at"] = utcnow()
    result = session.execute(update(_TABLE).where(_TABLE.c.uuid == uuid).values(**changes))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def get_bundle(session: Session, uuid: str) -> BundleRecord | None:
    row = session.execute(select(_TABLE).where(_TABLE.c.uuid == uuid)).one_or_none()
    return None if row is None else BundleRecord.model_validate(row)


def list_bundles(
    session: Session,
    chain_id: int,
    *,
    landed: bool | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[BundleRecord]:
    """Newest first."""
    c = _TABLE.c
    q = select(_TABLE).where(c.chain_id == chain_id)
    if landed is not None:
        q = q.where(c.landed == landed)
    if since is not None:
        q = q.where(c.created_at >= since)
    q = q.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    return [BundleRecord.model_validate(r) for r in session.execute(q)]


def insert_submissions(session: Session, submissions: list[SubmissionRecord]) -> None:
    """Builder answers about bundles already inserted (a foreign key refuses unknown uuids)."""
    if not submissions:
        return
    now = utcnow()
    rows = []
    for sub in submissions:
        values = sub.model_dump()
        values["created_at"] = sub.created_at or now
        rows.append(values)
    session.execute(_SUBMISSIONS.insert(), rows)


def list_submissions(
    session: Session,
    *,
    bundle_uuid: str | None = None,
    builder: str | None = None,
    since: datetime | None = None,
) -> list[SubmissionRecord]:
    """Oldest first."""
    c = _SUBMISSIONS.c
    q = select(*[col for col in _SUBMISSIONS.c if col.name != "id"])
    if bundle_uuid is not None:
        q = q.where(c.bundle_uuid == bundle_uuid)
    if builder is not None:
        q = q.where(c.builder == builder)
    if since is not None:
        q = q.where(c.created_at >= since)
    q = q.order_by(c.created_at, c.id)
    return [SubmissionRecord.model_validate(r) for r in session.execute(q)]
