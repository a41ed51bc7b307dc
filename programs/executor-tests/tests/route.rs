//! `execute_route` in the Solana runtime (solana-program-test): our program and the cp-swap venue run
//! as native processors, SPL Token is the runtime's built-in SBF program, and every hop is a real CPI.
//! cp-swap runs at the pinned SPL token-swap id, as a deployment would find it.

mod common;

use anchor_spl::token::spl_token;
use arb_executor::{ArbError, RouteHop, Venue};
use common::*;
use solana_program_test::{processor, ProgramTest};
use solana_sdk::{
    instruction::AccountMeta,
    program_option::COption,
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::TransactionError,
};

const TOKEN_2022: Pubkey = solana_sdk::pubkey!("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
const NATIVE_MINT: Pubkey = solana_sdk::pubkey!("So11111111111111111111111111111111111111112");

struct World {
    pt: ProgramTest,
    user: Keypair,
    mints: [Pubkey; 3],
    /// The user's accounts for mints A, B, C.
    accounts: [Pubkey; 3],
    /// A/B priced 1 A = 1.1 B; B/A (stored as A/B) at 1:1; B/C 1:1 (twice); C/A 1:1.
    ab_cheap_b: Pool,
    ab_even: Pool,
    bc: Pool,
    bc2: Pool,
    ca: Pool,
    /// cp-swap's code deployed under an id nobody pinned, with a pool of its own.
    unpinned_ab: Pool,
}

const START_A: u64 = 50_000_000;
/// B the user already holds; routes must spend only what a hop delivered.
const HELD_B: u64 = 777;
const RESERVE: u64 = 1_000_000_000;

fn world() -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.add_program("cp_swap", PINNED, processor!(cp_swap::process_instruction));
    pt.add_program(
        "cp_swap_fork",
        PINNED_FORK,
        processor!(cp_swap::process_instruction),
    );
    pt.add_program(
        "cp_swap_unpinned",
        UNPINNED,
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
            mint_data(Pubkey::new_unique(), u64::MAX / 4, None),
        );
    }
    let accounts = [
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    ];
    for (i, held) in [START_A, HELD_B, 0].into_iter().enumerate() {
        add(
            &mut pt,
            accounts[i],
            TOKEN,
            token_account_data(mints[i], user.pubkey(), held),
        );
    }
    let [a, b, c] = mints;
    let even = (RESERVE, RESERVE);
    let ab_cheap_b = add_pool(&mut pt, PINNED, a, b, (RESERVE, RESERVE * 11 / 10), [0; 32]);
    let ab_even = add_pool(&mut pt, PINNED, a, b, even, [0; 32]);
    let bc = add_pool(&mut pt, PINNED, b, c, even, [0; 32]);
    let bc2 = add_pool(&mut pt, PINNED, b, c, even, [0; 32]);
    let ca = add_pool(&mut pt, PINNED, c, a, even, [0; 32]);
    let unpinned_ab = add_pool(
        &mut pt,
        UNPINNED,
        a,
        b,
        (RESERVE, RESERVE * 11 / 10),
        [0; 32],
    );
    World {
        pt,
        user,
        mints,
        accounts,
        ab_cheap_b,
        ab_even,
        bc,
        bc2,
        ca,
        unpinned_ab,
    }
}

fn all_token_accounts(w: &World) -> Vec<Pubkey> {
    let mut v = w.accounts.to_vec();
    for p in [w.ab_cheap_b, w.ab_even, w.bc, w.bc2, w.ca, w.unpinned_ab] {
        v.extend([p.vault_a, p.vault_b]);
    }
    v
}

/// The profitable 2-hop cycle: A→B where B is cheap, B→A where it is not (stored A/B, so `a_to_b = false`).
fn two_hop(w: &World, amount_in: u64, min_profit: u64) -> solana_sdk::instruction::Instruction {
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    route_ix(
        u,
        ua,
        amount_in,
        min_profit,
        vec![
            (w.ab_cheap_b.block(u, ua, ub, true), true),
            (w.ab_even.block(u, ub, ua, false), false),
        ],
    )
}

#[tokio::test]
async fn profitable_two_hop_route_pays_exactly_the_venue_outputs() {
    let w = world();
    let amount_in = 10_000_000;
    let s = simulate(&[(w.ab_cheap_b, true), (w.ab_even, false)], amount_in);
    let [(t0, b_out), (t1, a_out)] = s[..] else {
        unreachable!()
    };
    assert!(a_out > t0);
    let ix = two_hop(&w, amount_in, a_out - t0);
    let (user, pools) = (w.user.insecure_clone(), [w.ab_cheap_b, w.ab_even]);
    let mut ctx = w.pt.start_with_context().await;
    let out = send(&mut ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);

    assert_eq!(balance(&mut ctx, w.accounts[0]).await, START_A - t0 + a_out);
    assert_eq!(
        balance(&mut ctx, w.accounts[1]).await,
        HELD_B + b_out - t1,
        "the intermediate hop spends what it received, not what the account held"
    );
    assert_eq!(balance(&mut ctx, pools[0].vault_a).await, RESERVE + t0);
    assert_eq!(
        balance(&mut ctx, pools[0].vault_b).await,
        RESERVE * 11 / 10 - b_out
    );
    assert_eq!(balance(&mut ctx, pools[1].vault_b).await, RESERVE + t1);
    assert_eq!(balance(&mut ctx, pools[1].vault_a).await, RESERVE - a_out);

    let ev = route_event(&out.ret);
    assert_eq!(ev.authority, user.pubkey());
    assert_eq!(ev.source_token, w.accounts[0]);
    assert_eq!(ev.mint, w.mints[0]);
    assert_eq!(
        (ev.amount_in, ev.amount_out, ev.profit),
        (amount_in, a_out, a_out - t0)
    );
    assert_eq!(ev.pools, vec![pools[0].key, pools[1].key]);
}

#[tokio::test]
async fn profitable_three_hop_route() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, uc] = w.accounts;
    let amount_in = 7_000_000;
    let s = simulate(
        &[(w.ab_cheap_b, true), (w.bc, true), (w.ca, true)],
        amount_in,
    );
    let [(t0, b), (t1, c), (t2, a)] = s[..] else {
        unreachable!()
    };
    assert!(a > t0);
    let ix = route_ix(
        u,
        ua,
        amount_in,
        1,
        vec![
            (w.ab_cheap_b.block(u, ua, ub, true), true),
            (w.bc.block(u, ub, uc, true), true),
            (w.ca.block(u, uc, ua, true), true),
        ],
    );
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let out = send(&mut ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    assert_eq!(
        balances(&mut ctx, &[ua, ub, uc]).await,
        vec![START_A - t0 + a, HELD_B + b - t1, c - t2]
    );
    assert_eq!(route_event(&out.ret).profit, a - t0);
}

/// A→B→C→B→A passes through the user's B account twice; each visit is given exactly what arrived.
/// One hop's token-swap curve keeps less than it is given (its rounding), and the rest stays in the
/// user's account, uncounted as profit.
#[tokio::test]
async fn route_revisiting_an_intermediate_account_balances_it() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, uc] = w.accounts;
    let amount_in = 5_000_000;
    let hops = [
        (w.ab_cheap_b, true),
        (w.bc, true),
        (w.bc2, false),
        (w.ab_even, false),
    ];
    let s = simulate(&hops, amount_in);
    let [(t0, b1), (t1, c), (t2, b2), (t3, a)] = s[..] else {
        unreachable!()
    };
    assert!(a > t0);
    assert!(
        t1 < b1 || t2 < c || t3 < b2,
        "this route exercises a hop that takes less than it is given"
    );
    let ix = route_ix(
        u,
        ua,
        amount_in,
        a - t0,
        vec![
            (w.ab_cheap_b.block(u, ua, ub, true), true),
            (w.bc.block(u, ub, uc, true), true),
            (w.bc2.block(u, uc, ub, false), false),
            (w.ab_even.block(u, ub, ua, false), false),
        ],
    );
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let out = send(&mut ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    assert_eq!(
        balances(&mut ctx, &[ua, ub, uc]).await,
        vec![START_A - t0 + a, HELD_B + (b1 - t1) + (b2 - t3), c - t2],
    );
    assert_eq!(route_event(&out.ret).amount_out, a);
}

#[tokio::test]
async fn host_fee_account_block_is_accepted() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let first = w.ab_cheap_b.block_with(
        u,
        ua,
        ub,
        true,
        AccountMeta::new(w.ab_cheap_b.fee_account, false),
    );
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![(first, true), (w.ab_even.block(u, ub, ua, false), false)],
    );
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    assert_eq!(send(&mut ctx, &user, ix).await.result, Ok(()));
}

/// A wrapped-SOL start account: its lamports move with its balance (the one account whose lamports
/// may change), and nothing else about it does.
#[tokio::test]
async fn wrapped_sol_route_moves_lamports_with_the_balance() {
    let mut w = world();
    let u = w.user.pubkey();
    let ub = w.accounts[1];
    add(
        &mut w.pt,
        NATIVE_MINT,
        TOKEN,
        mint_data(Pubkey::new_unique(), 0, None),
    );
    let reserve = rent_exempt(spl_token::state::Account::LEN);
    let native = |owner: Pubkey, amount: u64| {
        pack_token(spl_token::state::Account {
            is_native: COption::Some(reserve),
            ..token_account(NATIVE_MINT, owner, amount)
        })
    };
    let uw = Pubkey::new_unique();
    add_with_lamports(&mut w.pt, uw, TOKEN, reserve + START_A, native(u, START_A));
    // Two W/B pools whose W vaults are native accounts too.
    let mut pools = Vec::new();
    for reserves in [(RESERVE, RESERVE * 11 / 10), (RESERVE, RESERVE)] {
        let p = add_pool(
            &mut w.pt,
            PINNED,
            NATIVE_MINT,
            w.mints[1],
            reserves,
            [0; 32],
        );
        add_with_lamports(
            &mut w.pt,
            p.vault_a,
            TOKEN,
            reserve + reserves.0,
            native(p.authority, reserves.0),
        );
        pools.push(p);
    }
    let amount_in = 10_000_000;
    let s = simulate(&[(pools[0], true), (pools[1], false)], amount_in);
    let [(t0, _), (_, a_out)] = s[..] else {
        unreachable!()
    };
    let ix = route_ix(
        u,
        uw,
        amount_in,
        a_out - t0,
        vec![
            (pools[0].block(u, uw, ub, true), true),
            (pools[1].block(u, ub, uw, false), false),
        ],
    );
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let out = send(&mut ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let after = account(&mut ctx, uw).await.unwrap();
    let end = START_A - t0 + a_out;
    assert_eq!(token_state(&mut ctx, uw).await.amount, end);
    assert_eq!(after.lamports, reserve + end);
}

/// Runs `ix`, expects `expected`, and checks no token balance moved. (Program `msg!` output of
/// native programs goes to stdout, not to the transaction logs, so logs are not asserted on.)
async fn assert_rejected(
    w: World,
    ix: solana_sdk::instruction::Instruction,
    expected: Result<(), TransactionError>,
) {
    let keys = all_token_accounts(&w);
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let before = images(&mut ctx, &keys).await;
    let out = send(&mut ctx, &user, ix).await;
    assert_eq!(out.result, expected, "{:#?}", out.logs);
    assert_eq!(out.ret, None);
    assert_eq!(
        images(&mut ctx, &keys).await,
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
    let ix = route_ix(
        u,
        ua,
        10_000_000,
        0,
        vec![
            (w.ab_even.block(u, ua, ub, true), true),
            (w.ab_cheap_b.block(u, ub, ua, false), false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::Unprofitable)).await;
}

#[tokio::test]
async fn profit_below_min_profit_fails_and_moves_nothing() {
    let w = world();
    let amount_in = 10_000_000;
    let s = simulate(&[(w.ab_cheap_b, true), (w.ab_even, false)], amount_in);
    let [(t0, _), (_, a_out)] = s[..] else {
        unreachable!()
    };
    let ix = two_hop(&w, amount_in, a_out - t0 + 1);
    assert_rejected(w, ix, custom(ArbError::Unprofitable)).await;
}

#[tokio::test]
async fn venue_program_that_is_not_pinned_is_refused() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    // A complete, honest venue (cp-swap's code, its own pool) under an id nobody pinned.
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.unpinned_ab.block(u, ua, ub, true), true),
            (w.ab_even.block(u, ub, ua, false), false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::UnknownVenueProgram)).await;
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
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, ua, foreign_b, true), true),
            (w.ab_even.block(u, foreign_b, ua, false), false),
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
    let ix = route_ix(
        u,
        foreign_a,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, foreign_a, ub, true), true),
            (w.ab_even.block(u, ub, foreign_a, false), false),
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
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, ua, uc, true), true),
            (w.ab_even.block(u, uc, ua, false), false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::MintMismatch)).await;
}

#[tokio::test]
async fn hop_paying_into_its_own_source_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, ua, ua, true), true),
            (w.ab_even.block(u, ub, ua, false), false),
        ],
    );
    assert_rejected(w, ix, custom(ArbError::SameSourceAndDestination)).await;
}

#[tokio::test]
async fn frozen_or_token_2022_user_accounts_are_rejected() {
    let mut w = world();
    let u = w.user.pubkey();
    let ua = w.accounts[0];
    let frozen_b = Pubkey::new_unique();
    add(
        &mut w.pt,
        frozen_b,
        TOKEN,
        pack_token(spl_token::state::Account {
            state: spl_token::state::AccountState::Frozen,
            ..token_account(w.mints[1], u, 0)
        }),
    );
    // SPL Token account bytes held by Token-2022 (its base layout is the same).
    let t22_b = Pubkey::new_unique();
    add(
        &mut w.pt,
        t22_b,
        TOKEN_2022,
        token_account_data(w.mints[1], u, 0),
    );
    let route = |dest: Pubkey| {
        route_ix(
            u,
            ua,
            1_000_000,
            0,
            vec![
                (w.ab_cheap_b.block(u, ua, dest, true), true),
                (w.ab_even.block(u, dest, ua, false), false),
            ],
        )
    };
    let (frozen, t22) = (route(frozen_b), route(t22_b));
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    assert_eq!(
        send(&mut ctx, &user, frozen).await.result,
        custom(ArbError::InvalidTokenAccount)
    );
    assert_eq!(
        send(&mut ctx, &user, t22).await.result,
        custom(ArbError::Token2022NotSupported)
    );
    assert_eq!(balance(&mut ctx, ua).await, START_A);
}

#[tokio::test]
async fn venue_program_that_does_not_own_the_pool_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    // The other pinned token-swap id, handed a pool of the first.
    let mut first = w.ab_cheap_b.block(u, ua, ub, true);
    first[0] = AccountMeta::new_readonly(PINNED_FORK, false);
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![(first, true), (w.ab_even.block(u, ub, ua, false), false)],
    );
    assert_rejected(w, ix, custom(ArbError::PoolNotOwnedByVenue)).await;
}

#[tokio::test]
async fn venue_tag_with_a_foreign_program_is_rejected() {
    let w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    // A 12-account block has the Whirlpool block's size, but its program is not Whirlpool.
    let first = w.ab_cheap_b.block_with(
        u,
        ua,
        ub,
        true,
        AccountMeta::new(w.ab_cheap_b.fee_account, false),
    );
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
    ix.accounts[2] = AccountMeta::new_readonly(PINNED, false);
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
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, ua, forged, true), true),
            (w.ab_even.block(u, forged, ua, false), false),
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
    add(
        &mut w.pt,
        fake.key,
        arb_executor::ID,
        w.ab_even.state(w.ab_even.bump).pack().to_vec(),
    );
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, ua, ub, true), true),
            (fake.block(u, ub, ua, false), false),
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
    add(&mut w.pt, bad.key, PINNED, data);
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (w.ab_cheap_b.block(u, ua, ub, true), true),
            (bad.block(u, ub, ua, false), false),
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
    let ix = route_ix(
        u,
        ua,
        1_000_000,
        0,
        vec![(first, true), (w.ab_even.block(u, ub, ua, false), false)],
    );
    assert_rejected(w, ix, custom(ArbError::PoolAccountMismatch)).await;
}

/// Accounts that must never reach a venue, put in the one free slot of a token-swap block (the host
/// fee account): each is refused with its own error before anything runs. The last cases show the
/// screen is not a blanket refusal: a foreign program's account read-only and an empty system
/// account are accepted and the route runs.
#[tokio::test]
async fn venue_blocks_are_screened_before_anything_runs() {
    let mut w = world();
    let u = w.user.pubkey();
    let [ua, ub, _] = w.accounts;
    let other_program = Pubkey::new_unique();
    let stranger = Pubkey::new_unique();
    let mut keys = Vec::new();
    let mut new_account = |pt: &mut ProgramTest, owner: Pubkey, data: Vec<u8>| {
        let k = Pubkey::new_unique();
        add(pt, k, owner, data);
        keys.push(k);
        k
    };
    let own_b = new_account(&mut w.pt, TOKEN, token_account_data(w.mints[1], u, 5_000));
    let delegated = new_account(
        &mut w.pt,
        TOKEN,
        pack_token(spl_token::state::Account {
            delegate: COption::Some(u),
            delegated_amount: 5,
            ..token_account(w.mints[1], stranger, 5_000)
        }),
    );
    let closable = new_account(
        &mut w.pt,
        TOKEN,
        pack_token(spl_token::state::Account {
            close_authority: COption::Some(u),
            ..token_account(w.mints[1], stranger, 0)
        }),
    );
    let mintable = new_account(&mut w.pt, TOKEN, mint_data(u, 0, None));
    let freezable = new_account(&mut w.pt, TOKEN, mint_data(stranger, 0, Some(u)));
    let mut multisig = vec![0u8; spl_token::state::Multisig::LEN];
    spl_token::state::Multisig {
        m: 1,
        n: 2,
        is_initialized: true,
        signers: {
            let mut s = [Pubkey::default(); 11];
            s[0] = stranger;
            s[1] = u;
            s
        },
    }
    .pack_into_slice(&mut multisig);
    let multisig = new_account(&mut w.pt, TOKEN, multisig);
    let t22 = new_account(
        &mut w.pt,
        TOKEN_2022,
        token_account_data(w.mints[1], stranger, 0),
    );
    let foreign = new_account(&mut w.pt, other_program, vec![7; 40]);
    let wallet = Pubkey::new_unique();
    add_with_lamports(
        &mut w.pt,
        wallet,
        solana_sdk::system_program::ID,
        1_000_000_000,
        vec![],
    );
    let empty = Pubkey::new_unique();

    let refused: Vec<(AccountMeta, ArbError)> = vec![
        (AccountMeta::new(u, false), ArbError::AuthorityMisplaced),
        (
            AccountMeta::new_readonly(u, false),
            ArbError::AuthorityMisplaced,
        ),
        (AccountMeta::new(ua, false), ArbError::UserAccountMisplaced),
        (
            AccountMeta::new_readonly(ub, false),
            ArbError::UserAccountMisplaced,
        ),
        (
            AccountMeta::new_readonly(arb_executor::ID, false),
            ArbError::ExecutorInVenueBlock,
        ),
        (
            AccountMeta::new_readonly(solana_sdk::system_program::ID, false),
            ArbError::ProgramInVenueBlock,
        ),
        (
            AccountMeta::new_readonly(PINNED_FORK, false),
            ArbError::ProgramInVenueBlock,
        ),
        (
            AccountMeta::new_readonly(TOKEN, false),
            ArbError::ProgramInVenueBlock,
        ),
        (
            AccountMeta::new(own_b, false),
            ArbError::AuthorityControlledAccount,
        ),
        (
            AccountMeta::new(delegated, false),
            ArbError::AuthorityControlledAccount,
        ),
        (
            AccountMeta::new(closable, false),
            ArbError::AuthorityControlledAccount,
        ),
        (
            AccountMeta::new_readonly(mintable, false),
            ArbError::AuthorityControlledAccount,
        ),
        (
            AccountMeta::new_readonly(freezable, false),
            ArbError::AuthorityControlledAccount,
        ),
        (
            AccountMeta::new_readonly(multisig, false),
            ArbError::AuthorityControlledAccount,
        ),
        (
            AccountMeta::new_readonly(t22, false),
            ArbError::Token2022NotSupported,
        ),
        (
            AccountMeta::new(foreign, false),
            ArbError::UnexpectedWritableAccount,
        ),
        (
            AccountMeta::new(wallet, false),
            ArbError::UnexpectedWritableAccount,
        ),
    ];
    let route = |extra: AccountMeta| {
        route_ix(
            u,
            ua,
            1_000_000,
            0,
            vec![
                (w.ab_cheap_b.block_with(u, ua, ub, true, extra), true),
                (w.ab_even.block(u, ub, ua, false), false),
            ],
        )
    };
    let accepted = [
        AccountMeta::new_readonly(foreign, false),
        AccountMeta::new(empty, false),
    ];
    let cases: Vec<_> = refused
        .iter()
        .map(|(m, e)| (route(m.clone()), *e))
        .collect();
    let ok: Vec<_> = accepted.iter().map(|m| route(m.clone())).collect();
    let watched = [all_token_accounts(&w), keys.clone(), vec![wallet]].concat();
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let before = images(&mut ctx, &watched).await;
    for ((ix, expected), (meta, _)) in cases.into_iter().zip(&refused) {
        let out = send(&mut ctx, &user, ix).await;
        assert_eq!(out.result, custom(expected), "extra account {meta:?}");
    }
    assert_eq!(images(&mut ctx, &watched).await, before);
    for ix in ok {
        let out = send(&mut ctx, &user, ix).await;
        assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    }
    assert!(balance(&mut ctx, ua).await > START_A);
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
        let out = send(
            &mut ctx,
            &user,
            execute_ix(u, ua, 1_000_000, 0, hops, blocks),
        )
        .await;
        assert_eq!(out.result, custom(expected), "{:#?}", out.logs);
    }
    assert_eq!(balance(&mut ctx, ua).await, START_A);
}
