"""Meteora DLMM account bytes built field by field in the program's struct order (lb_clmm 0.10.1 `LbPair`,
`BinArray`, `BinArrayBitmapExtension`, `Oracle`), for tests and the local doubles. The decoder in
`arbbot.solana.layouts.meteora_dlmm` reads by offset; round-tripping through both checks one against the other."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from arbbot.solana.layouts.meteora_dlmm import (
    BIN_ARRAY_DISCRIMINATOR,
    BINS_PER_ARRAY,
    BITMAP_EXTENSION_DISCRIMINATOR,
    LB_PAIR_DISCRIMINATOR,
    ORACLE_DISCRIMINATOR,
)

ZERO = Pubkey.default()


@dataclass
class LbPairFields:
    """The fields of a Meteora DLMM `LbPair` account that a test world writes."""

    token_x_mint: Pubkey
    token_y_mint: Pubkey
    reserve_x: Pubkey
    reserve_y: Pubkey
    oracle: Pubkey
    active_id: int
    bin_step: int
    base_factor: int = 10_000
    filter_period: int = 30
    decay_period: int = 600
    reduction_factor: int = 5_000
    variable_fee_control: int = 40_000
    max_volatility_accumulator: int = 350_000
    min_bin_id: int = -443_636
    max_bin_id: int = 443_636
    protocol_share: int = 500
    base_fee_power_factor: int = 0
    volatility_accumulator: int = 0
    volatility_reference: int = 0
    index_reference: int = 0
    last_update_timestamp: int = 0
    bump_seed: int = 255
    pair_type: int = 0  # permissionless
    status: int = 0  # enabled
    activation_type: int = 0  # slot
    protocol_fee_x: int = 0
    protocol_fee_y: int = 0
    bin_array_bitmap: int = 0
    last_updated_at: int = 0
    pre_activation_swap_address: Pubkey = ZERO
    base_key: Pubkey = ZERO
    activation_point: int = 0
    pre_activation_duration: int = 0
    creator: Pubkey = ZERO
    token_mint_x_program_flag: int = 0
    token_mint_y_program_flag: int = 0


def pack_lb_pair(f: LbPairFields) -> bytes:
    """The 904 bytes of a DLMM `LbPair` with the fields of `f`, discriminator included, written in struct order."""
    static = struct.pack(
        "<HHHHIIiiHB5x",
        f.base_factor,
        f.filter_period,
        f.decay_period,
        f.reduction_factor,
        f.variable_fee_control,
        f.max_volatility_accumulator,
        f.min_bin_id,
        f.max_bin_id,
        f.protocol_share,
        f.base_fee_power_factor,
    )
    variable = struct.pack(
        "<IIi4xq8x", f.volatility_accumulator, f.volatility_reference, f.index_reference, f.last_update_timestamp
    )
    out = (
        LB_PAIR_DISCRIMINATOR
        + static
        + variable
        + struct.pack("<B", f.bump_seed)
        + struct.pack("<H", f.bin_step)  # bin_step_seed
        + struct.pack("<B", f.pair_type)
        + struct.pack("<i", f.active_id)
        + struct.pack("<H", f.bin_step)
        + struct.pack("<B", f.status)
        + struct.pack("<B", 0)  # require_base_factor_seed
        + struct.pack("<H", f.base_factor)  # base_factor_seed
        + struct.pack("<B", f.activation_type)
        + struct.pack("<B", 0)  # creator_pool_on_off_control
        + bytes(f.token_x_mint)
        + bytes(f.token_y_mint)
        + bytes(f.reserve_x)
        + bytes(f.reserve_y)
        + struct.pack("<QQ", f.protocol_fee_x, f.protocol_fee_y)
        + bytes(32)  # _padding_1
        + bytes(2 * 144)  # reward_infos (none)
        + bytes(f.oracle)
        + f.bin_array_bitmap.to_bytes(128, "little")
        + struct.pack("<q", f.last_updated_at)
        + bytes(32)  # _padding_2
        + bytes(f.pre_activation_swap_address)
        + bytes(f.base_key)
        + struct.pack("<QQ", f.activation_point, f.pre_activation_duration)
        + bytes(8)  # _padding_3
        + bytes(8)  # _padding_4
        + bytes(f.creator)
        + struct.pack("<BB", f.token_mint_x_program_flag, f.token_mint_y_program_flag)
        + bytes(22)  # _reserved
    )
    return out


@dataclass
class BinFields:
    """One bin for `pack_bin_array`: token amounts (raw units), stored Q64.64 price (0: not stored) and share supply."""

    amount_x: int = 0
    amount_y: int = 0
    price: int = 0
    liquidity_supply: int = 0


def pack_bin(b: BinFields) -> bytes:
    """The 144 bytes of one DLMM bin (reward and fee trackers zeroed)."""
    u128 = lambda x: x.to_bytes(16, "little")  # noqa: E731
    return (
        struct.pack("<QQ", b.amount_x, b.amount_y)
        + u128(b.price)
        + u128(b.liquidity_supply)
        + bytes(16 * 2)  # reward_per_token_stored
        + bytes(16 * 2)  # fee_amount_x/y_per_token_stored
        + bytes(16 * 2)  # amount_x_in / amount_y_in
    )


@dataclass
class BinArrayFields:
    """A DLMM bin array for `pack_bin_array`: its index, pair, and the bins by position (0..69); the rest are empty."""

    index: int
    lb_pair: Pubkey
    bins: Mapping[int, BinFields] = field(default_factory=dict)  # by position 0..69 in the array
    version: int = 1


def pack_bin_array(f: BinArrayFields) -> bytes:
    """The 10,136 bytes of a DLMM `BinArray`, discriminator included; positions not in `f.bins` are empty bins."""
    bins = b"".join(pack_bin(f.bins.get(i, BinFields())) for i in range(BINS_PER_ARRAY))
    return BIN_ARRAY_DISCRIMINATOR + struct.pack("<qB7x", f.index, f.version) + bytes(f.lb_pair) + bins


def pack_bitmap_extension(
    lb_pair: Pubkey, positive: list[int] | None = None, negative: list[int] | None = None
) -> bytes:
    """The bytes of a DLMM `BinArrayBitmapExtension` of `lb_pair` with 12 positive and 12 negative 512-bit words."""
    pos = positive or [0] * 12
    neg = negative or [0] * 12
    return (
        BITMAP_EXTENSION_DISCRIMINATOR
        + bytes(lb_pair)
        + b"".join(w.to_bytes(64, "little") for w in pos)
        + b"".join(w.to_bytes(64, "little") for w in neg)
    )


def pack_oracle(length: int = 100, idx: int = 0, active_size: int = 0) -> bytes:
    """The bytes of a DLMM `Oracle` with room for `length` observations, all zero."""
    return ORACLE_DISCRIMINATOR + struct.pack("<QQQ", idx, active_size, length) + bytes(32 * length)


def bitmap_with(indexes: list[int]) -> int:
    """The LbPair's internal bin array bitmap with the given bin array indexes (-512..511) marked."""
    bits = 0
    for i in indexes:
        if not -512 <= i <= 511:
            raise ValueError(f"bin array index {i} is outside the internal bitmap (-512..511)")
        bits |= 1 << (i + 512)
    return bits


def extension_with(indexes: list[int]) -> tuple[list[int], list[int]]:
    """The bitmap extension's positive and negative words with the given bin array indexes (beyond the pair's own
    -512..511) marked."""
    pos, neg = [0] * 12, [0] * 12
    for i in indexes:
        if i >= 512:
            pos[i // 512 - 1] |= 1 << (i % 512)
        elif i < -512:
            neg[(-(i + 1)) // 512 - 1] |= 1 << ((-(i + 1)) % 512)
        else:
            raise ValueError(f"bin array index {i} belongs in the pair's own bitmap")
    return pos, neg
