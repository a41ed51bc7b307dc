//! Orca Whirlpool `swap` (exact input, no price limit beyond the protocol bounds) and the `Whirlpool`
//! pool layout (653 bytes including the 8-byte Anchor discriminator).

use anchor_lang::prelude::*;

use super::{check_key, check_token_program, positions, HopPlan};
use crate::token_account::pubkey_at;
use crate::{ArbError, Venue};

pub const PROGRAM_ID: Pubkey = pubkey!("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc");

/// Block size: program + 11 swap accounts.
pub const ACCOUNTS: usize = 12;
pub const TOKEN_PROGRAM: usize = 1;
pub const TOKEN_AUTHORITY: usize = 2;
pub const WHIRLPOOL: usize = 3;
pub const TOKEN_OWNER_ACCOUNT_A: usize = 4;
pub const TOKEN_VAULT_A: usize = 5;
pub const TOKEN_OWNER_ACCOUNT_B: usize = 6;
pub const TOKEN_VAULT_B: usize = 7;
pub const TICK_ARRAY_0: usize = 8;
pub const TICK_ARRAY_1: usize = 9;
pub const TICK_ARRAY_2: usize = 10;
pub const ORACLE: usize = 11;
/// What `swap` writes: the pool, the user's two accounts, both vaults, the tick arrays and the oracle
/// (written by adaptive-fee pools). Token program and token authority are read only.
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

/// `sha256("global:swap")[..8]`.
pub const SWAP_DISCRIMINATOR: [u8; 8] = [0xf8, 0xc6, 0x9e, 0x91, 0xe1, 0x75, 0x87, 0xc8];
/// Protocol price bounds (Q64.64): the limit for "no limit" in each direction.
pub const MIN_SQRT_PRICE: u128 = 4_295_048_016;
pub const MAX_SQRT_PRICE: u128 = 79_226_673_515_401_279_992_447_579_055;

pub mod layout {
    pub const LEN: usize = 653;
    /// `sha256("account:Whirlpool")[..8]`.
    pub const DISCRIMINATOR: [u8; 8] = [0x3f, 0x95, 0xd1, 0x0c, 0xe1, 0x80, 0x63, 0x09];
    pub const WHIRLPOOLS_CONFIG: usize = 8;
    pub const WHIRLPOOL_BUMP: usize = 40;
    pub const TICK_SPACING: usize = 41;
    pub const FEE_TIER_INDEX_SEED: usize = 43;
    pub const FEE_RATE: usize = 45;
    pub const PROTOCOL_FEE_RATE: usize = 47;
    pub const LIQUIDITY: usize = 49;
    pub const SQRT_PRICE: usize = 65;
    pub const TICK_CURRENT_INDEX: usize = 81;
    pub const PROTOCOL_FEE_OWED_A: usize = 85;
    pub const PROTOCOL_FEE_OWED_B: usize = 93;
    pub const TOKEN_MINT_A: usize = 101;
    pub const TOKEN_VAULT_A: usize = 133;
    pub const FEE_GROWTH_GLOBAL_A: usize = 165;
    pub const TOKEN_MINT_B: usize = 181;
    pub const TOKEN_VAULT_B: usize = 213;
    pub const FEE_GROWTH_GLOBAL_B: usize = 245;
    pub const REWARD_LAST_UPDATED_TIMESTAMP: usize = 261;
    pub const REWARD_INFOS: usize = 269;
    pub const REWARD_INFO_LEN: usize = 128;
}

/// `discriminator ‖ amount u64 ‖ other_amount_threshold u64 ‖ sqrt_price_limit u128 ‖
/// amount_specified_is_input bool ‖ a_to_b bool` (42 bytes).
pub fn swap_data(amount: u64, other_amount_threshold: u64, a_to_b: bool) -> [u8; 42] {
    let limit = if a_to_b {
        MIN_SQRT_PRICE
    } else {
        MAX_SQRT_PRICE
    };
    let mut d = [0u8; 42];
    d[0..8].copy_from_slice(&SWAP_DISCRIMINATOR);
    d[8..16].copy_from_slice(&amount.to_le_bytes());
    d[16..24].copy_from_slice(&other_amount_threshold.to_le_bytes());
    d[24..40].copy_from_slice(&limit.to_le_bytes());
    d[40] = 1;
    d[41] = u8::from(a_to_b);
    d
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
    check_token_program(&block[TOKEN_PROGRAM])?;
    check_key(
        &block[TOKEN_VAULT_A],
        &pubkey_at(&data, layout::TOKEN_VAULT_A),
    )?;
    check_key(
        &block[TOKEN_VAULT_B],
        &pubkey_at(&data, layout::TOKEN_VAULT_B),
    )?;
    require_keys_eq!(
        *block[TOKEN_AUTHORITY].key,
        *authority,
        ArbError::AuthorityMismatch
    );

    let (mint_a, mint_b) = (
        pubkey_at(&data, layout::TOKEN_MINT_A),
        pubkey_at(&data, layout::TOKEN_MINT_B),
    );
    let (source, destination, mint_in, mint_out) = if a_to_b {
        (TOKEN_OWNER_ACCOUNT_A, TOKEN_OWNER_ACCOUNT_B, mint_a, mint_b)
    } else {
        (TOKEN_OWNER_ACCOUNT_B, TOKEN_OWNER_ACCOUNT_A, mint_b, mint_a)
    };
    Ok(HopPlan {
        venue: Venue::OrcaWhirlpool,
        block,
        source,
        destination,
        authority: TOKEN_AUTHORITY,
        writable: WRITABLE,
        programs: positions(&[TOKEN_PROGRAM]),
        market_program: None,
        pool: *pool.key,
        mint_in,
        mint_out,
        a_to_b,
    })
}
