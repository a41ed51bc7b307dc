"""Balancer V2 weighted pool: the swaps the Vault executes against one pool, exact to the wei.

A weighted pool of N tokens (2 to 8) keeps `prod(balance_i ^ weight_i)` constant; its normalized
weights sum to 1 (18 decimals). Between any two of its tokens (Balancer V2 whitepaper):

    out = balance_out * (1 - (balance_in / (balance_in + in)) ^ (weight_in / weight_out))
    in  = balance_in * ((balance_out / (balance_out - out)) ^ (weight_out / weight_in) - 1)

computed by the pool in 18-decimal fixed point after scaling every amount of a token with `d`
decimals by 10^(18 - d), rounded in the pool's favour at each step: the power of the base is bounded
from above (`pow_up`), the exact-input output and its downscale round down, the exact-output input and
its downscale round up. The swap fee is taken from the amount in: exact input keeps
`in - ceil(in * fee)` for the curve, exact output grosses the curve's input up to
`ceil(in / (1 - fee))`. The whole amount in stays in the pool's balance (protocol fees are paid later
in pool shares, never out of a swap).

Refusals follow the contracts: an input above 30% of the pool's balance of that token (`BAL#304`) or
an output above 30% of its balance of the other (`BAL#305`), a paused pool (`BAL#402`), and the Vault's
checks (zero amount, same token, a balance that would not fit its 112-bit storage). Each raises an
`AmmError`; where the contract reverts, a `ContractRevert` naming its `BAL#` code.

The pool is addressed by token address; `quote_exact_in(token_in, token_out, amount)` works for any
ordered pair of its tokens. This model is N-token and is not a two-token `amm.base.Pool`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from arbbot.amm.balancer_math import (
    MAX_BALANCE,
    ONE,
    add,
    book_swap,
    complement,
    div_down,
    div_up,
    mul_down,
    mul_up,
    pow_up,
    revert,
    sub,
)
from arbbot.amm.errors import InvalidAmount

MAX_IN_RATIO = 3 * 10**17  # 30% of the balance in, 18 decimals
MAX_OUT_RATIO = 3 * 10**17
MIN_WEIGHT = 10**16  # 1%
MAX_TOKENS = 8
MIN_SWAP_FEE, MAX_SWAP_FEE = 10**12, 10**17  # 0.0001% .. 10%, the pool's bounds

# Balancer error codes the weighted pool and the Vault raise on a swap.
MAX_IN_RATIO_CODE = 304
MAX_OUT_RATIO_CODE = 305
PAUSED_CODE = 402
CANNOT_SWAP_SAME_TOKEN_CODE = 509
UNKNOWN_AMOUNT_IN_FIRST_SWAP_CODE = 510
BALANCE_TOTAL_OVERFLOW_CODE = 526


def scaling_factor(decimals: int) -> int:
    """The pool's 18-decimal factor that brings a token of `decimals` (0..18) to 18 decimals."""
    if not 0 <= decimals <= 18:
        raise ValueError(f"decimals: a Balancer pool token has 0..18 decimals, got {decimals}")
    return int(10 ** (18 - decimals)) * ONE


def out_given_in(balance_in: int, weight_in: int, balance_out: int, weight_out: int, amount_in: int) -> int:
    """The curve's output for `amount_in`, all upscaled to 18 decimals, rounded down; `BAL#304` above the ratio."""
    if amount_in > mul_down(balance_in, MAX_IN_RATIO):
        raise revert(MAX_IN_RATIO_CODE, f"amount in {amount_in} exceeds 30% of the balance {balance_in}")
    base = div_up(balance_in, add(balance_in, amount_in))
    power = pow_up(base, div_down(weight_in, weight_out))
    return mul_down(balance_out, complement(power))


def in_given_out(balance_in: int, weight_in: int, balance_out: int, weight_out: int, amount_out: int) -> int:
    """The curve's input for `amount_out`, all upscaled to 18 decimals, rounded up; `BAL#305` above the ratio."""
    if amount_out > mul_down(balance_out, MAX_OUT_RATIO):
        raise revert(MAX_OUT_RATIO_CODE, f"amount out {amount_out} exceeds 30% of the balance {balance_out}")
    base = div_up(balance_out, sub(balance_out, amount_out))
    power = pow_up(base, div_up(weight_out, weight_in))
    return mul_up(balance_in, sub(power, ONE))


@dataclass
class BalancerWeightedPool:
    """One Balancer V2 weighted pool's swap state, read from the Vault and the pool.

    `tokens` are in the Vault's order (`getPoolTokens`), `balances` in raw token units (what the Vault
    holds for the pool, cash plus managed), `weights` the normalized weights (18 decimals, summing to
    1e18), `scaling_factors` the pool's (`getScalingFactors`, 1e18 * 10^(18 - decimals)), `swap_fee`
    18 decimals (3e15 = 0.3%). `paused` is whether the pool refuses swaps now (`getPausedState`). The
    executor calls the `vault`; the pool is identified there by `pool_id`.
    """

    kind: ClassVar[str] = "balancer_weighted"
    address: str
    pool_id: str
    vault: str
    tokens: tuple[str, ...]
    balances: list[int]
    weights: tuple[int, ...]
    scaling_factors: tuple[int, ...]
    swap_fee: int
    paused: bool = False
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.tokens)
        if not 2 <= n <= MAX_TOKENS:
            raise ValueError(f"pool {self.address}: tokens: a weighted pool has 2..{MAX_TOKENS} tokens, got {n}")
        for name in ("balances", "weights", "scaling_factors"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"pool {self.address}: {name} has {len(getattr(self, name))} entries for {n} tokens")
        if sum(self.weights) != ONE or min(self.weights) < MIN_WEIGHT:
            raise ValueError(f"pool {self.address}: weights {list(self.weights)} must be >= 1% each and sum to 1e18")
        if min(self.scaling_factors) < ONE:
            raise ValueError(f"pool {self.address}: scaling_factors {list(self.scaling_factors)} below 1e18")
        if not 0 <= self.swap_fee < ONE:
            raise ValueError(f"pool {self.address}: swap_fee {self.swap_fee} out of range")
        if any(not 0 <= b <= MAX_BALANCE for b in self.balances):
            raise ValueError(f"pool {self.address}: balances {self.balances} out of the Vault's 112-bit range")
        self.tokens = tuple(self.tokens)
        self.balances = list(self.balances)
        self._index = {t.lower(): k for k, t in enumerate(self.tokens)}
        if len(self._index) != n:
            raise ValueError(f"pool {self.address}: tokens {list(self.tokens)} repeat a token")

    # -- lookups ------------------------------------------------------------------------------------
    def index(self, token: str) -> int:
        """The position of `token` (address, any case) in the pool; `ValueError` if the pool does not hold it."""
        k = self._index.get(token.lower())
        if k is None:
            raise ValueError(f"pool {self.address}: token {token} is not one of {list(self.tokens)}")
        return k

    def _pair(self, token_in: str, token_out: str, amount: int, what: str) -> tuple[int, int]:
        i, j = self.index(token_in), self.index(token_out)
        if i == j:
            raise revert(
                CANNOT_SWAP_SAME_TOKEN_CODE, f"pool {self.address}: token_in and token_out are both {token_in}"
            )
        if amount <= 0:
            if amount == 0:
                raise revert(UNKNOWN_AMOUNT_IN_FIRST_SWAP_CODE, f"pool {self.address}: {what} is 0")
            raise InvalidAmount(f"pool {self.address}: {what} must be positive, got {amount}")
        if amount >= 2**256:
            raise InvalidAmount(f"pool {self.address}: {what} {amount} does not fit uint256")
        if self.paused:
            raise revert(PAUSED_CODE, f"pool {self.address} is paused")
        return i, j

    def _upscale(self, k: int, amount: int) -> int:
        return mul_down(amount, self.scaling_factors[k])

    def _check_balances(self, i: int, j: int, amount_in: int, amount_out: int) -> None:
        # The Vault books the swap: the pool's balance in must still fit 112 bits, the balance out cover the output.
        if self.balances[i] + amount_in > MAX_BALANCE:
            raise revert(BALANCE_TOTAL_OVERFLOW_CODE, f"pool {self.address}: balance in would exceed 112 bits")
        sub(self.balances[j], amount_out)

    # -- quotes -------------------------------------------------------------------------------------
    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Raw units of `token_out` the Vault pays for exactly `amount_in` raw units of `token_in` (rounded down)."""
        i, j = self._pair(token_in, token_out, amount_in, "amount_in")
        after_fee = sub(amount_in, mul_up(amount_in, self.swap_fee))
        out = out_given_in(
            self._upscale(i, self.balances[i]), self.weights[i],
            self._upscale(j, self.balances[j]), self.weights[j],
            self._upscale(i, after_fee),
        )  # fmt: skip
        amount_out = div_down(out, self.scaling_factors[j])
        self._check_balances(i, j, amount_in, amount_out)
        return amount_out

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Raw units of `token_in` the Vault takes to pay exactly `amount_out` of `token_out` (rounded up)."""
        i, j = self._pair(token_in, token_out, amount_out, "amount_out")
        needed = in_given_out(
            self._upscale(i, self.balances[i]), self.weights[i],
            self._upscale(j, self.balances[j]), self.weights[j],
            self._upscale(j, amount_out),
        )  # fmt: skip
        amount_in = div_up(div_up(needed, self.scaling_factors[i]), complement(self.swap_fee))
        self._check_balances(i, j, amount_in, amount_out)
        return amount_in

    def max_amount_in(self, token_in: str) -> int:
        """An input of `token_in` above which every exact-input swap is refused (`BAL#304`): a search bound.

        Never below the largest accepted input: after the fee and the upscale it passes 30% of the balance.
        """
        k = self.index(token_in)
        limit = mul_down(self._upscale(k, self.balances[k]), MAX_IN_RATIO)
        kept = ((limit + 1) * ONE - 1) // self.scaling_factors[k]  # the most the curve may take, raw units
        return (kept + 1) * ONE // complement(self.swap_fee) + 1

    # -- state changes ------------------------------------------------------------------------------
    def apply_swap(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Swap exactly `amount_in` on this state (as `Vault.swap` GIVEN_IN would) and return the amount out."""
        amount_out = self.quote_exact_in(token_in, token_out, amount_in)
        self.apply_swap_event(token_in, token_out, amount_in, amount_out)
        return amount_out

    def apply_swap_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Swap for exactly `amount_out` on this state (as `Vault.swap` GIVEN_OUT would) and return the amount in."""
        amount_in = self.quote_exact_out(token_in, token_out, amount_out)
        self.apply_swap_event(token_in, token_out, amount_in, amount_out)
        return amount_in

    def apply_swap_event(self, token_in: str, token_out: str, amount_in: int, amount_out: int) -> None:
        """Book a swap the Vault reported (its `Swap` event): the pool gains `amount_in` and pays `amount_out`.

        Raises `ValueError` (and changes nothing) for a swap this state cannot have made: one token on both sides,
        a negative amount, more out than the pool holds or a balance past 112 bits.
        """
        book_swap(self.address, self.balances, self.index(token_in), self.index(token_out), amount_in, amount_out)

    def copy(self) -> BalancerWeightedPool:
        """An independent copy (its own balances) for what-if quoting."""
        return BalancerWeightedPool(
            self.address, self.pool_id, self.vault, self.tokens, list(self.balances), self.weights,
            self.scaling_factors, self.swap_fee, self.paused,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot with `kind`; balances, weights, factors and fee as decimal strings."""
        return {
            "kind": self.kind,
            "address": self.address,
            "pool_id": self.pool_id,
            "vault": self.vault,
            "tokens": list(self.tokens),
            "balances": [str(b) for b in self.balances],
            "weights": [str(w) for w in self.weights],
            "scaling_factors": [str(s) for s in self.scaling_factors],
            "swap_fee": str(self.swap_fee),
            "paused": self.paused,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BalancerWeightedPool:
        """Rebuild a pool from `to_dict` output, exact to the unit."""
        return cls(
            data["address"], data["pool_id"], data["vault"], tuple(data["tokens"]),
            [int(b) for b in data["balances"]], tuple(int(w) for w in data["weights"]),
            tuple(int(s) for s in data["scaling_factors"]), int(data["swap_fee"]), bool(data.get("paused", False)),
        )  # fmt: skip
