//! A Uniswap V3 pool state and UniswapV3Pool.swap's loop over it (exact input and exact output).
//!
//! The initialized ticks come from the bitmap (the swap loop's authority), kept as one sorted list of
//! compressed ticks: "the next initialized tick within one word" is a binary search in it, and where
//! the in-range liquidity is zero the loop jumps straight to the next initialized tick or the price
//! limit instead of stepping across empty words one at a time (with no liquidity those steps move no
//! tokens; the landing price and tick are computed as the word-by-word loop would leave them).

use std::sync::Arc;

use crate::math::{
    compute_swap_step, sqrt_ratio_at_tick, tick_at_sqrt_ratio, MAX_I256, MAX_SQRT_RATIO, MAX_TICK,
    MIN_SQRT_RATIO, MIN_TICK, R, U256,
};

/// Initialized ticks (compressed: tick / spacing) in ascending order, with each one's liquidityNet.
#[derive(Debug, Clone, Default)]
pub struct TickTable {
    pub spacing: i32,
    pub compressed: Vec<i32>,
    pub nets: Vec<i128>,
    pub ratios: Vec<U256>, // getSqrtRatioAtTick of each
}

impl TickTable {
    /// From the bitmap's words (word position, 256-bit word) and the tick map's (tick, liquidityNet).
    /// A bitmap bit with no tick entry has a net of 0, as the contract's cleared tick would.
    pub fn new(spacing: i32, words: &[(i32, U256)], nets: &[(i32, i128)]) -> R<Self> {
        if spacing <= 0 {
            return Err("tick spacing must be positive");
        }
        let mut compressed = Vec::new();
        for (word, bits) in words {
            if bits.is_zero() {
                continue;
            }
            if word.unsigned_abs() > 1 << 20 {
                return Err("bitmap word position out of range");
            }
            let limbs = bits.as_limbs();
            for (li, limb) in limbs.iter().enumerate() {
                let mut v = *limb;
                while v != 0 {
                    let b = v.trailing_zeros() as i32;
                    compressed.push((word << 8) + (li as i32) * 64 + b);
                    v &= v - 1;
                }
            }
        }
        compressed.sort_unstable();
        compressed.dedup();
        let in_range =
            |c: &i32| (MIN_TICK as i64..=MAX_TICK as i64).contains(&(*c as i64 * spacing as i64));
        if !compressed.iter().all(in_range) {
            return Err("bitmap marks a tick outside [MIN_TICK, MAX_TICK]");
        }
        let mut by_tick: Vec<(i32, i128)> = nets.to_vec();
        by_tick.sort_unstable_by_key(|(t, _)| *t);
        let nets = compressed
            .iter()
            .map(|c| {
                let t = c * spacing;
                match by_tick.binary_search_by_key(&t, |(tt, _)| *tt) {
                    Ok(i) => by_tick[i].1,
                    Err(_) => 0,
                }
            })
            .collect();
        let ratios = compressed
            .iter()
            .map(|c| sqrt_ratio_at_tick(c * spacing))
            .collect::<R<Vec<U256>>>()?;
        Ok(TickTable {
            spacing,
            compressed,
            nets,
            ratios,
        })
    }

    /// Index of the greatest initialized compressed tick <= c.
    #[inline]
    fn at_or_below(&self, c: i32) -> Option<usize> {
        let i = self.compressed.partition_point(|&x| x <= c);
        if i == 0 {
            None
        } else {
            Some(i - 1)
        }
    }

    /// Index of the smallest initialized compressed tick >= c.
    #[inline]
    fn at_or_above(&self, c: i32) -> Option<usize> {
        let i = self.compressed.partition_point(|&x| x < c);
        if i == self.compressed.len() {
            None
        } else {
            Some(i)
        }
    }
}

#[derive(Debug, Clone)]
pub struct V3State {
    pub fee: u32,
    pub sqrt_price: U256,
    pub tick: i32,
    pub liquidity: u128,
    pub table: Arc<TickTable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapOut {
    pub amount_in: U256,  // paid into the pool (fee included)
    pub amount_out: U256, // paid out by the pool
    pub sqrt_price: U256,
    pub tick: i32,
    pub liquidity: u128,
    pub crossed: u32,
}

#[inline]
fn add_delta(liq: u128, net: i128, negate: bool) -> R<u128> {
    // LiquidityMath.addDelta(liq, negate ? -net : net), in 129-bit arithmetic.
    let (mag, down) = if net >= 0 {
        (net as u128, negate)
    } else {
        (net.unsigned_abs(), !negate)
    };
    if down {
        liq.checked_sub(mag)
            .ok_or("LiquidityMath.addDelta underflow ('LS')")
    } else {
        liq.checked_add(mag)
            .ok_or("LiquidityMath.addDelta overflow ('LA')")
    }
}

impl V3State {
    pub fn default_limit(zero_for_one: bool) -> U256 {
        if zero_for_one {
            MIN_SQRT_RATIO + U256::from(1u64)
        } else {
            MAX_SQRT_RATIO - U256::from(1u64)
        }
    }

    /// UniswapV3Pool.swap on this state without changing it. `exact_in`: `amount` is the input to
    /// spend, else the output wanted. `limit` None: the periphery's extreme (MIN+1 / MAX-1).
    pub fn swap(
        &self,
        zero_for_one: bool,
        exact_in: bool,
        amount: U256,
        limit: Option<U256>,
    ) -> R<SwapOut> {
        self.swap_inner(zero_for_one, exact_in, amount, limit, true)
    }

    /// The swap loop; `full_state` false: the final tick is not computed when the loop ends inside a
    /// range (amounts are the same; quotes need nothing else).
    fn swap_inner(
        &self,
        zero_for_one: bool,
        exact_in: bool,
        amount: U256,
        limit: Option<U256>,
        full_state: bool,
    ) -> R<SwapOut> {
        if amount.is_zero() {
            return Err("amount_specified is zero ('AS')");
        }
        if amount > MAX_I256 {
            return Err("amount_specified does not fit int256");
        }
        if self.fee >= 1_000_000 {
            return Err("fee must be below 1,000,000 pips");
        }
        let limit = limit.unwrap_or_else(|| Self::default_limit(zero_for_one));
        if zero_for_one {
            if !(MIN_SQRT_RATIO < limit && limit < self.sqrt_price) {
                return Err("price limit invalid for zeroForOne ('SPL')");
            }
        } else if !(self.sqrt_price < limit && limit < MAX_SQRT_RATIO) {
            return Err("price limit invalid for oneForZero ('SPL')");
        }
        let table = &*self.table;
        let s = table.spacing;
        let mut remaining = amount;
        let mut calculated = U256::ZERO; // output so far (exact in) or input so far (exact out)
        let mut sqrt_p = self.sqrt_price;
        let mut tick = self.tick;
        let mut liq = self.liquidity;
        let mut crossed = 0u32;
        let mut limit_tick: Option<(i32, bool)> = None;
        while !remaining.is_zero() && sqrt_p != limit {
            if liq == 0 {
                // No liquidity: every step to a boundary moves no tokens. Land where the loop would.
                let (lt, limit_on_tick) = match limit_tick {
                    Some(t) => t,
                    None => {
                        let t = tick_at_sqrt_ratio(limit)?;
                        let on = sqrt_ratio_at_tick(t)? == limit;
                        limit_tick = Some((t, on));
                        (t, on)
                    }
                };
                let c = tick.div_euclid(s);
                if zero_for_one {
                    let w0 = c >> 8;
                    let init = table.at_or_below(c);
                    if let Some(i) = init {
                        let b = table.compressed[i] * s;
                        if b > lt {
                            sqrt_p = table.ratios[i];
                            liq = add_delta(liq, table.nets[i], true)?;
                            crossed += 1;
                            tick = b - 1;
                            continue;
                        }
                    }
                    // Stops at the first boundary at or below the limit's tick.
                    let wl = w0.min(lt.div_euclid(s) >> 8);
                    let b_star_is_init = match init {
                        Some(i) => (table.compressed[i] >> 8) >= wl,
                        None => false,
                    };
                    let b_star = if b_star_is_init {
                        table.compressed[init.unwrap()] * s
                    } else {
                        ((wl << 8) * s).max(MIN_TICK)
                    };
                    sqrt_p = limit;
                    if limit_on_tick && b_star == lt {
                        if b_star_is_init {
                            liq = add_delta(liq, table.nets[init.unwrap()], true)?;
                            crossed += 1;
                        }
                        tick = b_star - 1;
                    } else {
                        tick = lt;
                    }
                } else {
                    let c1 = c + 1;
                    let w0 = c1 >> 8;
                    let init = table.at_or_above(c1);
                    let t_up = if limit_on_tick { lt } else { lt + 1 };
                    if let Some(i) = init {
                        let b = table.compressed[i] * s;
                        if b < t_up {
                            sqrt_p = table.ratios[i];
                            liq = add_delta(liq, table.nets[i], false)?;
                            crossed += 1;
                            tick = b;
                            continue;
                        }
                    }
                    let cu = -((-t_up).div_euclid(s)); // ceil(t_up / s)
                    let wl = w0.max(cu >> 8);
                    let b_star_is_init = match init {
                        Some(i) => (table.compressed[i] >> 8) <= wl,
                        None => false,
                    };
                    let b_star = if b_star_is_init {
                        table.compressed[init.unwrap()] * s
                    } else {
                        (((wl << 8) + 255) * s).min(MAX_TICK)
                    };
                    sqrt_p = limit;
                    if limit_on_tick && b_star == lt {
                        if b_star_is_init {
                            liq = add_delta(liq, table.nets[init.unwrap()], false)?;
                            crossed += 1;
                        }
                        tick = b_star;
                    } else {
                        tick = lt;
                    }
                }
                continue;
            }
            let start = sqrt_p;
            let c = tick.div_euclid(s);
            let (tick_next, init_idx) = if zero_for_one {
                let word_start = c - (c & 0xff);
                match table.at_or_below(c) {
                    Some(i) if table.compressed[i] >= word_start => {
                        (table.compressed[i] * s, Some(i))
                    }
                    _ => (word_start * s, None),
                }
            } else {
                let c1 = c + 1;
                let word_end = c1 - (c1 & 0xff) + 255;
                match table.at_or_above(c1) {
                    Some(i) if table.compressed[i] <= word_end => {
                        (table.compressed[i] * s, Some(i))
                    }
                    _ => (word_end * s, None),
                }
            };
            let tick_next = tick_next.clamp(MIN_TICK, MAX_TICK);
            let sqrt_next = match init_idx {
                Some(i) => table.ratios[i],
                None => sqrt_ratio_at_tick(tick_next)?,
            };
            let target = if zero_for_one {
                if sqrt_next < limit {
                    limit
                } else {
                    sqrt_next
                }
            } else if sqrt_next > limit {
                limit
            } else {
                sqrt_next
            };
            let step = compute_swap_step(sqrt_p, target, liq, remaining, exact_in, self.fee)?;
            sqrt_p = step.sqrt_next;
            if exact_in {
                let spent = step
                    .amount_in
                    .checked_add(step.fee_amount)
                    .ok_or("SafeCast.toInt256 overflow")?;
                if spent > MAX_I256 || step.amount_out > MAX_I256 {
                    return Err("SafeCast.toInt256 overflow");
                }
                remaining = remaining
                    .checked_sub(spent)
                    .ok_or("swap: spent more than specified")?;
                calculated = calculated
                    .checked_add(step.amount_out)
                    .ok_or("swap: output overflow")?;
            } else {
                let paid = step
                    .amount_in
                    .checked_add(step.fee_amount)
                    .ok_or("SafeCast.toInt256 overflow")?;
                if paid > MAX_I256 || step.amount_out > MAX_I256 {
                    return Err("SafeCast.toInt256 overflow");
                }
                remaining = remaining
                    .checked_sub(step.amount_out)
                    .ok_or("swap: received more than specified")?;
                calculated = calculated.checked_add(paid).ok_or("swap: input overflow")?;
            }
            if sqrt_p == sqrt_next {
                if let Some(i) = init_idx {
                    if tick_next == table.compressed[i] * s {
                        liq = add_delta(liq, table.nets[i], zero_for_one)?;
                        crossed += 1;
                    }
                }
                tick = if zero_for_one {
                    tick_next - 1
                } else {
                    tick_next
                };
            } else if sqrt_p != start {
                if !full_state && (remaining.is_zero() || sqrt_p == limit) {
                    break; // the loop ends here: the tick is state, not an amount
                }
                tick = tick_at_sqrt_ratio(sqrt_p)?;
            }
        }
        let (amount_in, amount_out) = if exact_in {
            (amount - remaining, calculated)
        } else {
            (calculated, amount - remaining)
        };
        Ok(SwapOut {
            amount_in,
            amount_out,
            sqrt_price: sqrt_p,
            tick,
            liquidity: liq,
            crossed,
        })
    }

    /// Exact output of an exact-input swap at the default price limit (a partial fill gives what the
    /// pool pays); Err where the pool would revert.
    #[inline]
    pub fn quote_exact_in(&self, zero_for_one: bool, amount: U256) -> R<U256> {
        Ok(self
            .swap_inner(zero_for_one, true, amount, None, false)?
            .amount_out)
    }

    /// Input needed for exactly `amount_out` (Err where the pool cannot deliver all of it).
    pub fn quote_exact_out(&self, zero_for_one: bool, amount_out: U256) -> R<U256> {
        let r = self.swap_inner(zero_for_one, false, amount_out, None, false)?;
        if r.amount_out < amount_out {
            return Err("insufficient liquidity for the output");
        }
        Ok(r.amount_in)
    }
}
