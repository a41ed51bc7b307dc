"""New-format IDL -> legacy IDL for anchorpy, and the instruction anchorpy encodes from it."""

from __future__ import annotations

import copy
import json
import struct
from pathlib import Path

import pytest
from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.errors import IdlError
from arbbot.solana.idl import load_legacy_idl, to_legacy
from arbbot.solana.instruction import ArbExecutor, HopArgs
from arbbot.solana.programs import TOKEN_PROGRAM, anchor_instruction_discriminator
from arbbot.solana.venues import Venue
from tests.unit.solana._idl import sample_idl

# anchorpy builds enum types through a library that warns about its own dependency.
pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")


def _write(tmp_path: Path, idl: dict) -> Path:
    path = tmp_path / "idl.json"
    path.write_text(json.dumps(idl))
    return path


def test_conversion_shapes() -> None:
    legacy = to_legacy(sample_idl())
    assert (legacy["name"], legacy["version"]) == ("arb_executor", "0.1.0")
    assert legacy["metadata"] == {"address": "Arb1111111111111111111111111111111111111111"}
    (ix,) = legacy["instructions"]
    assert ix["accounts"] == [
        {"name": "authority", "isMut": True, "isSigner": True},
        {"name": "source_token", "isMut": True, "isSigner": False},
        {"name": "token_program", "isMut": False, "isSigner": False},
    ]
    assert ix["args"][2] == {"name": "hops", "type": {"vec": {"defined": "RouteHop"}}}
    assert [t["name"] for t in legacy["types"]] == ["RouteHop", "Venue"]  # the event's type moved to events
    (event,) = legacy["events"]
    assert event["fields"][0] == {"name": "authority", "type": "publicKey", "index": False}
    assert event["fields"][3]["type"] == {"array": ["u8", 4]}
    assert legacy["errors"] == [{"code": 6000, "name": "Unprofitable", "msg": "final balance below start + min_profit"}]


def test_anchorpy_encodes_the_borsh_layout(tmp_path: Path) -> None:
    program = ArbExecutor.load(_write(tmp_path, sample_idl()))
    hops = [HopArgs(Venue.RAYDIUM_AMM_V4, 9, True), HopArgs(Venue.ORCA_WHIRLPOOL, 12, False)]
    data = program.encode_data(1_000_000, 7, hops)
    expected = anchor_instruction_discriminator("execute_route") + struct.pack("<QQI", 1_000_000, 7, 2)
    expected += bytes([1, 9, 1, 2, 12, 0])  # venue tag, num_accounts, a_to_b per hop
    assert data == expected


def test_instruction_accounts_in_idl_order_then_remaining(tmp_path: Path) -> None:
    program = ArbExecutor.load(_write(tmp_path, sample_idl()))
    owner, source = Pubkey.new_unique(), Pubkey.new_unique()
    remaining = [AccountMeta(Pubkey.new_unique(), False, True) for _ in range(3)]
    ix = program.instruction(
        authority=owner, source_token=source, amount_in=5, min_profit=1,
        hops=[HopArgs(Venue.SPL_TOKEN_SWAP, 3, True)], remaining=remaining,
    )  # fmt: skip
    assert ix.program_id == Pubkey.from_string("Arb1111111111111111111111111111111111111111")
    assert [m.pubkey for m in ix.accounts] == [owner, source, TOKEN_PROGRAM, *(m.pubkey for m in remaining)]
    assert ix.accounts[0].is_signer and ix.accounts[0].is_writable and ix.accounts[1].is_writable
    with pytest.raises(ValueError, match="hops declare 4 accounts, 3 given"):
        program.instruction(
            authority=owner, source_token=source, amount_in=5, min_profit=1,
            hops=[HopArgs(Venue.SPL_TOKEN_SWAP, 4, True)], remaining=remaining,
        )  # fmt: skip
    with pytest.raises(ValueError, match="amount_in must be a u64, got -1"):
        program.encode_data(-1, 0, [])


def test_what_anchorpy_cannot_encode_is_refused(tmp_path: Path) -> None:
    custom = sample_idl()
    custom["instructions"][0]["discriminator"] = [1, 2, 3, 4, 5, 6, 7, 8]
    with pytest.raises(IdlError, match="instruction execute_route: discriminator 0102030405060708 is not the default"):
        to_legacy(custom)
    zero_copy = copy.deepcopy(sample_idl())
    zero_copy["types"][1]["serialization"] = "bytemuck"
    with pytest.raises(IdlError, match="type RouteHop: serialization 'bytemuck'"):
        to_legacy(zero_copy)
    generic = sample_idl()
    generic["types"][1]["type"]["fields"][1]["type"] = {"generic": "T"}
    with pytest.raises(IdlError, match="has no legacy IDL form"):
        to_legacy(generic)
    with pytest.raises(IdlError, match="does not exist"):
        load_legacy_idl(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(IdlError, match="is not JSON"):
        load_legacy_idl(tmp_path / "bad.json")
    with pytest.raises(IdlError, match="neither the new"):
        to_legacy({"instructions": []})
