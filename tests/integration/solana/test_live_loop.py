"""`arbbot solana run --live`'s path end to end on the local node (arb_executor and the token-swap venue
executing for real) through the block-engine double: sized, sent, landed, audited, journaled."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arbbot.db import crud
from arbbot.db.engine import connect, session_factory
from arbbot.solana.demo import LAMPORTS, run_local_loop
from arbbot.solana.errors import SolanaError
from arbbot.solana.fees import LAMPORTS_PER_SIGNATURE, TxCost
from arbbot.solana.journal import SOLANA_LOCAL
from arbbot.solana.keys import associated_token_address
from arbbot.solana.programs import TOKEN_2022_PROGRAM


@pytest.fixture
def db_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = connect(f"sqlite:///{tmp_path / 'arbbot.db'}")
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def test_local_loop_lands_and_the_audit_equals_the_balance_change(
    tmp_path: Path, db_sessions: sessionmaker[Session]
) -> None:
    lines: list[str] = []
    result = run_local_loop(sessions=db_sessions, log_path=tmp_path / "bundles.jsonl", echo=lines.append)
    a = result.attempt
    assert a.status == "landed", a.reason
    assert result.run.setup_signature is not None and len(result.run.created_accounts) == 2
    landing = a.landing
    assert landing is not None
    # The limit is the simulated units x 1.2 + 1000, the tip 20% of the surplus over the fees (>= the floor).
    assert a.cu_limit == -(-a.units_simulated * 12_000 // 10_000) + 1_000
    fee = TxCost(1, a.cu_limit, a.cu_price).lamports
    assert landing.fee == fee == LAMPORTS_PER_SIGNATURE + -(-a.cu_limit * a.cu_price // 10**6)
    assert a.tip == max((a.route.profit - fee) * 2_000 // 10_000, 1_000)
    # On chain: the route paid at least min_profit (fees + tip + 1) into the WSOL account ...
    assert landing.token_delta >= a.min_profit == fee + a.tip + 1
    # ... the owner's SOL paid exactly the fee and the tip ...
    assert landing.lamports_delta == -(fee + a.tip)
    # ... and the whole balance change is the journaled profit less the fee.
    assert result.sol_after - result.sol_before == landing.profit - landing.fee
    assert landing.token_delta == a.route.profit  # no one else traded: the exact quote was realised
    with db_sessions() as s:
        (bundle,) = crud.list_bundles(s, SOLANA_LOCAL)
        (trade,) = crud.list_trades(s, SOLANA_LOCAL)
        (sub,) = crud.list_submissions(s, bundle_uuid=bundle.uuid)
    assert result.chain_id == SOLANA_LOCAL
    assert bundle.status == "landed" and bundle.landed and bundle.realized_profit == landing.profit
    assert trade.tx_hash == a.signature and trade.profit == landing.profit
    assert trade.gas_cost == fee and trade.builder_payment == a.tip
    assert sub.method == "sendBundle" and sub.accepted
    assert result.sol_before < 100 * LAMPORTS


def test_live_loop_through_real_cpmm_pools_and_a_token_2022_mint_with_a_transfer_fee(
    tmp_path: Path, db_sessions: sessionmaker[Session]
) -> None:
    """The committed Raydium CPMM build runs both pools; the middle token is a Token-2022 mint keeping 1% of
    each transfer. The owner's Token-2022 account is created by the setup (the ATA of that program), and
    the exact quote — curve and both transfer fees — is what lands."""
    lines: list[str] = []
    result = run_local_loop(
        sessions=db_sessions, log_path=tmp_path / "bundles.jsonl", echo=lines.append, seed=11,
        market="cpmm-token-2022",
    )  # fmt: skip
    a = result.attempt
    assert a.status == "landed", (a.reason, lines)
    assert [type(h.pool).__name__ for h in a.route.hops] == ["RaydiumCpmmPool", "RaydiumCpmmPool"]
    middle = a.route.hops[0].mint_out
    assert middle == a.route.hops[1].mint_in
    created = result.run.created_accounts
    assert associated_token_address(result.owner, middle, TOKEN_2022_PROGRAM) in created
    assert associated_token_address(result.owner, middle) not in created  # not the SPL Token address
    landing = a.landing
    assert landing is not None
    assert landing.token_delta == a.route.profit > 0  # exactly the quote, both transfer fees included
    # Without the transfer fees the same pools would have paid more: the quote did not ignore them.
    first, second = a.route.hops
    no_fee_mid = dataclasses.replace(first.pool, transfer_fee_0=None, transfer_fee_1=None)
    no_fee_back = dataclasses.replace(second.pool, transfer_fee_0=None, transfer_fee_1=None)
    ideal = no_fee_back.quote(middle, no_fee_mid.quote(first.mint_in, a.route.amount_in)) - a.route.amount_in
    assert ideal > a.route.profit
    assert result.sol_after - result.sol_before == landing.profit - landing.fee and result.reconciled


def test_an_unknown_market_is_named(tmp_path: Path) -> None:
    with pytest.raises(SolanaError, match="market: 'nope' is not one of token-swap, cpmm-token-2022"):
        run_local_loop(sessions=None, log_path=tmp_path / "b.jsonl", market="nope")
