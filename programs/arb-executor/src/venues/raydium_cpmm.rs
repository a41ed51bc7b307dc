//! Raydium CPMM (CP-Swap) `swap_base_input`. Not written yet: every hop naming this venue is refused.

use anchor_lang::prelude::*;

use super::HopPlan;
use crate::ArbError;

/// The programs that run this interface, pinned by id.
pub const PROGRAM_IDS: [Pubkey; 1] = [pubkey!("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C")];

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
