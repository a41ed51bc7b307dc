//! Errors of `execute_route` (Anchor custom codes, 6000 + index). New variants are appended so the
//! codes clients already map keep their meaning.

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
    #[msg("venue program id is not pinned for this venue")]
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
    #[msg("a hop took more from its source than the route gave it, or its source rose")]
    HopInputMismatch,
    #[msg("a route token account was closed, reassigned or re-created during the route")]
    TokenAccountClosed,
    #[msg("a route token account changed owner during the route")]
    TokenOwnerChanged,
    #[msg("a route token account's delegate or delegated amount changed during the route")]
    DelegateChanged,
    #[msg("a route token account's close authority changed during the route")]
    CloseAuthorityChanged,
    #[msg("a route token account was frozen or changed state during the route")]
    TokenStateChanged,
    #[msg("a route token account's lamports changed other than with its native balance")]
    TokenLamportsChanged,
    #[msg("a route token account the hop does not trade through changed balance")]
    UserBalanceChanged,
    #[msg("the authority's lamports went down during the route")]
    AuthorityLamportsDecreased,
    #[msg("the authority appears in a venue block outside its signing position")]
    AuthorityMisplaced,
    #[msg(
        "a route token account appears in a venue block outside its source or destination position"
    )]
    UserAccountMisplaced,
    #[msg("a venue block account is a token account, mint or multisig the authority controls")]
    AuthorityControlledAccount,
    #[msg("arb_executor itself appears in a venue block")]
    ExecutorInVenueBlock,
    #[msg("Token-2022 accounts are not supported by this venue or in this position")]
    Token2022NotSupported,
    #[msg("a writable venue block account is owned by a program the venue does not use")]
    UnexpectedWritableAccount,
    #[msg("the pool's market program is not a pinned market program")]
    UnknownMarketProgram,
    #[msg("a venue block holds a program the venue's swap does not call")]
    ProgramInVenueBlock,
    #[msg("this venue's adapter is not available in this build")]
    VenueNotSupported,
    #[msg("a Token-2022 mint or account carries an extension routes refuse (transfer hook, permanent delegate, confidential transfer, ...)")]
    Token2022ExtensionRefused,
    #[msg("a route token account's Token-2022 extensions changed during the route")]
    TokenExtensionChanged,
    #[msg("a Token-2022 route account's mint is not among the hop's accounts")]
    MintNotInBlock,
}
