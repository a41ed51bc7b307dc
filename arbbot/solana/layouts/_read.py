"""Little-endian field readers over a bytes buffer, and the size/owner checks shared by every layout."""

from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError


def u8(data: bytes, off: int) -> int:
    return data[off]


def u16(data: bytes, off: int) -> int:
    return struct.unpack_from("<H", data, off)[0]


def i32(data: bytes, off: int) -> int:
    return struct.unpack_from("<i", data, off)[0]


def u64(data: bytes, off: int) -> int:
    return struct.unpack_from("<Q", data, off)[0]


def u128(data: bytes, off: int) -> int:
    return int.from_bytes(data[off : off + 16], "little")


def i128(data: bytes, off: int) -> int:
    return int.from_bytes(data[off : off + 16], "little", signed=True)


def pubkey(data: bytes, off: int) -> Pubkey:
    return Pubkey.from_bytes(data[off : off + 32])


def check(
    what: str, address: Pubkey | None, data: bytes, size: int, owner: Pubkey | None, expected_owner: Pubkey | None
) -> None:
    """Refuse an account whose size or owner is not the layout's: decoding it would yield nonsense."""
    name = f"{what} {address}" if address is not None else what
    if len(data) != size:
        raise AccountLayoutError(f"{name}: data is {len(data)} bytes, a {what} account is {size}")
    if expected_owner is not None and owner is not None and owner != expected_owner:
        raise AccountLayoutError(f"{name}: owner is {owner}, expected {expected_owner}")


def check_discriminator(what: str, address: Pubkey | None, data: bytes, expected: bytes) -> None:
    if data[:8] != expected:
        name = f"{what} {address}" if address is not None else what
        raise AccountLayoutError(f"{name}: discriminator is {data[:8].hex()}, expected {expected.hex()}")
