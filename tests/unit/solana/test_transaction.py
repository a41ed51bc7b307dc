"""Compute budget, v0 messages, lookup tables only when needed, and routes that cannot fit."""

from __future__ import annotations

import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.errors import RouteTooLarge
from arbbot.solana.programs import COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM
from arbbot.solana.transaction import (
    MAX_TX_ACCOUNT_LOCKS,
    PACKET_DATA_SIZE,
    budget_instructions,
    compile_message,
    sign,
    tip_instruction,
)

PAYER = Keypair()
BLOCKHASH = Hash.new_unique()
PROGRAM = Pubkey.new_unique()


def _ix(n_accounts: int) -> Instruction:
    metas = [AccountMeta(Pubkey.new_unique(), False, True) for _ in range(n_accounts)]
    return Instruction(PROGRAM, bytes(40), [AccountMeta(PAYER.pubkey(), True, True), *metas])


def test_budget_instructions_are_the_compute_budget_program_ones() -> None:
    limit, price = budget_instructions(300_000, 25_000)
    assert limit == set_compute_unit_limit(300_000) and price == set_compute_unit_price(25_000)
    assert limit.program_id == COMPUTE_BUDGET_PROGRAM
    assert limit.data == bytes([2]) + (300_000).to_bytes(4, "little")
    assert price.data == bytes([3]) + (25_000).to_bytes(8, "little")
    with pytest.raises(ValueError, match=r"cu_limit must be 1\.\.1400000, got 0"):
        budget_instructions(0, 1)
    with pytest.raises(ValueError, match="cu_price must not be negative"):
        budget_instructions(1, -1)


def test_small_route_needs_no_lookup_table() -> None:
    built = compile_message(PAYER.pubkey(), [*budget_instructions(200_000, 1), _ix(20)], BLOCKHASH)
    assert built.lookup_tables_used == 0 and not built.message.address_table_lookups
    tx = sign(built, [PAYER])
    assert len(bytes(tx)) == built.size <= PACKET_DATA_SIZE
    assert all(tx.verify_with_results())


def test_large_route_uses_the_lookup_table_and_shrinks() -> None:
    ix = _ix(45)  # 45 extra keys * 32 bytes: over 1232 bytes as static keys
    with pytest.raises(RouteTooLarge, match=r"transaction is \d+ bytes with 48 accounts .* no address lookup table"):
        compile_message(PAYER.pubkey(), [*budget_instructions(200_000, 1), ix], BLOCKHASH)
    table = AddressLookupTableAccount(Pubkey.new_unique(), [m.pubkey for m in ix.accounts[1:]])
    built = compile_message(PAYER.pubkey(), [*budget_instructions(200_000, 1), ix], BLOCKHASH, [table])
    assert built.lookup_tables_used == 1
    assert built.size <= PACKET_DATA_SIZE and built.accounts == 48
    assert len(bytes(sign(built, [PAYER]))) == built.size


def test_too_many_accounts_even_with_tables_is_refused() -> None:
    ix = _ix(MAX_TX_ACCOUNT_LOCKS)
    table = AddressLookupTableAccount(Pubkey.new_unique(), [m.pubkey for m in ix.accounts[1:]])
    with pytest.raises(RouteTooLarge, match=r"\d+ accounts even with 1 lookup table\(s\)"):
        compile_message(PAYER.pubkey(), [ix], BLOCKHASH, [table])


def test_tip_is_a_system_transfer() -> None:
    tip_account = Pubkey.new_unique()
    ix = tip_instruction(PAYER.pubkey(), tip_account, 10_000)
    assert ix.program_id == SYSTEM_PROGRAM and ix.accounts[1].pubkey == tip_account
    assert ix.data == (2).to_bytes(4, "little") + (10_000).to_bytes(8, "little")
    with pytest.raises(ValueError, match="tip must be positive"):
        tip_instruction(PAYER.pubkey(), tip_account, 0)
