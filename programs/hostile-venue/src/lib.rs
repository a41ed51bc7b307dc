//! TEST-ONLY hostile venue: speaks the SPL token-swap `Swap` instruction over the `SwapV1` pool
//! layout exactly as `cp-swap` does — it takes the input and really pays the correct constant-product
//! output for the hop — and then, per the mode byte in its pool state, also tries to rob the user
//! whose authority signed for the swap. It exists to prove that `arb_executor` refuses every such
//! attempt; it is never deployed (the crate has no SBF entrypoint).
//!
//! Mode: `curve_parameters[0]` of the pool state ([`Mode`]); the account it aims at (where the mode
//! has one): `curve_parameters[1]` ([`Target`]). Accounts are token-swap's:
//! 0 pool, 1 pool authority, 2 user transfer authority, 3 user source, 4 pool source vault,
//! 5 pool destination vault, 6 user destination, 7 pool mint, 8 pool fee account, 9 token program,
//! [10 extra account: the "host fee" slot, which some modes use].
//!
//! The attacker's own key in every attack is the pool authority (a program address this program
//! signs for), so nothing outside the block is needed.

use solana_program::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction},
    program::{invoke, invoke_signed},
    program_error::ProgramError,
    pubkey::Pubkey,
};

solana_program::declare_id!("Ho5ti1eVenue1111111111111111111111111111111");

/// The program this venue tries to call back into (`arb_executor`; tests check it matches).
pub const EXECUTOR: Pubkey =
    solana_program::pubkey!("B615jtPsAfEt713LWGkJUqZhM6mVLxLbEzu7b3ZUsXvg");
const TOKEN_PROGRAM: Pubkey =
    solana_program::pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
const SYSTEM_PROGRAM: Pubkey = solana_program::pubkey!("11111111111111111111111111111111");

/// What the venue does besides the swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Only the swap.
    Honest = 0,
    /// Also moves the rest of the user's source balance into the input vault.
    SweepSource = 1,
    /// Also moves the user's whole destination balance (the output included) back into the output vault.
    SweepDestination = 2,
    /// Takes one more than `amount_in` from the source.
    OverTake = 3,
    /// Takes one less than `amount_in` (and still pays the full output).
    UnderTake = 4,
    /// `SetAuthority(AccountOwner)` of the target to the attacker.
    SetOwner = 5,
    /// `SetAuthority(CloseAccount)` of the target to the attacker.
    SetCloseAuthority = 6,
    /// `Approve` the attacker as delegate of the target for everything.
    Approve = 7,
    /// Sweeps the target into the vault of its mint, then `CloseAccount` it (rent to that vault).
    Close = 8,
    /// System transfer of 1 SOL from the user authority (needs the system program in the extra slot).
    StealSol = 9,
    /// Calls `arb_executor` again.
    Reenter = 10,
    /// `FreezeAccount` of whichever user account holds the mint in the extra slot (a mint whose freeze
    /// authority is the pool authority).
    Freeze = 11,
    /// Pays the output into the extra account instead of the user's destination.
    PayElsewhere = 12,
    /// Moves the whole balance of the extra account into the pool's vault of its mint, signed by the user.
    SweepExtra = 13,
}

impl Mode {
    pub const ALL: [Mode; 14] = [
        Mode::Honest,
        Mode::SweepSource,
        Mode::SweepDestination,
        Mode::OverTake,
        Mode::UnderTake,
        Mode::SetOwner,
        Mode::SetCloseAuthority,
        Mode::Approve,
        Mode::Close,
        Mode::StealSol,
        Mode::Reenter,
        Mode::Freeze,
        Mode::PayElsewhere,
        Mode::SweepExtra,
    ];

    fn from_u8(b: u8) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| *m as u8 == b)
    }
}

/// Which user account a targeted mode aims at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Target {
    Source = 0,
    Destination = 1,
}

/// SPL Token instruction tags and `AuthorityType`s used here.
mod token_ix {
    pub const TRANSFER: u8 = 3;
    pub const APPROVE: u8 = 4;
    pub const SET_AUTHORITY: u8 = 6;
    pub const CLOSE_ACCOUNT: u8 = 9;
    pub const FREEZE_ACCOUNT: u8 = 10;
    pub const ACCOUNT_OWNER: u8 = 2;
    pub const CLOSE_ACCOUNT_AUTHORITY: u8 = 3;
}

fn token(accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
    Instruction {
        program_id: TOKEN_PROGRAM,
        accounts,
        data,
    }
}

fn with_amount(tag: u8, amount: u64) -> Vec<u8> {
    let mut d = vec![tag];
    d.extend_from_slice(&amount.to_le_bytes());
    d
}

fn transfer(from: &Pubkey, to: &Pubkey, authority: &Pubkey, amount: u64) -> Instruction {
    token(
        vec![
            AccountMeta::new(*from, false),
            AccountMeta::new(*to, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        with_amount(token_ix::TRANSFER, amount),
    )
}

fn amount_of(info: &AccountInfo) -> Result<u64, ProgramError> {
    let data = info.try_borrow_data()?;
    if data.len() != 165 {
        return Err(ProgramError::InvalidAccountData);
    }
    Ok(u64::from_le_bytes(
        data[64..72].try_into().expect("8 bytes"),
    ))
}

pub fn process_instruction(
    _program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    let amount_in = match data {
        [1, rest @ ..] if rest.len() == 16 => {
            u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"))
        }
        _ => return Err(ProgramError::InvalidInstructionData),
    };
    let [pool, pool_authority, user, source, vault_in, vault_out, destination, _pool_mint, _fee, _token_program, rest @ ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let extra = rest.first();
    let st = cp_swap::state::SwapV1::unpack(&pool.try_borrow_data()?)
        .ok_or(ProgramError::InvalidAccountData)?;
    let mode = Mode::from_u8(st.curve_parameters[0]).ok_or(ProgramError::InvalidAccountData)?;
    let target = if st.curve_parameters[1] == Target::Destination as u8 {
        destination
    } else {
        source
    };
    let seeds: &[&[u8]] = &[pool.key.as_ref(), &[st.bump_seed]];
    let signed = |ix: &Instruction| invoke_signed(ix, accounts, &[seeds]);

    // The honest part: the exact constant-product output for `amount_in`.
    let out = cp_swap::curve::swap(
        u128::from(amount_in),
        u128::from(amount_of(vault_in)?),
        u128::from(amount_of(vault_out)?),
        &st.fees,
    )
    .ok_or(ProgramError::InvalidArgument)?;
    let out =
        u64::try_from(out.destination_amount_swapped).map_err(|_| ProgramError::InvalidArgument)?;
    let taken = match mode {
        Mode::OverTake => amount_in.saturating_add(1),
        Mode::UnderTake => amount_in.saturating_sub(1),
        _ => amount_in,
    };
    invoke(
        &transfer(source.key, vault_in.key, user.key, taken),
        accounts,
    )?;
    let paid_to = match (mode, extra) {
        (Mode::PayElsewhere, Some(e)) => e,
        _ => destination,
    };
    signed(&transfer(
        vault_out.key,
        paid_to.key,
        pool_authority.key,
        out,
    ))?;

    let attacker = pool_authority.key;
    match mode {
        Mode::Honest | Mode::OverTake | Mode::UnderTake | Mode::PayElsewhere => {}
        Mode::SweepSource => {
            let rest = amount_of(source)?;
            invoke(
                &transfer(source.key, vault_in.key, user.key, rest),
                accounts,
            )?;
        }
        Mode::SweepDestination => {
            let all = amount_of(destination)?;
            invoke(
                &transfer(destination.key, vault_out.key, user.key, all),
                accounts,
            )?;
        }
        Mode::SetOwner | Mode::SetCloseAuthority => {
            let kind = if mode == Mode::SetOwner {
                token_ix::ACCOUNT_OWNER
            } else {
                token_ix::CLOSE_ACCOUNT_AUTHORITY
            };
            let mut d = vec![token_ix::SET_AUTHORITY, kind, 1];
            d.extend_from_slice(attacker.as_ref());
            let ix = token(
                vec![
                    AccountMeta::new(*target.key, false),
                    AccountMeta::new_readonly(*user.key, true),
                ],
                d,
            );
            invoke(&ix, accounts)?;
        }
        Mode::Approve => {
            let ix = token(
                vec![
                    AccountMeta::new(*target.key, false),
                    AccountMeta::new_readonly(*attacker, false),
                    AccountMeta::new_readonly(*user.key, true),
                ],
                with_amount(token_ix::APPROVE, u64::MAX),
            );
            invoke(&ix, accounts)?;
        }
        Mode::Close => {
            let vault = if target.key == source.key {
                vault_in
            } else {
                vault_out
            };
            let all = amount_of(target)?;
            invoke(&transfer(target.key, vault.key, user.key, all), accounts)?;
            let ix = token(
                vec![
                    AccountMeta::new(*target.key, false),
                    AccountMeta::new(*vault.key, false),
                    AccountMeta::new_readonly(*user.key, true),
                ],
                vec![token_ix::CLOSE_ACCOUNT],
            );
            invoke(&ix, accounts)?;
        }
        Mode::StealSol => {
            let mut d = 2u32.to_le_bytes().to_vec();
            d.extend_from_slice(&1_000_000_000u64.to_le_bytes());
            let ix = Instruction {
                program_id: SYSTEM_PROGRAM,
                accounts: vec![
                    AccountMeta::new(*user.key, true),
                    AccountMeta::new(*vault_in.key, false),
                ],
                data: d,
            };
            invoke(&ix, accounts)?;
        }
        Mode::Reenter => {
            // Any execute_route bytes will do: the call itself is what must be refused.
            let ix = Instruction {
                program_id: EXECUTOR,
                accounts: vec![
                    AccountMeta::new_readonly(*user.key, true),
                    AccountMeta::new(*source.key, false),
                    AccountMeta::new_readonly(TOKEN_PROGRAM, false),
                ],
                data: vec![0xf6, 0x0e, 0x51, 0x79, 0x8c, 0xed, 0x56, 0x17],
            };
            invoke(&ix, accounts)?;
        }
        Mode::Freeze => {
            let mint = extra.ok_or(ProgramError::NotEnoughAccountKeys)?;
            let victim = if source.try_borrow_data()?[..32] == mint.key.to_bytes() {
                source
            } else {
                destination
            };
            let ix = token(
                vec![
                    AccountMeta::new(*victim.key, false),
                    AccountMeta::new_readonly(*mint.key, false),
                    AccountMeta::new_readonly(*attacker, true),
                ],
                vec![token_ix::FREEZE_ACCOUNT],
            );
            signed(&ix)?;
        }
        Mode::SweepExtra => {
            let victim = extra.ok_or(ProgramError::NotEnoughAccountKeys)?;
            let same_mint = |a: &AccountInfo| -> Result<bool, ProgramError> {
                Ok(a.try_borrow_data()?[..32] == victim.try_borrow_data()?[..32])
            };
            let vault = if same_mint(vault_in)? {
                vault_in
            } else {
                vault_out
            };
            let all = amount_of(victim)?;
            invoke(&transfer(victim.key, vault.key, user.key, all), accounts)?;
        }
    }
    Ok(())
}
