"""The searcher end to end through Raydium AMM v4: on the local node (arb_executor host-compiled, the real AMM v4
binary loaded with `--program`, cp-swap at the token-swap id), an AMM v4 pool priced 3% away from a token-swap pool
of the same pair; `run_once` loads both over RPC (the pool's OpenBook market included), finds the cycle, sizes and
sends the bundle to the block-engine double, and it lands with the exact quoted profit."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.demo import LAMPORTS, add_pool
from arbbot.solana.layouts.raydium import decode_raydium_amm_v4
from arbbot.solana.programs import OPENBOOK, RAYDIUM_AMM_V4, WSOL_MINT
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.accounts import (
    MarketFields,
    RaydiumFields,
    pack_market,
    pack_raydium,
)
from arbbot.solana.testing.node import LocalNode, NodeChain
from arbbot.solana.testing.venue_binaries import RAYDIUM_AMM_V4 as AMM_V4_BINARY
from arbbot.solana.venues import RaydiumPool, TokenSwapPool
from tests.integration.solana.live_setup import land_once, sol_and_token_b, vault

pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")


def _vault_signer(market: Pubkey) -> tuple[int, Pubkey]:
    for nonce in range(256):
        try:
            return nonce, Pubkey.create_program_address([bytes(market), nonce.to_bytes(8, "little")], OPENBOOK)
        except Exception:  # on the curve for this nonce: the market program would take another
            continue
    raise AssertionError("no vault signer nonce")


def _amm_v4_pool(chain: NodeChain, coin: Pubkey, pc: Pubkey, reserves: tuple[int, int], pnl: tuple[int, int]) -> Pubkey:
    """A SwapOnly AMM v4 pool (coin/pc) whose vaults hold `reserves` plus the `pnl` it owes, and its market."""
    authority, nonce = Pubkey.find_program_address([b"amm authority"], RAYDIUM_AMM_V4)
    coin_vault = vault(chain, coin, authority, reserves[0] + pnl[0])
    pc_vault = vault(chain, pc, authority, reserves[1] + pnl[1])
    market = Keypair().pubkey()
    signer_nonce, vault_signer = _vault_signer(market)
    fields = MarketFields(
        market, signer_nonce, coin, pc, vault(chain, coin, vault_signer, 0), vault(chain, pc, vault_signer, 0),
        *(Keypair().pubkey() for _ in range(4)),
    )  # fmt: skip
    chain.set_account(market, OPENBOOK, pack_market(fields))
    pool = Keypair().pubkey()
    ray = RaydiumFields(
        coin_vault, pc_vault, coin, pc, nonce=nonce, coin_decimals=9, pc_decimals=6,
        need_take_pnl_coin=pnl[0], need_take_pnl_pc=pnl[1], lp_mint=Keypair().pubkey(),
        open_orders=Keypair().pubkey(), market=market, market_program=OPENBOOK, target_orders=Keypair().pubkey(),
    )  # fmt: skip
    chain.set_account(pool, RAYDIUM_AMM_V4, pack_raydium(ray))
    return pool


def test_searcher_lands_a_route_through_the_real_amm_v4_with_the_quoted_profit() -> None:
    with LocalNode([(AMM_V4_BINARY.program_id, AMM_V4_BINARY.checked_path())]) as node:
        chain = NodeChain(node.url)
        rpc = SolanaRpc(node.url)
        try:
            mint_b = sol_and_token_b(chain)
            # 1 SOL = 100 B on the token-swap pool; 103 B on the AMM v4 pool (net of the pnl it owes).
            ts = add_pool(chain, WSOL_MINT, mint_b, (1_000 * LAMPORTS, 100_000 * 10**6))
            amm = _amm_v4_pool(
                chain, WSOL_MINT, mint_b, (1_000 * LAMPORTS, 103_000 * 10**6), (7 * LAMPORTS // 10, 4_321 * 10**6)
            )
            result = land_once(chain, rpc, [ts, amm], amm)
            assert {type(p) for p in result.pools.pools} == {TokenSwapPool, RaydiumPool}
            after = chain.get_account(amm)
            assert after is not None
            state = decode_raydium_amm_v4(bytes(after.data), amm, after.owner)
            # The program booked the swap in its counters and left the owed pnl alone.
            assert (state.need_take_pnl_coin, state.need_take_pnl_pc) == (7 * LAMPORTS // 10, 4_321 * 10**6)
            assert bytes(after.data)[256:336] != bytes(80)
        finally:
            rpc.close()
            chain.close()
