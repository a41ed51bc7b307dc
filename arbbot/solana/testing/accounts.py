"""Account bytes built field by field, in each program's struct order (not by offset).

The decoders read by offset; these builders write sequentially from the struct definitions, so a test
that round-trips through both checks one against the other. Used by tests and the local test doubles.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from arbbot.solana.layouts.whirlpool import TICK_ARRAY_DISCRIMINATOR, TICK_ARRAY_SIZE, WHIRLPOOL_DISCRIMINATOR
from arbbot.solana.programs import TOKEN_PROGRAM

ZERO = Pubkey.default()


def _coption_key(key: Pubkey | None) -> bytes:
    return struct.pack("<I", 0) + bytes(32) if key is None else struct.pack("<I", 1) + bytes(key)


def pack_mint(decimals: int, supply: int = 0, mint_authority: Pubkey | None = None) -> bytes:
    """An initialized SPL Token mint (82 bytes) with no freeze authority; no mint authority unless one is given."""
    return (
        _coption_key(mint_authority)
        + struct.pack("<Q", supply)
        + struct.pack("<B", decimals)
        + struct.pack("<?", True)  # is_initialized
        + _coption_key(None)  # freeze_authority
    )


def pack_token_account(mint: Pubkey, owner: Pubkey, amount: int, native_rent: int | None = None) -> bytes:
    """`native_rent` set: a wrapped-SOL account (is_native = the rent reserve; its lamports must be
    rent + amount)."""
    native = struct.pack("<I", 0) + struct.pack("<Q", 0) if native_rent is None else struct.pack("<IQ", 1, native_rent)
    return (
        bytes(mint)
        + bytes(owner)
        + struct.pack("<Q", amount)
        + _coption_key(None)  # delegate
        + struct.pack("<B", 1)  # state: initialized
        + native  # is_native
        + struct.pack("<Q", 0)  # delegated_amount
        + _coption_key(None)  # close_authority
    )  # fmt: skip


@dataclass
class TokenSwapFields:
    """The fields of an SPL Token Swap pool account that a test world writes."""

    token_a: Pubkey
    token_b: Pubkey
    token_a_mint: Pubkey
    token_b_mint: Pubkey
    pool_mint: Pubkey = ZERO
    pool_fee_account: Pubkey = ZERO
    bump_seed: int = 255
    token_program_id: Pubkey = TOKEN_PROGRAM
    # trade n/d, owner_trade n/d, owner_withdraw n/d, host n/d
    fees: tuple[int, ...] = (25, 10_000, 5, 10_000, 0, 0, 20, 100)
    curve_type: int = 0
    curve_parameters: bytes = bytes(32)
    version: int = 1
    is_initialized: bool = True


def pack_token_swap(f: TokenSwapFields) -> bytes:
    """The 324 bytes of an SPL token-swap pool account with the fields of `f`, written in struct order."""
    out = struct.pack("<B", f.version)  # SwapVersion
    out += struct.pack("<?", f.is_initialized) + struct.pack("<B", f.bump_seed)
    for key in (f.token_program_id, f.token_a, f.token_b, f.pool_mint, f.token_a_mint, f.token_b_mint):
        out += bytes(key)
    out += bytes(f.pool_fee_account)
    out += struct.pack("<8Q", *f.fees)
    out += struct.pack("<B", f.curve_type) + f.curve_parameters
    return out


@dataclass
class RaydiumFields:
    """The fields of a Raydium AMM v4 pool account (and its market) that a test world writes."""

    coin_vault: Pubkey
    pc_vault: Pubkey
    coin_vault_mint: Pubkey
    pc_vault_mint: Pubkey
    status: int = 6
    nonce: int = 254
    coin_decimals: int = 9
    pc_decimals: int = 6
    trade_fee: tuple[int, int] = (25, 10_000)
    swap_fee: tuple[int, int] = (25, 10_000)
    need_take_pnl_coin: int = 0
    need_take_pnl_pc: int = 0
    pool_open_time: int = 0
    lp_mint: Pubkey = ZERO
    open_orders: Pubkey = ZERO
    market: Pubkey = ZERO
    market_program: Pubkey = ZERO
    target_orders: Pubkey = ZERO
    amm_owner: Pubkey = ZERO
    lp_amount: int = 0


def pack_raydium(f: RaydiumFields) -> bytes:
    """The 752 bytes of a Raydium AMM v4 `AmmInfo` with the fields of `f`, in struct order.

    Fields the searcher does not read get fixed plausible values (order book depth, lot sizes, pnl fee).
    """
    # status, nonce, order_num, depth, coin_decimals, pc_decimals, state, reset_flag, min_size,
    # vol_max_cut_ratio, amount_wave, coin_lot_size, pc_lot_size, min/max_price_multiplier, sys_decimal_value
    out = struct.pack("<16Q", f.status, f.nonce, 7, 3, f.coin_decimals, f.pc_decimals, 1, 0, 1, 500, 0, 1, 1, 1, 1, 1)
    # Fees: min_separate n/d, trade_fee n/d, pnl n/d, swap_fee n/d
    out += struct.pack("<8Q", 5, 100, *f.trade_fee, 12, 100, *f.swap_fee)
    # StateData
    out += struct.pack("<5Q", f.need_take_pnl_coin, f.need_take_pnl_pc, 0, 0, f.pool_open_time)
    out += struct.pack("<2Q", 0, 0) + struct.pack("<Q", 0)  # padding, orderbook_to_init_time
    out += (0).to_bytes(16, "little") * 2 + struct.pack("<Q", 0)  # swap_coin_in, swap_pc_out, swap_acc_pc_fee
    out += (0).to_bytes(16, "little") * 2 + struct.pack("<Q", 0)  # swap_pc_in, swap_coin_out, swap_acc_coin_fee
    for key in (
        f.coin_vault, f.pc_vault, f.coin_vault_mint, f.pc_vault_mint, f.lp_mint,
        f.open_orders, f.market, f.market_program, f.target_orders,
    ):  # fmt: skip
        out += bytes(key)
    out += struct.pack("<8Q", *([0] * 8))  # padding1
    out += bytes(f.amm_owner)
    out += struct.pack("<4Q", f.lp_amount, 0, 0, 0)  # lp_amount, client_order_id, recent_epoch, padding2
    return out


@dataclass
class WhirlpoolFields:
    """The fields of an Orca Whirlpool account that a test world writes."""

    token_mint_a: Pubkey
    token_vault_a: Pubkey
    token_mint_b: Pubkey
    token_vault_b: Pubkey
    sqrt_price: int
    tick_current_index: int
    liquidity: int
    tick_spacing: int = 64
    fee_rate: int = 3000
    protocol_fee_rate: int = 300
    whirlpools_config: Pubkey = ZERO
    fee_growth_global_a: int = 0
    fee_growth_global_b: int = 0
    reward_last_updated_timestamp: int = 0
    bump: int = 255
    fee_tier_index: int | None = None  # None: the tick spacing (a pool made without an adaptive fee)


def _u128(x: int) -> bytes:
    return x.to_bytes(16, "little")


def _i128(x: int) -> bytes:
    return x.to_bytes(16, "little", signed=True)


def pack_whirlpool(f: WhirlpoolFields) -> bytes:
    """The 653 bytes of an Orca `Whirlpool` account with the fields of `f` (no rewards), in struct order."""
    out = WHIRLPOOL_DISCRIMINATOR + bytes(f.whirlpools_config)
    fee_tier_index = f.tick_spacing if f.fee_tier_index is None else f.fee_tier_index
    out += struct.pack("<B", f.bump) + struct.pack("<H", f.tick_spacing) + struct.pack("<H", fee_tier_index)
    out += struct.pack("<H", f.fee_rate) + struct.pack("<H", f.protocol_fee_rate)
    out += _u128(f.liquidity) + _u128(f.sqrt_price) + struct.pack("<i", f.tick_current_index)
    out += struct.pack("<Q", 0) + struct.pack("<Q", 0)  # protocol_fee_owed_a/b
    out += bytes(f.token_mint_a) + bytes(f.token_vault_a) + _u128(f.fee_growth_global_a)
    out += bytes(f.token_mint_b) + bytes(f.token_vault_b) + _u128(f.fee_growth_global_b)
    out += struct.pack("<Q", f.reward_last_updated_timestamp)
    for _ in range(3):  # reward infos: mint, vault, authority, emissions_per_second_x64, growth_global_x64
        out += bytes(ZERO) * 3 + _u128(0) + _u128(0)
    return out


@dataclass
class TickFields:
    """One initialized tick for `pack_tick_array`: its slot in the array (0..87) and its liquidity.

    `liquidity_gross` defaults to the absolute net liquidity.
    """

    offset: int
    liquidity_net: int
    liquidity_gross: int | None = None


@dataclass
class TickArrayFields:
    """A Whirlpool tick array for `pack_tick_array`: its start tick, its pool, and its initialized ticks."""

    start_tick_index: int
    whirlpool: Pubkey
    ticks: Sequence[TickFields] = field(default_factory=list)


def pack_tick_array(f: TickArrayFields) -> bytes:
    """The 9988 bytes of a fixed Whirlpool tick array; slots not named in `f.ticks` are uninitialized."""
    by_offset = {t.offset: t for t in f.ticks}
    out = TICK_ARRAY_DISCRIMINATOR + struct.pack("<i", f.start_tick_index)
    for i in range(TICK_ARRAY_SIZE):
        t = by_offset.get(i)
        if t is None:
            out += bytes(113)
            continue
        gross = abs(t.liquidity_net) if t.liquidity_gross is None else t.liquidity_gross
        out += struct.pack("<?", True) + _i128(t.liquidity_net) + _u128(gross)
        out += _u128(0) * 2 + _u128(0) * 3  # fee growth outside a/b, reward growths outside
    return out + bytes(f.whirlpool)


@dataclass
class MarketFields:
    """The fields of an OpenBook / Serum v3 market for `pack_market`."""

    own_address: Pubkey
    vault_signer_nonce: int
    coin_mint: Pubkey
    pc_mint: Pubkey
    coin_vault: Pubkey
    pc_vault: Pubkey
    request_queue: Pubkey
    event_queue: Pubkey
    bids: Pubkey
    asks: Pubkey


def pack_market(f: MarketFields) -> bytes:
    """The 388 bytes of an OpenBook / Serum v3 `MarketState` with the fields of `f`, head and tail padding included."""
    out = b"serum" + struct.pack("<Q", 3) + bytes(f.own_address) + struct.pack("<Q", f.vault_signer_nonce)
    out += bytes(f.coin_mint) + bytes(f.pc_mint)
    out += bytes(f.coin_vault) + struct.pack("<QQ", 0, 0)  # coin deposits total, fees accrued
    out += bytes(f.pc_vault) + struct.pack("<QQQ", 0, 0, 100)  # pc deposits total, fees accrued, dust threshold
    out += bytes(f.request_queue) + bytes(f.event_queue) + bytes(f.bids) + bytes(f.asks)
    out += struct.pack("<QQQQ", 1, 1, 0, 0)  # coin/pc lot size, fee_rate_bps, referrer rebates
    return out + b"padding"


def pack_lookup_table(addresses: Sequence[Pubkey], authority: Pubkey | None = None) -> bytes:
    """Address lookup table account: u32 type (1 = table), deactivation_slot (u64::MAX = active),
    last_extended_slot, last_extended_slot_start_index, authority Option<Pubkey>, 2 padding bytes, addresses."""
    out = struct.pack("<IQQB", 1, (1 << 64) - 1, 0, 0)
    out += (b"\x01" + bytes(authority)) if authority is not None else (b"\x00" + bytes(32))
    out += b"\x00\x00"
    return out + b"".join(bytes(a) for a in addresses)
