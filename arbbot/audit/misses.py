"""Attribute missed bundles in the database: for each miss not yet looked at, who took the opportunity and what
they paid (`outbid.find_outbid`), written to the bundle's `lost_to`.

A bundle whose targets no other transaction traded in gets `{"none": why}`, so it is not looked at again; a
target block the node does not have yet (or a node failure) leaves it for a later run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from arbbot.audit.chain import ChainReader
from arbbot.audit.outbid import find_outbid
from arbbot.chain.rpc import RpcError
from arbbot.db import crud


@dataclass
class MissAttribution:
    """What one run did: misses attributed to a taker, misses no other transaction explains, misses left for later
    (the uuid and why)."""

    taken: int = 0
    unexplained: int = 0
    later: list[tuple[str, str]] = field(default_factory=list)


def attribute_misses(chain: ChainReader, sessions: sessionmaker[Session], chain_id: int) -> MissAttribution:
    """Look at every missed bundle with a bid and no `lost_to`, oldest first."""
    out = MissAttribution()
    with sessions() as session:
        pending = crud.list_unattributed_misses(session, chain_id)
    head = chain.head()
    for row, bid in pending:
        pools = bid.get("pools") if isinstance(bid, dict) else None
        if not isinstance(pools, list) or not row.target_blocks:
            lost_to: dict[str, object] = {"none": "no pools journaled with the bid"}
        elif max(row.target_blocks) > head:
            out.later.append((row.uuid, f"target block {max(row.target_blocks)} is past the node's head {head}"))
            continue
        else:
            with sessions() as session:
                mine = [t.tx_hash for t in crud.list_trades(session, chain_id, bundle_uuid=row.uuid)]
            try:
                taker = find_outbid(chain, row.target_blocks, [str(p) for p in pools], mine)
            except RpcError as exc:
                out.later.append((row.uuid, str(exc)))
                continue
            lost_to = taker.to_json() if taker is not None else {"none": "no other transaction traded its pools"}
        with sessions.begin() as session:
            crud.set_lost_to(session, row.uuid, lost_to)
        if "none" in lost_to:
            out.unexplained += 1
        else:
            out.taken += 1
    return out
