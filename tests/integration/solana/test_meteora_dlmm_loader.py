"""Loading DLMM pairs over JSON-RPC (the local RPC double over a LiteSVM bank running the real lb_clmm binary): the
pair, its bin arrays and the clock come back decoded, and the loaded pool quotes what the program then pays."""

from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from arbbot.chain.rpc import RetryPolicy
from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.loader import discover_pools, load_pools
from arbbot.solana.pools.meteora_dlmm import load_dlmm_pairs
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.local_chain import LocalChain
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.meteora_dlmm_world import DlmmWorld, bin_array_address

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
T0 = 1_700_000_000


def test_loaded_pair_quotes_what_the_program_pays() -> None:
    w = DlmmWorld(
        bin_step=20, active_id=3, bins={i: (0 if i < 3 else 9_000, 0 if i > 3 else 9_000) for i in range(-90, 90)}
    )
    w.set_clock(T0 + 7, slot=4242)
    chain = LocalChain()
    chain.svm = w.svm  # the RPC double serves the bank the pair lives in
    chain.known.update({w.lb_pair, *(bin_array_address(w.lb_pair, i) for i in w.array_indexes)})
    with LocalSolanaRpc(chain) as server:
        rpc = SolanaRpc(server.url, timeout=5, retry=FAST)
        try:
            discovered, skipped = load_dlmm_pairs(rpc)
            (pool,), _ = load_dlmm_pairs(rpc, [w.lb_pair])
            # The searcher's own reads find it too: every venue scanned, or the pair given by address.
            everything = discover_pools(rpc)
            given = load_pools(rpc, [w.lb_pair])
            with pytest.raises(AccountLayoutError, match="does not exist"):
                load_dlmm_pairs(rpc, [Pubkey.new_unique()])
        finally:
            rpc.close()
    assert [p.address for p in discovered] == [w.lb_pair] and skipped == []
    assert [type(p).__name__ for p in everything.pools] == ["MeteoraDlmmPool"] and everything.skipped == []
    assert [p.address for p in given.pools] == [w.lb_pair]
    assert given.pools[0].quote(w.mint_x, 10_000) == pool.quote(w.mint_x, 10_000)
    assert (pool.slot, pool.timestamp) == (4242, T0 + 7)
    assert (pool.mint_a, pool.mint_b) == (w.mint_x, w.mint_y)
    assert set(pool.bin_arrays) == {-2, -1, 0, 1}  # the arrays either direction's swap passes
    quoted = pool.quote(w.mint_y, 200_000)  # Y in: up through several bins
    paid, _ = w.swap(200_000, False, pool.swap_bin_arrays(False))
    assert paid == quoted
