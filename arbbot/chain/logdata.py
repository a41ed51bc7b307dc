"""Raw fields of a log as nodes, web3 and the simulators hand them over (bytes, HexBytes or 0x-hex strings)."""

from __future__ import annotations


def as_bytes(value: object) -> bytes | None:
    """The bytes of a topic or data field given as bytes or 0x-hex; `None` for anything else (bad hex included)."""
    # Hex strings first: what JSON-RPC answers carry, so the common case is the cheap one (decoding is on the hot path).
    if isinstance(value, str):
        if value[:2] not in ("0x", "0X"):
            return None
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return None
