"""Balancer V2 composable stable pool (v3 factory): the token-to-token swaps the Vault executes, exact to the wei.

A composable stable pool holds 2 to 5 tokens plus its own pool share (BPT), registered in the Vault as one more
pool token (at `bpt_index`, with about 2^111 preminted). A swap between two of the other tokens works on the
StableSwap invariant `D` of the upscaled balances `x_i` (BPT left out), with amplification `A` and `n` tokens
(Balancer V2 / Curve whitepapers):

    A * n^n * sum(x_i) + D = A * D * n^n + D^(n+1) / (n^n * prod(x_i))

`D` is found by Newton's method from `D = sum(x_i)`; the balance of the token out (or in) that keeps `D` is
found by Newton's method on the quadratic `y^2 + (b - D) y = c`, starting from `(D^2 + c) / (D + b)`. Each
iteration stops when two successive values are at most 1 apart; 255 rounds without that are refusals
(`BAL#321` for `D`, `BAL#322` for the balance). The amplification is kept times 1000 (`AMP_PRECISION`), so
`A * n` in the formulas is `amp * n / 1000` with the divisions placed where the pool places them: every
quotient of the balance iteration rounds up, every one of the invariant rounds down. The exact-input output
is `x_out - y - 1` (so one raw unit in, all taken by the fee, is refused with `BAL#001`), the exact-output
input `y - x_in + 1`.

Amounts are upscaled with each token's scaling factor, `10^(18 - decimals) * rate` (rounded down), where the
rate is 1e18 for a token without a rate provider and otherwise the pool's cached rate. The pool refreshes a
token's cache at the start of every swap whose block timestamp is past the cache's `expires`: the provider's
`getRate()` becomes the rate and `expires` becomes `timestamp + duration`. This model does the same at
`timestamp` (the block timestamp the swap executes at, set by the caller), which needs `provider_rate`, the
provider's current answer, for every cache that has expired (`due_rate_reads` lists them). The amplification
ramps linearly in time between `amp_start` at `amp_start_time` and `amp_end` at `amp_end_time`.

The swap fee is taken from the amount in, as in the weighted pool: exact input keeps `in - ceil(in * fee)`
for the curve (before upscaling), exact output grosses the downscaled input up to `ceil(in / (1 - fee))`.
Exact-input outputs are downscaled rounding down, exact-output inputs rounding up.

Refusals follow the contracts: a paused pool (`BAL#402`), a provider rate past 96 bits (`BAL#329`), the
iterations' non-convergence (321, 322), arithmetic the pool's safe math refuses (`BAL#000`, 001, 003, 004), and
the Vault's checks (zero amount 510, same token 509, a balance that would not fit its 112-bit storage 526).
Each raises an `AmmError`; where the contract reverts, a `ContractRevert` naming its `BAL#` code.

Swaps to or from the BPT itself are single-token joins and exits, computed as the pool does: first the
protocol fees due since the last join or exit (the invariant's growth from swap fees, measured at the rates of
that join or exit, and from non-exempt yield, each times its protocol fee share, paid as freshly minted BPT), then
the join or exit, whose swap fee falls only on the part of the amount beyond a proportional join or exit (no fee
is taken off the amount first), then the protocol's share of this operation's own fee; the join/exit data and
old rates move forward. These need the bookkeeping below; without it (`total_supply` 0) such a swap raises
`UnsupportedSwap`, an `AmmError` that is not a `ContractRevert`. Joins and exits through `Vault.joinPool` and
`exitPool` are not modelled.

Syncing a pool from the chain reads `Vault.getPoolTokens(pool_id)`, the pool's `getBptIndex()`,
`getScalingFactors()` together with `getTokenRate(token)` (their quotient is the decimals factor),
`getRateProviders()`, `getTokenRateCache(token)` for each token with a provider (rate, duration, expires),
`getSwapFeePercentage()`, `getPausedState()`, `getAmplificationParameter()` and, while it reports an update
in progress, the last `AmpUpdateStarted` event (start and end value and time); then `getRate()` of each
provider in `due_rate_reads` for the block to quote at. Swaps to or from the BPT also read `totalSupply()`,
`getLastJoinExitData()`, `getProtocolFeePercentageCache` of the swap (0) and yield (2) types, the old rates
(`getTokenRateCache`) and `isTokenExemptFromYieldProtocolFee(token)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from arbbot.amm.balancer_math import (
    MAX_BALANCE,
    ONE,
    add,
    book_swap,
    complement,
    div_down,
    div_up,
    int_div_down,
    int_div_up,
    mul,
    mul_down,
    mul_up,
    revert,
    sub,
)
from arbbot.amm.errors import AmmError, InvalidAmount

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
AMP_PRECISION = 1000
MIN_AMP, MAX_AMP = 1, 5000  # the raw amplification's bounds (times AMP_PRECISION in storage)
MAX_STABLE_TOKENS = 5  # not counting the BPT
MAX_ITERATIONS = 255
RATE_BITS = 96  # a cached rate is stored in 96 bits
TIMESTAMP_BITS = 32  # a cache's duration and expiry are stored in 32 bits each
_UINT256 = 2**256

# Balancer error codes the composable stable pool and the Vault raise on a swap.
STABLE_INVARIANT_DIDNT_CONVERGE_CODE = 321
STABLE_GET_BALANCE_DIDNT_CONVERGE_CODE = 322
PRICE_RATE_OVERFLOW_CODE = 329
PAUSED_CODE = 402
CANNOT_SWAP_SAME_TOKEN_CODE = 509
UNKNOWN_AMOUNT_IN_FIRST_SWAP_CODE = 510
BALANCE_TOTAL_OVERFLOW_CODE = 526


class UnsupportedSwap(AmmError):
    """A swap the model does not compute (to or from the pool's own BPT): not a statement that the pool refuses."""


# -- StableMath (the invariant and the balance that keeps it) ---------------------------------------------------


def stable_invariant(amp: int, balances: Sequence[int]) -> int:
    """The invariant `D` of upscaled `balances` at amplification `amp` (times 1000), rounded down at each step.

    0 for all-zero balances; `BAL#321` when 255 Newton rounds do not settle within 1; `BAL#004` for a zero balance
    among non-zero ones; `BAL#000`/`BAL#003` where the pool's checked arithmetic overflows.
    """
    n = len(balances)
    total = 0
    for x in balances:
        total = add(total, x)
    if total == 0:
        return 0
    amp_n = amp * n
    d = total
    for _ in range(MAX_ITERATIONS):
        # d_p = D^(n+1) / (n^n * prod(x_i)), built one balance at a time
        d_p = d
        for x in balances:
            d_p = int_div_down(mul(d_p, d), mul(x, n))
        previous = d
        numerator = mul(add(int_div_down(mul(amp_n, total), AMP_PRECISION), mul(d_p, n)), d)
        denominator = add(int_div_down(mul(amp_n - AMP_PRECISION, d), AMP_PRECISION), mul(n + 1, d_p))
        d = int_div_down(numerator, denominator)
        if abs(d - previous) <= 1:
            return d
    raise revert(STABLE_INVARIANT_DIDNT_CONVERGE_CODE, f"invariant of {list(balances)} at amp {amp} did not converge")


def balance_given_invariant(amp: int, balances: Sequence[int], invariant: int, k: int) -> int:
    """The balance of token `k` that keeps `invariant` with every other balance as given, rounded up at each step.

    `balances[k]` itself enters only through the product term the pool divides back out. `BAL#322` when 255
    Newton rounds do not settle within 1; `BAL#004` where a divisor is zero (an emptied balance).
    """
    n = len(balances)
    amp_n = amp * n
    total = balances[0]
    p_d = (balances[0] * n) % _UINT256  # unchecked in the pool
    for j in range(1, n):
        p_d = int_div_down(mul(mul(p_d, balances[j]), n), invariant)
        total = add(total, balances[j])
    total -= balances[k]
    d2 = mul(invariant, invariant)
    c = mul(mul(int_div_up(d2, mul(amp_n, p_d)), AMP_PRECISION), balances[k])
    b = add(total, mul(int_div_down(invariant, amp_n), AMP_PRECISION))
    y = int_div_up(add(d2, c), add(invariant, b))
    for _ in range(MAX_ITERATIONS):
        previous = y
        y = int_div_up(add(mul(y, y), c), sub(add(mul(y, 2), b), invariant))
        if abs(y - previous) <= 1:
            return y
    raise revert(STABLE_GET_BALANCE_DIDNT_CONVERGE_CODE, f"balance {k} of {list(balances)} did not converge")


def stable_out_given_in(amp: int, balances: Sequence[int], i: int, j: int, amount_in: int, invariant: int) -> int:
    """Upscaled output of token `j` for `amount_in` (upscaled) of token `i`: `x_j - y - 1`, refused below zero."""
    moved = list(balances)
    moved[i] = add(moved[i], amount_in)
    final_out = balance_given_invariant(amp, moved, invariant, j)
    return sub(sub(balances[j], final_out), 1)


def stable_in_given_out(amp: int, balances: Sequence[int], i: int, j: int, amount_out: int, invariant: int) -> int:
    """Upscaled input of token `i` for `amount_out` (upscaled) of token `j`: `y - x_i + 1`."""
    moved = list(balances)
    moved[j] = sub(moved[j], amount_out)
    final_in = balance_given_invariant(amp, moved, invariant, i)
    return add(sub(final_in, balances[i]), 1)


def _sum(balances: Sequence[int]) -> int:
    total = 0
    for x in balances:
        total = add(total, x)
    return total


def bpt_out_given_exact_tokens_in(
    amp: int, balances: Sequence[int], amounts_in: Sequence[int], supply: int, invariant: int, fee: int
) -> int:
    """BPT minted for `amounts_in` (upscaled) added to `balances`; the swap fee applies only to the part of each
    amount beyond a proportional join (the taxable part), and the result rounds down."""
    total = _sum(balances)
    ratios = []
    invariant_ratio = 0
    for x, a in zip(balances, amounts_in, strict=True):
        weight = div_down(x, total)
        ratios.append(div_down(add(x, a), x))
        invariant_ratio = add(invariant_ratio, mul_down(ratios[-1], weight))
    grown = []
    for x, a, r in zip(balances, amounts_in, ratios, strict=True):
        if r > invariant_ratio:
            untaxed = mul_down(x, sub(invariant_ratio, ONE))
            a = add(untaxed, mul_down(sub(a, untaxed), ONE - fee))
        grown.append(add(x, a))
    ratio = div_down(stable_invariant(amp, grown), invariant)
    return mul_down(supply, ratio - ONE) if ratio > ONE else 0


def token_in_given_exact_bpt_out(
    amp: int, balances: Sequence[int], k: int, bpt_out: int, supply: int, invariant: int, fee: int
) -> int:
    """Upscaled amount of token `k` that mints exactly `bpt_out`, the fee grossed up on the taxable part, rounded up."""
    target = mul_up(div_up(add(supply, bpt_out), supply), invariant)
    without_fee = sub(balance_given_invariant(amp, balances, target, k), balances[k])
    taxable = mul_up(without_fee, complement(div_down(balances[k], _sum(balances))))
    return add(sub(without_fee, taxable), div_up(taxable, ONE - fee))


def bpt_in_given_exact_tokens_out(
    amp: int, balances: Sequence[int], amounts_out: Sequence[int], supply: int, invariant: int, fee: int
) -> int:
    """BPT burnt to take `amounts_out` (upscaled) from `balances`, the fee on the taxable part, rounded up."""
    total = _sum(balances)
    ratios = []
    invariant_ratio = 0
    for x, a in zip(balances, amounts_out, strict=True):
        weight = div_up(x, total)
        ratios.append(div_up(sub(x, a), x))
        invariant_ratio = add(invariant_ratio, mul_up(ratios[-1], weight))
    shrunk = []
    for x, a, r in zip(balances, amounts_out, ratios, strict=True):
        if invariant_ratio > r:
            untaxed = mul_down(x, complement(invariant_ratio))
            a = add(untaxed, div_up(sub(a, untaxed), ONE - fee))
        shrunk.append(sub(x, a))
    ratio = div_down(stable_invariant(amp, shrunk), invariant)
    return mul_up(supply, complement(ratio))


def token_out_given_exact_bpt_in(
    amp: int, balances: Sequence[int], k: int, bpt_in: int, supply: int, invariant: int, fee: int
) -> int:
    """Upscaled amount of token `k` paid for burning exactly `bpt_in`, the fee on the taxable part, rounded down."""
    target = mul_up(div_up(sub(supply, bpt_in), supply), invariant)
    without_fee = sub(balances[k], balance_given_invariant(amp, balances, target, k))
    taxable = mul_up(without_fee, complement(div_down(balances[k], _sum(balances))))
    return add(sub(without_fee, taxable), mul_down(taxable, ONE - fee))


def bpt_for_ownership(supply: int, share: int) -> int:
    """BPT to mint so its holder owns `share` (18 decimals) of the pool afterwards: `supply * share / (1 - share)`."""
    return int_div_down(mul(supply, share), complement(share))


def amplification_at(start: int, end: int, start_time: int, end_time: int, timestamp: int) -> int:
    """The amplification (times 1000) at `timestamp` on a linear ramp; `end` once `timestamp >= end_time`."""
    if timestamp >= end_time:
        return end
    if timestamp < start_time:
        raise ValueError(f"timestamp {timestamp} is before the amplification ramp's start {start_time}")
    elapsed, span = timestamp - start_time, end_time - start_time
    if end > start:
        return start + (end - start) * elapsed // span
    return start - (start - end) * elapsed // span


# -- the pool ---------------------------------------------------------------------------------------------------


@dataclass
class RateCache:
    """A token's rate cache in the pool (`getTokenRateCache`): the cached `rate` (18 decimals), the cache's
    `duration` and `expires` (seconds, a unix time), `provider_rate`, what the rate provider's `getRate()`
    answers now (`None`: not read; needed only once the cache has expired), and `old_rate`, the rate at the last
    join or exit (the base of the pool's yield protocol fee; needed only for swaps to or from the BPT)."""

    rate: int
    duration: int
    expires: int
    provider_rate: int | None = None
    old_rate: int | None = None


@dataclass
class _After:
    """What a quoted swap leaves besides the balances: the rate caches, and for a join or exit the BPT minted as
    protocol fees with the new join/exit amplification and invariant."""

    caches: list[RateCache | None]
    join_exit: tuple[int, int, int] | None = None


@dataclass
class BalancerComposableStablePool:
    """One Balancer V2 composable stable pool's swap state, read from the Vault and the pool.

    `tokens` are every token the Vault registers for the pool, in its order (`getPoolTokens`), the pool's own
    BPT at `bpt_index`; `balances` the Vault's raw balances for them (the BPT's included, never used by a swap).
    `decimal_factors` are `1e18 * 10^(18 - decimals)` per token (1e18 for the BPT); `rate_providers` the
    providers' addresses (the zero address for none) and `rate_caches` their caches (`None` without a provider).
    The amplification ramps from `amp_start` at `amp_start_time` to `amp_end` at `amp_end_time` (values times
    1000; a pool not ramping has `amp_start == amp_end` and any times not after `timestamp`). `swap_fee` is 18
    decimals (1e14 = 0.01%), `paused` whether the pool refuses swaps now, and `timestamp` the block timestamp the
    next swap executes at: it decides the amplification and which rate caches the swap refreshes.

    Swaps to or from the BPT (single-token joins and exits) also need the join/exit bookkeeping: `total_supply`
    (the BPT's `totalSupply()`, preminted part included; 0 means not read, and such swaps are refused as
    `UnsupportedSwap`), `getLastJoinExitData()` (`last_join_exit_amp`, `last_join_exit_invariant`), the cached
    protocol fee percentages (`getProtocolFeePercentageCache` of the swap and yield types), each token's
    `isTokenExemptFromYieldProtocolFee` (`yield_exempt`, empty for none) and the caches' `old_rate`.
    """

    kind: ClassVar[str] = "balancer_composable_stable"
    address: str
    pool_id: str
    vault: str
    tokens: tuple[str, ...]
    balances: list[int]
    bpt_index: int
    decimal_factors: tuple[int, ...]
    rate_providers: tuple[str, ...]
    rate_caches: list[RateCache | None]
    amp_start: int
    amp_end: int
    amp_start_time: int
    amp_end_time: int
    swap_fee: int
    timestamp: int
    paused: bool = False
    total_supply: int = 0
    last_join_exit_amp: int = 0
    last_join_exit_invariant: int = 0
    protocol_swap_fee: int = 0
    protocol_yield_fee: int = 0
    yield_exempt: tuple[bool, ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    # The last (upscaled balances, amplification) and its invariant: quotes on one state compute it once.
    _last_invariant: tuple[tuple[int, ...], int, int] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        n = len(self.tokens)
        at = f"pool {self.address}"
        if not 3 <= n <= MAX_STABLE_TOKENS + 1:
            raise ValueError(f"{at}: tokens: a composable stable pool has 2..{MAX_STABLE_TOKENS} tokens plus its BPT")
        for name in ("balances", "decimal_factors", "rate_providers", "rate_caches"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{at}: {name} has {len(getattr(self, name))} entries for {n} tokens")
        if not 0 <= self.bpt_index < n or self.tokens[self.bpt_index].lower() != self.address.lower():
            raise ValueError(f"{at}: bpt_index {self.bpt_index} does not point at the pool's own token")
        if min(self.decimal_factors) < ONE or self.decimal_factors[self.bpt_index] != ONE:
            raise ValueError(f"{at}: decimal_factors {list(self.decimal_factors)} (>= 1e18, the BPT's 1e18)")
        for k, (provider, cache) in enumerate(zip(self.rate_providers, self.rate_caches, strict=True)):
            if (provider.lower() == ZERO_ADDRESS) != (cache is None) or (k == self.bpt_index and cache is not None):
                raise ValueError(f"{at}: token {k}: a rate cache exactly where there is a rate provider")
            if cache is not None and not (0 <= cache.rate < 2**RATE_BITS and 0 <= cache.duration < 2**TIMESTAMP_BITS):
                raise ValueError(f"{at}: token {k}: rate cache {cache} out of range")
        for name in ("amp_start", "amp_end"):
            if not MIN_AMP * AMP_PRECISION <= getattr(self, name) <= MAX_AMP * AMP_PRECISION:
                raise ValueError(f"{at}: {name} {getattr(self, name)} outside 1000..5000000 (amp times 1000)")
        if self.amp_start_time > self.amp_end_time:
            raise ValueError(f"{at}: amp_start_time {self.amp_start_time} after amp_end_time {self.amp_end_time}")
        if not 0 <= self.swap_fee < ONE:
            raise ValueError(f"{at}: swap_fee {self.swap_fee} out of range")
        if any(not 0 <= b <= MAX_BALANCE for b in self.balances):
            raise ValueError(f"{at}: balances {self.balances} out of the Vault's 112-bit range")
        self.yield_exempt = tuple(self.yield_exempt) or (False,) * n
        if len(self.yield_exempt) != n or self.yield_exempt[self.bpt_index]:
            raise ValueError(f"{at}: yield_exempt {list(self.yield_exempt)} (one flag per token, the BPT's False)")
        if any(c is None and x for c, x in zip(self.rate_caches, self.yield_exempt, strict=True)):
            raise ValueError(f"{at}: yield_exempt: only a token with a rate provider can be exempt")
        for name in ("protocol_swap_fee", "protocol_yield_fee"):
            if not 0 <= getattr(self, name) < ONE:
                raise ValueError(f"{at}: {name} {getattr(self, name)} out of range")
        if self.total_supply < 0 or self.last_join_exit_invariant < 0 or self.last_join_exit_amp < 0:
            raise ValueError(f"{at}: total_supply and the last join/exit data must not be negative")
        self.tokens = tuple(self.tokens)
        self.balances = list(self.balances)
        self.rate_caches = [None if c is None else replace(c) for c in self.rate_caches]
        self._index = {t.lower(): k for k, t in enumerate(self.tokens)}
        if len(self._index) != n:
            raise ValueError(f"{at}: tokens {list(self.tokens)} repeat a token")

    # -- lookups ------------------------------------------------------------------------------------
    def index(self, token: str) -> int:
        """The position of `token` (address, any case) among the registered tokens; `ValueError` if not held."""
        k = self._index.get(token.lower())
        if k is None:
            raise ValueError(f"pool {self.address}: token {token} is not one of {list(self.tokens)}")
        return k

    @property
    def main_tokens(self) -> tuple[str, ...]:
        """The tokens a swap can trade with this model: every registered token but the BPT, in the Vault's order."""
        return tuple(t for k, t in enumerate(self.tokens) if k != self.bpt_index)

    @property
    def amplification(self) -> int:
        """The amplification (times 1000) at `timestamp`."""
        return amplification_at(self.amp_start, self.amp_end, self.amp_start_time, self.amp_end_time, self.timestamp)

    def due_rate_reads(self) -> list[str]:
        """Tokens whose rate cache has expired at `timestamp` (a swap then refreshes it): their provider's
        `getRate()` must be known (`RateCache.provider_rate`) to quote."""
        return [self.tokens[k] for k, c in enumerate(self.rate_caches) if c is not None and self.timestamp > c.expires]

    def _refreshed(self) -> list[RateCache | None]:
        """The rate caches as the swap's first step leaves them at `timestamp` (`BAL#329` for a rate past 96 bits)."""
        out: list[RateCache | None] = []
        for k, cache in enumerate(self.rate_caches):
            if cache is None or self.timestamp <= cache.expires:
                out.append(cache)
                continue
            if cache.provider_rate is None:
                raise AmmError(
                    f"pool {self.address}: the rate cache of {self.tokens[k]} expired at {cache.expires} "
                    f"(timestamp {self.timestamp}): its provider's rate is needed"
                )
            if cache.provider_rate >= 2**RATE_BITS:
                raise revert(PRICE_RATE_OVERFLOW_CODE, f"rate {cache.provider_rate} of {self.tokens[k]} past 96 bits")
            expires = self.timestamp + cache.duration
            if expires >= 2**TIMESTAMP_BITS:
                raise AmmError(f"pool {self.address}: rate cache expiry {expires} does not fit 32 bits")
            out.append(replace(cache, rate=cache.provider_rate, expires=expires))
        return out

    def scaling_factors(self) -> tuple[int, ...]:
        """The factors a swap at `timestamp` upscales with: `decimal_factor * rate / 1e18` (rates refreshed)."""
        return self._factors(self._refreshed())

    def _factors(self, caches: list[RateCache | None]) -> tuple[int, ...]:
        return tuple(f if c is None else mul_down(f, c.rate) for f, c in zip(self.decimal_factors, caches, strict=True))

    def _pair(self, token_in: str, token_out: str, amount: int, what: str) -> tuple[int, int]:
        if amount <= 0:
            if amount == 0:
                raise revert(UNKNOWN_AMOUNT_IN_FIRST_SWAP_CODE, f"pool {self.address}: {what} is 0")
            raise InvalidAmount(f"pool {self.address}: {what} must be positive, got {amount}")
        if amount >= _UINT256:
            raise InvalidAmount(f"pool {self.address}: {what} {amount} does not fit uint256")
        i, j = self.index(token_in), self.index(token_out)
        if i == j:
            raise revert(
                CANNOT_SWAP_SAME_TOKEN_CODE, f"pool {self.address}: token_in and token_out are both {token_in}"
            )
        if self.bpt_index in (i, j) and self.total_supply == 0:
            raise UnsupportedSwap(
                f"pool {self.address}: a swap to or from the pool's BPT needs total_supply and the join/exit data"
            )
        if self.paused:
            raise revert(PAUSED_CODE, f"pool {self.address} is paused")
        return i, j

    def _curve(self, factors: tuple[int, ...], i: int, j: int) -> tuple[int, list[int], int, int, int]:
        """Amplification, upscaled balances without the BPT, the pair's indexes among them and the invariant."""
        upscaled = [mul_down(b, f) for b, f in zip(self.balances, factors, strict=True)]
        del upscaled[self.bpt_index]
        ii = i - (i > self.bpt_index)
        jj = j - (j > self.bpt_index)
        amp = self.amplification
        key = tuple(upscaled)
        last = self._last_invariant
        if last is not None and last[0] == key and last[1] == amp:
            return amp, upscaled, ii, jj, last[2]
        invariant = stable_invariant(amp, upscaled)
        self._last_invariant = (key, amp, invariant)
        return amp, upscaled, ii, jj, invariant

    def _check_balances(self, i: int, j: int, amount_in: int, amount_out: int) -> None:
        # The Vault books the swap: the pool's balance in must still fit 112 bits, the balance out cover the output.
        if self.balances[i] + amount_in > MAX_BALANCE:
            raise revert(BALANCE_TOTAL_OVERFLOW_CODE, f"pool {self.address}: balance in would exceed 112 bits")
        sub(self.balances[j], amount_out)

    def _adjusted(self, balances: list[int], caches: list[RateCache | None], all_with_rates: bool) -> list[int]:
        """Balances (BPT dropped) at the rates of the last join or exit: for every token with a rate provider when
        `all_with_rates`, else only for the tokens exempt from the yield fee."""
        out = []
        for i, x in enumerate(balances):
            k = i + (i >= self.bpt_index)
            cache = caches[k]
            if cache is not None and (self.yield_exempt[k] or all_with_rates):
                if cache.old_rate is None:
                    raise AmmError(
                        f"pool {self.address}: the old rate of {self.tokens[k]} is needed (getTokenRateCache)"
                    )
                x = int_div_down(mul(x, cache.old_rate), cache.rate)
            out.append(x)
        return out

    def _join_exit(
        self, caches: list[RateCache | None], factors: tuple[int, ...], i: int, j: int, amount: int, exact_in: bool
    ) -> tuple[int, _After]:
        """A swap to (join) or from (exit) the BPT, as the pool computes it: protocol fees due since the last join or
        exit first (paid in minted BPT), then the single-token join or exit, then the swap-fee share of the
        invariant's growth; `amount` is raw, the answer raw (rounded down out, up in)."""
        upscaled = [mul_down(b, f) for b, f in zip(self.balances, factors, strict=True)]
        given = mul_down(amount, factors[i if exact_in else j])
        supply = sub(self.total_supply, upscaled[self.bpt_index])
        balances = upscaled[: self.bpt_index] + upscaled[self.bpt_index + 1 :]
        last_amp, last_invariant = self.last_join_exit_amp, self.last_join_exit_invariant
        # Protocol fees due: the swap-fee and (non-exempt) yield growth of the invariant since the last join or exit.
        swap_growth = stable_invariant(last_amp, self._adjusted(balances, caches, True))
        total_growth = stable_invariant(last_amp, balances)
        exempt = [self.yield_exempt[k] for k in range(len(self.tokens)) if k != self.bpt_index]
        if not any(exempt):
            non_exempt_growth = total_growth
        elif all(exempt):
            non_exempt_growth = swap_growth
        else:
            non_exempt_growth = stable_invariant(last_amp, self._adjusted(balances, caches, False))
        swap_delta = swap_growth - last_invariant if swap_growth > last_invariant else 0
        yield_delta = non_exempt_growth - swap_growth if non_exempt_growth > swap_growth else 0
        share = mul_down(div_down(swap_delta, total_growth), self.protocol_swap_fee) + mul_down(
            div_down(yield_delta, total_growth), self.protocol_yield_fee
        )
        minted = bpt_for_ownership(supply, share)
        supply = (supply + minted) % _UINT256
        amp = self.amplification
        invariant = total_growth if amp == last_amp else stable_invariant(amp, balances)
        fee = self.swap_fee
        if j == self.bpt_index:  # join: token i in, BPT out
            k = i - (i > self.bpt_index)
            if exact_in:
                amounts = [given if x == k else 0 for x in range(len(balances))]
                calculated = bpt_out_given_exact_tokens_in(amp, balances, amounts, supply, invariant, fee)
                balances[k] = add(balances[k], given)
                after_supply = add(supply, calculated)
            else:
                calculated = token_in_given_exact_bpt_out(amp, balances, k, given, supply, invariant, fee)
                balances[k] = add(balances[k], calculated)
                after_supply = add(supply, given)
        else:  # exit: BPT in, token j out
            k = j - (j > self.bpt_index)
            if exact_in:
                calculated = token_out_given_exact_bpt_in(amp, balances, k, given, supply, invariant, fee)
                balances[k] = sub(balances[k], calculated)
                after_supply = sub(supply, given)
            else:
                amounts = [given if x == k else 0 for x in range(len(balances))]
                calculated = bpt_in_given_exact_tokens_out(amp, balances, amounts, supply, invariant, fee)
                balances[k] = sub(balances[k], given)
                after_supply = sub(supply, calculated)
        # The swap fee's share of the invariant's growth beyond the supply's, paid to the protocol at once.
        after_invariant = stable_invariant(amp, balances)
        feeless = mul_down(invariant, div_down(after_supply, supply))
        if after_invariant > feeless:
            owned = int_div_down(mul(after_invariant - feeless, self.protocol_swap_fee), after_invariant)
            if owned > 0:
                minted += bpt_for_ownership(after_supply, owned)
        result = div_down(calculated, factors[j]) if exact_in else div_up(calculated, factors[i])
        return result, _After(caches, (minted, amp, after_invariant))

    # -- quotes -------------------------------------------------------------------------------------
    def _exact_in(self, token_in: str, token_out: str, amount_in: int) -> tuple[int, _After]:
        i, j = self._pair(token_in, token_out, amount_in, "amount_in")
        caches = self._refreshed()
        factors = self._factors(caches)
        if self.bpt_index in (i, j):
            amount_out, after = self._join_exit(caches, factors, i, j, amount_in, True)
            self._check_balances(i, j, amount_in, amount_out)
            return amount_out, after
        after_fee = sub(amount_in, mul_up(amount_in, self.swap_fee))
        amp, upscaled, ii, jj, invariant = self._curve(factors, i, j)
        out = stable_out_given_in(amp, upscaled, ii, jj, mul_down(after_fee, factors[i]), invariant)
        amount_out = div_down(out, factors[j])
        self._check_balances(i, j, amount_in, amount_out)
        return amount_out, _After(caches)

    def _exact_out(self, token_in: str, token_out: str, amount_out: int) -> tuple[int, _After]:
        i, j = self._pair(token_in, token_out, amount_out, "amount_out")
        caches = self._refreshed()
        factors = self._factors(caches)
        if self.bpt_index in (i, j):
            amount_in, after = self._join_exit(caches, factors, i, j, amount_out, False)
            self._check_balances(i, j, amount_in, amount_out)
            return amount_in, after
        amp, upscaled, ii, jj, invariant = self._curve(factors, i, j)
        needed = stable_in_given_out(amp, upscaled, ii, jj, mul_down(amount_out, factors[j]), invariant)
        amount_in = div_up(div_up(needed, factors[i]), complement(self.swap_fee))
        self._check_balances(i, j, amount_in, amount_out)
        return amount_in, _After(caches)

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Raw units of `token_out` the Vault pays for exactly `amount_in` raw units of `token_in` (rounded down)."""
        return self._exact_in(token_in, token_out, amount_in)[0]

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Raw units of `token_in` the Vault takes to pay exactly `amount_out` of `token_out` (rounded up)."""
        return self._exact_out(token_in, token_out, amount_out)[0]

    # -- state changes ------------------------------------------------------------------------------
    def apply_swap(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Swap exactly `amount_in` on this state (as `Vault.swap` GIVEN_IN would at `timestamp`), refreshing
        expired rate caches as the pool does, and return the amount out."""
        amount_out, after = self._exact_in(token_in, token_out, amount_in)
        self.apply_swap_event(token_in, token_out, amount_in, amount_out)
        self._book(after)
        return amount_out

    def apply_swap_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Swap for exactly `amount_out` on this state (as `Vault.swap` GIVEN_OUT would at `timestamp`), refreshing
        expired rate caches, and return the amount in."""
        amount_in, after = self._exact_out(token_in, token_out, amount_out)
        self.apply_swap_event(token_in, token_out, amount_in, amount_out)
        self._book(after)
        return amount_in

    def _book(self, after: _After) -> None:
        """Keep what the swap changed besides the balances: refreshed caches and, for a join or exit, the BPT
        minted as protocol fees, the join/exit data and the old rates (set to the current ones)."""
        self.rate_caches = after.caches
        if after.join_exit is not None:
            minted, amp, invariant = after.join_exit
            self.total_supply += minted
            self.last_join_exit_amp, self.last_join_exit_invariant = amp, invariant
            self.rate_caches = [None if c is None else replace(c, old_rate=c.rate) for c in self.rate_caches]

    def apply_swap_event(self, token_in: str, token_out: str, amount_in: int, amount_out: int) -> None:
        """Book a swap the Vault reported (its `Swap` event): the pool gains `amount_in` and pays `amount_out`.

        Rate caches are not touched (the pool logs `TokenRateCacheUpdated` for those: `apply_rate_update`).
        Raises `ValueError` (and changes nothing) for a swap this state cannot have made: one token on both sides,
        a negative amount, more out than the pool holds or a balance past 112 bits.
        """
        book_swap(self.address, self.balances, self.index(token_in), self.index(token_out), amount_in, amount_out)

    def apply_rate_update(self, token: str, rate: int, timestamp: int) -> None:
        """Book a `TokenRateCacheUpdated` event logged in a block at `timestamp`: the cache holds `rate` and expires
        `duration` seconds later. `ValueError` for a token without a rate provider or a rate past 96 bits."""
        k = self.index(token)
        cache = self.rate_caches[k]
        if cache is None or not 0 <= rate < 2**RATE_BITS:
            raise ValueError(f"pool {self.address}: rate update {rate} for {token}, which has no rate cache")
        self.rate_caches[k] = RateCache(rate, cache.duration, timestamp + cache.duration, cache.provider_rate)

    def apply_amp_update(self, start: int, end: int, start_time: int, end_time: int) -> None:
        """Book `AmpUpdateStarted(start, end, start_time, end_time)`; `AmpUpdateStopped(v)` at time `t` is
        `(v, v, t, t)`. Values are times 1000."""
        for v in (start, end):
            if not MIN_AMP * AMP_PRECISION <= v <= MAX_AMP * AMP_PRECISION or start_time > end_time:
                raise ValueError(f"pool {self.address}: amp update {(start, end, start_time, end_time)} out of range")
        self.amp_start, self.amp_end, self.amp_start_time, self.amp_end_time = start, end, start_time, end_time

    def copy(self) -> BalancerComposableStablePool:
        """An independent copy (its own balances and rate caches) for what-if quoting."""
        return BalancerComposableStablePool.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot with `kind`; balances, factors, rates, amplification and fee as decimal strings."""
        return {
            "kind": self.kind,
            "address": self.address,
            "pool_id": self.pool_id,
            "vault": self.vault,
            "tokens": list(self.tokens),
            "balances": [str(b) for b in self.balances],
            "bpt_index": self.bpt_index,
            "decimal_factors": [str(f) for f in self.decimal_factors],
            "rate_providers": list(self.rate_providers),
            "rate_caches": [
                None
                if c is None
                else {
                    "rate": str(c.rate),
                    "duration": c.duration,
                    "expires": c.expires,
                    "provider_rate": None if c.provider_rate is None else str(c.provider_rate),
                    "old_rate": None if c.old_rate is None else str(c.old_rate),
                }
                for c in self.rate_caches
            ],
            "amp": [str(self.amp_start), str(self.amp_end), self.amp_start_time, self.amp_end_time],
            "swap_fee": str(self.swap_fee),
            "timestamp": self.timestamp,
            "paused": self.paused,
            "total_supply": str(self.total_supply),
            "last_join_exit": [str(self.last_join_exit_amp), str(self.last_join_exit_invariant)],
            "protocol_fees": [str(self.protocol_swap_fee), str(self.protocol_yield_fee)],
            "yield_exempt": list(self.yield_exempt),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BalancerComposableStablePool:
        """Rebuild a pool from `to_dict` output, exact to the unit."""
        caches = [
            None
            if c is None
            else RateCache(
                int(c["rate"]),
                int(c["duration"]),
                int(c["expires"]),
                None if c.get("provider_rate") is None else int(c["provider_rate"]),
                None if c.get("old_rate") is None else int(c["old_rate"]),
            )
            for c in data["rate_caches"]
        ]
        amp = data["amp"]
        last_amp, last_invariant = data.get("last_join_exit", (0, 0))
        swap_share, yield_share = data.get("protocol_fees", (0, 0))
        return cls(
            data["address"], data["pool_id"], data["vault"], tuple(data["tokens"]),
            [int(b) for b in data["balances"]], int(data["bpt_index"]),
            tuple(int(f) for f in data["decimal_factors"]), tuple(data["rate_providers"]), caches,
            int(amp[0]), int(amp[1]), int(amp[2]), int(amp[3]), int(data["swap_fee"]), int(data["timestamp"]),
            bool(data.get("paused", False)), total_supply=int(data.get("total_supply", 0)),
            last_join_exit_amp=int(last_amp), last_join_exit_invariant=int(last_invariant),
            protocol_swap_fee=int(swap_share), protocol_yield_fee=int(yield_share),
            yield_exempt=tuple(bool(x) for x in data.get("yield_exempt", ())),
        )  # fmt: skip
