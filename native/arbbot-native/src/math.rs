//! Uniswap V3's integer libraries (FullMath, TickMath, SqrtPriceMath, SwapMath) on 256-bit words, with
//! the contract's rounding and the same arithmetic path on overflow. Mirrors `arbbot.amm.uniswap_v3.*`
//! (the reference these functions are differential-tested against).

use ruint::Uint;

pub type U256 = Uint<256, 4>;
pub type U512 = Uint<512, 8>;

/// Why a pool refuses: the contract would revert (or the input is not a valid call).
pub type Revert = &'static str;
pub type R<T> = Result<T, Revert>;

pub const MIN_TICK: i32 = -887_272;
pub const MAX_TICK: i32 = 887_272;
pub const MIN_SQRT_RATIO: U256 = Uint::from_limbs([4_295_128_739, 0, 0, 0]);
// 1461446703485210103287273052203988822378723970342
pub const MAX_SQRT_RATIO: U256 =
    Uint::from_limbs([0x5d951d5263988d26, 0xefd1fc6a50648849, 0xfffd8963, 0]);
pub const Q96_SHIFT: usize = 96;
pub const MAX_U160: U256 = Uint::from_limbs([u64::MAX, u64::MAX, 0xffff_ffff, 0]);
pub const MAX_I256: U256 = Uint::from_limbs([u64::MAX, u64::MAX, u64::MAX, i64::MAX as u64]);

#[inline]
pub fn u(x: u128) -> U256 {
    Uint::from_limbs([x as u64, (x >> 64) as u64, 0, 0])
}

#[inline]
pub fn fits_u128(x: &U256) -> bool {
    let l = x.as_limbs();
    l[2] == 0 && l[3] == 0
}

#[inline]
pub fn low_u128(x: &U256) -> u128 {
    let l = x.as_limbs();
    (l[0] as u128) | ((l[1] as u128) << 64)
}

#[inline]
pub fn widen(x: U256) -> U512 {
    let l = x.as_limbs();
    Uint::from_limbs([l[0], l[1], l[2], l[3], 0, 0, 0, 0])
}

#[inline]
pub fn narrow(x: U512) -> Option<U256> {
    let l = x.as_limbs();
    if l[4] | l[5] | l[6] | l[7] != 0 {
        return None;
    }
    Some(Uint::from_limbs([l[0], l[1], l[2], l[3]]))
}

/// Lossy, for estimates only.
pub fn to_f64(x: &U256) -> f64 {
    let l = x.as_limbs();
    (l[0] as f64)
        + (l[1] as f64) * 18446744073709551616.0
        + (l[2] as f64) * 3.402823669209385e38
        + (l[3] as f64) * 6.277101735386681e57
}

// ------------------------------------------------------------------------------------------ FullMath

/// floor(a*b/d) and whether it had a remainder; reverts like FullMath.mulDiv.
#[inline]
pub fn mul_div_rem(a: U256, b: U256, d: U256) -> R<(U256, bool)> {
    if d.is_zero() {
        return Err("FullMath.mulDiv: division by zero");
    }
    // Fast path: the product fits 256 bits.
    if let Some(p) = a.checked_mul(b) {
        let (q, r) = p.div_rem(d);
        return Ok((q, !r.is_zero()));
    }
    let p: U512 = a.widening_mul(b);
    let (q, r) = p.div_rem(widen(d));
    match narrow(q) {
        Some(q) => Ok((q, !r.is_zero())),
        None => Err("FullMath.mulDiv: result overflows uint256"),
    }
}

#[inline]
pub fn mul_div(a: U256, b: U256, d: U256) -> R<U256> {
    mul_div_rem(a, b, d).map(|(q, _)| q)
}

#[inline]
pub fn mul_div_rounding_up(a: U256, b: U256, d: U256) -> R<U256> {
    let (q, rem) = mul_div_rem(a, b, d)?;
    if rem {
        if q == U256::MAX {
            return Err("FullMath.mulDivRoundingUp: result overflows uint256");
        }
        return Ok(q + U256::from(1u64));
    }
    Ok(q)
}

/// UnsafeMath.divRoundingUp (y == 0 gives 0, as the EVM's DIV does).
#[inline]
pub fn div_rounding_up(x: U256, y: U256) -> U256 {
    if y.is_zero() {
        return U256::ZERO;
    }
    let (q, r) = x.div_rem(y);
    if r.is_zero() {
        q
    } else {
        q + U256::from(1u64)
    }
}

// ------------------------------------------------------------------------------------------ TickMath

const FACTORS: [u128; 20] = [
    0xFFFCB933BD6FAD37AA2D162D1A594001,
    0xFFF97272373D413259A46990580E213A,
    0xFFF2E50F5F656932EF12357CF3C7FDCC,
    0xFFE5CACA7E10E4E61C3624EAA0941CD0,
    0xFFCB9843D60F6159C9DB58835C926644,
    0xFF973B41FA98C081472E6896DFB254C0,
    0xFF2EA16466C96A3843EC78B326B52861,
    0xFE5DEE046A99A2A811C461F1969C3053,
    0xFCBE86C7900A88AEDCFFC83B479AA3A4,
    0xF987A7253AC413176F2B074CF7815E54,
    0xF3392B0822B70005940C7A398E4B70F3,
    0xE7159475A2C29B7443B29C7FA6E889D9,
    0xD097F3BDFD2022B8845AD8F792AA5825,
    0xA9F746462D870FDF8A65DC1F90E061E5,
    0x70D869A156D2A1B890BB3DF62BAF32F7,
    0x31BE135F97D08FD981231505542FCFA6,
    0x9AA508B5B7A84E1C677DE54F3E99BC9,
    0x5D6AF8DEDB81196699C329225EE604,
    0x2216E584F5FA1EA926041BEDFE98,
    0x48A170391F7DC42444E8FA2,
];

#[inline]
fn mul_shift128(a: u128, b: u128) -> u128 {
    // (a * b) >> 128 for a, b < 2^128
    let (a0, a1) = (a as u64 as u128, a >> 64);
    let (b0, b1) = (b as u64 as u128, b >> 64);
    let lo = a0 * b0;
    let m1 = a0 * b1;
    let m2 = a1 * b0;
    let hi = a1 * b1;
    let mid = (lo >> 64) + (m1 as u64 as u128) + (m2 as u64 as u128);
    hi + (m1 >> 64) + (m2 >> 64) + (mid >> 64)
}

/// sqrt(1.0001^tick) * 2^96, exactly as TickMath.getSqrtRatioAtTick.
pub fn sqrt_ratio_at_tick(tick: i32) -> R<U256> {
    let abs = tick.unsigned_abs();
    if abs > MAX_TICK as u32 {
        return Err("TickMath: tick out of range ('T')");
    }
    // ratio < 2^128 after the first factor, except the initial 1 << 128 which the first multiply by a
    // factor f turns into f: so track "is exactly 2^128" separately.
    let mut ratio: u128;
    let mut one = false;
    if abs & 1 != 0 {
        ratio = FACTORS[0];
    } else {
        ratio = 0;
        one = true;
    }
    for (bit, f) in FACTORS.iter().enumerate().skip(1) {
        if abs & (1 << bit) != 0 {
            if one {
                ratio = *f;
                one = false;
            } else {
                ratio = mul_shift128(ratio, *f);
            }
        }
    }
    let r: U256 = if one {
        U256::from(1u64) << 128
    } else {
        u(ratio)
    };
    let r = if tick > 0 { U256::MAX / r } else { r };
    let low32 = r.as_limbs()[0] & 0xffff_ffff;
    Ok((r >> 32) + U256::from((low32 != 0) as u64))
}

/// The greatest tick whose ratio is <= price (TickMath.getTickAtSqrtRatio's definition).
pub fn tick_at_sqrt_ratio(price: U256) -> R<i32> {
    if price < MIN_SQRT_RATIO || price >= MAX_SQRT_RATIO {
        return Err("TickMath: sqrt price out of range ('R')");
    }
    let lg = to_f64(&price).ln() - 96.0 * std::f64::consts::LN_2;
    let mut guess = (2.0 * lg / 1.0001f64.ln()).floor() as i64;
    guess = guess.clamp(MIN_TICK as i64, (MAX_TICK - 1) as i64);
    let mut g = guess as i32;
    for _ in 0..4 {
        if sqrt_ratio_at_tick(g)? > price {
            g -= 1;
        } else if g < MAX_TICK && sqrt_ratio_at_tick(g + 1)? <= price {
            g += 1;
        } else {
            return Ok(g);
        }
    }
    let (mut lo, mut hi) = (MIN_TICK, MAX_TICK);
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if sqrt_ratio_at_tick(mid)? <= price {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

// ------------------------------------------------------------------------------------- SqrtPriceMath

pub fn next_sqrt_price_from_amount0_rounding_up(
    p: U256,
    liq: u128,
    amount: U256,
    add: bool,
) -> R<U256> {
    if amount.is_zero() {
        return Ok(p);
    }
    let numerator1 = u(liq) << Q96_SHIFT;
    let product = amount.checked_mul(p);
    if add {
        if let Some(product) = product {
            if let Some(denominator) = numerator1.checked_add(product) {
                return mul_div_rounding_up(numerator1, p, denominator);
            }
        }
        let second = (numerator1 / p)
            .checked_add(amount)
            .ok_or("LowGasSafeMath.add overflow")?;
        return Ok(div_rounding_up(numerator1, second));
    }
    let product = product.ok_or("SqrtPriceMath: amount0 out exceeds what the liquidity holds")?;
    if numerator1 <= product {
        return Err("SqrtPriceMath: amount0 out exceeds what the liquidity holds");
    }
    let r = mul_div_rounding_up(numerator1, p, numerator1 - product)?;
    if r > MAX_U160 {
        return Err("SafeCast.toUint160 overflow");
    }
    Ok(r)
}

pub fn next_sqrt_price_from_amount1_rounding_down(
    p: U256,
    liq: u128,
    amount: U256,
    add: bool,
) -> R<U256> {
    let l = u(liq);
    if add {
        let quotient = if amount <= MAX_U160 {
            (amount << Q96_SHIFT) / l
        } else {
            mul_div(amount, U256::from(1u64) << Q96_SHIFT, l)?
        };
        let result = p
            .checked_add(quotient)
            .ok_or("LowGasSafeMath.add overflow")?;
        if result > MAX_U160 {
            return Err("SafeCast.toUint160 overflow");
        }
        return Ok(result);
    }
    let quotient = if amount <= MAX_U160 {
        div_rounding_up(amount << Q96_SHIFT, l)
    } else {
        mul_div_rounding_up(amount, U256::from(1u64) << Q96_SHIFT, l)?
    };
    if p <= quotient {
        return Err("SqrtPriceMath: amount1 out exceeds what the liquidity holds");
    }
    Ok(p - quotient)
}

pub fn next_sqrt_price_from_input(
    p: U256,
    liq: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> R<U256> {
    if p.is_zero() || liq == 0 {
        return Err("SqrtPriceMath: zero price or liquidity");
    }
    if zero_for_one {
        next_sqrt_price_from_amount0_rounding_up(p, liq, amount_in, true)
    } else {
        next_sqrt_price_from_amount1_rounding_down(p, liq, amount_in, true)
    }
}

pub fn next_sqrt_price_from_output(
    p: U256,
    liq: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> R<U256> {
    if p.is_zero() || liq == 0 {
        return Err("SqrtPriceMath: zero price or liquidity");
    }
    if zero_for_one {
        next_sqrt_price_from_amount1_rounding_down(p, liq, amount_out, false)
    } else {
        next_sqrt_price_from_amount0_rounding_up(p, liq, amount_out, false)
    }
}

pub fn amount0_delta(a: U256, b: U256, liq: u128, round_up: bool) -> R<U256> {
    let (a, b) = if a > b { (b, a) } else { (a, b) };
    if a.is_zero() {
        return Err("SqrtPriceMath.getAmount0Delta: zero price");
    }
    let numerator1 = u(liq) << Q96_SHIFT;
    let numerator2 = b - a;
    if round_up {
        Ok(div_rounding_up(
            mul_div_rounding_up(numerator1, numerator2, b)?,
            a,
        ))
    } else {
        Ok(mul_div(numerator1, numerator2, b)? / a)
    }
}

pub fn amount1_delta(a: U256, b: U256, liq: u128, round_up: bool) -> R<U256> {
    let (a, b) = if a > b { (b, a) } else { (a, b) };
    let q96 = U256::from(1u64) << Q96_SHIFT;
    if round_up {
        mul_div_rounding_up(u(liq), b - a, q96)
    } else {
        mul_div(u(liq), b - a, q96)
    }
}

// ------------------------------------------------------------------------------------------ SwapMath

pub struct Step {
    pub sqrt_next: U256,
    pub amount_in: U256,
    pub amount_out: U256,
    pub fee_amount: U256,
}

/// SwapMath.computeSwapStep. `exact_in`: `remaining` is the input still to spend; otherwise the output
/// still owed (the contract's negative amountRemaining, as a magnitude).
pub fn compute_swap_step(
    current: U256,
    target: U256,
    liq: u128,
    remaining: U256,
    exact_in: bool,
    fee_pips: u32,
) -> R<Step> {
    let zero_for_one = current >= target;
    let fee = U256::from(fee_pips as u64);
    let fee_complement = U256::from(1_000_000u64 - fee_pips as u64);
    let million = U256::from(1_000_000u64);
    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    let sqrt_next;
    if exact_in {
        let remaining_less_fee = mul_div(remaining, fee_complement, million)?;
        amount_in = if zero_for_one {
            amount0_delta(target, current, liq, true)?
        } else {
            amount1_delta(current, target, liq, true)?
        };
        sqrt_next = if remaining_less_fee >= amount_in {
            target
        } else {
            next_sqrt_price_from_input(current, liq, remaining_less_fee, zero_for_one)?
        };
    } else {
        amount_out = if zero_for_one {
            amount1_delta(target, current, liq, false)?
        } else {
            amount0_delta(current, target, liq, false)?
        };
        sqrt_next = if remaining >= amount_out {
            target
        } else {
            next_sqrt_price_from_output(current, liq, remaining, zero_for_one)?
        };
    }
    // As SwapMath: an amount is recomputed unless the step reached the target on the side given.
    let reached = target == sqrt_next;
    if zero_for_one {
        if !(reached && exact_in) {
            amount_in = amount0_delta(sqrt_next, current, liq, true)?;
        }
        if !reached || exact_in {
            amount_out = amount1_delta(sqrt_next, current, liq, false)?;
        }
    } else {
        if !(reached && exact_in) {
            amount_in = amount1_delta(current, sqrt_next, liq, true)?;
        }
        if !reached || exact_in {
            amount_out = amount0_delta(current, sqrt_next, liq, false)?;
        }
    }
    if !exact_in && amount_out > remaining {
        amount_out = remaining;
    }
    let fee_amount = if exact_in && sqrt_next != target {
        // The rest of the input is kept as fee (the Python reference computes remaining - amount_in).
        remaining
            .checked_sub(amount_in)
            .ok_or("SwapMath: fee underflow")?
    } else {
        mul_div_rounding_up(amount_in, fee, fee_complement)?
    };
    Ok(Step {
        sqrt_next,
        amount_in,
        amount_out,
        fee_amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_math_endpoints() {
        assert_eq!(sqrt_ratio_at_tick(MIN_TICK).unwrap(), MIN_SQRT_RATIO);
        assert_eq!(sqrt_ratio_at_tick(MAX_TICK).unwrap(), MAX_SQRT_RATIO);
        assert_eq!(sqrt_ratio_at_tick(0).unwrap(), U256::from(1u64) << 96);
        assert!(sqrt_ratio_at_tick(MAX_TICK + 1).is_err());
        for t in [-500_000, -60, -1, 0, 1, 59, 123_456, 887_271] {
            let p = sqrt_ratio_at_tick(t).unwrap();
            assert_eq!(tick_at_sqrt_ratio(p).unwrap(), t);
            assert_eq!(tick_at_sqrt_ratio(p + U256::from(1u64)).unwrap(), t);
            assert_eq!(tick_at_sqrt_ratio(p - U256::from(1u64)).unwrap(), t - 1);
        }
    }

    #[test]
    fn mul_div_matches_wide_arithmetic() {
        let a = U256::MAX - U256::from(5u64);
        let b = U256::from(3u64);
        let d = U256::from(4u64);
        // (2^256 - 6) * 3 / 4 overflows nothing in the result
        let q = mul_div(a, b, d).unwrap();
        assert_eq!(q, (widen(a) * widen(b) / widen(d)).to::<U256>());
        assert!(mul_div(U256::MAX, U256::MAX, U256::from(1u64)).is_err());
        assert!(mul_div(U256::from(1u64), U256::from(1u64), U256::ZERO).is_err());
        assert_eq!(
            mul_div_rounding_up(U256::from(7u64), U256::from(1u64), U256::from(2u64)).unwrap(),
            U256::from(4u64)
        );
    }
}
