//! `arb_executor` routes through the real Raydium CLMM program: the SBF binary committed in
//! `vendor/solana-programs/raydium_amm_v3.so` (sha256 checked before it is loaded) runs in
//! solana-program-test beside the host-compiled executor. Pools are packed field by field (creating an
//! `AmmConfig` needs the program's hard-coded admin key, so every account is packed the same way).

mod common;

use arb_executor::venues::raydium_clmm::{self, layout, MEMO_PROGRAM_ID};
use arb_executor::{ArbError, RouteHop, Venue};
use common::*;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

const CLMM: Pubkey = raydium_clmm::PROGRAM_IDS[0];
const TOKEN_2022: Pubkey = arb_executor::token_account::TOKEN_2022_PROGRAM_ID;
const SO_SHA256: &str = "ee6433d9e9d4f430e6eb7ebbe08283bf3b8d63925a3c4c2d5010928467c3b807";
const OBSERVATION_LEN: usize = 8 + 1 + 32 + 52 * 1000 + 80;
const SPACING: i32 = 10;

fn clmm_binary() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../vendor/solana-programs/raydium_amm_v3.so"
    );
    let bytes = std::fs::read(path).expect("vendor/solana-programs/raydium_amm_v3.so");
    let hex: String = solana_sdk::hash::hash(&bytes)
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex, SO_SHA256,
        "raydium_amm_v3.so is not the recorded build"
    );
    bytes
}

/// Sqrt price (Q64.64) at `tick`, as the program's tick math computes it.
fn sqrt_price_at_tick(tick: i32) -> u128 {
    const R: [(u32, u128); 18] = [
        (0x2, 0xfff97272373d4000),
        (0x4, 0xfff2e50f5f657000),
        (0x8, 0xffe5caca7e10f000),
        (0x10, 0xffcb9843d60f7000),
        (0x20, 0xff973b41fa98e800),
        (0x40, 0xff2ea16466c9b000),
        (0x80, 0xfe5dee046a9a3800),
        (0x100, 0xfcbe86c7900bb000),
        (0x200, 0xf987a7253ac65800),
        (0x400, 0xf3392b0822bb6000),
        (0x800, 0xe7159475a2caf000),
        (0x1000, 0xd097f3bdfd2f2000),
        (0x2000, 0xa9f746462d9f8000),
        (0x4000, 0x70d869a156f31c00),
        (0x8000, 0x31be135f97ed3200),
        (0x10000, 0x9aa508b5b85a500),
        (0x20000, 0x5d6af8dedc582c),
        (0x40000, 0x2216e584f5fa),
    ];
    let a = tick.unsigned_abs();
    let mut ratio: u128 = if a & 1 != 0 {
        0xfffcb933bd6fb800
    } else {
        1 << 64
    };
    for (bit, f) in R {
        if a & bit != 0 {
            ratio = (ratio * f) >> 64;
        }
    }
    if tick > 0 {
        ratio = u128::MAX / ratio;
    }
    ratio
}

fn array_start(tick: i32) -> i32 {
    tick.div_euclid(60 * SPACING) * 60 * SPACING
}

fn tick_array_key(pool: &Pubkey, start: i32) -> Pubkey {
    Pubkey::find_program_address(&[b"tick_array", pool.as_ref(), &start.to_be_bytes()], &CLMM).0
}

fn extension_key(pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"pool_tick_array_bitmap_extension", pool.as_ref()], &CLMM).0
}

fn disc(name: &str) -> [u8; 8] {
    let h = solana_sdk::hash::hash(format!("account:{name}").as_bytes());
    h.to_bytes()[..8].try_into().unwrap()
}

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

/// One packed CLMM pool: config, pool, vaults, observation and tick arrays.
#[derive(Clone)]
struct Clmm {
    config: Pubkey,
    pool: Pubkey,
    mint_0: Pubkey,
    mint_1: Pubkey,
    vault_0: Pubkey,
    vault_1: Pubkey,
    observation: Pubkey,
}

impl Clmm {
    /// `positions`: (lower, upper, liquidity).
    fn add(
        pt: &mut ProgramTest,
        mint_0: Pubkey,
        mint_1: Pubkey,
        tick: i32,
        positions: &[(i32, i32, u128)],
    ) -> Self {
        let config = Pubkey::new_unique();
        let mut c = vec![0u8; layout::AMM_CONFIG_LEN];
        put(&mut c, 0, &layout::AMM_CONFIG_DISCRIMINATOR);
        put(&mut c, 43, &120_000u32.to_le_bytes()); // protocol fee rate
        put(&mut c, 47, &2_500u32.to_le_bytes()); // trade fee rate
        put(&mut c, 51, &(SPACING as u16).to_le_bytes());
        put(&mut c, 53, &40_000u32.to_le_bytes()); // fund fee rate
        add(pt, config, CLMM, c);
        let (pool, bump) = Pubkey::find_program_address(
            &[b"pool", config.as_ref(), mint_0.as_ref(), mint_1.as_ref()],
            &CLMM,
        );
        let (vault_0, vault_1, observation) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        add(
            pt,
            vault_0,
            TOKEN,
            token_account_data(mint_0, pool, 1 << 50),
        );
        add(
            pt,
            vault_1,
            TOKEN,
            token_account_data(mint_1, pool, 1 << 50),
        );
        let mut o = vec![0u8; OBSERVATION_LEN];
        put(&mut o, 0, &disc("ObservationState"));
        put(&mut o, 9, pool.as_ref());
        add(pt, observation, CLMM, o);

        let mut ticks: std::collections::BTreeMap<i32, (i128, u128)> = Default::default();
        let mut liquidity = 0u128;
        for &(lo, hi, l) in positions {
            let e = ticks.entry(lo).or_default();
            e.0 += l as i128;
            e.1 += l;
            let e = ticks.entry(hi).or_default();
            e.0 -= l as i128;
            e.1 += l;
            if lo <= tick && tick < hi {
                liquidity += l;
            }
        }
        let mut bitmap = [0u64; 16];
        let mut arrays = Vec::new();
        for &t in ticks.keys() {
            let s = array_start(t);
            if !arrays.contains(&s) {
                arrays.push(s);
            }
        }
        for &s in &arrays {
            let mut a = vec![0u8; layout::TICK_ARRAY_LEN];
            put(&mut a, 0, &layout::TICK_ARRAY_DISCRIMINATOR);
            put(&mut a, 8, pool.as_ref());
            put(&mut a, 40, &s.to_le_bytes());
            let mut count = 0u8;
            for i in 0..60 {
                let t = s + i * SPACING;
                let off = 44 + i as usize * 168;
                put(&mut a, off, &t.to_le_bytes());
                if let Some(&(net, gross)) = ticks.get(&t) {
                    put(&mut a, off + 4, &net.to_le_bytes());
                    put(&mut a, off + 20, &gross.to_le_bytes());
                    count += 1;
                }
            }
            a[10124] = count;
            add(pt, tick_array_key(&pool, s), CLMM, a);
            let bit = (s / (60 * SPACING) + 512) as usize;
            bitmap[bit / 64] |= 1 << (bit % 64);
        }
        let mut p = vec![0u8; layout::POOL_LEN];
        put(&mut p, 0, &layout::POOL_DISCRIMINATOR);
        p[8] = bump;
        put(&mut p, layout::AMM_CONFIG, config.as_ref());
        put(&mut p, layout::TOKEN_MINT_0, mint_0.as_ref());
        put(&mut p, layout::TOKEN_MINT_1, mint_1.as_ref());
        put(&mut p, layout::TOKEN_VAULT_0, vault_0.as_ref());
        put(&mut p, layout::TOKEN_VAULT_1, vault_1.as_ref());
        put(&mut p, layout::OBSERVATION_KEY, observation.as_ref());
        p[233] = 6;
        p[234] = 6;
        put(&mut p, 235, &(SPACING as u16).to_le_bytes());
        put(&mut p, 237, &liquidity.to_le_bytes());
        put(&mut p, 253, &(sqrt_price_at_tick(tick) + 1).to_le_bytes());
        put(&mut p, 269, &tick.to_le_bytes());
        put(&mut p, 275, &15u16.to_le_bytes());
        for (i, w) in bitmap.iter().enumerate() {
            put(&mut p, 904 + 8 * i, &w.to_le_bytes());
        }
        add(pt, pool, CLMM, p);
        let mut e = vec![0u8; layout::BITMAP_EXTENSION_LEN];
        put(&mut e, 0, &layout::BITMAP_EXTENSION_DISCRIMINATOR);
        put(&mut e, layout::POOL_ID, pool.as_ref());
        add(pt, extension_key(&pool), CLMM, e);
        Clmm {
            config,
            pool,
            mint_0,
            mint_1,
            vault_0,
            vault_1,
            observation,
        }
    }

    /// The `swap_v2` block: program, then the venue's accounts, then `arrays` (tick array starts).
    fn block(
        &self,
        user: Pubkey,
        src: Pubkey,
        dst: Pubkey,
        a_to_b: bool,
        arrays: &[i32],
    ) -> Vec<AccountMeta> {
        let (vin, vout, min, mout) = if a_to_b {
            (self.vault_0, self.vault_1, self.mint_0, self.mint_1)
        } else {
            (self.vault_1, self.vault_0, self.mint_1, self.mint_0)
        };
        let mut b = vec![
            AccountMeta::new_readonly(CLMM, false),
            AccountMeta::new_readonly(user, true),
            AccountMeta::new_readonly(self.config, false),
            AccountMeta::new(self.pool, false),
            AccountMeta::new(src, false),
            AccountMeta::new(dst, false),
            AccountMeta::new(vin, false),
            AccountMeta::new(vout, false),
            AccountMeta::new(self.observation, false),
            AccountMeta::new_readonly(TOKEN, false),
            AccountMeta::new_readonly(TOKEN_2022, false),
            AccountMeta::new_readonly(MEMO_PROGRAM_ID, false),
            AccountMeta::new_readonly(min, false),
            AccountMeta::new_readonly(mout, false),
        ];
        b.extend(
            arrays
                .iter()
                .map(|s| AccountMeta::new(tick_array_key(&self.pool, *s), false)),
        );
        b
    }
}

struct World {
    ctx: ProgramTestContext,
    user: Keypair,
    user_0: Pubkey,
    user_1: Pubkey,
    a: Clmm,
    b: Clmm,
}

const A_ARRAYS: [i32; 2] = [0, 600];
const B_ARRAYS: [i32; 1] = [-6000];

/// Two CLMM pools of the same pair: A at tick 5 (price ~1.0) with a position ending at tick 100 that a
/// token-1-in swap crosses, B at tick 2000 (price ~1.22). token 1 -> A -> token 0 -> B -> token 1 pays.
async fn world(mints: (Pubkey, Pubkey), keys: &[Pubkey; 2], user: &Keypair) -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    let so = clmm_binary();
    pt.add_account(
        CLMM,
        Account {
            lamports: rent_exempt(so.len()),
            data: so,
            owner: solana_sdk::bpf_loader::id(),
            executable: true,
            rent_epoch: 0,
        },
    );
    let (mint_0, mint_1) = mints;
    add(
        &mut pt,
        mint_0,
        TOKEN,
        mint_data(Pubkey::new_unique(), 1 << 60, None),
    );
    add(
        &mut pt,
        mint_1,
        TOKEN,
        mint_data(Pubkey::new_unique(), 1 << 60, None),
    );
    let a = Clmm::add(
        &mut pt,
        mint_0,
        mint_1,
        5,
        &[
            (-600, 600, 1_000_000_000_000),
            (-100, 100, 1_000_000_000_000),
        ],
    );
    let b = Clmm::add(
        &mut pt,
        mint_0,
        mint_1,
        2000,
        &[(-6000, 6000, 10_000_000_000_000)],
    );
    let owner = user.pubkey();
    add(
        &mut pt,
        keys[0],
        TOKEN,
        token_account_data(mint_0, owner, 0),
    );
    add(
        &mut pt,
        keys[1],
        TOKEN,
        token_account_data(mint_1, owner, 1 << 40),
    );
    add_with_lamports(
        &mut pt,
        owner,
        solana_sdk::system_program::id(),
        1_000_000_000,
        vec![],
    );
    let ctx = pt.start_with_context().await;
    World {
        ctx,
        user: user.insecure_clone(),
        user_0: keys[0],
        user_1: keys[1],
        a,
        b,
    }
}

fn clmm_hop(block: &[AccountMeta], a_to_b: bool) -> RouteHop {
    RouteHop {
        venue: Venue::RaydiumClmm,
        num_accounts: block.len() as u8,
        a_to_b,
    }
}

fn route(
    w: &World,
    amount: u64,
    min_profit: u64,
    a: Vec<AccountMeta>,
    b: Vec<AccountMeta>,
) -> Instruction {
    execute_ix(
        w.user.pubkey(),
        w.user_1,
        amount,
        min_profit,
        vec![clmm_hop(&a, false), clmm_hop(&b, true)],
        vec![a, b],
    )
}

fn blocks(w: &World) -> (Vec<AccountMeta>, Vec<AccountMeta>) {
    let u = w.user.pubkey();
    (
        w.a.block(u, w.user_1, w.user_0, false, &A_ARRAYS),
        w.b.block(u, w.user_0, w.user_1, true, &B_ARRAYS),
    )
}

fn u128_at(data: &[u8], off: usize) -> u128 {
    u128::from_le_bytes(data[off..off + 16].try_into().unwrap())
}

const AMOUNT: u64 = 20_000_000_000;

async fn fresh() -> World {
    let user = Keypair::new();
    let mints = (
        Pubkey::new_from_array([1; 32]),
        Pubkey::new_from_array([2; 32]),
    );
    world(mints, &[Pubkey::new_unique(), Pubkey::new_unique()], &user).await
}

#[tokio::test]
async fn two_hop_route_through_the_real_clmm_pays_what_the_venue_pays_directly() {
    let user = Keypair::new();
    let mints = (
        Pubkey::new_from_array([1; 32]),
        Pubkey::new_from_array([2; 32]),
    );
    let keys = [Pubkey::new_unique(), Pubkey::new_unique()];

    // The same two swaps sent straight to the venue (no executor) in an identical bank.
    let mut direct = world(mints, &keys, &user).await;
    let (a_block, b_block) = blocks(&direct);
    let ix = |b: Vec<AccountMeta>, amount: u64, a_to_b: bool| Instruction {
        program_id: CLMM,
        accounts: b[1..].to_vec(),
        data: raydium_clmm::swap_data(amount, a_to_b),
    };
    let start_1 = balance(&mut direct.ctx, keys[1]).await;
    let u = direct.user.insecure_clone();
    let out = send(&mut direct.ctx, &u, ix(a_block, AMOUNT, false)).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let mid = balance(&mut direct.ctx, keys[0]).await;
    let out = send(&mut direct.ctx, &u, ix(b_block, mid, true)).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let end_1 = balance(&mut direct.ctx, keys[1]).await;
    assert!(end_1 > start_1, "the two pools are dislocated");

    // Through arb_executor.
    let mut w = world(mints, &keys, &user).await;
    let liquidity_before = u128_at(&account(&mut w.ctx, w.a.pool).await.unwrap().data, 237);
    let (a_block, b_block) = blocks(&w);
    let ix = route(&w, AMOUNT, end_1 - start_1, a_block, b_block);
    let out = send(&mut w.ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    let ev = route_event(&out.ret);
    assert_eq!(ev.amount_in, AMOUNT);
    assert_eq!(ev.profit, end_1 - start_1);
    assert_eq!(ev.pools, vec![w.a.pool, w.b.pool]);
    assert_eq!(
        balance(&mut w.ctx, keys[0]).await,
        0,
        "hop 0's output was all spent by hop 1"
    );
    assert_eq!(balance(&mut w.ctx, keys[1]).await, end_1);
    // The swap through A crossed the initialised tick 100 (the (-100, 100) position left the range).
    let pool_a = account(&mut w.ctx, w.a.pool).await.unwrap().data;
    assert_eq!(liquidity_before, 2_000_000_000_000);
    assert_eq!(u128_at(&pool_a, 237), 1_000_000_000_000);
    assert!(i32::from_le_bytes(pool_a[269..273].try_into().unwrap()) >= 100);
}

async fn refused(mut w: World, a: Vec<AccountMeta>, b: Vec<AccountMeta>, code: ArbError) {
    let keys = [
        w.user_0,
        w.user_1,
        w.a.pool,
        w.b.pool,
        w.a.vault_0,
        w.a.vault_1,
    ];
    let before = images(&mut w.ctx, &keys).await;
    let ix = route(&w, AMOUNT, 0, a, b);
    let user = w.user.insecure_clone();
    let out = send(&mut w.ctx, &user, ix).await;
    assert_eq!(out.result, custom(code), "{:#?}", out.logs);
    assert_eq!(images(&mut w.ctx, &keys).await, before);
}

#[tokio::test]
async fn tick_array_not_owned_by_the_venue_is_refused() {
    let mut w = fresh().await;
    // A copy of a real tick array, owned by another program, in place of the second one.
    let real = account(&mut w.ctx, tick_array_key(&w.a.pool, 600))
        .await
        .unwrap();
    let fake = Pubkey::new_unique();
    w.ctx.set_account(
        &fake,
        &Account {
            owner: Pubkey::new_unique(),
            ..real
        }
        .into(),
    );
    let (mut a, b) = blocks(&w);
    let n = a.len();
    a[n - 1] = AccountMeta::new(fake, false);
    refused(w, a, b, ArbError::PoolNotOwnedByVenue).await;
}

#[tokio::test]
async fn tick_array_of_another_pool_is_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    let n = a.len();
    a[n - 1] = AccountMeta::new(tick_array_key(&w.b.pool, -6000), false);
    refused(w, a, b, ArbError::PoolAccountMismatch).await;
}

#[tokio::test]
async fn foreign_amm_config_is_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    a[raydium_clmm::AMM_CONFIG] = AccountMeta::new_readonly(w.b.config, false);
    refused(w, a, b, ArbError::PoolAccountMismatch).await;
}

#[tokio::test]
async fn unpinned_program_id_is_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    a[0] = AccountMeta::new_readonly(UNPINNED, false);
    refused(w, a, b, ArbError::UnknownVenueProgram).await;
}

#[tokio::test]
async fn swapped_vaults_are_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    a.swap(raydium_clmm::INPUT_VAULT, raydium_clmm::OUTPUT_VAULT);
    refused(w, a, b, ArbError::PoolAccountMismatch).await;
}

#[tokio::test]
async fn observation_of_another_pool_is_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    a[raydium_clmm::OBSERVATION_STATE] = AccountMeta::new(w.b.observation, false);
    refused(w, a, b, ArbError::PoolAccountMismatch).await;
}

#[tokio::test]
async fn a_program_in_a_mint_position_is_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    a[raydium_clmm::INPUT_VAULT_MINT] = AccountMeta::new_readonly(TOKEN_2022, false);
    refused(w, a, b, ArbError::PoolAccountMismatch).await;
}

#[tokio::test]
async fn bitmap_extension_in_the_block_is_accepted_and_the_route_pays() {
    let mut w = fresh().await;
    let (mut a, b) = blocks(&w);
    // swap_v2 takes the extension anywhere among the remaining accounts; read only is enough.
    a.insert(
        raydium_clmm::REMAINING,
        AccountMeta::new_readonly(extension_key(&w.a.pool), false),
    );
    let start = balance(&mut w.ctx, w.user_1).await;
    let ix = route(&w, AMOUNT, 1, a, b);
    let user = w.user.insecure_clone();
    let out = send(&mut w.ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    assert_eq!(
        balance(&mut w.ctx, w.user_1).await - start,
        route_event(&out.ret).profit
    );
}

#[tokio::test]
async fn bitmap_extension_of_another_pool_is_refused() {
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    a.insert(
        raydium_clmm::REMAINING,
        AccountMeta::new_readonly(extension_key(&w.b.pool), false),
    );
    refused(w, a, b, ArbError::PoolAccountMismatch).await;
}

#[tokio::test]
async fn a_pool_or_observation_in_a_tick_array_position_is_refused() {
    for pick in [0, 1] {
        let w = fresh().await;
        let (mut a, b) = blocks(&w);
        let n = a.len();
        a[n - 1] = AccountMeta::new(if pick == 0 { w.b.pool } else { w.a.observation }, false);
        refused(w, a, b, ArbError::InvalidPoolData).await;
    }
}

#[tokio::test]
async fn block_without_tick_arrays_or_with_too_many_is_refused() {
    let w = fresh().await;
    let (a, b) = blocks(&w);
    let short = a[..raydium_clmm::REMAINING].to_vec();
    refused(w, short, b, ArbError::AccountCountMismatch).await;
    let w = fresh().await;
    let (mut a, b) = blocks(&w);
    while a.len() <= raydium_clmm::MAX_ACCOUNTS {
        a.push(AccountMeta::new(tick_array_key(&w.a.pool, 0), false));
    }
    refused(w, a, b, ArbError::AccountCountMismatch).await;
}

#[tokio::test]
async fn the_authority_is_passed_to_the_venue_read_only_even_when_writable_in_the_transaction() {
    let mut w = fresh().await;
    let (mut a, b) = blocks(&w);
    a[raydium_clmm::PAYER] = AccountMeta::new(w.user.pubkey(), true);
    let ix = route(&w, AMOUNT, 1, a, b);
    let user = w.user.insecure_clone();
    let lamports = account(&mut w.ctx, user.pubkey()).await.unwrap().lamports;
    let out = send(&mut w.ctx, &user, ix).await;
    assert_eq!(out.result, Ok(()), "{:#?}", out.logs);
    assert_eq!(
        account(&mut w.ctx, user.pubkey()).await.unwrap().lamports,
        lamports
    );
}
