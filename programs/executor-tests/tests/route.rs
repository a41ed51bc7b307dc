//! `execute_route` in the Solana runtime (solana-program-test): our program and the cp-swap venue run
//! as native processors, SPL Token is the runtime's built-in SBF program, and every hop is a real CPI.

use anchor_lang::{AnchorDeserialize, Discriminator, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use arb_executor::{ArbError, RouteExecuted, RouteHop, Venue};
use cp_swap::state::{Fees, SwapV1};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction, InstructionError},
    program_option::COption,
    program_pack::Pack,
    pubkey::Pubkey,
    rent::Rent,
    signature::{Keypair, Signer},
    transaction::{Transaction, TransactionError},
    transaction_context::TransactionReturnData,
};

/// A second deployment of the venue code under another id, for wrong-program tests.
const OTHER_VENUE: Pubkey = solana_sdk::pubkey!("DTcNqATsWwXfTRzoqfxfQYDuYtp3D1F3NoMwpJ9shSCj");
const TOKEN: Pubkey = spl_token::ID;

/// `processor!` wants `&'a [AccountInfo<'a>]`-free lifetimes that Anchor's entry does not have; the
/// accounts are leaked for the duration of the (short-lived) test process.
fn arb_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts = Box::leak(Box::new(accounts.to_vec()));
    arb_executor::entry(program_id, accounts, data)
}

fn fees() -> Fees {
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

fn rent_exempt(len: usize) -> u64 {
    Rent::default().minimum_balance(len)
}

fn token_account_data(mint: Pubkey, owner: Pubkey, amount: u64) -> Vec<u8> {
    let mut data = vec![0u8; spl_token::state::Account::LEN];
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
    .pack_into_slice(&mut data);
    data
}

fn mint_data(authority: Pubkey, supply: u64) -> Vec<u8> {
    let mut data = vec![0u8; spl_token::state::Mint::LEN];
    spl_token::state::Mint {
        mint_authority: COption::Some(authority),
        supply,
        decimals: 6,
        is_initialized: true,
        freeze_authority: COption::None,
    }
    .pack_into_slice(&mut data);
    data
}

fn add(pt: &mut ProgramTest, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
    pt.add_account(
        key,
        Account {
            lamports: rent_exempt(data.len()),
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        },
    );
}

/// One cp-swap pool as the test created it.
#[derive(Clone, Copy)]
struct Pool {
    program: Pubkey,
    key: Pubkey,
    authority: Pubkey,
    vault_a: Pubkey,
    vault_b: Pubkey,
    mint_a: Pubkey,
    mint_b: Pubkey,
    pool_mint: Pubkey,
    fee_account: Pubkey,
    reserve_a: u64,
    reserve_b: u64,
}

impl Pool {
    fn state(&self, bump_seed: u8) -> SwapV1 {
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
            curve_parameters: [0; 32],
        }
    }

    /// Exact output of swapping `amount_in` (reserves as created).
    fn quote(&self, amount_in: u64, a_to_b: bool) -> u64 {
        let (rin, rout) = if a_to_b {
            (self.reserve_a, self.reserve_b)
        } else {
            (self.reserve_b, self.reserve_a)
        };
        let r = cp_swap::curve::swap(amount_in.into(), rin.into(), rout.into(), &fees()).unwrap();
        assert_eq!(r.source_amount_swapped, u128::from(amount_in));
        u64::try_from(r.destination_amount_swapped).unwrap()
    }

    /// The SPL token-swap hop block: program, then the `Swap` accounts.
    fn block(
        &self,
        user: Pubkey,
        source: Pubkey,
        destination: Pubkey,
        a_to_b: bool,
    ) -> Vec<AccountMeta> {
        let (vin, vout) = if a_to_b {
            (self.vault_a, self.vault_b)
        } else {
            (self.vault_b, self.vault_a)
        };
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
}

fn add_pool(
    pt: &mut ProgramTest,
    mint_a: Pubkey,
    mint_b: Pubkey,
    reserve_a: u64,
    reserve_b: u64,
) -> Pool {
    let program = cp_swap::ID;
    let key = Pubkey::new_unique();
    let (authority, bump) = cp_swap::state::find_authority(&program, &key);
    let pool = Pool {
        program,
        key,
        authority,
        vault_a: Pubkey::new_unique(),
        vault_b: Pubkey::new_unique(),
        mint_a,
        mint_b,
        pool_mint: Pubkey::new_unique(),
        fee_account: Pubkey::new_unique(),
        reserve_a,
        reserve_b,
    };
    add(
        pt,
        pool.vault_a,
        TOKEN,
        token_account_data(mint_a, authority, reserve_a),
    );
    add(
        pt,
        pool.vault_b,
        TOKEN,
        token_account_data(mint_b, authority, reserve_b),
    );
    add(pt, pool.pool_mint, TOKEN, mint_data(authority, 1_000_000));
    add(
        pt,
        pool.fee_account,
        TOKEN,
        token_account_data(pool.pool_mint, Pubkey::new_unique(), 0),
    );
    add(pt, key, program, pool.state(bump).pack().to_vec());
    pool
}

struct World {
    pt: ProgramTest,
    user: Keypair,
    mints: [Pubkey; 3],
    /// The user's accounts for mints A, B, C.
    accounts: [Pubkey; 3],
    /// A/B priced 1 A = 1.1 B; B/A (stored as A/B) at 1:1; B/C 1:1; C/A 1:1.
    ab_cheap_b: Pool,
    ab_even: Pool,
    bc: Pool,
    ca: Pool,
}

const START_A: u64 = 50_000_000;
/// B the user already holds; routes must spend only what a hop delivered.
const HELD_B: u64 = 777;
const RESERVE: u64 = 1_000_000_000;

fn world() -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.add_program(
        "cp_swap",
        cp_swap::ID,
        processor!(cp_swap::process_instruction),
    );
    pt.add_program(
        "cp_swap_other",
        OTHER_VENUE,
        processor!(cp_swap::process_instruction),
    );
    pt.prefer_bpf(false);
    let user = Keypair::new();
    let mints = [
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    ];
    for m in mints {
        add(
            &mut pt,
            m,
            TOKEN,
            mint_data(Pubkey::new_unique(), u64::MAX / 4),
        );
    }
    let accounts = [
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    ];
    add(
        &mut pt,
        accounts[0],
        TOKEN,
        token_account_data(mints[0], user.pubkey(), START_A),
    );
    add(
        &mut pt,
        accounts[1],
        TOKEN,
        token_account_data(mints[1], user.pubkey(), HELD_B),
    );
    add(
        &mut pt,
        accounts[2],
        TOKEN,
        token_account_data(mints[2], user.pubkey(), 0),
    );
    let [a, b, c] = mints;
    let ab_cheap_b = add_pool(&mut pt, a, b, RESERVE, RESERVE * 11 / 10);
    let ab_even = add_pool(&mut pt, a, b, RESERVE, RESERVE);
    let bc = add_pool(&mut pt, b, c, RESERVE, RESERVE);
    let ca = add_pool(&mut pt, c, a, RESERVE, RESERVE);
    World {
        pt,
        user,
        mints,
        accounts,
        ab_cheap_b,
        ab_even,
        bc,
        ca,
    }
}

fn hop(num_accounts: usize, a_to_b: bool) -> RouteHop {
    RouteHop {
        venue: Venue::SplTokenSwap,
        num_accounts: num_accounts as u8,
        a_to_b,
    }
}

fn execute_ix(
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

type Outcome = (
    Result<(), TransactionError>,
    Vec<String>,
    Option<TransactionReturnData>,
);

async fn send(ctx: &mut ProgramTestContext, user: &Keypair, ix: Instruction) -> Outcome {
    let blockhash = ctx.get_new_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[ix],
        Some(&ctx.payer.pubkey()),
        &[&ctx.payer, user],
        blockhash,
    );
    let out = ctx
        .banks_client
        .process_transaction_with_metadata(tx)
        .await
        .unwrap();
    let (logs, ret) = out
        .metadata
        .map(|m| (m.log_messages, m.return_data))
        .unwrap_or_default();
    (out.result, logs, ret)
}

async fn balance(ctx: &mut ProgramTestContext, key: Pubkey) -> u64 {
    let acc = ctx.banks_client.get_account(key).await.unwrap().unwrap();
    spl_token::state::Account::unpack(&acc.data).unwrap().amount
}

async fn balances(ctx: &mut ProgramTestContext, keys: &[Pubkey]) -> Vec<u64> {
    let mut out = Vec::new();
    for k in keys {
        out.push(balance(ctx, *k).await);
    }
    out
}

fn all_token_accounts(w: &World) -> Vec<Pubkey> {
    let mut v = w.accounts.to_vec();
    for p in [w.ab_cheap_b, w.ab_even, w.bc, w.ca] {
        v.extend([p.vault_a, p.vault_b]);
    }
    v
}

fn custom(code: ArbError) -> Result<(), TransactionError> {
    Err(TransactionError::InstructionError(
        0,
        InstructionError::Custom(u32::from(code)),
    ))
}

/// The `RouteExecuted` record the program returns. (Native runs do not copy `sol_log_data` into the
/// transaction logs, so the emitted event itself is not observable here; the return data carries the
/// same bytes.)
fn route_event(ret: &Option<TransactionReturnData>) -> RouteExecuted {
    let ret = ret.as_ref().expect("return data");
    assert_eq!(ret.program_id, arb_executor::ID);
    assert_eq!(&ret.data[..8], RouteExecuted::DISCRIMINATOR);
    RouteExecuted::deserialize(&mut &ret.data[8..]).unwrap()
}

/// The profitable 2-hop cycle: A→B where B is cheap, B→A where it is not (stored A/B, so `a_to_b = false`).
fn two_hop(w: &World, amount_in: u64, min_profit: u64) -> Instruction {
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    execute_ix(
        u,
        ua,
        amount_in,
        min_profit,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, ua, ub, true),
            w.ab_even.block(u, ub, ua, false),
        ],
    )
}

#[tokio::test]
async fn profitable_two_hop_route_pays_exactly_the_venue_outputs() {
    let w = world();
    let amount_in = 10_000_000;
    let b_out = w.ab_cheap_b.quote(amount_in, true);
    let a_out = w.ab_even.quote(b_out, false);
    assert!(a_out > amount_in);
    let ix = two_hop(&w, amount_in, a_out - amount_in);
    let (user, pools) = (w.user.insecure_clone(), [w.ab_cheap_b, w.ab_even]);
    let mut ctx = w.pt.start_with_context().await;
    let (result, logs, ret) = send(&mut ctx, &user, ix).await;
    assert_eq!(result, Ok(()), "{logs:#?}");

    assert_eq!(
        balance(&mut ctx, w.accounts[0]).await,
        START_A - amount_in + a_out
    );
    assert_eq!(
        balance(&mut ctx, w.accounts[1]).await,
        HELD_B,
        "the intermediate hop spends what it received, not what the account held"
    );
    assert_eq!(
        balance(&mut ctx, pools[0].vault_a).await,
        RESERVE + amount_in
    );
    assert_eq!(
        balance(&mut ctx, pools[0].vault_b).await,
        RESERVE * 11 / 10 - b_out
    );
    assert_eq!(balance(&mut ctx, pools[1].vault_b).await, RESERVE + b_out);
    assert_eq!(balance(&mut ctx, pools[1].vault_a).await, RESERVE - a_out);

    let ev = route_event(&ret);
    assert_eq!(ev.authority, user.pubkey());
    assert_eq!(ev.source_token, w.accounts[0]);
    assert_eq!(ev.mint, w.mints[0]);
    assert_eq!(
        (ev.amount_in, ev.amount_out, ev.profit),
        (amount_in, a_out, a_out - amount_in)
    );
    assert_eq!(ev.pools, vec![pools[0].key, pools[1].key]);
}

#[tokio::test]
async fn profitable_three_hop_route() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, uc] = w.accounts;
    let amount_in = 7_000_000;
    let b = w.ab_cheap_b.quote(amount_in, true);
    let c = w.bc.quote(b, true);
    let a = w.ca.quote(c, true);
    assert!(a > amount_in);
    let ix = execute_ix(
        u,
        ua,
        amount_in,
        1,
        vec![hop(11, true), hop(11, true), hop(11, true)],
        vec![
            w.ab_cheap_b.block(u, ua, ub, true),
            w.bc.block(u, ub, uc, true),
            w.ca.block(u, uc, ua, true),
        ],
    );
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let (result, logs, ret) = send(&mut ctx, &user, ix).await;
    assert_eq!(result, Ok(()), "{logs:#?}");
    assert_eq!(
        balances(&mut ctx, &[ua, ub, uc]).await,
        vec![START_A - amount_in + a, HELD_B, 0]
    );
    assert_eq!(route_event(&ret).profit, a - amount_in);
}

#[tokio::test]
async fn host_fee_account_block_is_accepted() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let mut first = w.ab_cheap_b.block(u, ua, ub, true);
    first.push(AccountMeta::new(w.ab_cheap_b.fee_account, false));
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(12, true), hop(11, false)],
        vec![first, w.ab_even.block(u, ub, ua, false)],
    );
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    assert_eq!(send(&mut ctx, &user, ix).await.0, Ok(()));
}

/// Runs `ix`, expects `expected`, and checks no token balance moved. (Program `msg!` output of
/// native programs goes to stdout, not to the transaction logs, so logs are not asserted on.)
async fn assert_rejected(w: World, ix: Instruction, expected: Result<(), TransactionError>) {
    let keys = all_token_accounts(&w);
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let before = balances(&mut ctx, &keys).await;
    let (result, logs, ret) = send(&mut ctx, &user, ix).await;
    assert_eq!(result, expected, "{logs:#?}");
    assert_eq!(ret, None);
    assert_eq!(
        balances(&mut ctx, &keys).await,
        before,
        "a failed route must move nothing"
    );
}

#[tokio::test]
async fn unprofitable_route_fails_and_moves_nothing() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    // The reverse cycle loses: B→A through the pool where B is cheap.
    let ix = execute_ix(
        u,
        ua,
        10_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_even.block(u, ua, ub, true),
            w.ab_cheap_b.block(u, ub, ua, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::Unprofitable)).await;
}

#[tokio::test]
async fn profit_below_min_profit_fails_and_moves_nothing() {
    let w = world();
    let amount_in = 10_000_000;
    let a_out = w.ab_even.quote(w.ab_cheap_b.quote(amount_in, true), false);
    let ix = two_hop(&w, amount_in, a_out - amount_in + 1);
    assert_rejected(w, ix, custom(ArbError::Unprofitable)).await;
}

#[tokio::test]
async fn intermediate_account_of_another_wallet_is_rejected() {
    let mut w = world();
    let u = w.user.pubkey();
    let ua = w.accounts[0];
    let foreign_b = Pubkey::new_unique();
    add(
        &mut w.pt,
        foreign_b,
        TOKEN,
        token_account_data(w.mints[1], Pubkey::new_unique(), 0),
    );
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, ua, foreign_b, true),
            w.ab_even.block(u, foreign_b, ua, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::TokenOwnerMismatch)).await;
}

#[tokio::test]
async fn source_account_of_another_wallet_is_rejected() {
    let mut w = world();
    let u = w.user.pubkey();
    let ub = w.accounts[1];
    let foreign_a = Pubkey::new_unique();
    add(
        &mut w.pt,
        foreign_a,
        TOKEN,
        token_account_data(w.mints[0], Pubkey::new_unique(), START_A),
    );
    let ix = execute_ix(
        u,
        foreign_a,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, foreign_a, ub, true),
            w.ab_even.block(u, ub, foreign_a, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::TokenOwnerMismatch)).await;
}

#[tokio::test]
async fn destination_with_wrong_mint_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, _, uc] = w.accounts;
    // Hop 1 pays B into the user's C account.
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, ua, uc, true),
            w.ab_even.block(u, uc, ua, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::MintMismatch)).await;
}

#[tokio::test]
async fn venue_program_that_does_not_own_the_pool_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let mut first = w.ab_cheap_b.block(u, ua, ub, true);
    first[0] = AccountMeta::new_readonly(OTHER_VENUE, false);
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![first, w.ab_even.block(u, ub, ua, false)],
    );
    assert_rejected(w, ix, custom(ArbError::PoolNotOwnedByVenue)).await;
}

#[tokio::test]
async fn venue_tag_with_a_foreign_program_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    // A 12-account block has the Whirlpool block's size, but its program is not Whirlpool.
    let mut first = w.ab_cheap_b.block(u, ua, ub, true);
    first.push(AccountMeta::new(w.ab_cheap_b.fee_account, false));
    let whirl = RouteHop {
        venue: Venue::OrcaWhirlpool,
        num_accounts: 12,
        a_to_b: true,
    };
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![whirl, hop(11, false)],
        vec![first, w.ab_even.block(u, ub, ua, false)],
    );
    assert_rejected(w, ix, custom(ArbError::UnknownVenueProgram)).await;
}

#[tokio::test]
async fn wrong_token_program_is_rejected() {
    let w = world();
    let mut ix = two_hop(&w, 1_000_000, 0);
    ix.accounts[2] = AccountMeta::new_readonly(cp_swap::ID, false);
    assert_rejected(w, ix, custom(ArbError::TokenProgramMismatch)).await;
}

#[tokio::test]
async fn forged_token_account_is_rejected() {
    let mut w = world();
    let u = w.user.pubkey();
    let ua = w.accounts[0];
    // Token-account bytes claiming the user holds B, in an account the token program does not own.
    let forged = Pubkey::new_unique();
    add(
        &mut w.pt,
        forged,
        solana_sdk::system_program::ID,
        token_account_data(w.mints[1], u, 1 << 40),
    );
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, ua, forged, true),
            w.ab_even.block(u, forged, ua, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::TokenAccountNotOwnedByTokenProgram)).await;
}

#[tokio::test]
async fn forged_pool_account_is_rejected() {
    let mut w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    // A copy of a real pool's state (same vaults) in an account the venue program does not own.
    let mut fake = w.ab_even;
    fake.key = Pubkey::new_unique();
    let (_, bump) = cp_swap::state::find_authority(&cp_swap::ID, &w.ab_even.key);
    add(
        &mut w.pt,
        fake.key,
        arb_executor::ID,
        w.ab_even.state(bump).pack().to_vec(),
    );
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, ua, ub, true),
            fake.block(u, ub, ua, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::PoolNotOwnedByVenue)).await;
}

#[tokio::test]
async fn malformed_pool_data_is_rejected() {
    let mut w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let mut bad = w.ab_even;
    bad.key = Pubkey::new_unique();
    let mut data = w.ab_even.state(0).pack().to_vec();
    data[0] = 2; // unknown layout version
    add(&mut w.pt, bad.key, cp_swap::ID, data);
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![
            w.ab_cheap_b.block(u, ua, ub, true),
            bad.block(u, ub, ua, false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::InvalidPoolData)).await;
}

#[tokio::test]
async fn vault_swapped_for_another_account_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let mut first = w.ab_cheap_b.block(u, ua, ub, true);
    first[6] = AccountMeta::new(w.ab_even.vault_b, false);
    let ix = execute_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![hop(11, true), hop(11, false)],
        vec![first, w.ab_even.block(u, ub, ua, false)],
    );
    assert_rejected(w, ix, custom(ArbError::PoolAccountMismatch)).await;
}

#[tokio::test]
async fn route_shape_errors() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, uc] = w.accounts;
    let b1 = w.ab_cheap_b.block(u, ua, ub, true);
    let cases: Vec<(Vec<RouteHop>, Vec<Vec<AccountMeta>>, ArbError)> = vec![
        // One hop is not a cycle.
        (vec![hop(11, true)], vec![b1.clone()], ArbError::HopCount),
        // A→B then B→C never returns to A.
        (
            vec![hop(11, true), hop(11, true)],
            vec![b1.clone(), w.bc.block(u, ub, uc, true)],
            ArbError::RouteNotClosed,
        ),
        // Hop 2 spends from C although hop 1 paid into B.
        (
            vec![hop(11, true), hop(11, true), hop(11, true)],
            vec![
                b1.clone(),
                w.ca.block(u, uc, ua, true),
                w.bc.block(u, ub, uc, true),
            ],
            ArbError::RouteDisconnected,
        ),
        // Same pool twice.
        (
            vec![hop(11, true), hop(11, false)],
            vec![b1.clone(), w.ab_cheap_b.block(u, ub, ua, false)],
            ArbError::RepeatedPool,
        ),
        // Block count exceeds what was passed.
        (
            vec![hop(11, true), hop(12, false)],
            vec![b1.clone(), w.ab_even.block(u, ub, ua, false)],
            ArbError::NotEnoughAccounts,
        ),
        // Extra account after the last block.
        (
            vec![hop(11, true), hop(11, false)],
            vec![
                b1.clone(),
                w.ab_even.block(u, ub, ua, false),
                vec![AccountMeta::new_readonly(TOKEN, false)],
            ],
            ArbError::TrailingAccounts,
        ),
    ];
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    for (hops, blocks, expected) in cases {
        let (result, logs, _) = send(
            &mut ctx,
            &user,
            execute_ix(u, ua, 1_000_000, 0, hops, blocks),
        )
        .await;
        assert_eq!(result, custom(expected), "{logs:#?}");
    }
    assert_eq!(balance(&mut ctx, ua).await, START_A);
}
