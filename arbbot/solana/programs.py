"""Program ids and Anchor discriminators of the venues and programs the searcher speaks to."""

from __future__ import annotations

import hashlib

from solders.pubkey import Pubkey

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
COMPUTE_BUDGET_PROGRAM = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
LOOKUP_TABLE_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")

# Venues. Forks of token-swap run the same code under other ids; pass them in `token_swap_programs`.
SPL_TOKEN_SWAP = Pubkey.from_string("SwapsVeCiPHMUAtzQWZw7RjsKjgCjhwU55QGu4U1Szw")
RAYDIUM_AMM_V4 = Pubkey.from_string("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8")
ORCA_WHIRLPOOL = Pubkey.from_string("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc")

# OpenBook (Serum v3 code), the market program of most Raydium AMM v4 pools.
OPENBOOK = Pubkey.from_string("srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX")

# Raydium AMM v4 signs vault transfers with this PDA (seed "amm authority").
RAYDIUM_AMM_AUTHORITY = Pubkey.find_program_address([b"amm authority"], RAYDIUM_AMM_V4)[0]


def anchor_account_discriminator(name: str) -> bytes:
    """First 8 bytes of sha256("account:<Name>"), the prefix Anchor writes into every account it owns."""
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


def anchor_instruction_discriminator(name: str) -> bytes:
    """First 8 bytes of sha256("global:<snake_name>"), the prefix of every Anchor instruction."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]
