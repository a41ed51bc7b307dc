"""The ArbExecutor route encoding, mirrored from contracts/src/ArbExecutor.sol (see its header comment).

One encoding, defined next to the contract and mirrored here; tests pin the two together. Pure: no I/O.
The loan-fee helpers reproduce each lender's integer arithmetic, so a profit predicted here matches the
contract's to the wei.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_utils import is_address, to_checksum_address

from arbbot.amm.balancer_pair import BalancerPairView
from arbbot.amm.base import Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.errors import ArbbotError

HEADER = 76
HOP = 43  # a V2 or V3 hop
HOP_V4 = 47  # a Uniswap V4 hop (PoolKey fee and tick spacing on top)
HOP_BALANCER = 73  # a Balancer V2 hop: the Vault, token out and the pool id
MIN_HOPS, MAX_HOPS = 2, 4
F_V3, F_ZERO_FOR_ONE, F_V4, F_NATIVE, F_BALANCER = 1, 2, 4, 8, 16
_FLAGS = (0, 1, 2, 3, 4, 6, 12, 14, 16, 18)  # every flag byte the contract accepts
_U24 = 1 << 24
_U128 = 1 << 128
ZERO_ADDRESS = "0x" + "00" * 20


class RouteError(ArbbotError, ValueError):
    """A route that the executor would reject: names the field and the value."""


class Capital(IntEnum):
    """How a route is funded, as the executor's `capital` byte: own balance, a flash loan or a flash swap.

    The free modes are listed in `FREE_CAPITAL`; the others cost the lender's fee (see the fee helpers).
    """

    OWN = 0  # the executor's own balance (lender = the PoolManager when a hop is V4)
    BALANCER = 1  # Balancer V2 Vault flash loan (zero fee on the replica, as on mainnet today)
    V2_FLASH = 2  # Uniswap V2 flash swap from a pair not in the route; repaid with the 0.30% fee
    V3_FLASH = 3  # Uniswap V3 (or PancakeSwap V3) `flash` from a pool not in the route; the pool's fee
    AAVE = 4  # Aave V3 flashLoanSimple; repaid with the premium
    POOL_MANAGER = 5  # Uniswap V4: the route runs inside unlock on the PoolManager's balance, free
    FIRST_HOP = 6  # flash swap from the route's first V2 pair (lender zero), free
    LAST_HOP = 7  # flash swap from the route's last V2 pair, every hop V2 (lender zero), free


FREE_CAPITAL = (Capital.OWN, Capital.BALANCER, Capital.POOL_MANAGER, Capital.FIRST_HOP, Capital.LAST_HOP)


@dataclass(frozen=True)
class Hop:
    """One swap of a route, as the executor encodes it.

    `pool` is the pool address (for a V4 hop, the PoolKey's hooks; for a Balancer hop, the Vault); `fee_bps`
    applies to V2 hops only, the `v4_fee`/`tick_spacing`/`native` fields to V4 hops only and `pool_id` (the
    Vault's bytes32 id, 0x + 64 hex) to Balancer hops only. A Balancer hop's `zero_for_one` is the pair
    direction as the route's pool view sees it: encoded, but unused by the contract.
    """

    pool: str  # V2/V3: the pool; V4: the PoolKey's hooks (the zero address for none)
    token_out: str  # WETH for a V4 pool's native side
    v3: bool
    zero_for_one: bool
    fee_bps: int = 30  # V2 only
    v4: bool = False
    native: bool = False  # V4 only: currency0 is native ether, traded by the route as WETH
    v4_fee: int = 0  # V4 only: PoolKey.fee (0x800000 = dynamic)
    tick_spacing: int = 0  # V4 only
    balancer: bool = False  # a Balancer V2 Vault.swap
    pool_id: str = ""  # Balancer only: the pool's id in the Vault

    @property
    def flags(self) -> int:
        """The hop's flag byte (V3, zeroForOne, V4, native) as the contract decodes it."""
        return (
            (F_V3 if self.v3 else 0)
            | (F_ZERO_FOR_ONE if self.zero_for_one else 0)
            | (F_V4 if self.v4 else 0)
            | (F_NATIVE if self.native else 0)
            | (F_BALANCER if self.balancer else 0)
        )

    @property
    def size(self) -> int:
        """The hop's encoded length in bytes (`HOP`; `HOP_V4` for a V4 hop, `HOP_BALANCER` for a Balancer hop)."""
        return _size(self.flags)


def _size(flags: int) -> int:
    if flags & F_V4:
        return HOP_V4
    return HOP_BALANCER if flags & F_BALANCER else HOP


@dataclass(frozen=True)
class Route:
    """A whole route for `ArbExecutor.execute`: capital mode and lender, start token, input and minimum profit
    (raw units of `token`), the builder's share of a WETH profit in basis points, and the hops.

    `min_profit` is checked by the contract on chain: the transaction reverts when the route earns less.
    """

    capital: Capital
    lender: str  # the Vault, pair, pool or Aave Pool; ignored (zero address) for OWN
    token: str  # start token: borrowed, swapped round, profit token
    amount_in: int
    min_profit: int
    # Share of a WETH profit paid to block.coinbase. A route in any other token keeps it 0 and pays the builder
    # with ETH attached to the call (TradePlan.value); the contract refuses a share with attached ETH.
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
    v4 = any(h.v4 for h in route.hops)
    token_in = route.token
    for i, hop in enumerate(route.hops):
        if hop.balancer:
            _check_balancer(i, hop, capital, token_in)
        token_in = hop.token_out
        if hop.v4 and hop.v3:
            raise RouteError(f"hops[{i}]: a hop is V3 or V4, not both")
        if hop.native and not hop.v4:
            raise RouteError(f"hops[{i}].native: only a V4 hop has a native-ether side")
        if hop.v4 and capital not in (Capital.OWN, Capital.POOL_MANAGER):
            raise RouteError(f"hops[{i}]: a V4 hop runs inside the PoolManager's unlock; {capital.name} cannot")
        if hop.v4 and not (0 <= hop.v4_fee < _U24 and 0 < hop.tick_spacing < 1 << 23):
            raise RouteError(f"hops[{i}]: V4 fee {hop.v4_fee} / tick spacing {hop.tick_spacing} out of range")
        if capital == Capital.LAST_HOP and (hop.v3 or hop.v4):
            raise RouteError(f"hops[{i}]: LAST_HOP capital needs every hop to be a V2 pair")
    if capital == Capital.FIRST_HOP and (route.hops[0].v3 or route.hops[0].v4):
        raise RouteError("hops[0]: FIRST_HOP capital needs the first hop to be a V2 pair")
    if capital in (Capital.FIRST_HOP, Capital.LAST_HOP):
        if route.lender.lower() != ZERO_ADDRESS:
            raise RouteError(f"lender: {capital.name} borrows from the route's own pair; give the zero address")
    elif capital != Capital.OWN or v4:
        _address(route.lender, "lender")
        if route.lender.lower() == ZERO_ADDRESS:
            raise RouteError(f"lender: {capital.name} needs a lender (V4 hops: the PoolManager), got the zero address")
        if capital != Capital.OWN:
            for i, hop in enumerate(route.hops):
                if hop.pool.lower() == route.lender.lower():
                    raise RouteError(
                        f"lender: {route.lender} is also hops[{i}].pool; borrow from a pool the route skips"
                    )
    return capital


def _check_balancer(i: int, hop: Hop, capital: Capital, token_in: str) -> None:
    if hop.v3 or hop.v4 or hop.native:
        raise RouteError(f"hops[{i}]: a Balancer hop is not also V3, V4 or native")
    if capital == Capital.BALANCER:
        raise RouteError(f"hops[{i}]: a Balancer hop cannot run inside a Balancer flash loan (BAL#400, re-entrancy)")
    if capital == Capital.LAST_HOP or (capital == Capital.FIRST_HOP and i == 0):
        raise RouteError(f"hops[{i}]: {capital.name} capital needs this hop to be a V2 pair, not Balancer")
    pool_id = hop.pool_id
    if not (isinstance(pool_id, str) and len(pool_id) == 66 and pool_id[:2] in ("0x", "0X")):
        raise RouteError(f"hops[{i}].pool_id: not a 32-byte id (0x + 64 hex): {pool_id!r}")
    try:
        bytes.fromhex(pool_id[2:])
    except ValueError:
        raise RouteError(f"hops[{i}].pool_id: not a 32-byte id (0x + 64 hex): {pool_id!r}") from None
    if _address(hop.pool, f"hops[{i}].pool") == bytes(20):
        raise RouteError(f"hops[{i}].pool: a Balancer hop needs the Vault's address, got the zero address")
    if token_in.lower() == hop.token_out.lower():
        raise RouteError(f"hops[{i}].token_out: {hop.token_out} is also the hop's token in")


def encode(route: Route) -> bytes:
    """The route's calldata payload, byte for byte as `ArbExecutor.sol` decodes it.

    Raises `RouteError` naming the field and value for anything the contract would reject (hop count,
    addresses, amounts out of range, a lender that cannot fund the route).
    """
    capital = _check(route)
    out = bytearray([int(capital), len(route.hops)])
    v4 = any(h.v4 for h in route.hops)
    lender = route.lender if capital not in (Capital.OWN, Capital.FIRST_HOP, Capital.LAST_HOP) or v4 else ZERO_ADDRESS
    out += _address(lender, "lender") + _address(route.token, "token")
    out += route.amount_in.to_bytes(16, "big") + route.min_profit.to_bytes(16, "big")
    out += route.builder_share_bps.to_bytes(2, "big")
    for i, hop in enumerate(route.hops):
        out.append(hop.flags)
        out += _address(hop.pool, f"hops[{i}].pool") + _address(hop.token_out, f"hops[{i}].token_out")
        if hop.v4:
            out += hop.v4_fee.to_bytes(3, "big") + (hop.tick_spacing % _U24).to_bytes(3, "big")
        elif hop.balancer:
            out += bytes.fromhex(hop.pool_id[2:])
        else:
            if not 0 <= hop.fee_bps < 10_000:
                raise RouteError(f"hops[{i}].fee_bps: must be 0..9999, got {hop.fee_bps}")
            out += hop.fee_bps.to_bytes(2, "big")
    return bytes(out)


def decode(data: bytes) -> Route:
    """Bytes back into a Route, with the checks the contract makes before touching a pool."""
    if len(data) < HEADER:
        raise RouteError(f"route: {len(data)} bytes, shorter than the {HEADER}-byte header")
    n = data[1]
    if not MIN_HOPS <= n <= MAX_HOPS:
        raise RouteError(f"route: hop count {n}, must be {MIN_HOPS}..{MAX_HOPS}")

    def addr(b: bytes) -> str:
        return to_checksum_address(b)

    hops = []
    o = HEADER
    for i in range(n):
        flags = data[o] if o < len(data) else 0
        if flags not in _FLAGS:
            raise RouteError(
                f"hops[{i}].flags: {flags:#x}; bits: 0 V3, 1 zeroForOne, 2 V4, 3 native (V4 only), 4 Balancer "
                "(with zeroForOne only); not V3 and V4"
            )
        size = _size(flags)
        if o + size > len(data):
            break  # the length check below names the size
        pool, token_out = addr(data[o + 1 : o + 21]), addr(data[o + 21 : o + 41])
        if flags & F_V4:
            spacing = int.from_bytes(data[o + 44 : o + 47], "big")
            hops.append(
                Hop(pool, token_out, False, bool(flags & F_ZERO_FOR_ONE), 30, True, bool(flags & F_NATIVE),
                    int.from_bytes(data[o + 41 : o + 44], "big"), spacing - _U24 if spacing >= 1 << 23 else spacing)
            )  # fmt: skip
        elif flags & F_BALANCER:
            hops.append(
                Hop(pool, token_out, False, bool(flags & F_ZERO_FOR_ONE), balancer=True,
                    pool_id="0x" + data[o + 41 : o + 73].hex())
            )  # fmt: skip
        else:
            hops.append(
                Hop(pool, token_out, bool(flags & F_V3), bool(flags & F_ZERO_FOR_ONE),
                    int.from_bytes(data[o + 41 : o + 43], "big"))
            )  # fmt: skip
        o += size
    expected = HEADER + sum(h.size for h in hops) + HOP * (n - len(hops))
    if len(data) != expected or len(hops) != n:
        raise RouteError(f"route: {len(data)} bytes, {n} hops need {expected}")
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


def hop_for(pool: Pool, zero_for_one: bool) -> Hop:
    """The executor hop that trades through `pool` in the given direction (V2, V3 and forks, V4, and a Balancer
    V2 pool through its pair view: a `Vault.swap` on the view's pool id)."""
    token_out = pool.token1 if zero_for_one else pool.token0
    if isinstance(pool, BalancerPairView):
        return Hop(pool.vault, token_out, False, zero_for_one, balancer=True, pool_id=pool.pool_id.lower())
    if isinstance(pool, UniswapV4Pool):
        return Hop(pool.hooks, token_out, False, zero_for_one, 30, True, pool.native, pool.fee, pool.tick_spacing)
    if isinstance(pool, UniswapV3Pool):
        return Hop(pool.address, token_out, True, zero_for_one)
    if isinstance(pool, UniswapV2Pool):
        return Hop(pool.address, token_out, False, zero_for_one, pool.fee_bps)
    underlying = getattr(pool, "model", None)  # a simulation-priced wrapper around a model
    if isinstance(underlying, Pool):
        return hop_for(underlying, zero_for_one)
    raise RouteError(f"pool {pool.address}: kind {pool.kind} has no executor hop")
