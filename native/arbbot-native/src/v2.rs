//! Uniswap V2 (and forks with the fee as a parameter): UniswapV2Library.getAmountOut / getAmountIn, as
//! `arbbot.amm.uniswap_v2.UniswapV2Pool` computes them.

use crate::math::{narrow, u, widen as wide, R, U256, U512};

pub const BPS: u64 = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct V2State {
    pub reserve0: u128,
    pub reserve1: u128,
    pub fee_bps: u32, // 0..=10_000
}

impl V2State {
    #[inline]
    pub fn reserves(&self, zero_for_one: bool) -> (u128, u128) {
        if zero_for_one {
            (self.reserve0, self.reserve1)
        } else {
            (self.reserve1, self.reserve0)
        }
    }

    #[inline]
    pub fn gamma_num(&self) -> u64 {
        BPS - self.fee_bps as u64
    }

    pub fn quote_exact_in(&self, zero_for_one: bool, amount: U256) -> R<U256> {
        if amount.is_zero() {
            return Err("amount_in must be positive");
        }
        let (r_in, r_out) = self.reserves(zero_for_one);
        if r_in == 0 || r_out == 0 {
            return Err("empty reserves");
        }
        let g = self.gamma_num();
        if amount.bit_len() <= 128 {
            let with_fee = amount * U256::from(g); // < 2^142
            let den = u(r_in) * U256::from(BPS) + with_fee;
            if let Some(num) = with_fee.checked_mul(u(r_out)) {
                return Ok(num / den);
            }
            let num: U512 = with_fee.widening_mul(u(r_out));
            return narrow(num / wide(den)).ok_or("output overflows uint256");
        }
        let with_fee: U512 = amount.widening_mul(U256::from(g));
        let num = with_fee * wide(u(r_out));
        let den = wide(u(r_in)) * U512::from(BPS) + with_fee;
        narrow(num / den).ok_or("output overflows uint256")
    }

    /// The smallest input whose exact output is >= need (None: the pool cannot pay it).
    pub fn min_input(&self, zero_for_one: bool, need: U256) -> Option<U256> {
        let (r_in, r_out) = self.reserves(zero_for_one);
        let g = self.gamma_num();
        if need >= u(r_out) || g == 0 || r_in == 0 {
            return None;
        }
        // floor(u*g*r_out / (r_in*BPS + u*g)) >= need  <=>  u*g*(r_out - need) >= need*r_in*BPS
        let num = wide(need) * wide(u(r_in)) * U512::from(BPS);
        let den = U512::from(g) * wide(u(r_out) - need);
        let q = num.div_ceil(den);
        let q = if q.is_zero() { U512::from(1u64) } else { q };
        narrow(q)
    }
}
