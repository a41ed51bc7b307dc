"""Raydium CLMM layouts (exact offsets, fail closed on size/owner/discriminator) and the pure parts of the quote.
The quote itself is proven against the real program in tests/integration/solana/test_raydium_clmm_real.py."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError
from arbbot.solana.layouts.raydium_clmm import (
    AMM_CONFIG_LEN,
    BITMAP_EXTENSION_LEN,
    OBSERVATION_LEN,
    POOL_LEN,
    TICK_ARRAY_LEN,
    TICK_ARRAY_SIZE,
    AmmConfig,
    ObservationState,
    PoolState,
    RewardInfo,
    Tick,
    TickArrayBitmapExtension,
    TickArrayState,
    decode_amm_config,
    decode_bitmap_extension,
    decode_observation,
    decode_pool,
    decode_tick_array,
    pack_amm_config,
    pack_bitmap_extension,
    pack_observation,
    pack_pool,
    pack_tick_array,
    tick_array_address,
)
from arbbot.solana.pools.raydium_clmm import RaydiumClmmPool
from arbbot.solana.programs import MEMO_PROGRAM, RAYDIUM_CLMM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.raydium_clmm import (
    MAX_SQRT_PRICE_X64,
    MAX_TICK,
    MIN_SQRT_PRICE_X64,
    MIN_TICK,
    array_start_index,
    compute_swap_step_exact_in,
    default_bitmap_range,
    sqrt_price_at_tick,
    swap_exact_in,
    tick_at_sqrt_price,
)


def _key() -> Pubkey:
    return Keypair().pubkey()


def _pool(**kw) -> PoolState:
    base = dict(
        bump=254,
        amm_config=_key(),
        owner=_key(),
        token_mint_0=_key(),
        token_mint_1=_key(),
        token_vault_0=_key(),
        token_vault_1=_key(),
        observation_key=_key(),
        mint_decimals_0=9,
        mint_decimals_1=6,
        tick_spacing=10,
        liquidity=123456789,
        sqrt_price_x64=sqrt_price_at_tick(-1234) + 7,
        tick_current=-1234,
        fee_growth_global_0_x64=1 << 70,
        fee_growth_global_1_x64=3,
        status=0,
        reward_infos=(RewardInfo(token_mint=_key(), reward_growth_global_x64=99), RewardInfo(), RewardInfo()),
        tick_array_bitmap=(1 << 511) | (1 << 1023) | 1,
        open_time=17,
        observation_index=3,
        observation_update_duration=15,
    )
    base.update(kw)
    return PoolState(**base)


def test_pool_round_trip_at_the_program_offsets() -> None:
    p = _pool()
    data = pack_pool(p)
    assert len(data) == POOL_LEN == 1544
    assert decode_pool(data, owner=RAYDIUM_CLMM) == p
    # Offsets read straight from the bytes (raydium-clmm states/pool.rs, packed).
    assert data[9:41] == bytes(p.amm_config)
    assert data[137:169] == bytes(p.token_vault_0)
    assert data[201:233] == bytes(p.observation_key)
    assert struct.unpack_from("<H", data, 235)[0] == 10
    assert int.from_bytes(data[253:269], "little") == p.sqrt_price_x64
    assert struct.unpack_from("<i", data, 269)[0] == -1234
    assert data[389] == 0
    assert data[397 + 57 : 397 + 89] == bytes(p.reward_infos[0].token_mint)
    assert int.from_bytes(data[904:1032], "little") == p.tick_array_bitmap
    assert struct.unpack_from("<Q", data, 1080)[0] == 17


def test_config_tick_array_extension_observation_round_trip() -> None:
    c = AmmConfig(3, 7, _key(), 120_000, 2500, 60, 40_000, _key())
    assert len(pack_amm_config(c)) == AMM_CONFIG_LEN
    assert decode_amm_config(pack_amm_config(c)) == c
    ticks = tuple(
        Tick(-600 + 10 * i, (-1) ** i * i * 10**20, i * 10**20, i, 2 * i, (i, 0, 3)) for i in range(TICK_ARRAY_SIZE)
    )
    t = TickArrayState(_key(), -600, ticks, 59)
    data = pack_tick_array(t)
    assert len(data) == TICK_ARRAY_LEN == 10240
    assert decode_tick_array(data) == t
    assert struct.unpack_from("<i", data, 40)[0] == -600
    assert int.from_bytes(data[44 + 168 + 4 : 44 + 168 + 20], "little", signed=True) == -(10**20)
    e = TickArrayBitmapExtension(_key(), tuple(range(14)), tuple(1 << (i * 30) for i in range(14)))
    assert len(pack_bitmap_extension(e)) == BITMAP_EXTENSION_LEN == 1832
    assert decode_bitmap_extension(pack_bitmap_extension(e)) == e
    o = ObservationState(True, _key())
    assert len(pack_observation(o)) == OBSERVATION_LEN == 52121
    assert decode_observation(pack_observation(o)) == o


@pytest.mark.parametrize(
    ("decode", "data"),
    [
        (decode_pool, pack_pool(_pool())),
        (decode_amm_config, pack_amm_config(AmmConfig(1, 0, _key(), 0, 100, 1, 0, _key()))),
        (decode_tick_array, pack_tick_array(TickArrayState(_key(), 0, tuple(Tick(0, 0, 0) for _ in range(60))))),
        (decode_bitmap_extension, pack_bitmap_extension(TickArrayBitmapExtension(_key(), (0,) * 14, (0,) * 14))),
        (decode_observation, pack_observation(ObservationState(False, _key()))),
    ],
)
def test_decoders_fail_closed(decode, data: bytes) -> None:
    decode(data, owner=RAYDIUM_CLMM)
    with pytest.raises(AccountLayoutError, match="bytes"):
        decode(data + b"\0", owner=RAYDIUM_CLMM)
    with pytest.raises(AccountLayoutError, match="bytes"):
        decode(data[:-1], owner=RAYDIUM_CLMM)
    with pytest.raises(AccountLayoutError, match="discriminator"):
        decode(bytes(8) + data[8:], owner=RAYDIUM_CLMM)
    with pytest.raises(AccountLayoutError, match="owner"):
        decode(data, owner=TOKEN_PROGRAM)


def test_pool_with_zero_tick_spacing_is_refused() -> None:
    data = bytearray(pack_pool(_pool()))
    data[235:237] = b"\0\0"
    with pytest.raises(AccountLayoutError, match="tick_spacing"):
        decode_pool(bytes(data))


def test_tick_math_bounds_and_round_trip() -> None:
    assert sqrt_price_at_tick(MIN_TICK) == MIN_SQRT_PRICE_X64
    assert sqrt_price_at_tick(MAX_TICK) == MAX_SQRT_PRICE_X64
    assert tick_at_sqrt_price(MIN_SQRT_PRICE_X64) == MIN_TICK
    assert tick_at_sqrt_price(MAX_SQRT_PRICE_X64 - 1) == MAX_TICK - 1
    # The program's own tick_round_down cases (tick_math.rs).
    p = sqrt_price_at_tick(-28861)
    assert [tick_at_sqrt_price(x) for x in (p, p + 1, p - 1)] == [-28861, -28861, -28862]
    assert tick_at_sqrt_price(sqrt_price_at_tick(-28860) - 1) == -28861
    with pytest.raises(QuoteError):
        sqrt_price_at_tick(MAX_TICK + 1)
    with pytest.raises(QuoteError):
        tick_at_sqrt_price(MAX_SQRT_PRICE_X64)


@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_tick_at_sqrt_price_inverts_sqrt_price_at_tick(tick: int) -> None:
    p = sqrt_price_at_tick(tick)
    assert tick_at_sqrt_price(p) == tick
    assert tick_at_sqrt_price(sqrt_price_at_tick(tick + 1) - 1) == tick


def test_array_start_index_floors_like_the_program() -> None:
    assert array_start_index(0, 10) == 0
    assert array_start_index(599, 10) == 0
    assert array_start_index(-1, 10) == -600
    assert array_start_index(-600, 10) == -600
    assert array_start_index(-601, 10) == -1200
    assert default_bitmap_range(1) == (-30720, 30720)
    assert default_bitmap_range(60) == (array_start_index(MIN_TICK, 60), array_start_index(MAX_TICK, 60) + 3600)


def test_swap_step_fee_rounding() -> None:
    # Reaching the target: fee = ceil(amount_in * rate / (1e6 - rate)); short of it: the remainder.
    lo, hi = sqrt_price_at_tick(0), sqrt_price_at_tick(10)
    full = compute_swap_step_exact_in(lo, hi, 10**12, 10**15, 2500, False)
    assert full.sqrt_price_next_x64 == hi
    assert full.fee_amount == -(-full.amount_in * 2500 // 997_500)
    part = compute_swap_step_exact_in(lo, hi, 10**12, 10**6, 2500, False)
    assert part.sqrt_price_next_x64 < hi
    assert part.amount_in + part.fee_amount == 10**6


def test_quote_fails_closed_without_tick_arrays_or_when_disabled() -> None:
    p = _pool(tick_current=5, sqrt_price_x64=sqrt_price_at_tick(5), tick_array_bitmap=1 << 512, liquidity=10**12)
    with pytest.raises(QuoteError, match="needed and not known"):
        swap_exact_in(p, 2500, 0, 0, {}, None, 10**6, True)
    with pytest.raises(QuoteError, match="disabled"):
        swap_exact_in(_pool(status=1 << 4), 2500, 0, 0, {}, None, 10**6, True)
    with pytest.raises(QuoteError, match="amount_in"):
        swap_exact_in(p, 2500, 0, 0, {}, None, 0, True)


def test_hop_block_order_and_flags() -> None:
    s = _pool(tick_current=5, sqrt_price_x64=sqrt_price_at_tick(5), tick_array_bitmap=(1 << 512) | (1 << 511))
    address = _key()
    pool = RaydiumClmmPool(
        address,
        RAYDIUM_CLMM,
        s.token_mint_0,
        s.token_mint_1,
        state=s,
        config=AmmConfig(1, 0, _key(), 0, 1, 10, 0, _key()),
    )
    owner, a, b = _key(), _key(), _key()
    metas = pool.hop_accounts(s.token_mint_1, owner, a, b)
    keys = [m.pubkey for m in metas]
    assert keys[:14] == [
        RAYDIUM_CLMM,
        owner,
        s.amm_config,
        address,
        a,
        b,
        s.token_vault_1,
        s.token_vault_0,
        s.observation_key,
        TOKEN_PROGRAM,
        TOKEN_2022_PROGRAM,
        MEMO_PROGRAM,
        s.token_mint_1,
        s.token_mint_0,
    ]
    # one-for-zero from tick 5: the current array (0) only; nothing initialised above it.
    assert keys[14:] == [tick_array_address(address, 0)]
    assert [m.is_writable for m in metas] == [i in (3, 4, 5, 6, 7, 8) or i >= 14 for i in range(len(metas))]
    assert [m.is_signer for m in metas] == [i == 1 for i in range(len(metas))]
    # zero-for-one: the current array, then the initialised one below it.
    down = [m.pubkey for m in pool.hop_accounts(s.token_mint_0, owner, a, b)][14:]
    assert down == [tick_array_address(address, 0), tick_array_address(address, -600)]


def test_hop_block_positions_are_the_programs() -> None:
    """The positions the Python block uses are the adapter's own constants (read from its source)."""
    src = (Path(__file__).resolve().parents[3] / "programs/arb-executor/src/venues/raydium_clmm.rs").read_text()
    block = src[: src.index("pub mod layout")]  # block positions, not the pool layout's offsets
    consts = {m[1]: int(m[2]) for m in re.finditer(r"pub const (\w+): usize = (\d+);", block)}
    s = _pool()
    config = AmmConfig(1, 0, _key(), 0, 1, 10, 0, _key())
    address, owner, a, b = _key(), _key(), _key(), _key()
    pool = RaydiumClmmPool(address, RAYDIUM_CLMM, s.token_mint_0, s.token_mint_1, state=s, config=config)
    keys = [m.pubkey for m in pool.hop_accounts(s.token_mint_0, owner, a, b)]
    expected = {
        "PAYER": owner,
        "AMM_CONFIG": s.amm_config,
        "POOL_STATE": address,
        "INPUT_TOKEN_ACCOUNT": a,
        "OUTPUT_TOKEN_ACCOUNT": b,
        "INPUT_VAULT": s.token_vault_0,
        "OUTPUT_VAULT": s.token_vault_1,
        "OBSERVATION_STATE": s.observation_key,
        "TOKEN_PROGRAM": TOKEN_PROGRAM,
        "TOKEN_PROGRAM_2022": TOKEN_2022_PROGRAM,
        "MEMO_PROGRAM": MEMO_PROGRAM,
        "INPUT_VAULT_MINT": s.token_mint_0,
        "OUTPUT_VAULT_MINT": s.token_mint_1,
    }
    for name, key in expected.items():
        assert keys[consts[name]] == key, name
    assert consts["REMAINING"] == 14 and 14 < len(keys) <= consts["REMAINING"] + consts["MAX_REMAINING"]
    assert f'pubkey!("{RAYDIUM_CLMM}")' in src and f'pubkey!("{MEMO_PROGRAM}")' in src
