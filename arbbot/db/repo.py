"""Repository functions: the only code that writes SQL. Batch upserts, atomic checkpoints."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from arbbot.amm.base import Pool, from_dict
from arbbot.db.models import Checkpoint, PoolRow, Token
from arbbot.state.discovery import DiscoveredPool

BATCH = 500


def _insert(session: Session, table: Any) -> Any:
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def upsert_pools(session: Session, chain_id: int, pools: Sequence[DiscoveredPool]) -> int:
    """Insert discovered pools; known ones are left as they are (their state is not touched)."""
    rows = [
        {
            "chain_id": chain_id,
            "address": p.address.lower(),
            "kind": p.kind,
            "factory": p.factory.lower(),
            "token0": p.token0.lower(),
            "token1": p.token1.lower(),
            "fee": p.fee,
            "tick_spacing": p.tick_spacing,
            "created_block": p.created_block,
        }
        for p in pools
    ]
    for i in range(0, len(rows), BATCH):
        stmt = _insert(session, PoolRow).values(rows[i : i + BATCH])
        session.execute(stmt.on_conflict_do_nothing(index_elements=["chain_id", "address"]))
    return len(rows)


def upsert_tokens(session: Session, chain_id: int, tokens: Iterable[dict[str, Any]]) -> None:
    rows = [{"chain_id": chain_id, **t, "address": t["address"].lower()} for t in tokens]
    for i in range(0, len(rows), BATCH):
        stmt = _insert(session, Token).values(rows[i : i + BATCH])
        update = {k: stmt.excluded[k] for k in ("symbol", "name", "decimals", "fee_on_transfer", "non_standard")}
        session.execute(stmt.on_conflict_do_update(index_elements=["chain_id", "address"], set_=update))


def save_states(session: Session, chain_id: int, pools: Iterable[Pool], block: int) -> None:
    by_address = {p.address.lower(): p for p in pools}
    rows = session.scalars(
        select(PoolRow).where(PoolRow.chain_id == chain_id, PoolRow.address.in_(list(by_address)))
    ).all()
    for row in rows:
        row.state = by_address[row.address].to_dict()
        row.state_block = block


def load_pools(session: Session, chain_id: int, kind: str | None = None) -> list[Pool]:
    """Models of every pool with a saved state (exact: state holds decimal strings)."""
    q = select(PoolRow).where(PoolRow.chain_id == chain_id, PoolRow.state.is_not(None))
    if kind is not None:
        q = q.where(PoolRow.kind == kind)
    return [from_dict(row.state) for row in session.scalars(q) if row.state]


def discovered(session: Session, chain_id: int) -> list[DiscoveredPool]:
    rows = session.scalars(select(PoolRow).where(PoolRow.chain_id == chain_id).order_by(PoolRow.id)).all()
    cs = to_checksum_address  # stored lower-case, handed out checksummed like every other address
    out = []
    for r in rows:
        kind = "uniswap_v3" if r.kind == "uniswap_v3" else "uniswap_v2"
        out.append(
            DiscoveredPool(
                kind, cs(r.factory), cs(r.address), cs(r.token0), cs(r.token1), r.fee, r.tick_spacing, r.created_block
            )
        )
    return out


def get_checkpoint(session: Session, name: str) -> int | None:
    row = session.get(Checkpoint, name)
    return row.block if row is not None else None


def set_checkpoint(session: Session, name: str, block: int, block_hash: str = "") -> None:
    row = session.get(Checkpoint, name)
    if row is None:
        session.add(Checkpoint(name=name, block=block, block_hash=block_hash))
    else:
        row.block, row.block_hash = block, block_hash


def record_discovery_chunk(
    session: Session, chain_id: int, checkpoint: str, pools: Sequence[DiscoveredPool], last_block: int
) -> None:
    """Pools found up to `last_block` and the checkpoint that says so, in one transaction."""
    with session.begin():
        upsert_pools(session, chain_id, pools)
        set_checkpoint(session, checkpoint, last_block)
