"""Decoders against account bytes built field by field in each program's struct order."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts.raydium import AMM_INFO_LEN, decode_raydium_amm_v4
from arbbot.solana.layouts.token import decode_mint, decode_token_account
from arbbot.solana.layouts.token_swap import TOKEN_SWAP_LEN, decode_token_swap
from arbbot.solana.layouts.whirlpool import TICK_ARRAY_LEN, WHIRLPOOL_LEN, decode_tick_array, decode_whirlpool
from arbbot.solana.programs import ORCA_WHIRLPOOL, RAYDIUM_AMM_V4, SPL_TOKEN_SWAP, TOKEN_PROGRAM
from arbbot.solana.testing.accounts import (
    RaydiumFields,
    TickArrayFields,
    TickFields,
    TokenSwapFields,
    WhirlpoolFields,
    pack_mint,
    pack_raydium,
    pack_tick_array,
    pack_token_account,
    pack_token_swap,
    pack_whirlpool,
)

K = [Pubkey.new_unique() for _ in range(12)]


def test_sizes_equal_the_program_struct_sizes() -> None:
    # AmmInfo 752 (raydium state.rs), SwapVersion+SwapV1 324, Whirlpool::LEN 653, TickArray::LEN 9988,
    # spl_token Account::LEN 165, Mint::LEN 82.
    assert (AMM_INFO_LEN, TOKEN_SWAP_LEN, WHIRLPOOL_LEN, TICK_ARRAY_LEN) == (752, 324, 653, 9988)
    assert len(pack_raydium(RaydiumFields(*K[:4]))) == 752
    assert len(pack_token_swap(TokenSwapFields(*K[:4]))) == 324
    assert len(pack_whirlpool(WhirlpoolFields(*K[:4], sqrt_price=1 << 64, tick_current_index=0, liquidity=1))) == 653
    assert len(pack_tick_array(TickArrayFields(0, K[0]))) == 9988
    assert (len(pack_token_account(K[0], K[1], 1)), len(pack_mint(6))) == (165, 82)


def test_token_account_and_mint() -> None:
    acc = decode_token_account(pack_token_account(K[0], K[1], 123_456_789_012), K[2], TOKEN_PROGRAM)
    assert (acc.mint, acc.owner, acc.amount, acc.state) == (K[0], K[1], 123_456_789_012, 1)
    mint = decode_mint(pack_mint(9, supply=77), K[3], TOKEN_PROGRAM)
    assert (mint.decimals, mint.supply) == (9, 77)
    with pytest.raises(AccountLayoutError, match=r"owner is .* expected Tokenkeg"):
        decode_token_account(pack_token_account(K[0], K[1], 1), K[2], SPL_TOKEN_SWAP)
    with pytest.raises(AccountLayoutError, match="uninitialized"):
        decode_token_account(bytes(165), K[2], TOKEN_PROGRAM)


def test_token_swap_every_field() -> None:
    fields = TokenSwapFields(
        token_a=K[0], token_b=K[1], token_a_mint=K[2], token_b_mint=K[3], pool_mint=K[4], pool_fee_account=K[5],
        bump_seed=253, fees=(1, 2, 3, 4, 5, 6, 7, 8), curve_type=0, curve_parameters=bytes(range(32)),
    )  # fmt: skip
    data = pack_token_swap(fields)
    s = decode_token_swap(data, K[6], SPL_TOKEN_SWAP)
    assert (s.version, s.is_initialized, s.bump_seed, s.token_program_id) == (1, True, 253, TOKEN_PROGRAM)
    assert (s.token_a, s.token_b, s.pool_mint, s.token_a_mint, s.token_b_mint, s.pool_fee_account) == tuple(
        K[i] for i in (0, 1, 4, 2, 3, 5)
    )
    assert (s.fees.trade_fee_numerator, s.fees.trade_fee_denominator) == (1, 2)
    assert (s.fees.owner_trade_fee_numerator, s.fees.owner_trade_fee_denominator) == (3, 4)
    assert (s.fees.owner_withdraw_fee_numerator, s.fees.host_fee_denominator) == (5, 8)
    assert (s.curve_type, s.curve_parameters) == (0, bytes(range(32)))
    # offsets stated in the module docstring
    assert data[35:67] == bytes(K[0]) and data[195:227] == bytes(K[5]) and data[291] == 0
    assert struct.unpack_from("<Q", data, 227)[0] == 1


def test_token_swap_rejects_wrong_size_owner_version() -> None:
    data = pack_token_swap(TokenSwapFields(*K[:4]))
    with pytest.raises(AccountLayoutError, match=r"data is 323 bytes, a token-swap pool account is 324"):
        decode_token_swap(data[:-1], K[6], SPL_TOKEN_SWAP)
    with pytest.raises(AccountLayoutError, match=f"owner is {RAYDIUM_AMM_V4}"):
        decode_token_swap(data, K[6], RAYDIUM_AMM_V4)
    with pytest.raises(AccountLayoutError, match="version byte is 2"):
        decode_token_swap(b"\x02" + data[1:], K[6], SPL_TOKEN_SWAP)
    # a fork: same layout under another program id, accepted when that id is the expected owner
    assert decode_token_swap(data, K[6], K[7], program=K[7]).token_a == K[0]


def test_raydium_every_field() -> None:
    fields = RaydiumFields(
        coin_vault=K[0], pc_vault=K[1], coin_vault_mint=K[2], pc_vault_mint=K[3], status=6, nonce=252,
        coin_decimals=9, pc_decimals=6, trade_fee=(26, 10_001), swap_fee=(27, 10_002), need_take_pnl_coin=11,
        need_take_pnl_pc=12, pool_open_time=1_700_000_000, lp_mint=K[4], open_orders=K[5], market=K[6],
        market_program=K[7], target_orders=K[8], amm_owner=K[9], lp_amount=31337,
    )  # fmt: skip
    data = pack_raydium(fields)
    s = decode_raydium_amm_v4(data, K[10], RAYDIUM_AMM_V4)
    assert (s.status, s.nonce, s.coin_decimals, s.pc_decimals) == (6, 252, 9, 6)
    assert (s.trade_fee_numerator, s.trade_fee_denominator, s.swap_fee_numerator, s.swap_fee_denominator) == (
        26, 10_001, 27, 10_002,
    )  # fmt: skip
    assert (s.need_take_pnl_coin, s.need_take_pnl_pc, s.pool_open_time) == (11, 12, 1_700_000_000)
    assert (s.coin_vault, s.pc_vault, s.coin_vault_mint, s.pc_vault_mint, s.lp_mint) == tuple(K[:5])
    assert (s.open_orders, s.market, s.market_program, s.target_orders, s.amm_owner) == tuple(K[5:10])
    assert s.lp_amount == 31337
    # the offsets other Raydium readers rely on
    assert data[336:368] == bytes(K[0]) and data[432:464] == bytes(K[3]) and data[688:720] == bytes(K[9])


def test_raydium_rejects_wrong_size_and_owner() -> None:
    data = pack_raydium(RaydiumFields(*K[:4]))
    with pytest.raises(AccountLayoutError, match="data is 760 bytes"):
        decode_raydium_amm_v4(data + bytes(8), K[10], RAYDIUM_AMM_V4)
    with pytest.raises(AccountLayoutError, match=f"owner is {ORCA_WHIRLPOOL}"):
        decode_raydium_amm_v4(data, K[10], ORCA_WHIRLPOOL)


def test_whirlpool_every_field() -> None:
    fields = WhirlpoolFields(
        token_mint_a=K[0], token_vault_a=K[1], token_mint_b=K[2], token_vault_b=K[3],
        sqrt_price=(1 << 64) + 12345, tick_current_index=-7, liquidity=(1 << 100) + 5, tick_spacing=8,
        fee_rate=65_535, protocol_fee_rate=1_300, whirlpools_config=K[4], fee_growth_global_a=(1 << 127) + 1,
        fee_growth_global_b=3, reward_last_updated_timestamp=1_234_567,
    )  # fmt: skip
    s = decode_whirlpool(pack_whirlpool(fields), K[5], ORCA_WHIRLPOOL)
    assert (s.whirlpools_config, s.tick_spacing, s.fee_rate, s.protocol_fee_rate) == (K[4], 8, 65_535, 1_300)
    assert s.fee_tier_index == 8 and not s.adaptive_fee
    adaptive = decode_whirlpool(pack_whirlpool(replace(fields, fee_tier_index=1025)), K[5], ORCA_WHIRLPOOL)
    assert (adaptive.fee_tier_index, adaptive.tick_spacing, adaptive.adaptive_fee) == (1025, 8, True)
    assert (s.liquidity, s.sqrt_price, s.tick_current_index) == ((1 << 100) + 5, (1 << 64) + 12345, -7)
    assert (s.token_mint_a, s.token_vault_a, s.token_mint_b, s.token_vault_b) == tuple(K[:4])
    assert (s.fee_growth_global_a, s.fee_growth_global_b, s.reward_last_updated_timestamp) == (
        (1 << 127) + 1, 3, 1_234_567,
    )  # fmt: skip


def test_whirlpool_rejects_wrong_discriminator_size_owner() -> None:
    data = pack_whirlpool(WhirlpoolFields(*K[:4], sqrt_price=1 << 64, tick_current_index=0, liquidity=1))
    with pytest.raises(AccountLayoutError, match="discriminator is 0000000000000000"):
        decode_whirlpool(bytes(8) + data[8:], K[5], ORCA_WHIRLPOOL)
    with pytest.raises(AccountLayoutError, match="data is 652 bytes"):
        decode_whirlpool(data[:-1], K[5], ORCA_WHIRLPOOL)
    with pytest.raises(AccountLayoutError, match=f"owner is {TOKEN_PROGRAM}"):
        decode_whirlpool(data, K[5], TOKEN_PROGRAM)


def test_tick_array_every_tick() -> None:
    ticks = [TickFields(0, 10**20), TickFields(42, -(10**18), 5), TickFields(87, -(1 << 126))]
    arr = decode_tick_array(pack_tick_array(TickArrayFields(-5632, K[0], ticks)), K[1], ORCA_WHIRLPOOL)
    assert arr.start_tick_index == -5632 and arr.whirlpool == K[0] and len(arr.ticks) == 88
    assert (arr.ticks[0].initialized, arr.ticks[0].liquidity_net, arr.ticks[0].liquidity_gross) == (
        True,
        10**20,
        10**20,
    )
    assert (arr.ticks[42].liquidity_net, arr.ticks[42].liquidity_gross) == (-(10**18), 5)
    assert arr.ticks[87].liquidity_net == -(1 << 126)
    assert sum(t.initialized for t in arr.ticks) == 3
    with pytest.raises(AccountLayoutError, match="data is 9987 bytes"):
        decode_tick_array(pack_tick_array(TickArrayFields(0, K[0]))[:-1], K[1], ORCA_WHIRLPOOL)


def test_openbook_market_every_field() -> None:
    from arbbot.solana.layouts.openbook import MARKET_LEN, decode_market
    from arbbot.solana.programs import OPENBOOK
    from arbbot.solana.testing.accounts import MarketFields, pack_market

    market = K[0]
    nonce = next(n for n in range(256) if _signer_ok(market, n))
    data = pack_market(MarketFields(market, nonce, *K[1:9]))
    assert len(data) == MARKET_LEN == 388
    m = decode_market(data, market, OPENBOOK, OPENBOOK)
    assert (m.vault_signer_nonce, m.coin_mint, m.pc_mint, m.coin_vault, m.pc_vault) == (nonce, *K[1:5])
    assert (m.event_queue, m.bids, m.asks) == (K[6], K[7], K[8])
    assert m.vault_signer == Pubkey.create_program_address([bytes(market), nonce.to_bytes(8, "little")], OPENBOOK)
    with pytest.raises(AccountLayoutError, match="'serum'/'padding' head and tail"):
        decode_market(b"xxxxx" + data[5:], market, OPENBOOK, OPENBOOK)
    with pytest.raises(AccountLayoutError, match=f"owner is {TOKEN_PROGRAM}"):
        decode_market(data, market, TOKEN_PROGRAM, OPENBOOK)


def _signer_ok(market: Pubkey, nonce: int) -> bool:
    from arbbot.solana.programs import OPENBOOK

    try:
        Pubkey.create_program_address([bytes(market), nonce.to_bytes(8, "little")], OPENBOOK)
    except Exception:
        return False
    return True
