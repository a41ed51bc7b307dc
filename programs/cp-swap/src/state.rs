//! Pool state in the SPL token-swap `SwapVersion::SwapV1` layout (324 bytes, little-endian).
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | version (1) |
//! | 1 | 1 | is_initialized |
//! | 2 | 1 | bump_seed |
//! | 3 | 32 | token_program_id |
//! | 35 | 32 | token_a (vault) |
//! | 67 | 32 | token_b (vault) |
//! | 99 | 32 | pool_mint |
//! | 131 | 32 | token_a_mint |
//! | 163 | 32 | token_b_mint |
//! | 195 | 32 | pool_fee_account |
//! | 227 | 64 | fees: 8 × u64 |
//! | 291 | 1 | curve_type (0 = constant product) |
//! | 292 | 32 | curve parameters |

use solana_program::pubkey::Pubkey;

pub const LEN: usize = 324;
pub const VERSION: usize = 0;
pub const IS_INITIALIZED: usize = 1;
pub const BUMP_SEED: usize = 2;
pub const TOKEN_PROGRAM_ID: usize = 3;
pub const TOKEN_A: usize = 35;
pub const TOKEN_B: usize = 67;
pub const POOL_MINT: usize = 99;
pub const TOKEN_A_MINT: usize = 131;
pub const TOKEN_B_MINT: usize = 163;
pub const POOL_FEE_ACCOUNT: usize = 195;
pub const FEES: usize = 227;
pub const CURVE_TYPE: usize = 291;
pub const CURVE_PARAMETERS: usize = 292;
/// The only version byte this layout describes.
pub const LATEST_VERSION: u8 = 1;
/// `curve_type` of the constant-product curve.
pub const CONSTANT_PRODUCT: u8 = 0;

/// Fee rates as numerator/denominator pairs, in layout order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fees {
    pub trade_fee_numerator: u64,
    pub trade_fee_denominator: u64,
    pub owner_trade_fee_numerator: u64,
    pub owner_trade_fee_denominator: u64,
    pub owner_withdraw_fee_numerator: u64,
    pub owner_withdraw_fee_denominator: u64,
    pub host_fee_numerator: u64,
    pub host_fee_denominator: u64,
}

impl Fees {
    fn as_array(&self) -> [u64; 8] {
        [
            self.trade_fee_numerator,
            self.trade_fee_denominator,
            self.owner_trade_fee_numerator,
            self.owner_trade_fee_denominator,
            self.owner_withdraw_fee_numerator,
            self.owner_withdraw_fee_denominator,
            self.host_fee_numerator,
            self.host_fee_denominator,
        ]
    }

    fn from_array(v: [u64; 8]) -> Self {
        Fees {
            trade_fee_numerator: v[0],
            trade_fee_denominator: v[1],
            owner_trade_fee_numerator: v[2],
            owner_trade_fee_denominator: v[3],
            owner_withdraw_fee_numerator: v[4],
            owner_withdraw_fee_denominator: v[5],
            host_fee_numerator: v[6],
            host_fee_denominator: v[7],
        }
    }
}

/// Decoded pool state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapV1 {
    pub is_initialized: bool,
    pub bump_seed: u8,
    pub token_program_id: Pubkey,
    pub token_a: Pubkey,
    pub token_b: Pubkey,
    pub pool_mint: Pubkey,
    pub token_a_mint: Pubkey,
    pub token_b_mint: Pubkey,
    pub pool_fee_account: Pubkey,
    pub fees: Fees,
    pub curve_type: u8,
    pub curve_parameters: [u8; 32],
}

fn pubkey_at(data: &[u8], offset: usize) -> Pubkey {
    let mut b = [0u8; 32];
    b.copy_from_slice(&data[offset..offset + 32]);
    Pubkey::new_from_array(b)
}

impl SwapV1 {
    /// Decodes a pool account; `None` unless it is exactly `LEN` bytes of version 1.
    pub fn unpack(data: &[u8]) -> Option<Self> {
        if data.len() != LEN || data[VERSION] != LATEST_VERSION {
            return None;
        }
        let mut fees = [0u64; 8];
        for (i, f) in fees.iter_mut().enumerate() {
            let o = FEES + 8 * i;
            *f = u64::from_le_bytes(data[o..o + 8].try_into().ok()?);
        }
        let mut curve_parameters = [0u8; 32];
        curve_parameters.copy_from_slice(&data[CURVE_PARAMETERS..LEN]);
        Some(SwapV1 {
            is_initialized: data[IS_INITIALIZED] == 1,
            bump_seed: data[BUMP_SEED],
            token_program_id: pubkey_at(data, TOKEN_PROGRAM_ID),
            token_a: pubkey_at(data, TOKEN_A),
            token_b: pubkey_at(data, TOKEN_B),
            pool_mint: pubkey_at(data, POOL_MINT),
            token_a_mint: pubkey_at(data, TOKEN_A_MINT),
            token_b_mint: pubkey_at(data, TOKEN_B_MINT),
            pool_fee_account: pubkey_at(data, POOL_FEE_ACCOUNT),
            fees: Fees::from_array(fees),
            curve_type: data[CURVE_TYPE],
            curve_parameters,
        })
    }

    /// Encodes the pool into its 324-byte account image.
    pub fn pack(&self) -> [u8; LEN] {
        let mut d = [0u8; LEN];
        d[VERSION] = LATEST_VERSION;
        d[IS_INITIALIZED] = u8::from(self.is_initialized);
        d[BUMP_SEED] = self.bump_seed;
        for (offset, key) in [
            (TOKEN_PROGRAM_ID, &self.token_program_id),
            (TOKEN_A, &self.token_a),
            (TOKEN_B, &self.token_b),
            (POOL_MINT, &self.pool_mint),
            (TOKEN_A_MINT, &self.token_a_mint),
            (TOKEN_B_MINT, &self.token_b_mint),
            (POOL_FEE_ACCOUNT, &self.pool_fee_account),
        ] {
            d[offset..offset + 32].copy_from_slice(key.as_ref());
        }
        for (i, f) in self.fees.as_array().iter().enumerate() {
            d[FEES + 8 * i..FEES + 8 * i + 8].copy_from_slice(&f.to_le_bytes());
        }
        d[CURVE_TYPE] = self.curve_type;
        d[CURVE_PARAMETERS..LEN].copy_from_slice(&self.curve_parameters);
        d
    }
}

/// The pool's signing authority: `create_program_address([pool, [bump]], program)`.
pub fn authority(program_id: &Pubkey, pool: &Pubkey, bump_seed: u8) -> Option<Pubkey> {
    Pubkey::create_program_address(&[pool.as_ref(), &[bump_seed]], program_id).ok()
}

/// Finds the pool authority and its bump for a new pool.
pub fn find_authority(program_id: &Pubkey, pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[pool.as_ref()], program_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_and_offsets() {
        let s = SwapV1 {
            is_initialized: true,
            bump_seed: 254,
            token_program_id: Pubkey::new_from_array([1; 32]),
            token_a: Pubkey::new_from_array([2; 32]),
            token_b: Pubkey::new_from_array([3; 32]),
            pool_mint: Pubkey::new_from_array([4; 32]),
            token_a_mint: Pubkey::new_from_array([5; 32]),
            token_b_mint: Pubkey::new_from_array([6; 32]),
            pool_fee_account: Pubkey::new_from_array([7; 32]),
            fees: Fees {
                trade_fee_numerator: 25,
                trade_fee_denominator: 10_000,
                ..Fees::default()
            },
            curve_type: CONSTANT_PRODUCT,
            curve_parameters: [0; 32],
        };
        let d = s.pack();
        assert_eq!(d[0], 1);
        assert_eq!(d[TOKEN_A_MINT], 5);
        assert_eq!(d[POOL_FEE_ACCOUNT + 31], 7);
        assert_eq!(
            u64::from_le_bytes(d[FEES..FEES + 8].try_into().unwrap()),
            25
        );
        assert_eq!(SwapV1::unpack(&d), Some(s));
        assert_eq!(SwapV1::unpack(&d[..LEN - 1]), None);
    }
}
