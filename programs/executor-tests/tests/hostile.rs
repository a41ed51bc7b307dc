//! A hostile venue (`hostile-venue`: pays the correct output for its hop, then tries to rob the user
//! whose authority signed) against `execute_route`, in the Solana runtime.
//!
//! - At an unpinned id the venue never runs: every attempt is `UnknownVenueProgram`.
//! - At a pinned id (a compromised or maliciously upgraded venue) every attempt fails with the
//!   specific error of the check that catches it, and the failed transaction changes nothing but the
//!   fee the user paid.
//! - Called directly (not through `arb_executor`), every attack really does what it says, so the
//!   refusals above are not vacuous.
//!
//! The user is the fee payer, as a searcher's hot key is: its account is writable in the transaction,
//! which is exactly what a venue would need to take its SOL.

mod common;

use anchor_spl::token::spl_token;
use arb_executor::ArbError;
use common::*;
use hostile_venue::{Mode, Target};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    instruction::{AccountMeta, Instruction, InstructionError},
    program_option::COption,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::TransactionError,
};

const START_A: u64 = 50_000_000;
const HELD_B: u64 = 777;
const OTHER_B: u64 = 123_456;
const RESERVE: u64 = 1_000_000_000;
const USER_SOL: u64 = 100_000_000_000;
const AMOUNT_IN: u64 = 10_000_000;

/// How an attempt must fail.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// `arb_executor`'s own check, by error code.
    Arb(ArbError),
    /// Refused by the runtime inside the venue's own call. Native test runs report a refused CPI as
    /// `ProgramFailedToComplete` (the harness panics where the validator returns the error), so the
    /// runtime's log line names the refusal.
    Runtime(&'static str),
}

/// What goes in the block's extra (host-fee) slot.
#[derive(Clone, Copy, Debug)]
enum Extra {
    None,
    SystemProgram,
    Executor,
    Authority,
    /// The attacker's token account of the hop's output mint.
    AttackerOutput,
    /// The user's other B account, not part of the route.
    UserOtherB,
    /// The route's start account.
    SourceToken,
    /// The mint the pool authority may freeze.
    FreezableMint,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    mode: Mode,
    target: Target,
    extra: Extra,
    /// For `Freeze`: which mint (0 = A, 1 = B) the pool may freeze.
    freezes: Option<usize>,
    expect: Expect,
}

fn case(mode: Mode, target: Target, extra: Extra, expect: Expect) -> Case {
    Case {
        mode,
        target,
        extra,
        freezes: None,
        expect,
    }
}

/// A case whose route completes (its `expect` is never read).
fn succeeding(mode: Mode) -> Case {
    case(mode, Target::Source, Extra::None, Expect::Runtime(""))
}

/// Every attempt, with the check that must stop it (at a pinned id).
fn cases() -> Vec<Case> {
    use Expect::*;
    use Extra as X;
    use Target::*;
    let mut v = vec![
        case(
            Mode::SweepSource,
            Source,
            X::None,
            Arb(ArbError::HopInputMismatch),
        ),
        case(
            Mode::SweepDestination,
            Source,
            X::None,
            Arb(ArbError::DestinationDecreased),
        ),
        case(
            Mode::OverTake,
            Source,
            X::None,
            Arb(ArbError::HopInputMismatch),
        ),
        case(
            Mode::PayElsewhere,
            Source,
            X::AttackerOutput,
            Arb(ArbError::ZeroOutput),
        ),
        case(
            Mode::StealSol,
            Source,
            X::SystemProgram,
            Arb(ArbError::ProgramInVenueBlock),
        ),
        case(
            Mode::StealSol,
            Source,
            X::Authority,
            Arb(ArbError::AuthorityMisplaced),
        ),
        case(
            Mode::Reenter,
            Source,
            X::None,
            Runtime("Unknown program B615jtPsAfEt713LWGkJUqZhM6mVLxLbEzu7b3ZUsXvg"),
        ),
        case(
            Mode::Reenter,
            Source,
            X::Executor,
            Arb(ArbError::ExecutorInVenueBlock),
        ),
        case(
            Mode::SweepExtra,
            Source,
            X::UserOtherB,
            Arb(ArbError::AuthorityControlledAccount),
        ),
        case(
            Mode::SweepExtra,
            Source,
            X::SourceToken,
            Arb(ArbError::UserAccountMisplaced),
        ),
    ];
    for target in [Source, Destination] {
        v.push(case(
            Mode::SetOwner,
            target,
            X::None,
            Arb(ArbError::TokenOwnerChanged),
        ));
        v.push(case(
            Mode::SetCloseAuthority,
            target,
            X::None,
            Arb(ArbError::CloseAuthorityChanged),
        ));
        v.push(case(
            Mode::Approve,
            target,
            X::None,
            Arb(ArbError::DelegateChanged),
        ));
        v.push(case(
            Mode::Close,
            target,
            X::None,
            Arb(ArbError::TokenAccountClosed),
        ));
    }
    for mint in [0, 1] {
        v.push(Case {
            freezes: Some(mint),
            ..case(
                Mode::Freeze,
                Source,
                X::FreezableMint,
                Arb(ArbError::TokenStateChanged),
            )
        });
    }
    v
}

struct World {
    pt: ProgramTest,
    user: Keypair,
    mints: [Pubkey; 2],
    ua: Pubkey,
    ub: Pubkey,
    ub_other: Pubkey,
    /// The attacker's token accounts for A and B.
    attacker: [Pubkey; 2],
    /// Honest cp-swap pools at the pinned SPL id: B cheap (for hop 0) and A cheap (for hop 1).
    cheap_b: Pool,
    cheap_a: Pool,
    /// One hostile pool (1:1) per case, at the pinned fork id and at an unpinned id.
    pinned: Vec<(Case, Pool)>,
    unpinned: Vec<(Case, Pool)>,
    honest_pinned: Pool,
}

fn params(mode: Mode, target: Target) -> [u8; 32] {
    let mut p = [0u8; 32];
    p[0] = mode as u8;
    p[1] = target as u8;
    p
}

fn world() -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.add_program("cp_swap", PINNED, processor!(cp_swap::process_instruction));
    pt.add_program(
        "hostile_pinned",
        PINNED_FORK,
        processor!(hostile_venue::process_instruction),
    );
    pt.add_program(
        "hostile_unpinned",
        UNPINNED,
        processor!(hostile_venue::process_instruction),
    );
    pt.prefer_bpf(false);
    let user = Keypair::new();
    add_with_lamports(
        &mut pt,
        user.pubkey(),
        solana_sdk::system_program::ID,
        USER_SOL,
        vec![],
    );
    let [a, b] = [Pubkey::new_unique(), Pubkey::new_unique()];
    let (ua, ub, ub_other) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    add(
        &mut pt,
        ua,
        TOKEN,
        token_account_data(a, user.pubkey(), START_A),
    );
    add(
        &mut pt,
        ub,
        TOKEN,
        token_account_data(b, user.pubkey(), HELD_B),
    );
    add(
        &mut pt,
        ub_other,
        TOKEN,
        token_account_data(b, user.pubkey(), OTHER_B),
    );
    let thief = Pubkey::new_unique();
    let attacker = [Pubkey::new_unique(), Pubkey::new_unique()];
    add(&mut pt, attacker[0], TOKEN, token_account_data(a, thief, 0));
    add(&mut pt, attacker[1], TOKEN, token_account_data(b, thief, 0));
    let cheap_b = add_pool(&mut pt, PINNED, a, b, (RESERVE, RESERVE * 11 / 10), [0; 32]);
    let cheap_a = add_pool(&mut pt, PINNED, a, b, (RESERVE * 11 / 10, RESERVE), [0; 32]);
    let mut hostile = |program: Pubkey| -> Vec<(Case, Pool)> {
        cases()
            .into_iter()
            .map(|c| {
                (
                    c,
                    add_pool(
                        &mut pt,
                        program,
                        a,
                        b,
                        (RESERVE, RESERVE),
                        params(c.mode, c.target),
                    ),
                )
            })
            .collect()
    };
    let pinned = hostile(PINNED_FORK);
    let unpinned = hostile(UNPINNED);
    let honest_pinned = add_pool(
        &mut pt,
        PINNED_FORK,
        a,
        b,
        (RESERVE, RESERVE),
        params(Mode::Honest, Target::Source),
    );
    // Each mint may be frozen by the pinned Freeze pool that names it.
    let freezer = |mint: usize| {
        pinned
            .iter()
            .find(|(c, _)| c.freezes == Some(mint))
            .map(|(_, p)| p.authority)
    };
    add(
        &mut pt,
        a,
        TOKEN,
        mint_data(Pubkey::new_unique(), u64::MAX / 4, freezer(0)),
    );
    add(
        &mut pt,
        b,
        TOKEN,
        mint_data(Pubkey::new_unique(), u64::MAX / 4, freezer(1)),
    );
    World {
        pt,
        user,
        mints: [a, b],
        ua,
        ub,
        ub_other,
        attacker,
        cheap_b,
        cheap_a,
        pinned,
        unpinned,
        honest_pinned,
    }
}

/// The route with the hostile pool at hop `position` (0: A→B then the honest B→A; 1: the honest A→B
/// then B→A through the hostile pool, whose destination is the start account).
fn hostile_route(w: &World, c: &Case, pool: &Pool, position: usize) -> Instruction {
    let u = w.user.pubkey();
    let (ua, ub) = (w.ua, w.ub);
    let output_mint = if position == 0 { 1 } else { 0 };
    let extra = match c.extra {
        Extra::None => None,
        Extra::SystemProgram => Some(AccountMeta::new_readonly(
            solana_sdk::system_program::ID,
            false,
        )),
        Extra::Executor => Some(AccountMeta::new_readonly(arb_executor::ID, false)),
        Extra::Authority => Some(AccountMeta::new(u, false)),
        Extra::AttackerOutput => Some(AccountMeta::new(w.attacker[output_mint], false)),
        Extra::UserOtherB => Some(AccountMeta::new(w.ub_other, false)),
        Extra::SourceToken => Some(AccountMeta::new(ua, false)),
        Extra::FreezableMint => Some(AccountMeta::new_readonly(
            w.mints[c.freezes.unwrap()],
            false,
        )),
    };
    let hostile_block = |source, destination, a_to_b| match extra.clone() {
        Some(e) => pool.block_with(u, source, destination, a_to_b, e),
        None => pool.block(u, source, destination, a_to_b),
    };
    let blocks = if position == 0 {
        vec![
            (hostile_block(ua, ub, true), true),
            (w.cheap_a.block(u, ub, ua, false), false),
        ]
    } else {
        vec![
            (w.cheap_b.block(u, ua, ub, true), true),
            (hostile_block(ub, ua, false), false),
        ]
    };
    route_ix(u, ua, AMOUNT_IN, 1, blocks)
}

/// Every account an attempt could touch.
fn watched(w: &World) -> Vec<Pubkey> {
    let mut v = vec![
        w.ua,
        w.ub,
        w.ub_other,
        w.attacker[0],
        w.attacker[1],
        w.mints[0],
        w.mints[1],
    ];
    for p in [w.cheap_a, w.cheap_b, w.honest_pinned] {
        v.extend([p.vault_a, p.vault_b]);
    }
    for (_, p) in w.pinned.iter().chain(&w.unpinned) {
        v.extend([p.vault_a, p.vault_b, p.fee_account]);
    }
    v
}

async fn user_lamports(ctx: &mut ProgramTestContext, w_user: Pubkey) -> u64 {
    account(ctx, w_user).await.unwrap().lamports
}

/// Sends each attempt through `arb_executor` (user paying), checks its error, and checks nothing but
/// the fee moved.
async fn run_attempts(w: World, pinned: bool) {
    let user = w.user.insecure_clone();
    let keys = watched(&w);
    let pools = if pinned {
        w.pinned.clone()
    } else {
        w.unpinned.clone()
    };
    let attempts: Vec<(String, Instruction, Expect)> = pools
        .iter()
        .flat_map(|(c, pool)| {
            (0..2).map(|position| {
                let expect = if pinned {
                    c.expect
                } else {
                    Expect::Arb(ArbError::UnknownVenueProgram)
                };
                (
                    format!(
                        "{:?} {:?} {:?} at hop {position}",
                        c.mode, c.target, c.extra
                    ),
                    hostile_route(&w, c, pool, position),
                    expect,
                )
            })
        })
        .collect();
    assert_eq!(attempts.len(), 2 * cases().len());
    let mut ctx = w.pt.start_with_context().await;
    for (name, ix, expect) in attempts {
        let before = images(&mut ctx, &keys).await;
        let sol_before = user_lamports(&mut ctx, user.pubkey()).await;
        let out = send_signed(&mut ctx, &[&user], ix).await;
        match expect {
            Expect::Arb(code) => assert_eq!(out.result, custom(code), "{name}: {:#?}", out.logs),
            Expect::Runtime(line) => {
                assert_eq!(
                    out.result,
                    Err(TransactionError::InstructionError(
                        0,
                        InstructionError::ProgramFailedToComplete
                    )),
                    "{name}"
                );
                assert!(
                    out.logs.iter().any(|l| l.contains(line)),
                    "{name}: no {line:?} in {:#?}",
                    out.logs
                );
            }
        }
        assert_eq!(
            images(&mut ctx, &keys).await,
            before,
            "{name}: a token account or mint moved"
        );
        assert_eq!(
            user_lamports(&mut ctx, user.pubkey()).await,
            sol_before - out.fee,
            "{name}: the user lost more than the fee"
        );
    }
}

#[tokio::test]
async fn pinned_hostile_venue_every_attempt_fails_with_its_named_error() {
    run_attempts(world(), true).await;
}

#[tokio::test]
async fn unpinned_hostile_venue_is_refused_before_it_runs() {
    run_attempts(world(), false).await;
}

#[tokio::test]
async fn hostile_venue_in_honest_mode_pays_the_exact_output() {
    for position in [0, 1] {
        let w = world();
        let c = succeeding(Mode::Honest);
        let ix = hostile_route(&w, &c, &w.honest_pinned, position);
        let hops = if position == 0 {
            [(w.honest_pinned, true), (w.cheap_a, false)]
        } else {
            [(w.cheap_b, true), (w.honest_pinned, false)]
        };
        let s = simulate(&hops, AMOUNT_IN);
        let [(t0, b), (t1, end)] = s[..] else {
            unreachable!()
        };
        assert!(end > t0);
        let user = w.user.insecure_clone();
        let mut ctx = w.pt.start_with_context().await;
        let out = send_signed(&mut ctx, &[&user], ix).await;
        assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
        assert_eq!(
            balances(&mut ctx, &[w.ua, w.ub]).await,
            vec![START_A - t0 + end, HELD_B + b - t1]
        );
        assert_eq!(route_event(&out.ret).profit, end - t0);
    }
}

/// A venue that takes less than it was given (as token-swap's rounding does) and still pays the full
/// output is no loss: the route completes and the rest stays in the user's account, at either hop.
#[tokio::test]
async fn venue_taking_less_than_it_was_given_leaves_the_rest_with_the_user() {
    let mut w = world();
    let c = succeeding(Mode::UnderTake);
    let (a, b) = (w.mints[0], w.mints[1]);
    let pool = add_pool(
        &mut w.pt,
        PINNED_FORK,
        a,
        b,
        (RESERVE, RESERVE),
        params(Mode::UnderTake, Target::Source),
    );
    let routes: Vec<_> = (0..2)
        .map(|position| hostile_route(&w, &c, &pool, position))
        .collect();
    let user = w.user.insecure_clone();
    let (ua, ub) = (w.ua, w.ub);
    let [cheap_a, cheap_b] = [w.cheap_a, w.cheap_b];
    let mut ctx = w.pt.start_with_context().await;
    // Hop 0 keeps 1 A of source_token's AMOUNT_IN.
    let out = send_signed(&mut ctx, &[&user], routes[0].clone()).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let s = simulate(&[(pool, true), (cheap_a, false)], AMOUNT_IN);
    let [(t0, b_out), (t1, a_out)] = s[..] else {
        unreachable!()
    };
    assert_eq!(
        t0, AMOUNT_IN,
        "cp-swap math takes the whole input here; the venue keeps one back"
    );
    let after_first = START_A - (AMOUNT_IN - 1) + a_out;
    assert_eq!(
        balances(&mut ctx, &[ua, ub]).await,
        vec![after_first, HELD_B + b_out - t1]
    );
    assert_eq!(route_event(&out.ret).profit, a_out - (AMOUNT_IN - 1));
    // Last hop keeps 1 B of what it was given: it stays in the user's B account.
    let held_b = HELD_B + b_out - t1;
    let out = send_signed(&mut ctx, &[&user], routes[1].clone()).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let ev = route_event(&out.ret);
    let (cb_taken, cb_out) = cheap_b.swap(AMOUNT_IN, true);
    assert_eq!(cb_taken, AMOUNT_IN);
    assert_eq!(balance(&mut ctx, ub).await, held_b + 1);
    assert_eq!(balance(&mut ctx, ua).await, after_first + ev.profit);
    assert!(ev.profit > 0 && ev.amount_out > AMOUNT_IN && cb_out > 0);
}

async fn token_opt(ctx: &mut ProgramTestContext, key: Pubkey) -> Option<spl_token::state::Account> {
    account(ctx, key)
        .await
        .filter(|a| a.lamports > 0)
        .map(|a| solana_sdk::program_pack::Pack::unpack(&a.data).unwrap())
}

/// The venue called directly by the user (as a wallet would), with the block of hop 0 and the user
/// writable: each attack does real harm, so the refusals above stop something real. Two cases have
/// no direct counterpart: stealing SOL with only the user in the extra slot (the system program must
/// be among the venue's accounts; the system-program case shows the theft) and calling back without
/// the executor among its accounts (the runtime refuses that even outside a route; the case with the
/// executor in the extra slot shows the call).
#[tokio::test]
async fn each_attack_really_happens_when_the_venue_is_called_directly() {
    let controls: Vec<usize> = cases()
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            !(c.mode == Mode::StealSol && matches!(c.extra, Extra::Authority)
                || c.mode == Mode::Reenter && matches!(c.extra, Extra::None))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(controls.len(), cases().len() - 2);
    for i in controls {
        let w = world();
        let (c, pool) = w.pinned[i];
        let name = format!("{:?} {:?} {:?}", c.mode, c.target, c.extra);
        let route = hostile_route(&w, &c, &pool, 0);
        let len = if matches!(c.extra, Extra::None) {
            11
        } else {
            12
        };
        // The hostile block of hop 0 on its own (after execute_route's three named accounts).
        let block: Vec<AccountMeta> = route.accounts[3..3 + len]
            .iter()
            .map(|m| {
                if m.pubkey == w.user.pubkey() {
                    AccountMeta::new(m.pubkey, true)
                } else {
                    m.clone()
                }
            })
            .collect();
        assert_eq!(block[0].pubkey, PINNED_FORK);
        let ix = Instruction {
            program_id: block[0].pubkey,
            accounts: block[1..].to_vec(),
            data: cp_swap::processor::swap_data(AMOUNT_IN, 0).to_vec(),
        };
        let user = w.user.insecure_clone();
        let mut ctx = w.pt.start_with_context().await;
        let sol_before = user_lamports(&mut ctx, user.pubkey()).await;
        let out = send_signed(&mut ctx, &[&user], ix).await;
        if c.mode == Mode::Reenter {
            // With the executor among its accounts the venue does call it (which then rejects the
            // made-up arguments): keeping the executor out of venue blocks is what stops the call.
            let invoke = format!("Program {} invoke [2]", arb_executor::ID);
            assert!(
                out.logs.iter().any(|l| l == &invoke),
                "{name}: {:#?}",
                out.logs
            );
            continue;
        }
        assert_eq!(out.result, Ok(()), "{name}: {:#?}", out.logs);
        let ua = token_opt(&mut ctx, w.ua).await;
        let ub = token_opt(&mut ctx, w.ub).await;
        let target = if c.target == Target::Source { ua } else { ub };
        let thief = COption::Some(pool.authority);
        match c.mode {
            Mode::SweepSource => assert_eq!(ua.unwrap().amount, 0, "{name}"),
            Mode::SweepDestination => assert_eq!(ub.unwrap().amount, 0, "{name}"),
            Mode::OverTake => assert_eq!(ua.unwrap().amount, START_A - AMOUNT_IN - 1, "{name}"),
            Mode::PayElsewhere => {
                assert_eq!(ub.unwrap().amount, HELD_B, "{name}");
                assert_eq!(
                    balance(&mut ctx, w.attacker[1]).await,
                    pool.quote(AMOUNT_IN, true),
                    "{name}"
                );
            }
            Mode::SetOwner => assert_eq!(target.unwrap().owner, pool.authority, "{name}"),
            Mode::SetCloseAuthority => assert_eq!(target.unwrap().close_authority, thief, "{name}"),
            Mode::Approve => {
                let t = target.unwrap();
                assert_eq!(
                    (t.delegate, t.delegated_amount),
                    (thief, u64::MAX),
                    "{name}"
                );
            }
            Mode::Close => assert!(target.is_none(), "{name}: the account still exists"),
            Mode::StealSol => assert_eq!(
                user_lamports(&mut ctx, user.pubkey()).await,
                sol_before - out.fee - 1_000_000_000,
                "{name}"
            ),
            Mode::Freeze => {
                let victim = if c.freezes == Some(0) { ua } else { ub };
                assert_eq!(
                    victim.unwrap().state,
                    spl_token::state::AccountState::Frozen,
                    "{name}"
                );
            }
            Mode::SweepExtra => {
                let victim = if matches!(c.extra, Extra::UserOtherB) {
                    w.ub_other
                } else {
                    w.ua
                };
                assert_eq!(balance(&mut ctx, victim).await, 0, "{name}");
            }
            Mode::Honest | Mode::UnderTake | Mode::Reenter => unreachable!(),
        }
    }
}

#[test]
fn the_hostile_venue_reenters_the_real_executor() {
    assert_eq!(hostile_venue::EXECUTOR, arb_executor::ID);
}
