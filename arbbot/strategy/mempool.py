"""Decoding of pending swaps sent to Uniswap V2 Router02 and V3 SwapRouter (pure: calldata in, swaps out).

Untrusted input: anything that does not decode cleanly is `None`, never an exception to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from eth_abi import decode
from eth_utils import keccak, to_checksum_address


@dataclass(frozen=True)
class SwapLeg:
    token_in: str
    token_out: str
    fee: int | None  # V3 fee tier; None for V2 (the venue's fee)


@dataclass(frozen=True)
class PendingSwap:
    """A victim's swap: exact-in (amount = input, limit = min out) or exact-out (amount = output, limit = max in)."""

    router_kind: Literal["uniswap_v2_router02", "uniswap_v3_swaprouter"]
    exact_in: bool
    amount: int
    limit: int
    legs: tuple[SwapLeg, ...]
    deadline: int


def _sel(signature: str) -> bytes:
    return keccak(text=signature)[:4]


# selector -> (argument types, exact_in, takes ETH as value)
_V2: dict[bytes, tuple[list[str], bool, bool]] = {
    _sel("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"): (
        ["uint256", "uint256", "address[]", "address", "uint256"], True, False),
    _sel("swapTokensForExactTokens(uint256,uint256,address[],address,uint256)"): (
        ["uint256", "uint256", "address[]", "address", "uint256"], False, False),
    _sel("swapExactETHForTokens(uint256,address[],address,uint256)"): (
        ["uint256", "address[]", "address", "uint256"], True, True),
    _sel("swapTokensForExactETH(uint256,uint256,address[],address,uint256)"): (
        ["uint256", "uint256", "address[]", "address", "uint256"], False, False),
    _sel("swapExactTokensForETH(uint256,uint256,address[],address,uint256)"): (
        ["uint256", "uint256", "address[]", "address", "uint256"], True, False),
    _sel("swapETHForExactTokens(uint256,address[],address,uint256)"): (
        ["uint256", "address[]", "address", "uint256"], False, True),
}  # fmt: skip

_V3_IN_SINGLE = _sel("exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))")
_V3_IN = _sel("exactInput((bytes,address,uint256,uint256,uint256))")
_V3_OUT_SINGLE = _sel("exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))")
_V3_OUT = _sel("exactOutput((bytes,address,uint256,uint256,uint256))")
_MULTICALL = _sel("multicall(bytes[])")


def _input_bytes(tx: dict[str, Any]) -> bytes | None:
    data = tx.get("input", tx.get("data"))
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if not isinstance(data, str):
        return None
    try:
        return bytes.fromhex(data.removeprefix("0x"))
    except ValueError:
        return None


def _value(tx: dict[str, Any]) -> int:
    v = tx.get("value", 0)
    if isinstance(v, str):
        return int(v, 16) if v.startswith("0x") else int(v)
    return int(v or 0)


def _legs_from_path(path: list[str]) -> tuple[SwapLeg, ...]:
    tokens = [to_checksum_address(t) for t in path]
    return tuple(SwapLeg(a, b, None) for a, b in pairwise(tokens))


def _decode_v2(data: bytes, value: int) -> PendingSwap | None:
    spec = _V2.get(data[:4])
    if spec is None:
        return None
    types, exact_in, eth_in = spec
    args = decode(types, data[4:])
    if eth_in:  # the ETH sent is the input (exact-in) or the input cap (exact-out)
        amount_or_out, path, _to, deadline = args
        amount, limit = (value, amount_or_out) if exact_in else (amount_or_out, value)
    else:
        amount, limit, path, _to, deadline = args
    if len(path) < 2:
        return None
    return PendingSwap("uniswap_v2_router02", exact_in, int(amount), int(limit), _legs_from_path(path), int(deadline))


def _v3_path(raw: bytes) -> tuple[SwapLeg, ...] | None:
    """tokenIn | fee(3 bytes) | token | fee | ... | tokenOut, as SwapRouter encodes it."""
    if len(raw) < 43 or (len(raw) - 20) % 23 != 0:
        return None
    legs = []
    at = 0
    while at + 43 <= len(raw):
        a = to_checksum_address(raw[at : at + 20])
        fee = int.from_bytes(raw[at + 20 : at + 23], "big")
        b = to_checksum_address(raw[at + 23 : at + 43])
        legs.append(SwapLeg(a, b, fee))
        at += 23
    return tuple(legs)


def _decode_v3(data: bytes) -> PendingSwap | None:
    sel, body = data[:4], data[4:]
    if sel in (_V3_IN_SINGLE, _V3_OUT_SINGLE):
        ((tin, tout, fee, _r, deadline, amount, limit, _sqrt),) = decode(
            ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"], body
        )
        leg = SwapLeg(to_checksum_address(tin), to_checksum_address(tout), int(fee))
        return PendingSwap(
            "uniswap_v3_swaprouter", sel == _V3_IN_SINGLE, int(amount), int(limit), (leg,), int(deadline)
        )
    if sel in (_V3_IN, _V3_OUT):
        ((path, _r, deadline, amount, limit),) = decode(["(bytes,address,uint256,uint256,uint256)"], body)
        legs = _v3_path(bytes(path))
        if legs is None:
            return None
        if sel == _V3_OUT:  # exactOutput's path runs from tokenOut back to tokenIn
            legs = tuple(SwapLeg(g.token_out, g.token_in, g.fee) for g in reversed(legs))
        return PendingSwap("uniswap_v3_swaprouter", sel == _V3_IN, int(amount), int(limit), legs, int(deadline))
    if sel == _MULTICALL:
        (calls,) = decode(["bytes[]"], body)
        swaps = [s for c in calls if (s := _decode_v3(bytes(c))) is not None]
        return swaps[0] if len(swaps) == 1 else None  # several swaps in one call: not modelled
    return None


def decode_swap(tx: dict[str, Any], routers: dict[str, str]) -> PendingSwap | None:
    """The swap a pending transaction makes, if it calls one of `routers` (lower-case address -> kind)."""
    to = tx.get("to")
    if not isinstance(to, str):
        return None
    kind = routers.get(to.lower())
    data = _input_bytes(tx)
    if kind is None or data is None or len(data) < 4:
        return None
    try:
        if kind == "uniswap_v2_router02":
            return _decode_v2(data, _value(tx))
        if kind == "uniswap_v3_swaprouter":
            return _decode_v3(data)
    except Exception:  # untrusted calldata: eth_abi raises many types for malformed input
        return None
    return None
