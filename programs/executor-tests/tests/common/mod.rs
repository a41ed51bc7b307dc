//! Shared harness of the runtime tests: account images, pools of the token-swap layout, the
//! `execute_route` instruction, and sending a transaction with its logs and return data.
#![allow(dead_code)]

use anchor_lang::{AnchorDeserialize, Discriminator, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use arb_executor::{venues::spl_token_swap, ArbError, RouteExecuted, RouteHop, Venue};
use cp_swap::state::{Fees, SwapV1};
use solana_program_test::{ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction, InstructionError},
    message::Message,
    program_option::COption,
    program_pack::Pack,
    pubkey::Pubkey,
    rent::Rent,
    signature::{Keypair, Signer},
    transaction::{Transaction, TransactionError},
    transaction_context::TransactionReturnData,
};

pub const TOKEN: Pubkey = spl_token::ID;
/// The token-swap deployment the tests run `cp-swap` at (a pinned id: tests register the processor
/// there, the program carries no test-only id).
pub const PINNED: Pubkey = spl_token_swap::PROGRAM_IDS[0];
/// The other pinned token-swap id (the Orca fork's).
pub const PINNED_FORK: Pubkey = spl_token_swap::PROGRAM_IDS[1];
/// A program id nobody pinned.
pub const UNPINNED: Pubkey = solana_sdk::pubkey!("DTcNqATsWwXfTRzoqfxfQYDuYtp3D1F3NoMwpJ9shSCj");

/// `processor!` wants `&'a [AccountInfo<'a>]`-free lifetimes that Anchor's entry does not have; the
/// accounts are leaked for the duration of the (short-lived) test process.
pub fn arb_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts = Box::leak(Box::new(accounts.to_vec()));
    arb_executor::entry(program_id, accounts, data)
}

pub fn fees() -> Fees {
    Fees {
        trade_fee_numerator: 25,
        trade_fee_denominator: 10_000,
        owner_trade_fee_numerator: 5,
        owner_trade_fee_denominator: 10_000,
        owner_withdraw_fee_numerator: 0,
        owner_withdraw_fee_denominator: 10_000,
        host_fee_numerator: 20,
        host_fee_denominator: 100,
    }
}

pub fn rent_exempt(len: usize) -> u64 {
    Rent::default().minimum_balance(len)
}

pub fn token_account(mint: Pubkey, owner: Pubkey, amount: u64) -> spl_token::state::Account {
    spl_token::state::Account {
        mint,
        owner,
        amount,
        delegate: COption::None,
        state: spl_token::state::AccountState::Initialized,
        is_native: COption::None,
        delegated_amount: 0,
        close_authority: COption::None,
    }
}

pub fn pack_token(account: spl_token::state::Account) -> Vec<u8> {
    let mut data = vec![0u8; spl_token::state::Account::LEN];
    account.pack_into_slice(&mut data);
    data
}

pub fn token_account_data(mint: Pubkey, owner: Pubkey, amount: u64) -> Vec<u8> {
    pack_token(token_account(mint, owner, amount))
}

pub fn mint_data(authority: Pubkey, supply: u64, freeze: Option<Pubkey>) -> Vec<u8> {
    let mut data = vec![0u8; spl_token::state::Mint::LEN];
    spl_token::state::Mint {
        mint_authority: COption::Some(authority),
        supply,
        decimals: 6,
        is_initialized: true,
        freeze_authority: freeze.map_or(COption::None, COption::Some),
    }
    .pack_into_slice(&mut data);
    data
}

pub fn add(pt: &mut ProgramTest, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
    add_with_lamports(pt, key, owner, rent_exempt(data.len()), data);
}

pub fn add_with_lamports(
    pt: &mut ProgramTest,
    key: Pubkey,
    owner: Pubkey,
    lamports: u64,
    data: Vec<u8>,
) {
    pt.add_account(
        key,
        Account {
            lamports,
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        },
    );
}

/// One pool of the token-swap layout as the test created it.
#[derive(Clone, Copy, Debug)]
pub struct Pool {
    pub program: Pubkey,
    pub key: Pubkey,
    pub authority: Pubkey,
    pub bump: u8,
    pub vault_a: Pubkey,
    pub vault_b: Pubkey,
    pub mint_a: Pubkey,
    pub mint_b: Pubkey,
    pub pool_mint: Pubkey,
    pub fee_account: Pubkey,
    pub reserve_a: u64,
    pub reserve_b: u64,
    pub curve_parameters: [u8; 32],
}

impl Pool {
    pub fn state(&self, bump_seed: u8) -> SwapV1 {
        SwapV1 {
            is_initialized: true,
            bump_seed,
            token_program_id: TOKEN,
            token_a: self.vault_a,
            token_b: self.vault_b,
            pool_mint: self.pool_mint,
            token_a_mint: self.mint_a,
            token_b_mint: self.mint_b,
            pool_fee_account: self.fee_account,
            fees: fees(),
            curve_type: cp_swap::state::CONSTANT_PRODUCT,
            curve_parameters: self.curve_parameters,
        }
    }

    /// What a swap of `amount_in` takes and pays (reserves as created). token-swap's curve may take
    /// less than it is given: the input its output needs after rounding.
    pub fn swap(&self, amount_in: u64, a_to_b: bool) -> (u64, u64) {
        let (rin, rout) = if a_to_b {
            (self.reserve_a, self.reserve_b)
        } else {
            (self.reserve_b, self.reserve_a)
        };
        let r = cp_swap::curve::swap(amount_in.into(), rin.into(), rout.into(), &fees()).unwrap();
        (
            u64::try_from(r.source_amount_swapped).unwrap(),
            u64::try_from(r.destination_amount_swapped).unwrap(),
        )
    }

    /// Exact output of swapping `amount_in` (reserves as created).
    pub fn quote(&self, amount_in: u64, a_to_b: bool) -> u64 {
        self.swap(amount_in, a_to_b).1
    }

    pub fn vaults(&self, a_to_b: bool) -> (Pubkey, Pubkey) {
        if a_to_b {
            (self.vault_a, self.vault_b)
        } else {
            (self.vault_b, self.vault_a)
        }
    }

    /// The SPL token-swap hop block: program, then the `Swap` accounts (user as a read-only signer,
    /// as the client builds it).
    pub fn block(
        &self,
        user: Pubkey,
        source: Pubkey,
        destination: Pubkey,
        a_to_b: bool,
    ) -> Vec<AccountMeta> {
        let (vin, vout) = self.vaults(a_to_b);
        vec![
            AccountMeta::new_readonly(self.program, false),
            AccountMeta::new_readonly(self.key, false),
            AccountMeta::new_readonly(self.authority, false),
            AccountMeta::new_readonly(user, true),
            AccountMeta::new(source, false),
            AccountMeta::new(vin, false),
            AccountMeta::new(vout, false),
            AccountMeta::new(destination, false),
            AccountMeta::new(self.pool_mint, false),
            AccountMeta::new(self.fee_account, false),
            AccountMeta::new_readonly(TOKEN, false),
        ]
    }

    /// The block with a 12th account in the host-fee slot.
    pub fn block_with(
        &self,
        user: Pubkey,
        source: Pubkey,
        destination: Pubkey,
        a_to_b: bool,
        extra: AccountMeta,
    ) -> Vec<AccountMeta> {
        let mut b = self.block(user, source, destination, a_to_b);
        b.push(extra);
        b
    }
}

/// A pool of `program` (whose authority is the program address of the pool key), its vaults, pool
/// mint and fee account, in the test's genesis.
pub fn add_pool(
    pt: &mut ProgramTest,
    program: Pubkey,
    mint_a: Pubkey,
    mint_b: Pubkey,
    reserves: (u64, u64),
    curve_parameters: [u8; 32],
) -> Pool {
    let key = Pubkey::new_unique();
    let (authority, bump) = cp_swap::state::find_authority(&program, &key);
    let pool = Pool {
        program,
        key,
        authority,
        bump,
        vault_a: Pubkey::new_unique(),
        vault_b: Pubkey::new_unique(),
        mint_a,
        mint_b,
        pool_mint: Pubkey::new_unique(),
        fee_account: Pubkey::new_unique(),
        reserve_a: reserves.0,
        reserve_b: reserves.1,
        curve_parameters,
    };
    add(
        pt,
        pool.vault_a,
        TOKEN,
        token_account_data(mint_a, authority, reserves.0),
    );
    add(
        pt,
        pool.vault_b,
        TOKEN,
        token_account_data(mint_b, authority, reserves.1),
    );
    add(
        pt,
        pool.pool_mint,
        TOKEN,
        mint_data(authority, 1_000_000, None),
    );
    add(
        pt,
        pool.fee_account,
        TOKEN,
        token_account_data(pool.pool_mint, Pubkey::new_unique(), 0),
    );
    add(pt, key, program, pool.state(bump).pack().to_vec());
    pool
}

pub fn hop(num_accounts: usize, a_to_b: bool) -> RouteHop {
    RouteHop {
        venue: Venue::SplTokenSwap,
        num_accounts: num_accounts as u8,
        a_to_b,
    }
}

pub fn execute_ix(
    user: Pubkey,
    source: Pubkey,
    amount_in: u64,
    min_profit: u64,
    hops: Vec<RouteHop>,
    blocks: Vec<Vec<AccountMeta>>,
) -> Instruction {
    let mut accounts = arb_executor::accounts::ExecuteRoute {
        authority: user,
        source_token: source,
        token_program: TOKEN,
    }
    .to_account_metas(None);
    accounts.extend(blocks.into_iter().flatten());
    Instruction {
        program_id: arb_executor::ID,
        accounts,
        data: arb_executor::instruction::ExecuteRoute {
            amount_in,
            min_profit,
            hops,
        }
        .data(),
    }
}

/// Runs `amount_in` through `hops` on the pools as created: what each hop takes and pays.
pub fn simulate(hops: &[(Pool, bool)], amount_in: u64) -> Vec<(u64, u64)> {
    let mut amount = amount_in;
    hops.iter()
        .map(|(p, a_to_b)| {
            let (taken, out) = p.swap(amount, *a_to_b);
            amount = out;
            (taken, out)
        })
        .collect()
}

/// A route whose every hop is a token-swap block.
pub fn route_ix(
    user: Pubkey,
    source: Pubkey,
    amount_in: u64,
    min_profit: u64,
    blocks: Vec<(Vec<AccountMeta>, bool)>,
) -> Instruction {
    let hops = blocks
        .iter()
        .map(|(b, a_to_b)| hop(b.len(), *a_to_b))
        .collect();
    execute_ix(
        user,
        source,
        amount_in,
        min_profit,
        hops,
        blocks.into_iter().map(|(b, _)| b).collect(),
    )
}

pub struct Outcome {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub ret: Option<TransactionReturnData>,
    /// What the fee payer was charged.
    pub fee: u64,
}

/// Sends `ix` signed by `signers`, the first of which pays the fee.
pub async fn send_signed(
    ctx: &mut ProgramTestContext,
    signers: &[&Keypair],
    ix: Instruction,
) -> Outcome {
    let blockhash = ctx.get_new_latest_blockhash().await.unwrap();
    let payer = signers[0].pubkey();
    let message = Message::new_with_blockhash(&[ix], Some(&payer), &blockhash);
    let fee = ctx
        .banks_client
        .get_fee_for_message(message.clone())
        .await
        .unwrap()
        .unwrap();
    let tx = Transaction::new(signers, message, blockhash);
    let out = ctx
        .banks_client
        .process_transaction_with_metadata(tx)
        .await
        .unwrap();
    let (logs, ret) = out
        .metadata
        .map(|m| (m.log_messages, m.return_data))
        .unwrap_or_default();
    Outcome {
        result: out.result,
        logs,
        ret,
        fee,
    }
}

/// Sends with the test's payer paying and `user` co-signing.
pub async fn send(ctx: &mut ProgramTestContext, user: &Keypair, ix: Instruction) -> Outcome {
    let payer = ctx.payer.insecure_clone();
    send_signed(ctx, &[&payer, user], ix).await
}

pub async fn account(ctx: &mut ProgramTestContext, key: Pubkey) -> Option<Account> {
    ctx.banks_client.get_account(key).await.unwrap()
}

pub async fn token_state(ctx: &mut ProgramTestContext, key: Pubkey) -> spl_token::state::Account {
    let acc = account(ctx, key).await.expect("token account exists");
    spl_token::state::Account::unpack(&acc.data).unwrap()
}

pub async fn balance(ctx: &mut ProgramTestContext, key: Pubkey) -> u64 {
    token_state(ctx, key).await.amount
}

pub async fn balances(ctx: &mut ProgramTestContext, keys: &[Pubkey]) -> Vec<u64> {
    let mut out = Vec::new();
    for k in keys {
        out.push(balance(ctx, *k).await);
    }
    out
}

/// Every listed account, whole (lamports, owner, data), for before/after comparisons.
pub async fn images(ctx: &mut ProgramTestContext, keys: &[Pubkey]) -> Vec<Option<Account>> {
    let mut out = Vec::new();
    for k in keys {
        out.push(account(ctx, *k).await);
    }
    out
}

pub fn custom(code: ArbError) -> Result<(), TransactionError> {
    Err(TransactionError::InstructionError(
        0,
        InstructionError::Custom(u32::from(code)),
    ))
}

/// The `RouteExecuted` record the program returns. (Native runs do not copy `sol_log_data` into the
/// transaction logs, so the emitted event itself is not observable here; the return data carries the
/// same bytes.)
pub fn route_event(ret: &Option<TransactionReturnData>) -> RouteExecuted {
    let ret = ret.as_ref().expect("return data");
    assert_eq!(ret.program_id, arb_executor::ID);
    assert_eq!(&ret.data[..8], RouteExecuted::DISCRIMINATOR);
    RouteExecuted::deserialize(&mut &ret.data[8..]).unwrap()
}
