"""The adapters `arbbot pools` uses (DiscoveredPool, amm Pool), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address
from sqlalchemy import Engine

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.db import connect, crud, repo, session_factory
from arbbot.state.discovery import DiscoveredPool

CHAIN = 31337
FACTORY = to_checksum_address("0x" + "f" * 40)
T0 = to_checksum_address("0x" + "1" * 40)
T1 = to_checksum_address("0x" + "2" * 40)


def found(n: int, start: int = 0) -> list[DiscoveredPool]:
    return [
        DiscoveredPool("uniswap_v2", FACTORY, to_checksum_address(f"0x{i + 1:040x}"), T0, T1, 30, 0, i)
        for i in range(start, start + n)
    ]


def test_pool_models_round_trip_exactly(engine: Engine) -> None:
    big = 2**256 - 1
    v3 = UniswapV3Pool.from_positions([(-600, 600, 2**127)], 1 << 96, address="0x" + "a" * 40)
    v3.sqrt_price_x96 = 2**159 + 12345
    v2 = UniswapV2Pool("0x" + "b" * 40, T0, T1, big, big - 1)
    discovered = [
        DiscoveredPool("uniswap_v3", FACTORY, v3.address, T0, T1, 3000, 60, 1),
        DiscoveredPool("uniswap_v2", FACTORY, v2.address, T0, T1, 30, 0, 1),
    ]
    sessions = session_factory(engine)
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, discovered, venue="test")
        repo.save_states(s, CHAIN, [v2, v3], 99)
    with sessions() as s:
        loaded = {p.address: p for p in repo.load_pools(s, CHAIN)}
        assert [p.kind for p in repo.load_pools(s, CHAIN, kind="uniswap_v3")] == ["uniswap_v3"]
        assert {p.venue for p in crud.get_pools(s, CHAIN)} == {"test"}
    assert loaded[v2.address].to_dict() == v2.to_dict()
    assert loaded[v3.address].to_dict() == v3.to_dict()


def test_discovered_pools_come_back_checksummed_in_order(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, found(5000))
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, found(5200))  # 5,000 known + 200 new
    with sessions() as s:
        assert repo.discovered(s, CHAIN) == found(5200)


def test_discovered_pools_keep_their_kind(engine: Engine) -> None:
    # A PancakeSwap V3 pool once came back as "uniswap_v2" (every kind but uniswap_v3 was read as V2).
    pools = [
        DiscoveredPool(kind, FACTORY, to_checksum_address(f"0x{i + 1:040x}"), T0, T1, fee, spacing, 7)
        for i, (kind, fee, spacing) in enumerate(
            [("pancakeswap_v3", 2500, 50), ("uniswap_v3", 500, 10), ("uniswap_v2", 30, 0)]
        )
    ]
    sessions = session_factory(engine)
    with sessions.begin() as s:
        repo.upsert_pools(s, CHAIN, pools)
    with sessions() as s:
        assert [p.kind for p in repo.discovered(s, CHAIN)] == ["pancakeswap_v3", "uniswap_v3", "uniswap_v2"]


def test_a_stored_pool_of_unknown_kind_is_refused_by_name(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        crud.upsert_pools(s, [repo.pool_record(CHAIN, found(1)[0]).model_copy(update={"kind": "curve_v1"})])
    with sessions() as s, pytest.raises(ValueError, match=r"kind: not a pool kind .*'curve_v1'"):
        repo.discovered(s, CHAIN)


def test_discovery_chunk_and_checkpoint_are_one_transaction(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as s:
        repo.record_discovery_chunk(s, CHAIN, "discovery:x", found(10), 100, venue="v")
    with pytest.raises(RuntimeError), sessions() as s, s.begin():
        repo.upsert_pools(s, CHAIN, found(10, start=10))
        repo.set_checkpoint(s, "discovery:x", 200)
        raise RuntimeError("killed mid-chunk")
    with sessions() as s:
        assert repo.get_checkpoint(s, "discovery:x") == 100
        assert len(repo.discovered(s, CHAIN)) == 10  # nothing of the failed chunk


def test_restart_resumes_from_the_checkpoint(engine: Engine) -> None:
    with session_factory(engine)() as s:
        repo.record_discovery_chunk(s, CHAIN, "discovery:y", found(3), 4242)
    again = connect(engine.url.render_as_string(hide_password=False))  # a new process would do this
    with session_factory(again)() as s:
        assert repo.get_checkpoint(s, "discovery:y") == 4242
        assert len(repo.discovered(s, CHAIN)) == 3
    again.dispose()


def test_token_dicts_upsert_and_reverted_decimals_are_flagged(engine: Engine) -> None:
    sessions = session_factory(engine)
    token = {"address": "0x" + "C" * 40, "symbol": "FOT", "name": "Fee", "decimals": 18, "fee_on_transfer": False,
             "non_standard": False}  # fmt: skip
    with sessions.begin() as s:
        repo.upsert_tokens(s, CHAIN, [token])
    with sessions.begin() as s:
        repo.upsert_tokens(s, CHAIN, [{**token, "fee_on_transfer": True, "decimals": None}])
    with sessions() as s:
        (row,) = crud.get_tokens(s, CHAIN).values()
    assert row.fee_on_transfer and row.decimals is None and row.decimals_reverted
    assert row.address == "0x" + "c" * 40
