"""Whirlpools with a Token-2022 mint, read over the RPC double: the hop becomes `swap_v2` (each side's mint
and token program in the block), the quote takes both transfer fees at the current epoch, and a pool whose
mint the executor refuses (a transfer hook) is skipped with the reason. The Whirlpool program does not run here (it
does in test_whirlpool_real.py, which proves the same quote against it): the transfer-fee arithmetic is written out
below."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.layouts import token_2022 as t22
from arbbot.solana.loader import discover_pools
from arbbot.solana.programs import MEMO_PROGRAM, ORCA_WHIRLPOOL, TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.transfer_fee import TransferFee, TransferFeeConfig
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.world import World, add_whirlpool, build_world
from arbbot.solana.venues import Venue, WhirlpoolPool

FEE_BPS, MAX_FEE = 150, 5_000_000  # 1.5%, capped at 5 units of a 6-decimal token


def _mint_2022(world: World, records: list[tuple[int, bytes]]) -> Pubkey:
    mint = Keypair().pubkey()
    world.chain.set_account(mint, TOKEN_2022_PROGRAM, t22.pack_mint_2022(None, 10**15, 6, records))
    return mint


@pytest.fixture
def pools() -> Iterator[tuple[World, dict[Pubkey, WhirlpoolPool], list[str], Pubkey, Pubkey]]:
    world = build_world()
    fee = TransferFee(epoch=0, maximum_fee=MAX_FEE, basis_points=FEE_BPS)
    taxed = _mint_2022(world, [(t22.TRANSFER_FEE_CONFIG, TransferFeeConfig(None, None, 0, fee, fee).pack())])
    hooked = _mint_2022(world, [(t22.TRANSFER_HOOK, bytes(64))])
    taxed_pool = add_whirlpool(world.chain, world.mint_a, taxed, 10**12)
    hooked_pool = add_whirlpool(world.chain, world.mint_a, hooked, 10**12)
    with LocalSolanaRpc(world.chain) as server:
        rpc = SolanaRpc(server.url, timeout=5)
        try:
            result = discover_pools(rpc)
        finally:
            rpc.close()
    by_address = {p.address: p for p in result.pools if isinstance(p, WhirlpoolPool)}
    yield world, by_address, result.skipped, taxed_pool, hooked_pool


def _fee(amount: int) -> int:
    return min(-(-amount * FEE_BPS // 10_000), MAX_FEE)


def test_a_token_2022_whirlpool_trades_through_swap_v2_net_of_both_transfer_fees(
    pools: tuple[World, dict[Pubkey, WhirlpoolPool], list[str], Pubkey, Pubkey],
) -> None:
    world, by_address, _, taxed_pool, _ = pools
    wp = by_address[taxed_pool]
    assert wp.venue == Venue.ORCA_WHIRLPOOL_V2
    assert (wp.token_program_a, wp.token_program_b) == (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)
    taxed = wp.mint_b
    # The same pool without the fees: what the swap itself pays.
    plain = WhirlpoolPool(wp.address, wp.program, wp.mint_a, wp.mint_b, state=wp.state, tick_arrays=wp.tick_arrays)
    assert plain.venue == Venue.ORCA_WHIRLPOOL
    for x in (1_000, 10**6, 10**9):  # under the cap, then capped
        out = plain.quote(world.mint_a, x)
        assert wp.quote(world.mint_a, x) == out - _fee(out)  # the output pays on its way to the user
        assert wp.quote(taxed, x) == plain.quote(taxed, x - _fee(x))  # the input pays on its way in
    assert _fee(10**9) == MAX_FEE and _fee(1_000) == 15

    owner, user_a, user_t = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    block = wp.hop_accounts(taxed, owner, user_t, user_a)
    keys = [m.pubkey for m in block]
    assert len(block) == 16 and keys[0] == ORCA_WHIRLPOOL
    assert keys[1:4] == [TOKEN_PROGRAM, TOKEN_2022_PROGRAM, MEMO_PROGRAM]
    assert (keys[4], keys[5], keys[6], keys[7]) == (owner, wp.address, world.mint_a, taxed)
    # b to a: the user's account A receives (position 8), B pays (position 10).
    assert (keys[8], keys[9], keys[10], keys[11]) == (user_a, wp.state.token_vault_a, user_t, wp.state.token_vault_b)
    assert [i for i, m in enumerate(block) if m.is_signer] == [4]
    assert [i for i, m in enumerate(block) if m.is_writable] == [5, 8, 9, 10, 11, 12, 13, 14, 15]


def test_a_whirlpool_with_a_mint_the_executor_refuses_is_skipped_and_spl_pools_stay_v1(
    pools: tuple[World, dict[Pubkey, WhirlpoolPool], list[str], Pubkey, Pubkey],
) -> None:
    world, by_address, skipped, _, hooked_pool = pools
    assert hooked_pool not in by_address
    assert any(str(hooked_pool) in s and "Token-2022 extensions [14]" in s for s in skipped), skipped
    spl = by_address[world.whirlpool]
    assert spl.venue == Venue.ORCA_WHIRLPOOL and len(spl.hop_accounts(world.mint_a, *[Pubkey.new_unique()] * 3)) == 12
