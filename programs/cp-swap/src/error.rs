//! Errors of the pool program, returned as `ProgramError::Custom(code)`.

use solana_program::program_error::ProgramError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum CpSwapError {
    /// Instruction data is not a known instruction.
    InvalidInstruction = 0,
    /// The pool account is not owned by this program or is not an initialised pool.
    InvalidPool = 1,
    /// The swap authority is not the pool's program address.
    InvalidAuthority = 2,
    /// The pool vaults passed are not the pool's vaults.
    IncorrectSwapAccount = 3,
    /// Pool mint, fee account or token program differ from the pool state.
    IncorrectPoolAccount = 4,
    /// A token account is malformed or not owned by the token program.
    InvalidTokenAccount = 5,
    /// The curve or the reserves give no output for this input.
    ZeroTradingTokens = 6,
    /// Output below `minimum_amount_out`.
    ExceededSlippage = 7,
    /// Only the constant-product curve is supported.
    UnsupportedCurve = 8,
    /// The user's account is also a pool vault.
    InvalidInput = 9,
}

impl From<CpSwapError> for ProgramError {
    fn from(e: CpSwapError) -> Self {
        ProgramError::Custom(e as u32)
    }
}
