"""The ArbExecutor route encoding, mirrored from contracts/src/ArbExecutor.sol (see its header comment).

One encoding, defined next to the contract and mirrored here; tests pin the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_utils import is_address, to_checksum_address

HEADER = 76
HOP = 43
MIN_HOPS, MAX_HOPS = 2, 4
_U128 = 1 << 128


class Capital(IntEnum):
    OWN = 0  # the executor's own balance
    BALANCER = 1  # Balancer V2 Vault flash loan (zero fee on the replica, as on mainnet today)


@dataclass(frozen=True)
class Hop:
    pool: str
    token_out: str
    v3: bool
    zero_for_one: bool
    fee_bps: int = 30  # V2 only


@dataclass(frozen=True)
class Route:
    capital: Capital
    lender: str  # the Vault for BALANCER; ignored (zero address) for OWN
    token: str  # start token: borrowed, swapped round, profit token
    amount_in: int
    min_profit: int
    builder_share_bps: int
    hops: tuple[Hop, ...]


def _address(value: str, field: str) -> bytes:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError(f"{field}: not an address: {value!r}")
    return bytes.fromhex(to_checksum_address(value)[2:])


def encode(route: Route) -> bytes:
    if not MIN_HOPS <= len(route.hops) <= MAX_HOPS:
        raise ValueError(f"hops: {len(route.hops)} hops, must be {MIN_HOPS}..{MAX_HOPS}")
    if not 0 < route.amount_in < _U128:
        raise ValueError(f"amount_in: must be in 1..2^128-1, got {route.amount_in}")
    if not 0 <= route.min_profit < _U128:
        raise ValueError(f"min_profit: must be in 0..2^128-1, got {route.min_profit}")
    if not 0 <= route.builder_share_bps <= 10_000:
        raise ValueError(f"builder_share_bps: must be 0..10000, got {route.builder_share_bps}")
    if route.hops[-1].token_out.lower() != route.token.lower():
        raise ValueError(f"hops[-1].token_out: {route.hops[-1].token_out} must be the start token {route.token}")
    out = bytearray([int(Capital(route.capital)), len(route.hops)])
    lender = route.lender if route.capital != Capital.OWN else "0x" + "00" * 20
    out += _address(lender, "lender") + _address(route.token, "token")
    out += route.amount_in.to_bytes(16, "big") + route.min_profit.to_bytes(16, "big")
    out += route.builder_share_bps.to_bytes(2, "big")
    for i, hop in enumerate(route.hops):
        if not 0 <= hop.fee_bps < 10_000:
            raise ValueError(f"hops[{i}].fee_bps: must be 0..9999, got {hop.fee_bps}")
        out.append((1 if hop.v3 else 0) | (2 if hop.zero_for_one else 0))
        out += _address(hop.pool, f"hops[{i}].pool") + _address(hop.token_out, f"hops[{i}].token_out")
        out += hop.fee_bps.to_bytes(2, "big")
    return bytes(out)


def decode(data: bytes) -> Route:
    if len(data) < HEADER:
        raise ValueError(f"route: {len(data)} bytes, shorter than the {HEADER}-byte header")
    n = data[1]
    if not MIN_HOPS <= n <= MAX_HOPS or len(data) != HEADER + n * HOP:
        raise ValueError(f"route: {len(data)} bytes does not fit {n} hops")

    def addr(b: bytes) -> str:
        return to_checksum_address(b)

    hops = []
    for i in range(n):
        o = HEADER + i * HOP
        flags = data[o]
        hops.append(
            Hop(addr(data[o + 1 : o + 21]), addr(data[o + 21 : o + 41]), bool(flags & 1), bool(flags & 2),
                int.from_bytes(data[o + 41 : o + 43], "big"))
        )  # fmt: skip
    return Route(
        capital=Capital(data[0]),
        lender=addr(data[2:22]),
        token=addr(data[22:42]),
        amount_in=int.from_bytes(data[42:58], "big"),
        min_profit=int.from_bytes(data[58:74], "big"),
        builder_share_bps=int.from_bytes(data[74:76], "big"),
        hops=tuple(hops),
    )
