"""Orca Whirlpool accounts: `Whirlpool` (653 bytes) and fixed `TickArray` (9988 bytes), both Anchor zero-copy/borsh
with an 8-byte discriminator.

Whirlpool offsets: discriminator @0, whirlpools_config @8, whirlpool_bump @40, tick_spacing u16 @41,
fee_tier_index_seed u16 @43 (the tick spacing, unless the pool was made on an adaptive-fee tier), fee_rate u16 @45
(per 1e6), protocol_fee_rate u16 @47 (per 1e4), liquidity u128 @49, sqrt_price u128 @65 (Q64.64),
tick_current_index i32 @81, protocol_fee_owed_a/b u64 @85/@93, token_mint_a @101,
token_vault_a @133, fee_growth_global_a u128 @165, token_mint_b @181, token_vault_b @213,
fee_growth_global_b u128 @245, reward_last_updated_timestamp u64 @261, reward_infos 3 x 128 @269.

TickArray: discriminator @0, start_tick_index i32 @8, 88 ticks of 113 bytes @12 (initialized u8 @+0,
liquidity_net i128 @+1, liquidity_gross u128 @+17, fee_growth_outside_a/b @+33/@+49, rewards 3 x u128 @+65),
whirlpool @9956.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.layouts._read import check, check_discriminator, i32, i128, pubkey, u8, u16, u64, u128
from arbbot.solana.programs import ORCA_WHIRLPOOL, anchor_account_discriminator

WHIRLPOOL_LEN = 653
TICK_ARRAY_SIZE = 88
TICK_LEN = 113
TICK_ARRAY_LEN = 8 + 4 + TICK_ARRAY_SIZE * TICK_LEN + 32
WHIRLPOOL_DISCRIMINATOR = anchor_account_discriminator("Whirlpool")
TICK_ARRAY_DISCRIMINATOR = anchor_account_discriminator("TickArray")


@dataclass(frozen=True)
class WhirlpoolState:
    """The fields of an Orca `Whirlpool` that quoting and the swap need.

    `sqrt_price` is Q64.64; `fee_rate` is per 1e6 of the input and `protocol_fee_rate` per 1e4 of the fee;
    `liquidity` is the active liquidity at `tick_current_index`. `fee_tier_index` differs from `tick_spacing` only
    for a pool made on an adaptive-fee tier, whose swaps add a fee that moves with its oracle account.
    """

    whirlpools_config: Pubkey
    tick_spacing: int
    fee_tier_index: int
    fee_rate: int
    protocol_fee_rate: int
    liquidity: int
    sqrt_price: int
    tick_current_index: int
    token_mint_a: Pubkey
    token_vault_a: Pubkey
    fee_growth_global_a: int
    token_mint_b: Pubkey
    token_vault_b: Pubkey
    fee_growth_global_b: int
    reward_last_updated_timestamp: int

    @property
    def adaptive_fee(self) -> bool:
        """Whether the pool was made on an adaptive-fee tier (the program's `is_initialized_with_adaptive_fee_tier`)."""
        return self.fee_tier_index != self.tick_spacing


def decode_whirlpool(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> WhirlpoolState:
    """Decode an Orca `Whirlpool` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("Whirlpool", address, data, WHIRLPOOL_LEN, owner, ORCA_WHIRLPOOL)
    check_discriminator("Whirlpool", address, data, WHIRLPOOL_DISCRIMINATOR)
    return WhirlpoolState(
        whirlpools_config=pubkey(data, 8),
        tick_spacing=u16(data, 41),
        fee_tier_index=u16(data, 43),
        fee_rate=u16(data, 45),
        protocol_fee_rate=u16(data, 47),
        liquidity=u128(data, 49),
        sqrt_price=u128(data, 65),
        tick_current_index=i32(data, 81),
        token_mint_a=pubkey(data, 101),
        token_vault_a=pubkey(data, 133),
        fee_growth_global_a=u128(data, 165),
        token_mint_b=pubkey(data, 181),
        token_vault_b=pubkey(data, 213),
        fee_growth_global_b=u128(data, 245),
        reward_last_updated_timestamp=u64(data, 261),
    )


@dataclass(frozen=True)
class Tick:
    """One Whirlpool tick: whether it is initialized, and the signed net and the gross liquidity referencing it."""

    initialized: bool
    liquidity_net: int
    liquidity_gross: int


@dataclass(frozen=True)
class TickArray:
    """A fixed Whirlpool `TickArray`: 88 ticks from `start_tick_index`, `tick_spacing` apart, of `whirlpool`."""

    start_tick_index: int
    ticks: tuple[Tick, ...]
    whirlpool: Pubkey


def decode_tick_array(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> TickArray:
    """Fixed tick arrays only; a dynamic (variable-size) tick array fails the size check with its length."""
    check("Whirlpool tick array", address, data, TICK_ARRAY_LEN, owner, ORCA_WHIRLPOOL)
    check_discriminator("Whirlpool tick array", address, data, TICK_ARRAY_DISCRIMINATOR)
    ticks = []
    for i in range(TICK_ARRAY_SIZE):
        off = 12 + i * TICK_LEN
        ticks.append(Tick(bool(u8(data, off)), i128(data, off + 1), u128(data, off + 17)))
    return TickArray(start_tick_index=i32(data, 8), ticks=tuple(ticks), whirlpool=pubkey(data, 12 + 88 * TICK_LEN))
