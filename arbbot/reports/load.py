"""Trades, bundles, builder requests and token metadata of a report window, read through arbbot.db.crud."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from arbbot.db import crud
from arbbot.db.schemas import BundleRecord, SubmissionRecord, TradeRecord
from arbbot.reports.window import Window
from arbbot.units import TokenInfo


@dataclass(frozen=True)
class Loaded:
    """What a report window reads from the database: audited trades, bundles sent, the bundles the trades came from, the
    builder requests about those bundles, and token symbols and decimals by lower-case address.
    """

    trades: list[TradeRecord]  # audited (not pending) trades in the window
    bundles: list[BundleRecord]  # bundles sent in the window (landing rates, misses)
    linked: list[BundleRecord]  # the bundles the trades came from (simulated figures), wherever they fall
    submissions: list[SubmissionRecord] = field(default_factory=list)  # builder requests about `bundles`
    tokens: dict[str, TokenInfo] = field(default_factory=dict)  # lower-case address -> symbol, decimals


def load(
    sessions: sessionmaker[Session], chain_id: int, window: Window, tokens: Mapping[str, TokenInfo] | None = None
) -> Loaded:
    """`tokens` (e.g. from the replica's manifest) fill in tokens the database does not know."""
    with sessions() as session:
        trades = crud.list_trades(session, chain_id, from_block=window.from_block, to_block=window.to_block)
        trades = [t for t in trades if t.status != "pending" and window.has_trade(t)]
        bundles = [b for b in crud.list_bundles(session, chain_id, since=window.since) if window.has_bundle(b)]
        known = {b.uuid: b for b in bundles}
        for uuid in {t.bundle_uuid for t in trades if t.bundle_uuid} - set(known):
            found = crud.get_bundle(session, uuid)
            if found is not None:
                known[uuid] = found
        in_window = {b.uuid for b in bundles}
        first = min((b.created_at for b in bundles if b.created_at is not None), default=None)
        submissions = [s for s in crud.list_submissions(session, since=first) if s.bundle_uuid in in_window]
        addresses = {a for t in trades for h in t.route for a in (h.token_in, h.token_out)}
        addresses |= {a for t in trades for a in (*t.tokens_in, *t.tokens_out)}
        stored = crud.get_tokens(session, chain_id, addresses) if addresses else {}
    info = {k.lower(): v for k, v in (tokens or {}).items()}
    for address, t in stored.items():
        if t.symbol or address not in info:
            info[address] = TokenInfo(t.symbol, t.decimals)
    return Loaded(trades, bundles, list(known.values()), submissions, info)
