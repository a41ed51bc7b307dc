//! The `Swap` instruction: tag 1, then `amount_in: u64`, `minimum_amount_out: u64` (little-endian).
//!
//! Accounts, in token-swap order:
//! 0 pool (state), 1 pool authority (program address), 2 user transfer authority (signer),
//! 3 user source (w), 4 pool source vault (w), 5 pool destination vault (w), 6 user destination (w),
//! 7 pool mint (w), 8 pool fee account (w), 9 token program, [10 host fee account, ignored].

use solana_program::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction},
    program::{invoke, invoke_signed},
    program_error::ProgramError,
    pubkey::Pubkey,
};

use crate::{curve, error::CpSwapError, state, TOKEN_PROGRAM_ID};

/// Instruction tag of `Swap` in the token-swap instruction set.
pub const SWAP_TAG: u8 = 1;
/// SPL Token `Transfer` instruction tag.
const TOKEN_TRANSFER_TAG: u8 = 3;
/// SPL Token account: size, and offsets of the fields read here.
const TOKEN_ACCOUNT_LEN: usize = 165;
const TOKEN_AMOUNT_OFFSET: usize = 64;
const TOKEN_STATE_OFFSET: usize = 108;

/// Encodes a `Swap` instruction's data.
pub fn swap_data(amount_in: u64, minimum_amount_out: u64) -> [u8; 17] {
    let mut d = [0u8; 17];
    d[0] = SWAP_TAG;
    d[1..9].copy_from_slice(&amount_in.to_le_bytes());
    d[9..17].copy_from_slice(&minimum_amount_out.to_le_bytes());
    d
}

pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    match data.split_first() {
        Some((&SWAP_TAG, rest)) if rest.len() == 16 => {
            let amount_in = u64::from_le_bytes(rest[0..8].try_into().expect("8 bytes"));
            let minimum_amount_out = u64::from_le_bytes(rest[8..16].try_into().expect("8 bytes"));
            process_swap(program_id, accounts, amount_in, minimum_amount_out)
        }
        _ => Err(CpSwapError::InvalidInstruction.into()),
    }
}

fn token_amount(info: &AccountInfo) -> Result<u64, ProgramError> {
    if *info.owner != TOKEN_PROGRAM_ID {
        return Err(CpSwapError::InvalidTokenAccount.into());
    }
    let data = info.try_borrow_data()?;
    if data.len() != TOKEN_ACCOUNT_LEN || data[TOKEN_STATE_OFFSET] != 1 {
        return Err(CpSwapError::InvalidTokenAccount.into());
    }
    Ok(u64::from_le_bytes(
        data[TOKEN_AMOUNT_OFFSET..TOKEN_AMOUNT_OFFSET + 8]
            .try_into()
            .expect("8 bytes"),
    ))
}

fn transfer_ix(
    source: &Pubkey,
    destination: &Pubkey,
    authority: &Pubkey,
    amount: u64,
) -> Instruction {
    let mut data = vec![TOKEN_TRANSFER_TAG];
    data.extend_from_slice(&amount.to_le_bytes());
    Instruction {
        program_id: TOKEN_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        data,
    }
}

fn process_swap(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    amount_in: u64,
    minimum_amount_out: u64,
) -> ProgramResult {
    let [pool, pool_authority, user_authority, source, swap_source, swap_destination, destination, pool_mint, fee_account, token_program, ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    if pool.owner != program_id {
        return Err(CpSwapError::InvalidPool.into());
    }
    let st = state::SwapV1::unpack(&pool.try_borrow_data()?).ok_or(CpSwapError::InvalidPool)?;
    if !st.is_initialized {
        return Err(CpSwapError::InvalidPool.into());
    }
    if st.curve_type != state::CONSTANT_PRODUCT {
        return Err(CpSwapError::UnsupportedCurve.into());
    }
    if state::authority(program_id, pool.key, st.bump_seed) != Some(*pool_authority.key) {
        return Err(CpSwapError::InvalidAuthority.into());
    }
    let vaults = (*swap_source.key, *swap_destination.key);
    if vaults != (st.token_a, st.token_b) && vaults != (st.token_b, st.token_a) {
        return Err(CpSwapError::IncorrectSwapAccount.into());
    }
    if source.key == swap_source.key || destination.key == swap_destination.key {
        return Err(CpSwapError::InvalidInput.into());
    }
    if *pool_mint.key != st.pool_mint
        || *fee_account.key != st.pool_fee_account
        || *token_program.key != st.token_program_id
    {
        return Err(CpSwapError::IncorrectPoolAccount.into());
    }
    if !user_authority.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }

    let result = curve::swap(
        u128::from(amount_in),
        u128::from(token_amount(swap_source)?),
        u128::from(token_amount(swap_destination)?),
        &st.fees,
    )
    .ok_or(CpSwapError::ZeroTradingTokens)?;
    let amount_in_swapped =
        u64::try_from(result.source_amount_swapped).map_err(|_| CpSwapError::ZeroTradingTokens)?;
    let amount_out = u64::try_from(result.destination_amount_swapped)
        .map_err(|_| CpSwapError::ZeroTradingTokens)?;
    if amount_out < minimum_amount_out {
        return Err(CpSwapError::ExceededSlippage.into());
    }

    invoke(
        &transfer_ix(
            source.key,
            swap_source.key,
            user_authority.key,
            amount_in_swapped,
        ),
        &[
            source.clone(),
            swap_source.clone(),
            user_authority.clone(),
            token_program.clone(),
        ],
    )?;
    invoke_signed(
        &transfer_ix(
            swap_destination.key,
            destination.key,
            pool_authority.key,
            amount_out,
        ),
        &[
            swap_destination.clone(),
            destination.clone(),
            pool_authority.clone(),
            token_program.clone(),
        ],
        &[&[pool.key.as_ref(), &[st.bump_seed]]],
    )?;
    Ok(())
}
