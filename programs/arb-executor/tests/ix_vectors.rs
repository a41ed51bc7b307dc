//! Writes and checks `tests/data/solana/ix_vectors.json`: `execute_route` argument sets with the exact
//! instruction data the program decodes, the venue instruction bytes the hop adapters send, the event
//! bytes, and the byte layouts the adapters read. Client encoders are checked against this file.
//!
//! A test run only compares; `make fixtures` rewrites the file (the ignored `regenerate_ix_vectors`).

use anchor_lang::{AnchorDeserialize, AnchorSerialize, Discriminator, Event, InstructionData};
use arb_executor::venues::{
    orca_whirlpool as orca, orca_whirlpool_v2 as orca_v2, raydium_amm_v4 as raydium,
    raydium_cpmm as cpmm, spl_token_swap as tswap,
};
use arb_executor::{instruction::ExecuteRoute, token_account, RouteExecuted, RouteHop, Venue};
use serde_json::{json, Value};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn venue_name(v: Venue) -> &'static str {
    match v {
        Venue::SplTokenSwap => "SplTokenSwap",
        Venue::RaydiumAmmV4 => "RaydiumAmmV4",
        Venue::OrcaWhirlpool => "OrcaWhirlpool",
        Venue::RaydiumCpmm => "RaydiumCpmm",
        Venue::RaydiumClmm => "RaydiumClmm",
        Venue::MeteoraDlmm => "MeteoraDlmm",
        Venue::OrcaWhirlpoolV2 => "OrcaWhirlpoolV2",
    }
}

fn hop(venue: Venue, num_accounts: u8, a_to_b: bool) -> RouteHop {
    RouteHop {
        venue,
        num_accounts,
        a_to_b,
    }
}

fn route_vector(name: &str, amount_in: u64, min_profit: u64, hops: Vec<RouteHop>) -> Value {
    let ix = ExecuteRoute {
        amount_in,
        min_profit,
        hops: hops.clone(),
    };
    let data = ix.data();
    // The bytes decode back, through the program's own argument type, to the same arguments.
    assert_eq!(&data[..8], ExecuteRoute::DISCRIMINATOR);
    let back = ExecuteRoute::try_from_slice(&data[8..]).unwrap();
    assert_eq!(
        (back.amount_in, back.min_profit, back.hops),
        (amount_in, min_profit, hops.clone())
    );
    json!({
        "name": name,
        "args": {
            "amount_in": amount_in,
            "min_profit": min_profit,
            "hops": hops.iter().map(|h| json!({
                "venue": venue_name(h.venue),
                "venue_index": h.venue as u8,
                "num_accounts": h.num_accounts,
                "a_to_b": h.a_to_b,
            })).collect::<Vec<_>>(),
        },
        "data_hex": hex(&data),
    })
}

/// Block positions set in a writable mask.
fn bits(mask: u32) -> Vec<u32> {
    (0..32).filter(|i| mask & (1 << i) != 0).collect()
}

fn fields(pairs: &[(&str, usize, usize)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(n, o, s)| (n.to_string(), json!({"offset": o, "size": s})))
            .collect(),
    )
}

/// Rebuilds objects with keys inserted in sorted order, so the file is byte-identical whatever
/// map implementation serde_json was built with.
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<String, Value> = m.into_iter().collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn vectors() -> Value {
    use Venue::*;
    let routes = vec![
        route_vector(
            "two_hop_token_swap",
            1_000_000,
            1,
            vec![hop(SplTokenSwap, 11, true), hop(SplTokenSwap, 11, false)],
        ),
        route_vector(
            "three_hop_mixed_venues",
            250_000_000,
            12_345,
            vec![
                hop(RaydiumAmmV4, 19, true),
                hop(OrcaWhirlpool, 12, false),
                hop(SplTokenSwap, 12, true),
            ],
        ),
        route_vector(
            "four_hop_raydium_without_target_orders",
            42,
            0,
            vec![
                hop(RaydiumAmmV4, 18, false),
                hop(OrcaWhirlpool, 12, true),
                hop(SplTokenSwap, 11, false),
                hop(RaydiumAmmV4, 19, true),
            ],
        ),
        route_vector(
            "extreme_values",
            u64::MAX,
            u64::MAX - 1,
            vec![hop(OrcaWhirlpool, 255, true), hop(SplTokenSwap, 0, false)],
        ),
        route_vector("empty_route_encodes_but_is_rejected", 1, 0, vec![]),
    ];

    let event = RouteExecuted {
        authority: anchor_lang::prelude::Pubkey::new_from_array([1; 32]),
        source_token: anchor_lang::prelude::Pubkey::new_from_array([2; 32]),
        mint: anchor_lang::prelude::Pubkey::new_from_array([3; 32]),
        amount_in: 10_000_000,
        amount_out: 10_400_000,
        profit: 400_000,
        pools: vec![
            anchor_lang::prelude::Pubkey::new_from_array([4; 32]),
            anchor_lang::prelude::Pubkey::new_from_array([5; 32]),
        ],
    };
    let event_bytes = event.data();
    let mut borsh = Vec::new();
    event.serialize(&mut borsh).unwrap();
    assert_eq!(event_bytes[8..], borsh[..]);

    json!({
        "program_id": arb_executor::ID.to_string(),
        "instruction": "execute_route",
        "discriminator_hex": hex(ExecuteRoute::DISCRIMINATOR),
        "named_accounts": [
            {"name": "authority", "signer": true, "writable": false},
            {"name": "source_token", "signer": false, "writable": true},
            {"name": "token_program", "signer": false, "writable": false},
        ],
        "routes": routes,
        "event": {
            "name": "RouteExecuted",
            "discriminator_hex": hex(RouteExecuted::DISCRIMINATOR),
            "fields": {
                "authority": event.authority.to_string(),
                "source_token": event.source_token.to_string(),
                "mint": event.mint.to_string(),
                "amount_in": event.amount_in,
                "amount_out": event.amount_out,
                "profit": event.profit,
                "pools": event.pools.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            },
            "data_hex": hex(&event_bytes),
        },
        "venue_instructions": [
            {"venue": "SplTokenSwap", "amount_in": 1_000_000u64, "minimum_amount_out": 0, "data_hex": hex(&tswap::swap_data(1_000_000, 0))},
            {"venue": "SplTokenSwap", "amount_in": u64::MAX, "minimum_amount_out": 7, "data_hex": hex(&tswap::swap_data(u64::MAX, 7))},
            {"venue": "RaydiumAmmV4", "amount_in": 5_000_000u64, "minimum_amount_out": 0, "data_hex": hex(&raydium::swap_base_in_data(5_000_000, 0))},
            {"venue": "OrcaWhirlpool", "amount_in": 3_000_000u64, "other_amount_threshold": 0, "a_to_b": true,
             "sqrt_price_limit": orca::MIN_SQRT_PRICE.to_string(), "data_hex": hex(&orca::swap_data(3_000_000, 0, true))},
            {"venue": "OrcaWhirlpool", "amount_in": 3_000_000u64, "other_amount_threshold": 0, "a_to_b": false,
             "sqrt_price_limit": orca::MAX_SQRT_PRICE.to_string(), "data_hex": hex(&orca::swap_data(3_000_000, 0, false))},
            {"venue": "OrcaWhirlpoolV2", "amount_in": 3_000_000u64, "other_amount_threshold": 0, "a_to_b": false,
             "sqrt_price_limit": orca::MAX_SQRT_PRICE.to_string(), "data_hex": hex(&orca_v2::swap_v2_data(3_000_000, 0, false))},
            {"venue": "RaydiumCpmm", "amount_in": 2_500_000u64, "minimum_amount_out": 0, "data_hex": hex(&cpmm::swap_data(2_500_000, true))},
        ],
        "hop_blocks": {
            "SplTokenSwap": {
                "program_ids": tswap::PROGRAM_IDS.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "num_accounts": [tswap::ACCOUNTS, tswap::ACCOUNTS_WITH_HOST_FEE],
                "writable": bits(tswap::WRITABLE),
                "signer": tswap::USER_TRANSFER_AUTHORITY,
                "positions": {"program": 0, "pool": tswap::POOL, "pool_authority": tswap::POOL_AUTHORITY,
                    "user_transfer_authority": tswap::USER_TRANSFER_AUTHORITY, "source": tswap::SOURCE,
                    "pool_source": tswap::POOL_SOURCE, "pool_destination": tswap::POOL_DESTINATION,
                    "destination": tswap::DESTINATION, "pool_mint": tswap::POOL_MINT,
                    "pool_fee_account": tswap::POOL_FEE_ACCOUNT, "token_program": tswap::TOKEN_PROGRAM, "host_fee_account": 11},
            },
            "RaydiumAmmV4": {
                "program_ids": raydium::PROGRAM_IDS.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "market_program_ids": raydium::MARKET_PROGRAM_IDS.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "num_accounts": [raydium::ACCOUNTS, raydium::ACCOUNTS_WITHOUT_TARGET_ORDERS],
                "writable": {"19": bits(raydium::WRITABLE), "18": bits(raydium::WRITABLE_WITHOUT_TARGET_ORDERS)},
                "positions": {"program": 0, "token_program": raydium::TOKEN_PROGRAM, "amm": raydium::AMM,
                    "amm_authority": raydium::AMM_AUTHORITY, "open_orders": raydium::OPEN_ORDERS,
                    "target_orders": raydium::TARGET_ORDERS},
                "positions_from_end": {"source": raydium::SOURCE_FROM_END, "destination": raydium::DESTINATION_FROM_END,
                    "user_owner": raydium::USER_OWNER_FROM_END},
            },
            "OrcaWhirlpool": {
                "program_ids": [orca::PROGRAM_ID.to_string()],
                "num_accounts": [orca::ACCOUNTS],
                "writable": bits(orca::WRITABLE),
                "signer": orca::TOKEN_AUTHORITY,
                "positions": {"program": 0, "token_program": orca::TOKEN_PROGRAM, "token_authority": orca::TOKEN_AUTHORITY,
                    "whirlpool": orca::WHIRLPOOL, "token_owner_account_a": orca::TOKEN_OWNER_ACCOUNT_A,
                    "token_vault_a": orca::TOKEN_VAULT_A, "token_owner_account_b": orca::TOKEN_OWNER_ACCOUNT_B,
                    "token_vault_b": orca::TOKEN_VAULT_B, "tick_array_0": orca::TICK_ARRAY_0,
                    "tick_array_1": orca::TICK_ARRAY_1, "tick_array_2": orca::TICK_ARRAY_2, "oracle": orca::ORACLE},
                "destination": "token_owner_account_b if a_to_b else token_owner_account_a",
            },
            "OrcaWhirlpoolV2": {
                "program_ids": orca_v2::PROGRAM_IDS.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "num_accounts": [orca_v2::ACCOUNTS],
                "writable": bits(orca_v2::WRITABLE),
                "signer": orca_v2::TOKEN_AUTHORITY,
                "positions": {"program": 0, "token_program_a": orca_v2::TOKEN_PROGRAM_A,
                    "token_program_b": orca_v2::TOKEN_PROGRAM_B, "memo_program": orca_v2::MEMO_PROGRAM,
                    "token_authority": orca_v2::TOKEN_AUTHORITY, "whirlpool": orca_v2::WHIRLPOOL,
                    "token_mint_a": orca_v2::TOKEN_MINT_A, "token_mint_b": orca_v2::TOKEN_MINT_B,
                    "token_owner_account_a": orca_v2::TOKEN_OWNER_ACCOUNT_A, "token_vault_a": orca_v2::TOKEN_VAULT_A,
                    "token_owner_account_b": orca_v2::TOKEN_OWNER_ACCOUNT_B, "token_vault_b": orca_v2::TOKEN_VAULT_B,
                    "tick_array_0": orca_v2::TICK_ARRAY_0, "tick_array_1": orca_v2::TICK_ARRAY_1,
                    "tick_array_2": orca_v2::TICK_ARRAY_2, "oracle": orca_v2::ORACLE},
                "destination": "token_owner_account_b if a_to_b else token_owner_account_a",
            },
            "RaydiumCpmm": {
                "program_ids": cpmm::PROGRAM_IDS.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "num_accounts": [cpmm::ACCOUNTS],
                "writable": bits(cpmm::WRITABLE),
                "signer": cpmm::PAYER,
                "positions": {"program": 0, "payer": cpmm::PAYER, "authority": cpmm::AUTHORITY,
                    "amm_config": cpmm::AMM_CONFIG, "pool_state": cpmm::POOL_STATE,
                    "input_token_account": cpmm::INPUT_TOKEN_ACCOUNT, "output_token_account": cpmm::OUTPUT_TOKEN_ACCOUNT,
                    "input_vault": cpmm::INPUT_VAULT, "output_vault": cpmm::OUTPUT_VAULT,
                    "input_token_program": cpmm::INPUT_TOKEN_PROGRAM, "output_token_program": cpmm::OUTPUT_TOKEN_PROGRAM,
                    "input_token_mint": cpmm::INPUT_TOKEN_MINT, "output_token_mint": cpmm::OUTPUT_TOKEN_MINT,
                    "observation_state": cpmm::OBSERVATION_STATE},
                "destination": "output_token_account",
            },
        },
        "layouts": {
            "raydium_cpmm_pool_state": {"size": cpmm::layout::LEN, "fields": fields(&[
                ("amm_config", cpmm::layout::AMM_CONFIG, 32), ("pool_creator", cpmm::layout::POOL_CREATOR, 32),
                ("token_0_vault", cpmm::layout::TOKEN_0_VAULT, 32), ("token_1_vault", cpmm::layout::TOKEN_1_VAULT, 32),
                ("lp_mint", cpmm::layout::LP_MINT, 32), ("token_0_mint", cpmm::layout::TOKEN_0_MINT, 32),
                ("token_1_mint", cpmm::layout::TOKEN_1_MINT, 32), ("token_0_program", cpmm::layout::TOKEN_0_PROGRAM, 32),
                ("token_1_program", cpmm::layout::TOKEN_1_PROGRAM, 32), ("observation_key", cpmm::layout::OBSERVATION_KEY, 32),
                ("auth_bump", cpmm::layout::AUTH_BUMP, 1), ("status", cpmm::layout::STATUS, 1),
                ("lp_mint_decimals", cpmm::layout::LP_MINT_DECIMALS, 1), ("mint_0_decimals", cpmm::layout::MINT_0_DECIMALS, 1),
                ("mint_1_decimals", cpmm::layout::MINT_1_DECIMALS, 1), ("lp_supply", cpmm::layout::LP_SUPPLY, 8),
                ("protocol_fees_token_0", cpmm::layout::PROTOCOL_FEES_TOKEN_0, 8), ("protocol_fees_token_1", cpmm::layout::PROTOCOL_FEES_TOKEN_1, 8),
                ("fund_fees_token_0", cpmm::layout::FUND_FEES_TOKEN_0, 8), ("fund_fees_token_1", cpmm::layout::FUND_FEES_TOKEN_1, 8),
                ("open_time", cpmm::layout::OPEN_TIME, 8), ("recent_epoch", cpmm::layout::RECENT_EPOCH, 8),
                ("creator_fee_on", cpmm::layout::CREATOR_FEE_ON, 1), ("enable_creator_fee", cpmm::layout::ENABLE_CREATOR_FEE, 1),
                ("padding1", cpmm::layout::ENABLE_CREATOR_FEE + 1, 6),
                ("creator_fees_token_0", cpmm::layout::CREATOR_FEES_TOKEN_0, 8), ("creator_fees_token_1", cpmm::layout::CREATOR_FEES_TOKEN_1, 8),
                ("padding", cpmm::layout::CREATOR_FEES_TOKEN_1 + 8, 8 * 28)])},
            "raydium_cpmm_amm_config": {"size": cpmm::config_layout::LEN, "fields": fields(&[
                ("bump", cpmm::config_layout::BUMP, 1), ("disable_create_pool", cpmm::config_layout::DISABLE_CREATE_POOL, 1),
                ("index", cpmm::config_layout::INDEX, 2), ("trade_fee_rate", cpmm::config_layout::TRADE_FEE_RATE, 8),
                ("protocol_fee_rate", cpmm::config_layout::PROTOCOL_FEE_RATE, 8), ("fund_fee_rate", cpmm::config_layout::FUND_FEE_RATE, 8),
                ("create_pool_fee", cpmm::config_layout::CREATE_POOL_FEE, 8), ("protocol_owner", cpmm::config_layout::PROTOCOL_OWNER, 32),
                ("fund_owner", cpmm::config_layout::FUND_OWNER, 32), ("creator_fee_rate", cpmm::config_layout::CREATOR_FEE_RATE, 8),
                ("padding", cpmm::config_layout::CREATOR_FEE_RATE + 8, 8 * 15)])},
            "spl_token_account": {"size": token_account::LEN, "fields": fields(&[
                ("mint", token_account::MINT, 32), ("owner", token_account::OWNER, 32),
                ("amount", token_account::AMOUNT, 8), ("delegate", token_account::DELEGATE, 36),
                ("state", token_account::STATE, 1), ("is_native", token_account::IS_NATIVE, 12),
                ("delegated_amount", token_account::DELEGATED_AMOUNT, 8),
                ("close_authority", token_account::CLOSE_AUTHORITY, 36)])},
            "spl_token_swap": {"size": tswap::layout::LEN, "fields": fields(&[
                ("version", tswap::layout::VERSION, 1), ("is_initialized", tswap::layout::IS_INITIALIZED, 1),
                ("bump_seed", tswap::layout::BUMP_SEED, 1), ("token_program_id", tswap::layout::TOKEN_PROGRAM_ID, 32),
                ("token_a", tswap::layout::TOKEN_A, 32), ("token_b", tswap::layout::TOKEN_B, 32),
                ("pool_mint", tswap::layout::POOL_MINT, 32), ("token_a_mint", tswap::layout::TOKEN_A_MINT, 32),
                ("token_b_mint", tswap::layout::TOKEN_B_MINT, 32), ("pool_fee_account", tswap::layout::POOL_FEE_ACCOUNT, 32),
                ("fees", tswap::layout::FEES, 64), ("curve_type", tswap::layout::CURVE_TYPE, 1),
                ("curve_parameters", tswap::layout::CURVE_PARAMETERS, 32)])},
            "raydium_amm_v4": {"size": raydium::layout::LEN, "fields": fields(&[
                ("status", raydium::layout::STATUS, 8), ("nonce", raydium::layout::NONCE, 8),
                ("coin_decimals", raydium::layout::COIN_DECIMALS, 8), ("pc_decimals", raydium::layout::PC_DECIMALS, 8),
                ("fees", raydium::layout::FEES, 64), ("swap_fee_numerator", raydium::layout::SWAP_FEE_NUMERATOR, 8),
                ("swap_fee_denominator", raydium::layout::SWAP_FEE_DENOMINATOR, 8), ("state_data", raydium::layout::STATE_DATA, 144),
                ("coin_vault", raydium::layout::COIN_VAULT, 32), ("pc_vault", raydium::layout::PC_VAULT, 32),
                ("coin_vault_mint", raydium::layout::COIN_VAULT_MINT, 32), ("pc_vault_mint", raydium::layout::PC_VAULT_MINT, 32),
                ("lp_mint", raydium::layout::LP_MINT, 32), ("open_orders", raydium::layout::OPEN_ORDERS, 32),
                ("market", raydium::layout::MARKET, 32), ("market_program", raydium::layout::MARKET_PROGRAM, 32),
                ("target_orders", raydium::layout::TARGET_ORDERS, 32), ("amm_owner", raydium::layout::AMM_OWNER, 32),
                ("lp_amount", raydium::layout::LP_AMOUNT, 8)])},
            "orca_whirlpool": {"size": orca::layout::LEN, "discriminator_hex": hex(&orca::layout::DISCRIMINATOR), "fields": fields(&[
                ("whirlpools_config", orca::layout::WHIRLPOOLS_CONFIG, 32), ("whirlpool_bump", orca::layout::WHIRLPOOL_BUMP, 1),
                ("tick_spacing", orca::layout::TICK_SPACING, 2), ("fee_tier_index_seed", orca::layout::FEE_TIER_INDEX_SEED, 2),
                ("fee_rate", orca::layout::FEE_RATE, 2), ("protocol_fee_rate", orca::layout::PROTOCOL_FEE_RATE, 2),
                ("liquidity", orca::layout::LIQUIDITY, 16), ("sqrt_price", orca::layout::SQRT_PRICE, 16),
                ("tick_current_index", orca::layout::TICK_CURRENT_INDEX, 4),
                ("protocol_fee_owed_a", orca::layout::PROTOCOL_FEE_OWED_A, 8), ("protocol_fee_owed_b", orca::layout::PROTOCOL_FEE_OWED_B, 8),
                ("token_mint_a", orca::layout::TOKEN_MINT_A, 32), ("token_vault_a", orca::layout::TOKEN_VAULT_A, 32),
                ("fee_growth_global_a", orca::layout::FEE_GROWTH_GLOBAL_A, 16), ("token_mint_b", orca::layout::TOKEN_MINT_B, 32),
                ("token_vault_b", orca::layout::TOKEN_VAULT_B, 32), ("fee_growth_global_b", orca::layout::FEE_GROWTH_GLOBAL_B, 16),
                ("reward_last_updated_timestamp", orca::layout::REWARD_LAST_UPDATED_TIMESTAMP, 8),
                ("reward_infos", orca::layout::REWARD_INFOS, 3 * orca::layout::REWARD_INFO_LEN)])},
        },
    })
}

/// Fields listed in layout order must tile the struct: each starts where the previous ended.
fn assert_contiguous(name: &str, layout: &Value, first: usize) {
    let mut f: Vec<(u64, u64)> = layout["fields"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| (v["offset"].as_u64().unwrap(), v["size"].as_u64().unwrap()))
        .collect();
    f.sort();
    let mut at = first as u64;
    for (o, s) in &f {
        assert_eq!(*o, at, "{name}: gap or overlap at offset {o}");
        at = o + s;
    }
    assert_eq!(
        at,
        layout["size"].as_u64().unwrap(),
        "{name}: fields do not end at the struct size"
    );
}

fn vectors_text() -> String {
    let v = canonical(vectors());
    // Layout self-consistency.
    assert_contiguous("spl_token_swap", &v["layouts"]["spl_token_swap"], 0);
    assert_contiguous("spl_token_account", &v["layouts"]["spl_token_account"], 0);
    assert_contiguous("orca_whirlpool", &v["layouts"]["orca_whirlpool"], 8);
    assert_contiguous(
        "raydium_cpmm_pool_state",
        &v["layouts"]["raydium_cpmm_pool_state"],
        8,
    );
    assert_contiguous(
        "raydium_cpmm_amm_config",
        &v["layouts"]["raydium_cpmm_amm_config"],
        8,
    );
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

fn vectors_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/solana/ix_vectors.json")
}

#[test]
fn ix_vectors_file_is_current() {
    let text = vectors_text();
    let path = vectors_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: regenerate with `make fixtures`",
        path.display()
    );
}

#[test]
#[ignore = "rewrites the committed file: run by `make fixtures`, never by a test run"]
fn regenerate_ix_vectors() {
    let path = vectors_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vectors_text()).unwrap();
}

#[test]
fn known_bytes() {
    // Discriminator = sha256("global:execute_route")[..8].
    assert_eq!(hex(ExecuteRoute::DISCRIMINATOR), "f60e51798ced5617");
    let data = ExecuteRoute {
        amount_in: 1,
        min_profit: 2,
        hops: vec![hop(Venue::OrcaWhirlpool, 12, true)],
    }
    .data();
    assert_eq!(
        hex(&data),
        concat!(
            "f60e51798ced5617",
            "0100000000000000",
            "0200000000000000",
            "01000000",
            "02",
            "0c",
            "01"
        )
    );
    assert_eq!(hex(&orca::swap_data(1, 0, true)[..8]), "f8c69e91e17587c8");
}
