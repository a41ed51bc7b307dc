"""What landing a route transaction costs, and the profit floor it sets for the route.

Solana charges `lamports_per_signature` for every signature of a transaction plus the priority fee,
ceil(compute-unit price x compute-unit limit / 10^6) lamports: the price is in micro-lamports per
unit and is charged on the *requested* limit, not on the units used. A Jito tip is a transfer in the
same transaction. All of it is paid in SOL, so a route that starts and ends in another token must
clear it at a price for SOL in that token; for wrapped-SOL routes a lamport is a base unit.

The floor goes on chain as (part of) `execute_route`'s `min_profit`, so the program itself refuses to
complete a route whose realised profit would not pay for landing it. Pure arithmetic: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import FeeFloorError, QuoteError
from arbbot.solana.programs import WSOL_MINT
from arbbot.solana.routes import Route
from arbbot.solana.venues import VenuePool

LAMPORTS_PER_SIGNATURE = 5_000
MICRO_LAMPORTS_PER_LAMPORT = 1_000_000
U64_MAX = (1 << 64) - 1


def _ceil_div(n: int, d: int) -> int:
    return -(-n // d)


@dataclass(frozen=True)
class TxCost:
    """The fees of one transaction, in lamports."""

    signatures: int
    cu_limit: int
    cu_price_micro_lamports: int
    tip_lamports: int = 0
    lamports_per_signature: int = LAMPORTS_PER_SIGNATURE

    def __post_init__(self) -> None:
        for name in ("signatures", "cu_limit", "cu_price_micro_lamports", "tip_lamports", "lamports_per_signature"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.signatures == 0:
            raise ValueError("signatures must be at least 1, got 0")

    @property
    def signature_fee(self) -> int:
        """Lamports paid for the transaction's signatures."""
        return self.signatures * self.lamports_per_signature

    @property
    def priority_fee(self) -> int:
        """Lamports of the priority fee: the micro-lamport unit price times the requested limit, rounded up."""
        return _ceil_div(self.cu_limit * self.cu_price_micro_lamports, MICRO_LAMPORTS_PER_LAMPORT)

    @property
    def lamports(self) -> int:
        """Total lamports: signature fee, priority fee and tip."""
        return self.signature_fee + self.priority_fee + self.tip_lamports

    def describe(self) -> str:
        """The cost spelled out term by term, for logs and error messages."""
        return (
            f"{self.signatures} signature(s) x {self.lamports_per_signature} + priority "
            f"ceil({self.cu_limit} CU x {self.cu_price_micro_lamports} micro-lamports / 10^6) = {self.priority_fee} "
            f"+ tip {self.tip_lamports} = {self.lamports} lamports"
        )


@dataclass(frozen=True)
class SolPrice:
    """`base_units` of the route's base token buy `lamports` lamports. Converting rounds up (against the route)."""

    base_units: int
    lamports: int

    def __post_init__(self) -> None:
        if self.base_units < 0 or self.lamports <= 0:
            raise ValueError(f"SOL price needs base_units >= 0 and lamports > 0, got {self.base_units}:{self.lamports}")

    def base_for(self, lamports: int) -> int:
        """Base-token units that buy `lamports` at this price, rounded up (against the route)."""
        return _ceil_div(lamports * self.base_units, self.lamports)


def sol_price_from_pool(pool: VenuePool, base: Pubkey, lamports: int) -> SolPrice:
    """What buying `lamports` of wrapped SOL through `pool` costs now, in `base`: the smallest input whose
    exact quote (the venue's own integer arithmetic) pays at least `lamports`."""
    if {pool.mint_a, pool.mint_b} != {base, WSOL_MINT}:
        raise FeeFloorError(f"pool {pool.address} does not pair {base} with wrapped SOL")
    if lamports <= 0:
        return SolPrice(0, 1)

    def pays(amount: int) -> bool:
        try:
            return pool.quote(base, amount) >= lamports
        except QuoteError:
            return False

    high = 1
    while not pays(high):
        if high >= U64_MAX:
            raise FeeFloorError(f"pool {pool.address} cannot pay {lamports} lamports for any {base} input")
        high = min(high * 2, U64_MAX)
    low = high // 2  # pays(low) is false (or low is 0)
    while high - low > 1:
        mid = (low + high) // 2
        if pays(mid):
            high = mid
        else:
            low = mid
    return SolPrice(high, lamports)


def route_sol_price(route: Route, lamports: int) -> SolPrice | None:
    """A SOL price from the route's own pools: the dearest buy-back among its pools pairing the base with
    wrapped SOL; None when it has none."""
    return sol_price_from_pools((h.pool for h in route.hops), route.base, lamports)


def sol_price_from_pools(pools: Iterable[VenuePool], base: Pubkey, lamports: int) -> SolPrice | None:
    """A SOL price in `base` from `pools` pairing `base` with wrapped SOL: the dearest buy-back of `lamports`.

    Pools that cannot pay `lamports` are skipped; None when no pool can.
    """
    prices = []
    for pool in pools:
        if {pool.mint_a, pool.mint_b} == {base, WSOL_MINT}:
            try:
                prices.append(sol_price_from_pool(pool, base, lamports))
            except FeeFloorError:
                continue
    return max(prices, key=lambda p: p.base_for(lamports), default=None)


def fee_floor(cost: TxCost, base: Pubkey, price: SolPrice | None) -> int:
    """The fees in base units: lamports as they are for wrapped SOL, else at `price` (required)."""
    if base == WSOL_MINT:
        return cost.lamports
    if price is None:
        raise FeeFloorError(
            f"route base {base} is not wrapped SOL and no SOL price was given: cannot value fees of "
            f"{cost.lamports} lamports ({cost.describe()})"
        )
    return price.base_for(cost.lamports)


def required_min_profit(route: Route, cost: TxCost, price: SolPrice | None, min_net_profit: int = 1) -> int:
    """The `min_profit` to put on chain: fees in base units plus `min_net_profit`. FeeFloorError (one line,
    naming the numbers) when the route's expected profit does not clear it."""
    if min_net_profit < 1:
        raise ValueError(f"min_net_profit must be at least 1 base unit, got {min_net_profit}")
    floor = fee_floor(cost, route.base, price)
    need = floor + min_net_profit
    if route.profit < need:
        raise FeeFloorError(
            f"route profit {route.profit} of {route.base} does not clear fees {floor} + minimum net {min_net_profit}"
            f" = {need} ({cost.describe()}); not built"
        )
    if need > U64_MAX:
        raise FeeFloorError(f"min_profit {need} does not fit a u64")
    return need


@dataclass(frozen=True)
class TipPolicy:
    """The Jito tip: `share_bps` of the expected profit left after the other fees, never below the
    block engine's floor nor `min_tip`, never above `max_tip` (all lamports)."""

    share_bps: int = 5_000
    min_tip: int = 1_000
    max_tip: int = 100_000_000

    def __post_init__(self) -> None:
        if not 0 <= self.share_bps <= 10_000:
            raise ValueError(f"tip share must be 0..10000 bps, got {self.share_bps}")
        if not 0 < self.min_tip <= self.max_tip:
            raise ValueError(f"tip bounds must satisfy 0 < min <= max, got {self.min_tip}..{self.max_tip}")


def profit_in_lamports(profit: int, base: Pubkey, price: SolPrice | None) -> int:
    """A profit in base units valued in lamports, rounded down (against the route)."""
    if base == WSOL_MINT:
        return profit
    if price is None or price.base_units == 0:
        raise FeeFloorError(f"route base {base} is not wrapped SOL and no SOL price was given: cannot size a tip")
    return profit * price.lamports // price.base_units


def size_tip(expected_profit_lamports: int, other_fees: int, floor: int, policy: TipPolicy) -> int:
    """The tip for a route expected to earn `expected_profit_lamports` before `other_fees` (signatures and
    priority fee). FeeFloorError when the bounds leave no tip that both lands and leaves a profit."""
    lowest = max(floor, policy.min_tip)
    if lowest > policy.max_tip:
        raise FeeFloorError(f"tip floor {floor} lamports is above the configured maximum tip {policy.max_tip}")
    surplus = expected_profit_lamports - other_fees
    if surplus <= lowest:
        raise FeeFloorError(
            f"expected profit {expected_profit_lamports} lamports less fees {other_fees} leaves {surplus}, "
            f"not more than the lowest tip that lands ({lowest}); not sent"
        )
    # Never the whole surplus (a 100% share): the route must still make at least one lamport.
    return min(max(surplus * policy.share_bps // 10_000, lowest), policy.max_tip, surplus - 1)
