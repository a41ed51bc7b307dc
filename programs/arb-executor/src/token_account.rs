//! Reads SPL Token accounts straight from account data, after checking the token program owns them
//! (data in an account owned by anyone else is not a token account, whatever it looks like), and
//! keeps the before-image of the route's token accounts that every hop is checked against.

use anchor_lang::prelude::*;

use crate::ArbError;

/// The SPL Token program.
pub const TOKEN_PROGRAM_ID: Pubkey = pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/// Token-2022: refused everywhere (its extensions — transfer hooks, fees, permanent delegates —
/// would move or hold tokens outside what this program measures).
pub const TOKEN_2022_PROGRAM_ID: Pubkey = pubkey!("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
pub const SYSTEM_PROGRAM_ID: Pubkey = pubkey!("11111111111111111111111111111111");

/// SPL Token account layout (spl-token `state::Account`, packed).
pub const LEN: usize = 165;
pub const MINT: usize = 0;
pub const OWNER: usize = 32;
pub const AMOUNT: usize = 64;
/// `COption<Pubkey>`: 4-byte tag (0 none, 1 some) then the key.
pub const DELEGATE: usize = 72;
pub const STATE: usize = 108;
/// `COption<u64>`: the rent-exempt reserve of a wrapped-SOL account.
pub const IS_NATIVE: usize = 109;
pub const DELEGATED_AMOUNT: usize = 121;
pub const CLOSE_AUTHORITY: usize = 129;
/// `AccountState::Initialized`; 0 is uninitialised, 2 frozen.
pub const STATE_INITIALIZED: u8 = 1;

/// SPL Token mint layout: `mint_authority` and `freeze_authority` are `COption<Pubkey>`.
pub const MINT_LEN: usize = 82;
pub const MINT_AUTHORITY: usize = 0;
pub const FREEZE_AUTHORITY: usize = 46;
/// SPL Token multisig layout: `m`, `n`, `is_initialized`, then 11 signer keys.
pub const MULTISIG_LEN: usize = 355;
pub const MULTISIG_N: usize = 1;
pub const MULTISIG_SIGNERS: usize = 3;

/// The fields a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenState {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
}

pub(crate) fn pubkey_at(data: &[u8], offset: usize) -> Pubkey {
    let mut b = [0u8; 32];
    b.copy_from_slice(&data[offset..offset + 32]);
    Pubkey::new_from_array(b)
}

pub(crate) fn u64_at(data: &[u8], offset: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[offset..offset + 8]);
    u64::from_le_bytes(b)
}

/// The key of a `COption<Pubkey>` field, if set.
fn coption_key(data: &[u8], offset: usize) -> Option<Pubkey> {
    (data[offset..offset + 4] != [0; 4]).then(|| pubkey_at(data, offset + 4))
}

/// Checks the account is held by SPL Token (Token-2022 named as such).
pub fn check_token_owner(info: &AccountInfo) -> Result<()> {
    require_keys_neq!(
        *info.owner,
        TOKEN_2022_PROGRAM_ID,
        ArbError::Token2022NotSupported
    );
    require_keys_eq!(
        *info.owner,
        TOKEN_PROGRAM_ID,
        ArbError::TokenAccountNotOwnedByTokenProgram
    );
    Ok(())
}

/// Decodes a live SPL Token account.
pub fn read(info: &AccountInfo) -> Result<TokenState> {
    check_token_owner(info)?;
    let data = info.try_borrow_data()?;
    require!(
        data.len() == LEN && data[STATE] == STATE_INITIALIZED,
        ArbError::InvalidTokenAccount
    );
    Ok(TokenState {
        mint: pubkey_at(&data, MINT),
        owner: pubkey_at(&data, OWNER),
        amount: u64_at(&data, AMOUNT),
    })
}

/// Decodes a token account and checks it belongs to `authority` and holds `mint`.
pub fn read_owned(info: &AccountInfo, authority: &Pubkey, mint: &Pubkey) -> Result<TokenState> {
    let t = read(info)?;
    require_keys_eq!(t.owner, *authority, ArbError::TokenOwnerMismatch);
    require_keys_eq!(t.mint, *mint, ArbError::MintMismatch);
    Ok(t)
}

/// Whether `authority`'s signature can move or control this SPL Token-owned account: a token
/// account it owns, is delegate of or may close; a mint it may mint or freeze; a multisig it signs for.
pub fn controlled_by(info: &AccountInfo, authority: &Pubkey) -> Result<bool> {
    let data = info.try_borrow_data()?;
    let is = |k: Option<Pubkey>| k.as_ref() == Some(authority);
    Ok(match data.len() {
        LEN => {
            pubkey_at(&data, OWNER) == *authority
                || is(coption_key(&data, DELEGATE))
                || is(coption_key(&data, CLOSE_AUTHORITY))
        }
        MINT_LEN => {
            is(coption_key(&data, MINT_AUTHORITY)) || is(coption_key(&data, FREEZE_AUTHORITY))
        }
        MULTISIG_LEN => {
            let n = usize::from(data[MULTISIG_N]).min(11);
            (0..n).any(|i| pubkey_at(&data, MULTISIG_SIGNERS + 32 * i) == *authority)
        }
        _ => false,
    })
}

/// A route token account as it was before the first hop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub key: Pubkey,
    pub lamports: u64,
    pub data: [u8; LEN],
}

impl Snapshot {
    /// Takes the before-image of a token account `read` has accepted.
    pub fn take(info: &AccountInfo) -> Result<Self> {
        read(info)?;
        let mut data = [0u8; LEN];
        data.copy_from_slice(&info.try_borrow_data()?);
        Ok(Self {
            key: *info.key,
            lamports: info.lamports(),
            data,
        })
    }

    pub fn amount(&self) -> u64 {
        u64_at(&self.data, AMOUNT)
    }

    fn is_native(&self) -> bool {
        self.data[IS_NATIVE..IS_NATIVE + 4] != [0; 4]
    }

    /// Checks everything but the balance is as it was, and returns the current balance. Each field
    /// that may change is named by its own error; a closed, reassigned or re-created account (other
    /// owner program, size, mint or native flag) is `TokenAccountClosed`.
    pub fn intact(&self, info: &AccountInfo) -> Result<u64> {
        require!(
            *info.owner == TOKEN_PROGRAM_ID && info.lamports() > 0,
            ArbError::TokenAccountClosed
        );
        let data = info.try_borrow_data()?;
        require!(data.len() == LEN, ArbError::TokenAccountClosed);
        let same = |range: std::ops::Range<usize>| data[range.clone()] == self.data[range];
        require!(
            same(MINT..OWNER) && same(IS_NATIVE..DELEGATED_AMOUNT),
            ArbError::TokenAccountClosed
        );
        require!(same(OWNER..AMOUNT), ArbError::TokenOwnerChanged);
        require!(
            same(DELEGATE..STATE) && same(DELEGATED_AMOUNT..CLOSE_AUTHORITY),
            ArbError::DelegateChanged
        );
        require!(same(CLOSE_AUTHORITY..LEN), ArbError::CloseAuthorityChanged);
        require!(same(STATE..STATE + 1), ArbError::TokenStateChanged);
        let amount = u64_at(&data, AMOUNT);
        // A wrapped-SOL account's lamports are its balance plus a fixed reserve; any other
        // account's lamports never move with a transfer.
        let lamports_ok = if self.is_native() {
            info.lamports().checked_sub(amount) == self.lamports.checked_sub(self.amount())
        } else {
            info.lamports() == self.lamports
        };
        require!(lamports_ok, ArbError::TokenLamportsChanged);
        Ok(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(owner: &Pubkey, amount: u64) -> [u8; LEN] {
        let mut d = [0u8; LEN];
        d[MINT..MINT + 32].copy_from_slice(&[9; 32]);
        d[OWNER..OWNER + 32].copy_from_slice(owner.as_ref());
        d[AMOUNT..AMOUNT + 8].copy_from_slice(&amount.to_le_bytes());
        d[STATE] = STATE_INITIALIZED;
        d
    }

    fn set_key(d: &mut [u8], offset: usize, key: &Pubkey) {
        d[offset..offset + 4].copy_from_slice(&1u32.to_le_bytes());
        d[offset + 4..offset + 36].copy_from_slice(key.as_ref());
    }

    /// `intact` of the account after `change`, against its image before.
    fn after(native: bool, change: impl FnOnce(&mut [u8], &mut u64, &mut Pubkey)) -> Result<u64> {
        let (key, user) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut data = account(&user, 1_000);
        let mut lamports = 2_039_280;
        if native {
            data[IS_NATIVE..IS_NATIVE + 4].copy_from_slice(&1u32.to_le_bytes());
            data[IS_NATIVE + 4..IS_NATIVE + 12].copy_from_slice(&2_039_280u64.to_le_bytes());
            lamports += 1_000;
        }
        let mut owner = TOKEN_PROGRAM_ID;
        let info = AccountInfo::new(
            &key,
            false,
            true,
            &mut lamports,
            &mut data,
            &owner,
            false,
            0,
        );
        let snap = Snapshot::take(&info)?;
        drop(info);
        let mut d = snap.data;
        let mut l = snap.lamports;
        change(&mut d, &mut l, &mut owner);
        let info = AccountInfo::new(&key, false, true, &mut l, &mut d, &owner, false, 0);
        snap.intact(&info)
    }

    fn err(r: Result<u64>) -> u32 {
        match r.unwrap_err() {
            Error::AnchorError(a) => a.error_code_number,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn intact_names_each_change() {
        let thief = Pubkey::new_unique();
        assert_eq!(after(false, |_, _, _| {}).unwrap(), 1_000);
        assert_eq!(
            after(false, |d, _, _| d[AMOUNT..AMOUNT + 8]
                .copy_from_slice(&5u64.to_le_bytes()))
            .unwrap(),
            5,
            "the balance alone may move"
        );
        let cases: Vec<(Box<dyn FnOnce(&mut [u8], &mut u64, &mut Pubkey)>, ArbError)> = vec![
            (
                Box::new(|d, _, _| d[OWNER..OWNER + 32].copy_from_slice(thief.as_ref())),
                ArbError::TokenOwnerChanged,
            ),
            (
                Box::new(|d, _, _| set_key(d, DELEGATE, &thief)),
                ArbError::DelegateChanged,
            ),
            (
                Box::new(|d, _, _| d[DELEGATED_AMOUNT] = 1),
                ArbError::DelegateChanged,
            ),
            (
                Box::new(|d, _, _| set_key(d, CLOSE_AUTHORITY, &thief)),
                ArbError::CloseAuthorityChanged,
            ),
            (
                Box::new(|d, _, _| d[STATE] = 2),
                ArbError::TokenStateChanged,
            ),
            (Box::new(|_, l, _| *l += 1), ArbError::TokenLamportsChanged),
            (Box::new(|_, l, _| *l = 0), ArbError::TokenAccountClosed),
            (
                Box::new(|_, _, o| *o = SYSTEM_PROGRAM_ID),
                ArbError::TokenAccountClosed,
            ),
            (
                Box::new(|d, _, _| d[MINT] ^= 1),
                ArbError::TokenAccountClosed,
            ),
            (
                Box::new(|d, _, _| d[IS_NATIVE] = 1),
                ArbError::TokenAccountClosed,
            ),
        ];
        for (change, expected) in cases {
            assert_eq!(
                err(after(false, change)),
                u32::from(expected),
                "{expected:?}"
            );
        }
    }

    #[test]
    fn native_account_lamports_follow_the_balance() {
        let moved = |d: &mut [u8], l: &mut u64, delta: i64| {
            let amount = u64_at(d, AMOUNT).checked_add_signed(delta).unwrap();
            d[AMOUNT..AMOUNT + 8].copy_from_slice(&amount.to_le_bytes());
            *l = l.checked_add_signed(delta).unwrap();
        };
        assert_eq!(after(true, |d, l, _| moved(d, l, 400)).unwrap(), 1_400);
        assert_eq!(after(true, |d, l, _| moved(d, l, -600)).unwrap(), 400);
        // Lamports taken beside the balance (the rent reserve) are not a transfer.
        assert_eq!(
            err(after(true, |d, l, _| {
                moved(d, l, -600);
                *l -= 1;
            })),
            u32::from(ArbError::TokenLamportsChanged)
        );
    }

    #[test]
    fn controlled_by_reads_accounts_mints_and_multisigs() {
        let (key, owner, user) = (Pubkey::new_unique(), TOKEN_PROGRAM_ID, Pubkey::new_unique());
        let check = |mut data: Vec<u8>| {
            let mut lamports = 1;
            let info = AccountInfo::new(
                &key,
                false,
                false,
                &mut lamports,
                &mut data,
                &owner,
                false,
                0,
            );
            controlled_by(&info, &user).unwrap()
        };
        let stranger = Pubkey::new_unique();
        assert!(check(account(&user, 0).to_vec()));
        assert!(!check(account(&stranger, 0).to_vec()));
        let mut d = account(&stranger, 0);
        set_key(&mut d, DELEGATE, &user);
        assert!(check(d.to_vec()));
        let mut d = account(&stranger, 0);
        set_key(&mut d, CLOSE_AUTHORITY, &user);
        assert!(check(d.to_vec()));
        let mut mint = vec![0u8; MINT_LEN];
        set_key(&mut mint, MINT_AUTHORITY, &stranger);
        assert!(!check(mint.clone()));
        set_key(&mut mint, FREEZE_AUTHORITY, &user);
        assert!(check(mint));
        let mut ms = vec![0u8; MULTISIG_LEN];
        ms[MULTISIG_N] = 2;
        ms[MULTISIG_SIGNERS + 32..MULTISIG_SIGNERS + 64].copy_from_slice(user.as_ref());
        assert!(check(ms.clone()));
        ms[MULTISIG_N] = 1; // only the first signer counts
        assert!(!check(ms));
    }
}
