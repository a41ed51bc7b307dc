"""Persistence on SQLite and PostgreSQL: migrations, exact big integers, upserts, atomic checkpoints."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.db import connect, repo, session_factory
from arbbot.state.discovery import DiscoveredPool

CHAIN = 31337


def _pools(n: int, start: int = 0) -> list[DiscoveredPool]:
    return [
        DiscoveredPool("uniswap_v2", "0x" + "f" * 40, f"0x{i + 1:040x}", "0x" + "1" * 40, "0x" + "2" * 40, 30, 0, i)
        for i in range(start, start + n)
    ]


def test_migrated_schema_has_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"tokens", "pools", "checkpoints", "alembic_version"} <= tables


def test_exact_big_integers_round_trip(engine: Engine) -> None:
    big = 2**256 - 1
    v3 = UniswapV3Pool.from_positions([(-600, 600, 2**127)], 1 << 96, address="0x" + "a" * 40)
    v3.sqrt_price_x96 = 2**159 + 12345
    v2 = UniswapV2Pool("0x" + "b" * 40, "0x1", "0x2", big, big - 1)
    found = [
        DiscoveredPool("uniswap_v3", "0x" + "f" * 40, v3.address, "0x1", "0x2", 3000, 60, 1),
        DiscoveredPool("uniswap_v2", "0x" + "f" * 40, v2.address, "0x1", "0x2", 30, 0, 1),
    ]
    sessions = session_factory(engine)
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, found)
        repo.save_states(s, CHAIN, [v2, v3], 99)
    with sessions() as s:
        loaded = {p.address: p for p in repo.load_pools(s, CHAIN)}
    assert loaded[v2.address.lower()].to_dict() == v2.to_dict()
    assert loaded[v3.address.lower()].to_dict() == v3.to_dict()


def test_batch_upsert_is_idempotent(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, _pools(5000))
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, _pools(5200))  # 5,000 known + 200 new
    with sessions() as s:
        assert len(repo.discovered(s, CHAIN)) == 5200


def test_checkpoint_moves_only_with_its_data(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as s:
        repo.record_discovery_chunk(s, CHAIN, "discovery:x", _pools(10), 100)
    with pytest.raises(RuntimeError), sessions() as s, s.begin():
        repo.upsert_pools(s, CHAIN, _pools(10, start=10))
        repo.set_checkpoint(s, "discovery:x", 200)
        raise RuntimeError("killed mid-chunk")
    with sessions() as s:
        assert repo.get_checkpoint(s, "discovery:x") == 100
        assert len(repo.discovered(s, CHAIN)) == 10  # nothing of the failed chunk


def test_restart_resumes_from_the_checkpoint(engine: Engine) -> None:
    with session_factory(engine)() as s:
        repo.record_discovery_chunk(s, CHAIN, "discovery:y", _pools(3), 4242)
    again = connect(engine.url.render_as_string(hide_password=False))  # a new process would do this
    with session_factory(again)() as s:
        assert repo.get_checkpoint(s, "discovery:y") == 4242
        assert len(repo.discovered(s, CHAIN)) == 3
    again.dispose()


def test_tokens_upsert_updates_flags(engine: Engine) -> None:
    sessions = session_factory(engine)
    token = {"address": "0x" + "C" * 40, "symbol": "FOT", "name": "Fee", "decimals": 18, "fee_on_transfer": False,
             "non_standard": False}  # fmt: skip
    with sessions.begin() as s:
        repo.upsert_tokens(s, CHAIN, [token])
    with sessions.begin() as s:
        repo.upsert_tokens(s, CHAIN, [{**token, "fee_on_transfer": True, "decimals": None}])
    from arbbot.db.models import Token

    with sessions() as s:
        row = s.query(Token).one()
        assert row.fee_on_transfer and row.decimals is None and row.address == "0x" + "c" * 40
