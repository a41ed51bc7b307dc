"""Raydium CLMM (AMM v3) accounts, Anchor with an 8-byte discriminator, packed (`#[repr(packed)]`) fields.

`AmmConfig` (117 bytes, borsh): bump u8 @8, index u16 @9, owner @11, protocol_fee_rate u32 @43,
trade_fee_rate u32 @47 (per 1e6), tick_spacing u16 @51, fund_fee_rate u32 @53, padding_u32 @57,
fund_owner @61, padding 3 x u64 @93.

`PoolState` (1544 bytes): bump u8 @8, amm_config @9, owner @41, token_mint_0 @73, token_mint_1 @105,
token_vault_0 @137, token_vault_1 @169, observation_key @201, mint_decimals_0/1 u8 @233/@234, tick_spacing u16 @235,
liquidity u128 @237, sqrt_price_x64 u128 @253, tick_current i32 @269, observation_index u16 @273,
observation_update_duration u16 @275, fee_growth_global_0/1_x64 u128 @277/@293, protocol_fees_token_0/1 u64
@309/@317, swap in/out totals 4 x u128 @325, status u8 @389 (bit 4 set = swaps disabled), padding 7 @390,
reward_infos 3 x 169 @397, tick_array_bitmap 16 x u64 @904 (1024 bits: tick arrays within 512 arrays of tick 0),
total/claimed fees 4 x u64 @1032, fund_fees_token_0/1 u64 @1064/@1072, open_time u64 @1080, padding to 1544.

`RewardInfo` (169 bytes): reward_state u8 @0, open_time @1, end_time @9, last_update_time @17,
emissions_per_second_x64 u128 @25, reward_total_emissioned @41, reward_claimed @49, token_mint @57 (default key =
uninitialised), token_vault @89, authority @121, reward_growth_global_x64 u128 @153.

`TickArrayState` (10240 bytes, PDA `["tick_array", pool, start_tick_index i32 big-endian]`): pool_id @8,
start_tick_index i32 @40, 60 ticks of 168 bytes @44 (tick i32 @+0, liquidity_net i128 @+4, liquidity_gross u128
@+20 — non-zero = initialised, fee_growth_outside_0/1 u128 @+36/@+52, reward_growths_outside 3 x u128 @+68),
initialized_tick_count u8 @10124.

`TickArrayBitmapExtension` (1832 bytes, PDA `["pool_tick_array_bitmap_extension", pool]`): pool_id @8,
positive bitmaps 14 x 8 x u64 @40, negative bitmaps 14 x 8 x u64 @936.

`ObservationState` (52121 bytes in the build this project runs against): initialized u8 @8, pool_id @9,
1000 observations of 52 bytes @41 (block_timestamp u32, sqrt_price_x64 u128, cumulative_time_price_x64 u128,
padding u128), padding 5 x u128. Only its pool id matters to a swap.

Offsets are those of raydium-io/raydium-clmm `programs/amm/src/states/` (2024 layout, the committed binary's).
Decoders refuse a wrong size, owner or discriminator; the packers build the same bytes for tests.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import check, check_discriminator, i32, i128, pubkey, u8, u16, u64, u128
from arbbot.solana.programs import RAYDIUM_CLMM, anchor_account_discriminator

AMM_CONFIG_LEN = 117
POOL_LEN = 1544
REWARD_NUM = 3
REWARD_INFO_LEN = 169
TICK_ARRAY_SIZE = 60
TICK_LEN = 168
TICK_ARRAY_LEN = 10240
BITMAP_EXTENSION_LEN = 1832
EXTENSION_BITMAPS = 14
OBSERVATION_NUM = 1000
OBSERVATION_LEN = 8 + 1 + 32 + 52 * OBSERVATION_NUM + 16 * 5

AMM_CONFIG_DISCRIMINATOR = anchor_account_discriminator("AmmConfig")
POOL_DISCRIMINATOR = anchor_account_discriminator("PoolState")
TICK_ARRAY_DISCRIMINATOR = anchor_account_discriminator("TickArrayState")
BITMAP_EXTENSION_DISCRIMINATOR = anchor_account_discriminator("TickArrayBitmapExtension")
OBSERVATION_DISCRIMINATOR = anchor_account_discriminator("ObservationState")

# PoolState field offsets (with the discriminator).
POOL_AMM_CONFIG = 9
POOL_TOKEN_MINT_0 = 73
POOL_TOKEN_MINT_1 = 105
POOL_TOKEN_VAULT_0 = 137
POOL_TOKEN_VAULT_1 = 169
POOL_OBSERVATION_KEY = 201
POOL_STATUS = 389
POOL_REWARD_INFOS = 397
POOL_TICK_ARRAY_BITMAP = 904
POOL_OPEN_TIME = 1080
# PoolState status bit that disables swaps.
STATUS_SWAP_DISABLED = 1 << 4


def _u32(data: bytes, off: int) -> int:
    return struct.unpack_from("<I", data, off)[0]


@dataclass(frozen=True)
class AmmConfig:
    """A Raydium CLMM `AmmConfig`: the fee tier a pool belongs to.

    `trade_fee_rate` is per 1e6 of the input; `protocol_fee_rate` and `fund_fee_rate` are per 1e6 of the trade fee.
    `tick_spacing` is the tier's spacing, which its pools copy.
    """

    bump: int
    index: int
    owner: Pubkey
    protocol_fee_rate: int
    trade_fee_rate: int
    tick_spacing: int
    fund_fee_rate: int
    fund_owner: Pubkey


def decode_amm_config(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> AmmConfig:
    """Decode a Raydium CLMM `AmmConfig` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("Raydium CLMM AmmConfig", address, data, AMM_CONFIG_LEN, owner, RAYDIUM_CLMM)
    check_discriminator("Raydium CLMM AmmConfig", address, data, AMM_CONFIG_DISCRIMINATOR)
    return AmmConfig(
        bump=u8(data, 8),
        index=u16(data, 9),
        owner=pubkey(data, 11),
        protocol_fee_rate=_u32(data, 43),
        trade_fee_rate=_u32(data, 47),
        tick_spacing=u16(data, 51),
        fund_fee_rate=_u32(data, 53),
        fund_owner=pubkey(data, 61),
    )


def pack_amm_config(c: AmmConfig) -> bytes:
    """The 117 account bytes of `c`, discriminator included (the inverse of `decode_amm_config`, for test accounts)."""
    return (
        AMM_CONFIG_DISCRIMINATOR
        + struct.pack("<BH", c.bump, c.index)
        + bytes(c.owner)
        + struct.pack("<IIHII", c.protocol_fee_rate, c.trade_fee_rate, c.tick_spacing, c.fund_fee_rate, 0)
        + bytes(c.fund_owner)
        + bytes(24)
    )


@dataclass(frozen=True)
class RewardInfo:
    """One of a CLMM pool's three reward slots; a slot whose `token_mint` is the default key is unused."""

    reward_state: int = 0
    open_time: int = 0
    end_time: int = 0
    last_update_time: int = 0
    emissions_per_second_x64: int = 0
    reward_total_emissioned: int = 0
    reward_claimed: int = 0
    token_mint: Pubkey = field(default_factory=Pubkey.default)
    token_vault: Pubkey = field(default_factory=Pubkey.default)
    authority: Pubkey = field(default_factory=Pubkey.default)
    reward_growth_global_x64: int = 0

    @property
    def initialized(self) -> bool:
        """True when the slot has a reward mint, i.e. is in use."""
        return self.token_mint != Pubkey.default()


def _decode_reward(data: bytes, off: int) -> RewardInfo:
    return RewardInfo(
        reward_state=u8(data, off),
        open_time=u64(data, off + 1),
        end_time=u64(data, off + 9),
        last_update_time=u64(data, off + 17),
        emissions_per_second_x64=u128(data, off + 25),
        reward_total_emissioned=u64(data, off + 41),
        reward_claimed=u64(data, off + 49),
        token_mint=pubkey(data, off + 57),
        token_vault=pubkey(data, off + 89),
        authority=pubkey(data, off + 121),
        reward_growth_global_x64=u128(data, off + 153),
    )


def _pack_reward(r: RewardInfo) -> bytes:
    return (
        struct.pack("<BQQQ", r.reward_state, r.open_time, r.end_time, r.last_update_time)
        + r.emissions_per_second_x64.to_bytes(16, "little")
        + struct.pack("<QQ", r.reward_total_emissioned, r.reward_claimed)
        + bytes(r.token_mint)
        + bytes(r.token_vault)
        + bytes(r.authority)
        + r.reward_growth_global_x64.to_bytes(16, "little")
    )


@dataclass(frozen=True)
class PoolState:
    """A Raydium CLMM pool account, decoded: its mints, vaults, price, liquidity, tick and bitmap."""

    bump: int
    amm_config: Pubkey
    owner: Pubkey
    token_mint_0: Pubkey
    token_mint_1: Pubkey
    token_vault_0: Pubkey
    token_vault_1: Pubkey
    observation_key: Pubkey
    mint_decimals_0: int
    mint_decimals_1: int
    tick_spacing: int
    liquidity: int
    sqrt_price_x64: int
    tick_current: int
    fee_growth_global_0_x64: int = 0
    fee_growth_global_1_x64: int = 0
    status: int = 0
    reward_infos: tuple[RewardInfo, ...] = (RewardInfo(), RewardInfo(), RewardInfo())
    # The 1024-bit default tick-array bitmap as one integer (bit i = u64 word i // 64, bit i % 64).
    tick_array_bitmap: int = 0
    open_time: int = 0
    observation_index: int = 0
    observation_update_duration: int = 15

    @property
    def swap_enabled(self) -> bool:
        """True unless the pool's status has the swap-disabled bit set."""
        return self.status & STATUS_SWAP_DISABLED == 0


def decode_pool(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> PoolState:
    """Decode a Raydium CLMM `PoolState` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's,
    or the tick spacing is 0.
    """
    check("Raydium CLMM PoolState", address, data, POOL_LEN, owner, RAYDIUM_CLMM)
    check_discriminator("Raydium CLMM PoolState", address, data, POOL_DISCRIMINATOR)
    spacing = u16(data, 235)
    if spacing == 0:
        name = f"Raydium CLMM PoolState {address}" if address is not None else "Raydium CLMM PoolState"
        raise AccountLayoutError(f"{name}: tick_spacing is 0")
    return PoolState(
        bump=u8(data, 8),
        amm_config=pubkey(data, POOL_AMM_CONFIG),
        owner=pubkey(data, 41),
        token_mint_0=pubkey(data, POOL_TOKEN_MINT_0),
        token_mint_1=pubkey(data, POOL_TOKEN_MINT_1),
        token_vault_0=pubkey(data, POOL_TOKEN_VAULT_0),
        token_vault_1=pubkey(data, POOL_TOKEN_VAULT_1),
        observation_key=pubkey(data, POOL_OBSERVATION_KEY),
        mint_decimals_0=u8(data, 233),
        mint_decimals_1=u8(data, 234),
        tick_spacing=spacing,
        liquidity=u128(data, 237),
        sqrt_price_x64=u128(data, 253),
        tick_current=i32(data, 269),
        observation_index=u16(data, 273),
        observation_update_duration=u16(data, 275),
        fee_growth_global_0_x64=u128(data, 277),
        fee_growth_global_1_x64=u128(data, 293),
        status=u8(data, POOL_STATUS),
        reward_infos=tuple(_decode_reward(data, POOL_REWARD_INFOS + i * REWARD_INFO_LEN) for i in range(REWARD_NUM)),
        tick_array_bitmap=int.from_bytes(data[POOL_TICK_ARRAY_BITMAP : POOL_TICK_ARRAY_BITMAP + 128], "little"),
        open_time=u64(data, POOL_OPEN_TIME),
    )


def pack_pool(p: PoolState) -> bytes:
    """The 1544 account bytes of `p`, discriminator included (the inverse of `decode_pool`, for test accounts).

    Raises `AccountLayoutError` unless `p` has exactly three reward slots.
    """
    if len(p.reward_infos) != REWARD_NUM:
        raise AccountLayoutError(f"PoolState.reward_infos: {len(p.reward_infos)} entries, expected {REWARD_NUM}")
    out = (
        POOL_DISCRIMINATOR
        + bytes([p.bump])
        + b"".join(
            bytes(k)
            for k in (
                p.amm_config,
                p.owner,
                p.token_mint_0,
                p.token_mint_1,
                p.token_vault_0,
                p.token_vault_1,
                p.observation_key,
            )
        )
        + struct.pack("<BBH", p.mint_decimals_0, p.mint_decimals_1, p.tick_spacing)
        + p.liquidity.to_bytes(16, "little")
        + p.sqrt_price_x64.to_bytes(16, "little")
        + struct.pack("<iHH", p.tick_current, p.observation_index, p.observation_update_duration)
        + p.fee_growth_global_0_x64.to_bytes(16, "little")
        + p.fee_growth_global_1_x64.to_bytes(16, "little")
        + bytes(16)  # protocol fees owed
        + bytes(64)  # swap in/out totals
        + bytes([p.status])
        + bytes(7)
        + b"".join(_pack_reward(r) for r in p.reward_infos)
        + p.tick_array_bitmap.to_bytes(128, "little")
        + bytes(48)  # total/claimed/fund fees
        + struct.pack("<Q", p.open_time)
    )
    return out + bytes(POOL_LEN - len(out))


@dataclass(frozen=True)
class Tick:
    """One CLMM tick: its index, signed net and gross liquidity, and the fee and reward growth outside it (Q64.64)."""

    tick: int
    liquidity_net: int
    liquidity_gross: int
    fee_growth_outside_0_x64: int = 0
    fee_growth_outside_1_x64: int = 0
    reward_growths_outside_x64: tuple[int, int, int] = (0, 0, 0)

    @property
    def initialized(self) -> bool:
        """True when any position references the tick (non-zero gross liquidity)."""
        return self.liquidity_gross != 0


EMPTY_TICK = Tick(0, 0, 0)


@dataclass(frozen=True)
class TickArrayState:
    """A CLMM `TickArrayState`: 60 ticks from `start_tick_index`, `tick_spacing` apart, of pool `pool_id`."""

    pool_id: Pubkey
    start_tick_index: int
    ticks: tuple[Tick, ...]
    initialized_tick_count: int = 0


def decode_tick_array(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> TickArrayState:
    """Decode a Raydium CLMM `TickArrayState` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("Raydium CLMM TickArrayState", address, data, TICK_ARRAY_LEN, owner, RAYDIUM_CLMM)
    check_discriminator("Raydium CLMM TickArrayState", address, data, TICK_ARRAY_DISCRIMINATOR)
    ticks = []
    for i in range(TICK_ARRAY_SIZE):
        off = 44 + i * TICK_LEN
        ticks.append(
            Tick(
                tick=i32(data, off),
                liquidity_net=i128(data, off + 4),
                liquidity_gross=u128(data, off + 20),
                fee_growth_outside_0_x64=u128(data, off + 36),
                fee_growth_outside_1_x64=u128(data, off + 52),
                reward_growths_outside_x64=(u128(data, off + 68), u128(data, off + 84), u128(data, off + 100)),
            )
        )
    return TickArrayState(
        pool_id=pubkey(data, 8),
        start_tick_index=i32(data, 40),
        ticks=tuple(ticks),
        initialized_tick_count=u8(data, 44 + TICK_ARRAY_SIZE * TICK_LEN),
    )


def pack_tick_array(t: TickArrayState) -> bytes:
    """The 10240 account bytes of `t` (the inverse of `decode_tick_array`, for test accounts).

    Raises `AccountLayoutError` unless `t` has exactly 60 ticks.
    """
    if len(t.ticks) != TICK_ARRAY_SIZE:
        raise AccountLayoutError(f"TickArrayState.ticks: {len(t.ticks)} entries, expected {TICK_ARRAY_SIZE}")
    body = b"".join(
        struct.pack("<i", k.tick)
        + k.liquidity_net.to_bytes(16, "little", signed=True)
        + k.liquidity_gross.to_bytes(16, "little")
        + k.fee_growth_outside_0_x64.to_bytes(16, "little")
        + k.fee_growth_outside_1_x64.to_bytes(16, "little")
        + b"".join(r.to_bytes(16, "little") for r in k.reward_growths_outside_x64)
        + bytes(52)
        for k in t.ticks
    )
    out = TICK_ARRAY_DISCRIMINATOR + bytes(t.pool_id) + struct.pack("<i", t.start_tick_index) + body
    out += bytes([t.initialized_tick_count])
    return out + bytes(TICK_ARRAY_LEN - len(out))


@dataclass(frozen=True)
class TickArrayBitmapExtension:
    """A CLMM `TickArrayBitmapExtension`: which tick arrays beyond the pool's own 1024-bit bitmap are initialized."""

    pool_id: Pubkey
    # 14 bitmaps of 512 bits each side, as integers (bit i = u64 word i // 64, bit i % 64).
    positive: tuple[int, ...]
    negative: tuple[int, ...]


def decode_bitmap_extension(
    data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None
) -> TickArrayBitmapExtension:
    """Decode a Raydium CLMM `TickArrayBitmapExtension` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("Raydium CLMM TickArrayBitmapExtension", address, data, BITMAP_EXTENSION_LEN, owner, RAYDIUM_CLMM)
    check_discriminator("Raydium CLMM TickArrayBitmapExtension", address, data, BITMAP_EXTENSION_DISCRIMINATOR)
    pos = tuple(int.from_bytes(data[40 + i * 64 : 104 + i * 64], "little") for i in range(EXTENSION_BITMAPS))
    neg = tuple(int.from_bytes(data[936 + i * 64 : 1000 + i * 64], "little") for i in range(EXTENSION_BITMAPS))
    return TickArrayBitmapExtension(pool_id=pubkey(data, 8), positive=pos, negative=neg)


def pack_bitmap_extension(e: TickArrayBitmapExtension) -> bytes:
    """The 1832 account bytes of `e` (the inverse of `decode_bitmap_extension`, for test accounts).

    Raises `AccountLayoutError` unless each side has exactly 14 bitmaps.
    """
    if len(e.positive) != EXTENSION_BITMAPS or len(e.negative) != EXTENSION_BITMAPS:
        raise AccountLayoutError(f"TickArrayBitmapExtension: expected {EXTENSION_BITMAPS} bitmaps each side")
    return (
        BITMAP_EXTENSION_DISCRIMINATOR
        + bytes(e.pool_id)
        + b"".join(b.to_bytes(64, "little") for b in e.positive)
        + b"".join(b.to_bytes(64, "little") for b in e.negative)
    )


@dataclass(frozen=True)
class ObservationState:
    """The part of a CLMM `ObservationState` a swap checks: that it is initialized and belongs to the pool."""

    initialized: bool
    pool_id: Pubkey


def decode_observation(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> ObservationState:
    """Decode the head of a Raydium CLMM `ObservationState` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("Raydium CLMM ObservationState", address, data, OBSERVATION_LEN, owner, RAYDIUM_CLMM)
    check_discriminator("Raydium CLMM ObservationState", address, data, OBSERVATION_DISCRIMINATOR)
    return ObservationState(initialized=bool(u8(data, 8)), pool_id=pubkey(data, 9))


def pack_observation(o: ObservationState) -> bytes:
    """A full-size `ObservationState` account with `o`'s head and zeroed observations, for test accounts."""
    out = OBSERVATION_DISCRIMINATOR + bytes([int(o.initialized)]) + bytes(o.pool_id)
    return out + bytes(OBSERVATION_LEN - len(out))


def pool_address(
    amm_config: Pubkey, mint_0: Pubkey, mint_1: Pubkey, program: Pubkey = RAYDIUM_CLMM
) -> tuple[Pubkey, int]:
    """The pool PDA (and its bump) for a fee tier and a mint pair (`mint_0` < `mint_1`, as the program orders them)."""
    return Pubkey.find_program_address([b"pool", bytes(amm_config), bytes(mint_0), bytes(mint_1)], program)


def tick_array_address(pool: Pubkey, start_tick_index: int, program: Pubkey = RAYDIUM_CLMM) -> Pubkey:
    """The tick array PDA of `pool` starting at `start_tick_index` (seeded with the index as a big-endian i32)."""
    return Pubkey.find_program_address([b"tick_array", bytes(pool), struct.pack(">i", start_tick_index)], program)[0]


def bitmap_extension_address(pool: Pubkey, program: Pubkey = RAYDIUM_CLMM) -> Pubkey:
    """The PDA of `pool`'s tick-array bitmap extension."""
    return Pubkey.find_program_address([b"pool_tick_array_bitmap_extension", bytes(pool)], program)[0]


def vault_address(pool: Pubkey, mint: Pubkey, program: Pubkey = RAYDIUM_CLMM) -> Pubkey:
    """The PDA of `pool`'s vault for `mint`."""
    return Pubkey.find_program_address([b"pool_vault", bytes(pool), bytes(mint)], program)[0]
