"""Raydium AMM v4 `AmmInfo`: `#[repr(C, packed)]`, 752 bytes, no discriminator.

Offsets (raydium-amm state.rs): 16 x u64 header @0 (status @0, nonce @8, ..., coin_decimals @32,
pc_decimals @40, ...); Fees 8 x u64 @128 (min_separate n/d, trade_fee n/d, pnl n/d, swap_fee n/d @176/@184);
StateData @192 (need_take_pnl_coin @192, need_take_pnl_pc @200, ..., pool_open_time @224); coin_vault @336,
pc_vault @368, coin_vault_mint @400, pc_vault_mint @432, lp_mint @464, open_orders @496, market @528,
market_program @560, target_orders @592, padding1 8 x u64 @624, amm_owner @688, lp_amount @720,
client_order_id @728, recent_epoch @736, padding2 @744.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.layouts._read import check, pubkey, u64
from arbbot.solana.programs import RAYDIUM_AMM_V4

AMM_INFO_LEN = 752
# AmmStatus values the quote models: SwapOnly, where swap_base_in trades on the vaults alone. WaitingTrade (7)
# swaps only once the cluster clock reaches pool_open_time, which the quote does not read; Initialized (1),
# and OrderBookOnly (5) once it turns Initialized, swap with the order book on, counting the funds of the
# pool's OpenBook orders in the reserves, which the quote does not read either. Those are refused.
SWAPPABLE_STATUS = {6}


@dataclass(frozen=True)
class RaydiumAmmV4State:
    """The fields of a Raydium AMM v4 `AmmInfo` that quoting and `swap_base_in` need.

    `status` says whether the pool allows swaps; the swap fee is `swap_fee_numerator / swap_fee_denominator`;
    `need_take_pnl_coin`/`need_take_pnl_pc` are owed to the pool owner and excluded from the reserves.
    `market`, `market_program` and `open_orders` name the OpenBook accounts the swap passes along.
    """

    status: int
    nonce: int
    coin_decimals: int
    pc_decimals: int
    trade_fee_numerator: int
    trade_fee_denominator: int
    swap_fee_numerator: int
    swap_fee_denominator: int
    need_take_pnl_coin: int
    need_take_pnl_pc: int
    pool_open_time: int
    coin_vault: Pubkey
    pc_vault: Pubkey
    coin_vault_mint: Pubkey
    pc_vault_mint: Pubkey
    lp_mint: Pubkey
    open_orders: Pubkey
    market: Pubkey
    market_program: Pubkey
    target_orders: Pubkey
    amm_owner: Pubkey
    lp_amount: int


def decode_raydium_amm_v4(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> RaydiumAmmV4State:
    """Decode a Raydium AMM v4 `AmmInfo` account.

    Raises `AccountLayoutError` when the size (752 bytes) or the owner (when given) is not the layout's.
    """
    check("Raydium AMM v4 pool", address, data, AMM_INFO_LEN, owner, RAYDIUM_AMM_V4)
    return RaydiumAmmV4State(
        status=u64(data, 0),
        nonce=u64(data, 8),
        coin_decimals=u64(data, 32),
        pc_decimals=u64(data, 40),
        trade_fee_numerator=u64(data, 144),
        trade_fee_denominator=u64(data, 152),
        swap_fee_numerator=u64(data, 176),
        swap_fee_denominator=u64(data, 184),
        need_take_pnl_coin=u64(data, 192),
        need_take_pnl_pc=u64(data, 200),
        pool_open_time=u64(data, 224),
        coin_vault=pubkey(data, 336),
        pc_vault=pubkey(data, 368),
        coin_vault_mint=pubkey(data, 400),
        pc_vault_mint=pubkey(data, 432),
        lp_mint=pubkey(data, 464),
        open_orders=pubkey(data, 496),
        market=pubkey(data, 528),
        market_program=pubkey(data, 560),
        target_orders=pubkey(data, 592),
        amm_owner=pubkey(data, 688),
        lp_amount=u64(data, 720),
    )
