"""Records: normalisation and validation before anything reaches the database."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from arbbot.db.schemas import BundleRecord, CheckpointRecord, PoolRecord, RouteHop, TokenRecord, TradeRecord

A = "0x" + "Ab" * 20
B = "0x" + "cd" * 20
TX = "0x" + "EF" * 32
MAX = 2**256 - 1


def test_addresses_and_hashes_are_lower_cased() -> None:
    t = TokenRecord(chain_id=1, address=A)
    assert t.address == A.lower()
    trade = TradeRecord(chain_id=1, tx_hash=TX, executor=A, profit=0)
    assert trade.tx_hash == TX.lower() and trade.executor == A.lower()


@pytest.mark.parametrize("bad", ["0x123", "ab" * 20, "0x" + "g" * 40])
def test_bad_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        TokenRecord(chain_id=1, address=bad)


def test_on_chain_metadata_is_cleaned_not_refused() -> None:
    # bytes32 names padded with NUL, absurdly long symbols: stored trimmed rather than failing a batch.
    t = TokenRecord(chain_id=1, address=A, symbol="MKR\x00\x00" + "X" * 100, name="Maker\x00")
    assert t.symbol == "MKR" + "X" * 61 and t.name == "Maker"


def test_amounts_are_exact_and_strings_in_json() -> None:
    hop = RouteHop(pool=A, token_in=A, token_out=B, amount_in=MAX, amount_out=str(MAX - 1))
    assert hop.amount_out == MAX - 1
    trade = TradeRecord(
        chain_id=1, tx_hash=TX, executor=A, route=[hop], tokens_in={A: MAX}, tokens_out={B: -MAX}, profit=-MAX
    )
    as_json = trade.model_dump(mode="json")
    assert as_json["tokens_in"] == {A.lower(): str(MAX)} and as_json["route"][0]["amount_in"] == str(MAX)
    assert TradeRecord.model_validate(as_json) == trade  # and back, exactly


@pytest.mark.parametrize("bad", [1.5, 1e30, True, "1e30", "0x10", str(10**78)])
def test_amounts_refuse_floats_bools_and_overflow(bad: object) -> None:
    with pytest.raises(ValidationError):
        BundleRecord(uuid="u", chain_id=1, simulated_profit=bad)


def test_pool_kind_and_checkpoint_hash_rules() -> None:
    base = {"chain_id": 1, "address": A, "factory": B, "token0": A, "token1": B, "fee": 30, "created_block": 1}
    assert PoolRecord(kind="uniswap_v3", **base).venue == ""
    with pytest.raises(ValidationError):
        PoolRecord(kind="Uniswap V2", **base)
    assert CheckpointRecord(name="n", block=1).block_hash == ""
    with pytest.raises(ValidationError):
        CheckpointRecord(name="n", block=1, block_hash="0x12")
    with pytest.raises(ValidationError):
        CheckpointRecord(name="n", block=-1)


def test_a_route_hop_names_a_pool_contract_or_a_v4_pool_id() -> None:
    pool_id = "0x" + "Ab" * 32
    t0, t1 = "0x" + "11" * 20, "0x" + "22" * 20
    hop = RouteHop(pool=pool_id, token_in=t0, token_out=t1, amount_in=5, amount_out=4, venue="uniswap_v4")
    assert hop.pool == pool_id.lower()
    for bad in ("0x" + "ab" * 31, "0x" + "ab" * 33, "0x" + "zz" * 32):
        with pytest.raises(ValidationError, match="pool"):
            RouteHop(pool=bad, token_in=t0, token_out=t1, amount_in=5, amount_out=4)
    with pytest.raises(ValidationError, match="token_in"):  # tokens stay addresses
        RouteHop(pool=pool_id, token_in=pool_id, token_out=t1, amount_in=5, amount_out=4)
