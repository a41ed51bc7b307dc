//! Reads SPL Token and Token-2022 accounts straight from account data, after checking a token program
//! owns them (data in an account owned by anyone else is not a token account, whatever it looks
//! like), and keeps the before-image of the route's token accounts that every hop is checked against.
//!
//! Token-2022 accounts share the SPL Token base layout (165 bytes); past it comes an account-type byte
//! and the extensions as type–length–value records. Only extensions that cannot move or hold a
//! route's tokens outside what the program measures are accepted (`ACCOUNT_EXTENSIONS_ALLOWED`,
//! `MINT_EXTENSIONS_ALLOWED`); a transfer hook (runs a program of the mint's choosing inside every
//! transfer), a permanent delegate (may move any holder's balance), confidential transfers (balances
//! outside `amount`), non-transferable and default-frozen mints, CPI guard and memo-required accounts
//! are refused by name.

use anchor_lang::prelude::*;

use crate::ArbError;

/// The SPL Token program.
pub const TOKEN_PROGRAM_ID: Pubkey = pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/// Token-2022: accepted only in hops whose venue moves tokens through it, with the extensions below.
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

/// Token-2022: the account-type byte after the base layout (mints are padded to `LEN` first).
pub const ACCOUNT_TYPE: usize = LEN;
pub const ACCOUNT_TYPE_MINT: u8 = 1;
pub const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
/// First type–length–value record: `type u16 ‖ length u16 ‖ value`.
pub const TLV_START: usize = LEN + 1;

/// Token-2022 extension types (spl-token-2022 `ExtensionType`, `repr(u16)`).
pub mod extension {
    pub const TRANSFER_FEE_CONFIG: u16 = 1;
    pub const TRANSFER_FEE_AMOUNT: u16 = 2;
    pub const MINT_CLOSE_AUTHORITY: u16 = 3;
    pub const CONFIDENTIAL_TRANSFER_MINT: u16 = 4;
    pub const DEFAULT_ACCOUNT_STATE: u16 = 6;
    pub const IMMUTABLE_OWNER: u16 = 7;
    pub const MEMO_TRANSFER: u16 = 8;
    pub const NON_TRANSFERABLE: u16 = 9;
    pub const CPI_GUARD: u16 = 11;
    pub const PERMANENT_DELEGATE: u16 = 12;
    pub const TRANSFER_HOOK: u16 = 14;
    pub const TRANSFER_HOOK_ACCOUNT: u16 = 15;
    pub const METADATA_POINTER: u16 = 18;
    pub const TOKEN_METADATA: u16 = 19;
    pub const GROUP_POINTER: u16 = 20;
    pub const TOKEN_GROUP: u16 = 21;
    pub const GROUP_MEMBER_POINTER: u16 = 22;
    pub const TOKEN_GROUP_MEMBER: u16 = 23;
}

/// Extensions a route token account may carry: the withheld-fee counter a transfer-fee mint's
/// accounts need, and the immutable owner associated token accounts get.
pub const ACCOUNT_EXTENSIONS_ALLOWED: [u16; 2] =
    [extension::TRANSFER_FEE_AMOUNT, extension::IMMUTABLE_OWNER];
/// Extensions a route mint may carry: transfer fees (deducted by the token program, measured by the
/// route like any other shortfall), and descriptive or supply-time ones that never touch a transfer.
pub const MINT_EXTENSIONS_ALLOWED: [u16; 7] = [
    extension::TRANSFER_FEE_CONFIG,
    extension::MINT_CLOSE_AUTHORITY,
    extension::METADATA_POINTER,
    extension::TOKEN_METADATA,
    extension::GROUP_POINTER,
    extension::TOKEN_GROUP,
    extension::GROUP_MEMBER_POINTER,
];

/// The type–length–value records of a Token-2022 account or mint with extensions: `(type, value
/// range)`, in order. `None` if the records overrun the data.
pub fn extensions(data: &[u8]) -> Option<Vec<(u16, std::ops::Range<usize>)>> {
    let mut out = Vec::new();
    let mut at = TLV_START;
    while at + 4 <= data.len() {
        let ty = u16::from_le_bytes([data[at], data[at + 1]]);
        if ty == 0 {
            break; // uninitialised: the records end here
        }
        let len = usize::from(u16::from_le_bytes([data[at + 2], data[at + 3]]));
        let value = at + 4..at + 4 + len;
        if value.end > data.len() {
            return None;
        }
        out.push((ty, value.clone()));
        at = value.end;
    }
    Some(out)
}

/// Checks a Token-2022 account's data is a token account (base layout, or base + account type +
/// records) whose extensions are all in `ACCOUNT_EXTENSIONS_ALLOWED`.
fn check_account_2022(data: &[u8]) -> Result<()> {
    if data.len() == LEN {
        return Ok(());
    }
    require!(
        data.len() > LEN && data[ACCOUNT_TYPE] == ACCOUNT_TYPE_ACCOUNT,
        ArbError::InvalidTokenAccount
    );
    let records = extensions(data).ok_or(ArbError::InvalidTokenAccount)?;
    for (ty, _) in records {
        if !ACCOUNT_EXTENSIONS_ALLOWED.contains(&ty) {
            msg!("Token-2022 account extension {} refused", ty);
            return err!(ArbError::Token2022ExtensionRefused);
        }
    }
    Ok(())
}

/// Checks a route mint: SPL Token mints pass; a Token-2022 mint must be initialised and carry only
/// `MINT_EXTENSIONS_ALLOWED` (no transfer hook, permanent delegate, confidential transfers, ...).
pub fn check_mint(info: &AccountInfo) -> Result<()> {
    if *info.owner == TOKEN_PROGRAM_ID {
        return Ok(());
    }
    require_keys_eq!(
        *info.owner,
        TOKEN_2022_PROGRAM_ID,
        ArbError::TokenAccountNotOwnedByTokenProgram
    );
    let data = info.try_borrow_data()?;
    const IS_INITIALIZED: usize = 45;
    require!(
        data.len() >= MINT_LEN && data[IS_INITIALIZED] == 1,
        ArbError::InvalidTokenAccount
    );
    if data.len() == MINT_LEN {
        return Ok(());
    }
    require!(
        data.len() > LEN && data[ACCOUNT_TYPE] == ACCOUNT_TYPE_MINT,
        ArbError::InvalidTokenAccount
    );
    let records = extensions(&data).ok_or(ArbError::InvalidTokenAccount)?;
    for (ty, _) in records {
        if !MINT_EXTENSIONS_ALLOWED.contains(&ty) {
            msg!("Token-2022 mint extension {} refused", ty);
            return err!(ArbError::Token2022ExtensionRefused);
        }
    }
    Ok(())
}

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

/// Decodes a live SPL Token account (`source_token`: Token-2022 named as such).
pub fn read(info: &AccountInfo) -> Result<TokenState> {
    check_token_owner(info)?;
    read_any(info)
}

/// Decodes a live SPL Token or Token-2022 account (a Token-2022 one only with the extensions in
/// `ACCOUNT_EXTENSIONS_ALLOWED`).
pub fn read_any(info: &AccountInfo) -> Result<TokenState> {
    let data = info.try_borrow_data()?;
    if *info.owner == TOKEN_2022_PROGRAM_ID {
        check_account_2022(&data)?;
    } else {
        require_keys_eq!(
            *info.owner,
            TOKEN_PROGRAM_ID,
            ArbError::TokenAccountNotOwnedByTokenProgram
        );
        require!(data.len() == LEN, ArbError::InvalidTokenAccount);
    }
    require!(
        data[STATE] == STATE_INITIALIZED,
        ArbError::InvalidTokenAccount
    );
    Ok(TokenState {
        mint: pubkey_at(&data, MINT),
        owner: pubkey_at(&data, OWNER),
        amount: u64_at(&data, AMOUNT),
    })
}

/// Decodes a token account of either token program and checks it belongs to `authority` and holds
/// `mint`.
pub fn read_owned(info: &AccountInfo, authority: &Pubkey, mint: &Pubkey) -> Result<TokenState> {
    let t = read_any(info)?;
    require_keys_eq!(t.owner, *authority, ArbError::TokenOwnerMismatch);
    require_keys_eq!(t.mint, *mint, ArbError::MintMismatch);
    Ok(t)
}

/// Whether `authority`'s signature can move or control this token-program-owned account: a token
/// account it owns, is delegate of or may close; a mint it may mint or freeze; a multisig it signs
/// for. A Token-2022 account counts as controlled wherever the authority's key appears in its data:
/// its extensions name further authorities (fee, metadata, confidential-transfer, close) that no
/// fixed offset covers, and a key appearing by chance is not a risk worth a layout per extension.
pub fn controlled_by(info: &AccountInfo, authority: &Pubkey) -> Result<bool> {
    let data = info.try_borrow_data()?;
    if *info.owner == TOKEN_2022_PROGRAM_ID {
        return Ok(data.windows(32).any(|w| w == authority.as_ref()));
    }
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
    /// The token program that owned it.
    pub program: Pubkey,
    pub lamports: u64,
    pub data: Vec<u8>,
    /// Token-2022: the withheld-fee counter, which a transfer into the account raises and anyone may
    /// harvest to the mint; it is not the holder's balance, so it alone may change.
    pub withheld: Option<std::ops::Range<usize>>,
}

impl Snapshot {
    /// Takes the before-image of a token account `read_any` has accepted.
    pub fn take(info: &AccountInfo) -> Result<Self> {
        read_any(info)?;
        let data = info.try_borrow_data()?.to_vec();
        let withheld = if data.len() > LEN {
            extensions(&data)
                .ok_or(ArbError::InvalidTokenAccount)?
                .into_iter()
                .find(|(ty, _)| *ty == extension::TRANSFER_FEE_AMOUNT)
                .map(|(_, range)| range)
        } else {
            None
        };
        Ok(Self {
            key: *info.key,
            program: *info.owner,
            lamports: info.lamports(),
            data,
            withheld,
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
            *info.owner == self.program && info.lamports() > 0,
            ArbError::TokenAccountClosed
        );
        let data = info.try_borrow_data()?;
        require!(data.len() == self.data.len(), ArbError::TokenAccountClosed);
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
        if data.len() > LEN {
            let extensions_same = match &self.withheld {
                Some(w) => same(LEN..w.start) && same(w.end..data.len()),
                None => same(LEN..data.len()),
            };
            require!(extensions_same, ArbError::TokenExtensionChanged);
        }
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
        let mut d = snap.data.clone();
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
        // Each case: how the account changes (data, lamports, owner), and the error it must raise.
        type Change<'a> = Box<dyn FnOnce(&mut [u8], &mut u64, &mut Pubkey) + 'a>;
        let cases: Vec<(Change<'_>, ArbError)> = vec![
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

    /// A Token-2022 account (base + type byte + records) of `owner` holding 1 000.
    fn account_2022(owner: &Pubkey, records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut d = account(owner, 1_000).to_vec();
        d.push(ACCOUNT_TYPE_ACCOUNT);
        for (ty, v) in records {
            d.extend_from_slice(&ty.to_le_bytes());
            d.extend_from_slice(&(v.len() as u16).to_le_bytes());
            d.extend_from_slice(v);
        }
        d
    }

    fn with_info<T>(owner: Pubkey, mut data: Vec<u8>, f: impl FnOnce(&AccountInfo) -> T) -> T {
        let key = Pubkey::new_unique();
        let mut lamports = 2_039_280;
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
        f(&info)
    }

    fn code<T: std::fmt::Debug>(r: Result<T>) -> u32 {
        match r.unwrap_err() {
            Error::AnchorError(a) => a.error_code_number,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn token_2022_accounts_carry_only_allowed_extensions() {
        let user = Pubkey::new_unique();
        let fee = (extension::TRANSFER_FEE_AMOUNT, 0u64.to_le_bytes().to_vec());
        let immutable = (extension::IMMUTABLE_OWNER, vec![]);
        let ok = account_2022(&user, &[immutable.clone(), fee.clone()]);
        assert_eq!(
            with_info(TOKEN_2022_PROGRAM_ID, ok, |i| read_any(i).unwrap().amount),
            1_000
        );
        for refused in [
            extension::MEMO_TRANSFER,
            extension::CPI_GUARD,
            extension::TRANSFER_HOOK_ACCOUNT,
            5, // confidential transfer account
        ] {
            let d = account_2022(&user, &[fee.clone(), (refused, vec![0; 2])]);
            assert_eq!(
                code(with_info(TOKEN_2022_PROGRAM_ID, d, read_any)),
                u32::from(ArbError::Token2022ExtensionRefused),
                "account extension {refused}"
            );
        }
        // A record running past the data, and an SPL Token account with Token-2022's length.
        let mut overrun = account_2022(&user, std::slice::from_ref(&fee));
        overrun.truncate(overrun.len() - 1);
        assert_eq!(
            code(with_info(TOKEN_2022_PROGRAM_ID, overrun, read_any)),
            u32::from(ArbError::InvalidTokenAccount)
        );
        let long = account_2022(&user, &[fee]);
        assert_eq!(
            code(with_info(TOKEN_PROGRAM_ID, long, read_any)),
            u32::from(ArbError::InvalidTokenAccount)
        );
        // `source_token` stays SPL Token.
        let plain = account(&user, 5).to_vec();
        assert_eq!(
            code(with_info(TOKEN_2022_PROGRAM_ID, plain, read)),
            u32::from(ArbError::Token2022NotSupported)
        );
    }

    fn mint_2022(records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut d = vec![0u8; LEN];
        d[45] = 1;
        d.push(ACCOUNT_TYPE_MINT);
        for (ty, v) in records {
            d.extend_from_slice(&ty.to_le_bytes());
            d.extend_from_slice(&(v.len() as u16).to_le_bytes());
            d.extend_from_slice(v);
        }
        d
    }

    #[test]
    fn route_mints_refuse_hooks_delegates_and_confidential_transfers() {
        let fee = (extension::TRANSFER_FEE_CONFIG, vec![0u8; 108]);
        let meta = (extension::METADATA_POINTER, vec![0u8; 64]);
        with_info(
            TOKEN_2022_PROGRAM_ID,
            mint_2022(&[fee.clone(), meta]),
            |i| check_mint(i).unwrap(),
        );
        let mut bare = vec![0u8; MINT_LEN];
        bare[45] = 1;
        with_info(TOKEN_2022_PROGRAM_ID, bare.clone(), |i| {
            check_mint(i).unwrap()
        });
        with_info(TOKEN_PROGRAM_ID, bare.clone(), |i| check_mint(i).unwrap());
        for refused in [
            extension::TRANSFER_HOOK,
            extension::PERMANENT_DELEGATE,
            extension::NON_TRANSFERABLE,
            extension::CONFIDENTIAL_TRANSFER_MINT,
            extension::DEFAULT_ACCOUNT_STATE,
            16, // confidential transfer fee config
            99, // unknown
        ] {
            let d = mint_2022(&[fee.clone(), (refused, vec![1; 32])]);
            assert_eq!(
                code(with_info(TOKEN_2022_PROGRAM_ID, d, check_mint)),
                u32::from(ArbError::Token2022ExtensionRefused),
                "mint extension {refused}"
            );
        }
        bare[45] = 0;
        assert_eq!(
            code(with_info(TOKEN_2022_PROGRAM_ID, bare, check_mint)),
            u32::from(ArbError::InvalidTokenAccount)
        );
        let mut wrong_type = mint_2022(&[fee]);
        wrong_type[ACCOUNT_TYPE] = ACCOUNT_TYPE_ACCOUNT;
        assert_eq!(
            code(with_info(TOKEN_2022_PROGRAM_ID, wrong_type, check_mint)),
            u32::from(ArbError::InvalidTokenAccount)
        );
    }

    #[test]
    fn token_2022_snapshot_lets_only_balance_and_withheld_fee_move() {
        let user = Pubkey::new_unique();
        let data = account_2022(
            &user,
            &[
                (extension::IMMUTABLE_OWNER, vec![]),
                (extension::TRANSFER_FEE_AMOUNT, 0u64.to_le_bytes().to_vec()),
            ],
        );
        let key = Pubkey::new_unique();
        let owner = TOKEN_2022_PROGRAM_ID;
        let check = |change: &dyn Fn(&mut Vec<u8>), program: Pubkey| {
            let mut lamports = 2_039_280;
            let mut d = data.clone();
            let info = AccountInfo::new(&key, false, true, &mut lamports, &mut d, &owner, false, 0);
            let snap = Snapshot::take(&info).unwrap();
            drop(info);
            let mut after = data.clone();
            change(&mut after);
            let mut l = 2_039_280;
            let info = AccountInfo::new(&key, false, true, &mut l, &mut after, &program, false, 0);
            snap.intact(&info)
        };
        let withheld_at = LEN + 1 + 4 + 4;
        assert_eq!(
            check(
                &|d| {
                    d[AMOUNT..AMOUNT + 8].copy_from_slice(&900u64.to_le_bytes());
                    d[withheld_at] = 25;
                },
                owner
            )
            .unwrap(),
            900
        );
        assert_eq!(
            code(check(&|d| d[LEN + 2] = 9, owner)),
            u32::from(ArbError::TokenExtensionChanged)
        );
        assert_eq!(
            code(check(&|d| d.push(0), owner)),
            u32::from(ArbError::TokenAccountClosed)
        );
        assert_eq!(
            code(check(&|_| {}, TOKEN_PROGRAM_ID)),
            u32::from(ArbError::TokenAccountClosed)
        );
    }

    #[test]
    fn token_2022_accounts_naming_the_authority_anywhere_are_controlled() {
        let user = Pubkey::new_unique();
        let stranger = Pubkey::new_unique();
        let mut fee_config = vec![0u8; 108];
        assert!(!with_info(
            TOKEN_2022_PROGRAM_ID,
            mint_2022(&[(extension::TRANSFER_FEE_CONFIG, fee_config.clone())]),
            |i| controlled_by(i, &user).unwrap()
        ));
        // The fee authority of a transfer-fee mint: no fixed base-layout offset names it.
        fee_config[..32].copy_from_slice(user.as_ref());
        assert!(with_info(
            TOKEN_2022_PROGRAM_ID,
            mint_2022(&[(extension::TRANSFER_FEE_CONFIG, fee_config)]),
            |i| controlled_by(i, &user).unwrap()
        ));
        assert!(with_info(
            TOKEN_2022_PROGRAM_ID,
            account_2022(&user, &[]),
            |i| controlled_by(i, &user).unwrap()
        ));
        assert!(!with_info(
            TOKEN_2022_PROGRAM_ID,
            account_2022(&stranger, &[]),
            |i| controlled_by(i, &user).unwrap()
        ));
    }
}
