"""Helpers shared by the router decoders (pure)."""

from __future__ import annotations

from itertools import pairwise

from eth_utils import keccak, to_checksum_address

from arbbot.strategy.mempool.types import SwapLeg


def selector(signature: str) -> bytes:
    """The 4-byte function selector of a Solidity signature such as `"swap(uint256)"`."""
    return keccak(text=signature)[:4]


def legs_from_path(path: list[str], venue: str | None = None) -> tuple[SwapLeg, ...]:
    """One fee-less leg per consecutive pair of a V2 token path (addresses checksummed)."""
    tokens = [to_checksum_address(t) for t in path]
    return tuple(SwapLeg(a, b, None, venue=venue) for a, b in pairwise(tokens))


def v3_path(raw: bytes, venue: str | None = None) -> tuple[SwapLeg, ...] | None:
    """tokenIn | fee(3 bytes) | token | fee | ... | tokenOut, as SwapRouter and UniversalRouter encode it."""
    if len(raw) < 43 or (len(raw) - 20) % 23 != 0:
        return None
    legs = []
    at = 0
    while at + 43 <= len(raw):
        a = to_checksum_address(raw[at : at + 20])
        fee = int.from_bytes(raw[at + 20 : at + 23], "big")
        b = to_checksum_address(raw[at + 23 : at + 43])
        legs.append(SwapLeg(a, b, fee, venue=venue))
        at += 23
    return tuple(legs)
