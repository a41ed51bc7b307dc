//! Raydium AMM v4 `swap_base_in` (tag 9) and the `AmmInfo` pool layout (752 bytes).

use anchor_lang::prelude::*;

use super::{check_key, check_token_program, positions, HopPlan};
use crate::token_account::pubkey_at;
use crate::{ArbError, Venue};

/// The mainnet deployment, pinned.
pub const PROGRAM_IDS: [Pubkey; 1] = [pubkey!("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8")];
/// Market programs a pool may name (OpenBook, and Serum v3 for the oldest pools). Raydium gets the
/// market's accounts writable, so they must belong to one of these.
pub const MARKET_PROGRAM_IDS: [Pubkey; 2] = [
    pubkey!("srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX"),
    pubkey!("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"),
];

/// Block sizes: program + 18 swap accounts, or + 17 without `amm_target_orders`.
pub const ACCOUNTS: usize = 19;
pub const ACCOUNTS_WITHOUT_TARGET_ORDERS: usize = 18;
/// Fixed positions at the front of the block.
pub const TOKEN_PROGRAM: usize = 1;
pub const AMM: usize = 2;
pub const AMM_AUTHORITY: usize = 3;
pub const OPEN_ORDERS: usize = 4;
pub const TARGET_ORDERS: usize = 5;
/// Positions counted from the end of the block (`len - k`).
pub const SOURCE_FROM_END: usize = 3;
pub const DESTINATION_FROM_END: usize = 2;
pub const USER_OWNER_FROM_END: usize = 1;

pub const SWAP_BASE_IN_TAG: u8 = 9;

/// What `swap_base_in` writes, in a 19-account block: amm, open orders, target orders, both vaults,
/// market, bids, asks, event queue, both market vaults, the user's two accounts. (Read only: token
/// program, amm authority, market program, vault signer, user owner.)
pub const WRITABLE: u32 = positions(&[2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 17]);
/// The same without `amm_target_orders`: every position after 4 moves one place forward.
pub const WRITABLE_WITHOUT_TARGET_ORDERS: u32 =
    positions(&[2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16]);

/// `AmmInfo` offsets (16 u64 parameters, `Fees` 64 B, `StateData` 144 B, then keys).
pub mod layout {
    pub const LEN: usize = 752;
    pub const STATUS: usize = 0;
    pub const NONCE: usize = 8;
    pub const COIN_DECIMALS: usize = 32;
    pub const PC_DECIMALS: usize = 40;
    pub const FEES: usize = 128;
    pub const SWAP_FEE_NUMERATOR: usize = 176;
    pub const SWAP_FEE_DENOMINATOR: usize = 184;
    pub const STATE_DATA: usize = 192;
    pub const COIN_VAULT: usize = 336;
    pub const PC_VAULT: usize = 368;
    pub const COIN_VAULT_MINT: usize = 400;
    pub const PC_VAULT_MINT: usize = 432;
    pub const LP_MINT: usize = 464;
    pub const OPEN_ORDERS: usize = 496;
    pub const MARKET: usize = 528;
    pub const MARKET_PROGRAM: usize = 560;
    pub const TARGET_ORDERS: usize = 592;
    pub const AMM_OWNER: usize = 688;
    pub const LP_AMOUNT: usize = 720;
}

/// `[9] ‖ amount_in u64 ‖ minimum_amount_out u64`.
pub fn swap_base_in_data(amount_in: u64, minimum_amount_out: u64) -> [u8; 17] {
    let mut d = [0u8; 17];
    d[0] = SWAP_BASE_IN_TAG;
    d[1..9].copy_from_slice(&amount_in.to_le_bytes());
    d[9..17].copy_from_slice(&minimum_amount_out.to_le_bytes());
    d
}

pub fn plan<'a, 'info>(
    block: &'a [AccountInfo<'info>],
    a_to_b: bool,
    authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    let n = block.len();
    require!(
        n == ACCOUNTS || n == ACCOUNTS_WITHOUT_TARGET_ORDERS,
        ArbError::AccountCountMismatch
    );
    let program = block[0].key;
    let amm = &block[AMM];
    require_keys_eq!(*amm.owner, *program, ArbError::PoolNotOwnedByVenue);
    let data = amm.try_borrow_data()?;
    require!(data.len() == layout::LEN, ArbError::InvalidPoolData);
    check_token_program(&block[TOKEN_PROGRAM])?;

    // Without target orders every later account moves one place forward.
    let shift = usize::from(n == ACCOUNTS);
    check_key(&block[OPEN_ORDERS], &pubkey_at(&data, layout::OPEN_ORDERS))?;
    if shift == 1 {
        check_key(
            &block[TARGET_ORDERS],
            &pubkey_at(&data, layout::TARGET_ORDERS),
        )?;
    }
    check_key(&block[5 + shift], &pubkey_at(&data, layout::COIN_VAULT))?;
    check_key(&block[6 + shift], &pubkey_at(&data, layout::PC_VAULT))?;
    let market_program = pubkey_at(&data, layout::MARKET_PROGRAM);
    check_key(&block[7 + shift], &market_program)?;
    require!(
        MARKET_PROGRAM_IDS.contains(&market_program),
        ArbError::UnknownMarketProgram
    );
    check_key(&block[8 + shift], &pubkey_at(&data, layout::MARKET))?;
    require_keys_eq!(
        *block[n - USER_OWNER_FROM_END].key,
        *authority,
        ArbError::AuthorityMismatch
    );

    let (coin, pc) = (
        pubkey_at(&data, layout::COIN_VAULT_MINT),
        pubkey_at(&data, layout::PC_VAULT_MINT),
    );
    let (mint_in, mint_out) = if a_to_b { (coin, pc) } else { (pc, coin) };
    Ok(HopPlan {
        venue: Venue::RaydiumAmmV4,
        block,
        source: n - SOURCE_FROM_END,
        destination: n - DESTINATION_FROM_END,
        authority: n - USER_OWNER_FROM_END,
        writable: if shift == 1 {
            WRITABLE
        } else {
            WRITABLE_WITHOUT_TARGET_ORDERS
        },
        programs: positions(&[TOKEN_PROGRAM, 7 + shift]),
        market_program: Some(market_program),
        pool: *amm.key,
        mint_in,
        mint_out,
        a_to_b,
    })
}
