"""Token-2022 mints and accounts: the SPL Token base layout, then (when extensions are present) an
account-type byte at offset 165 and type–length–value records (`type u16 ‖ length u16 ‖ value`).

A mint's base is 82 bytes, padded with zeros to 165 before the type byte. Decoding is fail-closed:
wrong owner, wrong type byte, a record overrunning the data or appearing twice is an error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import pubkey, u8, u64
from arbbot.solana.programs import TOKEN_2022_PROGRAM

BASE_LEN = 165
MINT_BASE_LEN = 82
ACCOUNT_TYPE_MINT = 1
ACCOUNT_TYPE_ACCOUNT = 2

# spl-token-2022 `ExtensionType` (repr u16), the ones this project names.
TRANSFER_FEE_CONFIG = 1
TRANSFER_FEE_AMOUNT = 2
MINT_CLOSE_AUTHORITY = 3
CONFIDENTIAL_TRANSFER_MINT = 4
DEFAULT_ACCOUNT_STATE = 6
IMMUTABLE_OWNER = 7
MEMO_TRANSFER = 8
NON_TRANSFERABLE = 9
INTEREST_BEARING_CONFIG = 10
CPI_GUARD = 11
PERMANENT_DELEGATE = 12
TRANSFER_HOOK = 14
METADATA_POINTER = 18
TOKEN_METADATA = 19
GROUP_POINTER = 20
TOKEN_GROUP = 21
GROUP_MEMBER_POINTER = 22

# What arb_executor accepts on a route mint / route token account (programs/arb-executor
# token_account.rs MINT_EXTENSIONS_ALLOWED / ACCOUNT_EXTENSIONS_ALLOWED): anything else is refused
# there, so the searcher does not route through it.
MINT_EXTENSIONS_ALLOWED = frozenset(
    {
        TRANSFER_FEE_CONFIG,
        MINT_CLOSE_AUTHORITY,
        METADATA_POINTER,
        TOKEN_METADATA,
        GROUP_POINTER,
        TOKEN_GROUP,
        GROUP_MEMBER_POINTER,
    }
)
ACCOUNT_EXTENSIONS_ALLOWED = frozenset({TRANSFER_FEE_AMOUNT, IMMUTABLE_OWNER})


def extensions(data: bytes, account_type: int, what: str = "Token-2022 account") -> dict[int, bytes]:
    """The extension records by type; {} for a base-only account or mint."""
    base = MINT_BASE_LEN if account_type == ACCOUNT_TYPE_MINT else BASE_LEN
    if len(data) == base:
        return {}
    if len(data) <= BASE_LEN:
        raise AccountLayoutError(f"{what}: data is {len(data)} bytes, neither {base} nor more than {BASE_LEN}")
    if data[BASE_LEN] != account_type:
        raise AccountLayoutError(f"{what}: account type byte is {data[BASE_LEN]}, expected {account_type}")
    out: dict[int, bytes] = {}
    at = BASE_LEN + 1
    while at + 4 <= len(data):
        ty, length = struct.unpack_from("<HH", data, at)
        if ty == 0:
            break
        end = at + 4 + length
        if end > len(data):
            raise AccountLayoutError(f"{what}: extension {ty} runs to byte {end}, past the data's {len(data)}")
        if ty in out:
            raise AccountLayoutError(f"{what}: extension {ty} appears twice")
        out[ty] = bytes(data[at + 4 : end])
        at = end
    return out


@dataclass(frozen=True)
class Mint2022:
    """A Token-2022 mint: supply, decimals, and its extension records (raw values) by extension type."""

    supply: int
    decimals: int
    extensions: dict[int, bytes]


def decode_mint_2022(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> Mint2022:
    """Decode a Token-2022 mint and its extensions.

    Raises `AccountLayoutError` for an owner other than Token-2022 (when given), an uninitialized mint, or
    malformed extension records (see `extensions`).
    """
    what = f"Token-2022 mint {address}" if address is not None else "Token-2022 mint"
    if owner is not None and owner != TOKEN_2022_PROGRAM:
        raise AccountLayoutError(f"{what}: owner is {owner}, expected {TOKEN_2022_PROGRAM}")
    if len(data) < MINT_BASE_LEN or data[45] != 1:
        raise AccountLayoutError(f"{what}: not an initialised mint ({len(data)} bytes)")
    return Mint2022(supply=u64(data, 36), decimals=u8(data, 44), extensions=extensions(data, ACCOUNT_TYPE_MINT, what))


def _with_records(base: bytes, account_type: int, records: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(base.ljust(BASE_LEN, b"\0"))
    out.append(account_type)
    for ty, value in records:
        out += struct.pack("<HH", ty, len(value)) + value
    return bytes(out)


def pack_mint_2022(
    mint_authority: Pubkey | None, supply: int, decimals: int, records: list[tuple[int, bytes]] | None = None
) -> bytes:
    """A Token-2022 mint (no freeze authority) with `records` (type, value)."""
    base = bytearray(MINT_BASE_LEN)
    if mint_authority is not None:
        base[0:4] = (1).to_bytes(4, "little")
        base[4:36] = bytes(mint_authority)
    base[36:44] = supply.to_bytes(8, "little")
    base[44] = decimals
    base[45] = 1
    return bytes(base) if not records else _with_records(bytes(base), ACCOUNT_TYPE_MINT, records)


def pack_account_2022(mint: Pubkey, owner: Pubkey, amount: int, transfer_fee_mint: bool, withheld: int = 0) -> bytes:
    """A Token-2022 token account with the immutable owner and, for a transfer-fee mint, the
    withheld-fee counter every account of such a mint must carry."""
    base = bytearray(BASE_LEN)
    base[0:32] = bytes(mint)
    base[32:64] = bytes(owner)
    base[64:72] = amount.to_bytes(8, "little")
    base[108] = 1  # initialized
    records: list[tuple[int, bytes]] = [(IMMUTABLE_OWNER, b"")]
    if transfer_fee_mint:
        records.append((TRANSFER_FEE_AMOUNT, withheld.to_bytes(8, "little")))
    return _with_records(bytes(base), ACCOUNT_TYPE_ACCOUNT, records)


def account_withheld(data: bytes) -> int:
    """The withheld transfer fee of a Token-2022 account (0 without the extension)."""
    value = extensions(data, ACCOUNT_TYPE_ACCOUNT).get(TRANSFER_FEE_AMOUNT)
    return 0 if value is None else u64(value, 0)


def account_amount(data: bytes) -> int:
    """The balance of a token account (SPL Token or Token-2022), raw units, read from the base layout."""
    return u64(data, 64)


def account_owner(data: bytes) -> Pubkey:
    """The owner of a token account (SPL Token or Token-2022), read from the base layout."""
    return pubkey(data, 32)
