//! Orca Whirlpool `swap_v2` (exact input, no price limit beyond the protocol bounds), the swap that
//! takes each side's mint and token program and so moves Token-2022 mints (transfer fees included: they
//! show up as a smaller measured delta). Same `Whirlpool` pool layout as `swap`.
//!
//! No supplemental tick arrays and no transfer-hook accounts are passed (`remaining_accounts_info` is
//! `None`): a mint with a transfer hook is refused by `token_account::check_mint` anyway.

use anchor_lang::prelude::*;

use super::orca_whirlpool::{layout, swap_data as swap_v1_data, PROGRAM_ID};
use super::raydium_clmm::MEMO_PROGRAM_ID;
use super::{check_any_token_program, check_key, positions, HopPlan};
use crate::token_account::{self, pubkey_at};
use crate::{ArbError, Venue};

/// The same deployment as `swap`: one program, two instructions.
pub const PROGRAM_IDS: [Pubkey; 1] = [PROGRAM_ID];

/// Block size: program + 15 swap accounts.
pub const ACCOUNTS: usize = 16;
pub const TOKEN_PROGRAM_A: usize = 1;
pub const TOKEN_PROGRAM_B: usize = 2;
pub const MEMO_PROGRAM: usize = 3;
pub const TOKEN_AUTHORITY: usize = 4;
pub const WHIRLPOOL: usize = 5;
pub const TOKEN_MINT_A: usize = 6;
pub const TOKEN_MINT_B: usize = 7;
pub const TOKEN_OWNER_ACCOUNT_A: usize = 8;
pub const TOKEN_VAULT_A: usize = 9;
pub const TOKEN_OWNER_ACCOUNT_B: usize = 10;
pub const TOKEN_VAULT_B: usize = 11;
pub const TICK_ARRAY_0: usize = 12;
pub const TICK_ARRAY_1: usize = 13;
pub const TICK_ARRAY_2: usize = 14;
pub const ORACLE: usize = 15;
/// What `swap_v2` writes: the pool, the user's two accounts, both vaults, the tick arrays and the
/// oracle. Token programs, memo program, token authority and mints are read only.
pub const WRITABLE: u32 = positions(&[
    WHIRLPOOL,
    TOKEN_OWNER_ACCOUNT_A,
    TOKEN_VAULT_A,
    TOKEN_OWNER_ACCOUNT_B,
    TOKEN_VAULT_B,
    TICK_ARRAY_0,
    TICK_ARRAY_1,
    TICK_ARRAY_2,
    ORACLE,
]);

/// `sha256("global:swap_v2")[..8]`.
pub const SWAP_V2_DISCRIMINATOR: [u8; 8] = [0x2b, 0x04, 0xed, 0x0b, 0x1a, 0xc9, 0x1e, 0x62];

/// `swap`'s 42 bytes under the `swap_v2` discriminator, then `remaining_accounts_info: Option` = None
/// (43 bytes).
pub fn swap_v2_data(amount: u64, other_amount_threshold: u64, a_to_b: bool) -> [u8; 43] {
    let mut d = [0u8; 43];
    d[..42].copy_from_slice(&swap_v1_data(amount, other_amount_threshold, a_to_b));
    d[0..8].copy_from_slice(&SWAP_V2_DISCRIMINATOR);
    d
}

/// The venue's swap instruction data for exactly `amount_in` (no minimum: the route measures).
pub fn swap_data(amount_in: u64, a_to_b: bool) -> Vec<u8> {
    swap_v2_data(amount_in, 0, a_to_b).to_vec()
}

pub fn plan<'a, 'info>(
    block: &'a [AccountInfo<'info>],
    a_to_b: bool,
    authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    require!(block.len() == ACCOUNTS, ArbError::AccountCountMismatch);
    let pool = &block[WHIRLPOOL];
    require_keys_eq!(*pool.owner, PROGRAM_ID, ArbError::PoolNotOwnedByVenue);
    let data = pool.try_borrow_data()?;
    require!(
        data.len() == layout::LEN && data[..8] == layout::DISCRIMINATOR,
        ArbError::InvalidPoolData
    );
    require_keys_eq!(
        *block[TOKEN_AUTHORITY].key,
        *authority,
        ArbError::AuthorityMismatch
    );
    check_key(&block[MEMO_PROGRAM], &MEMO_PROGRAM_ID)?;

    let (mint_a, mint_b) = (
        pubkey_at(&data, layout::TOKEN_MINT_A),
        pubkey_at(&data, layout::TOKEN_MINT_B),
    );
    for (mint, vault, user, token_program, mint_key, vault_key) in [
        (
            TOKEN_MINT_A,
            TOKEN_VAULT_A,
            TOKEN_OWNER_ACCOUNT_A,
            TOKEN_PROGRAM_A,
            mint_a,
            pubkey_at(&data, layout::TOKEN_VAULT_A),
        ),
        (
            TOKEN_MINT_B,
            TOKEN_VAULT_B,
            TOKEN_OWNER_ACCOUNT_B,
            TOKEN_PROGRAM_B,
            mint_b,
            pubkey_at(&data, layout::TOKEN_VAULT_B),
        ),
    ] {
        check_key(&block[mint], &mint_key)?;
        check_key(&block[vault], &vault_key)?;
        // A side's token program is its mint's owner; its vault and the user's account belong to it.
        let program = *block[mint].owner;
        check_any_token_program(&block[token_program], &program)?;
        for i in [vault, user] {
            require_keys_eq!(*block[i].owner, program, ArbError::TokenProgramMismatch);
        }
        token_account::check_mint(&block[mint])?;
    }

    let (source, destination, mint_in, mint_out) = if a_to_b {
        (TOKEN_OWNER_ACCOUNT_A, TOKEN_OWNER_ACCOUNT_B, mint_a, mint_b)
    } else {
        (TOKEN_OWNER_ACCOUNT_B, TOKEN_OWNER_ACCOUNT_A, mint_b, mint_a)
    };
    Ok(HopPlan {
        venue: Venue::OrcaWhirlpoolV2,
        block,
        source,
        destination,
        authority: TOKEN_AUTHORITY,
        writable: WRITABLE,
        programs: positions(&[TOKEN_PROGRAM_A, TOKEN_PROGRAM_B, MEMO_PROGRAM]),
        market_program: None,
        pool: *pool.key,
        mint_in,
        mint_out,
        a_to_b,
    })
}
