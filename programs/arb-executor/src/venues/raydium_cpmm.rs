//! Raydium CPMM (CP-Swap) `swap_base_input` and its `PoolState` (637 bytes) and `AmmConfig`
//! (236 bytes) layouts, both with the 8-byte Anchor discriminator.
//!
//! CPMM pools may hold Token-2022 mints (transfer fees included): each side's token program is the
//! one the pool state names, SPL Token or Token-2022, and the user's account, the vault and the mint
//! of that side must all belong to it. The mints' extensions are screened by
//! `token_account::check_mint`; a transfer fee shows up as a smaller measured delta.

use anchor_lang::prelude::*;

use super::{check_any_token_program, check_key, positions, HopPlan};
use crate::token_account::{self, pubkey_at};
use crate::{ArbError, Venue};

/// The mainnet deployment, pinned.
pub const PROGRAM_IDS: [Pubkey; 1] = [pubkey!("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C")];

/// Seed of the PDA that owns every pool's vaults (`AUTH_SEED`), with the pool state's `auth_bump`.
pub const AUTH_SEED: &[u8] = b"vault_and_lp_mint_auth_seed";

/// Block size: program + 13 swap accounts.
pub const ACCOUNTS: usize = 14;
pub const PAYER: usize = 1;
pub const AUTHORITY: usize = 2;
pub const AMM_CONFIG: usize = 3;
pub const POOL_STATE: usize = 4;
pub const INPUT_TOKEN_ACCOUNT: usize = 5;
pub const OUTPUT_TOKEN_ACCOUNT: usize = 6;
pub const INPUT_VAULT: usize = 7;
pub const OUTPUT_VAULT: usize = 8;
pub const INPUT_TOKEN_PROGRAM: usize = 9;
pub const OUTPUT_TOKEN_PROGRAM: usize = 10;
pub const INPUT_TOKEN_MINT: usize = 11;
pub const OUTPUT_TOKEN_MINT: usize = 12;
pub const OBSERVATION_STATE: usize = 13;

/// What `swap_base_input` writes: the pool state (fee counters), the user's two accounts, both
/// vaults and the observation. Payer, vault authority, config, token programs and mints are read only.
pub const WRITABLE: u32 = positions(&[
    POOL_STATE,
    INPUT_TOKEN_ACCOUNT,
    OUTPUT_TOKEN_ACCOUNT,
    INPUT_VAULT,
    OUTPUT_VAULT,
    OBSERVATION_STATE,
]);

/// `sha256("global:swap_base_input")[..8]`.
pub const SWAP_BASE_INPUT_DISCRIMINATOR: [u8; 8] = [0x8f, 0xbe, 0x5a, 0xda, 0xc4, 0x1e, 0x33, 0xde];

/// `PoolState` offsets (`#[repr(C, packed)]` zero-copy account).
pub mod layout {
    pub const LEN: usize = 637;
    /// `sha256("account:PoolState")[..8]`.
    pub const DISCRIMINATOR: [u8; 8] = [0xf7, 0xed, 0xe3, 0xf5, 0xd7, 0xc3, 0xde, 0x46];
    pub const AMM_CONFIG: usize = 8;
    pub const POOL_CREATOR: usize = 40;
    pub const TOKEN_0_VAULT: usize = 72;
    pub const TOKEN_1_VAULT: usize = 104;
    pub const LP_MINT: usize = 136;
    pub const TOKEN_0_MINT: usize = 168;
    pub const TOKEN_1_MINT: usize = 200;
    pub const TOKEN_0_PROGRAM: usize = 232;
    pub const TOKEN_1_PROGRAM: usize = 264;
    pub const OBSERVATION_KEY: usize = 296;
    pub const AUTH_BUMP: usize = 328;
    pub const STATUS: usize = 329;
    pub const LP_MINT_DECIMALS: usize = 330;
    pub const MINT_0_DECIMALS: usize = 331;
    pub const MINT_1_DECIMALS: usize = 332;
    pub const LP_SUPPLY: usize = 333;
    pub const PROTOCOL_FEES_TOKEN_0: usize = 341;
    pub const PROTOCOL_FEES_TOKEN_1: usize = 349;
    pub const FUND_FEES_TOKEN_0: usize = 357;
    pub const FUND_FEES_TOKEN_1: usize = 365;
    pub const OPEN_TIME: usize = 373;
    pub const RECENT_EPOCH: usize = 381;
    pub const CREATOR_FEE_ON: usize = 389;
    pub const ENABLE_CREATOR_FEE: usize = 390;
    pub const CREATOR_FEES_TOKEN_0: usize = 397;
    pub const CREATOR_FEES_TOKEN_1: usize = 405;
}

/// `AmmConfig` offsets (borsh).
pub mod config_layout {
    pub const LEN: usize = 236;
    /// `sha256("account:AmmConfig")[..8]`.
    pub const DISCRIMINATOR: [u8; 8] = [0xda, 0xf4, 0x21, 0x68, 0xcb, 0xcb, 0x2b, 0x6f];
    pub const BUMP: usize = 8;
    pub const DISABLE_CREATE_POOL: usize = 9;
    pub const INDEX: usize = 10;
    pub const TRADE_FEE_RATE: usize = 12;
    pub const PROTOCOL_FEE_RATE: usize = 20;
    pub const FUND_FEE_RATE: usize = 28;
    pub const CREATE_POOL_FEE: usize = 36;
    pub const PROTOCOL_OWNER: usize = 44;
    pub const FUND_OWNER: usize = 76;
    pub const CREATOR_FEE_RATE: usize = 108;
}

/// `ObservationState`: 8-byte discriminator, then `initialized`, `observation_index`, `pool_id`,
/// 100 observations of 40 bytes, padding.
pub mod observation_layout {
    pub const LEN: usize = 4075;
    /// `sha256("account:ObservationState")[..8]`.
    pub const DISCRIMINATOR: [u8; 8] = [0x7a, 0xae, 0xc5, 0x35, 0x81, 0x09, 0xa5, 0x84];
    pub const POOL_ID: usize = 11;
}

/// `discriminator ‖ amount_in u64 ‖ minimum_amount_out u64` (the route measures the output; zero).
pub fn swap_data(amount_in: u64, _a_to_b: bool) -> Vec<u8> {
    let mut d = Vec::with_capacity(24);
    d.extend_from_slice(&SWAP_BASE_INPUT_DISCRIMINATOR);
    d.extend_from_slice(&amount_in.to_le_bytes());
    d.extend_from_slice(&0u64.to_le_bytes());
    d
}

pub fn plan<'a, 'info>(
    block: &'a [AccountInfo<'info>],
    a_to_b: bool,
    authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    require!(block.len() == ACCOUNTS, ArbError::AccountCountMismatch);
    let program = block[0].key;
    let pool = &block[POOL_STATE];
    require_keys_eq!(*pool.owner, *program, ArbError::PoolNotOwnedByVenue);
    let data = pool.try_borrow_data()?;
    require!(
        data.len() == layout::LEN && data[..8] == layout::DISCRIMINATOR,
        ArbError::InvalidPoolData
    );
    require_keys_eq!(*block[PAYER].key, *authority, ArbError::AuthorityMismatch);

    // The config sets the fees: only the one the pool names, and only the venue's own account.
    let config = &block[AMM_CONFIG];
    check_key(config, &pubkey_at(&data, layout::AMM_CONFIG))?;
    require_keys_eq!(*config.owner, *program, ArbError::PoolNotOwnedByVenue);
    let vault_authority =
        Pubkey::create_program_address(&[AUTH_SEED, &[data[layout::AUTH_BUMP]]], program)
            .map_err(|_| ArbError::InvalidPoolData)?;
    check_key(&block[AUTHORITY], &vault_authority)?;
    check_key(
        &block[OBSERVATION_STATE],
        &pubkey_at(&data, layout::OBSERVATION_KEY),
    )?;

    let side = |vault: usize, mint: usize, token_program: usize| {
        (
            pubkey_at(&data, vault),
            pubkey_at(&data, mint),
            pubkey_at(&data, token_program),
        )
    };
    let zero = side(
        layout::TOKEN_0_VAULT,
        layout::TOKEN_0_MINT,
        layout::TOKEN_0_PROGRAM,
    );
    let one = side(
        layout::TOKEN_1_VAULT,
        layout::TOKEN_1_MINT,
        layout::TOKEN_1_PROGRAM,
    );
    let (input, output) = if a_to_b { (zero, one) } else { (one, zero) };
    for ((vault, mint, token_program), at) in [
        (
            input,
            [
                INPUT_VAULT,
                INPUT_TOKEN_MINT,
                INPUT_TOKEN_PROGRAM,
                INPUT_TOKEN_ACCOUNT,
            ],
        ),
        (
            output,
            [
                OUTPUT_VAULT,
                OUTPUT_TOKEN_MINT,
                OUTPUT_TOKEN_PROGRAM,
                OUTPUT_TOKEN_ACCOUNT,
            ],
        ),
    ] {
        let [v, m, p, user] = at;
        check_key(&block[v], &vault)?;
        check_key(&block[m], &mint)?;
        check_any_token_program(&block[p], &token_program)?;
        // The side's user account, vault and mint all belong to the side's token program.
        for i in [v, m, user] {
            require_keys_eq!(
                *block[i].owner,
                token_program,
                ArbError::TokenProgramMismatch
            );
        }
        token_account::check_mint(&block[m])?;
    }

    Ok(HopPlan {
        venue: Venue::RaydiumCpmm,
        block,
        source: INPUT_TOKEN_ACCOUNT,
        destination: OUTPUT_TOKEN_ACCOUNT,
        authority: PAYER,
        writable: WRITABLE,
        programs: positions(&[INPUT_TOKEN_PROGRAM, OUTPUT_TOKEN_PROGRAM]),
        market_program: None,
        pool: *pool.key,
        mint_in: input.1,
        mint_out: output.1,
        a_to_b,
    })
}
