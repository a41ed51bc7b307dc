//! `execute_route`: check every hop and screen every account before moving anything, snapshot the
//! route's token accounts, then swap hop by hop. After each hop every route token account must be
//! intact (owner, delegate, close authority, state, lamports), the hop's source must have dropped by
//! no more than the route gave the hop, its destination must have risen, and no other route account
//! may have moved; the next hop is given exactly what this one delivered. At the end `source_token`
//! must be up by `min_profit`, every other route account at or above its snapshot balance, and the
//! authority's lamports not below where they started.
//!
//! A hop may take *less* than it was given: SPL token-swap's constant-product curve rounds the input
//! it keeps down to what its output needs (in about a quarter of random swaps), and a Whirlpool stops
//! at its price limit. What it leaves stays in the user's account and is not counted as profit.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::set_return_data;
use anchor_lang::Event;
use arb_route::{check_profit, validate_route, Hop, RouteError, MAX_HOPS, MIN_HOPS};

use crate::token_account::{self, Snapshot};
use crate::venues::{self, HopPlan};
use crate::{ArbError, ExecuteRoute, RouteExecuted, RouteHop};

fn route_error(e: RouteError) -> Error {
    match e {
        RouteError::HopCount(_) => error!(ArbError::HopCount),
        RouteError::Disconnected { .. } => error!(ArbError::RouteDisconnected),
        RouteError::NotACycle => error!(ArbError::RouteNotClosed),
        RouteError::RepeatedPool { .. } => error!(ArbError::RepeatedPool),
        RouteError::Overflow => error!(ArbError::ArithmeticOverflow),
        RouteError::Unprofitable { .. } => error!(ArbError::Unprofitable),
    }
}

/// Checks one hop: its venue accounts, that it spends from `holding` (the account the previous hop
/// paid into), and that both user token accounts belong to `authority` and hold the pool's mints.
fn plan_hop<'a, 'info>(
    hop: &RouteHop,
    block: &'a [AccountInfo<'info>],
    authority: &Pubkey,
    holding: &Pubkey,
) -> Result<HopPlan<'a, 'info>> {
    let plan = venues::plan(hop, block, authority)?;
    let (source, destination) = (plan.source_info(), plan.destination_info());
    require_keys_eq!(*source.key, *holding, ArbError::RouteDisconnected);
    require_keys_neq!(
        *source.key,
        *destination.key,
        ArbError::SameSourceAndDestination
    );
    for (info, mint) in [(source, &plan.mint_in), (destination, &plan.mint_out)] {
        token_account::read_owned(info, authority, mint)?;
        if *info.owner == token_account::TOKEN_2022_PROGRAM_ID {
            // A Token-2022 mint's extensions (a transfer hook, a permanent delegate) govern every
            // transfer of the route's tokens: the mint must be in the block to be read.
            require!(plan.accepts_token_2022(), ArbError::Token2022NotSupported);
            let mint_info = plan
                .block
                .iter()
                .find(|a| a.key == mint)
                .ok_or(ArbError::MintNotInBlock)?;
            require_keys_eq!(
                *mint_info.owner,
                token_account::TOKEN_2022_PROGRAM_ID,
                ArbError::MintMismatch
            );
            token_account::check_mint(mint_info)?;
        }
    }
    Ok(plan)
}

/// Splits `accounts` into hop blocks, checks each hop, checks the route returns to `source`
/// through distinct pools, and screens every block's other accounts.
pub fn plan_route<'a, 'info>(
    authority: &Pubkey,
    source: &AccountInfo<'info>,
    hops: &[RouteHop],
    accounts: &'a [AccountInfo<'info>],
) -> Result<Vec<HopPlan<'a, 'info>>> {
    require!(
        (MIN_HOPS..=MAX_HOPS).contains(&hops.len()),
        ArbError::HopCount
    );
    let mut rest = accounts;
    let mut holding = *source.key;
    let mut plans = Vec::with_capacity(hops.len());
    for (index, hop) in hops.iter().enumerate() {
        let n = usize::from(hop.num_accounts);
        if rest.len() < n {
            msg!(
                "hop {}: num_accounts {} but only {} accounts left",
                index,
                n,
                rest.len()
            );
            return err!(ArbError::NotEnoughAccounts);
        }
        let (block, tail) = rest.split_at(n);
        rest = tail;
        let plan = plan_hop(hop, block, authority, &holding).inspect_err(|_| {
            msg!(
                "hop {} ({:?}, a_to_b {}) rejected",
                index,
                hop.venue,
                hop.a_to_b
            );
        })?;
        holding = *plan.destination_info().key;
        plans.push(plan);
    }
    require!(rest.is_empty(), ArbError::TrailingAccounts);
    require_keys_eq!(holding, *source.key, ArbError::RouteNotClosed);
    let cycle: Vec<Hop> = plans
        .iter()
        .map(|p| Hop {
            pool: p.pool.to_bytes(),
            mint_in: p.mint_in.to_bytes(),
            mint_out: p.mint_out.to_bytes(),
        })
        .collect();
    validate_route(&cycle).map_err(route_error)?;
    let keys = route_accounts(source, &plans);
    for (index, plan) in plans.iter().enumerate() {
        plan.screen(authority, &keys).inspect_err(|_| {
            msg!("hop {} block holds an account it must not", index);
        })?;
    }
    Ok(plans)
}

/// The route's token accounts: `source_token`, then each hop's destination, each once.
fn route_accounts(source: &AccountInfo, plans: &[HopPlan]) -> Vec<Pubkey> {
    let mut keys = vec![*source.key];
    for p in plans {
        let k = *p.destination_info().key;
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// The before-image of every route token account and the balances the route expects them to hold
/// as it goes.
struct Ledger<'a, 'info> {
    accounts: Vec<(&'a AccountInfo<'info>, Snapshot)>,
    expected: Vec<u64>,
}

impl<'a, 'info> Ledger<'a, 'info> {
    fn take(source: &'a AccountInfo<'info>, plans: &[HopPlan<'a, 'info>]) -> Result<Self> {
        let mut accounts: Vec<(&'a AccountInfo<'info>, Snapshot)> = Vec::new();
        for info in std::iter::once(source).chain(plans.iter().map(|p| p.destination_info())) {
            if accounts.iter().all(|(_, s)| s.key != *info.key) {
                accounts.push((info, Snapshot::take(info)?));
            }
        }
        let expected = accounts.iter().map(|(_, s)| s.amount()).collect();
        Ok(Self { accounts, expected })
    }

    fn index(&self, key: &Pubkey) -> usize {
        self.accounts
            .iter()
            .position(|(_, s)| s.key == *key)
            .expect("every hop account is in the ledger")
    }

    /// After a hop given `amount_in`: all accounts intact, the source down by at most `amount_in`
    /// (never up), the destination up, nothing else moved. Returns what the hop delivered.
    fn settle(&mut self, plan: &HopPlan, amount_in: u64) -> Result<u64> {
        let now = self
            .accounts
            .iter()
            .map(|(info, snap)| snap.intact(info))
            .collect::<Result<Vec<u64>>>()?;
        let (src, dst) = (
            self.index(plan.source_info().key),
            self.index(plan.destination_info().key),
        );
        let taken = self.expected[src].checked_sub(now[src]);
        if !matches!(taken, Some(t) if t <= amount_in) {
            msg!(
                "hop source went from {} to {}; it was given {}",
                self.expected[src],
                now[src],
                amount_in
            );
            return err!(ArbError::HopInputMismatch);
        }
        let delivered = now[dst]
            .checked_sub(self.expected[dst])
            .ok_or(ArbError::DestinationDecreased)?;
        require!(delivered > 0, ArbError::ZeroOutput);
        for (i, amount) in now.iter().enumerate() {
            require!(
                i == src || i == dst || *amount == self.expected[i],
                ArbError::UserBalanceChanged
            );
        }
        self.expected[src] = now[src];
        self.expected[dst] = now[dst];
        Ok(delivered)
    }

    /// At the end: no account but `source_token` (index 0) below its snapshot balance (a leftover
    /// a venue did not take stays there).
    fn closed(&self) -> Result<u64> {
        for (i, (info, snap)) in self.accounts.iter().enumerate() {
            let amount = snap.intact(info)?;
            require!(
                i == 0 || amount >= snap.amount(),
                ArbError::UserBalanceChanged
            );
        }
        self.accounts[0].1.intact(self.accounts[0].0)
    }
}

pub fn execute<'info>(
    ctx: Context<'_, '_, 'info, 'info, ExecuteRoute<'info>>,
    amount_in: u64,
    min_profit: u64,
    hops: &[RouteHop],
) -> Result<()> {
    require!(amount_in > 0, ArbError::ZeroAmount);
    let authority_info = ctx.accounts.authority.to_account_info();
    let authority = *authority_info.key;
    let source = ctx.accounts.source_token.to_account_info();
    let start = token_account::read(&source)?;
    require_keys_eq!(start.owner, authority, ArbError::TokenOwnerMismatch);
    let plans = plan_route(&authority, &source, hops, ctx.remaining_accounts)?;

    let mut ledger = Ledger::take(&source, &plans)?;
    let authority_lamports = authority_info.lamports();
    let mut amount = amount_in;
    for (index, plan) in plans.iter().enumerate() {
        plan.invoke(amount)?;
        amount = ledger.settle(plan, amount).inspect_err(|_| {
            msg!("hop {} broke the route's accounts", index);
        })?;
        require!(
            authority_info.lamports() >= authority_lamports,
            ArbError::AuthorityLamportsDecreased
        );
    }

    let end = ledger.closed()?;
    let profit = check_profit(start.amount, end, min_profit)
        .inspect_err(|_| {
            msg!(
                "source_token ended at {}, below start {} + min_profit {}",
                end,
                start.amount,
                min_profit
            );
        })
        .map_err(route_error)?;
    let event = RouteExecuted {
        authority,
        source_token: *source.key,
        mint: start.mint,
        amount_in,
        amount_out: amount,
        profit,
        pools: plans.iter().map(|p| p.pool).collect(),
    };
    // Also returned, so a simulating client reads the outcome without parsing logs.
    set_return_data(&event.data());
    emit!(event);
    Ok(())
}
