//! The exact integer optimum of a cycle's profit (the method of `arbbot.solver`, compiled).
//!
//! 1. The relaxed profit q(x) = curve(x) - k*x (curve: `curve.rs`, k = 1 + loan fee) is concave and
//!    bounds every exact profit from above. It is evaluated in floating point with a margin that covers
//!    the rounding error (relative 1e-12 of the amounts involved plus one unit: the evaluation itself
//!    errs by ~1e-15), so every decision taken on it is on the safe side:
//!    - no input pays when q'(0) <= k by more than the margin (the exact filter);
//!    - the maximiser is bracketed on the composite slope (1/sqrt(slope) is linear on each cell, so a
//!      false-position search lands on it in a few steps), and a tangent at the bracket's left end
//!      plus the margin bounds max q: no integer input can make more (the exact upper bound).
//! 2. The integer answer comes from exact quotes only: the maximiser's floor and neighbours, then a
//!    walk from plateau edge to plateau edge (each edge found exactly by inverting the hops), then, when
//!    the integers where q (plus margin) beats the best are few, every one of them is quoted: the
//!    answer is then the proven global optimum (`certified`).

use std::collections::HashMap;

use crate::curve::Curve;
use crate::math::{fits_u128, low_u128, to_f64, u, R, U256};
use crate::v2::V2State;
use crate::v3::V3State;

pub const BPS: u64 = 10_000;
const REL: f64 = 1e-12;
const PER_PIECE_REL: f64 = 1e-15;
const BIAS: U256 = U256::from_limbs([0, 0, 0, 1u64 << 63]);
const NEG: U256 = U256::ZERO; // biased value of "cannot be traded"
const MAX_OUT: U256 = U256::from_limbs([0, 0, 0, 1u64 << 62]); // outputs above 2^254: not handled here

#[derive(Debug, Clone)]
pub enum PoolState {
    V2(V2State),
    V3(V3State),
}

#[derive(Debug, Clone)]
pub struct Hop {
    pub pool: PoolState,
    pub zero_for_one: bool,
}

impl Hop {
    /// Exact output for `amount` in (None: the pool reverts or pays nothing).
    #[inline]
    pub fn quote(&self, amount: U256) -> Option<U256> {
        let out = match &self.pool {
            PoolState::V2(p) => p.quote_exact_in(self.zero_for_one, amount),
            PoolState::V3(p) => p.quote_exact_in(self.zero_for_one, amount),
        };
        match out {
            Ok(o) if !o.is_zero() => Some(o),
            _ => None,
        }
    }

    fn out_or_zero(&self, amount: U256) -> U256 {
        if amount.is_zero() {
            return U256::ZERO;
        }
        self.quote(amount).unwrap_or(U256::ZERO)
    }

    /// The smallest input whose exact output is >= need (None: unreachable).
    pub fn min_input(&self, need: U256) -> Option<U256> {
        let pool = match &self.pool {
            PoolState::V2(p) => return p.min_input(self.zero_for_one, need),
            PoolState::V3(p) => p,
        };
        let guess = pool.quote_exact_out(self.zero_for_one, need).ok()?;
        let one = U256::from(1u64);
        let cap = U256::from(1u64) << 250;
        let (mut lo, mut hi);
        if self.out_or_zero(guess) < need {
            // The exact-output path can round differently: search upwards, then bisect.
            let mut step = one;
            loop {
                let probe = guess.checked_add(step)?;
                if self.out_or_zero(probe) >= need {
                    break;
                }
                step <<= 1;
                if step > cap {
                    return None;
                }
            }
            lo = guess + (step >> 1);
            hi = guess + step;
            if step == one {
                lo = guess;
            }
        } else {
            hi = guess;
            lo = guess.saturating_sub(one);
            let mut step = one;
            while lo >= one && self.out_or_zero(lo) >= need {
                hi = lo;
                step <<= 1;
                lo = hi.saturating_sub(step);
            }
        }
        while hi - lo > one {
            let mid = lo + ((hi - lo) >> 1);
            if self.out_or_zero(mid) >= need {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(hi)
    }

    pub fn curve(&self) -> Curve {
        match &self.pool {
            PoolState::V2(p) => Curve::v2(p, self.zero_for_one),
            PoolState::V3(p) => Curve::v3(p, self.zero_for_one),
        }
    }
}

/// Exact cycle output (None: a hop reverts or gives nothing).
pub fn quote_cycle(hops: &[Hop], amount: U256) -> Option<U256> {
    let mut out = amount;
    for hop in hops {
        out = hop.quote(out)?;
    }
    Some(out)
}

pub fn cycle_min_input(hops: &[Hop], need: U256) -> Option<U256> {
    let mut need = need;
    for hop in hops.iter().rev() {
        need = hop.min_input(need)?;
    }
    Some(need)
}

#[inline]
pub fn loan_fee(x: U256, fee_bps: u64) -> U256 {
    if fee_bps == 0 {
        return U256::ZERO;
    }
    (x * U256::from(fee_bps)).div_ceil(U256::from(BPS))
}

// ---------------------------------------------------------------------------------------- relaxation

pub struct Relaxed {
    curves: Vec<Curve>,
    k: f64,
}

impl Relaxed {
    pub fn new(hops: &[Hop], loan_fee_bps: u64) -> Relaxed {
        Relaxed {
            curves: hops.iter().map(Hop::curve).collect(),
            k: (BPS + loan_fee_bps) as f64 / BPS as f64,
        }
    }

    /// (composite relaxed output, composite right-slope) at cycle input x.
    #[inline]
    pub fn at(&mut self, x: f64) -> (f64, f64) {
        let mut v = x;
        let mut slope = 1.0;
        for c in self.curves.iter_mut() {
            let (o, s) = c.at(v);
            v = o;
            slope *= s;
        }
        (v, slope)
    }

    /// Piece boundaries some hop crosses between cycle inputs lo and hi: (hop, V3 price where its
    /// piece ends). At such a kink the slope drops, so the real maximiser often sits exactly there;
    /// the exact input reaching it comes from integer quotes (`kink_input`), not from the float curve.
    pub fn kinks(&mut self, lo: f64, hi: f64) -> Vec<(usize, U256)> {
        let mut out = Vec::new();
        let (mut a, mut b) = (lo, hi);
        for (i, c) in self.curves.iter_mut().enumerate() {
            let (ia, ib) = (c.piece_at(a), c.piece_at(b));
            for k in ia..ib.min(ia + 4) {
                let p = c.pieces[k];
                if !p.end_price.is_zero() {
                    out.push((i, p.end_price));
                }
            }
            a = c.at(a).0;
            b = c.at(b).0;
        }
        out
    }

    fn rel(&self) -> f64 {
        let pieces: usize = self.curves.iter().map(Curve::n_pieces).sum();
        REL + PER_PIECE_REL * pieces as f64
    }

    /// q(x) plus the margin: an upper bound on q(x) itself, so "q + margin < p" proves q(x) < p.
    #[inline]
    fn q_high(&mut self, x: f64) -> f64 {
        let (m, _) = self.at(x);
        let rel = self.rel();
        m - self.k * x + rel * (m + self.k * x) + 1.0
    }

    /// Slope at zero input beats the cost by more than the margin (otherwise no input can pay).
    pub fn may_pay(&mut self) -> bool {
        let (_, d0) = self.at(0.0);
        d0 > self.k * (1.0 - 1e-9)
    }

    /// A first guess: the maximiser of the composite of each hop's first piece (exact if the optimum
    /// lies in the first cell).
    fn first_cell_guess(&self) -> f64 {
        // Each first piece is x -> yv*g*x / (xv + g*x): the matrix [[yv*g, 0], [g, xv]].
        let (mut a, mut b, mut c, mut d) = (1.0f64, 0.0f64, 0.0f64, 1.0f64);
        for curve in &self.curves {
            let p = curve.first_piece();
            if p.yv == 0.0 {
                return 1.0;
            }
            let (e, f, g, h) = (p.yv * curve.g, 0.0, curve.g, p.xv);
            // [e f; g h] * [a b; c d]
            let (na, nb, nc, nd) = (e * a + f * c, e * b + f * d, g * a + h * c, g * b + h * d);
            let s = na.abs().max(nb.abs()).max(nc.abs()).max(nd.abs());
            if !(s > 0.0 && s.is_finite()) {
                return 1.0;
            }
            (a, b, c, d) = (na / s, nb / s, nc / s, nd / s);
        }
        let det = a * d - b * c;
        if det <= 0.0 || c <= 0.0 {
            return 1.0;
        }
        let x = ((det / self.k).sqrt() - d) / c;
        if x.is_finite() && x > 1.0 {
            x
        } else {
            1.0
        }
    }

    /// Bracket the real maximiser in [lo, hi] (lo: slope still above k). Returns (lo, hi).
    pub fn maximiser(&mut self, max_input: f64) -> (f64, f64) {
        let k = self.k;
        let d_at = |r: &mut Relaxed, x: f64| r.at(x).1;
        let x1 = self.first_cell_guess().min(max_input);
        let (mut lo, mut hi);
        if d_at(self, x1) > k {
            lo = x1;
            hi = (x1 * 2.0).max(x1 + 1.0);
            loop {
                if hi >= max_input {
                    hi = max_input;
                    if d_at(self, hi) > k {
                        return (hi, hi);
                    }
                    break;
                }
                if d_at(self, hi) <= k {
                    break;
                }
                lo = hi;
                hi *= 2.0;
            }
        } else {
            lo = 0.0;
            hi = x1;
        }
        // False position on h(x) = 1/sqrt(slope(x)) - 1/sqrt(k): linear on each cell, increasing.
        let target = 1.0 / k.sqrt();
        let h = |d: f64| {
            if d > 0.0 {
                1.0 / d.sqrt() - target
            } else {
                f64::INFINITY
            }
        };
        let mut h_lo = h(d_at(self, lo));
        let mut h_hi = h(d_at(self, hi));
        let mut side = 0i32;
        for i in 0..200 {
            let width = hi - lo;
            if width <= 0.25_f64.max(hi * 1e-15) {
                break;
            }
            let mut x = if h_hi.is_finite() && h_lo.is_finite() && h_hi > h_lo && i % 4 != 3 {
                hi - h_hi * width / (h_hi - h_lo)
            } else {
                lo + width / 2.0
            };
            if !(x > lo && x < hi) {
                x = lo + width / 2.0;
            }
            let hx = h(d_at(self, x));
            if hx < 0.0 {
                lo = x;
                h_lo = hx;
                if side == -1 {
                    h_hi /= 2.0;
                }
                side = -1;
            } else {
                hi = x;
                h_hi = hx;
                if side == 1 {
                    h_lo /= 2.0;
                }
                side = 1;
            }
        }
        (lo, hi)
    }

    /// An upper bound on max q over [0, inf) from the bracket (tangent at lo) plus the margin.
    pub fn upper(&mut self, lo: f64, hi: f64) -> f64 {
        let (m, d) = self.at(lo);
        let q = m - self.k * lo;
        let rise = ((d - self.k) * (hi - lo)).max(0.0);
        q + rise + self.rel() * (m + self.k * lo) + 1.0
    }

    /// The integers x in [1, max_input] where q(x) (plus margin) reaches floor_p + 1, if at most
    /// `budget` of them: Some((lo, hi)) (lo > hi: none), None when wider (or beyond exact f64 integers).
    pub fn window(
        &mut self,
        x0: u128,
        floor_p: f64,
        max_input: u128,
        budget: u128,
    ) -> Option<(u128, u128)> {
        if x0.saturating_add(budget) > (1u128 << 52) {
            return None;
        }
        let target = floor_p + 1.0;
        let above = |r: &mut Relaxed, x: u128| -> bool {
            x >= 1 && x <= max_input && r.q_high(x as f64) >= target
        };
        if above(self, x0 + budget) || (x0 > budget && above(self, x0 - budget)) {
            return None;
        }
        let mut x0 = x0;
        if !above(self, x0) {
            if above(self, x0 + 1) {
                x0 += 1;
            } else {
                return Some((1, 0));
            }
        }
        // Right edge in (x0, x0 + budget): above(lo_r), !above(hi_r).
        let (mut lo_r, mut hi_r) = (x0, x0 + budget);
        while hi_r - lo_r > 1 {
            let mid = lo_r + (hi_r - lo_r) / 2;
            if above(self, mid) {
                lo_r = mid;
            } else {
                hi_r = mid;
            }
        }
        let (mut lo_l, mut hi_l) = (x0.saturating_sub(budget), x0);
        if above(self, lo_l) {
            // Only when lo_l is 0 or 1 (clipped at the domain's start): the window starts at 1.
            hi_l = lo_l.max(1);
        } else {
            while hi_l - lo_l > 1 {
                let mid = lo_l + (hi_l - lo_l) / 2;
                if above(self, mid) {
                    hi_l = mid;
                } else {
                    lo_l = mid;
                }
            }
        }
        if lo_r + 1 - hi_l > budget {
            return None;
        }
        Some((hi_l, lo_r))
    }
}

// ---------------------------------------------------------------------------------------------- solve

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Solution {
    pub amount_in: U256,
    pub amount_out: U256,
    pub profit: U256,
    pub certified: bool,
    pub quotes: u64,
}

pub struct Params {
    pub max_input: U256,
    pub loan_fee_bps: u64,
    pub scan_budget: u64,
}

struct Exact<'a> {
    hops: &'a [Hop],
    fee_bps: u64,
    max_input: U256,
    outs: HashMap<U256, U256>,
    overflow: bool,
}

impl<'a> Exact<'a> {
    fn out(&mut self, x: U256) -> U256 {
        if x.is_zero() || x > self.max_input {
            return U256::ZERO;
        }
        if let Some(o) = self.outs.get(&x) {
            return *o;
        }
        let o = quote_cycle(self.hops, x).unwrap_or(U256::ZERO);
        if o > MAX_OUT {
            self.overflow = true;
        }
        self.outs.insert(x, o);
        o
    }

    #[inline]
    fn cost(&self, x: U256) -> U256 {
        x + loan_fee(x, self.fee_bps)
    }

    /// Biased profit (BIAS + out - cost); NEG when the input cannot be traded.
    fn value(&mut self, x: U256) -> U256 {
        let o = self.out(x);
        if o.is_zero() {
            return NEG;
        }
        (o.wrapping_add(BIAS)).wrapping_sub(self.cost(x))
    }

    fn min_input(&mut self, need: U256) -> Option<U256> {
        cycle_min_input(self.hops, need)
    }

    /// The smallest cycle input that moves hop `i` to `price` (a V3 piece's end), if any.
    fn kink_input(&mut self, i: usize, price: U256) -> Option<U256> {
        let hop = &self.hops[i];
        let PoolState::V3(pool) = &hop.pool else {
            return None;
        };
        // An exact-input swap capped at `price` spends exactly what reaching it costs (fee included).
        let need = pool
            .swap(
                hop.zero_for_one,
                true,
                crate::math::MAX_I256 >> 2,
                Some(price),
            )
            .ok()?;
        if need.sqrt_price != price || need.amount_in.is_zero() {
            return None;
        }
        let x = cycle_min_input(&self.hops[..i], need.amount_in)?;
        (x <= self.max_input).then_some(x)
    }

    /// See `arbbot.solver.search.plateau_walk`: a local optimum, moving plateau edge to plateau edge.
    fn plateau_walk(&mut self, x: U256, max_moves: usize) -> (U256, U256) {
        let one = U256::from(1u64);
        let lo = one;
        let hi = self.max_input;
        let edge = |e: &mut Exact, x: U256| -> U256 {
            let o = e.out(x);
            if o.is_zero() || x <= lo || e.out(x - one) < o {
                return x;
            }
            match e.min_input(o) {
                Some(m) if m >= lo && m <= x => m,
                _ => x,
            }
        };
        let mut x = edge(self, x);
        let mut best = self.value(x);
        for _ in 0..max_moves {
            let o = self.out(x);
            let mut candidates: [Option<U256>; 2] = [None, None];
            let nxt = if o.is_zero() {
                None
            } else if x < hi && self.out(x + one) > o {
                Some(x + one)
            } else {
                self.min_input(o + one)
            };
            if let Some(n) = nxt {
                if x < n && n <= hi {
                    candidates[0] = Some(n);
                }
            }
            if x > lo {
                candidates[1] = Some(edge(self, x - one));
            }
            let mut moved = false;
            for y in candidates.into_iter().flatten() {
                let v = self.value(y);
                if v > best {
                    x = y;
                    best = v;
                    moved = true;
                    break;
                }
            }
            if !moved {
                break;
            }
        }
        (x, best)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Relaxation {
    pub x: U256,     // the real maximiser, floored and clamped to [1, max_input]
    pub upper: U256, // no exact profit exceeds it (0 when the bound is not positive)
    pub lo: f64,
    pub hi: f64,
}

/// The exact filter and the relaxed optimum: None when no input in [1, max_input] can pay.
pub fn relax(hops: &[Hop], params: &Params) -> Option<(Relaxation, Relaxed)> {
    let mut r = Relaxed::new(hops, params.loan_fee_bps);
    if !r.may_pay() {
        return None;
    }
    let mx = to_f64(&params.max_input);
    let (lo, hi) = r.maximiser(mx);
    let upper = r.upper(lo, hi);
    if upper < 1.0 {
        return None; // proven: q < 1 everywhere, and exact profits are integers <= q
    }
    let x = if lo < 1.0 {
        U256::from(1u64)
    } else {
        u(lo as u128)
    };
    let x = x.min(params.max_input).max(U256::from(1u64));
    let up = if upper >= 3.0e38 {
        U256::MAX
    } else {
        u(upper.ceil() as u128)
    };
    Some((
        Relaxation {
            x,
            upper: up,
            lo,
            hi,
        },
        r,
    ))
}

pub enum Outcome {
    NoProfit,
    Found(Solution),
    /// Values outside what this path handles (the caller falls back to the reference).
    Unsupported,
}

pub fn solve(hops: &[Hop], params: &Params) -> Outcome {
    if hops.is_empty() || params.max_input.is_zero() {
        return Outcome::NoProfit;
    }
    if params.max_input.bit_len() > 200 || params.loan_fee_bps > BPS {
        return Outcome::Unsupported;
    }
    let Some((rx, mut relaxed)) = relax(hops, params) else {
        return Outcome::NoProfit;
    };
    let mut ex = Exact {
        hops,
        fee_bps: params.loan_fee_bps,
        max_input: params.max_input,
        outs: HashMap::with_capacity(32),
        overflow: false,
    };
    let one = U256::from(1u64);
    let top = rx.x;
    let mut best = top;
    let mut best_value = ex.value(top);
    let mut candidates = vec![top.saturating_sub(one), top + one, top + U256::from(2u64)];
    // The float bracket [lo, hi] holds the real maximiser; where a hop's piece ends inside it (a tick
    // whose crossing drops the slope, or the pool's last liquidity), the exact input reaching that
    // boundary is the likely integer optimum: quote it and its neighbours.
    if rx.hi > rx.lo {
        for (i, price) in relaxed.kinks(rx.lo, rx.hi) {
            if let Some(x) = ex.kink_input(i, price) {
                candidates.extend([x.saturating_sub(one), x, x + one]);
            }
        }
        if rx.hi < 3.0e38 {
            let h = u(rx.hi as u128).min(params.max_input);
            candidates.extend([h, h + one]);
        }
    }
    for x in candidates {
        if x.is_zero() || x > params.max_input {
            continue;
        }
        let v = ex.value(x);
        if v > best_value || (v == best_value && x < best) {
            best = x;
            best_value = v;
        }
    }
    (best, best_value) = ex.plateau_walk(best, 8);
    // Certified when the best exact profit reaches the bound on every input.
    let best_profit_f = if best_value > BIAS {
        to_f64(&(best_value - BIAS))
    } else {
        0.0
    };
    let floor_value = if best_value > BIAS {
        best_value - BIAS
    } else {
        U256::ZERO
    };
    let mut certified = floor_value >= rx.upper;
    if !certified && fits_u128(&params.max_input) {
        let x0 = if fits_u128(&top) {
            low_u128(&top)
        } else {
            u128::MAX
        };
        if let Some((lo, hi)) = relaxed.window(
            x0,
            best_profit_f,
            low_u128(&params.max_input),
            params.scan_budget as u128,
        ) {
            let mut x = lo;
            while x <= hi {
                let ux = u(x);
                let v = ex.value(ux);
                if v > best_value || (v == best_value && ux < best) {
                    best = ux;
                    best_value = v;
                }
                x += 1;
            }
            certified = true;
        }
    }
    if ex.overflow {
        return Outcome::Unsupported;
    }
    if best_value <= BIAS {
        return Outcome::NoProfit;
    }
    let quotes = ex.outs.len() as u64;
    let out = ex.out(best);
    Outcome::Found(Solution {
        amount_in: best,
        amount_out: out,
        profit: best_value - BIAS,
        certified,
        quotes,
    })
}

/// The relaxed filter and bound alone (for ranking cycles before sizing any).
pub fn relax_only(hops: &[Hop], params: &Params) -> Option<Relaxation> {
    relax(hops, params).map(|(r, _)| r)
}

#[allow(dead_code)]
pub(crate) fn check(_: R<()>) {}
