//! Token-swap constant-product curve with fees, integer-exact (u128, checked).

use crate::state::Fees;

/// What a swap moves: `source_amount_swapped` (fees included) goes in, `destination_amount_swapped`
/// comes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapResult {
    pub source_amount_swapped: u128,
    pub destination_amount_swapped: u128,
    pub trade_fee: u128,
    pub owner_fee: u128,
}

/// Fee on `amount`: floor(amount * num / den), at least 1 when the fee rate and amount are non-zero.
pub fn calculate_fee(amount: u128, numerator: u128, denominator: u128) -> Option<u128> {
    if numerator == 0 || amount == 0 {
        return Some(0);
    }
    let fee = amount.checked_mul(numerator)?.checked_div(denominator)?;
    Some(if fee == 0 { 1 } else { fee })
}

/// Ceiling division that also returns the divisor adjusted to the rounded-up quotient; `None` when the
/// quotient would be zero (a tiny pool divided by a huge input).
pub fn checked_ceil_div(dividend: u128, mut divisor: u128) -> Option<(u128, u128)> {
    let mut quotient = dividend.checked_div(divisor)?;
    if quotient == 0 {
        return None;
    }
    if dividend.checked_rem(divisor)? > 0 {
        quotient = quotient.checked_add(1)?;
        divisor = dividend.checked_div(quotient)?;
        if dividend.checked_rem(quotient)? > 0 {
            divisor = divisor.checked_add(1)?;
        }
    }
    Some((quotient, divisor))
}

/// Swap `source_amount` against reserves (`swap_source_amount`, `swap_destination_amount`).
pub fn swap(
    source_amount: u128,
    swap_source_amount: u128,
    swap_destination_amount: u128,
    fees: &Fees,
) -> Option<SwapResult> {
    let trade_fee = calculate_fee(
        source_amount,
        u128::from(fees.trade_fee_numerator),
        u128::from(fees.trade_fee_denominator),
    )?;
    let owner_fee = calculate_fee(
        source_amount,
        u128::from(fees.owner_trade_fee_numerator),
        u128::from(fees.owner_trade_fee_denominator),
    )?;
    let total_fees = trade_fee.checked_add(owner_fee)?;
    let source_less_fees = source_amount.checked_sub(total_fees)?;

    let invariant = swap_source_amount.checked_mul(swap_destination_amount)?;
    let new_source = swap_source_amount.checked_add(source_less_fees)?;
    let (new_destination, new_source) = checked_ceil_div(invariant, new_source)?;
    let source_swapped = new_source.checked_sub(swap_source_amount)?;
    let destination_swapped = swap_destination_amount.checked_sub(new_destination)?;
    if destination_swapped == 0 {
        return None;
    }
    Some(SwapResult {
        source_amount_swapped: source_swapped.checked_add(total_fees)?,
        destination_amount_swapped: destination_swapped,
        trade_fee,
        owner_fee,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fees(trade: u64, owner: u64) -> Fees {
        Fees {
            trade_fee_numerator: trade,
            trade_fee_denominator: 10_000,
            owner_trade_fee_numerator: owner,
            owner_trade_fee_denominator: 10_000,
            ..Fees::default()
        }
    }

    #[test]
    fn fee_rounds_down_but_never_to_zero() {
        assert_eq!(calculate_fee(1_000, 25, 10_000), Some(2));
        assert_eq!(calculate_fee(10, 25, 10_000), Some(1));
        assert_eq!(calculate_fee(0, 25, 10_000), Some(0));
        assert_eq!(calculate_fee(10, 0, 10_000), Some(0));
    }

    #[test]
    fn ceil_div_adjusts_divisor() {
        assert_eq!(checked_ceil_div(10, 3), Some((4, 3)));
        assert_eq!(checked_ceil_div(10, 5), Some((2, 5)));
        assert_eq!(checked_ceil_div(1, 5), None);
    }

    #[test]
    fn constant_product_with_fees() {
        // 1_000_000 in against 1e9/1e9 with 0.25% + 0.05%: fees 2_500 + 500, 997_000 swapped in.
        let r = swap(1_000_000, 1_000_000_000, 1_000_000_000, &fees(25, 5)).unwrap();
        assert_eq!(r.trade_fee, 2_500);
        assert_eq!(r.owner_fee, 500);
        // invariant 1e18 / (1e9 + 997_000) = 999_003_993.02 → ceil 999_003_994; out = 996_006.
        assert_eq!(r.destination_amount_swapped, 996_006);
        assert_eq!(r.source_amount_swapped, 1_000_000);
        let k_before = 1_000_000_000u128 * 1_000_000_000;
        let k_after = (1_000_000_000 + r.source_amount_swapped - 3_000)
            * (1_000_000_000 - r.destination_amount_swapped);
        assert!(k_after >= k_before);
    }

    #[test]
    fn output_that_rounds_to_nothing_fails() {
        assert_eq!(swap(1, 1_000_000, 1_000, &fees(0, 0)), None);
    }
}
