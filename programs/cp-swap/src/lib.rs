//! Constant-product AMM that speaks the SPL token-swap `Swap` instruction and keeps its pool state in
//! the SPL token-swap `SwapV1` layout, so a route adapter written for token-swap (and its forks) drives
//! it unchanged. The swap math is the token-swap constant-product curve with trade and owner fees.
//!
//! Scope: only `Swap` (tag 1) is implemented. Pools are created by writing a packed [`state::SwapV1`]
//! into an account owned by this program; liquidity-token minting (deposits, withdrawals, the owner fee
//! paid in pool tokens) is out of scope, so the owner fee simply stays in the pool's reserves.

pub mod curve;
pub mod error;
pub mod processor;
pub mod state;

solana_program::declare_id!("8nibkiSGk9L8P8NHvBTbmQv4J7pmKyhDBpgT3kuETc4b");

pub use processor::process_instruction;

/// The SPL Token program, the only token program pools may name.
pub const TOKEN_PROGRAM_ID: solana_program::pubkey::Pubkey =
    solana_program::pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");

#[cfg(all(target_os = "solana", not(feature = "no-entrypoint")))]
solana_program::entrypoint!(process_instruction);
