//! `execute_route` through the real Raydium AMM v4 program: the mainnet dump committed in
//! `vendor/solana-programs/raydium_amm_v4.so` (hash-checked before it is loaded) runs at the pinned
//! id beside the host-compiled `arb_executor`. Pool accounts are written with the executor's own
//! `raydium_amm_v4::layout` offsets.
//!
//! The pools trade with the order book off (status 6 `SwapOnly`, or 7 `WaitingTrade` once open):
//! this build then reads none of the OpenBook accounts a swap names, so they are plain accounts
//! owned by the OpenBook program id (no market program binary runs here). Every route is checked
//! twice: against the same swaps sent to the program directly on twin pools, and against the
//! program's integer rule written out in `swap_out`.

mod common;

use arb_executor::venues::raydium_amm_v4::{self as ray, layout};
use arb_executor::{ArbError, RouteHop, Venue};
use common::*;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction, InstructionError},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::TransactionError,
};

const RAYDIUM: Pubkey = ray::PROGRAM_IDS[0];
const OPENBOOK: Pubkey = ray::MARKET_PROGRAM_IDS[0];
const SO_SHA256: &str = "d3f6906a8e2847865f95b0c156b06d05db07778dd1d6c24044bae0b9ac1bb93c";
/// `AmmError::InvalidStatus`, the program's own error code.
const INVALID_STATUS: u32 = 22;
const START_A: u64 = 50_000_000;
/// `StateData` field offsets past `layout::STATE_DATA`.
const NEED_TAKE_PNL_COIN: usize = layout::STATE_DATA;
const NEED_TAKE_PNL_PC: usize = layout::STATE_DATA + 8;
const POOL_OPEN_TIME: usize = layout::STATE_DATA + 32;

fn binary() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../vendor/solana-programs/raydium_amm_v4.so"
    );
    let bytes = std::fs::read(path).expect("vendor/solana-programs/raydium_amm_v4.so");
    let digest = solana_sdk::hash::hash(&bytes).to_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex, SO_SHA256,
        "raydium_amm_v4.so is not the recorded build"
    );
    bytes
}

fn deploy(pt: &mut ProgramTest, id: Pubkey, elf: &[u8]) {
    pt.add_account(
        id,
        Account {
            lamports: rent_exempt(elf.len()).max(1),
            data: elf.to_vec(),
            owner: solana_sdk::bpf_loader::id(),
            executable: true,
            rent_epoch: 0,
        },
    );
}

/// The swap fee this build charges: `checked_ceil_div` of `amount * n` by `d`, where a quotient of 0
/// becomes 1 when the dividend is at least half the divisor and stays 0 otherwise.
fn swap_fee(amount: u64, n: u64, d: u64) -> u64 {
    let x = u128::from(amount) * u128::from(n);
    let d = u128::from(d);
    let q = x / d;
    let fee = if q == 0 {
        u128::from(2 * x >= d)
    } else {
        q + u128::from(x % d > 0)
    };
    fee as u64
}

/// `swap_base_in`'s output for `amount` on reserves net of `need_take_pnl`.
fn swap_out(amount: u64, r_in: u64, r_out: u64, fee: (u64, u64)) -> u64 {
    let net = u128::from(amount - swap_fee(amount, fee.0, fee.1));
    (u128::from(r_out) * net / (u128::from(r_in) + net)) as u64
}

#[derive(Clone, Copy, Debug)]
struct Spec {
    program: Pubkey,
    status: u64,
    fee: (u64, u64),
    /// Vault balances.
    coin: u64,
    pc: u64,
    /// Owed to the pool owner, excluded from the reserves.
    pnl: (u64, u64),
    open_time: u64,
    market_program: Pubkey,
}

#[derive(Clone, Copy, Debug)]
struct Amm {
    spec: Spec,
    program: Pubkey,
    key: Pubkey,
    authority: Pubkey,
    open_orders: Pubkey,
    target_orders: Pubkey,
    coin_vault: Pubkey,
    pc_vault: Pubkey,
    market: Pubkey,
    bids: Pubkey,
    asks: Pubkey,
    event_queue: Pubkey,
    market_coin_vault: Pubkey,
    market_pc_vault: Pubkey,
    vault_signer: Pubkey,
}

impl Amm {
    /// The hop block: program, then `swap_base_in`'s 18 accounts (17 without target orders).
    fn block(
        &self,
        owner: Pubkey,
        src: Pubkey,
        dst: Pubkey,
        target_orders: bool,
    ) -> Vec<AccountMeta> {
        let mut b = vec![
            AccountMeta::new_readonly(self.program, false),
            AccountMeta::new_readonly(TOKEN, false),
            AccountMeta::new(self.key, false),
            AccountMeta::new_readonly(self.authority, false),
            AccountMeta::new(self.open_orders, false),
        ];
        if target_orders {
            b.push(AccountMeta::new(self.target_orders, false));
        }
        b.extend([
            AccountMeta::new(self.coin_vault, false),
            AccountMeta::new(self.pc_vault, false),
            AccountMeta::new_readonly(self.spec.market_program, false),
            AccountMeta::new(self.market, false),
            AccountMeta::new(self.bids, false),
            AccountMeta::new(self.asks, false),
            AccountMeta::new(self.event_queue, false),
            AccountMeta::new(self.market_coin_vault, false),
            AccountMeta::new(self.market_pc_vault, false),
            AccountMeta::new_readonly(self.vault_signer, false),
            AccountMeta::new(src, false),
            AccountMeta::new(dst, false),
            AccountMeta::new_readonly(owner, true),
        ]);
        b
    }

    /// The same swap sent to the program directly, signed by `owner`.
    fn direct(&self, owner: Pubkey, src: Pubkey, dst: Pubkey, amount_in: u64) -> Instruction {
        Instruction {
            program_id: self.program,
            accounts: self.block(owner, src, dst, false)[1..].to_vec(),
            data: ray::swap_base_in_data(amount_in, 0).to_vec(),
        }
    }
}

fn put(data: &mut [u8], at: usize, key: &Pubkey) {
    data[at..at + 32].copy_from_slice(key.as_ref());
}

fn put_u64(data: &mut [u8], at: usize, v: u64) {
    data[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A pool of `spec.program` over `coin`/`pc` (SPL Token mints, 6 decimals), its vaults held by the
/// program's `amm authority` PDA, and its OpenBook accounts (owned by the market program, unread by
/// swaps with the order book off).
fn add_amm(pt: &mut ProgramTest, spec: Spec, coin: Pubkey, pc: Pubkey) -> Amm {
    let (authority, nonce) = Pubkey::find_program_address(&[b"amm authority"], &spec.program);
    let k = Pubkey::new_unique;
    let amm = Amm {
        spec,
        program: spec.program,
        key: k(),
        authority,
        open_orders: k(),
        target_orders: k(),
        coin_vault: k(),
        pc_vault: k(),
        market: k(),
        bids: k(),
        asks: k(),
        event_queue: k(),
        market_coin_vault: k(),
        market_pc_vault: k(),
        vault_signer: k(),
    };
    let mut d = vec![0u8; layout::LEN];
    put_u64(&mut d, layout::STATUS, spec.status);
    put_u64(&mut d, layout::NONCE, u64::from(nonce));
    put_u64(&mut d, layout::COIN_DECIMALS, 6);
    put_u64(&mut d, layout::PC_DECIMALS, 6);
    put_u64(&mut d, layout::SWAP_FEE_NUMERATOR, spec.fee.0);
    put_u64(&mut d, layout::SWAP_FEE_DENOMINATOR, spec.fee.1);
    put_u64(&mut d, NEED_TAKE_PNL_COIN, spec.pnl.0);
    put_u64(&mut d, NEED_TAKE_PNL_PC, spec.pnl.1);
    put_u64(&mut d, POOL_OPEN_TIME, spec.open_time);
    put(&mut d, layout::COIN_VAULT, &amm.coin_vault);
    put(&mut d, layout::PC_VAULT, &amm.pc_vault);
    put(&mut d, layout::COIN_VAULT_MINT, &coin);
    put(&mut d, layout::PC_VAULT_MINT, &pc);
    put(&mut d, layout::LP_MINT, &k());
    put(&mut d, layout::OPEN_ORDERS, &amm.open_orders);
    put(&mut d, layout::MARKET, &amm.market);
    put(&mut d, layout::MARKET_PROGRAM, &spec.market_program);
    put(&mut d, layout::TARGET_ORDERS, &amm.target_orders);
    add(pt, amm.key, spec.program, d);
    add(
        pt,
        amm.coin_vault,
        TOKEN,
        token_account_data(coin, authority, spec.coin),
    );
    add(
        pt,
        amm.pc_vault,
        TOKEN,
        token_account_data(pc, authority, spec.pc),
    );
    add(pt, amm.target_orders, spec.program, vec![0u8; 2208]);
    for (key, len) in [
        (amm.open_orders, 3228),
        (amm.market, 388),
        (amm.bids, 65548),
        (amm.asks, 65548),
        (amm.event_queue, 262156),
    ] {
        add(pt, key, spec.market_program, vec![0u8; len]);
    }
    add(
        pt,
        amm.market_coin_vault,
        TOKEN,
        token_account_data(coin, amm.vault_signer, 0),
    );
    add(
        pt,
        amm.market_pc_vault,
        TOKEN,
        token_account_data(pc, amm.vault_signer, 0),
    );
    amm
}

fn ray_hop(n: usize, a_to_b: bool) -> RouteHop {
    RouteHop {
        venue: Venue::RaydiumAmmV4,
        num_accounts: n as u8,
        a_to_b,
    }
}

fn ray_route(
    user: Pubkey,
    source: Pubkey,
    amount_in: u64,
    min_profit: u64,
    blocks: Vec<(Vec<AccountMeta>, bool)>,
) -> Instruction {
    let hops = blocks.iter().map(|(b, d)| ray_hop(b.len(), *d)).collect();
    execute_ix(
        user,
        source,
        amount_in,
        min_profit,
        hops,
        blocks.into_iter().map(|(b, _)| b).collect(),
    )
}

/// The two pools of the route: A → B on `X` (coin to pc, pnl owed out of both vaults), B → A on `Y`
/// (pc to coin, WaitingTrade and already open, so its first swap turns it SwapOnly).
const X: Spec = Spec {
    program: RAYDIUM,
    status: 6,
    fee: (25, 10_000),
    coin: 1_000_000_000,
    pc: 2_000_000_000,
    pnl: (3_000, 11_000),
    open_time: 0,
    market_program: OPENBOOK,
};
const Y: Spec = Spec {
    program: RAYDIUM,
    status: 7,
    fee: (30, 10_000),
    coin: 1_000_000_000,
    pc: 1_000_000_000,
    pnl: (0, 0),
    open_time: 0,
    market_program: OPENBOOK,
};

struct World {
    pt: ProgramTest,
    user: Keypair,
    mint_a: Pubkey,
    mint_b: Pubkey,
    ua: Pubkey,
    ub: Pubkey,
    x: Amm,
    y: Amm,
}

/// The real program at its pinned id, mints A and B, the user's A/B accounts and pools `X`/`Y` (coin
/// A, pc B).
fn world() -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.prefer_bpf(false);
    deploy(&mut pt, RAYDIUM, &binary());
    let user = Keypair::new();
    let u = user.pubkey();
    let (mint_a, mint_b) = (Pubkey::new_unique(), Pubkey::new_unique());
    for m in [mint_a, mint_b] {
        add(
            &mut pt,
            m,
            TOKEN,
            mint_data(Pubkey::new_unique(), u64::MAX / 4, None),
        );
    }
    let (ua, ub) = (Pubkey::new_unique(), Pubkey::new_unique());
    add(&mut pt, ua, TOKEN, token_account_data(mint_a, u, START_A));
    add(&mut pt, ub, TOKEN, token_account_data(mint_b, u, 0));
    let x = add_amm(&mut pt, X, mint_a, mint_b);
    let y = add_amm(&mut pt, Y, mint_a, mint_b);
    World {
        pt,
        user,
        mint_a,
        mint_b,
        ua,
        ub,
        x,
        y,
    }
}

async fn data(ctx: &mut ProgramTestContext, key: Pubkey) -> Vec<u8> {
    account(ctx, key).await.expect("account exists").data
}

fn u64_le(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().unwrap())
}

/// What `pool` pays for `amount` now, from its accounts as read from the bank.
async fn expected(ctx: &mut ProgramTestContext, pool: &Amm, coin_to_pc: bool, amount: u64) -> u64 {
    let state = data(ctx, pool.key).await;
    let coin = balance(ctx, pool.coin_vault).await - u64_le(&state, NEED_TAKE_PNL_COIN);
    let pc = balance(ctx, pool.pc_vault).await - u64_le(&state, NEED_TAKE_PNL_PC);
    let fee = (
        u64_le(&state, layout::SWAP_FEE_NUMERATOR),
        u64_le(&state, layout::SWAP_FEE_DENOMINATOR),
    );
    if coin_to_pc {
        swap_out(amount, coin, pc, fee)
    } else {
        swap_out(amount, pc, coin, fee)
    }
}

/// Another user with `START_A` of A and an empty B account (its SOL is never spent: the test payer
/// pays the fees).
fn add_user(pt: &mut ProgramTest, mint_a: Pubkey, mint_b: Pubkey) -> (Keypair, Pubkey, Pubkey) {
    let user = Keypair::new();
    let (ua, ub) = (Pubkey::new_unique(), Pubkey::new_unique());
    add(
        pt,
        ua,
        TOKEN,
        token_account_data(mint_a, user.pubkey(), START_A),
    );
    add(pt, ub, TOKEN, token_account_data(mint_b, user.pubkey(), 0));
    (user, ua, ub)
}

#[tokio::test]
async fn route_pays_what_the_program_pays_when_called_directly() {
    let mut w = world();
    // Twin pools of the same state, swapped into directly by a second user.
    let (x2, y2) = (
        add_amm(&mut w.pt, X, w.mint_a, w.mint_b),
        add_amm(&mut w.pt, Y, w.mint_a, w.mint_b),
    );
    let (direct_user, da, db) = add_user(&mut w.pt, w.mint_a, w.mint_b);
    let (u, ua, ub, x, y) = (w.user.pubkey(), w.ua, w.ub, w.x, w.y);
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    // 7 and 150: fees under half a unit (0); 250: at least half a unit (1); then ordinary amounts.
    for (i, amount_in) in [1_000_000u64, 7, 150, 250, 123_457, 9_999_999]
        .into_iter()
        .enumerate()
    {
        // Alternate the two block forms (with and without target orders) on both hops.
        let with_target = i % 2 == 0;
        let out1 = expected(&mut ctx, &x, true, amount_in).await;
        let out2 = expected(&mut ctx, &y, false, out1).await;
        let before_a = balance(&mut ctx, ua).await;
        let ix = ray_route(
            u,
            ua,
            amount_in,
            0,
            vec![
                (x.block(u, ua, ub, with_target), true),
                (y.block(u, ub, ua, !with_target), false),
            ],
        );
        let out = send(&mut ctx, &user, ix).await;
        assert_eq!(out.result, Ok(()), "amount {amount_in}: {:?}", out.logs);
        let event = route_event(&out.ret);
        assert_eq!(event.amount_out, out2, "amount {amount_in}");
        assert_eq!(event.profit, out2 - amount_in);
        assert_eq!(event.pools, vec![x.key, y.key]);
        assert_eq!(balance(&mut ctx, ua).await, before_a - amount_in + out2);
        assert_eq!(balance(&mut ctx, ub).await, 0, "B passes through");

        // The same two swaps, sent to the program directly on the twins.
        let d = direct_user.pubkey();
        let b0 = balance(&mut ctx, db).await;
        let r = send(&mut ctx, &direct_user, x2.direct(d, da, db, amount_in)).await;
        assert_eq!(r.result, Ok(()), "{:?}", r.logs);
        let got1 = balance(&mut ctx, db).await - b0;
        assert_eq!(got1, out1, "amount {amount_in}: hop 1");
        let a0 = balance(&mut ctx, da).await;
        let r = send(&mut ctx, &direct_user, y2.direct(d, db, da, got1)).await;
        assert_eq!(r.result, Ok(()), "{:?}", r.logs);
        assert_eq!(
            balance(&mut ctx, da).await - a0,
            out2,
            "amount {amount_in}: hop 2"
        );
        // Both paths leave the pools in the same state.
        for (p, q) in [(x, x2), (y, y2)] {
            assert_eq!(
                balances(&mut ctx, &[p.coin_vault, p.pc_vault]).await,
                balances(&mut ctx, &[q.coin_vault, q.pc_vault]).await
            );
            let (sp, sq) = (data(&mut ctx, p.key).await, data(&mut ctx, q.key).await);
            assert_eq!(sp[..layout::COIN_VAULT], sq[..layout::COIN_VAULT]);
        }
    }
    // `y` opened on its first swap (WaitingTrade → SwapOnly); `need_take_pnl` stays owed.
    let ys = data(&mut ctx, y.key).await;
    assert_eq!(u64_le(&ys, layout::STATUS), 6);
    let xs = data(&mut ctx, x.key).await;
    assert_eq!(
        (
            u64_le(&xs, NEED_TAKE_PNL_COIN),
            u64_le(&xs, NEED_TAKE_PNL_PC)
        ),
        X.pnl
    );
}

/// Sends `ix` and checks it fails with `expected` and moves nothing of the watched accounts.
async fn refused_with(
    ctx: &mut ProgramTestContext,
    user: &Keypair,
    watch: &[Pubkey],
    ix: Instruction,
    expected: Result<(), TransactionError>,
) {
    let before = images(ctx, watch).await;
    let out = send(ctx, user, ix).await;
    assert_eq!(out.result, expected, "{:?}", out.logs);
    assert_eq!(
        images(ctx, watch).await,
        before,
        "{expected:?} moved something"
    );
}

#[tokio::test]
async fn hostile_blocks_are_refused_by_name() {
    let mut w = world();
    let (u, ua, ub, x, y) = (w.user.pubkey(), w.ua, w.ub, w.x, w.y);
    // The same code deployed under an id nobody pinned, with its own pool.
    deploy(&mut w.pt, UNPINNED, &binary());
    let fake = add_amm(
        &mut w.pt,
        Spec {
            program: UNPINNED,
            ..X
        },
        w.mint_a,
        w.mint_b,
    );
    // That pool presented under the pinned id: owned by another program.
    let mut foreign = fake;
    foreign.program = RAYDIUM;
    foreign.authority = x.authority;
    // A pool naming a market program that is neither OpenBook nor Serum.
    let odd_market = add_amm(
        &mut w.pt,
        Spec {
            market_program: Pubkey::new_unique(),
            ..X
        },
        w.mint_a,
        w.mint_b,
    );
    // Pools the program itself refuses: not open yet, and order book on with no readable market.
    let closed = add_amm(
        &mut w.pt,
        Spec {
            status: 7,
            open_time: u64::MAX / 2,
            ..X
        },
        w.mint_a,
        w.mint_b,
    );
    let disabled = add_amm(&mut w.pt, Spec { status: 2, ..X }, w.mint_a, w.mint_b);
    let orderbook = add_amm(&mut w.pt, Spec { status: 1, ..X }, w.mint_a, w.mint_b);

    let back = y.block(u, ub, ua, false);
    let honest = x.block(u, ua, ub, true);
    let short = x.block(u, ua, ub, false);
    let with = |mut b: Vec<AccountMeta>, i: usize, m: AccountMeta| {
        b[i] = m;
        b
    };
    // 17 accounts: neither block form.
    let mut missing = short.clone();
    missing.pop();
    let coin_vault_at = ray::TARGET_ORDERS + 1;
    let market_at = coin_vault_at + 3;
    let owner_at = honest.len() - ray::USER_OWNER_FROM_END;
    let cases: Vec<(Vec<AccountMeta>, ArbError)> = vec![
        (
            with(
                honest.clone(),
                coin_vault_at,
                AccountMeta::new(y.coin_vault, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                coin_vault_at + 1,
                AccountMeta::new(y.pc_vault, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                ray::OPEN_ORDERS,
                AccountMeta::new(y.open_orders, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                ray::TARGET_ORDERS,
                AccountMeta::new(y.target_orders, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(honest.clone(), market_at, AccountMeta::new(y.market, false)),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                short.clone(),
                ray::TARGET_ORDERS,
                AccountMeta::new(y.coin_vault, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                ray::TOKEN_PROGRAM,
                AccountMeta::new_readonly(
                    arb_executor::token_account::TOKEN_2022_PROGRAM_ID,
                    false,
                ),
            ),
            ArbError::TokenProgramMismatch,
        ),
        (
            with(
                honest.clone(),
                owner_at,
                AccountMeta::new_readonly(Pubkey::new_unique(), false),
            ),
            ArbError::AuthorityMismatch,
        ),
        (missing, ArbError::AccountCountMismatch),
        (
            odd_market.block(u, ua, ub, true),
            ArbError::UnknownMarketProgram,
        ),
        (fake.block(u, ua, ub, true), ArbError::UnknownVenueProgram),
        (
            foreign.block(u, ua, ub, true),
            ArbError::PoolNotOwnedByVenue,
        ),
        (
            with(honest.clone(), 0, AccountMeta::new_readonly(PINNED, false)),
            ArbError::UnknownVenueProgram,
        ),
    ];
    let user = w.user.insecure_clone();
    let watch = [ua, ub, x.coin_vault, x.pc_vault, y.coin_vault, y.pc_vault];
    let mut ctx = w.pt.start_with_context().await;
    for (block, code) in cases {
        let ix = ray_route(
            u,
            ua,
            1_000_000,
            0,
            vec![(block, true), (back.clone(), false)],
        );
        refused_with(&mut ctx, &user, &watch, ix, custom(code)).await;
    }
    // The program's own refusals reach the route unchanged, and nothing moves.
    let venue_error = |code: u32| {
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(code),
        ))
    };
    for pool in [closed, disabled] {
        let ix = ray_route(
            u,
            ua,
            1_000_000,
            0,
            vec![(pool.block(u, ua, ub, true), true), (back.clone(), false)],
        );
        refused_with(&mut ctx, &user, &watch, ix, venue_error(INVALID_STATUS)).await;
    }
    // With the order book on, the program reads the market, which is not a market here.
    let ix = ray_route(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (orderbook.block(u, ua, ub, true), true),
            (back.clone(), false),
        ],
    );
    let before = images(&mut ctx, &watch).await;
    let out = send(&mut ctx, &user, ix).await;
    assert!(
        matches!(out.result, Err(TransactionError::InstructionError(0, _))),
        "{:?}",
        out.logs
    );
    assert_eq!(images(&mut ctx, &watch).await, before);
    // The honest route still runs in the same bank.
    let ix = ray_route(u, ua, 1_000_000, 1, vec![(honest, true), (back, false)]);
    let out = send(&mut ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:?}", out.logs);
}
