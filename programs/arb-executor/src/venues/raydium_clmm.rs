//! Raydium CLMM (AMM v3) `swap_v2`, exact input, no price limit beyond the protocol bounds, and the
//! `PoolState` layout (1544 bytes including the 8-byte Anchor discriminator).
//!
//! Block (0 = program): 1 payer (= `authority`, read-only signer), 2 amm_config, 3 pool_state,
//! 4 input token account, 5 output token account, 6 input vault, 7 output vault, 8 observation_state,
//! 9 SPL Token, 10 Token-2022, 11 Memo, 12 input vault mint, 13 output vault mint, then 1 to
//! `MAX_REMAINING` remaining accounts: the tick arrays the swap walks, in order, and optionally the pool's
//! tick-array bitmap extension. `a_to_b` = token 0 in.
//!
//! `swap_v2` names Token-2022 and Memo among its accounts (Anchor checks both by address); they are
//! allowed in the block's program positions and nowhere else. Mints and user accounts are SPL Token
//! (the route's token checks refuse Token-2022 user accounts), so the venue's transfers go through
//! SPL Token.

use anchor_lang::prelude::*;

use super::{check_key, check_token_program, positions, HopPlan};
use crate::token_account::{pubkey_at, TOKEN_2022_PROGRAM_ID};
use crate::{ArbError, Venue};

/// The programs that run this interface, pinned by id.
pub const PROGRAM_IDS: [Pubkey; 1] = [pubkey!("CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK")];
/// SPL Memo (v2), which `swap_v2` names by address.
pub const MEMO_PROGRAM_ID: Pubkey = pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

pub const PAYER: usize = 1;
pub const AMM_CONFIG: usize = 2;
pub const POOL_STATE: usize = 3;
pub const INPUT_TOKEN_ACCOUNT: usize = 4;
pub const OUTPUT_TOKEN_ACCOUNT: usize = 5;
pub const INPUT_VAULT: usize = 6;
pub const OUTPUT_VAULT: usize = 7;
pub const OBSERVATION_STATE: usize = 8;
pub const TOKEN_PROGRAM: usize = 9;
pub const TOKEN_PROGRAM_2022: usize = 10;
pub const MEMO_PROGRAM: usize = 11;
pub const INPUT_VAULT_MINT: usize = 12;
pub const OUTPUT_VAULT_MINT: usize = 13;
/// First remaining account (tick arrays, bitmap extension).
pub const REMAINING: usize = 14;
/// At most this many remaining accounts (the swap walks at most a few tick arrays per route).
pub const MAX_REMAINING: usize = 8;
pub const MIN_ACCOUNTS: usize = REMAINING + 1;
pub const MAX_ACCOUNTS: usize = REMAINING + MAX_REMAINING;
/// What `swap_v2` writes among the fixed accounts: the pool, the user's two accounts, both vaults and
/// the observation. Every remaining account is writable too (tick arrays; the bitmap extension is read
/// only by the venue but the mask bounds, never grants, writability).
pub const WRITABLE_FIXED: u32 = positions(&[
    POOL_STATE,
    INPUT_TOKEN_ACCOUNT,
    OUTPUT_TOKEN_ACCOUNT,
    INPUT_VAULT,
    OUTPUT_VAULT,
    OBSERVATION_STATE,
]);

/// `sha256("global:swap_v2")[..8]`.
pub const SWAP_V2_DISCRIMINATOR: [u8; 8] = [43, 4, 237, 11, 26, 201, 30, 98];
/// Protocol price bounds (Q64.64); the limit for "none" is one inside them, as the program's own
/// default for a zero limit.
pub const MIN_SQRT_PRICE_X64: u128 = 4_295_048_016;
pub const MAX_SQRT_PRICE_X64: u128 = 79_226_673_521_066_979_257_578_248_091;

pub mod layout {
    pub const POOL_LEN: usize = 1544;
    /// `sha256("account:PoolState")[..8]`.
    pub const POOL_DISCRIMINATOR: [u8; 8] = [247, 237, 227, 245, 215, 195, 222, 70];
    pub const AMM_CONFIG: usize = 9;
    pub const TOKEN_MINT_0: usize = 73;
    pub const TOKEN_MINT_1: usize = 105;
    pub const TOKEN_VAULT_0: usize = 137;
    pub const TOKEN_VAULT_1: usize = 169;
    pub const OBSERVATION_KEY: usize = 201;
    /// `sha256("account:TickArrayState")[..8]`; tick arrays are 10240 bytes, pool id at 8.
    pub const TICK_ARRAY_DISCRIMINATOR: [u8; 8] = [192, 155, 85, 205, 49, 249, 129, 42];
    pub const TICK_ARRAY_LEN: usize = 10240;
    /// `sha256("account:TickArrayBitmapExtension")[..8]`; 1832 bytes, pool id at 8.
    pub const BITMAP_EXTENSION_DISCRIMINATOR: [u8; 8] = [60, 150, 36, 219, 97, 128, 139, 153];
    pub const BITMAP_EXTENSION_LEN: usize = 1832;
    pub const POOL_ID: usize = 8;
    /// `sha256("account:AmmConfig")[..8]`; 117 bytes.
    pub const AMM_CONFIG_DISCRIMINATOR: [u8; 8] = [218, 244, 33, 104, 203, 203, 43, 111];
    pub const AMM_CONFIG_LEN: usize = 117;
}

/// `discriminator ‖ amount u64 ‖ other_amount_threshold u64 ‖ sqrt_price_limit_x64 u128 ‖
/// is_base_input bool` (41 bytes). The threshold is zero: the route measures what arrived.
pub fn swap_data(amount_in: u64, a_to_b: bool) -> Vec<u8> {
    let limit = if a_to_b {
        MIN_SQRT_PRICE_X64 + 1
    } else {
        MAX_SQRT_PRICE_X64 - 1
    };
    let mut d = Vec::with_capacity(41);
    d.extend_from_slice(&SWAP_V2_DISCRIMINATOR);
    d.extend_from_slice(&amount_in.to_le_bytes());
    d.extend_from_slice(&0u64.to_le_bytes());
    d.extend_from_slice(&limit.to_le_bytes());
    d.push(1);
    d
}

/// A tick array or the bitmap extension of `pool`, owned by the venue.
fn check_remaining(info: &AccountInfo, venue: &Pubkey, pool: &Pubkey) -> Result<()> {
    require_keys_eq!(*info.owner, *venue, ArbError::PoolNotOwnedByVenue);
    let data = info.try_borrow_data()?;
    let ok = (data.len() == layout::TICK_ARRAY_LEN
        && data[..8] == layout::TICK_ARRAY_DISCRIMINATOR)
        || (data.len() == layout::BITMAP_EXTENSION_LEN
            && data[..8] == layout::BITMAP_EXTENSION_DISCRIMINATOR);
    require!(ok, ArbError::InvalidPoolData);
    require_keys_eq!(
        pubkey_at(&data, layout::POOL_ID),
        *pool,
        ArbError::PoolAccountMismatch
    );
    Ok(())
}

pub fn plan<'a, 'info>(
    block: &'a [AccountInfo<'info>],
    a_to_b: bool,
    authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    require!(
        (MIN_ACCOUNTS..=MAX_ACCOUNTS).contains(&block.len()),
        ArbError::AccountCountMismatch
    );
    let venue = block[0].key;
    let pool = &block[POOL_STATE];
    require_keys_eq!(*pool.owner, *venue, ArbError::PoolNotOwnedByVenue);
    let data = pool.try_borrow_data()?;
    require!(
        data.len() == layout::POOL_LEN && data[..8] == layout::POOL_DISCRIMINATOR,
        ArbError::InvalidPoolData
    );
    require_keys_eq!(*block[PAYER].key, *authority, ArbError::AuthorityMismatch);
    check_token_program(&block[TOKEN_PROGRAM])?;
    require_keys_eq!(
        *block[TOKEN_PROGRAM_2022].key,
        TOKEN_2022_PROGRAM_ID,
        ArbError::TokenProgramMismatch
    );
    check_key(&block[MEMO_PROGRAM], &MEMO_PROGRAM_ID)?;

    let config = &block[AMM_CONFIG];
    check_key(config, &pubkey_at(&data, layout::AMM_CONFIG))?;
    require_keys_eq!(*config.owner, *venue, ArbError::PoolNotOwnedByVenue);
    {
        let c = config.try_borrow_data()?;
        require!(
            c.len() == layout::AMM_CONFIG_LEN && c[..8] == layout::AMM_CONFIG_DISCRIMINATOR,
            ArbError::InvalidPoolData
        );
    }
    check_key(
        &block[OBSERVATION_STATE],
        &pubkey_at(&data, layout::OBSERVATION_KEY),
    )?;
    require_keys_eq!(
        *block[OBSERVATION_STATE].owner,
        *venue,
        ArbError::PoolNotOwnedByVenue
    );

    let (mint_0, mint_1) = (
        pubkey_at(&data, layout::TOKEN_MINT_0),
        pubkey_at(&data, layout::TOKEN_MINT_1),
    );
    let (vault_0, vault_1) = (
        pubkey_at(&data, layout::TOKEN_VAULT_0),
        pubkey_at(&data, layout::TOKEN_VAULT_1),
    );
    let (mint_in, mint_out, vault_in, vault_out) = if a_to_b {
        (mint_0, mint_1, vault_0, vault_1)
    } else {
        (mint_1, mint_0, vault_1, vault_0)
    };
    check_key(&block[INPUT_VAULT], &vault_in)?;
    check_key(&block[OUTPUT_VAULT], &vault_out)?;
    check_key(&block[INPUT_VAULT_MINT], &mint_in)?;
    check_key(&block[OUTPUT_VAULT_MINT], &mint_out)?;
    for info in &block[REMAINING..] {
        check_remaining(info, venue, pool.key)?;
    }

    let writable = WRITABLE_FIXED | (((1u32 << block.len()) - 1) & !((1u32 << REMAINING) - 1));
    Ok(HopPlan {
        venue: Venue::RaydiumClmm,
        block,
        source: INPUT_TOKEN_ACCOUNT,
        destination: OUTPUT_TOKEN_ACCOUNT,
        authority: PAYER,
        writable,
        programs: positions(&[TOKEN_PROGRAM, TOKEN_PROGRAM_2022, MEMO_PROGRAM]),
        market_program: None,
        pool: *pool.key,
        mint_in,
        mint_out,
        a_to_b,
    })
}
