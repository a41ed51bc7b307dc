"""Trades: our transactions on chain, with what they did and what they earned (audit trail)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from arbbot.db.crud._sql import BATCH, batches, executemany, insert
from arbbot.db.models import TradeModel
from arbbot.db.schemas import Amount, BlockNumber, TradeRecord, TradeStatus, is_evm_form
from arbbot.db.types import utcnow

_TABLE: Table = TradeModel.__table__  # type: ignore[assignment]
_JSON_FIELDS = {"route", "tokens_in", "tokens_out"}  # amounts inside become decimal strings
_KEY = ("chain_id", "tx_hash")
_AMOUNT: TypeAdapter[int] = TypeAdapter(Amount)
_BLOCK: TypeAdapter[int] = TypeAdapter(BlockNumber)
_STATUS: TypeAdapter[str] = TypeAdapter(TradeStatus)


def _row(trade: TradeRecord, now: Any) -> dict[str, Any]:
    row = trade.model_dump(exclude=_JSON_FIELDS)
    row.update(trade.model_dump(mode="json", include=_JSON_FIELDS))
    row["created_at"] = trade.created_at or now
    row["updated_at"] = trade.updated_at or now
    return row


def upsert_trades(session: Session, trades: Iterable[TradeRecord]) -> int:
    """Insert trades, or replace everything but created_at of known ones (same chain and tx hash)."""
    n = 0
    for chunk in batches(trades, BATCH):
        now = utcnow()
        stmt = insert(session, _TABLE)
        mutable = [c.name for c in _TABLE.columns if c.name not in {"id", "created_at", *_KEY}]
        stmt = stmt.on_conflict_do_update(index_elements=list(_KEY), set_={k: stmt.excluded[k] for k in mutable})
        unique = {(t.chain_id, t.tx_hash): t for t in chunk}  # one row once per statement (PostgreSQL)
        executemany(session, stmt, [_row(t, now) for t in unique.values()])
        n += len(chunk)
    return n


def _stored_form(tx_hash: str) -> str:
    return tx_hash.lower() if is_evm_form(tx_hash) else tx_hash


def update_trade(
    session: Session,
    chain_id: int,
    tx_hash: str,
    *,
    status: str | None = None,
    block_number: int | None = None,
    gas_used: int | None = None,
    gas_cost: int | None = None,
    profit: int | None = None,
    builder_payment: int | None = None,
    revert_reason: str | None = None,
) -> bool:
    """Change the given fields (None: unchanged), e.g. from the receipt. False if there is no such trade."""
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = _STATUS.validate_python(status)
    if block_number is not None:
        changes["block_number"] = _BLOCK.validate_python(block_number)
    if gas_used is not None:
        changes["gas_used"] = _BLOCK.validate_python(gas_used)  # same rule: a non-negative int
    for name, value in (("gas_cost", gas_cost), ("profit", profit), ("builder_payment", builder_payment)):
        if value is not None:
            changes[name] = _AMOUNT.validate_python(value)
    if revert_reason is not None:
        changes["revert_reason"] = revert_reason.replace("\x00", "")
    key = (_TABLE.c.chain_id == chain_id) & (_TABLE.c.tx_hash == _stored_form(tx_hash))
    if not changes:
        return session.execute(select(_TABLE.c.id).where(key)).first() is not None
    changes["updated_at"] = utcnow()
    result = session.execute(update(_TABLE).where(key).values(**changes))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def get_trade(session: Session, chain_id: int, tx_hash: str) -> TradeRecord | None:
    """The trade with `tx_hash` on `chain_id`, or `None`; an EVM hash is lower-cased first, as it is stored (a
    Solana signature is base58, where case matters, and is matched as given)."""
    row = session.execute(
        select(_TABLE).where(_TABLE.c.chain_id == chain_id, _TABLE.c.tx_hash == _stored_form(tx_hash))
    ).one_or_none()
    return None if row is None else TradeRecord.model_validate(row)


def list_trades(
    session: Session,
    chain_id: int,
    *,
    bundle_uuid: str | None = None,
    status: str | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
) -> list[TradeRecord]:
    """In insertion order; block bounds are inclusive (pending trades have no block and are left out by them)."""
    c = _TABLE.c
    q = select(_TABLE).where(c.chain_id == chain_id)
    if bundle_uuid is not None:
        q = q.where(c.bundle_uuid == bundle_uuid)
    if status is not None:
        q = q.where(c.status == status)
    if from_block is not None:
        q = q.where(c.block_number >= from_block)
    if to_block is not None:
        q = q.where(c.block_number <= to_block)
    return [TradeRecord.model_validate(r) for r in session.execute(q.order_by(c.id))]
