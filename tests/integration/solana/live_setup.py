"""Shared setup of the live-loop tests on the local node: vaults (wrapped SOL with its lamports) and the two mints
every route there trades (wrapped SOL and a 6-decimal token B)."""

from __future__ import annotations

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.programs import TOKEN_PROGRAM, WSOL_MINT
from arbbot.solana.testing.accounts import pack_mint, pack_token_account
from arbbot.solana.testing.node import NodeChain

TOKEN_ACCOUNT_LEN = 165


def rent(size: int) -> int:
    """The local node's default rent for `size` bytes: two years' worth."""
    return (128 + size) * 3480 * 2


def vault(chain: NodeChain, mint: Pubkey, owner: Pubkey, amount: int) -> Pubkey:
    """A new token account of `mint` owned by `owner` holding `amount` (wrapped SOL: lamports follow it)."""
    key = Keypair().pubkey()
    if mint == WSOL_MINT:
        r = rent(TOKEN_ACCOUNT_LEN)
        chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount, native_rent=r), r + amount)
    else:
        chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount))
    return key


def sol_and_token_b(chain: NodeChain) -> Pubkey:
    """The wrapped SOL mint (created if the node has none) and a new 6-decimal mint B, which is returned."""
    if chain.get_account(WSOL_MINT) is None:
        chain.set_account(WSOL_MINT, TOKEN_PROGRAM, pack_mint(9))
    mint_b = Keypair().pubkey()
    chain.set_account(mint_b, TOKEN_PROGRAM, pack_mint(6, supply=10**15))
    return mint_b
