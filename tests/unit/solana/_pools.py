"""Pool models from bytes built field by field (no RPC): the shapes the loader produces."""

from __future__ import annotations

from solders.pubkey import Pubkey

from arbbot.solana.layouts.raydium import decode_raydium_amm_v4
from arbbot.solana.layouts.token_swap import decode_token_swap
from arbbot.solana.programs import RAYDIUM_AMM_V4, SPL_TOKEN_SWAP
from arbbot.solana.testing.accounts import RaydiumFields, TokenSwapFields, pack_raydium, pack_token_swap
from arbbot.solana.venues import RaydiumPool, TokenSwapPool


def token_swap_pool(mint_a: Pubkey, mint_b: Pubkey, reserve_a: int, reserve_b: int) -> TokenSwapPool:
    address = Pubkey.new_unique()
    _, bump = Pubkey.find_program_address([bytes(address)], SPL_TOKEN_SWAP)
    fields = TokenSwapFields(
        Pubkey.new_unique(), Pubkey.new_unique(), mint_a, mint_b, Pubkey.new_unique(), Pubkey.new_unique(), bump
    )
    state = decode_token_swap(pack_token_swap(fields), address, SPL_TOKEN_SWAP)
    return TokenSwapPool(address, SPL_TOKEN_SWAP, mint_a, mint_b, state=state, reserve_a=reserve_a, reserve_b=reserve_b)


def raydium_pool(mint_a: Pubkey, mint_b: Pubkey, coin: int, pc: int) -> RaydiumPool:
    address = Pubkey.new_unique()
    fields = RaydiumFields(Pubkey.new_unique(), Pubkey.new_unique(), mint_a, mint_b)
    state = decode_raydium_amm_v4(pack_raydium(fields), address, RAYDIUM_AMM_V4)
    return RaydiumPool(address, RAYDIUM_AMM_V4, mint_a, mint_b, state=state, coin_vault_amount=coin, pc_vault_amount=pc)
