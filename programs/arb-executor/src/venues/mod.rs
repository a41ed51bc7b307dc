//! Hop adapters: each checks its block of accounts against the venue's pool state and encodes the
//! venue's own swap instruction. Per-hop minimum outputs are left at zero on purpose: the route
//! measures what each hop really took and delivered, and the final balance check is the profit guard.
//!
//! Venue programs are pinned by id (see each adapter's `PROGRAM_IDS`); pools, vaults and every other
//! account in a block are untrusted and are screened by `HopPlan::screen`.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::{
    instruction::{AccountMeta, Instruction},
    program::invoke,
};

use crate::{token_account, ArbError, RouteHop, Venue};

pub mod meteora_dlmm;
pub mod orca_whirlpool;
pub mod orca_whirlpool_v2;
pub mod raydium_amm_v4;
pub mod raydium_clmm;
pub mod raydium_cpmm;
pub mod spl_token_swap;

/// A checked hop, ready to execute.
pub struct HopPlan<'a, 'info> {
    pub venue: Venue,
    /// The hop's block: venue program first, then its swap accounts.
    pub block: &'a [AccountInfo<'info>],
    /// Positions of the user's source and destination token accounts inside `block`.
    pub source: usize,
    pub destination: usize,
    /// Position of the user transfer authority (the route authority) inside `block`.
    pub authority: usize,
    /// Positions (bit `i` = `block[i]`) the venue's swap instruction takes writable.
    pub writable: u32,
    /// Positions where the venue's swap names a program it calls (SPL Token, Raydium's market
    /// program); no other account of the block may be executable.
    pub programs: u32,
    /// A program, besides the venue and SPL Token, whose accounts the venue takes writable
    /// (Raydium's market program).
    pub market_program: Option<Pubkey>,
    pub pool: Pubkey,
    pub mint_in: Pubkey,
    pub mint_out: Pubkey,
    pub a_to_b: bool,
}

/// Bit mask of block positions.
pub(crate) const fn positions(list: &[usize]) -> u32 {
    let mut mask = 0u32;
    let mut i = 0;
    while i < list.len() {
        mask |= 1 << list[i];
        i += 1;
    }
    mask
}

impl<'a, 'info> HopPlan<'a, 'info> {
    pub fn source_info(&self) -> &'a AccountInfo<'info> {
        &self.block[self.source]
    }

    pub fn destination_info(&self) -> &'a AccountInfo<'info> {
        &self.block[self.destination]
    }

    /// Whether the venue gets `block[i]` writable: only where its interface writes, only if the
    /// transaction made it writable, and never the authority (so no venue can debit its lamports).
    pub fn cpi_writable(&self, i: usize) -> bool {
        i != self.authority && self.writable & (1 << i) != 0 && self.block[i].is_writable
    }

    /// The venue instruction swapping exactly `amount_in`. The authority is the only signer passed
    /// on (another signer of the transaction, such as a separate fee payer, lends the venue nothing).
    pub fn instruction(&self, amount_in: u64) -> Instruction {
        let data = match self.venue {
            Venue::SplTokenSwap => spl_token_swap::swap_data(amount_in, 0).to_vec(),
            Venue::RaydiumAmmV4 => raydium_amm_v4::swap_base_in_data(amount_in, 0).to_vec(),
            Venue::OrcaWhirlpool => orca_whirlpool::swap_data(amount_in, 0, self.a_to_b).to_vec(),
            Venue::RaydiumCpmm => raydium_cpmm::swap_data(amount_in, self.a_to_b),
            Venue::RaydiumClmm => raydium_clmm::swap_data(amount_in, self.a_to_b),
            Venue::MeteoraDlmm => meteora_dlmm::swap_data(amount_in, self.a_to_b),
            Venue::OrcaWhirlpoolV2 => orca_whirlpool_v2::swap_data(amount_in, self.a_to_b),
        };
        Instruction {
            program_id: *self.block[0].key,
            accounts: (1..self.block.len())
                .map(|i| AccountMeta {
                    pubkey: *self.block[i].key,
                    is_signer: i == self.authority,
                    is_writable: self.cpi_writable(i),
                })
                .collect(),
            data,
        }
    }

    /// Whether the venue's swap moves tokens through Token-2022 (so its accounts, vaults and mints may
    /// be Token-2022's). Everywhere else a Token-2022 account is `Token2022NotSupported`.
    pub fn accepts_token_2022(&self) -> bool {
        matches!(self.venue, Venue::RaydiumCpmm | Venue::OrcaWhirlpoolV2)
    }

    /// Whether `owner` is a token program this hop's venue transfers through.
    pub fn is_token_program(&self, owner: &Pubkey) -> bool {
        *owner == token_account::TOKEN_PROGRAM_ID
            || (self.accepts_token_2022() && *owner == token_account::TOKEN_2022_PROGRAM_ID)
    }

    pub fn invoke(&self, amount_in: u64) -> Result<()> {
        invoke(&self.instruction(amount_in), self.block).map_err(Into::into)
    }

    /// Checks every account of the block outside the user positions before anything runs: none is
    /// the authority, a route token account (`route_accounts`), this program, a program the venue's
    /// swap does not call (a venue can only invoke programs among its accounts, so this bounds what
    /// the authority's signature can reach to the token programs and the pinned market program), a
    /// Token-2022 account where the venue does not use Token-2022, or a token account, mint or
    /// multisig the authority controls; and every account the venue gets writable is owned by the
    /// venue, a token program it uses or the pool's market program (or is an empty system account).
    pub fn screen(&self, authority: &Pubkey, route_accounts: &[Pubkey]) -> Result<()> {
        let venue = self.block[0].key;
        for (i, info) in self.block.iter().enumerate().skip(1) {
            if i == self.authority || i == self.source || i == self.destination {
                continue;
            }
            require_keys_neq!(*info.key, *authority, ArbError::AuthorityMisplaced);
            require!(
                !route_accounts.contains(info.key),
                ArbError::UserAccountMisplaced
            );
            require_keys_neq!(*info.key, crate::ID, ArbError::ExecutorInVenueBlock);
            require!(
                !info.executable || self.programs & (1 << i) != 0,
                ArbError::ProgramInVenueBlock
            );
            require!(
                *info.owner != token_account::TOKEN_2022_PROGRAM_ID || self.accepts_token_2022(),
                ArbError::Token2022NotSupported
            );
            if self.is_token_program(info.owner) {
                require!(
                    !token_account::controlled_by(info, authority)?,
                    ArbError::AuthorityControlledAccount
                );
            }
            if self.cpi_writable(i) {
                let empty = *info.owner == token_account::SYSTEM_PROGRAM_ID
                    && info.lamports() == 0
                    && info.data_is_empty();
                require!(
                    *info.owner == *venue
                        || self.is_token_program(info.owner)
                        || Some(*info.owner) == self.market_program
                        || empty,
                    ArbError::UnexpectedWritableAccount
                );
            }
        }
        Ok(())
    }
}

/// Whether `program` is a pinned deployment of `venue`.
pub fn is_pinned(venue: Venue, program: &Pubkey) -> bool {
    match venue {
        Venue::SplTokenSwap => spl_token_swap::PROGRAM_IDS.contains(program),
        Venue::RaydiumAmmV4 => raydium_amm_v4::PROGRAM_IDS.contains(program),
        Venue::OrcaWhirlpool => *program == orca_whirlpool::PROGRAM_ID,
        Venue::RaydiumCpmm => raydium_cpmm::PROGRAM_IDS.contains(program),
        Venue::RaydiumClmm => raydium_clmm::PROGRAM_IDS.contains(program),
        Venue::MeteoraDlmm => meteora_dlmm::PROGRAM_IDS.contains(program),
        Venue::OrcaWhirlpoolV2 => orca_whirlpool_v2::PROGRAM_IDS.contains(program),
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
    // Only the pinned program ids: a program anyone deployed never receives the authority's
    // signature.
    require!(
        is_pinned(hop.venue, program.key),
        ArbError::UnknownVenueProgram
    );
    require!(program.executable, ArbError::VenueProgramNotExecutable);
    match hop.venue {
        Venue::SplTokenSwap => spl_token_swap::plan(block, hop.a_to_b, authority),
        Venue::RaydiumAmmV4 => raydium_amm_v4::plan(block, hop.a_to_b, authority),
        Venue::OrcaWhirlpool => orca_whirlpool::plan(block, hop.a_to_b, authority),
        Venue::RaydiumCpmm => raydium_cpmm::plan(block, hop.a_to_b, authority),
        Venue::RaydiumClmm => raydium_clmm::plan(block, hop.a_to_b, authority),
        Venue::MeteoraDlmm => meteora_dlmm::plan(block, hop.a_to_b, authority),
        Venue::OrcaWhirlpoolV2 => orca_whirlpool_v2::plan(block, hop.a_to_b, authority),
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

/// A token program position where the venue takes SPL Token or Token-2022 (whichever the pool state
/// names for that side).
pub(crate) fn check_any_token_program(info: &AccountInfo, expected: &Pubkey) -> Result<()> {
    require!(
        *expected == crate::token_account::TOKEN_PROGRAM_ID
            || *expected == crate::token_account::TOKEN_2022_PROGRAM_ID,
        ArbError::TokenProgramMismatch
    );
    require_keys_eq!(*info.key, *expected, ArbError::TokenProgramMismatch);
    Ok(())
}

pub(crate) fn check_key(info: &AccountInfo, expected: &Pubkey) -> Result<()> {
    require_keys_eq!(*info.key, *expected, ArbError::PoolAccountMismatch);
    Ok(())
}

#[cfg(test)]
mod tests;
