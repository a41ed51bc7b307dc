//! `arbbot-solana-node`: a local Solana JSON-RPC node — a TEST DOUBLE of a validator's RPC — serving a
//! `solana-program-test` bank on 127.0.0.1.
//!
//! Programs: `arb_executor` and `cp-swap` run as host-compiled programs (no SBF toolchain here), at
//! their deploy id and at the pinned SPL token-swap and Orca token-swap ids; SBF programs (real venue
//! binaries) are loaded from `--program ID=PATH.so`; SPL Token, Token-2022, the associated-token,
//! system, compute-budget and address-lookup-table programs are the runtime's own.
//!
//! Methods (public shapes): getLatestBlockhash, getAccountInfo, getMultipleAccounts, getBalance,
//! getSlot, getProgramAccounts (dataSize/memcmp over accounts the node wrote or saw), getFeeForMessage,
//! getRecentPrioritizationFees, simulateTransaction, sendTransaction, getSignatureStatuses.
//! Test-only methods, prefixed `arbbot_`: `arbbot_setAccount`, `arbbot_executeBundle` (transactions
//! in order, all or nothing: on a failure every account any of them locks is restored, fees included)
//! and `arbbot_advanceSlot`.
//!
//! What it does NOT emulate: leaders, forks and commitment levels (everything is final at once), slots
//! advancing by themselves (each landed transaction or bundle takes one slot), account write-lock
//! contention, websockets, and compute units of the host-compiled programs (the runtime charges them
//! 1 unit per call: only SBF programs' units are real). Priority fees are those of the transactions it
//! landed. One request at a time; every answer closes its connection.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::str::FromStr;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::{json, Value};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::{Account, AccountSharedData, ReadableAccount},
    account_info::AccountInfo,
    address_lookup_table::state::AddressLookupTable,
    clock::Clock,
    compute_budget,
    entrypoint::ProgramResult,
    hash::Hash,
    message::VersionedMessage,
    pubkey::Pubkey,
    rent::Rent,
    transaction::VersionedTransaction,
};

const INVALID_PARAMS: i64 = -32602;
const METHOD_NOT_FOUND: i64 = -32601;
const SEND_FAILED: i64 = -32002;
const INTERNAL_ERROR: i64 = -32603;
const MAX_BODY: usize = 8 << 20;
const FEE_SLOTS: u64 = 150;

type RpcResult = Result<Value, (i64, String)>;

fn arb_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // Anchor's entry lifetimes do not fit `processor!`; the node is long-lived but every leaked
    // vector is one instruction's account list.
    let accounts = Box::leak(Box::new(accounts.to_vec()));
    arb_executor::entry(program_id, accounts, data)
}

/// The first transaction of a batch that failed: its index, its error as the RPC reports it, its logs.
type Failure = (usize, Value, Vec<String>);

struct Landed {
    slot: u64,
    err: Option<Value>,
}

struct Node {
    ctx: ProgramTestContext,
    rt: tokio::runtime::Runtime,
    slot: u64,
    known: BTreeSet<Pubkey>,
    statuses: HashMap<String, Landed>,
    /// Per slot: (compute-unit price, write-locked accounts) of each landed transaction.
    fees: BTreeMap<u64, Vec<(u64, Vec<Pubkey>)>>,
}

fn bad(msg: impl Into<String>) -> (i64, String) {
    (INVALID_PARAMS, msg.into())
}

fn pubkey(v: &Value, what: &str) -> Result<Pubkey, (i64, String)> {
    let s = v
        .as_str()
        .ok_or_else(|| bad(format!("{what}: expected a base58 string")))?;
    Pubkey::from_str(s).map_err(|_| bad(format!("{what}: {s:?} is not a public key")))
}

fn account_json(acc: &Account) -> Value {
    json!({
        "lamports": acc.lamports,
        "owner": acc.owner.to_string(),
        "data": [B64.encode(&acc.data), "base64"],
        "executable": acc.executable,
        "rentEpoch": u64::MAX,
        "space": acc.data.len(),
    })
}

fn decode_tx(v: &Value, encoding: &str) -> Result<VersionedTransaction, (i64, String)> {
    let s = v
        .as_str()
        .ok_or_else(|| bad("transaction: expected an encoded string"))?;
    let bytes = match encoding {
        "base64" => B64
            .decode(s)
            .map_err(|e| bad(format!("transaction: bad base64: {e}")))?,
        other => {
            return Err(bad(format!(
                "encoding {other:?} is not supported (use base64)"
            )))
        }
    };
    bincode::deserialize(&bytes).map_err(|e| bad(format!("invalid transaction: {e}")))
}

fn encoding_of(params: &[Value], index: usize) -> String {
    params
        .get(index)
        .and_then(|c| c.get("encoding"))
        .and_then(Value::as_str)
        .unwrap_or("base64")
        .to_string()
}

/// The compute-unit price (micro-lamports) a transaction's compute-budget instruction sets, 0 if none.
fn cu_price(msg: &VersionedMessage) -> u64 {
    let keys = msg.static_account_keys();
    for ix in msg.instructions() {
        let program = keys.get(ix.program_id_index as usize);
        if program == Some(&compute_budget::id()) && ix.data.len() == 9 && ix.data[0] == 3 {
            return u64::from_le_bytes(ix.data[1..9].try_into().unwrap());
        }
    }
    0
}

fn return_data_json(rd: &Option<solana_sdk::transaction_context::TransactionReturnData>) -> Value {
    match rd {
        Some(r) if !r.data.is_empty() => {
            json!({"programId": r.program_id.to_string(), "data": [B64.encode(&r.data), "base64"]})
        }
        _ => Value::Null,
    }
}

impl Node {
    fn account(&self, key: &Pubkey) -> Option<Account> {
        let acc = self
            .rt
            .block_on(self.ctx.banks_client.get_account(*key))
            .ok()
            .flatten()?;
        if acc.lamports == 0 && acc.data.is_empty() {
            None
        } else {
            Some(acc)
        }
    }

    /// Every account a transaction locks: static keys, then the ones its lookup tables load, each with
    /// whether it is write-locked.
    fn locked(&self, tx: &VersionedTransaction) -> Vec<(Pubkey, bool)> {
        let msg = &tx.message;
        let header = msg.header();
        let keys = msg.static_account_keys();
        let signed = header.num_required_signatures as usize;
        let mut out: Vec<(Pubkey, bool)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let writable = if i < signed {
                    i < signed - header.num_readonly_signed_accounts as usize
                } else {
                    i < keys.len() - header.num_readonly_unsigned_accounts as usize
                };
                (*k, writable)
            })
            .collect();
        for lookup in msg.address_table_lookups().unwrap_or_default() {
            let Some(table) = self.account(&lookup.account_key) else {
                continue;
            };
            let Ok(table) = AddressLookupTable::deserialize(&table.data) else {
                continue;
            };
            for (indexes, writable) in [
                (&lookup.writable_indexes, true),
                (&lookup.readonly_indexes, false),
            ] {
                for i in indexes {
                    if let Some(k) = table.addresses.get(*i as usize) {
                        out.push((*k, writable));
                    }
                }
            }
        }
        out
    }

    fn latest_blockhash(&self) -> Result<Hash, (i64, String)> {
        self.rt
            .block_on(self.ctx.banks_client.get_latest_blockhash())
            .map_err(|e| (SEND_FAILED, format!("no blockhash: {e}")))
    }

    /// A blockhash the bank still accepts (its fee lookup fails for expired or unknown ones).
    fn blockhash_valid(&self, hash: Hash) -> bool {
        let probe = solana_sdk::message::Message::new_with_blockhash(
            &[],
            Some(&Pubkey::new_unique()),
            &hash,
        );
        matches!(
            self.rt
                .block_on(self.ctx.banks_client.get_fee_for_message(probe)),
            Ok(Some(_))
        )
    }

    fn advance_slot(&mut self) -> Result<(), (i64, String)> {
        let next = self.slot + 1;
        self.ctx
            .warp_to_slot(next)
            .map_err(|e| (SEND_FAILED, format!("cannot advance to slot {next}: {e:?}")))?;
        self.slot = next;
        Ok(())
    }

    /// Run `txs` in order, all or nothing. Returns (signatures, error of the first failure).
    fn execute(&mut self, txs: &[VersionedTransaction]) -> (Vec<String>, Option<Failure>) {
        let mut touched: Vec<Pubkey> = Vec::new();
        for tx in txs {
            for (k, _) in self.locked(tx) {
                if !touched.contains(&k) {
                    touched.push(k);
                }
            }
        }
        let snapshot: Vec<(Pubkey, Option<Account>)> =
            touched.iter().map(|k| (*k, self.account(k))).collect();
        let mut signatures = Vec::new();
        let mut landed_fees = Vec::new();
        for (i, tx) in txs.iter().enumerate() {
            let locks: Vec<Pubkey> = self
                .locked(tx)
                .into_iter()
                .filter(|(_, w)| *w)
                .map(|(k, _)| k)
                .collect();
            let result = self.rt.block_on(
                self.ctx
                    .banks_client
                    .process_transaction_with_metadata(tx.clone()),
            );
            let (err, logs) = match result {
                Err(e) => (Some(json!(e.to_string())), Vec::new()),
                Ok(r) => {
                    let logs = r.metadata.map(|m| m.log_messages).unwrap_or_default();
                    (
                        r.result
                            .err()
                            .map(|e| serde_json::to_value(e).unwrap_or(Value::Null)),
                        logs,
                    )
                }
            };
            if let Some(err) = err {
                for (k, acc) in &snapshot {
                    let restored = acc.clone().map(AccountSharedData::from).unwrap_or_default();
                    self.ctx.set_account(k, &restored);
                }
                return (signatures, Some((i, err, logs)));
            }
            signatures.push(tx.signatures[0].to_string());
            landed_fees.push((cu_price(&tx.message), locks));
        }
        let slot = self.slot;
        self.known.extend(touched);
        for sig in &signatures {
            self.statuses
                .insert(sig.clone(), Landed { slot, err: None });
        }
        self.fees.entry(slot).or_default().extend(landed_fees);
        (signatures, None)
    }

    fn ctx_value(&self, value: Value) -> Value {
        json!({"context": {"slot": self.slot, "apiVersion": "2.1.16"}, "value": value})
    }

    fn call(&mut self, method: &str, params: &[Value]) -> RpcResult {
        match method {
            "getSlot" => Ok(json!(self.slot)),
            "getEpochInfo" => {
                // The bank's clock: Token-2022 transfer fees switch at epoch boundaries.
                let clock = self
                    .rt
                    .block_on(self.ctx.banks_client.get_sysvar::<Clock>())
                    .map_err(|e| (INTERNAL_ERROR, format!("clock sysvar: {e}")))?;
                let schedule = self.ctx.genesis_config().epoch_schedule.clone();
                let (_, slot_index) = schedule.get_epoch_and_slot_index(clock.slot);
                Ok(json!({
                    "absoluteSlot": self.slot,
                    "blockHeight": self.slot,
                    "epoch": clock.epoch,
                    "slotIndex": slot_index,
                    "slotsInEpoch": schedule.get_slots_in_epoch(clock.epoch),
                    "transactionCount": null,
                }))
            }
            "getGenesisHash" => Ok(json!(self.ctx.genesis_config().hash().to_string())),
            "getLatestBlockhash" => {
                let hash = self.latest_blockhash()?;
                Ok(self.ctx_value(
                    json!({"blockhash": hash.to_string(), "lastValidBlockHeight": self.slot + 150}),
                ))
            }
            "isBlockhashValid" => {
                let s = params
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("params[0]: expected a blockhash"))?;
                let hash = Hash::from_str(s)
                    .map_err(|_| bad(format!("params[0]: {s:?} is not a blockhash")))?;
                Ok(self.ctx_value(json!(self.blockhash_valid(hash))))
            }
            "getAccountInfo" => {
                let key = pubkey(params.first().unwrap_or(&Value::Null), "params[0]")?;
                let acc = self.account(&key);
                Ok(self.ctx_value(acc.as_ref().map_or(Value::Null, account_json)))
            }
            "getBalance" => {
                let key = pubkey(params.first().unwrap_or(&Value::Null), "params[0]")?;
                Ok(self.ctx_value(json!(self.account(&key).map_or(0, |a| a.lamports))))
            }
            "getMultipleAccounts" => {
                let list = params
                    .first()
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("params[0]: expected a list"))?;
                if list.len() > 100 {
                    return Err(bad(format!(
                        "Too many inputs provided; max 100, got {}",
                        list.len()
                    )));
                }
                let mut out = Vec::new();
                for (i, v) in list.iter().enumerate() {
                    let key = pubkey(v, &format!("params[0][{i}]"))?;
                    out.push(
                        self.account(&key)
                            .as_ref()
                            .map_or(Value::Null, account_json),
                    );
                }
                Ok(self.ctx_value(Value::Array(out)))
            }
            "getProgramAccounts" => self.program_accounts(params),
            "getFeeForMessage" => {
                let s = params
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("params[0]: expected base64"))?;
                let bytes = B64
                    .decode(s)
                    .map_err(|e| bad(format!("params[0]: bad base64: {e}")))?;
                let msg: VersionedMessage = bincode::deserialize(&bytes)
                    .map_err(|e| bad(format!("params[0]: invalid message: {e}")))?;
                let legacy = match msg {
                    VersionedMessage::Legacy(m) => m,
                    VersionedMessage::V0(m) => {
                        // The fee depends on signatures and compute budget only, not on lookups.
                        solana_sdk::message::Message {
                            header: m.header,
                            account_keys: m.account_keys,
                            recent_blockhash: m.recent_blockhash,
                            instructions: m.instructions,
                        }
                    }
                };
                let fee = self
                    .rt
                    .block_on(self.ctx.banks_client.get_fee_for_message(legacy))
                    .ok()
                    .flatten();
                Ok(self.ctx_value(fee.map_or(Value::Null, |f| json!(f))))
            }
            "getRecentPrioritizationFees" => {
                let accounts: Vec<Pubkey> = match params.first().and_then(Value::as_array) {
                    None => Vec::new(),
                    Some(list) => list
                        .iter()
                        .map(|v| pubkey(v, "params[0]"))
                        .collect::<Result<_, _>>()?,
                };
                let first = self.slot.saturating_sub(FEE_SLOTS - 1);
                let mut out = Vec::new();
                for slot in first..=self.slot {
                    let Some(txs) = self.fees.get(&slot) else {
                        continue;
                    };
                    let fee = txs
                        .iter()
                        .filter(|(_, locks)| {
                            accounts.is_empty() || locks.iter().any(|k| accounts.contains(k))
                        })
                        .map(|(p, _)| *p)
                        .min()
                        .unwrap_or(0);
                    out.push(json!({"slot": slot, "prioritizationFee": fee}));
                }
                Ok(Value::Array(out))
            }
            "simulateTransaction" => {
                let tx = decode_tx(
                    params.first().unwrap_or(&Value::Null),
                    &encoding_of(params, 1),
                )?;
                let config = params.get(1).cloned().unwrap_or(Value::Null);
                if config
                    .get("replaceRecentBlockhash")
                    .and_then(Value::as_bool)
                    == Some(true)
                {
                    return Err(bad("replaceRecentBlockhash is not supported by this node"));
                }
                if config.get("sigVerify").and_then(Value::as_bool) == Some(true)
                    && !tx.verify_with_results().iter().all(|ok| *ok)
                {
                    return Ok(self.ctx_value(
                        json!({"err": "SignatureFailure", "logs": [], "unitsConsumed": 0}),
                    ));
                }
                let sim = self
                    .rt
                    .block_on(self.ctx.banks_client.simulate_transaction(tx))
                    .map_err(|e| (SEND_FAILED, format!("simulation failed: {e}")))?;
                let err = match sim.result {
                    Some(Err(e)) => serde_json::to_value(e).unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                let details = sim.simulation_details;
                let (logs, units, rd) = match details {
                    Some(d) => (d.logs, d.units_consumed, d.return_data),
                    None => (Vec::new(), 0, None),
                };
                Ok(self.ctx_value(json!({
                    "err": err, "logs": logs, "unitsConsumed": units, "returnData": return_data_json(&rd),
                })))
            }
            "sendTransaction" => {
                let tx = decode_tx(
                    params.first().unwrap_or(&Value::Null),
                    &encoding_of(params, 1),
                )?;
                if !self.blockhash_valid(*tx.message.recent_blockhash()) {
                    return Err((
                        SEND_FAILED,
                        "Transaction simulation failed: Blockhash not found".into(),
                    ));
                }
                let (sigs, failure) = self.execute(std::slice::from_ref(&tx));
                if let Some((_, err, logs)) = failure {
                    return Err((
                        SEND_FAILED,
                        format!("Transaction simulation failed: {err}; logs: {logs:?}"),
                    ));
                }
                self.advance_slot()?;
                Ok(json!(sigs[0]))
            }
            "getSignatureStatuses" => {
                let list = params
                    .first()
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("params[0]: expected a list"))?;
                let out: Vec<Value> = list
                    .iter()
                    .map(|v| match v.as_str().and_then(|s| self.statuses.get(s)) {
                        None => Value::Null,
                        Some(l) => json!({
                            "slot": l.slot, "confirmations": Value::Null, "err": l.err,
                            "confirmationStatus": "finalized",
                        }),
                    })
                    .collect();
                Ok(self.ctx_value(Value::Array(out)))
            }
            "arbbot_setAccount" => {
                let key = pubkey(params.first().unwrap_or(&Value::Null), "params[0]")?;
                let spec = params
                    .get(1)
                    .ok_or_else(|| bad("params[1]: expected an account object"))?;
                let owner = pubkey(spec.get("owner").unwrap_or(&Value::Null), "owner")?;
                let data = B64
                    .decode(spec.get("data").and_then(Value::as_str).unwrap_or(""))
                    .map_err(|e| bad(format!("data: bad base64: {e}")))?;
                let lamports = match spec.get("lamports").and_then(Value::as_u64) {
                    Some(l) => l,
                    None => Rent::default().minimum_balance(data.len()).max(1),
                };
                let executable = spec
                    .get("executable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let acc = Account {
                    lamports,
                    data,
                    owner,
                    executable,
                    rent_epoch: 0,
                };
                self.ctx.set_account(&key, &AccountSharedData::from(acc));
                self.known.insert(key);
                Ok(Value::Null)
            }
            "arbbot_executeBundle" => {
                let list = params
                    .first()
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("params[0]: expected a list"))?;
                let txs = list
                    .iter()
                    .map(|v| decode_tx(v, "base64"))
                    .collect::<Result<Vec<_>, _>>()?;
                let slot = self.slot;
                let (sigs, failure) = self.execute(&txs);
                match failure {
                    None => {
                        self.advance_slot()?;
                        Ok(
                            json!({"ok": true, "slot": slot, "signatures": sigs, "error": Value::Null}),
                        )
                    }
                    Some((i, err, logs)) => Ok(json!({
                        "ok": false, "slot": slot, "signatures": sigs,
                        "error": format!("tx {i}: {err}"), "logs": logs,
                    })),
                }
            }
            "arbbot_advanceSlot" => {
                self.advance_slot()?;
                Ok(json!(self.slot))
            }
            other => Err((METHOD_NOT_FOUND, format!("Method not found: {other}"))),
        }
    }

    fn program_accounts(&self, params: &[Value]) -> RpcResult {
        let program = pubkey(params.first().unwrap_or(&Value::Null), "params[0]")?;
        let config = params.get(1).cloned().unwrap_or(Value::Null);
        let filters = config
            .get("filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for key in &self.known {
            let Some(acc) = self.account(key) else {
                continue;
            };
            if acc.owner != program {
                continue;
            }
            let data = acc.data();
            let mut keep = true;
            for f in &filters {
                if let Some(size) = f.get("dataSize").and_then(Value::as_u64) {
                    keep &= data.len() as u64 == size;
                }
                if let Some(m) = f.get("memcmp") {
                    let offset = m.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
                    let raw = m.get("bytes").and_then(Value::as_str).unwrap_or("");
                    let want = if m.get("encoding").and_then(Value::as_str) == Some("base64") {
                        B64.decode(raw)
                            .map_err(|e| bad(format!("memcmp: bad base64: {e}")))?
                    } else {
                        Pubkey::from_str(raw)
                            .map(|k| k.to_bytes().to_vec())
                            .map_err(|_| bad("memcmp: bytes"))?
                    };
                    keep &= data.get(offset..offset + want.len()) == Some(&want[..]);
                }
            }
            if keep {
                out.push(json!({"pubkey": key.to_string(), "account": account_json(&acc)}));
            }
        }
        if config.get("withContext").and_then(Value::as_bool) == Some(true) {
            Ok(self.ctx_value(Value::Array(out)))
        } else {
            Ok(Value::Array(out))
        }
    }

    fn handle(&mut self, request: &Value) -> Value {
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let method = request.get("method").and_then(Value::as_str).unwrap_or("");
        let params = request
            .get("params")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match self.call(method, &params) {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, message)) => {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
            }
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    if length > MAX_BODY {
        return None;
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body));
}

fn usage(msg: &str) -> ! {
    eprintln!("arbbot-solana-node: {msg}");
    eprintln!("usage: arbbot-solana-node [--port N] [--program PROGRAM_ID=PATH.so]...");
    std::process::exit(2)
}

fn main() {
    let mut port = 0u16;
    let mut programs: Vec<(Pubkey, Vec<u8>)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let v = args.next().unwrap_or_else(|| usage("--port needs a value"));
                port = v
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("--port: {v:?} is not a port")));
            }
            "--program" => {
                let v = args
                    .next()
                    .unwrap_or_else(|| usage("--program needs ID=PATH"));
                let (id, path) = v
                    .split_once('=')
                    .unwrap_or_else(|| usage(&format!("--program: {v:?} is not ID=PATH")));
                let id = Pubkey::from_str(id)
                    .unwrap_or_else(|_| usage(&format!("--program: {id:?} is not a public key")));
                let data = std::fs::read(path)
                    .unwrap_or_else(|e| usage(&format!("--program: cannot read {path}: {e}")));
                programs.push((id, data));
            }
            other => usage(&format!("unknown argument {other:?}")),
        }
    }

    let mut pt = ProgramTest::new("arb_executor", arb_executor::ID, processor!(arb_entry));
    pt.prefer_bpf(false);
    for (name, id) in [
        (
            "cp_swap",
            arb_executor::venues::spl_token_swap::PROGRAM_IDS[0],
        ),
        (
            "cp_swap_orca",
            arb_executor::venues::spl_token_swap::PROGRAM_IDS[1],
        ),
    ] {
        pt.add_program(name, id, processor!(cp_swap::process_instruction));
    }
    for (id, data) in programs {
        let lamports = Rent::default().minimum_balance(data.len()).max(1);
        pt.add_account(
            id,
            Account {
                lamports,
                data,
                owner: solana_sdk::bpf_loader::id(),
                executable: true,
                rent_epoch: 0,
            },
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ctx = rt.block_on(pt.start_with_context());
    let mut node = Node {
        ctx,
        rt,
        slot: 1,
        known: BTreeSet::new(),
        statuses: HashMap::new(),
        fees: BTreeMap::new(),
    };
    node.advance_slot().expect("first slot");

    let listener = TcpListener::bind(("127.0.0.1", port))
        .unwrap_or_else(|e| usage(&format!("cannot listen: {e}")));
    let addr = listener.local_addr().expect("local address");
    println!("listening on {addr}");
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let Some(body) = read_request(&mut stream) else {
            respond(&mut stream, "400 Bad Request", b"{}");
            continue;
        };
        let answer = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(batch)) => Value::Array(batch.iter().map(|r| node.handle(r)).collect()),
            Ok(request) => node.handle(&request),
            Err(e) => {
                json!({"jsonrpc": "2.0", "id": Value::Null, "error": {"code": -32700, "message": format!("Parse error: {e}")}})
            }
        };
        respond(&mut stream, "200 OK", answer.to_string().as_bytes());
    }
}
