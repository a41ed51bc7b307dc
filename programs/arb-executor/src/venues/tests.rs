//! Adapter checks for Raydium AMM v4 and Orca Whirlpool `swap` and `swap_v2` (whose real programs also run
//! in `executor-tests`): account plans, instruction bytes and flags, block screening and rejections, on
//! account images built field by field.

use anchor_lang::prelude::*;

use super::{is_pinned, orca_whirlpool as orca, plan, raydium_amm_v4 as raydium, spl_token_swap};
use crate::{token_account, ArbError, RouteHop, Venue};

struct Acc {
    key: Pubkey,
    owner: Pubkey,
    lamports: u64,
    data: Vec<u8>,
    signer: bool,
    writable: bool,
    executable: bool,
}

fn acc(key: Pubkey, owner: Pubkey, data: Vec<u8>) -> Acc {
    Acc {
        key,
        owner,
        lamports: 1,
        data,
        signer: false,
        writable: true,
        executable: false,
    }
}

fn infos(accs: &mut [Acc]) -> Vec<AccountInfo<'_>> {
    accs.iter_mut()
        .map(|a| {
            let Acc {
                key,
                owner,
                lamports,
                data,
                signer,
                writable,
                executable,
            } = a;
            AccountInfo::new(
                key,
                *signer,
                *writable,
                lamports,
                data,
                owner,
                *executable,
                0,
            )
        })
        .collect()
}

fn token(mint: Pubkey, owner: Pubkey) -> Vec<u8> {
    let mut d = vec![0u8; token_account::LEN];
    d[token_account::MINT..token_account::MINT + 32].copy_from_slice(mint.as_ref());
    d[token_account::OWNER..token_account::OWNER + 32].copy_from_slice(owner.as_ref());
    d[token_account::STATE] = token_account::STATE_INITIALIZED;
    d
}

fn put(d: &mut [u8], offset: usize, key: &Pubkey) {
    d[offset..offset + 32].copy_from_slice(key.as_ref());
}

fn code(e: Error) -> u32 {
    match e {
        Error::AnchorError(a) => a.error_code_number,
        other => panic!("unexpected {other:?}"),
    }
}

fn program(key: Pubkey) -> Acc {
    Acc {
        executable: true,
        writable: false,
        ..acc(key, Pubkey::new_unique(), vec![])
    }
}

/// A Raydium block with target orders: 19 accounts.
fn raydium_block(
    user: Pubkey,
    coin_mint: Pubkey,
    pc_mint: Pubkey,
    source_mint: Pubkey,
    dest_mint: Pubkey,
) -> Vec<Acc> {
    let pid = raydium::PROGRAM_IDS[0];
    let market = raydium::MARKET_PROGRAM_IDS[0];
    let mut keys: Vec<Pubkey> = (0..19).map(|_| Pubkey::new_unique()).collect();
    keys[8] = market;
    let mut amm = vec![0u8; raydium::layout::LEN];
    put(&mut amm, raydium::layout::OPEN_ORDERS, &keys[4]);
    put(&mut amm, raydium::layout::TARGET_ORDERS, &keys[5]);
    put(&mut amm, raydium::layout::COIN_VAULT, &keys[6]);
    put(&mut amm, raydium::layout::PC_VAULT, &keys[7]);
    put(&mut amm, raydium::layout::MARKET_PROGRAM, &keys[8]);
    put(&mut amm, raydium::layout::MARKET, &keys[9]);
    put(&mut amm, raydium::layout::COIN_VAULT_MINT, &coin_mint);
    put(&mut amm, raydium::layout::PC_VAULT_MINT, &pc_mint);
    let mut v = vec![
        program(pid),
        acc(
            crate::token_account::TOKEN_PROGRAM_ID,
            Pubkey::new_unique(),
            vec![],
        ),
        acc(keys[2], pid, amm),
    ];
    // Owners as on chain: the AMM's own accounts, the market program's, SPL Token's vaults.
    let spl = token_account::TOKEN_PROGRAM_ID;
    let owners = [
        (3, token_account::SYSTEM_PROGRAM_ID),
        (4, market),
        (5, pid),
        (6, spl),
        (7, spl),
        (8, Pubkey::new_unique()),
        (9, market),
        (10, market),
        (11, market),
        (12, market),
        (13, spl),
        (14, spl),
        (15, token_account::SYSTEM_PROGRAM_ID),
    ];
    v.extend(owners.iter().map(|&(i, owner)| {
        let data = if owner == spl {
            token(Pubkey::new_unique(), Pubkey::new_unique())
        } else {
            vec![]
        };
        let mut a = acc(keys[i], owner, data);
        a.writable = raydium::WRITABLE & (1 << i) != 0;
        a.executable = i == 8;
        a
    }));
    v.push(acc(
        keys[16],
        crate::token_account::TOKEN_PROGRAM_ID,
        token(source_mint, user),
    ));
    v.push(acc(
        keys[17],
        crate::token_account::TOKEN_PROGRAM_ID,
        token(dest_mint, user),
    ));
    v.push(Acc {
        signer: true,
        writable: false,
        ..acc(user, Pubkey::default(), vec![])
    });
    v
}

fn hop(venue: Venue, n: usize, a_to_b: bool) -> RouteHop {
    RouteHop {
        venue,
        num_accounts: n as u8,
        a_to_b,
    }
}

#[test]
fn raydium_plan_and_instruction() {
    let (user, coin, pc) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let mut accs = raydium_block(user, coin, pc, coin, pc);
    let keys: Vec<Pubkey> = accs.iter().map(|a| a.key).collect();
    let block = infos(&mut accs);
    let p = plan(&hop(Venue::RaydiumAmmV4, 19, true), &block, &user).unwrap();
    assert_eq!(
        (p.source, p.destination, p.mint_in, p.mint_out, p.pool),
        (16, 17, coin, pc, keys[2])
    );
    let ix = p.instruction(5_000_000);
    assert_eq!(ix.program_id, raydium::PROGRAM_IDS[0]);
    assert_eq!(
        ix.accounts.iter().map(|m| m.pubkey).collect::<Vec<_>>(),
        keys[1..]
    );
    assert!(ix.accounts[17].is_signer && !ix.accounts[17].is_writable);
    let mut data = vec![9u8];
    data.extend(5_000_000u64.to_le_bytes());
    data.extend(0u64.to_le_bytes());
    assert_eq!(ix.data, data);

    // pc → coin reads the mints the other way round.
    let p = plan(&hop(Venue::RaydiumAmmV4, 19, false), &block, &user).unwrap();
    assert_eq!((p.mint_in, p.mint_out), (pc, coin));
}

#[test]
fn raydium_without_target_orders_shifts_the_vaults() {
    let (user, coin, pc) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs.remove(raydium::TARGET_ORDERS);
    let block = infos(&mut accs);
    let p = plan(&hop(Venue::RaydiumAmmV4, 18, true), &block, &user).unwrap();
    assert_eq!((p.source, p.destination), (15, 16));
}

#[test]
fn raydium_rejections() {
    let (user, coin, pc) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let h = hop(Venue::RaydiumAmmV4, 19, true);

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[0].key = Pubkey::new_unique();
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::UnknownVenueProgram)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[2].owner = Pubkey::new_unique();
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::PoolNotOwnedByVenue)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[7].key = Pubkey::new_unique();
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::PoolAccountMismatch)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[2].data.pop();
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::InvalidPoolData)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[1].key = Pubkey::new_unique();
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::TokenProgramMismatch)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    assert_eq!(
        code(
            plan(&h, &infos(&mut accs), &Pubkey::new_unique())
                .err()
                .unwrap()
        ),
        u32::from(ArbError::AuthorityMismatch)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[0].executable = false;
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::VenueProgramNotExecutable)
    );

    let mut accs = raydium_block(user, coin, pc, coin, pc);
    assert_eq!(
        code(
            plan(
                &hop(Venue::RaydiumAmmV4, 18, true),
                &infos(&mut accs)[..18],
                &user
            )
            .err()
            .unwrap()
        ),
        u32::from(ArbError::PoolAccountMismatch),
        "an 18-account block reads position 5 as the coin vault"
    );
}

fn whirlpool_block(user: Pubkey, mint_a: Pubkey, mint_b: Pubkey) -> Vec<Acc> {
    let keys: Vec<Pubkey> = (0..12).map(|_| Pubkey::new_unique()).collect();
    let mut pool = vec![0u8; orca::layout::LEN];
    pool[..8].copy_from_slice(&orca::layout::DISCRIMINATOR);
    put(&mut pool, orca::layout::TOKEN_MINT_A, &mint_a);
    put(&mut pool, orca::layout::TOKEN_VAULT_A, &keys[5]);
    put(&mut pool, orca::layout::TOKEN_MINT_B, &mint_b);
    put(&mut pool, orca::layout::TOKEN_VAULT_B, &keys[7]);
    vec![
        program(orca::PROGRAM_ID),
        acc(
            crate::token_account::TOKEN_PROGRAM_ID,
            Pubkey::new_unique(),
            vec![],
        ),
        Acc {
            signer: true,
            writable: false,
            ..acc(user, Pubkey::default(), vec![])
        },
        acc(keys[3], orca::PROGRAM_ID, pool),
        acc(
            keys[4],
            crate::token_account::TOKEN_PROGRAM_ID,
            token(mint_a, user),
        ),
        acc(keys[5], crate::token_account::TOKEN_PROGRAM_ID, vec![]),
        acc(
            keys[6],
            crate::token_account::TOKEN_PROGRAM_ID,
            token(mint_b, user),
        ),
        acc(keys[7], crate::token_account::TOKEN_PROGRAM_ID, vec![]),
        acc(keys[8], orca::PROGRAM_ID, vec![]),
        acc(keys[9], orca::PROGRAM_ID, vec![]),
        acc(keys[10], orca::PROGRAM_ID, vec![]),
        acc(keys[11], orca::PROGRAM_ID, vec![]),
    ]
}

#[test]
fn whirlpool_plan_and_instruction_both_directions() {
    let (user, a, b) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let mut accs = whirlpool_block(user, a, b);
    let keys: Vec<Pubkey> = accs.iter().map(|a| a.key).collect();
    let block = infos(&mut accs);

    let p = plan(&hop(Venue::OrcaWhirlpool, 12, true), &block, &user).unwrap();
    assert_eq!(
        (p.source, p.destination, p.mint_in, p.mint_out, p.pool),
        (4, 6, a, b, keys[3])
    );
    let ix = p.instruction(3_000_000);
    assert_eq!(ix.program_id, orca::PROGRAM_ID);
    assert_eq!(ix.accounts.len(), 11);
    assert_eq!(ix.data.len(), 42);
    assert_eq!(
        ix.data[..8],
        [0xf8, 0xc6, 0x9e, 0x91, 0xe1, 0x75, 0x87, 0xc8]
    );
    assert_eq!(ix.data[8..16], 3_000_000u64.to_le_bytes());
    assert_eq!(ix.data[16..24], [0; 8]);
    assert_eq!(
        u128::from_le_bytes(ix.data[24..40].try_into().unwrap()),
        orca::MIN_SQRT_PRICE
    );
    assert_eq!(ix.data[40..], [1, 1]);

    let p = plan(&hop(Venue::OrcaWhirlpool, 12, false), &block, &user).unwrap();
    assert_eq!(
        (p.source, p.destination, p.mint_in, p.mint_out),
        (6, 4, b, a)
    );
    let ix = p.instruction(1);
    assert_eq!(
        u128::from_le_bytes(ix.data[24..40].try_into().unwrap()),
        orca::MAX_SQRT_PRICE
    );
    assert_eq!(ix.data[40..], [1, 0]);
}

#[test]
fn whirlpool_rejections() {
    let (user, a, b) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let h = hop(Venue::OrcaWhirlpool, 12, true);

    let mut accs = whirlpool_block(user, a, b);
    accs[0].key = raydium::PROGRAM_IDS[0];
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::UnknownVenueProgram)
    );

    let mut accs = whirlpool_block(user, a, b);
    accs[3].data[0] ^= 1;
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::InvalidPoolData)
    );

    let mut accs = whirlpool_block(user, a, b);
    accs[3].owner = Pubkey::new_unique();
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::PoolNotOwnedByVenue)
    );

    let mut accs = whirlpool_block(user, a, b);
    accs.swap(5, 7);
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::PoolAccountMismatch)
    );

    let mut accs = whirlpool_block(user, a, b);
    assert_eq!(
        code(
            plan(
                &hop(Venue::OrcaWhirlpool, 11, true),
                &infos(&mut accs)[..11],
                &user
            )
            .err()
            .unwrap()
        ),
        u32::from(ArbError::AccountCountMismatch)
    );

    // Our own program or the token program never stand in for a venue.
    let mut accs = whirlpool_block(user, a, b);
    accs[0].key = crate::ID;
    assert_eq!(
        code(plan(&h, &infos(&mut accs), &user).err().unwrap()),
        u32::from(ArbError::UnknownVenueProgram)
    );
}

#[test]
fn venue_program_ids_are_pinned() {
    let token_swap_3x = pubkey!("SwapsVeCiPHMUAtzQWZw7RjsKjgCjhwU55QGu4U1Szw");
    assert!(spl_token_swap::PROGRAM_IDS
        .iter()
        .all(|p| is_pinned(Venue::SplTokenSwap, p)));
    assert!(!is_pinned(Venue::SplTokenSwap, &token_swap_3x));
    assert!(!is_pinned(Venue::SplTokenSwap, &orca::PROGRAM_ID));
    assert!(is_pinned(Venue::RaydiumAmmV4, &raydium::PROGRAM_IDS[0]));
    assert!(!is_pinned(
        Venue::RaydiumAmmV4,
        &pubkey!("HWy1jotHpo6UqeQxx49dpYYdQB8wj9Qk9MdxwjLvDHB8")
    ));
    assert!(is_pinned(Venue::OrcaWhirlpool, &orca::PROGRAM_ID));
    for v in [
        Venue::SplTokenSwap,
        Venue::RaydiumAmmV4,
        Venue::OrcaWhirlpool,
    ] {
        assert!(!is_pinned(v, &crate::ID));
        assert!(!is_pinned(v, &token_account::TOKEN_PROGRAM_ID));
        assert!(!is_pinned(v, &Pubkey::default()));
    }
}

#[test]
fn venue_instruction_passes_the_authority_read_only_and_no_other_signer() {
    let (user, coin, pc) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let mut accs = raydium_block(user, coin, pc, coin, pc);
    // As in a transaction where the authority pays the fee (writable) and the amm is, oddly, a
    // second signer: neither privilege reaches the venue.
    accs[18].writable = true;
    accs[2].signer = true;
    // Writable in the transaction but read only in `swap_base_in`: passed read only.
    accs[3].writable = true;
    accs[8].writable = true;
    let block = infos(&mut accs);
    let p = plan(&hop(Venue::RaydiumAmmV4, 19, true), &block, &user).unwrap();
    let ix = p.instruction(1);
    let signers: Vec<usize> = (0..18).filter(|&i| ix.accounts[i].is_signer).collect();
    assert_eq!(signers, vec![17]);
    let writable: Vec<usize> = (0..18)
        .filter(|&i| ix.accounts[i].is_writable)
        .map(|i| i + 1)
        .collect();
    assert_eq!(writable, vec![2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 17]);
    // Never escalated: read only in the transaction stays read only.
    let mut accs = raydium_block(user, coin, pc, coin, pc);
    accs[10].writable = false;
    let block = infos(&mut accs);
    let p = plan(&hop(Venue::RaydiumAmmV4, 19, true), &block, &user).unwrap();
    assert!(!p.instruction(1).accounts[9].is_writable);
}

#[test]
fn raydium_market_program_is_pinned() {
    let (user, coin, pc) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let mut accs = raydium_block(user, coin, pc, coin, pc);
    let other = Pubkey::new_unique();
    put(&mut accs[2].data, raydium::layout::MARKET_PROGRAM, &other);
    accs[8].key = other;
    assert_eq!(
        code(
            plan(
                &hop(Venue::RaydiumAmmV4, 19, true),
                &infos(&mut accs),
                &user
            )
            .err()
            .unwrap()
        ),
        u32::from(ArbError::UnknownMarketProgram)
    );
}

fn screen_code(accs: &mut [Acc], user: &Pubkey, route: &[Pubkey]) -> Option<u32> {
    let block = infos(accs);
    let p = plan(&hop(Venue::RaydiumAmmV4, 19, true), &block, user).unwrap();
    p.screen(user, route).err().map(code)
}

#[test]
fn raydium_block_screening() {
    let (user, coin, pc) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let fresh = || raydium_block(user, coin, pc, coin, pc);
    let route = |accs: &[Acc]| vec![accs[16].key, accs[17].key];
    let mut accs = fresh();
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        None,
        "an on-chain-shaped block passes"
    );

    // A market account writable but owned by a program the pool does not name.
    let mut accs = fresh();
    accs[10].owner = Pubkey::new_unique();
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::UnexpectedWritableAccount))
    );
    // The same account read only is harmless: the venue cannot write it.
    let mut accs = fresh();
    accs[10].owner = Pubkey::new_unique();
    accs[10].writable = false;
    let r = route(&accs);
    assert_eq!(screen_code(&mut accs, &user, &r), None);
    // A market vault that is the user's own token account.
    let mut accs = fresh();
    accs[13].data = token(coin, user);
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::AuthorityControlledAccount))
    );
    // The route's start account as the event queue.
    let mut accs = fresh();
    let r = vec![accs[16].key, accs[17].key, accs[12].key];
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::UserAccountMisplaced))
    );
    // A Token-2022 account anywhere.
    let mut accs = fresh();
    accs[14].owner = token_account::TOKEN_2022_PROGRAM_ID;
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::Token2022NotSupported))
    );
    // This program as the vault signer.
    let mut accs = fresh();
    accs[15].key = crate::ID;
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::ExecutorInVenueBlock))
    );
    // Any program but the token and market programs (a venue can call only what it is given).
    let mut accs = fresh();
    accs[11].executable = true;
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::ProgramInVenueBlock))
    );
    // The authority as the amm authority.
    let mut accs = fresh();
    accs[3].key = user;
    let r = route(&accs);
    assert_eq!(
        screen_code(&mut accs, &user, &r),
        Some(u32::from(ArbError::AuthorityMisplaced))
    );
}

#[test]
fn whirlpool_block_screening() {
    let (user, a, b) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let h = hop(Venue::OrcaWhirlpool, 12, true);
    let screened = |accs: &mut Vec<Acc>| {
        let route = vec![accs[4].key, accs[6].key];
        let block = infos(accs);
        let p = plan(&h, &block, &user).unwrap();
        p.screen(&user, &route).err().map(code)
    };
    let mut accs = whirlpool_block(user, a, b);
    assert_eq!(screened(&mut accs), None);
    // An oracle that was never created (adaptive fees off) is an empty system account: accepted.
    let mut accs = whirlpool_block(user, a, b);
    accs[orca::ORACLE].owner = token_account::SYSTEM_PROGRAM_ID;
    accs[orca::ORACLE].lamports = 0;
    assert_eq!(screened(&mut accs), None);
    // ... but one holding lamports, or owned by another program, is not the oracle's.
    accs[orca::ORACLE].lamports = 1;
    assert_eq!(
        screened(&mut accs),
        Some(u32::from(ArbError::UnexpectedWritableAccount))
    );
    let mut accs = whirlpool_block(user, a, b);
    accs[orca::TICK_ARRAY_1].owner = Pubkey::new_unique();
    assert_eq!(
        screened(&mut accs),
        Some(u32::from(ArbError::UnexpectedWritableAccount))
    );
    // A vault that is a token account the user owns.
    let mut accs = whirlpool_block(user, a, b);
    accs[orca::TOKEN_VAULT_B].data = token(b, user);
    assert_eq!(
        screened(&mut accs),
        Some(u32::from(ArbError::AuthorityControlledAccount))
    );
}

/// A Whirlpool `swap_v2` block: side A an SPL Token mint, side B of `program_b` (SPL Token or
/// Token-2022, with a bare Token-2022 mint).
fn whirlpool_v2_block(user: Pubkey, mint_a: Pubkey, mint_b: Pubkey, program_b: Pubkey) -> Vec<Acc> {
    use super::orca_whirlpool_v2 as v2;
    let keys: Vec<Pubkey> = (0..16).map(|_| Pubkey::new_unique()).collect();
    let mut pool = vec![0u8; orca::layout::LEN];
    pool[..8].copy_from_slice(&orca::layout::DISCRIMINATOR);
    put(&mut pool, orca::layout::TOKEN_MINT_A, &mint_a);
    put(
        &mut pool,
        orca::layout::TOKEN_VAULT_A,
        &keys[v2::TOKEN_VAULT_A],
    );
    put(&mut pool, orca::layout::TOKEN_MINT_B, &mint_b);
    put(
        &mut pool,
        orca::layout::TOKEN_VAULT_B,
        &keys[v2::TOKEN_VAULT_B],
    );
    let spl = token_account::TOKEN_PROGRAM_ID;
    let mut mint = vec![0u8; token_account::MINT_LEN];
    mint[45] = 1; // initialised
    let token_program = |key: Pubkey| Acc {
        executable: true,
        writable: false,
        ..acc(key, Pubkey::new_unique(), vec![])
    };
    let read_only = |a: Acc| Acc {
        writable: false,
        ..a
    };
    vec![
        program(orca::PROGRAM_ID),
        token_program(spl),
        token_program(program_b),
        token_program(super::raydium_clmm::MEMO_PROGRAM_ID),
        Acc {
            signer: true,
            writable: false,
            ..acc(user, Pubkey::default(), vec![])
        },
        acc(keys[5], orca::PROGRAM_ID, pool),
        read_only(acc(mint_a, spl, mint.clone())),
        read_only(acc(mint_b, program_b, mint)),
        acc(keys[8], spl, token(mint_a, user)),
        acc(keys[9], spl, vec![]),
        acc(keys[10], program_b, token(mint_b, user)),
        acc(keys[11], program_b, vec![]),
        acc(keys[12], orca::PROGRAM_ID, vec![]),
        acc(keys[13], orca::PROGRAM_ID, vec![]),
        acc(keys[14], orca::PROGRAM_ID, vec![]),
        acc(keys[15], orca::PROGRAM_ID, vec![]),
    ]
}

#[test]
fn whirlpool_v2_plan_and_instruction_both_directions() {
    use super::orca_whirlpool_v2 as v2;
    let (user, a, b) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    for program_b in [
        token_account::TOKEN_PROGRAM_ID,
        token_account::TOKEN_2022_PROGRAM_ID,
    ] {
        let mut accs = whirlpool_v2_block(user, a, b, program_b);
        let keys: Vec<Pubkey> = accs.iter().map(|a| a.key).collect();
        let block = infos(&mut accs);
        let p = plan(&hop(Venue::OrcaWhirlpoolV2, 16, true), &block, &user).unwrap();
        assert_eq!(
            (p.source, p.destination, p.mint_in, p.mint_out, p.pool),
            (8, 10, a, b, keys[5])
        );
        assert!(p.accepts_token_2022());
        let ix = p.instruction(3_000_000);
        assert_eq!(ix.program_id, orca::PROGRAM_ID);
        assert_eq!(ix.accounts.len(), 15);
        let discriminator = anchor_lang::solana_program::hash::hash(b"global:swap_v2").to_bytes();
        assert_eq!(ix.data.len(), 43);
        assert_eq!(ix.data[..8], discriminator[..8]);
        assert_eq!(ix.data[..8], v2::SWAP_V2_DISCRIMINATOR);
        assert_eq!(ix.data[8..16], 3_000_000u64.to_le_bytes());
        assert_eq!(ix.data[16..24], [0; 8]);
        assert_eq!(
            u128::from_le_bytes(ix.data[24..40].try_into().unwrap()),
            orca::MIN_SQRT_PRICE
        );
        assert_eq!(ix.data[40..], [1, 1, 0]); // exact input, a to b, no remaining accounts
                                              // Only the authority signs, read only; mints and programs are read only; what swap_v2
                                              // writes is writable.
        for (i, meta) in ix.accounts.iter().enumerate() {
            let at = i + 1;
            assert_eq!(meta.is_signer, at == v2::TOKEN_AUTHORITY, "position {at}");
            // swap_v2's `mut` accounts: whirlpool, both user accounts and vaults, tick arrays, oracle.
            assert_eq!(
                meta.is_writable,
                [5, 8, 9, 10, 11, 12, 13, 14, 15].contains(&at),
                "position {at}"
            );
        }
        let p = plan(&hop(Venue::OrcaWhirlpoolV2, 16, false), &block, &user).unwrap();
        assert_eq!(
            (p.source, p.destination, p.mint_in, p.mint_out),
            (10, 8, b, a)
        );
        let ix = p.instruction(1);
        assert_eq!(
            u128::from_le_bytes(ix.data[24..40].try_into().unwrap()),
            orca::MAX_SQRT_PRICE
        );
        assert_eq!(ix.data[40..], [1, 0, 0]);
    }
}

#[test]
fn whirlpool_v2_rejections() {
    let (user, a, b) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let t22 = token_account::TOKEN_2022_PROGRAM_ID;
    let h = hop(Venue::OrcaWhirlpoolV2, 16, true);
    let refused = |accs: &mut Vec<Acc>| code(plan(&h, &infos(accs), &user).err().unwrap());
    // Each case: its name, how the accounts change, and the error it must raise.
    type Change<'a> = Box<dyn Fn(&mut Vec<Acc>) + 'a>;
    let cases: Vec<(&str, Change<'_>, ArbError)> = vec![
        (
            "unpinned program",
            Box::new(|x| x[0].key = Pubkey::new_unique()),
            ArbError::UnknownVenueProgram,
        ),
        (
            "pool of another owner",
            Box::new(|x| x[5].owner = Pubkey::new_unique()),
            ArbError::PoolNotOwnedByVenue,
        ),
        (
            "not a whirlpool",
            Box::new(|x| x[5].data[0] ^= 1),
            ArbError::InvalidPoolData,
        ),
        (
            "another memo program",
            Box::new(|x| x[3].key = Pubkey::new_unique()),
            ArbError::PoolAccountMismatch,
        ),
        (
            "another signer",
            Box::new(|x| x[4].key = Pubkey::new_unique()),
            ArbError::AuthorityMismatch,
        ),
        (
            "vaults swapped",
            Box::new(|x| x.swap(9, 11)),
            ArbError::PoolAccountMismatch,
        ),
        (
            "another mint",
            Box::new(|x| x[7].key = Pubkey::new_unique()),
            ArbError::PoolAccountMismatch,
        ),
        // Side B is Token-2022: SPL Token named for it, or its vault or user account under SPL Token.
        (
            "token program not the mint's",
            Box::new(|x| x[2].key = token_account::TOKEN_PROGRAM_ID),
            ArbError::TokenProgramMismatch,
        ),
        (
            "vault of the other program",
            Box::new(|x| x[11].owner = token_account::TOKEN_PROGRAM_ID),
            ArbError::TokenProgramMismatch,
        ),
        (
            "user account of the other program",
            Box::new(|x| x[10].owner = token_account::TOKEN_PROGRAM_ID),
            ArbError::TokenProgramMismatch,
        ),
        (
            "mint of neither token program",
            Box::new(|x| {
                x[7].owner = Pubkey::new_unique();
                x[2].key = x[7].owner;
            }),
            ArbError::TokenProgramMismatch,
        ),
    ];
    for (what, change, expected) in cases {
        let mut accs = whirlpool_v2_block(user, a, b, t22);
        change(&mut accs);
        assert_eq!(refused(&mut accs), u32::from(expected), "{what}");
    }
    let mut accs = whirlpool_v2_block(user, a, b, t22);
    assert_eq!(
        code(
            plan(
                &hop(Venue::OrcaWhirlpoolV2, 15, true),
                &infos(&mut accs)[..15],
                &user
            )
            .err()
            .unwrap()
        ),
        u32::from(ArbError::AccountCountMismatch)
    );
    // The v1 interface never names Token-2022 accounts: a v1 hop over the same pool is screened out.
    assert!(is_pinned(Venue::OrcaWhirlpoolV2, &orca::PROGRAM_ID));
    assert!(!is_pinned(Venue::OrcaWhirlpoolV2, &raydium::PROGRAM_IDS[0]));
}

fn v2_screen(accs: &mut [Acc], user: &Pubkey, route: &[Pubkey]) -> Option<u32> {
    let block = infos(accs);
    let p = plan(&hop(Venue::OrcaWhirlpoolV2, 16, true), &block, user).unwrap();
    p.screen(user, route).err().map(code)
}

#[test]
fn whirlpool_v2_block_screening() {
    let (user, a, b) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let t22 = token_account::TOKEN_2022_PROGRAM_ID;
    let mut accs = whirlpool_v2_block(user, a, b, t22);
    let route = [accs[8].key, accs[10].key];
    assert_eq!(v2_screen(&mut accs, &user, &route), None);
    // A tick array slot holding a program the swap does not call.
    let mut accs = whirlpool_v2_block(user, a, b, t22);
    accs[12] = program(Pubkey::new_unique());
    assert_eq!(
        v2_screen(&mut accs, &user, &route),
        Some(u32::from(ArbError::ProgramInVenueBlock))
    );
    // A writable slot owned by a program that is neither the venue nor a token program.
    let mut accs = whirlpool_v2_block(user, a, b, t22);
    accs[15].owner = Pubkey::new_unique();
    assert_eq!(
        v2_screen(&mut accs, &user, &route),
        Some(u32::from(ArbError::UnexpectedWritableAccount))
    );
}
