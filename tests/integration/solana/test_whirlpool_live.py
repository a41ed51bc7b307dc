"""The searcher end to end through Orca Whirlpool: on the local node (arb_executor host-compiled, the real Whirlpool
program loaded with `--program`, cp-swap at the token-swap id), a Whirlpool priced 3% away from a token-swap pool of
the same pair; `run_once` loads both over RPC, finds the cycle, sizes and sends the bundle to the block-engine
double, and it lands with the exact quoted profit."""

from __future__ import annotations

from math import isqrt

import pytest

from arbbot.solana.demo import LAMPORTS, add_pool
from arbbot.solana.layouts.whirlpool import decode_whirlpool
from arbbot.solana.programs import WSOL_MINT
from arbbot.solana.quote.whirlpool_math import tick_index_from_sqrt_price
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.node import LocalNode, NodeChain
from arbbot.solana.testing.venue_binaries import ORCA_WHIRLPOOL
from arbbot.solana.testing.whirlpool import Position, add_whirlpool_pool
from arbbot.solana.venues import TokenSwapPool, WhirlpoolPool
from tests.integration.solana.live_setup import land_once, sol_and_token_b, vault

pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")
SPACING = 64


def test_searcher_lands_a_route_through_the_real_whirlpool_with_the_quoted_profit() -> None:
    with LocalNode([(ORCA_WHIRLPOOL.program_id, ORCA_WHIRLPOOL.checked_path())]) as node:
        chain = NodeChain(node.url)
        rpc = SolanaRpc(node.url)
        try:
            mint_b = sol_and_token_b(chain)
            # 1 SOL = 100 B on the token-swap pool; 103 B on the Whirlpool (token A is wrapped SOL).
            ts = add_pool(chain, WSOL_MINT, mint_b, (1_000 * LAMPORTS, 100_000 * 10**6))
            sqrt_price = isqrt(103 * (1 << 128) // 1_000)
            tick = tick_index_from_sqrt_price(sqrt_price) // SPACING * SPACING
            keys = add_whirlpool_pool(
                lambda key, owner, data: chain.set_account(key, owner, data),
                WSOL_MINT,
                mint_b,
                tick_spacing=SPACING,
                sqrt_price=sqrt_price,
                # A wide position and a narrow one the arbitrage pushes the price out of.
                positions=[
                    Position(tick - 50 * SPACING, tick + 50 * SPACING, 3 * 10**11),
                    Position(tick, tick + SPACING, 10**11),
                ],
                make_vault=lambda mint, owner: vault(
                    chain, mint, owner, 2_000 * LAMPORTS if mint == WSOL_MINT else 200_000 * 10**6
                ),
            )
            before = chain.get_account(keys.pool)
            assert before is not None
            liquidity_before = decode_whirlpool(bytes(before.data), keys.pool, before.owner).liquidity
            result = land_once(chain, rpc, [ts, keys.pool], keys.pool)
            assert {type(p) for p in result.pools.pools} == {TokenSwapPool, WhirlpoolPool}
            after = chain.get_account(keys.pool)
            assert after is not None
            assert decode_whirlpool(bytes(after.data), keys.pool, after.owner).liquidity != liquidity_before  # crossed
        finally:
            rpc.close()
            chain.close()
