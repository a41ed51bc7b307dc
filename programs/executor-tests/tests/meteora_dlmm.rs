//! `execute_route` through the real Meteora DLMM program: the committed `lb_clmm` 0.10.1 SBF build
//! (`vendor/solana-programs/dlmm.so`, sha256-checked before it is loaded) runs at its mainnet id beside
//! the native `arb_executor` and cp-swap; the pair, its oracle and bin arrays are written field by field
//! in the program's layouts at the addresses it derives. Each route's DLMM hop crosses bins (and a bin
//! array boundary) and pays exactly what the same swap pays when the user calls the program directly.

mod common;

use arb_executor::venues::meteora_dlmm::{self as dlmm, EVENT_AUTHORITY, PROGRAM_IDS};
use arb_executor::{ArbError, RouteHop, Venue};
use common::*;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    bpf_loader,
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

const DLMM: Pubkey = PROGRAM_IDS[0];
const BINARY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../vendor/solana-programs/dlmm.so"
);
/// sha256 of the committed build (vendor/solana-programs/PROVENANCE.md).
const BINARY_SHA256: &str = "9a6f2aac752724cb198e9bb982096e1ba9a166ae9dd664412e069f88997cd70c";
const BIN_STEP: u16 = 10;
const ACTIVE_ID: i32 = 66;
const PER_BIN: u64 = 8_000;
const START_A: u64 = 10_000_000;
const AMOUNT_IN: u64 = 20_000;
const ORACLE_DISCRIMINATOR: [u8; 8] = [139, 194, 131, 179, 140, 179, 229, 244];

fn dlmm_binary() -> Vec<u8> {
    let elf = std::fs::read(BINARY).expect("vendor/solana-programs/dlmm.so");
    let digest = solana_sdk::hash::hash(&elf);
    let hex: String = digest
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex, BINARY_SHA256,
        "dlmm.so is not the recorded build: refusing to run it"
    );
    elf
}

fn pda(seeds: &[&[u8]]) -> (Pubkey, u8) {
    Pubkey::find_program_address(seeds, &DLMM)
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The pair: X = mint A, Y = mint B; bins 0..140 with X at and above `ACTIVE_ID`, Y at and below.
struct Pair {
    key: Pubkey,
    mint_x: Pubkey,
    mint_y: Pubkey,
    reserve_x: Pubkey,
    reserve_y: Pubkey,
    oracle: Pubkey,
    arrays: Vec<Pubkey>,
}

fn lb_pair_data(p: &Pair, bump: u8, bitmap: &[u64; 16]) -> Vec<u8> {
    let mut d = vec![0u8; dlmm::layout::LB_PAIR_LEN];
    put(&mut d, 0, &dlmm::layout::LB_PAIR_DISCRIMINATOR);
    // StaticParameters: base_factor, filter_period, decay_period, reduction_factor,
    // variable_fee_control, max_volatility_accumulator, min/max bin id, protocol_share
    put(&mut d, 8, &10_000u16.to_le_bytes());
    put(&mut d, 10, &30u16.to_le_bytes());
    put(&mut d, 12, &600u16.to_le_bytes());
    put(&mut d, 14, &5_000u16.to_le_bytes());
    put(&mut d, 16, &40_000u32.to_le_bytes());
    put(&mut d, 20, &350_000u32.to_le_bytes());
    put(&mut d, 24, &(-443_636i32).to_le_bytes());
    put(&mut d, 28, &443_636i32.to_le_bytes());
    put(&mut d, 32, &500u16.to_le_bytes());
    d[72] = bump;
    put(&mut d, 73, &BIN_STEP.to_le_bytes());
    put(&mut d, 76, &ACTIVE_ID.to_le_bytes());
    put(&mut d, 80, &BIN_STEP.to_le_bytes());
    put(&mut d, dlmm::layout::TOKEN_X_MINT, p.mint_x.as_ref());
    put(&mut d, dlmm::layout::TOKEN_Y_MINT, p.mint_y.as_ref());
    put(&mut d, dlmm::layout::RESERVE_X, p.reserve_x.as_ref());
    put(&mut d, dlmm::layout::RESERVE_Y, p.reserve_y.as_ref());
    put(&mut d, dlmm::layout::ORACLE, p.oracle.as_ref());
    for (i, w) in bitmap.iter().enumerate() {
        put(&mut d, 584 + 8 * i, &w.to_le_bytes());
    }
    d
}

fn bin_array_data(lb_pair: &Pubkey, index: i64) -> Vec<u8> {
    let mut d = vec![0u8; dlmm::layout::BIN_ARRAY_LEN];
    put(&mut d, 0, &dlmm::layout::BIN_ARRAY_DISCRIMINATOR);
    put(&mut d, 8, &index.to_le_bytes());
    d[16] = 1;
    put(&mut d, dlmm::layout::BIN_ARRAY_LB_PAIR, lb_pair.as_ref());
    for i in 0..70i64 {
        let id = index * 70 + i;
        let o = 56 + 144 * i as usize;
        let x = if id >= i64::from(ACTIVE_ID) {
            PER_BIN
        } else {
            0
        };
        let y = if id <= i64::from(ACTIVE_ID) {
            PER_BIN
        } else {
            0
        };
        put(&mut d, o, &x.to_le_bytes());
        put(&mut d, o + 8, &y.to_le_bytes());
        put(&mut d, o + 32, &((u128::from(x + y)) << 64).to_le_bytes());
    }
    d
}

fn oracle_data() -> Vec<u8> {
    let mut d = vec![0u8; 32 + 32 * 100];
    put(&mut d, 0, &ORACLE_DISCRIMINATOR);
    put(&mut d, 24, &100u64.to_le_bytes());
    d
}

struct World {
    pt: ProgramTest,
    user: Keypair,
    /// The user's accounts for A (= X) and B (= Y).
    acc_a: Pubkey,
    acc_b: Pubkey,
    pair: Pair,
    /// A/B cp-swap pools: B cheap (1 A ~ 2 B) and A cheap (1 B ~ 2 A).
    cheap_b: Pool,
    cheap_a: Pool,
    /// A token account of mint A nobody in the route owns, and a bin array of another pair.
    stray_a: Pubkey,
    foreign_pair_array: Pubkey,
    foreign_owner_array: Pubkey,
}

fn world() -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.add_program("cp_swap", PINNED, processor!(cp_swap::process_instruction));
    pt.prefer_bpf(false);
    pt.add_account(
        DLMM,
        Account {
            lamports: rent_exempt(0).max(1),
            data: dlmm_binary(),
            owner: bpf_loader::id(),
            executable: true,
            rent_epoch: 0,
        },
    );
    let user = Keypair::new();
    let (mint_x, mint_y) = (Pubkey::new_unique(), Pubkey::new_unique());
    for m in [mint_x, mint_y] {
        add(
            &mut pt,
            m,
            TOKEN,
            mint_data(Pubkey::new_unique(), u64::MAX / 4, None),
        );
    }
    let (lo, hi) = if mint_x < mint_y {
        (mint_x, mint_y)
    } else {
        (mint_y, mint_x)
    };
    let (key, bump) = pda(&[lo.as_ref(), hi.as_ref(), &BIN_STEP.to_le_bytes()]);
    let arrays: Vec<Pubkey> = (0..2i64)
        .map(|i| pda(&[b"bin_array", key.as_ref(), &i.to_le_bytes()]).0)
        .collect();
    let pair = Pair {
        key,
        mint_x,
        mint_y,
        reserve_x: pda(&[key.as_ref(), mint_x.as_ref()]).0,
        reserve_y: pda(&[key.as_ref(), mint_y.as_ref()]).0,
        oracle: pda(&[b"oracle", key.as_ref()]).0,
        arrays,
    };
    let mut bitmap = [0u64; 16];
    bitmap[8] = 0b11; // bin arrays 0 and 1 (bit = index + 512)
    add(&mut pt, key, DLMM, lb_pair_data(&pair, bump, &bitmap));
    add(&mut pt, pair.oracle, DLMM, oracle_data());
    for (i, a) in pair.arrays.iter().enumerate() {
        add(&mut pt, *a, DLMM, bin_array_data(&key, i as i64));
    }
    let (total_x, total_y) = (
        PER_BIN * (140 - ACTIVE_ID as u64),
        PER_BIN * (ACTIVE_ID as u64 + 1),
    );
    add(
        &mut pt,
        pair.reserve_x,
        TOKEN,
        token_account_data(mint_x, key, total_x),
    );
    add(
        &mut pt,
        pair.reserve_y,
        TOKEN,
        token_account_data(mint_y, key, total_y),
    );
    let (acc_a, acc_b, stray_a) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    add(
        &mut pt,
        acc_a,
        TOKEN,
        token_account_data(mint_x, user.pubkey(), START_A),
    );
    add(
        &mut pt,
        acc_b,
        TOKEN,
        token_account_data(mint_y, user.pubkey(), START_A),
    );
    add(
        &mut pt,
        stray_a,
        TOKEN,
        token_account_data(mint_x, Pubkey::new_unique(), 1_000_000),
    );
    let reserve = 1_000_000_000;
    let cheap_b = add_pool(
        &mut pt,
        PINNED,
        mint_x,
        mint_y,
        (reserve, 2 * reserve),
        [0; 32],
    );
    let cheap_a = add_pool(
        &mut pt,
        PINNED,
        mint_x,
        mint_y,
        (2 * reserve, reserve),
        [0; 32],
    );
    let foreign_pair_array = Pubkey::new_unique();
    add(
        &mut pt,
        foreign_pair_array,
        DLMM,
        bin_array_data(&Pubkey::new_unique(), 0),
    );
    let foreign_owner_array = Pubkey::new_unique();
    add(
        &mut pt,
        foreign_owner_array,
        PINNED,
        bin_array_data(&key, 0),
    );
    World {
        pt,
        user,
        acc_a,
        acc_b,
        pair,
        cheap_b,
        cheap_a,
        stray_a,
        foreign_pair_array,
        foreign_owner_array,
    }
}

/// The DLMM `swap` accounts (without the program in front), X in when `x_in`.
fn swap_accounts(w: &World, x_in: bool, arrays: &[Pubkey]) -> Vec<AccountMeta> {
    let p = &w.pair;
    let (user_in, user_out) = if x_in {
        (w.acc_a, w.acc_b)
    } else {
        (w.acc_b, w.acc_a)
    };
    let mut v = vec![
        AccountMeta::new(p.key, false),
        AccountMeta::new_readonly(DLMM, false),
        AccountMeta::new(p.reserve_x, false),
        AccountMeta::new(p.reserve_y, false),
        AccountMeta::new(user_in, false),
        AccountMeta::new(user_out, false),
        AccountMeta::new_readonly(p.mint_x, false),
        AccountMeta::new_readonly(p.mint_y, false),
        AccountMeta::new(p.oracle, false),
        AccountMeta::new_readonly(DLMM, false),
        AccountMeta::new_readonly(w.user.pubkey(), true),
        AccountMeta::new_readonly(TOKEN, false),
        AccountMeta::new_readonly(TOKEN, false),
        AccountMeta::new_readonly(EVENT_AUTHORITY, false),
        AccountMeta::new_readonly(DLMM, false),
    ];
    v.extend(arrays.iter().map(|a| AccountMeta::new(*a, false)));
    v
}

fn dlmm_block(w: &World, x_in: bool, arrays: &[Pubkey]) -> Vec<AccountMeta> {
    let mut b = vec![AccountMeta::new_readonly(DLMM, false)];
    b.extend(swap_accounts(w, x_in, arrays));
    b
}

/// Y in moves the active bin up (arrays 0 then 1); X in moves it down (array 0 only).
fn arrays_for(w: &World, x_in: bool) -> Vec<Pubkey> {
    if x_in {
        vec![w.pair.arrays[0]]
    } else {
        w.pair.arrays.clone()
    }
}

fn route(w: &World, dlmm_first: bool, dlmm_block: Vec<AccountMeta>) -> Instruction {
    let u = w.user.pubkey();
    let n = dlmm_block.len() as u8;
    if dlmm_first {
        // A -(DLMM, X in)-> B -(cp, B cheap... A cheap pool: B buys 2 A)-> A
        let cp = w.cheap_a.block(u, w.acc_b, w.acc_a, false);
        let hops = vec![
            RouteHop {
                venue: Venue::MeteoraDlmm,
                num_accounts: n,
                a_to_b: true,
            },
            hop(cp.len(), false),
        ];
        execute_ix(u, w.acc_a, AMOUNT_IN, 0, hops, vec![dlmm_block, cp])
    } else {
        // A -(cp, B cheap)-> B -(DLMM, Y in)-> A
        let cp = w.cheap_b.block(u, w.acc_a, w.acc_b, true);
        let hops = vec![
            hop(cp.len(), true),
            RouteHop {
                venue: Venue::MeteoraDlmm,
                num_accounts: n,
                a_to_b: false,
            },
        ];
        execute_ix(u, w.acc_a, AMOUNT_IN, 0, hops, vec![cp, dlmm_block])
    }
}

async fn active_id(ctx: &mut ProgramTestContext, pair: Pubkey) -> i32 {
    let d = account(ctx, pair).await.unwrap().data;
    i32::from_le_bytes(d[76..80].try_into().unwrap())
}

/// What the DLMM pays the user for `amount` when called directly (a fresh copy of the world).
async fn direct_swap(x_in: bool, amount: u64) -> (u64, i32) {
    let w = world();
    let accounts = swap_accounts(&w, x_in, &arrays_for(&w, x_in));
    let mut data = dlmm::SWAP_DISCRIMINATOR.to_vec();
    data.extend_from_slice(&amount.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes());
    let ix = Instruction {
        program_id: DLMM,
        accounts,
        data,
    };
    let out_acc = if x_in { w.acc_b } else { w.acc_a };
    let (user, key) = (w.user.insecure_clone(), w.pair.key);
    let mut ctx = w.pt.start_with_context().await;
    let before = balance(&mut ctx, out_acc).await;
    let o = send(&mut ctx, &user, ix).await;
    assert_eq!(o.result, Ok(()), "{:?}", o.logs);
    (
        balance(&mut ctx, out_acc).await - before,
        active_id(&mut ctx, key).await,
    )
}

#[tokio::test]
async fn routes_through_the_real_dlmm_pay_what_the_program_pays_directly() {
    for dlmm_first in [false, true] {
        let w = world();
        let x_in = dlmm_first;
        // what reaches the DLMM hop, and what the other hop pays for the DLMM's output
        let dlmm_in = if dlmm_first {
            AMOUNT_IN
        } else {
            w.cheap_b.quote(AMOUNT_IN, true)
        };
        let (dlmm_out, end_id) = direct_swap(x_in, dlmm_in).await;
        assert!(dlmm_out > PER_BIN, "the swap crosses at least one bin");
        if !dlmm_first {
            assert!(
                end_id >= 70,
                "Y in crosses from bin array 0 into 1 (ended at {end_id})"
            );
        }
        let expected_a = if dlmm_first {
            w.cheap_a.quote(dlmm_out, false)
        } else {
            dlmm_out
        };
        let block = dlmm_block(&w, x_in, &arrays_for(&w, x_in));
        let ix = route(&w, dlmm_first, block);
        let (user, acc_a, acc_b, key) = (w.user.insecure_clone(), w.acc_a, w.acc_b, w.pair.key);
        let mut ctx = w.pt.start_with_context().await;
        let o = send(&mut ctx, &user, ix).await;
        assert_eq!(o.result, Ok(()), "{:#?}", o.logs);
        assert!(expected_a > AMOUNT_IN, "the route is profitable");
        assert_eq!(
            balance(&mut ctx, acc_a).await,
            START_A - AMOUNT_IN + expected_a
        );
        assert_eq!(
            balance(&mut ctx, acc_b).await,
            START_A,
            "B passes through untouched"
        );
        assert_eq!(active_id(&mut ctx, key).await, end_id);
        let ev = route_event(&o.ret);
        assert_eq!((ev.amount_in, ev.amount_out), (AMOUNT_IN, expected_a));
        assert!(ev.pools.contains(&key));
    }
}

async fn refused(w: World, ix: Instruction, code: ArbError) {
    let keys = [
        w.acc_a,
        w.acc_b,
        w.pair.reserve_x,
        w.pair.reserve_y,
        w.pair.key,
        w.stray_a,
    ];
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    let before = images(&mut ctx, &keys).await;
    let o = send(&mut ctx, &user, ix).await;
    assert_eq!(o.result, custom(code), "{:#?}", o.logs);
    assert_eq!(images(&mut ctx, &keys).await, before, "nothing moved");
}

#[tokio::test]
async fn hostile_dlmm_blocks_are_refused_by_name() {
    type Edit = fn(&World, &mut Vec<AccountMeta>);
    let cases: [(&str, Edit, ArbError); 9] = [
        (
            "fake program id",
            |_, b| b[0].pubkey = UNPINNED,
            ArbError::UnknownVenueProgram,
        ),
        (
            "bin array owned by another program",
            |w, b| b[dlmm::FIRST_BIN_ARRAY].pubkey = w.foreign_owner_array,
            ArbError::PoolNotOwnedByVenue,
        ),
        (
            "bin array of another pair",
            |w, b| b[dlmm::FIRST_BIN_ARRAY].pubkey = w.foreign_pair_array,
            ArbError::PoolAccountMismatch,
        ),
        (
            "wrong reserve",
            |w, b| b[dlmm::RESERVE_X].pubkey = w.stray_a,
            ArbError::PoolAccountMismatch,
        ),
        (
            "swapped reserves",
            |w, b| {
                b[dlmm::RESERVE_X].pubkey = w.pair.reserve_y;
                b[dlmm::RESERVE_Y].pubkey = w.pair.reserve_x;
            },
            ArbError::PoolAccountMismatch,
        ),
        (
            "wrong oracle",
            |w, b| b[dlmm::ORACLE].pubkey = w.pair.arrays[1],
            ArbError::PoolAccountMismatch,
        ),
        (
            "host fee account",
            |w, b| b[dlmm::HOST_FEE_IN].pubkey = w.stray_a,
            ArbError::PoolAccountMismatch,
        ),
        (
            "wrong event authority",
            |w, b| b[dlmm::EVENT_AUTHORITY_POS].pubkey = w.stray_a,
            ArbError::PoolAccountMismatch,
        ),
        (
            "pool not owned by DLMM",
            |w, b| b[dlmm::LB_PAIR].pubkey = w.cheap_b.key,
            ArbError::PoolNotOwnedByVenue,
        ),
    ];
    for (name, edit, code) in cases {
        let w = world();
        let mut block = dlmm_block(&w, false, &arrays_for(&w, false));
        edit(&w, &mut block);
        let ix = route(&w, false, block);
        println!("case: {name}");
        refused(w, ix, code).await;
    }
    // a token program swapped for another executable: not SPL Token
    let w = world();
    let mut block = dlmm_block(&w, false, &arrays_for(&w, false));
    block[dlmm::TOKEN_X_PROGRAM].pubkey = PINNED;
    let ix = route(&w, false, block);
    refused(w, ix, ArbError::TokenProgramMismatch).await;
    // no bin array at all
    let w = world();
    let block = dlmm_block(&w, false, &[]);
    let ix = route(&w, false, block);
    refused(w, ix, ArbError::AccountCountMismatch).await;
}
