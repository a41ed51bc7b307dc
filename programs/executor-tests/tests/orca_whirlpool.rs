//! `execute_route` through the real Orca Whirlpool program: the mainnet dump committed in
//! `vendor/solana-programs/whirlpool.so` (sha256 checked before it is loaded) runs at
//! `whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc` beside the host-compiled `arb_executor`, with SPL
//! Token and Token-2022 the runtime's built-in programs. Pools sit at their program addresses with
//! fixed tick arrays at theirs, built by `whirlpool_pack`; arrays a swap walks without initialised
//! ticks are left uncreated (the program reads them as empty). Token-2022 mints and accounts come
//! from `cpmm_pack`.
//!
//! Expected amounts are what the same swaps pay sent straight to the venue, with no executor, in an
//! identical bank.

mod common;
mod cpmm_pack;
mod whirlpool_pack;

use arb_executor::venues::raydium_clmm::MEMO_PROGRAM_ID;
use arb_executor::venues::{orca_whirlpool as v1, orca_whirlpool_v2 as v2};
use arb_executor::{ArbError, RouteHop, Venue};
use common::*;
use cpmm_pack::{account_2022, mint_2022, transfer_fee_config, withheld, TransferFee};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction, InstructionError},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::TransactionError,
};
use whirlpool_pack::*;

const BINARY: &[u8] = include_bytes!("../../../vendor/solana-programs/whirlpool.so");
/// sha256 recorded in vendor/solana-programs/PROVENANCE.md.
const BINARY_SHA256: &str = "9704e88f8bd3b192acc7ae8f141ce948082d3a7f61651867845627dd45ae44c7";
const TOKEN_2022: Pubkey = cpmm_pack::TOKEN_2022;
const SPACING: u16 = 64;
/// 1.5 % transfer fee on T, capped at 2e8 units.
const T_FEE: TransferFee = TransferFee {
    epoch: 0,
    maximum_fee: 200_000_000,
    basis_points: 150,
};
const START_A: u64 = 1 << 40;
/// Crosses P1's initialised tick -128, leaving tick array 0 for the one starting at -5632.
const AMOUNT: u64 = 20_000_000_000;

fn checked_binary() -> Vec<u8> {
    let digest = solana_sdk::hash::hash(BINARY).to_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, BINARY_SHA256, "whirlpool.so is not the recorded build");
    BINARY.to_vec()
}

fn deploy(pt: &mut ProgramTest, id: Pubkey) {
    let elf = checked_binary();
    pt.add_account(
        id,
        Account {
            lamports: rent_exempt(elf.len()),
            data: elf,
            owner: solana_sdk::bpf_loader::id(),
            executable: true,
            rent_epoch: 0,
        },
    );
}

/// One packed pool.
#[derive(Clone, Copy, Debug)]
struct Wp {
    program: Pubkey,
    key: Pubkey,
    mint_a: Pubkey,
    mint_b: Pubkey,
    vault_a: Pubkey,
    vault_b: Pubkey,
    program_a: Pubkey,
    program_b: Pubkey,
    tick: i32,
}

impl Wp {
    fn arrays(&self, a_to_b: bool) -> Vec<AccountMeta> {
        swap_array_starts(self.tick, SPACING, a_to_b)
            .iter()
            .map(|s| AccountMeta::new(tick_array_address(&self.program, &self.key, *s), false))
            .collect()
    }

    /// The `swap` block: program, then the venue's 11 accounts (`ua`/`ub` the user's A and B).
    fn v1(&self, user: Pubkey, ua: Pubkey, ub: Pubkey, a_to_b: bool) -> Vec<AccountMeta> {
        let mut b = vec![
            AccountMeta::new_readonly(self.program, false),
            AccountMeta::new_readonly(TOKEN, false),
            AccountMeta::new_readonly(user, true),
            AccountMeta::new(self.key, false),
            AccountMeta::new(ua, false),
            AccountMeta::new(self.vault_a, false),
            AccountMeta::new(ub, false),
            AccountMeta::new(self.vault_b, false),
        ];
        b.extend(self.arrays(a_to_b));
        b.push(AccountMeta::new(
            oracle_address(&self.program, &self.key),
            false,
        ));
        b
    }

    /// The `swap_v2` block: program, then the venue's 15 accounts.
    fn v2(&self, user: Pubkey, ua: Pubkey, ub: Pubkey, a_to_b: bool) -> Vec<AccountMeta> {
        let mut b = vec![
            AccountMeta::new_readonly(self.program, false),
            AccountMeta::new_readonly(self.program_a, false),
            AccountMeta::new_readonly(self.program_b, false),
            AccountMeta::new_readonly(MEMO_PROGRAM_ID, false),
            AccountMeta::new_readonly(user, true),
            AccountMeta::new(self.key, false),
            AccountMeta::new_readonly(self.mint_a, false),
            AccountMeta::new_readonly(self.mint_b, false),
            AccountMeta::new(ua, false),
            AccountMeta::new(self.vault_a, false),
            AccountMeta::new(ub, false),
            AccountMeta::new(self.vault_b, false),
        ];
        b.extend(self.arrays(a_to_b));
        b.push(AccountMeta::new(
            oracle_address(&self.program, &self.key),
            false,
        ));
        b
    }
}

/// Every key a world is built from, fixed so that two banks can be built identical.
struct Keys {
    user: Keypair,
    mint_a: Pubkey,
    mint_b: Pubkey,
    mint_t: Pubkey,
    mint_h: Pubkey,
    ua: Pubkey,
    ub: Pubkey,
    ut: Pubkey,
    uh: Pubkey,
    configs: [Pubkey; 5],
    vaults: [Pubkey; 10],
}

impl Keys {
    fn new() -> Self {
        let k = Pubkey::new_unique;
        Keys {
            user: Keypair::new(),
            mint_a: k(),
            mint_b: k(),
            mint_t: k(),
            mint_h: k(),
            ua: k(),
            ub: k(),
            ut: k(),
            uh: k(),
            configs: [k(), k(), k(), k(), k()],
            vaults: [k(), k(), k(), k(), k(), k(), k(), k(), k(), k()],
        }
    }
}

struct World {
    ctx: ProgramTestContext,
    user: Keypair,
    /// A/B at tick 0 (liquidity 2e12 around the price, 1e12 past ticks ±128) and at tick -2000
    /// (B dearer): A → P1 → B → P2 → A pays.
    p1: Wp,
    p2: Wp,
    /// The same two prices over A/T, T a Token-2022 mint with a transfer fee.
    q1: Wp,
    q2: Wp,
    /// A/H, H a Token-2022 mint with a transfer hook.
    h: Wp,
}

#[allow(clippy::too_many_arguments)]
fn add_pool(
    pt: &mut ProgramTest,
    program: Pubkey,
    config: Pubkey,
    (mint_a, program_a, vault_a): (Pubkey, Pubkey, Pubkey),
    (mint_b, program_b, vault_b): (Pubkey, Pubkey, Pubkey),
    tick: i32,
    sqrt_price: u128,
    fee_rate: u16,
    positions: &[(i32, i32, u128)],
) -> Wp {
    let (key, bump) = pool_address(&program, &config, &mint_a, &mint_b, SPACING);
    for (vault, mint, token_program) in [(vault_a, mint_a, program_a), (vault_b, mint_b, program_b)]
    {
        let data = if token_program == TOKEN_2022 {
            account_2022(mint, key, 1 << 50, true)
        } else {
            token_account_data(mint, key, 1 << 50)
        };
        add(pt, vault, token_program, data);
    }
    let ticks = ticks_of(positions);
    let mut starts: Vec<i32> = ticks.keys().map(|t| array_start(*t, SPACING)).collect();
    starts.dedup();
    for s in starts {
        add(
            pt,
            tick_array_address(&program, &key, s),
            program,
            tick_array(&key, s, SPACING, &ticks),
        );
    }
    let liquidity = positions
        .iter()
        .filter(|(lo, hi, _)| *lo <= tick && tick < *hi)
        .map(|p| p.2)
        .sum();
    let fields = PoolFields {
        config,
        bump,
        spacing: SPACING,
        fee_rate,
        protocol_fee_rate: 1_300,
        liquidity,
        sqrt_price,
        tick,
        mint_a,
        vault_a,
        mint_b,
        vault_b,
    };
    add(pt, key, program, whirlpool(&fields));
    Wp {
        program,
        key,
        mint_a,
        mint_b,
        vault_a,
        vault_b,
        program_a,
        program_b,
        tick,
    }
}

fn world_bank(k: &Keys) -> (ProgramTest, World0) {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.prefer_bpf(false);
    deploy(&mut pt, WHIRLPOOL);
    let u = k.user.pubkey();
    for m in [k.mint_a, k.mint_b] {
        add(
            &mut pt,
            m,
            TOKEN,
            mint_data(Pubkey::new_unique(), u64::MAX / 4, None),
        );
    }
    add(
        &mut pt,
        k.mint_t,
        TOKEN_2022,
        mint_2022(
            Pubkey::new_unique(),
            u64::MAX / 4,
            6,
            &[(
                cpmm_pack::TRANSFER_FEE_CONFIG,
                transfer_fee_config(T_FEE, T_FEE),
            )],
        ),
    );
    add(
        &mut pt,
        k.mint_h,
        TOKEN_2022,
        mint_2022(
            Pubkey::new_unique(),
            u64::MAX / 4,
            6,
            &[(cpmm_pack::TRANSFER_HOOK, vec![7u8; 64])],
        ),
    );
    add(
        &mut pt,
        k.ua,
        TOKEN,
        token_account_data(k.mint_a, u, START_A),
    );
    add(&mut pt, k.ub, TOKEN, token_account_data(k.mint_b, u, 0));
    add(
        &mut pt,
        k.ut,
        TOKEN_2022,
        account_2022(k.mint_t, u, 0, true),
    );
    add(
        &mut pt,
        k.uh,
        TOKEN_2022,
        account_2022(k.mint_h, u, 0, false),
    );
    add_with_lamports(
        &mut pt,
        u,
        solana_sdk::system_program::id(),
        1_000_000_000,
        vec![],
    );
    let near = [
        (-11264, 11264, 1_000_000_000_000),
        (-128, 128, 1_000_000_000_000),
    ];
    let wide = [(-11264, 11264, 5_000_000_000_000)];
    let at_0 = (1u128 << 64) + 1_000;
    let at_m2000 = sqrt_price_at_negative_tick(-2000) + 77;
    let v = &k.vaults;
    let (a, b, t, h) = (
        |i: usize| (k.mint_a, TOKEN, v[i]),
        |i: usize| (k.mint_b, TOKEN, v[i]),
        |i: usize| (k.mint_t, TOKEN_2022, v[i]),
        |i: usize| (k.mint_h, TOKEN_2022, v[i]),
    );
    let c = &k.configs;
    let p1 = add_pool(&mut pt, WHIRLPOOL, c[0], a(0), b(1), 0, at_0, 3_000, &near);
    let p2 = add_pool(
        &mut pt,
        WHIRLPOOL,
        c[1],
        a(2),
        b(3),
        -2000,
        at_m2000,
        500,
        &wide,
    );
    let q1 = add_pool(&mut pt, WHIRLPOOL, c[2], a(4), t(5), 0, at_0, 3_000, &near);
    let q2 = add_pool(
        &mut pt,
        WHIRLPOOL,
        c[3],
        a(6),
        t(7),
        -2000,
        at_m2000,
        10_000,
        &wide,
    );
    let h = add_pool(
        &mut pt,
        WHIRLPOOL,
        c[4],
        a(8),
        h(9),
        -2000,
        at_m2000,
        500,
        &wide,
    );
    (pt, World0 { p1, p2, q1, q2, h })
}

struct World0 {
    p1: Wp,
    p2: Wp,
    q1: Wp,
    q2: Wp,
    h: Wp,
}

/// Starts the bank at a fixed clock: a swap writes the time into the pool (its reward update), so
/// two banks compared byte for byte must agree on it.
async fn start(pt: ProgramTest) -> ProgramTestContext {
    let ctx = pt.start_with_context().await;
    let mut clock: solana_sdk::clock::Clock = ctx.banks_client.get_sysvar().await.unwrap();
    clock.unix_timestamp = 1_700_000_000;
    ctx.set_sysvar(&clock);
    ctx
}

async fn world(k: &Keys) -> World {
    let (pt, w) = world_bank(k);
    World {
        ctx: start(pt).await,
        user: k.user.insecure_clone(),
        p1: w.p1,
        p2: w.p2,
        q1: w.q1,
        q2: w.q2,
        h: w.h,
    }
}

fn hop(venue: Venue, block: &[AccountMeta], a_to_b: bool) -> RouteHop {
    RouteHop {
        venue,
        num_accounts: block.len() as u8,
        a_to_b,
    }
}

fn route(
    user: Pubkey,
    source: Pubkey,
    amount: u64,
    min_profit: u64,
    hops: Vec<(Venue, Vec<AccountMeta>, bool)>,
) -> Instruction {
    execute_ix(
        user,
        source,
        amount,
        min_profit,
        hops.iter().map(|(v, b, d)| hop(*v, b, *d)).collect(),
        hops.into_iter().map(|(_, b, _)| b).collect(),
    )
}

/// The venue's own instruction for a block (program stripped).
fn direct(venue: Venue, block: &[AccountMeta], amount: u64, a_to_b: bool) -> Instruction {
    let data = match venue {
        Venue::OrcaWhirlpool => v1::swap_data(amount, 0, a_to_b).to_vec(),
        _ => v2::swap_data(amount, a_to_b),
    };
    Instruction {
        program_id: block[0].pubkey,
        accounts: block[1..].to_vec(),
        data,
    }
}

async fn data(ctx: &mut ProgramTestContext, key: Pubkey) -> Vec<u8> {
    account(ctx, key).await.expect("account exists").data
}

async fn amount(ctx: &mut ProgramTestContext, key: Pubkey) -> u64 {
    let d = data(ctx, key).await;
    u64::from_le_bytes(d[64..72].try_into().unwrap())
}

/// A → first pool (a to b) → B or T → second pool (b to a) → A, at each of `amounts`: the same two
/// swaps sent straight to the venue in one bank, then the route through the executor in an identical
/// bank. Every balance, pool and tick array must end the same, profit included.
async fn route_pays_what_the_venue_pays(
    venue: Venue,
    pick: fn(&World) -> (Wp, Wp),
    amounts: &[u64],
) {
    let k = Keys::new();
    let u = k.user.pubkey();
    let mut d = world(&k).await;
    let mut r = world(&k).await;
    let (first, second) = pick(&d);
    let mid = if first.program_b == TOKEN_2022 {
        k.ut
    } else {
        k.ub
    };
    let block = |p: &Wp, a_to_b: bool| match venue {
        Venue::OrcaWhirlpool => p.v1(u, k.ua, mid, a_to_b),
        _ => p.v2(u, k.ua, mid, a_to_b),
    };
    let mut watch = vec![k.ua, mid, first.key, second.key];
    watch.extend([first.vault_a, first.vault_b, second.vault_a, second.vault_b]);
    for p in [&first, &second] {
        for a_to_b in [true, false] {
            watch.extend(p.arrays(a_to_b).iter().map(|m| m.pubkey));
        }
    }
    watch.sort();
    watch.dedup();
    for &x in amounts {
        let (b1, b2) = (block(&first, true), block(&second, false));
        let start_a = amount(&mut d.ctx, k.ua).await;
        let start_mid = amount(&mut d.ctx, mid).await;
        let user = d.user.insecure_clone();
        let out = send(&mut d.ctx, &user, direct(venue, &b1, x, true)).await;
        assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
        let arrived = amount(&mut d.ctx, mid).await - start_mid;
        let out = send(&mut d.ctx, &user, direct(venue, &b2, arrived, false)).await;
        assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
        let end_a = amount(&mut d.ctx, k.ua).await;
        assert!(end_a > start_a, "the two pools are dislocated");

        let fee_held = |d: &[u8]| if mid == k.ut { withheld(d) } else { 0 };
        let held_user = fee_held(&data(&mut r.ctx, mid).await);
        let held_vault = fee_held(&data(&mut r.ctx, second.vault_b).await);
        let ix = route(
            u,
            k.ua,
            x,
            end_a - start_a,
            vec![(venue, b1, true), (venue, b2, false)],
        );
        let user = r.user.insecure_clone();
        let out = send(&mut r.ctx, &user, ix).await;
        assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
        let ev = route_event(&out.ret);
        assert_eq!((ev.amount_in, ev.profit), (x, end_a - start_a));
        assert_eq!(ev.pools, vec![first.key, second.key]);
        assert_eq!(
            amount(&mut r.ctx, mid).await,
            start_mid,
            "hop 1 spent all hop 0 paid"
        );
        assert_eq!(
            images(&mut r.ctx, &watch).await,
            images(&mut d.ctx, &watch).await
        );
        if mid == k.ut {
            // Token-2022 withheld both transfer fees: on hop 0's payout to the user and on hop 1's
            // payment into the pool (capped at the larger amount).
            let fees = [
                fee_held(&data(&mut r.ctx, mid).await) - held_user,
                fee_held(&data(&mut r.ctx, second.vault_b).await) - held_vault,
            ];
            for fee in fees {
                if x == AMOUNT {
                    assert_eq!(fee, T_FEE.maximum_fee);
                } else {
                    assert!(0 < fee && fee < T_FEE.maximum_fee, "fee {fee}");
                }
            }
        }
    }
}

#[tokio::test]
async fn swap_route_through_the_real_whirlpool_pays_what_the_venue_pays_directly() {
    route_pays_what_the_venue_pays(
        Venue::OrcaWhirlpool,
        |w| (w.p1, w.p2),
        &[AMOUNT, 1_000_000, 12_345],
    )
    .await;
}

#[tokio::test]
async fn swap_v2_route_with_spl_mints_pays_what_the_venue_pays_directly() {
    route_pays_what_the_venue_pays(Venue::OrcaWhirlpoolV2, |w| (w.p1, w.p2), &[AMOUNT, 777_777])
        .await;
}

#[tokio::test]
async fn swap_v2_route_through_a_transfer_fee_mint_pays_what_the_venue_pays_directly() {
    // AMOUNT: both transfer fees hit the cap; 1e9: neither does.
    route_pays_what_the_venue_pays(
        Venue::OrcaWhirlpoolV2,
        |w| (w.q1, w.q2),
        &[AMOUNT, 1_000_000_000],
    )
    .await;
}

#[tokio::test]
async fn the_swap_crosses_an_initialised_tick_into_the_next_tick_array() {
    let k = Keys::new();
    let u = k.user.pubkey();
    let mut w = world(&k).await;
    let (p1, p2) = (w.p1, w.p2);
    let before = data(&mut w.ctx, p1.key).await;
    assert_eq!(u128_at(&before, v1::layout::LIQUIDITY), 2_000_000_000_000);
    let ix = route(
        u,
        k.ua,
        AMOUNT,
        1,
        vec![
            (Venue::OrcaWhirlpool, p1.v1(u, k.ua, k.ub, true), true),
            (Venue::OrcaWhirlpool, p2.v1(u, k.ua, k.ub, false), false),
        ],
    );
    let user = w.user.insecure_clone();
    let out = send(&mut w.ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let after = data(&mut w.ctx, p1.key).await;
    // Tick -128 (array -5632) was crossed: the narrow position left the range.
    assert_eq!(u128_at(&after, v1::layout::LIQUIDITY), 1_000_000_000_000);
    let tick = i32_at(&after, v1::layout::TICK_CURRENT_INDEX);
    assert!((-5632..-128).contains(&tick), "tick {tick}");
    // The crossed tick's fee growth outside was flipped (written by the program).
    let array = data(&mut w.ctx, tick_array_address(&WHIRLPOOL, &p1.key, -5632)).await;
    let slot = 12 + ((-128 + 5632) / 64) as usize * TICK_LEN;
    assert_eq!(array[slot], 1);
    assert_ne!(u128_at(&array, slot + 33), 0, "fee growth outside A");
    // P2 walked arrays nobody created; they are still uncreated.
    for m in p2.arrays(false) {
        assert!(account(&mut w.ctx, m.pubkey).await.is_none());
    }
}

/// A hostile case: what it is, the venue of both hops, hop 0's and hop 1's blocks, the error.
type Case = (
    &'static str,
    Venue,
    Vec<AccountMeta>,
    Vec<AccountMeta>,
    ArbError,
);

async fn refused_with(
    what: &str,
    w: &mut World,
    watch: &[Pubkey],
    ix: Instruction,
    expected: Result<(), TransactionError>,
) -> Vec<String> {
    let before = images(&mut w.ctx, watch).await;
    let user = w.user.insecure_clone();
    let out = send(&mut w.ctx, &user, ix).await;
    assert_eq!(out.result, expected, "{what}: {:#?}", out.logs);
    assert_eq!(
        images(&mut w.ctx, watch).await,
        before,
        "{what}: something moved"
    );
    out.logs
}

#[tokio::test]
async fn hostile_blocks_are_refused_by_name() {
    let k = Keys::new();
    let u = k.user.pubkey();
    let (mut pt, w0) = world_bank(&k);
    // The same binary at an id nobody pinned, and a copy of P1 owned by that program.
    deploy(&mut pt, UNPINNED);
    let foreign_pool = Pubkey::new_unique();
    let foreign_array = Pubkey::new_unique();
    let mut w = World {
        ctx: start(pt).await,
        user: k.user.insecure_clone(),
        p1: w0.p1,
        p2: w0.p2,
        q1: w0.q1,
        q2: w0.q2,
        h: w0.h,
    };
    let (p1, p2, q1, q2, h) = (w.p1, w.p2, w.q1, w.q2, w.h);
    let pool = account(&mut w.ctx, p1.key).await.unwrap();
    w.ctx.set_account(
        &foreign_pool,
        &Account {
            owner: UNPINNED,
            ..pool
        }
        .into(),
    );
    let array0 = tick_array_address(&WHIRLPOOL, &p1.key, 0);
    let array = account(&mut w.ctx, array0).await.unwrap();
    w.ctx.set_account(
        &foreign_array,
        &Account {
            owner: UNPINNED,
            ..array
        }
        .into(),
    );
    let watch = [
        k.ua, k.ub, k.ut, p1.key, p1.vault_a, p1.vault_b, p2.key, array0,
    ];
    let with = |mut b: Vec<AccountMeta>, i: usize, m: AccountMeta| {
        b[i] = m;
        b
    };
    let (ua, ub, ut) = (k.ua, k.ub, k.ut);
    let back = p2.v1(u, ua, ub, false);
    let back2 = p2.v2(u, ua, ub, false);
    let honest = p1.v1(u, ua, ub, true);
    let honest2 = p1.v2(u, ua, ub, true);
    let w1 = Venue::OrcaWhirlpool;
    let w2 = Venue::OrcaWhirlpoolV2;
    let cases: Vec<Case> = vec![
        (
            "unpinned program",
            w1,
            with(
                honest.clone(),
                0,
                AccountMeta::new_readonly(UNPINNED, false),
            ),
            back.clone(),
            ArbError::UnknownVenueProgram,
        ),
        (
            "another pool's vault",
            w1,
            with(
                honest.clone(),
                v1::TOKEN_VAULT_B,
                AccountMeta::new(p2.vault_b, false),
            ),
            back.clone(),
            ArbError::PoolAccountMismatch,
        ),
        (
            "Token-2022 as swap's token program",
            w1,
            with(
                honest.clone(),
                v1::TOKEN_PROGRAM,
                AccountMeta::new_readonly(TOKEN_2022, false),
            ),
            back.clone(),
            ArbError::TokenProgramMismatch,
        ),
        (
            "pool of another program",
            w1,
            with(
                honest.clone(),
                v1::WHIRLPOOL,
                AccountMeta::new(foreign_pool, false),
            ),
            back.clone(),
            ArbError::PoolNotOwnedByVenue,
        ),
        (
            "tick array of another program",
            w1,
            with(
                honest.clone(),
                v1::TICK_ARRAY_0,
                AccountMeta::new(foreign_array, false),
            ),
            back.clone(),
            ArbError::UnexpectedWritableAccount,
        ),
        (
            "a Token-2022 pool through swap",
            w1,
            q1.v1(u, ua, ut, true),
            q2.v1(u, ua, ut, false),
            ArbError::Token2022NotSupported,
        ),
        (
            "another memo program",
            w2,
            with(
                honest2.clone(),
                v2::MEMO_PROGRAM,
                AccountMeta::new_readonly(TOKEN, false),
            ),
            back2.clone(),
            ArbError::PoolAccountMismatch,
        ),
        (
            "Token-2022 for an SPL side",
            w2,
            with(
                honest2.clone(),
                v2::TOKEN_PROGRAM_B,
                AccountMeta::new_readonly(TOKEN_2022, false),
            ),
            back2.clone(),
            ArbError::TokenProgramMismatch,
        ),
        (
            "another mint",
            w2,
            with(
                honest2.clone(),
                v2::TOKEN_MINT_B,
                AccountMeta::new_readonly(k.mint_t, false),
            ),
            back2.clone(),
            ArbError::PoolAccountMismatch,
        ),
        (
            "transfer-hook mint",
            w2,
            h.v2(u, ua, k.uh, true),
            h.v2(u, ua, k.uh, false),
            ArbError::Token2022ExtensionRefused,
        ),
    ];
    for (what, venue, first, second, code) in cases {
        let ix = route(
            u,
            ua,
            1_000_000,
            0,
            vec![(venue, first, true), (venue, second, false)],
        );
        refused_with(what, &mut w, &watch, ix, custom(code)).await;
    }
    // A Token-2022 start account.
    let ix = route(
        u,
        ut,
        1_000,
        0,
        vec![
            (w2, q2.v2(u, ua, ut, false), false),
            (w2, q1.v2(u, ua, ut, true), true),
        ],
    );
    refused_with(
        "a Token-2022 start account",
        &mut w,
        &watch,
        ix,
        custom(ArbError::Token2022NotSupported),
    )
    .await;
    // Another pool's tick array passes the executor's screen (owned by the venue) and the venue
    // itself refuses it.
    let other = tick_array_address(&WHIRLPOOL, &p2.key, -11264);
    let ix = route(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (
                w1,
                with(
                    honest.clone(),
                    v1::TICK_ARRAY_0,
                    AccountMeta::new(other, false),
                ),
                true,
            ),
            (w1, back.clone(), false),
        ],
    );
    let logs = refused_with(
        "another pool's tick array",
        &mut w,
        &watch,
        ix,
        // DifferentWhirlpoolTickArrayAccount (0x17a8) in the program's error table.
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(6056),
        )),
    )
    .await;
    assert!(
        logs.iter()
            .any(|l| l.contains("DifferentWhirlpoolTickArrayAccount")),
        "{logs:#?}"
    );
    // The honest route still runs in the same bank.
    let ix = route(
        u,
        ua,
        1_000_000,
        1,
        vec![(w1, honest, true), (w1, back, false)],
    );
    let user = w.user.insecure_clone();
    assert_eq!(send(&mut w.ctx, &user, ix).await.result, Ok(()));
}
