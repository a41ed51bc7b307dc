"""Decoding of pending swaps sent to Uniswap V2 Router02, V3 SwapRouter (and forks with its ABI) and
UniversalRouter 2.x swaps through Uniswap V4 (pure: calldata in, swaps out).

Untrusted input: anything that does not decode cleanly is `None`, never an exception to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from eth_abi import decode
from eth_abi import encode as encode_abi
from eth_utils import keccak, to_checksum_address


@dataclass(frozen=True)
class SwapLeg:
    token_in: str  # V4: a currency, the zero address for native ether
    token_out: str
    fee: int | None  # V3 fee tier, V4 PoolKey.fee; None for V2 (the venue's fee)
    pool_id: str | None = None  # V4: the PoolId (lower-case hex) the leg swaps in


@dataclass(frozen=True)
class PendingSwap:
    """A victim's swap: exact-in (amount = input, limit = min out) or exact-out (amount = output, limit = max in)."""

    router_kind: Literal["uniswap_v2_router02", "uniswap_v3_swaprouter", "universal_router"]
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


# UniversalRouter 2.x (universal-router 2.1.0 Commands; v4-periphery 1.0 Actions).
_UR_EXECUTE = _sel("execute(bytes,bytes[],uint256)")
_UR_EXECUTE_NOW = _sel("execute(bytes,bytes[])")
_UR_COMMAND_MASK = 0x7F
_UR_V4_SWAP = 0x10
_UR_OTHER_SWAPS = {0x00, 0x01, 0x08, 0x09}  # V3/V2 exact in/out through the router: not modelled here
_V4_SWAP_EXACT_IN_SINGLE, _V4_SWAP_EXACT_IN = 0x06, 0x07
_V4_SWAPS = {0x06, 0x07, 0x08, 0x09}
_POOL_KEY = "(address,address,uint24,int24,address)"
_MAX_AMOUNT = 1 << 128  # 0 (an open delta) and 2^255 (the router's balance) are not amounts we can model


def v4_pool_id(currency_a: str, currency_b: str, fee: int, tick_spacing: int, hooks: str) -> str:
    """keccak256(abi.encode(PoolKey)) with the currencies sorted (native ether is the zero address)."""
    c0, c1 = sorted((currency_a, currency_b), key=lambda c: int(c, 16))
    return "0x" + keccak(encode_abi([_POOL_KEY], [(c0, c1, fee, tick_spacing, hooks)])).hex()


def _v4_plan(plan: bytes, deadline: int) -> PendingSwap | None:
    """The one exact-input swap in a V4_SWAP plan (actions + params), or None."""
    actions, params = decode(["bytes", "bytes[]"], plan)
    swaps = [(a, params[i]) for i, a in enumerate(bytes(actions)) if a in _V4_SWAPS]
    if len(swaps) != 1 or len(params) != len(actions):
        return None
    action, raw = swaps[0]
    if action == _V4_SWAP_EXACT_IN_SINGLE:
        ((key, zero_for_one, amount, limit, _hook_data),) = decode([f"({_POOL_KEY},bool,uint128,uint128,bytes)"], raw)
        c0, c1, fee, spacing, hooks = key
        tin, tout = (c0, c1) if zero_for_one else (c1, c0)
        legs = (SwapLeg(to_checksum_address(tin), to_checksum_address(tout), int(fee),
                        v4_pool_id(c0, c1, fee, spacing, hooks)),)  # fmt: skip
    elif action == _V4_SWAP_EXACT_IN:
        ((currency, path, amount, limit),) = decode(
            ["(address,(address,uint24,int24,address,bytes)[],uint128,uint128)"], raw
        )
        if not path:
            return None
        hops = []
        for nxt, fee, spacing, hooks, _data in path:
            hops.append(SwapLeg(to_checksum_address(currency), to_checksum_address(nxt), int(fee),
                                v4_pool_id(currency, nxt, fee, spacing, hooks)))  # fmt: skip
            currency = nxt
        legs = tuple(hops)
    else:
        return None  # exact output through V4: not modelled
    if not 0 < amount < _MAX_AMOUNT:
        return None
    return PendingSwap("universal_router", True, int(amount), int(limit), legs, deadline)


def _decode_universal_router(data: bytes) -> PendingSwap | None:
    sel = data[:4]
    if sel == _UR_EXECUTE:
        commands, inputs, deadline = decode(["bytes", "bytes[]", "uint256"], data[4:])
    elif sel == _UR_EXECUTE_NOW:
        (commands, inputs), deadline = decode(["bytes", "bytes[]"], data[4:]), 2**256 - 1
    else:
        return None
    if len(commands) != len(inputs):
        return None
    swaps: list[PendingSwap] = []
    for i, command in enumerate(bytes(commands)):
        kind = command & _UR_COMMAND_MASK
        if kind in _UR_OTHER_SWAPS:
            return None  # a swap this decoder does not follow: the pools' state after it is unknown
        if kind == _UR_V4_SWAP:
            swap = _v4_plan(bytes(inputs[i]), int(deadline))
            if swap is None:
                return None
            swaps.append(swap)
    return swaps[0] if len(swaps) == 1 else None


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
        if kind == "universal_router":
            return _decode_universal_router(data)
    except Exception:  # untrusted calldata: eth_abi raises many types for malformed input
        return None
    return None
