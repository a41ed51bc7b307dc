//! Reads SPL Token accounts straight from account data, after checking the token program owns them
//! (data in an account owned by anyone else is not a token account, whatever it looks like).

use anchor_lang::prelude::*;

use crate::ArbError;

/// The SPL Token program.
pub const TOKEN_PROGRAM_ID: Pubkey = pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");

/// SPL Token account layout (spl-token `state::Account`, packed).
pub const LEN: usize = 165;
pub const MINT: usize = 0;
pub const OWNER: usize = 32;
pub const AMOUNT: usize = 64;
pub const STATE: usize = 108;
/// `AccountState::Initialized`; 0 is uninitialised, 2 frozen.
pub const STATE_INITIALIZED: u8 = 1;

/// The fields a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenState {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
}

pub(crate) fn pubkey_at(data: &[u8], offset: usize) -> Pubkey {
    let mut b = [0u8; 32];
    b.copy_from_slice(&data[offset..offset + 32]);
    Pubkey::new_from_array(b)
}

pub(crate) fn u64_at(data: &[u8], offset: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[offset..offset + 8]);
    u64::from_le_bytes(b)
}

/// Decodes a live SPL Token account.
pub fn read(info: &AccountInfo) -> Result<TokenState> {
    require_keys_eq!(
        *info.owner,
        TOKEN_PROGRAM_ID,
        ArbError::TokenAccountNotOwnedByTokenProgram
    );
    let data = info.try_borrow_data()?;
    require!(
        data.len() == LEN && data[STATE] == STATE_INITIALIZED,
        ArbError::InvalidTokenAccount
    );
    Ok(TokenState {
        mint: pubkey_at(&data, MINT),
        owner: pubkey_at(&data, OWNER),
        amount: u64_at(&data, AMOUNT),
    })
}

/// Decodes a token account and checks it belongs to `authority` and holds `mint`.
pub fn read_owned(info: &AccountInfo, authority: &Pubkey, mint: &Pubkey) -> Result<TokenState> {
    let t = read(info)?;
    require_keys_eq!(t.owner, *authority, ArbError::TokenOwnerMismatch);
    require_keys_eq!(t.mint, *mint, ArbError::MintMismatch);
    Ok(t)
}
