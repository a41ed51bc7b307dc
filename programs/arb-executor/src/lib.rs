//! `arb_executor`: executes a 2–4 hop swap route in one instruction and fails unless it was profitable.
//!
//! Interface (stable; clients encode against it):
//! - instruction `execute_route(amount_in: u64, min_profit: u64, hops: Vec<RouteHop>)`,
//!   `RouteHop { venue: Venue, num_accounts: u8, a_to_b: bool }`,
//!   `enum Venue { SplTokenSwap, RaydiumAmmV4, OrcaWhirlpool, RaydiumCpmm, RaydiumClmm, MeteoraDlmm,
//!   OrcaWhirlpoolV2 }` (a venue whose adapter is not written yet is `VenueNotSupported`).
//! - named accounts: `authority` (signer), `source_token` (writable SPL token account owned by
//!   `authority`; the route starts and ends here), `token_program` (SPL Token).
//! - `remaining_accounts`: one block of `num_accounts` accounts per hop, in hop order. Each block is the
//!   venue program followed by that program's own swap accounts in its own order; positions inside a
//!   block (0 = venue program):
//!   - `SplTokenSwap` (token-swap `Swap`, 11 or 12 accounts): 1 pool, 2 pool authority,
//!     3 user transfer authority (= `authority`), 4 user source, 5 pool source vault,
//!     6 pool destination vault, **7 user destination**, 8 pool mint, 9 pool fee account,
//!     10 token program, [11 host fee account]. `a_to_b` = token A (state `token_a`) in.
//!   - `RaydiumAmmV4` (`swap_base_in`, 19 accounts, or 18 without `amm_target_orders`): 1 token program,
//!     2 amm, 3 amm authority, 4 open orders, [5 target orders], pool coin vault, pool pc vault,
//!     market program, market, bids, asks, event queue, market coin vault, market pc vault,
//!     market vault signer, then always the last three: **n−3 user source, n−2 user destination,
//!     n−1 user owner (= `authority`)**. `a_to_b` = coin in, pc out.
//!   - `OrcaWhirlpool` (`swap`, 12 accounts): 1 token program, 2 token authority (= `authority`),
//!     3 whirlpool, 4 user token account A, 5 vault A, 6 user token account B, 7 vault B,
//!     8–10 tick arrays, 11 oracle. `a_to_b` = A in: source 4, **destination 6**; else source 6,
//!     **destination 4**.
//!   - `RaydiumCpmm` (`swap_base_input`, 14 accounts): 1 payer (= `authority`), 2 vault authority,
//!     3 amm config, 4 pool state, 5 user input account, **6 user output account**, 7 input vault,
//!     8 output vault, 9 input token program, 10 output token program, 11 input mint, 12 output
//!     mint, 13 observation. `a_to_b` = token 0 in. Each side's token program is the one the pool
//!     names: SPL Token or Token-2022.
//!   - `RaydiumClmm` (`swap_v2`, exact input, 15 to 22 accounts): 1 payer (= `authority`), 2 amm_config,
//!     3 pool_state, 4 user source, **5 user destination**, 6 input vault, 7 output vault,
//!     8 observation_state, 9 SPL Token, 10 Token-2022, 11 Memo, 12 input mint, 13 output mint, then 1–8
//!     tick arrays of the pool in the order the swap crosses them (the pool's tick-array bitmap
//!     extension may be among them). `a_to_b` = token 0 in.
//!   - `OrcaWhirlpoolV2` (`swap_v2`, exact input, 16 accounts): 1 token program A, 2 token program B,
//!     3 Memo, 4 token authority (= `authority`), 5 whirlpool, 6 mint A, 7 mint B, 8 user token
//!     account A, 9 vault A, 10 user token account B, 11 vault B, 12–14 tick arrays, 15 oracle; no
//!     remaining accounts. Each side's token program is its mint's owner. `a_to_b` = A in: source 8,
//!     **destination 10**; else source 10, **destination 8**.
//!   - `MeteoraDlmm` (`lb_clmm` `swap`, 17–24 accounts): 1 lb_pair, 2 bin array bitmap extension (or
//!     the DLMM program id for none), 3 reserve X, 4 reserve Y, 5 user token in, **6 user token out**,
//!     7 mint X, 8 mint Y, 9 oracle, 10 host fee (always the DLMM program id: none), 11 user
//!     (= `authority`), 12 token X program, 13 token Y program, 14 event authority, 15 the DLMM program,
//!     16.. 1–8 bin arrays in swap order. `a_to_b` = X in.
//! - venue programs are pinned by id: `venues::spl_token_swap::PROGRAM_IDS`,
//!   `venues::raydium_amm_v4::PROGRAM_IDS` (and its `MARKET_PROGRAM_IDS`),
//!   `venues::orca_whirlpool::PROGRAM_ID`, `venues::raydium_cpmm::PROGRAM_IDS`,
//!   `venues::raydium_clmm::PROGRAM_IDS`, `venues::meteora_dlmm::PROGRAM_IDS`,
//!   `venues::orca_whirlpool_v2::PROGRAM_IDS` (the Whirlpool program again); any other program is `UnknownVenueProgram`.
//! - Token-2022: hop accounts (never `source_token`) may be Token-2022 accounts only in a venue that
//!   transfers through Token-2022 (`RaydiumCpmm`, `OrcaWhirlpoolV2`); their mint must be in the hop's block and carry no
//!   extension outside `token_account::MINT_EXTENSIONS_ALLOWED` (no transfer hook, permanent
//!   delegate, confidential transfer, non-transferable), the accounts none outside
//!   `ACCOUNT_EXTENSIONS_ALLOWED`. Transfer fees are measured like any shortfall: a hop's delivered
//!   amount is what arrived, net of the fee.
//! - hop 0 spends from `source_token`; each later hop spends from the previous hop's destination; the
//!   last hop's destination must be `source_token`. Hop 0 is given exactly `amount_in` and each later
//!   hop exactly what the previous hop delivered (measured); no hop may take more than it was given
//!   (it may take less, as token-swap's rounding does; the rest stays in the user's account).
//! - venues get the authority as a read-only signer and only the accounts their interface writes as
//!   writable; no other account of a block may be the authority, a route token account, this
//!   program, a program the venue's swap does not call, a Token-2022 account (unless the venue
//!   transfers through Token-2022) or a token account, mint or multisig the authority controls.
//! - every route token account (`source_token` and every hop's destination) must keep its owner,
//!   delegate, delegated amount, close authority, state, lamports and Token-2022 extensions (but
//!   the withheld transfer fee) through every hop; at the end
//!   none but `source_token` is below its starting balance, `source_token` is up by `min_profit`,
//!   and the authority has not lost lamports.
//! - on success: event `RouteExecuted`, and the same bytes (8-byte event discriminator + borsh) as the
//!   instruction's return data; errors are `ArbError` (custom codes from 6000).
//! - program id `B615jtPsAfEt713LWGkJUqZhM6mVLxLbEzu7b3ZUsXvg` (replace with your deploy key).
//!
//! Notes against the interface as first agreed: names, order and flags of the named accounts are
//! unchanged; `source_token` and `token_program` are checked by the handler and by address rather
//! than by Anchor account types (so the IDL carries no `TokenAccount` type; `token_program` has a fixed
//! `address`); the return data is an addition.

use anchor_lang::prelude::*;

pub mod error;
pub mod route;
pub mod token_account;
pub mod venues;

pub use error::ArbError;

declare_id!("B615jtPsAfEt713LWGkJUqZhM6mVLxLbEzu7b3ZUsXvg");

#[program]
pub mod arb_executor {
    use super::*;

    /// Swaps `amount_in` of `source_token` through `hops`, feeding each hop the amount the previous
    /// hop really delivered, and fails unless `source_token` ends at least `min_profit` above its
    /// starting balance.
    pub fn execute_route<'info>(
        ctx: Context<'_, '_, 'info, 'info, ExecuteRoute<'info>>,
        amount_in: u64,
        min_profit: u64,
        hops: Vec<RouteHop>,
    ) -> Result<()> {
        route::execute(ctx, amount_in, min_profit, &hops)
    }
}

#[derive(Accounts)]
pub struct ExecuteRoute<'info> {
    /// Owner of every user token account in the route; signs the venue transfers.
    pub authority: Signer<'info>,
    /// Start and end of the route: an SPL Token account held by `authority`, of the first hop's
    /// input mint.
    /// CHECK: decoded and checked by the handler (token program owner, holder, mint).
    #[account(mut)]
    pub source_token: UncheckedAccount<'info>,
    /// The SPL Token program.
    /// CHECK: checked by address.
    #[account(address = token_account::TOKEN_PROGRAM_ID @ ArbError::TokenProgramMismatch)]
    pub token_program: UncheckedAccount<'info>,
}

/// Which swap interface a hop speaks.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Venue {
    /// SPL token-swap `Swap` (and forks with the same interface and pool layout).
    SplTokenSwap,
    /// Raydium AMM v4 `swap_base_in`.
    RaydiumAmmV4,
    /// Orca Whirlpool `swap` (exact input).
    OrcaWhirlpool,
    /// Raydium CPMM (CP-Swap) `swap_base_input`.
    RaydiumCpmm,
    /// Raydium CLMM (AMM v3) `swap_v2` (exact input).
    RaydiumClmm,
    /// Meteora DLMM (LB CLMM) `swap` (exact input).
    MeteoraDlmm,
    /// Orca Whirlpool `swap_v2` (exact input; Token-2022 mints).
    OrcaWhirlpoolV2,
}

/// One hop: the venue, how many `remaining_accounts` its block takes, and the direction.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteHop {
    pub venue: Venue,
    pub num_accounts: u8,
    pub a_to_b: bool,
}

/// Emitted once per executed route, for auditing.
#[event]
pub struct RouteExecuted {
    pub authority: Pubkey,
    pub source_token: Pubkey,
    pub mint: Pubkey,
    pub amount_in: u64,
    /// What the last hop delivered back into `source_token`.
    pub amount_out: u64,
    /// End balance minus start balance of `source_token`.
    pub profit: u64,
    /// Pool of each hop, in order.
    pub pools: Vec<Pubkey>,
}
