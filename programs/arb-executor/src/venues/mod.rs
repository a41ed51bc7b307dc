//! Hop adapters: each checks its block of accounts against the venue's pool state and encodes the
//! venue's own swap instruction. Per-hop minimum outputs are left at zero on purpose: the route's
//! final balance check is the one guard, and it sees what each hop really delivered.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::{
    instruction::{AccountMeta, Instruction},
    program::invoke,
};

use crate::{ArbError, RouteHop, Venue};

pub mod orca_whirlpool;
pub mod raydium_amm_v4;
pub mod spl_token_swap;

/// A checked hop, ready to execute.
pub struct HopPlan<'a, 'info> {
    pub venue: Venue,
    /// The hop's block: venue program first, then its swap accounts.
    pub block: &'a [AccountInfo<'info>],
    /// Positions of the user's source and destination token accounts inside `block`.
    pub source: usize,
    pub destination: usize,
    pub pool: Pubkey,
    pub mint_in: Pubkey,
    pub mint_out: Pubkey,
    pub a_to_b: bool,
}

impl<'info> HopPlan<'_, 'info> {
    pub fn source_info(&self) -> &AccountInfo<'info> {
        &self.block[self.source]
    }

    pub fn destination_info(&self) -> &AccountInfo<'info> {
        &self.block[self.destination]
    }

    /// The venue instruction swapping exactly `amount_in`; account flags are passed through as the
    /// transaction set them.
    pub fn instruction(&self, amount_in: u64) -> Instruction {
        let data = match self.venue {
            Venue::SplTokenSwap => spl_token_swap::swap_data(amount_in, 0).to_vec(),
            Venue::RaydiumAmmV4 => raydium_amm_v4::swap_base_in_data(amount_in, 0).to_vec(),
            Venue::OrcaWhirlpool => orca_whirlpool::swap_data(amount_in, 0, self.a_to_b).to_vec(),
        };
        Instruction {
            program_id: *self.block[0].key,
            accounts: self.block[1..]
                .iter()
                .map(|a| AccountMeta {
                    pubkey: *a.key,
                    is_signer: a.is_signer,
                    is_writable: a.is_writable,
                })
                .collect(),
            data,
        }
    }

    pub fn invoke(&self, amount_in: u64) -> Result<()> {
        invoke(&self.instruction(amount_in), self.block).map_err(Into::into)
    }
}

/// Checks a hop's block and returns its plan. `block` is exactly `hop.num_accounts` long.
pub fn plan<'a, 'info>(
    hop: &RouteHop,
    block: &'a [AccountInfo<'info>],
    authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    require!(!block.is_empty(), ArbError::AccountCountMismatch);
    let program = &block[0];
    require!(program.executable, ArbError::VenueProgramNotExecutable);
    // Neither this program nor the token program can be a pool program.
    require!(
        *program.key != crate::ID && *program.key != crate::token_account::TOKEN_PROGRAM_ID,
        ArbError::UnknownVenueProgram
    );
    match hop.venue {
        Venue::SplTokenSwap => spl_token_swap::plan(block, hop.a_to_b, authority),
        Venue::RaydiumAmmV4 => raydium_amm_v4::plan(block, hop.a_to_b, authority),
        Venue::OrcaWhirlpool => orca_whirlpool::plan(block, hop.a_to_b, authority),
    }
}

pub(crate) fn check_token_program(info: &AccountInfo) -> Result<()> {
    require_keys_eq!(
        *info.key,
        crate::token_account::TOKEN_PROGRAM_ID,
        ArbError::TokenProgramMismatch
    );
    Ok(())
}

pub(crate) fn check_key(info: &AccountInfo, expected: &Pubkey) -> Result<()> {
    require_keys_eq!(*info.key, *expected, ArbError::PoolAccountMismatch);
    Ok(())
}

#[cfg(test)]
mod tests;
