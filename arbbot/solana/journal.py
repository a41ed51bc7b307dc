"""Solana attempts in the project's journal: the bundles and bundle_submissions tables (through the
bundle log) and the trades table, so `arbbot report` and the audit read them like EVM trades.

Solana clusters have negative chain ids, which no EVM chain uses: the SPL token list's cluster ids
(101 mainnet-beta, 102 testnet, 103 devnet) negated, and -100 for any other cluster (a local node).
Amounts: for routes based in wrapped SOL everything is lamports; `profit` is the route's gain after the
tip and before the transaction fee, `gas_cost` the fee (signatures + priority), `builder_payment` the
tip, so profit - gas_cost is the owner's whole balance change (SOL + wrapped SOL). For another base,
profit is the gain in base units and the fees stay in lamports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from arbbot.audit.bundle_log import BundleLog
from arbbot.db import crud
from arbbot.db.schemas import RouteHop, SubmissionRecord, TradeRecord
from arbbot.solana.programs import WSOL_MINT
from arbbot.solana.routes import Route

SOLANA_MAINNET = -101
SOLANA_TESTNET = -102
SOLANA_DEVNET = -103
SOLANA_LOCAL = -100
_GENESIS = {
    "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d": SOLANA_MAINNET,
    "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY": SOLANA_TESTNET,
    "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG": SOLANA_DEVNET,
}


def chain_id_for_genesis(genesis_hash: str) -> int:
    """The project's chain id for a Solana cluster's genesis hash; `SOLANA_LOCAL` (-100) for an unknown cluster."""
    return _GENESIS.get(genesis_hash, SOLANA_LOCAL)


@dataclass(frozen=True)
class Landing:
    """What the audit measured on chain for a landed route."""

    slot: int
    token_delta: int  # source token account after - before, base units
    lamports_delta: int  # owner's SOL after - before (fee and tip paid out of it)
    fee: int  # signatures + priority fee, lamports
    tip: int

    @property
    def profit(self) -> int:
        """The route's gain after the tip, before the fee (the trades table's convention)."""
        return self.token_delta - self.tip


class SolanaJournal:
    """Writes Solana bundle attempts and their outcomes to the bundle log and, when a database is given, the trades.

    `chain_id` is a Solana cluster id (negative); `sessions` may be None to keep only the bundle log.
    """

    def __init__(self, log: BundleLog, sessions: sessionmaker[Session] | None, chain_id: int) -> None:
        if chain_id >= 0:
            raise ValueError(f"chain_id: Solana clusters have negative ids, got {chain_id}")
        self.log, self.sessions, self.chain_id = log, sessions, chain_id

    def sent(
        self,
        *,
        bundle_id: str,
        engine: str,
        slot: int,
        signatures: Sequence[str],
        route: Route,
        expected_net: int,
        accepted: bool,
        latency_ms: float,
        error: str | None = None,
        extra: dict[str, str | int | bool | None] | None = None,
    ) -> None:
        """Record a bundle as sent to `engine` for `slot`, accepted or rejected, with the route's simulated profit."""
        attempt = SubmissionRecord(
            bundle_uuid=bundle_id, builder=engine, method="sendBundle", accepted=accepted,
            error=error, latency_ms=latency_ms, target_block=slot,
        )  # fmt: skip
        self.log.sent(
            uuid=bundle_id, chain_id=self.chain_id, builders=[engine], target_blocks=[slot],
            tx_hashes=list(signatures), simulated_profit=route.profit, bundle_hash="0x" + bundle_id,
            strategy="cycle", expected_net=expected_net, status="sent" if accepted else "rejected",
            attempts=[attempt], extra=extra,
        )  # fmt: skip

    def outcome(
        self,
        *,
        bundle_id: str,
        engine: str,
        route: Route,
        signature: str,
        executor: str,
        landing: Landing | None,
        reason: str | None = None,
    ) -> None:
        """Record a bundle's outcome; when it landed and a database is set, also upsert the trade measured by `landing`.

        Per-hop amounts are re-quoted from the route's pools; the net (profit minus fee) is recorded only for
        routes based in wrapped SOL, where both are lamports.
        """
        if landing is None:
            self.log.outcome(uuid=bundle_id, landed=False, reason=reason)
            return
        net = landing.profit - landing.fee if route.base == WSOL_MINT else None
        self.log.outcome(
            uuid=bundle_id, landed=True, landed_block=landing.slot, realized_profit=landing.profit,
            builder=engine, extra={"fee_lamports": landing.fee, "tip_lamports": landing.tip, "net": net},
        )  # fmt: skip
        if self.sessions is None:
            return
        hops = []
        amount = route.amount_in
        for hop in route.hops:
            out = hop.pool.quote(hop.mint_in, amount)
            hops.append(
                RouteHop(
                    pool=str(hop.pool.address),
                    token_in=str(hop.mint_in),
                    token_out=str(hop.mint_out),
                    amount_in=amount,
                    amount_out=out,
                    venue=hop.pool.venue.name.lower(),
                )
            )
            amount = out
        trade = TradeRecord(
            chain_id=self.chain_id, tx_hash=signature, bundle_uuid=bundle_id, block_number=landing.slot,
            executor=executor, route=hops, tokens_in={str(route.base): route.amount_in},
            tokens_out={str(route.base): route.amount_in + landing.token_delta}, profit=landing.profit,
            gas_cost=landing.fee, builder_payment=landing.tip, status="success",
        )  # fmt: skip
        with self.sessions.begin() as session:
            crud.upsert_trades(session, [trade])
