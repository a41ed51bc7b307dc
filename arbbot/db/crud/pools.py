"""Pools: identity (upserted in batches as discovery finds them) and serialized state (saved per block)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, BigInteger, ColumnElement, Row, Select, String, Table, bindparam, case, or_, select, update
from sqlalchemy.orm import Session

from arbbot.db.crud._sql import BATCH, IN_BATCH, batches, executemany, insert
from arbbot.db.models import PoolModel
from arbbot.db.schemas import PoolRecord, PoolState

_TABLE: Table = PoolModel.__table__  # type: ignore[assignment]
_IDENTITY = ("kind", "factory", "token0", "token1", "fee", "tick_spacing", "created_block")
_STATE_FIELDS = {"state", "state_block"}


def upsert_pools(session: Session, pools: Iterable[PoolRecord], *, update_existing: bool = True) -> int:
    """Insert pools; known ones get their identity columns refreshed (or are left alone with
    `update_existing=False`). A pool's saved state is never touched here. Returns the count."""
    n = 0
    for chunk in batches(pools, BATCH):
        stmt = insert(session, _TABLE)
        if update_existing:
            set_: dict[str, ColumnElement[Any]] = {k: stmt.excluded[k] for k in _IDENTITY}
            # '' means "venue not known to this caller": keep what an earlier caller recorded.
            set_["venue"] = case((stmt.excluded.venue == "", _TABLE.c.venue), else_=stmt.excluded.venue)
            stmt = stmt.on_conflict_do_update(index_elements=["chain_id", "address"], set_=set_)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["chain_id", "address"])
        unique = {(p.chain_id, p.address): p for p in chunk}  # one row once per statement (PostgreSQL)
        executemany(session, stmt, [p.model_dump(exclude=_STATE_FIELDS) for p in unique.values()])
        n += len(chunk)
    return n


def get_pools(
    session: Session,
    chain_id: int,
    *,
    kind: str | None = None,
    venue: str | None = None,
    factory: str | None = None,
    token: str | None = None,
    addresses: Iterable[str] | None = None,
    with_state: bool | None = None,
    include_state: bool = True,
) -> list[PoolRecord]:
    """Pools of a chain in discovery order, filtered by any of: kind, venue, factory, a token on
    either side, addresses, whether a state is saved. `include_state=False` skips reading the
    (possibly large) state JSON: state and state_block are then None in the records."""
    c = _TABLE.c
    # Core rows, not ORM objects: nothing stale from the session's identity map, less overhead.
    cols = [col for col in _TABLE.columns if include_state or col.name not in _STATE_FIELDS]
    q = select(*cols).where(c.chain_id == chain_id)
    if kind is not None:
        q = q.where(c.kind == kind)
    if venue is not None:
        q = q.where(c.venue == venue)
    if factory is not None:
        q = q.where(c.factory == factory.lower())
    if token is not None:
        q = q.where(or_(c.token0 == token.lower(), c.token1 == token.lower()))
    if with_state is not None:
        q = q.where(c.state.is_not(None) if with_state else c.state.is_(None))
    rows = _rows(session, q, addresses)
    return [PoolRecord.model_validate(r) for r in rows]


def save_pool_states(session: Session, states: Iterable[PoolState], *, only_newer: bool = True) -> None:
    """Write serialized states in batches (one UPDATE, many parameter sets). Pools not yet upserted
    are skipped. With `only_newer`, a state never replaces one saved at a later block, so a slow
    writer cannot roll a fresher state back; pass False to rewind on purpose (deep reorg)."""
    stmt = (
        update(_TABLE)
        .where(_TABLE.c.chain_id == bindparam("b_chain", type_=BigInteger))
        .where(_TABLE.c.address == bindparam("b_address", type_=String))
        .values(state=bindparam("b_state", type_=JSON), state_block=bindparam("b_block", type_=BigInteger))
    )
    if only_newer:
        stmt = stmt.where(or_(_TABLE.c.state_block.is_(None), _TABLE.c.state_block <= bindparam("b_block")))
    for chunk in batches(states, BATCH):
        latest = {(s.chain_id, s.address): s for s in chunk}
        rows = [
            {"b_chain": s.chain_id, "b_address": s.address, "b_state": s.state, "b_block": s.block}
            for s in latest.values()
        ]
        executemany(session, stmt, rows)


def load_pool_states(
    session: Session,
    chain_id: int,
    *,
    kind: str | None = None,
    venue: str | None = None,
    addresses: Iterable[str] | None = None,
) -> list[PoolState]:
    """Saved states (pools without one are left out), in discovery order."""
    c = _TABLE.c
    q = select(c.id, c.chain_id, c.address, c.state, c.state_block).where(
        c.chain_id == chain_id, c.state.is_not(None), c.state_block.is_not(None)
    )
    if kind is not None:
        q = q.where(c.kind == kind)
    if venue is not None:
        q = q.where(c.venue == venue)
    rows = _rows(session, q, addresses)
    return [PoolState(chain_id=r.chain_id, address=r.address, state=r.state, block=r.state_block) for r in rows]


def _rows(session: Session, q: Select[Any], addresses: Iterable[str] | None) -> list[Row[Any]]:
    """Run `q` (which selects pools.id), restricted to `addresses` in IN-list batches; discovery order."""
    if addresses is None:
        return list(session.execute(q.order_by(_TABLE.c.id)))
    wanted = sorted({a.lower() for a in addresses})
    rows = [r for chunk in batches(wanted, IN_BATCH) for r in session.execute(q.where(_TABLE.c.address.in_(chunk)))]
    return sorted(rows, key=lambda r: r.id)
