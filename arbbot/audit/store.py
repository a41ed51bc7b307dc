"""Audited trades into the database (trades table), and the bundles they came from marked landed.

`trades.profit` holds the executor's realized gain in wei of ETH after the builder payment and before
gas; net PnL is `profit - gas_cost`. `created_at` is when the trade was first recorded: by the searcher
when it sent it, else (first seen by the audit) the time of its block, so reports place it when it
happened rather than when it was audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from arbbot.audit.auditor import SimulatedLookup
from arbbot.audit.types import AuditProblem, TradeAudit
from arbbot.db import crud
from arbbot.db.schemas import RouteHop, TokenRecord, TradeRecord


def trade_record(trade: TradeAudit) -> TradeRecord:
    """The database record of an audited trade; ValueError if its profit was not valued in ETH (nothing is stored
    then)."""
    if trade.profit_eth is None:
        raise ValueError(f"tx {trade.tx_hash}: profit not valued in ETH, not stored")
    return TradeRecord(
        chain_id=trade.chain_id,
        tx_hash=trade.tx_hash,
        bundle_uuid=trade.bundle_uuid,
        block_number=trade.block_number,
        executor=trade.executor,
        route=[
            RouteHop(
                pool=s.pool,
                token_in=s.token_in,
                token_out=s.token_out,
                amount_in=s.amount_in,
                amount_out=s.amount_out,
                venue=s.venue or s.kind,
            )
            for s in trade.route
        ],
        tokens_in=trade.tokens_in,
        tokens_out=trade.tokens_out,
        # After the builder payment, like a WETH share: ETH attached for the builder came from our sender.
        profit=None if trade.profit_eth is None else trade.profit_eth - trade.attached,
        gas_used=trade.gas_used,
        gas_cost=trade.gas_cost,
        builder_payment=trade.builder_payment,
        status=trade.status,
        revert_reason=trade.revert_reason,
        created_at=datetime.fromtimestamp(trade.block_timestamp, UTC) if trade.block_timestamp else None,
    )


def save_trades(sessions: sessionmaker[Session], trades: Iterable[TradeAudit]) -> list[AuditProblem]:
    """Upsert each trade (keeping the bundle it was recorded with) and mark its bundle landed.
    One transaction for all; trades that cannot be stored come back as problems."""
    problems: list[AuditProblem] = []
    trades = list(trades)
    with sessions.begin() as session:
        _new_tokens(session, trades)
        for trade in trades:
            try:
                record = trade_record(trade)
            except ValueError as exc:
                problems.append(AuditProblem(trade.tx_hash, str(exc)))
                continue
            known = crud.get_trade(session, trade.chain_id, trade.tx_hash)
            if record.bundle_uuid is None and known is not None and known.bundle_uuid is not None:
                record = record.model_copy(update={"bundle_uuid": known.bundle_uuid})
            crud.upsert_trades(session, [record])
            if record.bundle_uuid is not None and trade.status == "success":
                # A bundle may carry several of our trades: its realized profit is theirs together.
                together = crud.list_trades(session, trade.chain_id, bundle_uuid=record.bundle_uuid, status="success")
                crud.update_bundle(
                    session, record.bundle_uuid, landed=True, landed_block=trade.block_number,
                    realized_profit=sum(t.profit for t in together),
                )  # fmt: skip
    return problems


def _new_tokens(session: Session, trades: list[TradeAudit]) -> None:
    """Symbols and decimals the audit read, for tokens the tokens table does not have yet (so reports
    can show token units). Known tokens are left alone: their flags come from `arbbot pools sync`."""
    by_chain: dict[int, dict[str, TokenRecord]] = {}
    for t in trades:
        for token, dec in t.decimals.items():
            by_chain.setdefault(t.chain_id, {})[token.lower()] = TokenRecord(
                chain_id=t.chain_id, address=token, symbol=t.symbols.get(token, ""), decimals=dec
            )
    for chain_id, found in by_chain.items():
        known = crud.get_tokens(session, chain_id, found)
        crud.upsert_tokens(session, [r for a, r in found.items() if a not in known])


def simulated_from_db(sessions: sessionmaker[Session], chain_id: int) -> SimulatedLookup:
    """A lookup for the auditor: the bundle a trade was recorded with, and the trade's simulated profit: the
    bundle's, when the trade is alone in it; else the one the searcher recorded with the pending trade (not
    known any more once that trade was audited)."""

    def lookup(tx_hash: str) -> tuple[str | None, int | None] | None:
        with sessions() as session:
            trade = crud.get_trade(session, chain_id, tx_hash)
            if trade is None or trade.bundle_uuid is None:
                return None
            if len(crud.list_trades(session, chain_id, bundle_uuid=trade.bundle_uuid)) > 1:
                return trade.bundle_uuid, trade.profit if trade.status == "pending" else None
            bundle = crud.get_bundle(session, trade.bundle_uuid)
            return trade.bundle_uuid, None if bundle is None else bundle.simulated_profit

    return lookup
