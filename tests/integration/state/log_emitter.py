"""Helpers for the state tests that plant foreign or malformed logs: a selector, and runtime code that emits any log
it is called with (put at an address with `anvil_setCode`, so the log comes from exactly that emitter)."""

from __future__ import annotations

from eth_utils import keccak


def selector(signature: str) -> bytes:
    """The 4-byte function selector of `signature`."""
    return keccak(text=signature)[:4]


def emitter_code(topics: int) -> str:
    """Runtime code that emits LOG<topics> with topics from calldata words 0..topics-1 and data from byte 128 on."""
    code = b""
    for k in reversed(range(topics)):
        code += bytes([0x60, 32 * k, 0x35])  # PUSH1 32k CALLDATALOAD
    code += bytes([0x60, 0x80, 0x36, 0x03])  # size = CALLDATASIZE - 128
    code += bytes([0x80, 0x60, 0x80, 0x60, 0x00, 0x37])  # CALLDATACOPY(0, 128, size)
    code += bytes([0x60, 0x00, 0xA0 + topics, 0x00])  # LOG<topics>(0, size, ...) STOP
    return "0x" + code.hex()
