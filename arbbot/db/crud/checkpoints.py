"""Checkpoints: how far a scan got. They move only in the transaction that stores what they cover."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table
from sqlalchemy.orm import Session

from arbbot.db.crud._sql import atomic, insert
from arbbot.db.crud.pools import upsert_pools
from arbbot.db.crud.tokens import upsert_tokens
from arbbot.db.models import CheckpointModel
from arbbot.db.schemas import CheckpointRecord, PoolRecord, TokenRecord
from arbbot.db.types import utcnow

_TABLE: Table = CheckpointModel.__table__  # type: ignore[assignment]


def get_checkpoint(session: Session, name: str) -> CheckpointRecord | None:
    """The checkpoint called `name` (last block processed and its hash), or `None` if never set."""
    row = session.execute(_TABLE.select().where(_TABLE.c.name == name)).one_or_none()
    return None if row is None else CheckpointRecord.model_validate(row)


def set_checkpoint(session: Session, name: str, block: int, block_hash: str = "") -> None:
    """Upsert, in the caller's transaction: commit it together with the data it vouches for."""
    rec = CheckpointRecord(name=name, block=block, block_hash=block_hash)
    stmt = insert(session, _TABLE).values(**rec.model_dump(exclude={"updated_at"}), updated_at=utcnow())
    set_ = {k: stmt.excluded[k] for k in ("block", "block_hash", "updated_at")}
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_=set_)
    session.execute(stmt)


def record_discovery(
    session: Session,
    checkpoint: str,
    block: int,
    *,
    block_hash: str = "",
    pools: Iterable[PoolRecord] = (),
    tokens: Iterable[TokenRecord] = (),
    update_existing: bool = True,
) -> None:
    """What a scan found up to `block` and the checkpoint saying so, in one transaction: a process
    killed half-way leaves both as they were, never a checkpoint ahead of its data. Commits, unless
    the session already has a transaction open (then the caller's commit covers it all)."""
    with atomic(session):
        upsert_tokens(session, tokens)
        upsert_pools(session, pools, update_existing=update_existing)
        set_checkpoint(session, checkpoint, block, block_hash)
