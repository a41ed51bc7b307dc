//! Account packers for the Raydium CPMM runtime tests: `AmmConfig`, `PoolState`, `ObservationState`
//! exactly as the program lays them out (offsets from `arb_executor::venues::raydium_cpmm`), and
//! Token-2022 mints and accounts with their extensions (base layout, account-type byte at 165, then
//! type–length–value records, as spl-token-2022 writes them).
#![allow(dead_code)]

use arb_executor::venues::raydium_cpmm::{self as cpmm, config_layout, layout, observation_layout};
use solana_sdk::{program_option::COption, program_pack::Pack, pubkey::Pubkey};

pub const TOKEN_2022: Pubkey = solana_sdk::pubkey!("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
pub const CPMM: Pubkey = cpmm::PROGRAM_IDS[0];

/// Token-2022 extension type numbers used here.
pub const TRANSFER_FEE_CONFIG: u16 = 1;
pub const TRANSFER_FEE_AMOUNT: u16 = 2;
pub const IMMUTABLE_OWNER: u16 = 7;
pub const PERMANENT_DELEGATE: u16 = 12;
pub const TRANSFER_HOOK: u16 = 14;

fn put(d: &mut [u8], at: usize, bytes: &[u8]) {
    d[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The vault authority of every pool of `program`, and its bump.
pub fn vault_authority(program: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[cpmm::AUTH_SEED], program)
}

#[derive(Clone, Copy, Debug)]
pub struct Fees {
    pub trade: u64,
    pub protocol: u64,
    pub fund: u64,
}

pub fn amm_config(fees: Fees) -> Vec<u8> {
    let mut d = vec![0u8; config_layout::LEN];
    put(&mut d, 0, &config_layout::DISCRIMINATOR);
    put(
        &mut d,
        config_layout::TRADE_FEE_RATE,
        &fees.trade.to_le_bytes(),
    );
    put(
        &mut d,
        config_layout::PROTOCOL_FEE_RATE,
        &fees.protocol.to_le_bytes(),
    );
    put(
        &mut d,
        config_layout::FUND_FEE_RATE,
        &fees.fund.to_le_bytes(),
    );
    d
}

/// One side of a pool: vault, mint, token program, decimals.
#[derive(Clone, Copy, Debug)]
pub struct Side {
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub program: Pubkey,
    pub decimals: u8,
}

#[derive(Clone, Copy, Debug)]
pub struct PoolKeys {
    pub config: Pubkey,
    pub observation: Pubkey,
    pub auth_bump: u8,
    pub zero: Side,
    pub one: Side,
    /// Protocol + fund fees owed per side (held in the vaults, not part of the reserves).
    pub owed: [(u64, u64); 2],
    pub status: u8,
    pub open_time: u64,
}

pub fn pool_state(k: &PoolKeys) -> Vec<u8> {
    let mut d = vec![0u8; layout::LEN];
    put(&mut d, 0, &layout::DISCRIMINATOR);
    put(&mut d, layout::AMM_CONFIG, k.config.as_ref());
    put(&mut d, layout::TOKEN_0_VAULT, k.zero.vault.as_ref());
    put(&mut d, layout::TOKEN_1_VAULT, k.one.vault.as_ref());
    put(&mut d, layout::LP_MINT, Pubkey::new_unique().as_ref());
    put(&mut d, layout::TOKEN_0_MINT, k.zero.mint.as_ref());
    put(&mut d, layout::TOKEN_1_MINT, k.one.mint.as_ref());
    put(&mut d, layout::TOKEN_0_PROGRAM, k.zero.program.as_ref());
    put(&mut d, layout::TOKEN_1_PROGRAM, k.one.program.as_ref());
    put(&mut d, layout::OBSERVATION_KEY, k.observation.as_ref());
    d[layout::AUTH_BUMP] = k.auth_bump;
    d[layout::STATUS] = k.status;
    d[layout::LP_MINT_DECIMALS] = 9;
    d[layout::MINT_0_DECIMALS] = k.zero.decimals;
    d[layout::MINT_1_DECIMALS] = k.one.decimals;
    put(&mut d, layout::LP_SUPPLY, &1_000_000u64.to_le_bytes());
    put(
        &mut d,
        layout::PROTOCOL_FEES_TOKEN_0,
        &k.owed[0].0.to_le_bytes(),
    );
    put(
        &mut d,
        layout::PROTOCOL_FEES_TOKEN_1,
        &k.owed[1].0.to_le_bytes(),
    );
    put(
        &mut d,
        layout::FUND_FEES_TOKEN_0,
        &k.owed[0].1.to_le_bytes(),
    );
    put(
        &mut d,
        layout::FUND_FEES_TOKEN_1,
        &k.owed[1].1.to_le_bytes(),
    );
    put(&mut d, layout::OPEN_TIME, &k.open_time.to_le_bytes());
    d
}

pub fn u64_at(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().unwrap())
}

pub fn observation(pool: &Pubkey) -> Vec<u8> {
    let mut d = vec![0u8; observation_layout::LEN];
    put(&mut d, 0, &observation_layout::DISCRIMINATOR);
    put(&mut d, observation_layout::POOL_ID, pool.as_ref());
    d
}

/// A Token-2022 transfer fee: `(epoch, maximum_fee, basis_points)`.
#[derive(Clone, Copy, Debug)]
pub struct TransferFee {
    pub epoch: u64,
    pub maximum_fee: u64,
    pub basis_points: u16,
}

impl TransferFee {
    /// spl-token-2022 `TransferFee::calculate_fee`: ceil(amount · bps / 10 000), capped.
    pub fn fee(&self, amount: u64) -> u64 {
        if self.basis_points == 0 || amount == 0 {
            return 0;
        }
        let raw = (u128::from(amount) * u128::from(self.basis_points)).div_ceil(10_000);
        (raw as u64).min(self.maximum_fee)
    }

    fn pack(&self) -> Vec<u8> {
        let mut v = self.epoch.to_le_bytes().to_vec();
        v.extend_from_slice(&self.maximum_fee.to_le_bytes());
        v.extend_from_slice(&self.basis_points.to_le_bytes());
        v
    }
}

fn with_extensions(mut base: Vec<u8>, account_type: u8, records: &[(u16, Vec<u8>)]) -> Vec<u8> {
    base.resize(165, 0);
    base.push(account_type);
    for (ty, value) in records {
        base.extend_from_slice(&ty.to_le_bytes());
        base.extend_from_slice(&(value.len() as u16).to_le_bytes());
        base.extend_from_slice(value);
    }
    base
}

/// The `TransferFeeConfig` record value: no config or withdraw authority, nothing withheld.
pub fn transfer_fee_config(older: TransferFee, newer: TransferFee) -> Vec<u8> {
    let mut v = vec![0u8; 72];
    v.extend(older.pack());
    v.extend(newer.pack());
    v
}

/// A Token-2022 mint (SPL base layout) with `records`.
pub fn mint_2022(
    authority: Pubkey,
    supply: u64,
    decimals: u8,
    records: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut base = vec![0u8; spl_token_2022_base::MINT_LEN];
    anchor_spl::token::spl_token::state::Mint {
        mint_authority: COption::Some(authority),
        supply,
        decimals,
        is_initialized: true,
        freeze_authority: COption::None,
    }
    .pack_into_slice(&mut base);
    if records.is_empty() {
        return base;
    }
    with_extensions(base, 1, records)
}

/// A Token-2022 account (SPL base layout) with the immutable owner and, for a transfer-fee mint,
/// the withheld-fee counter.
pub fn account_2022(mint: Pubkey, owner: Pubkey, amount: u64, fee_mint: bool) -> Vec<u8> {
    let base = crate::common::token_account_data(mint, owner, amount);
    let mut records = vec![(IMMUTABLE_OWNER, vec![])];
    if fee_mint {
        records.push((TRANSFER_FEE_AMOUNT, 0u64.to_le_bytes().to_vec()));
    }
    with_extensions(base, 2, &records)
}

/// The withheld fee of a Token-2022 account built by `account_2022` with a fee mint.
pub fn withheld(data: &[u8]) -> u64 {
    // 165 base + type byte + ImmutableOwner record (4) + TransferFeeAmount header (4).
    u64_at(data, 166 + 4 + 4)
}

mod spl_token_2022_base {
    pub const MINT_LEN: usize = 82;
}

/// CPMM `swap_base_input` output for `amount_in` arriving in the vault, with creator fees off (the
/// committed build predates them): trade fee rounded up, output rounded down.
pub fn cpmm_out(
    amount_in: u64,
    reserve_in: u64,
    reserve_out: u64,
    trade_fee_rate: u64,
) -> (u64, u64) {
    let x = u128::from(amount_in);
    let fee = (x * u128::from(trade_fee_rate)).div_ceil(1_000_000);
    let net = x - fee;
    let out = net * u128::from(reserve_out) / (u128::from(reserve_in) + net);
    (out as u64, fee as u64)
}
