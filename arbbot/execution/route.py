"""The ArbExecutor route encoding, mirrored from contracts/src/ArbExecutor.sol (see its header comment).

One encoding, defined next to the contract and mirrored here; tests pin the two together. Pure: no I/O.
The loan-fee helpers reproduce each lender's integer arithmetic, so a profit predicted here matches the
contract's to the wei.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_utils import is_address, to_checksum_address

from arbbot.errors import ArbbotError

HEADER = 76
HOP = 43
MIN_HOPS, MAX_HOPS = 2, 4
_U128 = 1 << 128
ZERO_ADDRESS = "0x" + "00" * 20


class RouteError(ArbbotError, ValueError):
    """A route that the executor would reject: names the field and the value."""


class Capital(IntEnum):
    OWN = 0  # the executor's own balance
    BALANCER = 1  # Balancer V2 Vault flash loan (zero fee on the replica, as on mainnet today)
    V2_FLASH = 2  # Uniswap V2 flash swap from a pair not in the route; repaid with the 0.30% fee
    V3_FLASH = 3  # Uniswap V3 `flash` from a pool not in the route; repaid with the pool's fee
    AAVE = 4  # Aave V3 flashLoanSimple; repaid with the premium


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
    lender: str  # the Vault, pair, pool or Aave Pool; ignored (zero address) for OWN
    token: str  # start token: borrowed, swapped round, profit token
    amount_in: int
    min_profit: int
    builder_share_bps: int
    hops: tuple[Hop, ...]


def v2_flash_fee(amount: int) -> int:
    """What a Uniswap V2 flash swap of `amount` costs on top: the smallest repayment r with
    997 * r >= 1000 * amount (the pair's fee-adjusted invariant), minus the amount."""
    return (amount * 1000 + 996) // 997 - amount


def v3_flash_fee(amount: int, fee_pips: int) -> int:
    """A Uniswap V3 pool's flash fee: amount * fee / 1e6 rounded up (FullMath.mulDivRoundingUp)."""
    return -(-amount * fee_pips // 1_000_000)


def aave_premium(amount: int, premium_bps: int = 5) -> int:
    """Aave V3's flash-loan premium: PercentageMath.percentMul, rounded half up."""
    return (amount * premium_bps + 5_000) // 10_000


def _address(value: str, field: str) -> bytes:
    if not isinstance(value, str) or not is_address(value):
        raise RouteError(f"{field}: not an address: {value!r}")
    return bytes.fromhex(to_checksum_address(value)[2:])


def _check(route: Route) -> Capital:
    try:
        capital = Capital(route.capital)
    except ValueError:
        raise RouteError(f"capital: unknown code {route.capital!r}, known: {[int(c) for c in Capital]}") from None
    if not MIN_HOPS <= len(route.hops) <= MAX_HOPS:
        raise RouteError(f"hops: {len(route.hops)} hops, must be {MIN_HOPS}..{MAX_HOPS}")
    if not isinstance(route.amount_in, int) or not 0 < route.amount_in < _U128:
        raise RouteError(f"amount_in: must be in 1..2^128-1, got {route.amount_in!r}")
    if not isinstance(route.min_profit, int) or not 0 <= route.min_profit < _U128:
        raise RouteError(f"min_profit: must be in 0..2^128-1, got {route.min_profit!r}")
    if not 0 <= route.builder_share_bps <= 10_000:
        raise RouteError(f"builder_share_bps: must be 0..10000, got {route.builder_share_bps}")
    if route.hops[-1].token_out.lower() != route.token.lower():
        raise RouteError(f"hops[-1].token_out: {route.hops[-1].token_out} must be the start token {route.token}")
    if capital != Capital.OWN:
        _address(route.lender, "lender")
        if route.lender.lower() == ZERO_ADDRESS:
            raise RouteError(f"lender: {capital.name} needs a lender, got the zero address")
        for i, hop in enumerate(route.hops):
            if hop.pool.lower() == route.lender.lower():
                raise RouteError(f"lender: {route.lender} is also hops[{i}].pool; borrow from a pool the route skips")
    return capital


def encode(route: Route) -> bytes:
    capital = _check(route)
    out = bytearray([int(capital), len(route.hops)])
    lender = route.lender if capital != Capital.OWN else ZERO_ADDRESS
    out += _address(lender, "lender") + _address(route.token, "token")
    out += route.amount_in.to_bytes(16, "big") + route.min_profit.to_bytes(16, "big")
    out += route.builder_share_bps.to_bytes(2, "big")
    for i, hop in enumerate(route.hops):
        if not 0 <= hop.fee_bps < 10_000:
            raise RouteError(f"hops[{i}].fee_bps: must be 0..9999, got {hop.fee_bps}")
        out.append((1 if hop.v3 else 0) | (2 if hop.zero_for_one else 0))
        out += _address(hop.pool, f"hops[{i}].pool") + _address(hop.token_out, f"hops[{i}].token_out")
        out += hop.fee_bps.to_bytes(2, "big")
    return bytes(out)


def decode(data: bytes) -> Route:
    """Bytes back into a Route, with the checks the contract makes before touching a pool."""
    if len(data) < HEADER:
        raise RouteError(f"route: {len(data)} bytes, shorter than the {HEADER}-byte header")
    n = data[1]
    if not MIN_HOPS <= n <= MAX_HOPS:
        raise RouteError(f"route: hop count {n}, must be {MIN_HOPS}..{MAX_HOPS}")
    if len(data) != HEADER + n * HOP:
        raise RouteError(f"route: {len(data)} bytes, {n} hops need {HEADER + n * HOP}")

    def addr(b: bytes) -> str:
        return to_checksum_address(b)

    hops = []
    for i in range(n):
        o = HEADER + i * HOP
        flags = data[o]
        if flags > 3:
            raise RouteError(f"hops[{i}].flags: {flags:#x}, only bits 0 (V3) and 1 (zeroForOne) are defined")
        hops.append(
            Hop(addr(data[o + 1 : o + 21]), addr(data[o + 21 : o + 41]), bool(flags & 1), bool(flags & 2),
                int.from_bytes(data[o + 41 : o + 43], "big"))
        )  # fmt: skip
    try:
        capital = Capital(data[0])
    except ValueError:
        raise RouteError(f"capital: unknown code {data[0]}") from None
    route = Route(
        capital=capital,
        lender=addr(data[2:22]),
        token=addr(data[22:42]),
        amount_in=int.from_bytes(data[42:58], "big"),
        min_profit=int.from_bytes(data[58:74], "big"),
        builder_share_bps=int.from_bytes(data[74:76], "big"),
        hops=tuple(hops),
    )
    _check(route)
    return route
