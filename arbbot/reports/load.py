"""Trades and bundles of a report window, read through arbbot.db.crud."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from arbbot.db import crud
from arbbot.db.schemas import BundleRecord, TradeRecord
from arbbot.reports.window import Window


@dataclass(frozen=True)
class Loaded:
    trades: list[TradeRecord]  # audited (not pending) trades in the window
    bundles: list[BundleRecord]  # bundles sent in the window (landing rates)
    linked: list[BundleRecord]  # the bundles the trades came from (simulated figures), wherever they fall


def load(sessions: sessionmaker[Session], chain_id: int, window: Window) -> Loaded:
    with sessions() as session:
        trades = crud.list_trades(session, chain_id, from_block=window.from_block, to_block=window.to_block)
        trades = [t for t in trades if t.status != "pending" and window.has_trade(t)]
        bundles = [b for b in crud.list_bundles(session, chain_id, since=window.since) if window.has_bundle(b)]
        known = {b.uuid: b for b in bundles}
        for uuid in {t.bundle_uuid for t in trades if t.bundle_uuid} - set(known):
            found = crud.get_bundle(session, uuid)
            if found is not None:
                known[uuid] = found
    return Loaded(trades, bundles, list(known.values()))
