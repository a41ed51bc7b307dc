"""Calldata for UniversalRouter 2.x swaps through Uniswap V4 (what wallets send), for the replica's traffic
and tests. Command and action codes are those of the npm artifacts the replica deploys
(universal-router 2.1.0 Commands, v4-periphery 1.0.3 Actions)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode

V4_SWAP = 0x10
SWAP_EXACT_IN_SINGLE, SWAP_EXACT_IN = 0x06, 0x07
SETTLE_ALL, TAKE_ALL = 0x0C, 0x0F
POOL_KEY = "(address,address,uint24,int24,address)"
EXACT_IN_SINGLE = f"({POOL_KEY},bool,uint128,uint128,bytes)"
PATH_KEY = "(address,uint24,int24,address,bytes)"
EXACT_IN = f"(address,{PATH_KEY}[],uint128,uint128)"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class PoolKey:
    currency0: str
    currency1: str
    fee: int
    tick_spacing: int
    hooks: str = ZERO_ADDRESS

    def as_tuple(self) -> tuple[str, str, int, int, str]:
        return (self.currency0, self.currency1, self.fee, self.tick_spacing, self.hooks)


@dataclass(frozen=True)
class RouterCall:
    commands: bytes
    inputs: list[bytes]
    value: int  # native ether sent with the call (the input, when it is ether)


def v4_exact_in_single(key: PoolKey, zero_for_one: bool, amount_in: int, min_out: int) -> RouterCall:
    """One V4 pool, exact input: SWAP_EXACT_IN_SINGLE, SETTLE_ALL the input, TAKE_ALL the output."""
    c_in, c_out = (key.currency0, key.currency1) if zero_for_one else (key.currency1, key.currency0)
    params = [
        encode([EXACT_IN_SINGLE], [(key.as_tuple(), zero_for_one, amount_in, min_out, b"")]),
        encode(["address", "uint256"], [c_in, amount_in]),
        encode(["address", "uint256"], [c_out, min_out]),
    ]
    actions = bytes([SWAP_EXACT_IN_SINGLE, SETTLE_ALL, TAKE_ALL])
    plan = encode(["bytes", "bytes[]"], [actions, params])
    return RouterCall(bytes([V4_SWAP]), [plan], amount_in if int(c_in, 16) == 0 else 0)


def v4_exact_in(currency_in: str, path: list[tuple[str, int, int, str]], amount_in: int, min_out: int) -> RouterCall:
    """Several V4 pools, exact input; `path` holds (intermediate or output currency, fee, spacing, hooks)."""
    params = [
        encode([EXACT_IN], [(currency_in, [(c, f, s, h, b"") for c, f, s, h in path], amount_in, min_out)]),
        encode(["address", "uint256"], [currency_in, amount_in]),
        encode(["address", "uint256"], [path[-1][0], min_out]),
    ]
    actions = bytes([SWAP_EXACT_IN, SETTLE_ALL, TAKE_ALL])
    plan = encode(["bytes", "bytes[]"], [actions, params])
    return RouterCall(bytes([V4_SWAP]), [plan], amount_in if int(currency_in, 16) == 0 else 0)
