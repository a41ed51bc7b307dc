"""A small synthetic Solana market for tests and demos: two mints, one pool per venue, an owner with balances.

Pool accounts are plain data in the bank (no venue program is loaded; the Whirlpool is written as the real
program needs it, which tests/integration/solana/test_whirlpool_real.py checks against that program); vaults and
user accounts are real SPL Token accounts, so token transfers between them execute for real on LiteSVM.
Prices differ on purpose: A->B on the token-swap pool pays ~5% more than B->A takes back on Raydium.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.keys import associated_token_address
from arbbot.solana.programs import OPENBOOK, ORCA_WHIRLPOOL, RAYDIUM_AMM_V4, SPL_TOKEN_SWAP, TOKEN_PROGRAM
from arbbot.solana.quote.whirlpool_math import sqrt_price_from_tick_index
from arbbot.solana.testing.accounts import (
    MarketFields,
    RaydiumFields,
    TickArrayFields,
    TickFields,
    TokenSwapFields,
    WhirlpoolFields,
    pack_market,
    pack_mint,
    pack_raydium,
    pack_tick_array,
    pack_token_account,
    pack_token_swap,
    pack_whirlpool,
)
from arbbot.solana.testing.local_chain import LocalChain
from arbbot.solana.venues import tick_array_address, whirlpool_address

WHIRLPOOL_SPACING = 64
WHIRLPOOL_RANGE = 11264  # liquidity between -11264 and +11264 (two tick arrays each side)


@dataclass
class World:
    """The synthetic market `build_world` made: the chain, the owner and its token accounts, the mints and pools."""

    chain: LocalChain
    owner: Keypair
    mint_a: Pubkey
    mint_b: Pubkey
    token_swap: Pubkey
    raydium: Pubkey
    whirlpool: Pubkey
    owner_a: Pubkey  # owner's token account for mint A
    owner_b: Pubkey


def token_account(chain: LocalChain, mint: Pubkey, owner: Pubkey, amount: int, address: Pubkey | None = None) -> Pubkey:
    """Write an SPL token account of `mint` owned by `owner` holding `amount`; returns its address (random if None)."""
    key = address or Keypair().pubkey()
    chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount))
    return key


def add_token_swap(chain: LocalChain, mint_a: Pubkey, mint_b: Pubkey, reserves: tuple[int, int]) -> Pubkey:
    """An SPL token-swap pool whose vaults are owned by the pool's PDA authority."""
    ts = Keypair().pubkey()
    authority, bump = Pubkey.find_program_address([bytes(ts)], SPL_TOKEN_SWAP)
    ts_a = token_account(chain, mint_a, authority, reserves[0])
    ts_b = token_account(chain, mint_b, authority, reserves[1])
    fields = TokenSwapFields(
        token_a=ts_a, token_b=ts_b, token_a_mint=mint_a, token_b_mint=mint_b, pool_mint=Keypair().pubkey(),
        pool_fee_account=Keypair().pubkey(), bump_seed=bump, fees=(25, 10_000, 5, 10_000, 0, 10_000, 20, 100),
    )  # fmt: skip
    chain.set_account(ts, SPL_TOKEN_SWAP, pack_token_swap(fields))
    return ts


def add_raydium(chain: LocalChain, mint_a: Pubkey, mint_b: Pubkey, reserves: tuple[int, int]) -> Pubkey:
    """A Raydium AMM v4 pool, coin = A, pc = B."""
    ray = Keypair().pubkey()
    authority, nonce = Pubkey.find_program_address([b"amm authority"], RAYDIUM_AMM_V4)
    ray_coin = token_account(chain, mint_a, authority, reserves[0])
    ray_pc = token_account(chain, mint_b, authority, reserves[1])
    market, open_orders = Keypair().pubkey(), Keypair().pubkey()
    signer_nonce, vault_signer = next((n, s) for n in range(256) if (s := _try_signer(market, n)) is not None)
    market_fields = MarketFields(
        market, signer_nonce, mint_a, mint_b, token_account(chain, mint_a, vault_signer, 0),
        token_account(chain, mint_b, vault_signer, 0), *(Keypair().pubkey() for _ in range(4)),
    )  # fmt: skip
    chain.set_account(market, OPENBOOK, pack_market(market_fields))
    fields = RaydiumFields(
        ray_coin, ray_pc, mint_a, mint_b, nonce=nonce, open_orders=open_orders, market=market,
        market_program=OPENBOOK, target_orders=Keypair().pubkey(),
    )  # fmt: skip
    chain.set_account(ray, RAYDIUM_AMM_V4, pack_raydium(fields))
    return ray


def _try_signer(market: Pubkey, nonce: int) -> Pubkey | None:
    try:
        return Pubkey.create_program_address([bytes(market), nonce.to_bytes(8, "little")], OPENBOOK)
    except Exception:  # on the curve for this nonce: the market program would pick another
        return None


def add_whirlpool(chain: LocalChain, mint_a: Pubkey, mint_b: Pubkey, liquidity: int) -> Pubkey:
    """An Orca Whirlpool at price 1 (tick 0) with one position over [-RANGE, RANGE], and its tick arrays.

    The pool sits at its program address under a fresh config, with its bump, as the real program needs to sign
    its vaults' transfers."""
    config = Keypair().pubkey()
    wp, bump = whirlpool_address(config, mint_a, mint_b, WHIRLPOOL_SPACING)
    wp_a = token_account(chain, mint_a, wp, 10**12)
    wp_b = token_account(chain, mint_b, wp, 10**12)
    wfields = WhirlpoolFields(
        token_mint_a=mint_a, token_vault_a=wp_a, token_mint_b=mint_b, token_vault_b=wp_b,
        sqrt_price=sqrt_price_from_tick_index(0), tick_current_index=0, liquidity=liquidity,
        tick_spacing=WHIRLPOOL_SPACING, fee_rate=3_000, whirlpools_config=config, bump=bump,
    )  # fmt: skip
    chain.set_account(wp, ORCA_WHIRLPOOL, pack_whirlpool(wfields))
    width = 88 * WHIRLPOOL_SPACING
    for start in range(-WHIRLPOOL_RANGE, WHIRLPOOL_RANGE + 1, width):
        ticks = []
        if start == -WHIRLPOOL_RANGE:
            ticks.append(TickFields(0, liquidity))
        if start == WHIRLPOOL_RANGE:
            ticks.append(TickFields(0, -liquidity))
        data = pack_tick_array(TickArrayFields(start, wp, ticks))
        chain.set_account(tick_array_address(wp, start), ORCA_WHIRLPOOL, data)
    return wp


def build_world(
    chain: LocalChain | None = None,
    *,
    ts_reserves: tuple[int, int] = (10**12, 105 * 10**10),
    raydium_reserves: tuple[int, int] = (10**12, 10**12),
    whirlpool_liquidity: int = 10**12,
    owner_balances: tuple[int, int] = (10**11, 10**11),
) -> World:
    """A fresh world: two mints, a token-swap, a Raydium AMM v4 and a Whirlpool pool, and an owner with SOL and tokens.

    Reserves and balances are raw token units; the owner's token accounts are its associated token accounts.
    """
    chain = chain or LocalChain()
    owner = Keypair()
    chain.airdrop(owner.pubkey(), 10 * 10**9)
    mint_a, mint_b = Keypair().pubkey(), Keypair().pubkey()
    chain.set_account(mint_a, TOKEN_PROGRAM, pack_mint(9, supply=10**15))
    chain.set_account(mint_b, TOKEN_PROGRAM, pack_mint(6, supply=10**15))

    ts = add_token_swap(chain, mint_a, mint_b, ts_reserves)
    ray = add_raydium(chain, mint_a, mint_b, raydium_reserves)
    wp = add_whirlpool(chain, mint_a, mint_b, whirlpool_liquidity)
    owner_a = token_account(
        chain, mint_a, owner.pubkey(), owner_balances[0], associated_token_address(owner.pubkey(), mint_a)
    )
    owner_b = token_account(
        chain, mint_b, owner.pubkey(), owner_balances[1], associated_token_address(owner.pubkey(), mint_b)
    )
    return World(chain, owner, mint_a, mint_b, ts, ray, wp, owner_a, owner_b)
