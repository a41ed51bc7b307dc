//! SPL token-swap `Swap` (tag 1, the 10-account interface of token-swap 2.x) and the versioned
//! `SwapV1` pool layout. Only the deployments in `PROGRAM_IDS` are accepted; the pool must be owned by
//! the block's program and decode as a token-swap pool naming the vaults, mints and accounts passed.

use anchor_lang::prelude::*;

use super::{check_key, check_token_program, positions, HopPlan};
use crate::token_account::pubkey_at;
use crate::{ArbError, Venue};

/// The programs that run this interface and layout, pinned by id. Adding one is a source change:
/// it must execute the token-swap 2.x `Swap` with the same 10 (+1) accounts, read the pool from the
/// versioned `SwapV1` layout and move tokens only through SPL Token.
/// - `SwaPpA9…`: SPL token-swap 2.x, mainnet.
/// - `9W959…`: Orca token-swap v2 (a token-swap 2.x fork: same instruction, accounts and layout).
///
/// The later SPL deployment `SwapsVe…` (token-swap 3.x) is not listed: its `Swap` takes 14 (+1)
/// accounts (mints and one token program per side), which this adapter does not build.
pub const PROGRAM_IDS: [Pubkey; 2] = [
    pubkey!("SwaPpA9LAaLfeLi3a68M4DjnLqgtticKg6CnyNwgAC8"),
    pubkey!("9W959DqEETiGZocYWCQPaJ6sBmUzgfxXfqGeTEdp3aQP"),
];

/// Block sizes: program + 10 swap accounts, or + 11 with the host fee account.
pub const ACCOUNTS: usize = 11;
pub const ACCOUNTS_WITH_HOST_FEE: usize = 12;
/// Positions inside the block.
pub const POOL: usize = 1;
pub const POOL_AUTHORITY: usize = 2;
pub const USER_TRANSFER_AUTHORITY: usize = 3;
pub const SOURCE: usize = 4;
pub const POOL_SOURCE: usize = 5;
pub const POOL_DESTINATION: usize = 6;
pub const DESTINATION: usize = 7;
pub const POOL_MINT: usize = 8;
pub const POOL_FEE_ACCOUNT: usize = 9;
pub const TOKEN_PROGRAM: usize = 10;
pub const HOST_FEE_ACCOUNT: usize = 11;
/// What `Swap` writes: the user's two accounts, the vaults, the pool mint and both fee accounts.
pub const WRITABLE: u32 = positions(&[
    SOURCE,
    POOL_SOURCE,
    POOL_DESTINATION,
    DESTINATION,
    POOL_MINT,
    POOL_FEE_ACCOUNT,
    HOST_FEE_ACCOUNT,
]);

pub const SWAP_TAG: u8 = 1;

/// `SwapVersion` account: version byte then `SwapV1`.
pub mod layout {
    pub const LEN: usize = 324;
    pub const VERSION: usize = 0;
    pub const IS_INITIALIZED: usize = 1;
    pub const BUMP_SEED: usize = 2;
    pub const TOKEN_PROGRAM_ID: usize = 3;
    pub const TOKEN_A: usize = 35;
    pub const TOKEN_B: usize = 67;
    pub const POOL_MINT: usize = 99;
    pub const TOKEN_A_MINT: usize = 131;
    pub const TOKEN_B_MINT: usize = 163;
    pub const POOL_FEE_ACCOUNT: usize = 195;
    pub const FEES: usize = 227;
    pub const CURVE_TYPE: usize = 291;
    pub const CURVE_PARAMETERS: usize = 292;
    pub const LATEST_VERSION: u8 = 1;
}

/// `[1] ‖ amount_in u64 ‖ minimum_amount_out u64`.
pub fn swap_data(amount_in: u64, minimum_amount_out: u64) -> [u8; 17] {
    let mut d = [0u8; 17];
    d[0] = SWAP_TAG;
    d[1..9].copy_from_slice(&amount_in.to_le_bytes());
    d[9..17].copy_from_slice(&minimum_amount_out.to_le_bytes());
    d
}

pub fn plan<'a, 'info>(
    block: &'a [AccountInfo<'info>],
    a_to_b: bool,
    authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    require!(
        block.len() == ACCOUNTS || block.len() == ACCOUNTS_WITH_HOST_FEE,
        ArbError::AccountCountMismatch
    );
    let program = block[0].key;
    let pool = &block[POOL];
    require_keys_eq!(*pool.owner, *program, ArbError::PoolNotOwnedByVenue);
    let data = pool.try_borrow_data()?;
    require!(
        data.len() == layout::LEN
            && data[layout::VERSION] == layout::LATEST_VERSION
            && data[layout::IS_INITIALIZED] == 1,
        ArbError::InvalidPoolData
    );
    require_keys_eq!(
        pubkey_at(&data, layout::TOKEN_PROGRAM_ID),
        crate::token_account::TOKEN_PROGRAM_ID,
        ArbError::TokenProgramMismatch
    );
    check_token_program(&block[TOKEN_PROGRAM])?;
    let expected_authority =
        Pubkey::create_program_address(&[pool.key.as_ref(), &[data[layout::BUMP_SEED]]], program)
            .map_err(|_| error!(ArbError::InvalidPoolData))?;
    check_key(&block[POOL_AUTHORITY], &expected_authority)?;

    let (vault_a, vault_b) = (
        pubkey_at(&data, layout::TOKEN_A),
        pubkey_at(&data, layout::TOKEN_B),
    );
    let (mint_a, mint_b) = (
        pubkey_at(&data, layout::TOKEN_A_MINT),
        pubkey_at(&data, layout::TOKEN_B_MINT),
    );
    let (vault_in, vault_out, mint_in, mint_out) = if a_to_b {
        (vault_a, vault_b, mint_a, mint_b)
    } else {
        (vault_b, vault_a, mint_b, mint_a)
    };
    check_key(&block[POOL_SOURCE], &vault_in)?;
    check_key(&block[POOL_DESTINATION], &vault_out)?;
    check_key(&block[POOL_MINT], &pubkey_at(&data, layout::POOL_MINT))?;
    check_key(
        &block[POOL_FEE_ACCOUNT],
        &pubkey_at(&data, layout::POOL_FEE_ACCOUNT),
    )?;
    require_keys_eq!(
        *block[USER_TRANSFER_AUTHORITY].key,
        *authority,
        ArbError::AuthorityMismatch
    );

    Ok(HopPlan {
        venue: Venue::SplTokenSwap,
        block,
        source: SOURCE,
        destination: DESTINATION,
        authority: USER_TRANSFER_AUTHORITY,
        writable: WRITABLE,
        programs: positions(&[TOKEN_PROGRAM]),
        market_program: None,
        pool: *pool.key,
        mint_in,
        mint_out,
        a_to_b,
    })
}
