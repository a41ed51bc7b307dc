//! Route checks for the atomic multi-hop swap program.
//!
//! A route is a cycle of 2 to 4 hops that starts and ends in the same mint. The program executes the
//! hops in one transaction and fails the whole transaction unless the amount that comes back covers
//! the amount put in plus the caller's minimum profit. These checks are pure so they are tested
//! without a validator.

/// Most hops a route may have (more rarely pays for its compute and account-list size).
pub const MAX_HOPS: usize = 4;
/// Fewest hops that can form a cycle.
pub const MIN_HOPS: usize = 2;

/// One swap: from `mint_in` to `mint_out` through one pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    pub pool: [u8; 32],
    pub mint_in: [u8; 32],
    pub mint_out: [u8; 32],
}

/// Why a route or its result is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// Hop count outside `MIN_HOPS..=MAX_HOPS`.
    HopCount(usize),
    /// Hop `index` does not start where the previous hop ended.
    Disconnected { index: usize },
    /// The last hop does not return to the first hop's input mint.
    NotACycle,
    /// The same pool appears twice (its state would move under the route).
    RepeatedPool { index: usize },
    /// `amount_in + min_profit` overflows u64.
    Overflow,
    /// Came back with less than `amount_in + min_profit`.
    Unprofitable { amount_out: u64, required: u64 },
}

/// Checks that hops form a cycle of allowed length over distinct pools.
pub fn validate_route(hops: &[Hop]) -> Result<(), RouteError> {
    if !(MIN_HOPS..=MAX_HOPS).contains(&hops.len()) {
        return Err(RouteError::HopCount(hops.len()));
    }
    for (i, pair) in hops.windows(2).enumerate() {
        if pair[0].mint_out != pair[1].mint_in {
            return Err(RouteError::Disconnected { index: i + 1 });
        }
    }
    if hops[hops.len() - 1].mint_out != hops[0].mint_in {
        return Err(RouteError::NotACycle);
    }
    for i in 1..hops.len() {
        if hops[..i].iter().any(|h| h.pool == hops[i].pool) {
            return Err(RouteError::RepeatedPool { index: i });
        }
    }
    Ok(())
}

/// The profit guard: returns the profit, or an error if the cycle lost money or missed `min_profit`.
pub fn check_profit(amount_in: u64, amount_out: u64, min_profit: u64) -> Result<u64, RouteError> {
    let required = amount_in
        .checked_add(min_profit)
        .ok_or(RouteError::Overflow)?;
    if amount_out < required {
        return Err(RouteError::Unprofitable {
            amount_out,
            required,
        });
    }
    Ok(amount_out - amount_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> [u8; 32] {
        [b; 32]
    }

    fn hop(pool: u8, a: u8, b: u8) -> Hop {
        Hop {
            pool: key(pool),
            mint_in: key(a),
            mint_out: key(b),
        }
    }

    #[test]
    fn two_and_four_hop_cycles_are_valid() {
        assert_eq!(validate_route(&[hop(1, 1, 2), hop(2, 2, 1)]), Ok(()));
        let four = [hop(1, 1, 2), hop(2, 2, 3), hop(3, 3, 4), hop(4, 4, 1)];
        assert_eq!(validate_route(&four), Ok(()));
    }

    #[test]
    fn hop_count_is_bounded() {
        assert_eq!(
            validate_route(&[hop(1, 1, 1)]),
            Err(RouteError::HopCount(1))
        );
        let five = [
            hop(1, 1, 2),
            hop(2, 2, 3),
            hop(3, 3, 4),
            hop(4, 4, 5),
            hop(5, 5, 1),
        ];
        assert_eq!(validate_route(&five), Err(RouteError::HopCount(5)));
    }

    #[test]
    fn broken_and_open_routes_are_rejected() {
        assert_eq!(
            validate_route(&[hop(1, 1, 2), hop(2, 3, 1)]),
            Err(RouteError::Disconnected { index: 1 })
        );
        assert_eq!(
            validate_route(&[hop(1, 1, 2), hop(2, 2, 3)]),
            Err(RouteError::NotACycle)
        );
        assert_eq!(
            validate_route(&[hop(1, 1, 2), hop(1, 2, 1)]),
            Err(RouteError::RepeatedPool { index: 1 })
        );
    }

    #[test]
    fn profit_guard() {
        assert_eq!(check_profit(1_000, 1_010, 10), Ok(10));
        assert_eq!(
            check_profit(1_000, 1_009, 10),
            Err(RouteError::Unprofitable {
                amount_out: 1_009,
                required: 1_010
            })
        );
        assert_eq!(
            check_profit(u64::MAX, u64::MAX, 1),
            Err(RouteError::Overflow)
        );
    }
}
