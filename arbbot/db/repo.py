"""Adapters between the pool state engine's objects (DiscoveredPool, amm Pool) and arbbot.db.crud.

`arbbot pools` uses these; new code can use arbbot.db.crud with arbbot.db.schemas records directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy.orm import Session

from arbbot.amm.base import Pool, from_dict
from arbbot.db import crud
from arbbot.db.schemas import PoolRecord, PoolState, TokenRecord
from arbbot.state.discovery import DiscoveredPool, pool_kind


def pool_record(chain_id: int, p: DiscoveredPool, venue: str = "") -> PoolRecord:
    """The `PoolRecord` of a discovered pool on `chain_id` (identity only, no state)."""
    return PoolRecord(
        chain_id=chain_id, address=p.address, kind=p.kind, venue=venue, factory=p.factory, token0=p.token0,
        token1=p.token1, fee=p.fee, tick_spacing=p.tick_spacing, created_block=p.created_block,
    )  # fmt: skip


def token_record(chain_id: int, t: Mapping[str, Any]) -> TokenRecord:
    """A validated `TokenRecord` from a token dict.

    A `None` decimals without an explicit `decimals_reverted` is read as reverted, as older saves meant it.
    """
    # Before the decimals_reverted flag, decimals=None meant "decimals() reverted"; keep reading it so.
    return TokenRecord.model_validate({"decimals_reverted": t.get("decimals") is None, **t, "chain_id": chain_id})


def upsert_pools(session: Session, chain_id: int, pools: Sequence[DiscoveredPool], venue: str = "") -> int:
    """Insert discovered pools; known ones keep their saved state."""
    return crud.upsert_pools(session, (pool_record(chain_id, p, venue) for p in pools))


def upsert_tokens(session: Session, chain_id: int, tokens: Iterable[Mapping[str, Any]]) -> None:
    """Insert or update token metadata for `chain_id`, in the caller's transaction."""
    crud.upsert_tokens(session, (token_record(chain_id, t) for t in tokens))


def save_states(session: Session, chain_id: int, pools: Iterable[Pool], block: int) -> None:
    """Each pool's state as of `block` (overwrites: a restarted devnet may reuse lower block numbers)."""
    states = (PoolState(chain_id=chain_id, address=p.address, state=p.to_dict(), block=block) for p in pools)
    crud.save_pool_states(session, states, only_newer=False)


def load_pools(session: Session, chain_id: int, kind: str | None = None) -> list[Pool]:
    """Models of every pool with a saved state (exact: state holds decimal strings)."""
    return [from_dict(s.state) for s in crud.load_pool_states(session, chain_id, kind=kind)]


def discovered(session: Session, chain_id: int) -> list[DiscoveredPool]:
    """Every saved pool of `chain_id` as a `DiscoveredPool`, addresses checksummed (state is not loaded)."""
    cs = to_checksum_address  # stored lower-case, handed out checksummed like every other address
    out = []
    for r in crud.get_pools(session, chain_id, include_state=False):
        out.append(
            DiscoveredPool(
                pool_kind(r.kind),
                cs(r.factory),
                cs(r.address),
                cs(r.token0),
                cs(r.token1),
                r.fee,
                r.tick_spacing,
                r.created_block,
            )
        )
    return out


def get_checkpoint(session: Session, name: str) -> int | None:
    """The last block recorded for checkpoint `name`, or `None` if never set."""
    rec = crud.get_checkpoint(session, name)
    return None if rec is None else rec.block


def set_checkpoint(session: Session, name: str, block: int, block_hash: str = "") -> None:
    """Record `block` (and its hash) for checkpoint `name`, in the caller's transaction: commit it with the data it
    vouches for.
    """
    crud.set_checkpoint(session, name, block, block_hash)


def record_discovery_chunk(
    session: Session,
    chain_id: int,
    checkpoint: str,
    pools: Sequence[DiscoveredPool],
    last_block: int,
    *,
    venue: str = "",
    block_hash: str = "",
) -> None:
    """Pools found up to `last_block` and the checkpoint that says so, in one transaction."""
    crud.record_discovery(
        session, checkpoint, last_block, block_hash=block_hash, pools=[pool_record(chain_id, p, venue) for p in pools]
    )
