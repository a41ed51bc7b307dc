"""Bundles sent to builders, and whether they landed (audit trail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Select, Table, select, update
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
    """The bundle recorded under `uuid` (our id, also its replacement uuid), or `None`."""
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


def list_bid_outcomes(session: Session, chain_id: int | None = None) -> list[tuple[BundleRecord, Any]]:
    """Bundles that carry a bid and a final outcome (landed or missed), oldest first (ties by insertion order): the
    history a landing model learns from. Each comes with its bid as stored, unvalidated (the record's own `bid` is
    left None), so that a reader can skip a malformed one instead of failing on it. `chain_id` None: every chain."""
    c = _TABLE.c
    q = select(_TABLE).where(c.bid.is_not(None), c.status.in_(("landed", "missed")))
    if chain_id is not None:
        q = q.where(c.chain_id == chain_id)
    q = q.order_by(c.created_at, c.id)
    return _with_raw_bids(session, q)


def _with_raw_bids(session: Session, q: Select[Any]) -> list[tuple[BundleRecord, Any]]:
    """Each selected row as a record (its own `bid` None) with the bid as stored, unvalidated."""
    out = []
    for row in session.execute(q):
        values = dict(row._mapping)
        raw = values.pop("bid")
        values.pop("id", None)
        out.append((BundleRecord.model_validate({**values, "bid": None}), raw))
    return out


def set_lost_to(session: Session, uuid: str, lost_to: dict[str, Any]) -> bool:
    """Record who took a missed bundle's opportunity (or `{"none": why}`); False if there is no such bundle."""
    result = session.execute(
        update(_TABLE).where(_TABLE.c.uuid == uuid).values(lost_to=dict(lost_to), updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_unattributed_misses(session: Session, chain_id: int) -> list[tuple[BundleRecord, Any]]:
    """Missed bundles that carry a bid and no `lost_to` yet, oldest first, each with its bid as stored (unvalidated,
    as in `list_bid_outcomes`)."""
    c = _TABLE.c
    q = (
        select(_TABLE)
        .where(c.chain_id == chain_id, c.status == "missed", c.bid.is_not(None), c.lost_to.is_(None))
        .order_by(c.created_at, c.id)
    )
    return _with_raw_bids(session, q)


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


@dataclass(frozen=True)
class BuilderStats:
    """Per-builder telemetry over the bundles it was sent (eth_sendBundle attempts only)."""

    builder: str
    sent: int  # attempts recorded (requests made, or refused before any request)
    accepted: int
    rejected: int  # answered with an error, or not answered
    refused_locally: int  # never sent: the dialect cannot say the bundle, or its rate limit was reached
    ack_ms_median: float | None  # request -> answer, accepted sends
    ack_ms_max: float | None
    received_ts: int  # answers that carried the builder's `receivedTimestampMs`
    landed: int  # bundles it accepted that landed in a block it built
    last_error: str | None


LOCAL_KINDS = ("refused", "rate_limited")


def builder_stats(
    session: Session, *, chain_id: int | None = None, since: datetime | None = None
) -> list[BuilderStats]:
    """Telemetry per builder, from bundle_submissions joined with the bundles' outcomes. Builder names are
    as recorded (preset names, or public URLs)."""
    s, b = _SUBMISSIONS.c, _TABLE.c
    q = (
        select(s.builder, s.accepted, s.error, s.kind, s.latency_ms, s.received_ms, s.bundle_uuid, b.status,
               b.landed_builder)
        .join(_TABLE, b.uuid == s.bundle_uuid)
        .where(s.method == "eth_sendBundle")
        .order_by(s.created_at, s.id)
    )  # fmt: skip
    if chain_id is not None:
        q = q.where(b.chain_id == chain_id)
    if since is not None:
        q = q.where(s.created_at >= since)
    acc: dict[str, dict[str, Any]] = {}
    for row in session.execute(q):
        a = acc.setdefault(row.builder, {"sent": 0, "accepted": 0, "rejected": 0, "local": 0, "acks": [],
                                         "received": 0, "landed": set(), "last_error": None})  # fmt: skip
        a["sent"] += 1
        if row.accepted:
            a["accepted"] += 1
            if row.latency_ms is not None:
                a["acks"].append(float(row.latency_ms))
            if row.received_ms is not None:
                a["received"] += 1
            if row.status == "landed" and row.landed_builder == row.builder:
                a["landed"].add(row.bundle_uuid)
        elif row.kind in LOCAL_KINDS:
            a["local"] += 1
        else:
            a["rejected"] += 1
            a["last_error"] = row.error
    out = []
    for name in sorted(acc):
        a = acc[name]
        acks = sorted(a["acks"])
        median = (acks[(len(acks) - 1) // 2] + acks[len(acks) // 2]) / 2 if acks else None
        top = acks[-1] if acks else None
        out.append(BuilderStats(name, a["sent"], a["accepted"], a["rejected"], a["local"], median, top,
                                a["received"], len(a["landed"]), a["last_error"]))  # fmt: skip
    return out
