//! `execute_route`: check every hop before moving anything, then swap hop by hop, each hop spending
//! exactly what the previous one delivered (measured, not quoted), and finally require the profit.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::set_return_data;
use anchor_lang::Event;
use arb_route::{check_profit, validate_route, Hop, RouteError, MAX_HOPS, MIN_HOPS};

use crate::venues::{self, HopPlan};
use crate::{token_account, ArbError, ExecuteRoute, RouteExecuted, RouteHop};

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
    token_account::read_owned(source, authority, &plan.mint_in)?;
    token_account::read_owned(destination, authority, &plan.mint_out)?;
    Ok(plan)
}

/// Splits `accounts` into hop blocks, checks each hop, and checks the route returns to `source`
/// through distinct pools.
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
    Ok(plans)
}

pub fn execute<'info>(
    ctx: Context<'_, '_, 'info, 'info, ExecuteRoute<'info>>,
    amount_in: u64,
    min_profit: u64,
    hops: &[RouteHop],
) -> Result<()> {
    require!(amount_in > 0, ArbError::ZeroAmount);
    let authority = ctx.accounts.authority.key();
    let source = ctx.accounts.source_token.to_account_info();
    let start = token_account::read(&source)?;
    require_keys_eq!(start.owner, authority, ArbError::TokenOwnerMismatch);
    let plans = plan_route(&authority, &source, hops, ctx.remaining_accounts)?;

    let mut amount = amount_in;
    for plan in &plans {
        let before = token_account::read(plan.destination_info())?.amount;
        plan.invoke(amount)?;
        let after = token_account::read(plan.destination_info())?.amount;
        amount = after
            .checked_sub(before)
            .ok_or(ArbError::DestinationDecreased)?;
        require!(amount > 0, ArbError::ZeroOutput);
    }

    let end = token_account::read(&source)?.amount;
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
