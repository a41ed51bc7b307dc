//! Account packers for the Orca Whirlpool runtime tests: the `Whirlpool` account at its program
//! address (offsets from `arb_executor::venues::orca_whirlpool::layout`), fixed `TickArray`s at
//! theirs, and the program's tick math for the starting price. Layouts as in the program's
//! `state/whirlpool.rs` and `state/tick.rs`: a tick array is discriminator, `start_tick_index` i32,
//! 88 ticks of 113 bytes (initialized u8, liquidity_net i128, liquidity_gross u128, then fee and
//! reward growths), the pool's key.
#![allow(dead_code)]

use arb_executor::venues::orca_whirlpool::{layout, PROGRAM_ID};
use solana_sdk::pubkey::Pubkey;
use std::collections::BTreeMap;

pub const WHIRLPOOL: Pubkey = PROGRAM_ID;
pub const TICK_ARRAY_SIZE: i32 = 88;
pub const TICK_LEN: usize = 113;
pub const TICK_ARRAY_LEN: usize = 8 + 4 + 88 * TICK_LEN + 32;
const TICKS: usize = 12;
const TICK_ARRAY_WHIRLPOOL: usize = TICKS + 88 * TICK_LEN;

fn put(d: &mut [u8], at: usize, bytes: &[u8]) {
    d[at..at + bytes.len()].copy_from_slice(bytes);
}

pub fn account_discriminator(name: &str) -> [u8; 8] {
    let h = solana_sdk::hash::hash(format!("account:{name}").as_bytes());
    h.to_bytes()[..8].try_into().unwrap()
}

/// The program address of a pool: `["whirlpool", config, mint_a, mint_b, tick_spacing le]`. The
/// vaults are owned by it and the program signs their transfers with these seeds and the bump.
pub fn pool_address(
    program: &Pubkey,
    config: &Pubkey,
    mint_a: &Pubkey,
    mint_b: &Pubkey,
    spacing: u16,
) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            b"whirlpool",
            config.as_ref(),
            mint_a.as_ref(),
            mint_b.as_ref(),
            &spacing.to_le_bytes(),
        ],
        program,
    )
}

/// `["tick_array", pool, start as a decimal string]`.
pub fn tick_array_address(program: &Pubkey, pool: &Pubkey, start: i32) -> Pubkey {
    Pubkey::find_program_address(
        &[b"tick_array", pool.as_ref(), start.to_string().as_bytes()],
        program,
    )
    .0
}

/// `["oracle", pool]`: passed to `swap`, never created (this build does not read it).
pub fn oracle_address(program: &Pubkey, pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"oracle", pool.as_ref()], program).0
}

/// Start of the tick array holding `tick`.
pub fn array_start(tick: i32, spacing: u16) -> i32 {
    let width = TICK_ARRAY_SIZE * i32::from(spacing);
    tick.div_euclid(width) * width
}

/// The starts of the three tick arrays a swap from `tick` walks, in swap order (the program's
/// `get_start_tick_indexes`: b-to-a moves on one array when `tick + spacing` is in the next).
pub fn swap_array_starts(tick: i32, spacing: u16, a_to_b: bool) -> [i32; 3] {
    let width = TICK_ARRAY_SIZE * i32::from(spacing);
    let base = if a_to_b {
        array_start(tick, spacing)
    } else {
        array_start(tick + i32::from(spacing), spacing)
    };
    let step = if a_to_b { -width } else { width };
    [base, base + step, base + 2 * step]
}

/// Q64.64 sqrt price at a tick at or below 0 (the program's negative-tick factors).
pub fn sqrt_price_at_negative_tick(tick: i32) -> u128 {
    const F: [u128; 18] = [
        18444899583751176498,
        18443055278223354162,
        18439367220385604838,
        18431993317065449817,
        18417254355718160513,
        18387811781193591352,
        18329067761203520168,
        18212142134806087854,
        17980523815641551639,
        17526086738831147013,
        16651378430235024244,
        15030750278693429944,
        12247334978882834399,
        8131365268884726200,
        3584323654723342297,
        696457651847595233,
        26294789957452057,
        37481735321082,
    ];
    assert!(tick <= 0);
    let a = tick.unsigned_abs();
    let mut ratio: u128 = if a & 1 != 0 {
        18445821805675392311
    } else {
        1 << 64
    };
    for (i, f) in F.iter().enumerate() {
        if a & (1 << (i + 1)) != 0 {
            ratio = (ratio * f) >> 64;
        }
    }
    ratio
}

/// The fields of a `Whirlpool` the tests set.
#[derive(Clone, Copy, Debug)]
pub struct PoolFields {
    pub config: Pubkey,
    pub bump: u8,
    pub spacing: u16,
    pub fee_rate: u16,
    pub protocol_fee_rate: u16,
    pub liquidity: u128,
    pub sqrt_price: u128,
    pub tick: i32,
    pub mint_a: Pubkey,
    pub vault_a: Pubkey,
    pub mint_b: Pubkey,
    pub vault_b: Pubkey,
}

/// The 653 bytes of a `Whirlpool` (no rewards, nothing owed, the fee tier seed equal to the spacing
/// as for every pool made without an adaptive fee).
pub fn whirlpool(f: &PoolFields) -> Vec<u8> {
    let mut d = vec![0u8; layout::LEN];
    put(&mut d, 0, &layout::DISCRIMINATOR);
    put(&mut d, layout::WHIRLPOOLS_CONFIG, f.config.as_ref());
    d[layout::WHIRLPOOL_BUMP] = f.bump;
    put(&mut d, layout::TICK_SPACING, &f.spacing.to_le_bytes());
    put(
        &mut d,
        layout::FEE_TIER_INDEX_SEED,
        &f.spacing.to_le_bytes(),
    );
    put(&mut d, layout::FEE_RATE, &f.fee_rate.to_le_bytes());
    put(
        &mut d,
        layout::PROTOCOL_FEE_RATE,
        &f.protocol_fee_rate.to_le_bytes(),
    );
    put(&mut d, layout::LIQUIDITY, &f.liquidity.to_le_bytes());
    put(&mut d, layout::SQRT_PRICE, &f.sqrt_price.to_le_bytes());
    put(&mut d, layout::TICK_CURRENT_INDEX, &f.tick.to_le_bytes());
    put(&mut d, layout::TOKEN_MINT_A, f.mint_a.as_ref());
    put(&mut d, layout::TOKEN_VAULT_A, f.vault_a.as_ref());
    put(&mut d, layout::TOKEN_MINT_B, f.mint_b.as_ref());
    put(&mut d, layout::TOKEN_VAULT_B, f.vault_b.as_ref());
    d
}

/// `(lower, upper, liquidity)` positions as tick -> (liquidity_net, liquidity_gross).
pub fn ticks_of(positions: &[(i32, i32, u128)]) -> BTreeMap<i32, (i128, u128)> {
    let mut ticks: BTreeMap<i32, (i128, u128)> = BTreeMap::new();
    for &(lo, hi, l) in positions {
        let e = ticks.entry(lo).or_default();
        e.0 += l as i128;
        e.1 += l;
        let e = ticks.entry(hi).or_default();
        e.0 -= l as i128;
        e.1 += l;
    }
    ticks
}

/// A fixed tick array of `pool` from `start` with the listed initialized ticks.
pub fn tick_array(
    pool: &Pubkey,
    start: i32,
    spacing: u16,
    ticks: &BTreeMap<i32, (i128, u128)>,
) -> Vec<u8> {
    let mut d = vec![0u8; TICK_ARRAY_LEN];
    put(&mut d, 0, &account_discriminator("TickArray"));
    put(&mut d, 8, &start.to_le_bytes());
    for i in 0..TICK_ARRAY_SIZE {
        let t = start + i * i32::from(spacing);
        if let Some(&(net, gross)) = ticks.get(&t) {
            let off = TICKS + i as usize * TICK_LEN;
            d[off] = 1;
            put(&mut d, off + 1, &net.to_le_bytes());
            put(&mut d, off + 17, &gross.to_le_bytes());
        }
    }
    put(&mut d, TICK_ARRAY_WHIRLPOOL, pool.as_ref());
    d
}

pub fn u128_at(d: &[u8], at: usize) -> u128 {
    u128::from_le_bytes(d[at..at + 16].try_into().unwrap())
}

pub fn i32_at(d: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}
