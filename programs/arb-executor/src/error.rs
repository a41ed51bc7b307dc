//! Errors of `execute_route` (Anchor custom codes, 6000 + index).

use anchor_lang::prelude::*;

#[error_code]
pub enum ArbError {
    #[msg("route must have 2 to 4 hops")]
    HopCount,
    #[msg("amount_in must be positive")]
    ZeroAmount,
    #[msg("remaining accounts end before the hop's block does")]
    NotEnoughAccounts,
    #[msg("num_accounts does not fit the venue's swap instruction")]
    AccountCountMismatch,
    #[msg("accounts are left over after the last hop")]
    TrailingAccounts,
    #[msg("venue program is not a known program of that venue")]
    UnknownVenueProgram,
    #[msg("venue program account is not an executable program")]
    VenueProgramNotExecutable,
    #[msg("pool account is not owned by the venue program")]
    PoolNotOwnedByVenue,
    #[msg("pool account data is not a valid pool of this venue")]
    InvalidPoolData,
    #[msg("an account in the hop block is not the one the pool state names")]
    PoolAccountMismatch,
    #[msg("the hop's signing account is not the route authority")]
    AuthorityMismatch,
    #[msg("token program is not SPL Token")]
    TokenProgramMismatch,
    #[msg("token account is not owned by the SPL Token program")]
    TokenAccountNotOwnedByTokenProgram,
    #[msg("token account data is malformed, uninitialised or frozen")]
    InvalidTokenAccount,
    #[msg("token account is not owned by the route authority")]
    TokenOwnerMismatch,
    #[msg("token account mint differs from the pool's mint for this direction")]
    MintMismatch,
    #[msg("hop does not spend from the account the previous hop paid into")]
    RouteDisconnected,
    #[msg("hop source and destination are the same account")]
    SameSourceAndDestination,
    #[msg("last hop does not pay back into source_token")]
    RouteNotClosed,
    #[msg("the same pool is used twice")]
    RepeatedPool,
    #[msg("hop destination balance went down")]
    DestinationDecreased,
    #[msg("hop delivered nothing")]
    ZeroOutput,
    #[msg("route ended below start balance + min_profit")]
    Unprofitable,
    #[msg("arithmetic overflow")]
    ArithmeticOverflow,
}
