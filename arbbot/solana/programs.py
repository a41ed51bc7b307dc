"""Program ids and Anchor discriminators of the venues and programs the searcher speaks to."""

from __future__ import annotations

import hashlib

from solders.pubkey import Pubkey

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
# The native mint: wrapped SOL, the base in which fees are paid 1:1.
WSOL_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
COMPUTE_BUDGET_PROGRAM = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
LOOKUP_TABLE_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")

# Venues, pinned as arb_executor pins them (programs/arb-executor/src/venues): the program refuses
# any other id, so the searcher reads and routes through these only.
# SPL token-swap 2.x (the 10-account `Swap`); the later SPL deployment SwapsVe… (token-swap 3.x)
# takes 14 accounts in `Swap` and is not supported.
SPL_TOKEN_SWAP = Pubkey.from_string("SwaPpA9LAaLfeLi3a68M4DjnLqgtticKg6CnyNwgAC8")
# Orca's token-swap v2: a token-swap 2.x fork with the same instruction, accounts and pool layout.
ORCA_TOKEN_SWAP_V2 = Pubkey.from_string("9W959DqEETiGZocYWCQPaJ6sBmUzgfxXfqGeTEdp3aQP")
TOKEN_SWAP_PROGRAMS = (SPL_TOKEN_SWAP, ORCA_TOKEN_SWAP_V2)
RAYDIUM_AMM_V4 = Pubkey.from_string("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8")
ORCA_WHIRLPOOL = Pubkey.from_string("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc")
RAYDIUM_CPMM = Pubkey.from_string("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C")
RAYDIUM_CLMM = Pubkey.from_string("CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK")
# SPL Memo v2: Raydium CLMM `swap_v2` names it among its accounts.
MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
METEORA_DLMM = Pubkey.from_string("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo")

# OpenBook (Serum v3 code), the market program of most Raydium AMM v4 pools; Serum v3 for the oldest.
OPENBOOK = Pubkey.from_string("srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX")
SERUM_V3 = Pubkey.from_string("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
MARKET_PROGRAMS = (OPENBOOK, SERUM_V3)

# Raydium AMM v4 signs vault transfers with this PDA (seed "amm authority").
RAYDIUM_AMM_AUTHORITY = Pubkey.find_program_address([b"amm authority"], RAYDIUM_AMM_V4)[0]


def anchor_account_discriminator(name: str) -> bytes:
    """First 8 bytes of sha256("account:<Name>"), the prefix Anchor writes into every account it owns."""
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


def anchor_instruction_discriminator(name: str) -> bytes:
    """First 8 bytes of sha256("global:<snake_name>"), the prefix of every Anchor instruction."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]
