"""The searcher end to end through Raydium CLMM: on the local node (arb_executor host-compiled, the real CLMM binary
loaded with `--program`, cp-swap at the token-swap id), a CLMM pool priced 3% away from a token-swap pool of the
same pair; `run_once` loads both over RPC, finds the cycle, sizes and sends the bundle to the block-engine double,
and it lands with the exact quoted profit."""

from __future__ import annotations

from math import isqrt

import pytest

from arbbot.solana.demo import LAMPORTS, add_pool
from arbbot.solana.layouts.raydium_clmm import decode_pool
from arbbot.solana.pools.raydium_clmm import RaydiumClmmPool
from arbbot.solana.programs import WSOL_MINT
from arbbot.solana.quote.raydium_clmm import tick_at_sqrt_price
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.node import LocalNode, NodeChain
from arbbot.solana.testing.raydium_clmm import Position, add_clmm_pool
from arbbot.solana.testing.venue_binaries import RAYDIUM_CLMM
from arbbot.solana.venues import TokenSwapPool
from tests.integration.solana.live_setup import land_once, sol_and_token_b, vault

pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")


def test_searcher_lands_a_route_through_the_real_clmm_with_the_quoted_profit() -> None:
    with LocalNode([(RAYDIUM_CLMM.program_id, RAYDIUM_CLMM.checked_path())]) as node:
        chain = NodeChain(node.url)
        rpc = SolanaRpc(node.url)
        try:
            mint_b = sol_and_token_b(chain)
            # 1 SOL = 100 B on the token-swap pool; 103 B on the CLMM pool.
            ts = add_pool(chain, WSOL_MINT, mint_b, (1_000 * LAMPORTS, 100_000 * 10**6))
            wsol_is_0 = bytes(WSOL_MINT) < bytes(mint_b)
            num, den = (103, 1_000) if wsol_is_0 else (1_000, 103)  # token 1 per token 0, base units
            sqrt_price = isqrt(num * (1 << 128) // den)
            tick = tick_at_sqrt_price(sqrt_price) // 10 * 10
            clmm = add_clmm_pool(
                lambda key, owner, data: chain.set_account(key, owner, data),
                WSOL_MINT,
                mint_b,
                tick_spacing=10,
                sqrt_price_x64=sqrt_price,
                # A wide position and a narrow one the arbitrage pushes the price out of.
                positions=[Position(tick - 3_000, tick + 3_000, 3 * 10**11), Position(tick - 50, tick + 50, 10**11)],
                make_vault=lambda mint, owner: vault(
                    chain, mint, owner, 2_000 * LAMPORTS if mint == WSOL_MINT else 200_000 * 10**6
                ),
            )
            liquidity_before = clmm.state.liquidity
            result = land_once(chain, rpc, [ts, clmm.pool], clmm.pool)
            assert {type(p) for p in result.pools.pools} == {TokenSwapPool, RaydiumClmmPool}
            after = chain.get_account(clmm.pool)
            assert after is not None
            state = decode_pool(bytes(after.data), clmm.pool, after.owner)
            assert state.liquidity != liquidity_before  # the swap crossed an initialised tick
        finally:
            rpc.close()
            chain.close()
