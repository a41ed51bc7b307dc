//! Meteora DLMM (LB CLMM, `lb_clmm` 0.10.1) `swap`, exact input, and the `LbPair` / `BinArray` layouts
//! (904 and 10,136 bytes, 8-byte Anchor discriminators).
//!
//! Block: 0 program, then `swap`'s accounts in the program's order: 1 lb_pair, 2 bin array bitmap
//! extension (or the DLMM program id for none), 3 reserve X, 4 reserve Y, 5 user token in, 6 user token
//! out, 7 token X mint, 8 token Y mint, 9 oracle, 10 host fee account (always the DLMM program id: none),
//! 11 user (= `authority`), 12 token X program, 13 token Y program, 14 event authority PDA, 15 the DLMM
//! program (event self-CPI), then 1–8 bin arrays in the order the swap walks them.
//! `a_to_b` = X in (the program's `swap_for_y`).

use anchor_lang::prelude::*;

use super::{check_key, check_token_program, positions, HopPlan};
use crate::token_account::pubkey_at;
use crate::{ArbError, Venue};

/// The programs that run this interface, pinned by id.
pub const PROGRAM_IDS: [Pubkey; 1] = [pubkey!("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo")];
/// `find_program_address(["__event_authority"], PROGRAM_IDS[0])`: Anchor's event-CPI authority.
pub const EVENT_AUTHORITY: Pubkey = pubkey!("D1ZN9Wj1fRSUQfCjhvnu1hqDMT7hzjzBBpi12nVniYD6");

pub const LB_PAIR: usize = 1;
pub const BITMAP_EXTENSION: usize = 2;
pub const RESERVE_X: usize = 3;
pub const RESERVE_Y: usize = 4;
pub const USER_TOKEN_IN: usize = 5;
pub const USER_TOKEN_OUT: usize = 6;
pub const TOKEN_X_MINT: usize = 7;
pub const TOKEN_Y_MINT: usize = 8;
pub const ORACLE: usize = 9;
pub const HOST_FEE_IN: usize = 10;
pub const USER: usize = 11;
pub const TOKEN_X_PROGRAM: usize = 12;
pub const TOKEN_Y_PROGRAM: usize = 13;
pub const EVENT_AUTHORITY_POS: usize = 14;
pub const PROGRAM: usize = 15;
pub const FIRST_BIN_ARRAY: usize = 16;
pub const MAX_BIN_ARRAYS: usize = 8;
/// Block sizes: 17 (one bin array) to 24.
pub const MIN_ACCOUNTS: usize = FIRST_BIN_ARRAY + 1;
pub const MAX_ACCOUNTS: usize = FIRST_BIN_ARRAY + MAX_BIN_ARRAYS;

/// What `swap` writes: the pair, both reserves, the user's two accounts, the oracle and the bin arrays.
/// The bitmap extension, mints, host-fee placeholder, user, programs and event authority are read only.
pub const WRITABLE: u32 = positions(&[
    LB_PAIR,
    RESERVE_X,
    RESERVE_Y,
    USER_TOKEN_IN,
    USER_TOKEN_OUT,
    ORACLE,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
]);
/// Executable accounts `swap` takes: the token programs, the DLMM program for its event self-CPI, and
/// the DLMM program id standing for "no account" at the two optional positions (checked in `plan`).
pub const PROGRAMS: u32 = positions(&[
    BITMAP_EXTENSION,
    HOST_FEE_IN,
    TOKEN_X_PROGRAM,
    TOKEN_Y_PROGRAM,
    PROGRAM,
]);

/// `sha256("global:swap")[..8]`.
pub const SWAP_DISCRIMINATOR: [u8; 8] = [0xf8, 0xc6, 0x9e, 0x91, 0xe1, 0x75, 0x87, 0xc8];

pub mod layout {
    pub const LB_PAIR_LEN: usize = 904;
    /// `sha256("account:LbPair")[..8]`.
    pub const LB_PAIR_DISCRIMINATOR: [u8; 8] = [0x21, 0x0b, 0x31, 0x62, 0xb5, 0x65, 0xb1, 0x0d];
    pub const TOKEN_X_MINT: usize = 88;
    pub const TOKEN_Y_MINT: usize = 120;
    pub const RESERVE_X: usize = 152;
    pub const RESERVE_Y: usize = 184;
    pub const ORACLE: usize = 552;
    pub const BIN_ARRAY_LEN: usize = 10_136;
    /// `sha256("account:BinArray")[..8]`.
    pub const BIN_ARRAY_DISCRIMINATOR: [u8; 8] = [0x5c, 0x8e, 0x5c, 0xdc, 0x05, 0x94, 0x46, 0xb5];
    pub const BIN_ARRAY_LB_PAIR: usize = 24;
}

/// `discriminator ‖ amount_in u64 ‖ min_amount_out u64` (24 bytes); the minimum is 0 (the route measures
/// what the hop delivered).
pub fn swap_data(amount_in: u64, _a_to_b: bool) -> Vec<u8> {
    let mut d = Vec::with_capacity(24);
    d.extend_from_slice(&SWAP_DISCRIMINATOR);
    d.extend_from_slice(&amount_in.to_le_bytes());
    d.extend_from_slice(&0u64.to_le_bytes());
    d
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
    let program = *block[0].key;
    let pool = &block[LB_PAIR];
    require_keys_eq!(*pool.owner, program, ArbError::PoolNotOwnedByVenue);
    let data = pool.try_borrow_data()?;
    require!(
        data.len() == layout::LB_PAIR_LEN && data[..8] == layout::LB_PAIR_DISCRIMINATOR,
        ArbError::InvalidPoolData
    );
    let (mint_x, mint_y) = (
        pubkey_at(&data, layout::TOKEN_X_MINT),
        pubkey_at(&data, layout::TOKEN_Y_MINT),
    );
    check_key(&block[RESERVE_X], &pubkey_at(&data, layout::RESERVE_X))?;
    check_key(&block[RESERVE_Y], &pubkey_at(&data, layout::RESERVE_Y))?;
    check_key(&block[TOKEN_X_MINT], &mint_x)?;
    check_key(&block[TOKEN_Y_MINT], &mint_y)?;
    check_key(&block[ORACLE], &pubkey_at(&data, layout::ORACLE))?;
    require_keys_eq!(*block[USER].key, *authority, ArbError::AuthorityMismatch);
    check_token_program(&block[TOKEN_X_PROGRAM])?;
    check_token_program(&block[TOKEN_Y_PROGRAM])?;
    check_key(&block[EVENT_AUTHORITY_POS], &EVENT_AUTHORITY)?;
    check_key(&block[PROGRAM], &program)?;
    // No host fee account: part of the protocol fee would go to an account of the caller's choosing.
    check_key(&block[HOST_FEE_IN], &program)?;
    // The bitmap extension is the program id (none) or one of the venue's accounts (the venue checks it
    // belongs to the pair).
    let extension = &block[BITMAP_EXTENSION];
    if *extension.key != program {
        require_keys_eq!(*extension.owner, program, ArbError::PoolNotOwnedByVenue);
        require!(!extension.executable, ArbError::ProgramInVenueBlock);
    }
    for bin_array in &block[FIRST_BIN_ARRAY..] {
        require_keys_eq!(*bin_array.owner, program, ArbError::PoolNotOwnedByVenue);
        let d = bin_array.try_borrow_data()?;
        require!(
            d.len() == layout::BIN_ARRAY_LEN
                && d[..8] == layout::BIN_ARRAY_DISCRIMINATOR
                && pubkey_at(&d, layout::BIN_ARRAY_LB_PAIR) == *pool.key,
            ArbError::PoolAccountMismatch
        );
    }

    let (mint_in, mint_out) = if a_to_b {
        (mint_x, mint_y)
    } else {
        (mint_y, mint_x)
    };
    Ok(HopPlan {
        venue: Venue::MeteoraDlmm,
        block,
        source: USER_TOKEN_IN,
        destination: USER_TOKEN_OUT,
        authority: USER,
        writable: WRITABLE & ((1u32 << block.len()) - 1),
        programs: PROGRAMS,
        market_program: None,
        pool: *pool.key,
        mint_in,
        mint_out,
        a_to_b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::hash::hash;

    fn discriminator(preimage: &str) -> [u8; 8] {
        hash(preimage.as_bytes()).to_bytes()[..8]
            .try_into()
            .unwrap()
    }

    #[test]
    fn constants_are_derived_from_the_program() {
        assert_eq!(SWAP_DISCRIMINATOR, discriminator("global:swap"));
        assert_eq!(
            layout::LB_PAIR_DISCRIMINATOR,
            discriminator("account:LbPair")
        );
        assert_eq!(
            layout::BIN_ARRAY_DISCRIMINATOR,
            discriminator("account:BinArray")
        );
        let (pda, _) = Pubkey::find_program_address(&[b"__event_authority"], &PROGRAM_IDS[0]);
        assert_eq!(pda, EVENT_AUTHORITY);
    }

    #[test]
    fn swap_data_is_exact_input_with_no_minimum() {
        let d = swap_data(123_456_789, true);
        assert_eq!(d.len(), 24);
        assert_eq!(d[..8], SWAP_DISCRIMINATOR);
        assert_eq!(d[8..16], 123_456_789u64.to_le_bytes());
        assert_eq!(d[16..], [0u8; 8]);
        assert_eq!(swap_data(1, false)[8..], swap_data(1, true)[8..]);
    }

    #[test]
    fn writable_and_program_positions() {
        for i in [
            LB_PAIR,
            RESERVE_X,
            RESERVE_Y,
            USER_TOKEN_IN,
            USER_TOKEN_OUT,
            ORACLE,
        ] {
            assert!(WRITABLE & (1 << i) != 0, "{i}");
        }
        for i in FIRST_BIN_ARRAY..MAX_ACCOUNTS {
            assert!(WRITABLE & (1 << i) != 0, "bin array {i}");
        }
        for i in [
            BITMAP_EXTENSION,
            TOKEN_X_MINT,
            TOKEN_Y_MINT,
            HOST_FEE_IN,
            USER,
            TOKEN_X_PROGRAM,
            TOKEN_Y_PROGRAM,
            EVENT_AUTHORITY_POS,
            PROGRAM,
        ] {
            assert!(WRITABLE & (1 << i) == 0, "{i} is read only");
        }
        assert_eq!(WRITABLE >> MAX_ACCOUNTS, 0);
        assert_eq!(
            PROGRAMS,
            (1 << BITMAP_EXTENSION)
                | (1 << HOST_FEE_IN)
                | (1 << TOKEN_X_PROGRAM)
                | (1 << TOKEN_Y_PROGRAM)
                | (1 << PROGRAM)
        );
    }
}
