"""Instructions for the owner's token accounts: associated token accounts created idempotently, SOL
wrapped into and unwrapped out of the wrapped-SOL account. Pure: builds instructions, sends nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from arbbot.solana.keys import ASSOCIATED_TOKEN_PROGRAM, associated_token_address
from arbbot.solana.programs import SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, WSOL_MINT

ATA_CREATE_IDEMPOTENT = 1
TOKEN_CLOSE_ACCOUNT = 9
TOKEN_SYNC_NATIVE = 17
TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)


def create_ata_idempotent(
    payer: Pubkey, owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM
) -> Instruction:
    """Creates the owner's associated token account for `mint` (of `token_program`: SPL Token or
    Token-2022, whose accounts the ATA program sizes for the mint's extensions and makes owner-immutable),
    or does nothing if it exists (with the right owner and mint; the ATA program fails otherwise)."""
    if token_program not in TOKEN_PROGRAMS:
        raise ValueError(f"token_program: {token_program} is neither SPL Token nor Token-2022")
    ata = associated_token_address(owner, mint, token_program)
    accounts = [
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(ata, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=False, is_writable=False),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(SYSTEM_PROGRAM, is_signer=False, is_writable=False),
        AccountMeta(token_program, is_signer=False, is_writable=False),
    ]
    return Instruction(ASSOCIATED_TOKEN_PROGRAM, bytes([ATA_CREATE_IDEMPOTENT]), accounts)


def wrap_sol(owner: Pubkey, lamports: int) -> list[Instruction]:
    """Moves `lamports` into the owner's wrapped-SOL account (which must exist or be created first in the
    same transaction) and syncs its token balance."""
    if lamports <= 0:
        raise ValueError(f"wrap: lamports must be positive, got {lamports}")
    ata = associated_token_address(owner, WSOL_MINT)
    sync = Instruction(TOKEN_PROGRAM, bytes([TOKEN_SYNC_NATIVE]), [AccountMeta(ata, False, True)])
    return [transfer(TransferParams(from_pubkey=owner, to_pubkey=ata, lamports=lamports)), sync]


def unwrap_sol(owner: Pubkey) -> Instruction:
    """Closes the owner's wrapped-SOL account: its whole balance and rent return to the owner as SOL."""
    ata = associated_token_address(owner, WSOL_MINT)
    accounts = [AccountMeta(ata, False, True), AccountMeta(owner, False, True), AccountMeta(owner, True, False)]
    return Instruction(TOKEN_PROGRAM, bytes([TOKEN_CLOSE_ACCOUNT]), accounts)


def setup_instructions(
    payer: Pubkey,
    owner: Pubkey,
    mints: Iterable[Pubkey],
    missing: set[Pubkey],
    wrap_lamports: int = 0,
    token_programs: Mapping[Pubkey, Pubkey] | None = None,
) -> list[Instruction]:
    """ATAs for the mints in `missing` (idempotent, so a race with another creator is harmless), each of its
    mint's token program (`token_programs`, SPL Token where not given), then the wrap. Empty when there is
    nothing to do."""
    programs = token_programs or {}
    out = [
        create_ata_idempotent(payer, owner, m, programs.get(m, TOKEN_PROGRAM))
        for m in dict.fromkeys(mints)
        if m in missing
    ]
    if wrap_lamports:
        if WSOL_MINT in missing and not any(ix.accounts[3].pubkey == WSOL_MINT for ix in out):
            out.append(create_ata_idempotent(payer, owner, WSOL_MINT))
        out += wrap_sol(owner, wrap_lamports)
    return out
