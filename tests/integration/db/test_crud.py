"""Repository functions on SQLite and PostgreSQL: exact big integers, batch upserts, lookups, atomic
checkpoints, resuming from a fresh engine, bundles and trades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from arbbot.db import connect, crud, session_factory
from arbbot.db.models import PoolModel
from arbbot.db.schemas import (
    BundleRecord,
    PoolRecord,
    PoolState,
    RouteHop,
    SubmissionRecord,
    TokenRecord,
    TradeRecord,
)

CHAIN = 31337
MAX = 2**256 - 1
FACTORY = "0x" + "f" * 40
T0, T1, T2 = ("0x" + c * 40 for c in "123")


def pools(n: int, start: int = 0, **over: object) -> list[PoolRecord]:
    base = {"chain_id": CHAIN, "kind": "uniswap_v2", "factory": FACTORY, "token0": T0, "token1": T1, "fee": 30}
    return [
        PoolRecord(**{**base, "address": f"0x{i + 1:040x}", "created_block": i, **over})  # type: ignore[arg-type]
        for i in range(start, start + n)
    ]


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def tx(i: int) -> str:
    return f"0x{i:064x}"


# --- exact big integers -------------------------------------------------------------------------


def test_uint256_max_round_trips_exactly_everywhere(engine: Engine) -> None:
    sessions = session_factory(engine)
    hop = RouteHop(pool=T2, token_in=T0, token_out=T1, amount_in=MAX, amount_out=MAX - 1)
    state = {"kind": "uniswap_v3", "sqrt_price_x96": str(MAX), "liquidity": MAX, "ticks": {"-887272": [MAX, -MAX]}}
    with sessions.begin() as s:
        crud.upsert_pools(s, pools(1))
        crud.save_pool_states(s, [PoolState(chain_id=CHAIN, address=f"0x{1:040x}", state=state, block=MAX % 2**62)])
        crud.insert_bundle(s, BundleRecord(uuid="b", chain_id=CHAIN, simulated_profit=MAX, realized_profit=-MAX))
        crud.upsert_trades(
            s,
            [
                TradeRecord(
                    chain_id=CHAIN, tx_hash=tx(1), bundle_uuid="b", executor=T2, route=[hop], tokens_in={T0: MAX},
                    tokens_out={T1: MAX}, profit=-MAX, gas_used=2**63 - 1, gas_cost=MAX, builder_payment=MAX,
                )
            ],
        )  # fmt: skip
    with sessions() as s:
        bundle = crud.get_bundle(s, "b")
        trade = crud.get_trade(s, CHAIN, tx(1))
        (loaded,) = crud.load_pool_states(s, CHAIN)
    assert bundle is not None and bundle.simulated_profit == MAX and bundle.realized_profit == -MAX
    assert trade is not None
    assert (trade.profit, trade.gas_cost, trade.builder_payment, trade.gas_used) == (-MAX, MAX, MAX, 2**63 - 1)
    assert trade.route == [hop] and trade.tokens_in == {T0: MAX} and trade.tokens_out == {T1: MAX}
    assert loaded.state == state and loaded.block == MAX % 2**62
    # Stored as NUMERIC(78,0) on PostgreSQL and as decimal text on SQLite: never as a float.
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT CAST(simulated_profit AS TEXT) FROM bundles")).scalar_one()
    assert raw == str(MAX)


# --- tokens ---------------------------------------------------------------------------------------


def test_token_upsert_is_idempotent_and_refreshes_flags(engine: Engine) -> None:
    sessions = session_factory(engine)
    tok = TokenRecord(chain_id=CHAIN, address="0x" + "C" * 40, symbol="FOT", name="Fee", decimals=18)
    for _ in range(2):
        with sessions.begin() as s:
            crud.upsert_tokens(s, [tok])
    assert count(engine, "tokens") == 1
    changed = tok.model_copy(update={"fee_on_transfer": True, "decimals": None, "decimals_reverted": True})
    with sessions.begin() as s:
        crud.upsert_tokens(s, [changed, changed])  # twice in one batch: last reading wins, no error
    with sessions() as s:
        got = crud.get_tokens(s, CHAIN)
        assert got == {tok.address: changed}
        assert crud.get_tokens(s, CHAIN, ["0x" + "C" * 40, T0]) == {tok.address: changed}


# --- pools ----------------------------------------------------------------------------------------


def test_five_thousand_pools_upsert_in_batches_idempotently(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        assert crud.upsert_pools(s, pools(5000)) == 5000
    with sessions.begin() as s:
        crud.upsert_pools(s, pools(5200))  # 5,000 known + 200 new
    assert count(engine, "pools") == 5200
    with sessions() as s:
        got = crud.get_pools(s, CHAIN)
    assert [p.created_block for p in got] == list(range(5200))  # discovery order
    assert got == pools(5200)


def test_upsert_refreshes_identity_but_never_state_or_a_known_venue(engine: Engine) -> None:
    sessions = session_factory(engine)
    (p,) = pools(1, venue="sushiswap")
    with sessions.begin() as s:
        crud.upsert_pools(s, [p])
        crud.save_pool_states(s, [PoolState(chain_id=CHAIN, address=p.address, state={"r": "1"}, block=5)])
    with sessions.begin() as s:
        crud.upsert_pools(s, [p.model_copy(update={"fee": 25, "venue": ""})])
    with sessions() as s:
        (got,) = crud.get_pools(s, CHAIN)
    assert (got.fee, got.venue, got.state, got.state_block) == (25, "sushiswap", {"r": "1"}, 5)
    with sessions.begin() as s:
        crud.upsert_pools(s, [p.model_copy(update={"fee": 99})], update_existing=False)
    with sessions() as s:
        assert crud.get_pools(s, CHAIN)[0].fee == 25


def test_pools_by_kind_venue_factory_token_and_state(engine: Engine) -> None:
    sessions = session_factory(engine)
    v2 = pools(3, venue="uni", token0=T0, token1=T1)
    v3 = pools(2, start=3, kind="uniswap_v3", venue="uni3", fee=3000, tick_spacing=60, token0=T1, token1=T2)
    other = pools(1, start=5, factory="0x" + "e" * 40, token0=T0, token1=T2)
    with sessions.begin() as s:
        crud.upsert_pools(s, v2 + v3 + other)
        crud.save_pool_states(s, [PoolState(chain_id=CHAIN, address=v3[0].address, state={"x": "1"}, block=1)])
    with sessions() as s:
        with_state = v3[0].model_copy(update={"state": {"x": "1"}, "state_block": 1})
        assert crud.get_pools(s, CHAIN, kind="uniswap_v3") == [with_state, v3[1]]
        assert [p.address for p in crud.get_pools(s, CHAIN, venue="uni")] == [p.address for p in v2]
        assert [p.address for p in crud.get_pools(s, CHAIN, token=T2.upper().replace("0X", "0x"))] == [
            p.address for p in v3 + other
        ]
        assert [p.address for p in crud.get_pools(s, CHAIN, factory="0x" + "E" * 40)] == [other[0].address]
        assert [p.address for p in crud.get_pools(s, CHAIN, with_state=True)] == [v3[0].address]
        assert len(crud.get_pools(s, CHAIN, with_state=False)) == 5
        assert crud.get_pools(s, CHAIN, kind="uniswap_v3", include_state=False) == v3
        assert crud.get_pools(s, CHAIN + 1) == []
        picked = [other[0].address, v2[0].address, "0x" + "9" * 40]
        assert [p.address for p in crud.get_pools(s, CHAIN, addresses=picked)] == [v2[0].address, other[0].address]


def test_states_save_and_load_in_batch_and_only_move_forward(engine: Engine) -> None:
    sessions = session_factory(engine)
    known = pools(3000)
    with sessions.begin() as s:
        crud.upsert_pools(s, known)
    states = [
        PoolState(chain_id=CHAIN, address=p.address, state={"reserve0": str(MAX - i), "i": i}, block=100)
        for i, p in enumerate(known)
    ]
    unknown = PoolState(chain_id=CHAIN, address="0x" + "d" * 40, state={}, block=100)
    with sessions.begin() as s:
        crud.save_pool_states(s, [*states, unknown])  # a pool not discovered yet is skipped
    with sessions() as s:
        assert crud.load_pool_states(s, CHAIN) == states
        assert crud.load_pool_states(s, CHAIN, addresses=[known[7].address]) == [states[7]]
    older = states[0].model_copy(update={"block": 99, "state": {"stale": True}})
    with sessions.begin() as s:
        crud.save_pool_states(s, [older])  # a slower writer cannot roll the state back
    with sessions() as s:
        assert crud.load_pool_states(s, CHAIN, addresses=[known[0].address]) == [states[0]]
    with sessions.begin() as s:
        crud.save_pool_states(s, [older], only_newer=False)  # unless asked to (deep reorg)
    with sessions() as s:
        assert crud.load_pool_states(s, CHAIN, addresses=[known[0].address]) == [older]
    assert count(engine, "pools") == 3000


# --- checkpoints ----------------------------------------------------------------------------------


def test_checkpoint_and_its_pools_move_together_or_not_at_all(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as s:
        crud.record_discovery(s, "discovery:x", 100, block_hash="0x" + "a" * 64, pools=pools(10))
    assert count(engine, "pools") == 10
    # Killed mid-chunk: the pools were written and the checkpoint moved, then the unit of work dies.
    with pytest.raises(RuntimeError, match="killed"), sessions.begin() as s:
        crud.record_discovery(s, "discovery:x", 200, pools=pools(10, start=10))
        with engine.connect() as other:  # another reader does not see the uncommitted chunk
            assert other.execute(text("SELECT count(*) FROM pools")).scalar_one() == 10
        raise RuntimeError("killed mid-chunk")
    with sessions() as s:
        cp = crud.get_checkpoint(s, "discovery:x")
        assert cp is not None and (cp.block, cp.block_hash) == (100, "0x" + "a" * 64)
    assert count(engine, "pools") == 10


def test_a_failing_batch_rolls_back_the_whole_chunk(engine: Engine) -> None:
    # The database itself refuses a row in the second batch of the chunk (the first batch is already
    # written by then): nothing of the chunk stays and the checkpoint does not move.
    sessions = session_factory(engine)
    with sessions() as s:
        crud.record_discovery(s, "discovery:y", 50, pools=pools(5))
    chunk = pools(1500, start=5)
    chunk[1200] = PoolRecord.model_construct(**{**chunk[1200].model_dump(), "token0": None})  # NOT NULL
    with pytest.raises(IntegrityError), sessions() as s:
        crud.record_discovery(s, "discovery:y", 150, pools=chunk)
    with sessions() as s:
        assert crud.get_checkpoint(s, "discovery:y").block == 50  # type: ignore[union-attr]
    assert count(engine, "pools") == 5


def test_checkpoint_written_by_one_engine_is_read_by_a_fresh_one(db_url: str) -> None:
    first = connect(db_url)
    with session_factory(first)() as s:
        crud.record_discovery(s, "discovery:z", 4242, pools=pools(3))
        crud.set_checkpoint(s, "state:1", 7)
        s.commit()
    first.dispose()  # the process that wrote it is gone
    again = connect(db_url)
    with session_factory(again)() as s:
        cp = crud.get_checkpoint(s, "discovery:z")
        assert cp is not None and cp.block == 4242 and cp.updated_at is not None
        assert cp.updated_at.tzinfo is not None
        assert crud.get_checkpoint(s, "state:1").block == 7  # type: ignore[union-attr]
        assert crud.get_checkpoint(s, "nope") is None
        assert len(crud.get_pools(s, CHAIN)) == 3
    again.dispose()


def test_set_checkpoint_joins_the_callers_transaction(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as s:
        crud.set_checkpoint(s, "c", 1)
        s.rollback()
        assert crud.get_checkpoint(s, "c") is None
        crud.set_checkpoint(s, "c", 2)
        crud.set_checkpoint(s, "c", 3, "0x" + "B" * 64)
        s.commit()
        cp = crud.get_checkpoint(s, "c")
        assert cp is not None and (cp.block, cp.block_hash) == (3, "0x" + "b" * 64)


# --- bundles and trades -------------------------------------------------------------------------


def test_bundles_insert_update_and_list(engine: Engine) -> None:
    sessions = session_factory(engine)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with sessions.begin() as s:
        for i in range(3):
            crud.insert_bundle(
                s,
                BundleRecord(
                    uuid=f"u{i}", chain_id=CHAIN, builders=["flashbots", "titan"], target_blocks=[10 + i, 11 + i],
                    simulated_profit=10**18 + i, created_at=t0 + timedelta(seconds=i),
                ),
            )  # fmt: skip
    with pytest.raises(IntegrityError), sessions.begin() as s:
        crud.insert_bundle(s, BundleRecord(uuid="u0", chain_id=CHAIN, simulated_profit=0))
    with sessions.begin() as s:
        assert crud.update_bundle(s, "u1", landed=True, landed_block=11, realized_profit=-(10**17))
        assert crud.update_bundle(s, "u2", bundle_hash="0x" + "A" * 64)
        assert not crud.update_bundle(s, "missing", landed=True)
    with sessions() as s:
        u1 = crud.get_bundle(s, "u1")
        assert u1 is not None and (u1.landed, u1.landed_block, u1.realized_profit) == (True, 11, -(10**17))
        assert u1.builders == ["flashbots", "titan"] and u1.target_blocks == [11, 12]
        assert u1.created_at == t0 + timedelta(seconds=1) and u1.updated_at is not None and u1.updated_at > t0
        assert [b.uuid for b in crud.list_bundles(s, CHAIN)] == ["u2", "u1", "u0"]
        assert [b.uuid for b in crud.list_bundles(s, CHAIN, landed=True)] == ["u1"]
        assert [b.uuid for b in crud.list_bundles(s, CHAIN, since=t0 + timedelta(seconds=1), limit=1)] == ["u2"]
        assert crud.get_bundle(s, "u2").bundle_hash == "0x" + "a" * 64  # type: ignore[union-attr]


def test_bundle_journal_status_and_builder_submissions(engine: Engine) -> None:
    sessions = session_factory(engine)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with sessions.begin() as s:
        crud.insert_bundle(s, BundleRecord(uuid="j", chain_id=CHAIN, simulated_profit=7, strategy="backrun",
                                           expected_net=5))  # fmt: skip
        crud.insert_submissions(
            s,
            [
                SubmissionRecord(bundle_uuid="j", builder="titan", method="eth_callBundle", accepted=True,
                                 latency_ms=3.5, target_block=10, created_at=t0),
                SubmissionRecord(bundle_uuid="j", builder="titan", method="eth_sendBundle", accepted=True,
                                 latency_ms=4.25, target_block=10, created_at=t0 + timedelta(seconds=1)),
                SubmissionRecord(bundle_uuid="j", builder="rsync", method="eth_sendBundle", accepted=False,
                                 error="rate limited\x00", latency_ms=120.0, created_at=t0 + timedelta(seconds=2)),
            ],
        )  # fmt: skip
    with pytest.raises(IntegrityError), sessions.begin() as s:  # only about bundles that exist
        crud.insert_submissions(s, [SubmissionRecord(bundle_uuid="ghost", builder="x", method="eth_sendBundle",
                                                     accepted=True)])  # fmt: skip
    with sessions.begin() as s:
        assert crud.update_bundle(s, "j", status="missed", miss_reason="target block 10 passed; block built by beaver")
        with pytest.raises(ValueError):
            crud.update_bundle(s, "j", status="vanished")  # type: ignore[arg-type]
    with sessions() as s:
        j = crud.get_bundle(s, "j")
        assert j is not None and (j.strategy, j.expected_net, j.status) == ("backrun", 5, "missed")
        assert j.miss_reason == "target block 10 passed; block built by beaver" and j.landed_builder is None
        subs = crud.list_submissions(s, bundle_uuid="j")
        assert [(x.builder, x.method, x.accepted) for x in subs] == [
            ("titan", "eth_callBundle", True), ("titan", "eth_sendBundle", True), ("rsync", "eth_sendBundle", False),
        ]  # fmt: skip
        assert subs[2].error == "rate limited" and subs[1].latency_ms == 4.25
        assert [x.method for x in crud.list_submissions(s, builder="titan", since=t0 + timedelta(seconds=1))] == [
            "eth_sendBundle"
        ]
    with sessions.begin() as s:
        assert crud.update_bundle(s, "j", status="landed", landed=True, landed_block=11, landed_builder="titan")
    with sessions() as s:
        j = crud.get_bundle(s, "j")
        assert j is not None and (j.status, j.landed_builder, j.landed_block) == ("landed", "titan", 11)


def test_trades_upsert_update_and_query(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        crud.insert_bundle(s, BundleRecord(uuid="b", chain_id=CHAIN, simulated_profit=5))
        trades = [
            TradeRecord(chain_id=CHAIN, tx_hash=tx(i), bundle_uuid="b" if i < 2 else None, executor=T2, profit=i)
            for i in range(4)
        ]
        assert crud.upsert_trades(s, trades) == 4
        crud.upsert_trades(s, trades[:1])  # idempotent
    assert count(engine, "trades") == 4
    with sessions.begin() as s:
        assert crud.update_trade(
            s, CHAIN, tx(1).upper().replace("0X", "0x"), status="reverted", block_number=12, gas_used=21_000,
            gas_cost=21_000 * 10**9, revert_reason="Too little received\x00",
        )  # fmt: skip
        assert crud.update_trade(s, CHAIN, tx(0), status="success", block_number=11, profit=-3)
        assert not crud.update_trade(s, CHAIN, tx(99), status="dropped")
        with pytest.raises(ValueError):
            crud.update_trade(s, CHAIN, tx(0), status="exploded")
    with sessions() as s:
        t1 = crud.get_trade(s, CHAIN, tx(1))
        assert t1 is not None and (t1.status, t1.block_number, t1.gas_used, t1.gas_cost) == (
            "reverted", 12, 21_000, 21_000 * 10**9,
        )  # fmt: skip
        assert t1.revert_reason == "Too little received"
        assert [t.tx_hash for t in crud.list_trades(s, CHAIN, bundle_uuid="b")] == [tx(0), tx(1)]
        assert [t.profit for t in crud.list_trades(s, CHAIN, status="success")] == [-3]
        assert [t.tx_hash for t in crud.list_trades(s, CHAIN, from_block=12, to_block=12)] == [tx(1)]
        assert len(crud.list_trades(s, CHAIN, status="pending")) == 2
    # Re-upserting the full record replaces the receipt fields; created_at stays.
    with sessions() as s:
        before = crud.get_trade(s, CHAIN, tx(0))
    with sessions.begin() as s:
        crud.upsert_trades(s, [trades[0].model_copy(update={"status": "dropped"})])
    with sessions() as s:
        after = crud.get_trade(s, CHAIN, tx(0))
    assert before is not None and after is not None
    assert after.status == "dropped" and after.block_number is None and after.created_at == before.created_at


def test_trade_needs_an_existing_bundle_and_survives_its_deletion(engine: Engine) -> None:
    sessions = session_factory(engine)
    with pytest.raises(IntegrityError), sessions.begin() as s:
        crud.upsert_trades(s, [TradeRecord(chain_id=CHAIN, tx_hash=tx(1), bundle_uuid="ghost", executor=T2, profit=0)])
    with sessions.begin() as s:
        crud.insert_bundle(s, BundleRecord(uuid="b", chain_id=CHAIN, simulated_profit=0))
        crud.upsert_trades(s, [TradeRecord(chain_id=CHAIN, tx_hash=tx(1), bundle_uuid="b", executor=T2, profit=0)])
    with sessions.begin() as s:
        s.execute(text("DELETE FROM bundles"))
    with sessions() as s:
        trade = crud.get_trade(s, CHAIN, tx(1))
        assert trade is not None and trade.bundle_uuid is None
        assert s.scalar(select(func.count()).select_from(PoolModel)) == 0


def test_a_solana_trade_is_found_and_updated_by_its_signature_as_given(engine: Engine) -> None:
    """Base58 is case-sensitive: the signature is matched exactly, never lower-cased like an EVM hash."""
    from solders.keypair import Keypair
    from solders.message import Message
    from solders.transaction import Transaction

    from arbbot.solana.journal import SOLANA_LOCAL

    payer = Keypair.from_seed(bytes(range(32)))
    signed = Transaction([payer], Message([], payer.pubkey()), Transaction.default().message.recent_blockhash)
    signature = str(signed.signatures[0])
    assert signature != signature.lower()  # the case the old lookup lost
    cluster = SOLANA_LOCAL
    sessions = session_factory(engine)
    with sessions.begin() as s:
        crud.upsert_trades(
            s, [TradeRecord(chain_id=cluster, tx_hash=signature, executor=str(payer.pubkey()), profit=7)]
        )
    with sessions.begin() as s:
        assert crud.update_trade(s, cluster, signature, status="success", block_number=5)
        assert not crud.update_trade(s, cluster, signature.lower(), status="dropped")  # another signature
    with sessions() as s:
        found = crud.get_trade(s, cluster, signature)
        assert found is not None and (found.tx_hash, found.status, found.profit) == (signature, "success", 7)
        assert crud.get_trade(s, cluster, signature.swapcase()) is None
