//! The real-valued curve each exact quote rounds down from, piece by piece (floating point).
//!
//! A V2 pool, and a V3 pool between two initialized ticks (on its virtual reserves), is constant
//! product: out = out0 + yv*g*d / (xv + g*d) for d = input - in0 on the piece. Liquidity gaps take no
//! input. The contracts round every amount in the pool's favour, so the exact output never exceeds this
//! curve; the solver uses it (with a rigorous margin for floating-point error, see `solve.rs`) to guide
//! the exact search, to prove no input pays, and to bound what any input can make.

use crate::math::{sqrt_ratio_at_tick, to_f64, MAX_TICK, MIN_TICK, U256};
use crate::v2::V2State;
use crate::v3::V3State;

const Q96: f64 = 79_228_162_514_264_337_593_543_950_336.0;

#[derive(Debug, Clone, Copy)]
pub struct Piece {
    pub in0: f64,
    pub out0: f64,
    pub xv: f64,
    pub yv: f64,  // 0: flat (nothing more comes out)
    pub end: f64, // input where the piece ends (infinite for the last)
    /// The V3 price where the piece ends (a tick whose crossing changes the liquidity, or the
    /// periphery's limit): the exact input reaching it is a swap to that price. Zero: none (V2, flat).
    pub end_price: U256,
}

impl Piece {
    #[inline]
    fn at(&self, g: f64, x: f64) -> (f64, f64) {
        if self.yv == 0.0 {
            return (self.out0, 0.0);
        }
        let d = (x - self.in0).max(0.0) * g;
        let den = self.xv + d;
        (
            self.out0 + self.yv * d / den,
            g * self.yv * self.xv / (den * den),
        )
    }
}

/// The V3 walk that produces pieces in order of input.
#[derive(Debug, Clone)]
struct V3Walk {
    zero_for_one: bool,
    price: U256,
    liquidity: u128,
    idx: isize, // next initialized tick (index into the table) in the swap's direction
    done: bool,
}

#[derive(Debug, Clone)]
pub struct Curve {
    pub g: f64,
    pub pieces: Vec<Piece>,
    walk: Option<V3Walk>,
    state: Option<V3State>,
}

impl Curve {
    pub fn v2(pool: &V2State, zero_for_one: bool) -> Curve {
        let (r_in, r_out) = pool.reserves(zero_for_one);
        let g = pool.gamma_num() as f64 / 10_000.0;
        let piece = if r_in == 0 || r_out == 0 || g <= 0.0 {
            Piece {
                in0: 0.0,
                out0: 0.0,
                xv: 1.0,
                yv: 0.0,
                end: f64::INFINITY,
                end_price: U256::ZERO,
            }
        } else {
            Piece {
                in0: 0.0,
                out0: 0.0,
                xv: r_in as f64,
                yv: r_out as f64,
                end: f64::INFINITY,
                end_price: U256::ZERO,
            }
        };
        Curve {
            g,
            pieces: vec![piece],
            walk: None,
            state: None,
        }
    }

    pub fn v3(pool: &V3State, zero_for_one: bool) -> Curve {
        let g = (1_000_000 - pool.fee.min(1_000_000)) as f64 / 1_000_000.0;
        let table = &pool.table;
        let c = pool.tick.div_euclid(table.spacing);
        // The loop's lte search includes the current tick's own compressed position; gt starts above.
        let idx = if zero_for_one {
            table.compressed.partition_point(|&x| x <= c) as isize - 1
        } else {
            table.compressed.partition_point(|&x| x <= c) as isize
        };
        let walk = V3Walk {
            zero_for_one,
            price: pool.sqrt_price,
            liquidity: pool.liquidity,
            idx,
            done: g <= 0.0,
        };
        let mut curve = Curve {
            g,
            pieces: Vec::new(),
            walk: Some(walk),
            state: Some(pool.clone()),
        };
        if curve.pieces.is_empty() && !curve.extend() {
            curve.pieces.push(Piece {
                in0: 0.0,
                out0: 0.0,
                xv: 1.0,
                yv: 0.0,
                end: f64::INFINITY,
                end_price: U256::ZERO,
            });
        }
        curve
    }

    pub fn n_pieces(&self) -> usize {
        self.pieces.len()
    }

    /// Append the next piece; false when the curve is complete.
    fn extend(&mut self) -> bool {
        let (Some(w), Some(state)) = (self.walk.as_mut(), self.state.as_ref()) else {
            return false;
        };
        if w.done {
            return false;
        }
        let table = &state.table;
        let (in0, out0) = match self.pieces.last() {
            Some(p) => {
                let (o, _) = p.at(self.g, p.end);
                (p.end, o)
            }
            None => (0.0, 0.0),
        };
        // The flat tail piece that closes the curve, once the walk has ended.
        let flat = |in0: f64, out0: f64| Piece {
            in0,
            out0,
            xv: 1.0,
            yv: 0.0,
            end: f64::INFINITY,
            end_price: U256::ZERO,
        };
        loop {
            let limit_tick = if w.zero_for_one { MIN_TICK } else { MAX_TICK };
            let (boundary, next_idx) = if w.idx >= 0 && (w.idx as usize) < table.compressed.len() {
                (
                    table.compressed[w.idx as usize] * table.spacing,
                    Some(w.idx as usize),
                )
            } else {
                (limit_tick, None)
            };
            // The periphery's price limit (MIN+1 / MAX-1) ends the walk just inside the extreme ticks.
            let (end_price, at_limit) = {
                let p = sqrt_ratio_at_tick(boundary.clamp(MIN_TICK, MAX_TICK)).unwrap_or(w.price);
                let lim = V3State::default_limit(w.zero_for_one);
                if next_idx.is_none() || (w.zero_for_one && p < lim) || (!w.zero_for_one && p > lim)
                {
                    (lim, true)
                } else {
                    (p, false)
                }
            };
            let moves = if w.zero_for_one {
                end_price < w.price
            } else {
                end_price > w.price
            };
            let liq = w.liquidity;
            let mut produced = None;
            if liq > 0 && moves {
                let l = liq as f64;
                let p = to_f64(&w.price);
                let pe = to_f64(&end_price);
                let dp = if w.zero_for_one {
                    to_f64(&(w.price - end_price))
                } else {
                    to_f64(&(end_price - w.price))
                };
                let (xv, yv, len) = if w.zero_for_one {
                    // input token0: xv = L*Q96/P, yv = L*P/Q96; length = L*Q96*(P - Pe)/(P*Pe)/g
                    (
                        l * (Q96 / p),
                        l * (p / Q96),
                        l * (Q96 / p) * (dp / pe) / self.g,
                    )
                } else {
                    (l * (p / Q96), l * (Q96 / p), l * (dp / Q96) / self.g)
                };
                produced = Some(Piece {
                    in0,
                    out0,
                    xv,
                    yv,
                    end: in0 + len,
                    end_price,
                });
            }
            if at_limit {
                w.done = true;
            } else {
                // Cross the tick: its liquidityNet (sign by direction); an inconsistent state ends the curve.
                // Past a tick whose crossing the contract would revert on (LS/LA), no exact quote exists:
                // the curve ends there.
                let net = table.nets[next_idx.unwrap()];
                let (mag, down) = if net >= 0 {
                    (net as u128, w.zero_for_one)
                } else {
                    (net.unsigned_abs(), !w.zero_for_one)
                };
                let next = if down {
                    liq.checked_sub(mag)
                } else {
                    liq.checked_add(mag)
                };
                match next {
                    Some(v) => w.liquidity = v,
                    None => w.done = true,
                }
                w.price = end_price;
                w.idx += if w.zero_for_one { -1 } else { 1 };
            }
            if let Some(piece) = produced {
                self.pieces.push(piece);
                if w.done {
                    let (o, _) = piece.at(self.g, piece.end);
                    self.pieces.push(flat(piece.end, o));
                }
                return true;
            }
            if w.done {
                self.pieces.push(flat(in0, out0));
                return true;
            }
        }
    }

    /// (relaxed output, right-slope) at input x >= 0.
    pub fn at(&mut self, x: f64) -> (f64, f64) {
        while self.pieces.last().map(|p| p.end <= x).unwrap_or(true) {
            if !self.extend() {
                break;
            }
        }
        let i = self.pieces.partition_point(|p| p.in0 <= x);
        let piece = if i == 0 {
            &self.pieces[0]
        } else {
            &self.pieces[i - 1]
        };
        piece.at(self.g, x)
    }

    /// Index of the piece input x lies on (extending the curve as far as needed).
    pub fn piece_at(&mut self, x: f64) -> usize {
        self.at(x);
        let i = self.pieces.partition_point(|p| p.in0 <= x);
        i.saturating_sub(1)
    }

    pub fn first_piece(&self) -> Piece {
        self.pieces[0]
    }
}
