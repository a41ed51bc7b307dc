"""Tokens: metadata and quirk flags."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from arbbot.db.crud._sql import BATCH, IN_BATCH, batches, executemany, insert
from arbbot.db.models import TokenModel
from arbbot.db.schemas import TokenRecord

_TABLE: Table = TokenModel.__table__  # type: ignore[assignment]
_MUTABLE = ("symbol", "name", "decimals", "fee_on_transfer", "non_standard", "decimals_reverted")


def upsert_tokens(session: Session, tokens: Iterable[TokenRecord]) -> int:
    """Insert tokens or refresh their metadata and flags (the latest reading wins). Returns the count."""
    n = 0
    for chunk in batches(tokens, BATCH):
        stmt = insert(session, _TABLE)
        stmt = stmt.on_conflict_do_update(
            index_elements=["chain_id", "address"], set_={k: stmt.excluded[k] for k in _MUTABLE}
        )
        executemany(session, stmt, [t.model_dump() for t in _dedupe(chunk)])
        n += len(chunk)
    return n


def get_tokens(session: Session, chain_id: int, addresses: Iterable[str] | None = None) -> dict[str, TokenRecord]:
    """Tokens by lower-case address: all of the chain's, or those among `addresses`."""
    # Core rows, not ORM objects: nothing stale from the session's identity map, less overhead.
    q = select(_TABLE).where(_TABLE.c.chain_id == chain_id)
    if addresses is None:
        rows = list(session.execute(q))
    else:
        wanted = sorted({a.lower() for a in addresses})
        rows = [r for chunk in batches(wanted, IN_BATCH) for r in session.execute(q.where(_TABLE.c.address.in_(chunk)))]
    return {r.address: TokenRecord.model_validate(r) for r in rows}


def _dedupe(chunk: list[TokenRecord]) -> list[TokenRecord]:
    # PostgreSQL refuses to touch one row twice in a statement ("ON CONFLICT ... cannot affect row a
    # second time"); keep the last reading of each token.
    return list({(t.chain_id, t.address): t for t in chunk}.values())
