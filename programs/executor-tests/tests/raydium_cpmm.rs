//! `execute_route` through the real Raydium CPMM program: the SBF build committed in
//! `vendor/solana-programs/raydium_cp_swap.so` (hash-checked before it is loaded) runs at the pinned
//! CPMM id beside the host-compiled `arb_executor`; pools, configs, observations, vaults and
//! Token-2022 mints are built by the packers in `cpmm_pack`. SPL Token and Token-2022 are the
//! runtime's built-in programs, so transfer fees are charged by the real Token-2022 code.
//!
//! Expected amounts come from CPMM's and Token-2022's published integer rules written out in
//! `cpmm_pack::cpmm_out` and `TransferFee::fee`, applied to the accounts as read from the bank.

mod common;
mod cpmm_pack;

use arb_executor::venues::raydium_cpmm::{self as cpmm, layout};
use arb_executor::{ArbError, RouteHop, Venue};
use common::*;
use cpmm_pack::*;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    instruction::AccountMeta,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

const BINARY: &[u8] = include_bytes!("../../../vendor/solana-programs/raydium_cp_swap.so");
/// sha256 recorded in vendor/solana-programs/PROVENANCE.md.
const BINARY_SHA256: &str = "4ec452fc44ad608c638a08355b8f964c92109a646f63ab481f98ee5e90c00e7b";

const FEES: Fees = Fees {
    trade: 2_500,
    protocol: 120_000,
    fund: 40_000,
};
const START_A: u64 = 50_000_000;
/// Transfer fee of the Token-2022 mint: 2.5 %, at most 20 000 units; an older 1 % still recorded
/// for an earlier epoch (the bank runs in epoch 0, so the newer one applies).
const T_FEE: TransferFee = TransferFee {
    epoch: 0,
    maximum_fee: 20_000,
    basis_points: 250,
};
const T_FEE_OLDER: TransferFee = TransferFee {
    epoch: 0,
    maximum_fee: 20_000,
    basis_points: 100,
};

fn checked_binary() -> Vec<u8> {
    let digest = solana_sdk::hash::hash(BINARY).to_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex, BINARY_SHA256,
        "raydium_cp_swap.so is not the recorded build"
    );
    BINARY.to_vec()
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

#[derive(Clone, Copy, Debug)]
struct Cpmm {
    program: Pubkey,
    key: Pubkey,
    authority: Pubkey,
    keys: PoolKeys,
}

impl Cpmm {
    fn sides(&self, a_to_b: bool) -> (Side, Side) {
        if a_to_b {
            (self.keys.zero, self.keys.one)
        } else {
            (self.keys.one, self.keys.zero)
        }
    }

    fn block(
        &self,
        user: Pubkey,
        user_in: Pubkey,
        user_out: Pubkey,
        a_to_b: bool,
    ) -> Vec<AccountMeta> {
        let (i, o) = self.sides(a_to_b);
        vec![
            AccountMeta::new_readonly(self.program, false),
            AccountMeta::new_readonly(user, true),
            AccountMeta::new_readonly(self.authority, false),
            AccountMeta::new_readonly(self.keys.config, false),
            AccountMeta::new(self.key, false),
            AccountMeta::new(user_in, false),
            AccountMeta::new(user_out, false),
            AccountMeta::new(i.vault, false),
            AccountMeta::new(o.vault, false),
            AccountMeta::new_readonly(i.program, false),
            AccountMeta::new_readonly(o.program, false),
            AccountMeta::new_readonly(i.mint, false),
            AccountMeta::new_readonly(o.mint, false),
            AccountMeta::new(self.keys.observation, false),
        ]
    }
}

fn vault_data(side: &Side, owner: Pubkey, amount: u64) -> Vec<u8> {
    if side.program == TOKEN_2022 {
        account_2022(side.mint, owner, amount, true)
    } else {
        token_account_data(side.mint, owner, amount)
    }
}

/// A pool of `program` over `zero`/`one` with `reserves` (plus `owed` protocol+fund fees held in
/// each vault), its config, observation and vaults.
fn add_cpmm(
    pt: &mut ProgramTest,
    program: Pubkey,
    zero: (Pubkey, Pubkey),
    one: (Pubkey, Pubkey),
    reserves: (u64, u64),
    owed: [(u64, u64); 2],
) -> Cpmm {
    let (authority, auth_bump) = vault_authority(&program);
    let side = |(mint, token_program): (Pubkey, Pubkey)| Side {
        vault: Pubkey::new_unique(),
        mint,
        program: token_program,
        decimals: 6,
    };
    let keys = PoolKeys {
        config: Pubkey::new_unique(),
        observation: Pubkey::new_unique(),
        auth_bump,
        zero: side(zero),
        one: side(one),
        owed,
        status: 0,
        open_time: 0,
    };
    let key = Pubkey::new_unique();
    let held = |r: u64, o: (u64, u64)| r + o.0 + o.1;
    add(pt, keys.config, program, amm_config(FEES));
    add(pt, keys.observation, program, observation(&key));
    add(pt, key, program, pool_state(&keys));
    let (z, o) = (keys.zero, keys.one);
    add(
        pt,
        z.vault,
        z.program,
        vault_data(&z, authority, held(reserves.0, owed[0])),
    );
    add(
        pt,
        o.vault,
        o.program,
        vault_data(&o, authority, held(reserves.1, owed[1])),
    );
    Cpmm {
        program,
        key,
        authority,
        keys,
    }
}

fn cpmm_hop(a_to_b: bool) -> RouteHop {
    RouteHop {
        venue: Venue::RaydiumCpmm,
        num_accounts: cpmm::ACCOUNTS as u8,
        a_to_b,
    }
}

fn cpmm_route(
    user: Pubkey,
    source: Pubkey,
    amount_in: u64,
    min_profit: u64,
    blocks: Vec<(Vec<AccountMeta>, bool)>,
) -> solana_sdk::instruction::Instruction {
    let hops = blocks.iter().map(|(_, d)| cpmm_hop(*d)).collect();
    execute_ix(
        user,
        source,
        amount_in,
        min_profit,
        hops,
        blocks.into_iter().map(|(b, _)| b).collect(),
    )
}

struct World {
    pt: ProgramTest,
    user: Keypair,
    /// A, B: SPL Token; T: Token-2022 with a transfer fee.
    mint_a: Pubkey,
    mint_b: Pubkey,
    mint_t: Pubkey,
    ua: Pubkey,
    ub: Pubkey,
    ut: Pubkey,
    /// A/B pricing B cheap, B/A even: A → B → A is profitable.
    ab: Cpmm,
    ba: Cpmm,
    /// A/T pricing T cheap, T/A even: A → T → A is profitable net of two transfer fees.
    at: Cpmm,
    ta: Cpmm,
}

fn world() -> World {
    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.prefer_bpf(false);
    let elf = checked_binary();
    deploy(&mut pt, CPMM, &elf);
    let user = Keypair::new();
    let u = user.pubkey();
    let (mint_a, mint_b, mint_t) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    for m in [mint_a, mint_b] {
        add(
            &mut pt,
            m,
            TOKEN,
            mint_data(Pubkey::new_unique(), u64::MAX / 4, None),
        );
    }
    add(
        &mut pt,
        mint_t,
        TOKEN_2022,
        mint_2022(
            Pubkey::new_unique(),
            u64::MAX / 4,
            6,
            &[(TRANSFER_FEE_CONFIG, transfer_fee_config(T_FEE_OLDER, T_FEE))],
        ),
    );
    let (ua, ub, ut) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    add(&mut pt, ua, TOKEN, token_account_data(mint_a, u, START_A));
    add(&mut pt, ub, TOKEN, token_account_data(mint_b, u, 0));
    add(&mut pt, ut, TOKEN_2022, account_2022(mint_t, u, 0, true));
    let owed = [(1_000, 500), (700, 300)];
    let ab = add_cpmm(
        &mut pt,
        CPMM,
        (mint_a, TOKEN),
        (mint_b, TOKEN),
        (1_000_000_000, 1_100_000_000),
        owed,
    );
    let ba = add_cpmm(
        &mut pt,
        CPMM,
        (mint_b, TOKEN),
        (mint_a, TOKEN),
        (1_000_000_000, 1_000_000_000),
        owed,
    );
    let at = add_cpmm(
        &mut pt,
        CPMM,
        (mint_a, TOKEN),
        (mint_t, TOKEN_2022),
        (1_000_000_000, 1_200_000_000),
        owed,
    );
    let ta = add_cpmm(
        &mut pt,
        CPMM,
        (mint_t, TOKEN_2022),
        (mint_a, TOKEN),
        (1_000_000_000, 1_000_000_000),
        owed,
    );
    World {
        pt,
        user,
        mint_a,
        mint_b,
        mint_t,
        ua,
        ub,
        ut,
        ab,
        ba,
        at,
        ta,
    }
}

async fn data(ctx: &mut ProgramTestContext, key: Pubkey) -> Vec<u8> {
    account(ctx, key).await.expect("account exists").data
}

async fn amount(ctx: &mut ProgramTestContext, key: Pubkey) -> u64 {
    u64_at(&data(ctx, key).await, 64)
}

/// What `pool` pays out (before any transfer fee) for `arrived` units in its input vault, from the
/// pool's accounts as they are now; and the trade fee it keeps.
async fn expected(
    ctx: &mut ProgramTestContext,
    pool: &Cpmm,
    a_to_b: bool,
    arrived: u64,
) -> (u64, u64) {
    let state = data(ctx, pool.key).await;
    let owed = |p: usize, f: usize| u64_at(&state, p) + u64_at(&state, f);
    let r0 = amount(ctx, pool.keys.zero.vault).await
        - owed(layout::PROTOCOL_FEES_TOKEN_0, layout::FUND_FEES_TOKEN_0);
    let r1 = amount(ctx, pool.keys.one.vault).await
        - owed(layout::PROTOCOL_FEES_TOKEN_1, layout::FUND_FEES_TOKEN_1);
    let (r_in, r_out) = if a_to_b { (r0, r1) } else { (r1, r0) };
    cpmm_out(arrived, r_in, r_out, FEES.trade)
}

#[tokio::test]
async fn spl_route_through_the_real_program_pays_the_curve() {
    let w = world();
    let (u, ua, ub) = (w.user.pubkey(), w.ua, w.ub);
    let (ab, ba) = (w.ab, w.ba);
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    for amount_in in [1_000_000u64, 7, 123_457] {
        let before_a = amount(&mut ctx, ua).await;
        let (out1, fee1) = expected(&mut ctx, &ab, true, amount_in).await;
        let state_before = data(&mut ctx, ab.key).await;
        // Hop 2 sees the first pool's vaults unchanged, so its quote can be taken now.
        let (out2, _) = expected(&mut ctx, &ba, true, out1).await;
        let ix = cpmm_route(
            u,
            ua,
            amount_in,
            0,
            vec![
                (ab.block(u, ua, ub, true), true),
                (ba.block(u, ub, ua, true), true),
            ],
        );
        let out = send(&mut ctx, &user, ix).await;
        if out2 <= amount_in {
            assert_eq!(
                out.result,
                custom(ArbError::Unprofitable),
                "amount {amount_in}"
            );
            assert_eq!(amount(&mut ctx, ua).await, before_a);
            continue;
        }
        assert_eq!(out.result, Ok(()), "amount {amount_in}: {:?}", out.logs);
        let event = route_event(&out.ret);
        assert_eq!(event.amount_out, out2);
        assert_eq!(event.profit, out2 - amount_in);
        assert_eq!(event.pools, vec![ab.key, ba.key]);
        assert_eq!(amount(&mut ctx, ua).await, before_a - amount_in + out2);
        assert_eq!(amount(&mut ctx, ub).await, 0, "B passes through");
        // The program books its protocol and fund shares of the trade fee, rounded down.
        let state = data(&mut ctx, ab.key).await;
        assert_eq!(
            u64_at(&state, layout::PROTOCOL_FEES_TOKEN_0)
                - u64_at(&state_before, layout::PROTOCOL_FEES_TOKEN_0),
            fee1 * FEES.protocol / 1_000_000
        );
        assert_eq!(
            u64_at(&state, layout::FUND_FEES_TOKEN_0)
                - u64_at(&state_before, layout::FUND_FEES_TOKEN_0),
            fee1 * FEES.fund / 1_000_000
        );
    }
}

#[tokio::test]
async fn token_2022_transfer_fee_route_is_measured_net_of_fees() {
    let w = world();
    let (u, ua, ut) = (w.user.pubkey(), w.ua, w.ut);
    let (at, ta) = (w.at, w.ta);
    let user = w.user.insecure_clone();
    let mut ctx = w.pt.start_with_context().await;
    // 1 000 000 A: both transfer fees hit the 20 000 cap; 100 000 A: neither does.
    for (amount_in, capped) in [(1_000_000u64, true), (100_000, false)] {
        let before_a = amount(&mut ctx, ua).await;
        let withheld_user = withheld(&data(&mut ctx, ut).await);
        let ta_vault_t = ta.keys.zero.vault;
        let withheld_vault = withheld(&data(&mut ctx, ta_vault_t).await);
        let (out1, _) = expected(&mut ctx, &at, true, amount_in).await;
        let fee_out = T_FEE.fee(out1);
        let delivered1 = out1 - fee_out;
        let fee_in = T_FEE.fee(delivered1);
        assert_eq!(fee_out == T_FEE.maximum_fee, capped);
        assert_eq!(fee_in == T_FEE.maximum_fee, capped);
        let (out2, _) = expected(&mut ctx, &ta, true, delivered1 - fee_in).await;
        let ix = cpmm_route(
            u,
            ua,
            amount_in,
            1,
            vec![
                (at.block(u, ua, ut, true), true),
                (ta.block(u, ut, ua, true), true),
            ],
        );
        let out = send(&mut ctx, &user, ix).await;
        assert_eq!(out.result, Ok(()), "amount {amount_in}: {:?}", out.logs);
        let event = route_event(&out.ret);
        assert_eq!(event.amount_out, out2);
        assert_eq!(amount(&mut ctx, ua).await, before_a - amount_in + out2);
        // Hop 2 was given exactly what arrived net of the outgoing fee, and spent all of it.
        assert_eq!(amount(&mut ctx, ut).await, 0);
        assert_eq!(withheld(&data(&mut ctx, ut).await) - withheld_user, fee_out);
        assert_eq!(
            withheld(&data(&mut ctx, ta_vault_t).await) - withheld_vault,
            fee_in
        );
    }
}

/// Sends `ix` and checks it fails with `code` and moves nothing of the user's.
async fn refused(
    ctx: &mut ProgramTestContext,
    user: &Keypair,
    watch: &[Pubkey],
    ix: solana_sdk::instruction::Instruction,
    code: ArbError,
) {
    let before = images(ctx, watch).await;
    let out = send(ctx, user, ix).await;
    assert_eq!(out.result, custom(code), "{code:?}: {:?}", out.logs);
    assert_eq!(images(ctx, watch).await, before, "{code:?} moved something");
}

#[tokio::test]
async fn hostile_blocks_are_refused_by_name() {
    let mut w = world();
    let (u, ua, ub, ut) = (w.user.pubkey(), w.ua, w.ub, w.ut);
    let (ab, ba, at) = (w.ab, w.ba, w.at);
    // The same code deployed under an id nobody pinned, with its own pool.
    let elf = checked_binary();
    deploy(&mut w.pt, UNPINNED, &elf);
    let fake = add_cpmm(
        &mut w.pt,
        UNPINNED,
        (w.mint_a, TOKEN),
        (w.mint_b, TOKEN),
        (1_000_000_000, 1_100_000_000),
        [(0, 0); 2],
    );
    // A pool state of another program presented under the pinned id.
    let mut foreign_owner = fake;
    foreign_owner.program = CPMM;
    foreign_owner.authority = ab.authority;
    // Mints whose extensions reach into every transfer.
    let hook_mint = Pubkey::new_unique();
    let delegate_mint = Pubkey::new_unique();
    let mut hooked = Vec::new();
    for (mint, ty, len) in [
        (hook_mint, TRANSFER_HOOK, 64),
        (delegate_mint, PERMANENT_DELEGATE, 32),
    ] {
        add(
            &mut w.pt,
            mint,
            TOKEN_2022,
            mint_2022(Pubkey::new_unique(), 1 << 40, 6, &[(ty, vec![7u8; len])]),
        );
        let pool = add_cpmm(
            &mut w.pt,
            CPMM,
            (w.mint_a, TOKEN),
            (mint, TOKEN_2022),
            (1_000_000_000, 1_200_000_000),
            [(0, 0); 2],
        );
        let user_acc = Pubkey::new_unique();
        add(
            &mut w.pt,
            user_acc,
            TOKEN_2022,
            account_2022(mint, u, 0, false),
        );
        hooked.push((pool, user_acc));
    }
    // A Token-2022 account of the fee mint that refuses transfers without a memo (an extension the
    // route does not accept).
    let memo_t = Pubkey::new_unique();
    let mut memo_data = account_2022(w.mint_t, u, 0, true);
    memo_data.extend_from_slice(&8u16.to_le_bytes());
    memo_data.extend_from_slice(&1u16.to_le_bytes());
    memo_data.push(1);
    add(&mut w.pt, memo_t, TOKEN_2022, memo_data);
    // A second config of the same program (no fees).
    let zero_fee_config = Pubkey::new_unique();
    add(
        &mut w.pt,
        zero_fee_config,
        CPMM,
        amm_config(Fees {
            trade: 0,
            protocol: 0,
            fund: 0,
        }),
    );

    let back = ba.block(u, ub, ua, true);
    let with = |mut b: Vec<AccountMeta>, i: usize, m: AccountMeta| {
        b[i] = m;
        b
    };
    let honest = ab.block(u, ua, ub, true);
    let cases: Vec<(Vec<AccountMeta>, ArbError)> = vec![
        (
            with(
                honest.clone(),
                cpmm::OUTPUT_VAULT,
                AccountMeta::new(ba.keys.zero.vault, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::INPUT_VAULT,
                AccountMeta::new(ab.keys.one.vault, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::AMM_CONFIG,
                AccountMeta::new_readonly(zero_fee_config, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::AMM_CONFIG,
                AccountMeta::new_readonly(ba.keys.config, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::OBSERVATION_STATE,
                AccountMeta::new(ba.keys.observation, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::AUTHORITY,
                AccountMeta::new_readonly(Pubkey::new_unique(), false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::INPUT_TOKEN_MINT,
                AccountMeta::new_readonly(w.mint_b, false),
            ),
            ArbError::PoolAccountMismatch,
        ),
        (
            with(
                honest.clone(),
                cpmm::INPUT_TOKEN_PROGRAM,
                AccountMeta::new_readonly(TOKEN_2022, false),
            ),
            ArbError::TokenProgramMismatch,
        ),
        (fake.block(u, ua, ub, true), ArbError::UnknownVenueProgram),
        (
            foreign_owner.block(u, ua, ub, true),
            ArbError::PoolNotOwnedByVenue,
        ),
        (
            with(honest.clone(), 0, AccountMeta::new_readonly(PINNED, false)),
            ArbError::UnknownVenueProgram,
        ),
    ];
    let user = w.user.insecure_clone();
    let watch = [
        ua,
        ub,
        ut,
        ab.keys.zero.vault,
        ab.keys.one.vault,
        ba.keys.zero.vault,
        ba.keys.one.vault,
    ];
    let mut ctx = w.pt.start_with_context().await;
    for (block, code) in cases {
        let ix = cpmm_route(
            u,
            ua,
            1_000_000,
            0,
            vec![(block, true), (back.clone(), true)],
        );
        refused(&mut ctx, &user, &watch, ix, code).await;
    }
    // Token-2022 mints with a transfer hook or a permanent delegate, and an account that wants memos.
    for (pool, user_acc) in hooked {
        let ix = cpmm_route(
            u,
            ua,
            1_000_000,
            0,
            vec![
                (pool.block(u, ua, user_acc, true), true),
                (pool.block(u, user_acc, ua, false), false),
            ],
        );
        refused(
            &mut ctx,
            &user,
            &watch,
            ix,
            ArbError::Token2022ExtensionRefused,
        )
        .await;
    }
    let ix = cpmm_route(
        u,
        ua,
        1_000_000,
        0,
        vec![
            (at.block(u, ua, memo_t, true), true),
            (w.ta.block(u, memo_t, ua, true), true),
        ],
    );
    refused(
        &mut ctx,
        &user,
        &watch,
        ix,
        ArbError::Token2022ExtensionRefused,
    )
    .await;
    // The route's start stays an SPL Token account.
    let ix = cpmm_route(
        u,
        ut,
        1_000,
        0,
        vec![
            (w.ta.block(u, ut, ua, true), true),
            (at.block(u, ua, ut, true), true),
        ],
    );
    refused(&mut ctx, &user, &watch, ix, ArbError::Token2022NotSupported).await;
    // The honest route still runs in the same bank.
    let ix = cpmm_route(u, ua, 1_000_000, 1, vec![(honest, true), (back, true)]);
    assert_eq!(send(&mut ctx, &user, ix).await.result, Ok(()));
}
