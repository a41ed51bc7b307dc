"""Meteora DLMM (`lb_clmm` 0.10.1) accounts: `LbPair` (904 bytes), `BinArray` (10,136), `BinArrayBitmapExtension`
(1,576) and `Oracle` (32-byte header + 32-byte observations), all Anchor zero-copy (`repr(C)`) with an 8-byte
discriminator.

LbPair offsets: discriminator @0; StaticParameters @8 (base_factor u16 @8, filter_period u16 @10, decay_period u16
@12, reduction_factor u16 @14, variable_fee_control u32 @16, max_volatility_accumulator u32 @20, min_bin_id i32 @24,
max_bin_id i32 @28, protocol_share u16 @32, base_fee_power_factor u8 @34, padding to @40); VariableParameters @40
(volatility_accumulator u32 @40, volatility_reference u32 @44, index_reference i32 @48, padding, last_update_timestamp
i64 @56, padding to @72); bump_seed @72, bin_step_seed @73, pair_type u8 @75, active_id i32 @76, bin_step u16 @80,
status u8 @82, require_base_factor_seed @83, base_factor_seed @84, activation_type u8 @86,
creator_pool_on_off_control @87, token_x_mint @88, token_y_mint @120, reserve_x @152, reserve_y @184,
protocol_fee amount_x/amount_y u64 @216/@224, padding @232, reward_infos 2 x 144 @264, oracle @552,
bin_array_bitmap 16 x u64 @584, last_updated_at i64 @712, padding @720, pre_activation_swap_address @752, base_key
@784, activation_point u64 @816, pre_activation_duration u64 @824, padding @832, creator @848,
token_mint_x_program_flag u8 @880, token_mint_y_program_flag u8 @881, reserved to @904.

BinArray: discriminator @0, index i64 @8, version u8 @16, padding, lb_pair @24, 70 bins of 144 bytes @56 (amount_x
u64 @+0, amount_y u64 @+8, price u128 Q64.64 @+16, liquidity_supply u128 @+32, reward_per_token_stored 2 x u128 @+48,
fee_amount_x/y_per_token_stored u128 @+80/@+96, amount_x_in/amount_y_in u128 @+112/@+128).

BinArrayBitmapExtension: discriminator @0, lb_pair @8, positive_bin_array_bitmap 12 x 8 x u64 @40,
negative_bin_array_bitmap 12 x 8 x u64 @808.

Oracle: discriminator @0, idx u64 @8, active_size u64 @16, length u64 @24, then `length` observations of 32 bytes
(cumulative_active_bin_id i128, created_at i64, last_updated_at i64).
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import check, check_discriminator, i32, pubkey, u8, u16, u64, u128
from arbbot.solana.programs import METEORA_DLMM, anchor_account_discriminator

LB_PAIR_LEN = 904
BIN_LEN = 144
BINS_PER_ARRAY = 70
BIN_ARRAY_LEN = 56 + BINS_PER_ARRAY * BIN_LEN
BITMAP_EXTENSION_LEN = 8 + 32 + 2 * 12 * 8 * 8
ORACLE_HEADER_LEN = 32
OBSERVATION_LEN = 32
LB_PAIR_DISCRIMINATOR = anchor_account_discriminator("LbPair")
BIN_ARRAY_DISCRIMINATOR = anchor_account_discriminator("BinArray")
BITMAP_EXTENSION_DISCRIMINATOR = anchor_account_discriminator("BinArrayBitmapExtension")
ORACLE_DISCRIMINATOR = anchor_account_discriminator("Oracle")


@dataclass(frozen=True)
class StaticParameters:
    """A DLMM pair's static fee and range parameters, as stored in `LbPair`.

    `base_factor` and `base_fee_power_factor` set the base fee with the bin step; `variable_fee_control`,
    `filter_period`, `decay_period`, `reduction_factor` and `max_volatility_accumulator` drive the volatility fee;
    `min_bin_id`/`max_bin_id` bound the bins the pair may trade in; `protocol_share` is in basis points of the fee.
    """

    base_factor: int
    filter_period: int
    decay_period: int
    reduction_factor: int
    variable_fee_control: int
    max_volatility_accumulator: int
    min_bin_id: int
    max_bin_id: int
    protocol_share: int
    base_fee_power_factor: int


@dataclass(frozen=True)
class VariableParameters:
    """A DLMM pair's volatility state as last stored: the accumulator and reference the variable fee starts from.

    The swap quote brings it up to date from `last_update_timestamp` (unix seconds) before pricing.
    """

    volatility_accumulator: int
    volatility_reference: int
    index_reference: int
    last_update_timestamp: int


@dataclass(frozen=True)
class LbPairState:
    """The fields of a Meteora DLMM `LbPair` that quoting and building a swap need.

    `active_id` is the bin the price sits in and `bin_step` the price step between bins, in basis points.
    `reserve_x`/`reserve_y` are the vault accounts; `activation_type` says whether `activation_point` is a slot
    or a unix timestamp; the `token_mint_*_program_flag` fields say which token program each mint uses.
    """

    parameters: StaticParameters
    v_parameters: VariableParameters
    pair_type: int
    active_id: int
    bin_step: int
    status: int
    activation_type: int
    token_x_mint: Pubkey
    token_y_mint: Pubkey
    reserve_x: Pubkey
    reserve_y: Pubkey
    protocol_fee_x: int
    protocol_fee_y: int
    oracle: Pubkey
    bin_array_bitmap: int  # 1024 bits, bit i = bin array index i - 512
    activation_point: int
    pre_activation_swap_address: Pubkey
    token_mint_x_program_flag: int
    token_mint_y_program_flag: int


@dataclass(frozen=True)
class Bin:
    """One liquidity bin: its token X and Y amounts (raw units), stored price and liquidity share supply."""

    amount_x: int
    amount_y: int
    price: int  # Q64.64; 0 = not stored yet (the program computes it from the bin id)
    liquidity_supply: int


@dataclass(frozen=True)
class BinArray:
    """A DLMM `BinArray`: the 70 consecutive bins starting at bin id `index * 70`, for the pair `lb_pair`."""

    index: int
    version: int
    lb_pair: Pubkey
    bins: tuple[Bin, ...]


@dataclass(frozen=True)
class BitmapExtension:
    """A DLMM `BinArrayBitmapExtension`: which bin arrays beyond the pair's own bitmap hold liquidity.

    Each side is 12 words of 512 bits: bit `b` of positive word `w` marks the array of index `512 * (w + 1) + b`,
    of negative word `w` the array of index `-(512 * (w + 1) + b) - 1`.
    """

    lb_pair: Pubkey
    positive: tuple[int, ...]  # 12 words of 512 bits
    negative: tuple[int, ...]


@dataclass(frozen=True)
class OracleState:
    """The header of a DLMM `Oracle`: the observation ring's index, how many observations are active, and its length."""

    idx: int
    active_size: int
    length: int


def _i64(data: bytes, off: int) -> int:
    return int.from_bytes(data[off : off + 8], "little", signed=True)


def decode_lb_pair(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> LbPairState:
    """Decode a Meteora DLMM `LbPair` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("LbPair", address, data, LB_PAIR_LEN, owner, METEORA_DLMM)
    check_discriminator("LbPair", address, data, LB_PAIR_DISCRIMINATOR)
    return LbPairState(
        parameters=StaticParameters(
            base_factor=u16(data, 8),
            filter_period=u16(data, 10),
            decay_period=u16(data, 12),
            reduction_factor=u16(data, 14),
            variable_fee_control=int.from_bytes(data[16:20], "little"),
            max_volatility_accumulator=int.from_bytes(data[20:24], "little"),
            min_bin_id=i32(data, 24),
            max_bin_id=i32(data, 28),
            protocol_share=u16(data, 32),
            base_fee_power_factor=u8(data, 34),
        ),
        v_parameters=VariableParameters(
            volatility_accumulator=int.from_bytes(data[40:44], "little"),
            volatility_reference=int.from_bytes(data[44:48], "little"),
            index_reference=i32(data, 48),
            last_update_timestamp=_i64(data, 56),
        ),
        pair_type=u8(data, 75),
        active_id=i32(data, 76),
        bin_step=u16(data, 80),
        status=u8(data, 82),
        activation_type=u8(data, 86),
        token_x_mint=pubkey(data, 88),
        token_y_mint=pubkey(data, 120),
        reserve_x=pubkey(data, 152),
        reserve_y=pubkey(data, 184),
        protocol_fee_x=u64(data, 216),
        protocol_fee_y=u64(data, 224),
        oracle=pubkey(data, 552),
        bin_array_bitmap=int.from_bytes(data[584:712], "little"),
        activation_point=u64(data, 816),
        pre_activation_swap_address=pubkey(data, 752),
        token_mint_x_program_flag=u8(data, 880),
        token_mint_y_program_flag=u8(data, 881),
    )


def decode_bin_array(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> BinArray:
    """Decode a DLMM `BinArray` account with all 70 bins.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("BinArray", address, data, BIN_ARRAY_LEN, owner, METEORA_DLMM)
    check_discriminator("BinArray", address, data, BIN_ARRAY_DISCRIMINATOR)
    bins = []
    for i in range(BINS_PER_ARRAY):
        o = 56 + i * BIN_LEN
        bins.append(Bin(u64(data, o), u64(data, o + 8), u128(data, o + 16), u128(data, o + 32)))
    return BinArray(index=_i64(data, 8), version=u8(data, 16), lb_pair=pubkey(data, 24), bins=tuple(bins))


def decode_bitmap_extension(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> BitmapExtension:
    """Decode a DLMM `BinArrayBitmapExtension` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("BinArrayBitmapExtension", address, data, BITMAP_EXTENSION_LEN, owner, METEORA_DLMM)
    check_discriminator("BinArrayBitmapExtension", address, data, BITMAP_EXTENSION_DISCRIMINATOR)
    words = [int.from_bytes(data[40 + 64 * i : 104 + 64 * i], "little") for i in range(24)]
    return BitmapExtension(lb_pair=pubkey(data, 8), positive=tuple(words[:12]), negative=tuple(words[12:]))


def decode_oracle(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> OracleState:
    """Decode a DLMM `Oracle` header; the account's size must match the `length` observations it declares.

    Raises `AccountLayoutError` on a short account, a wrong discriminator, size or owner.
    """
    if len(data) < ORACLE_HEADER_LEN:
        raise AccountLayoutError(f"Oracle {address}: data is {len(data)} bytes, shorter than its 32-byte header")
    check_discriminator("Oracle", address, data, ORACLE_DISCRIMINATOR)
    state = OracleState(idx=u64(data, 8), active_size=u64(data, 16), length=u64(data, 24))
    expected = ORACLE_HEADER_LEN + state.length * OBSERVATION_LEN
    check("Oracle", address, data, expected, owner, METEORA_DLMM)
    return state
