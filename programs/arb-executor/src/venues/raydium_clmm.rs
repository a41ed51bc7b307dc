//! Raydium CLMM (AMM v3) `swap_v2`, exact input. Not written yet: every hop naming this venue is refused.

use anchor_lang::prelude::*;

use super::HopPlan;
use crate::ArbError;

/// The programs that run this interface, pinned by id.
pub const PROGRAM_IDS: [Pubkey; 1] = [pubkey!("CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK")];

/// The venue's swap instruction data for exactly `amount_in`.
pub fn swap_data(_amount_in: u64, _a_to_b: bool) -> Vec<u8> {
    Vec::new()
}

pub fn plan<'a, 'info>(
    _block: &'a [AccountInfo<'info>],
    _a_to_b: bool,
    _authority: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    err!(ArbError::VenueNotSupported)
}
