"""SPL Token accounts (165 bytes) and mints (82 bytes): the fields a quote needs."""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import check, pubkey, u8, u64
from arbbot.solana.programs import TOKEN_PROGRAM

TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82


@dataclass(frozen=True)
class TokenAccount:
    """The fields of an SPL token account a quote and the audit need: mint, owner, balance (raw units), state."""

    mint: Pubkey  # @0
    owner: Pubkey  # @32
    amount: int  # u64 @64
    state: int  # u8 @108: 0 uninitialized, 1 initialized, 2 frozen


def decode_token_account(
    data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None, program: Pubkey = TOKEN_PROGRAM
) -> TokenAccount:
    """Decode an SPL token account (165 bytes) owned by `program`.

    Raises `AccountLayoutError` for a wrong size or owner and for an uninitialized account.
    """
    check("token account", address, data, TOKEN_ACCOUNT_LEN, owner, program)
    acc = TokenAccount(mint=pubkey(data, 0), owner=pubkey(data, 32), amount=u64(data, 64), state=u8(data, 108))
    if acc.state == 0:
        raise AccountLayoutError(f"token account {address}: state is 0 (uninitialized)")
    return acc


@dataclass(frozen=True)
class Mint:
    """The fields of an SPL mint a quote needs: supply and decimals."""

    supply: int  # u64 @36
    decimals: int  # u8 @44


def decode_mint(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> Mint:
    """Decode an SPL Token mint (82 bytes).

    Raises `AccountLayoutError` for a wrong size, or an owner other than the SPL Token program when one is given.
    """
    check("mint", address, data, MINT_LEN, owner, TOKEN_PROGRAM)
    return Mint(supply=u64(data, 36), decimals=u8(data, 44))
