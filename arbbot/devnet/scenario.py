"""Scenario files: which tokens, pools, liquidity and price dislocations the replica holds.

A scenario is a commented TOML file plus a seed; the same file and seed always build the same chain
state. Prices are exact decimal strings (never floats) so amounts are reproducible to the wei.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arbbot.errors import ScenarioError
from arbbot.paths import PACKAGE_DIR

BUILTIN_DIR = PACKAGE_DIR / "devnet" / "scenarios"
V3_FEE_TIERS = {100: 1, 500: 10, 3000: 60, 10000: 200}  # fee (hundredths of a bip) -> tick spacing
PANCAKE_V3_FEE_TIERS = {100: 1, 500: 10, 2500: 50, 10000: 200}  # PancakeV3Factory's enabled tiers
NATIVE = "ETH"  # a V4 pool side in native ether (currency address 0), not WETH
V4_DYNAMIC_FEE = 0x800000  # PoolKey.fee of a dynamic-fee pool (LPFeeLibrary.DYNAMIC_FEE_FLAG)

Symbol = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,15}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _decimal(value: object, field: str) -> str:
    try:
        dec = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{field} must be a decimal number, got {value!r}") from exc
    if not dec.is_finite() or dec <= 0:
        raise ValueError(f"{field} must be a positive number, got {value!r}")
    return str(value)


class TokenSpec(_Strict):
    """A scenario token: symbol, decimals, its price in ETH as an exact decimal string, and an optional transfer fee in
    basis points (a fee-on-transfer token).
    """

    symbol: Symbol
    name: str = ""
    decimals: int = Field(ge=0, le=36)
    price_eth: str  # value of one whole token in ETH, as an exact decimal string
    fee_on_transfer_bps: int = Field(default=0, ge=0, le=10_000)

    @field_validator("price_eth", mode="before")
    @classmethod
    def _price(cls, v: object) -> str:
        return _decimal(v, "price_eth")


class V2PoolSpec(_Strict):
    """A Uniswap V2 pool of a scenario: the venue (one of `v2_venues`), the two token symbols, the ETH value put on each
    side, and `skew_bps`, by how much the second token's price in the first is moved off the scenario prices.
    """

    venue: str
    tokens: tuple[Symbol, Symbol]
    depth_eth: int = Field(gt=0)  # ETH value put on each side
    skew_bps: int = Field(default=0, gt=-10_000, lt=10_000)


class V3PoolSpec(_Strict):
    """A Uniswap V3 pool of a scenario: tokens, fee tier (hundredths of a basis point), ETH value per side across all
    its LP positions, the number of seeded positions, their widest width in tick spacings, and the price skew in
    basis points.
    """

    tokens: tuple[Symbol, Symbol]
    fee: Literal[100, 500, 3000, 10000]
    depth_eth: int = Field(gt=0)  # ETH value per side across all positions
    positions: int = Field(default=4, ge=1, le=64)
    max_width_spacings: int = Field(default=40, ge=1, le=2000)
    skew_bps: int = Field(default=0, gt=-10_000, lt=10_000)


class PancakeV3PoolSpec(_Strict):
    """A PancakeSwap V3 pool of a scenario, as `V3PoolSpec` with PancakeSwap's fee tiers."""

    tokens: tuple[Symbol, Symbol]
    fee: Literal[100, 500, 2500, 10000]
    depth_eth: int = Field(gt=0)
    positions: int = Field(default=4, ge=1, le=64)
    max_width_spacings: int = Field(default=40, ge=1, le=2000)
    skew_bps: int = Field(default=0, gt=-10_000, lt=10_000)


class V4PoolSpec(_Strict):
    """A Uniswap V4 pool in the PoolManager. "ETH" as a token means native ether (currency 0)."""

    tokens: tuple[Symbol, Symbol]
    # "none": no hook, static fee. "dynamic_fee": a fee-only hook sets the LP fee (PoolKey.fee is the
    # dynamic flag). "skim": a hook returning a swap delta keeps `skim_pips` of every swap's output.
    hooks: Literal["none", "dynamic_fee", "skim"] = "none"
    fee: int = Field(default=3000, ge=0, le=1_000_000)  # LP fee in pips (the initial one for dynamic_fee)
    tick_spacing: int = Field(default=60, ge=1, le=32767)
    protocol_fee: int = Field(default=0, ge=0, le=1000)  # pips, both directions, set by the fee controller
    skim_pips: int = Field(default=2000, ge=0, le=100_000)
    depth_eth: int = Field(gt=0)
    positions: int = Field(default=4, ge=1, le=64)
    max_width_spacings: int = Field(default=40, ge=1, le=2000)
    skew_bps: int = Field(default=0, gt=-10_000, lt=10_000)


class BalancerWeightedPoolSpec(_Strict):
    """A Balancer V2 weighted pool created through the real WeightedPoolFactory and INIT-joined.

    `weights` are exact decimal strings summing to 1 (each at least 0.01), in the order of `tokens`;
    `swap_fee` a fraction between 0.000001 and 0.1. Liquidity is either `depth_eth`, the pool's total
    ETH value split by weight at the scenario prices (`skew_bps` then moves the last token's price in the
    others), or `amounts`, exact raw token units per token (decimal integer strings, so values beyond
    TOML's 64-bit integers fit).
    """

    tokens: list[Symbol] = Field(min_length=2, max_length=8)
    weights: list[str]
    swap_fee: str = "0.003"
    depth_eth: int | None = Field(default=None, gt=0)
    amounts: list[str] | None = None
    skew_bps: int = Field(default=0, gt=-10_000, lt=10_000)

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, v: object) -> list[str]:
        if not isinstance(v, list):
            raise ValueError(f"weights must be a list of decimal strings, got {v!r}")
        return [_decimal(w, "weights") for w in v]

    @field_validator("swap_fee", mode="before")
    @classmethod
    def _fee(cls, v: object) -> str:
        return _decimal(v, "swap_fee")

    @field_validator("amounts", mode="before")
    @classmethod
    def _amounts(cls, v: object) -> list[str] | None:
        if v is None:
            return None
        if not isinstance(v, list) or not all(str(a).isdigit() and int(str(a)) > 0 for a in v):
            raise ValueError(f"amounts must be positive whole numbers of raw units, got {v!r}")
        return [str(a) for a in v]

    @model_validator(mode="after")
    def _shape(self) -> BalancerWeightedPoolSpec:
        n = len(self.tokens)
        if len(self.weights) != n:
            raise ValueError(f"weights: {len(self.weights)} weights for {n} tokens")
        if len(set(self.tokens)) != n:
            raise ValueError(f"tokens: a token appears twice in {self.tokens}")
        if sum(Decimal(w) for w in self.weights) != 1 or any(Decimal(w) < Decimal("0.01") for w in self.weights):
            raise ValueError(f"weights: {self.weights} must each be at least 0.01 and sum to exactly 1")
        if any(Decimal(w) * 10**18 % 1 for w in self.weights):
            raise ValueError(f"weights: {self.weights} have more than 18 decimals")
        fee = Decimal(self.swap_fee)
        if not Decimal("0.000001") <= fee <= Decimal("0.1") or fee * 10**18 % 1:
            raise ValueError(f"swap_fee: {self.swap_fee} must be between 0.000001 and 0.1 with at most 18 decimals")
        if (self.depth_eth is None) == (self.amounts is None):
            raise ValueError("give exactly one of depth_eth and amounts")
        if self.amounts is not None and len(self.amounts) != n:
            raise ValueError(f"amounts: {len(self.amounts)} amounts for {n} tokens")
        return self

    @property
    def weights_wad(self) -> list[int]:
        """The weights as 18-decimal integers (the factory's `normalizedWeights`)."""
        return [int(Decimal(w) * 10**18) for w in self.weights]

    @property
    def swap_fee_wad(self) -> int:
        """The swap fee as an 18-decimal integer (the factory's `swapFeePercentage`)."""
        return int(Decimal(self.swap_fee) * 10**18)


class BalancerStablePoolSpec(_Strict):
    """A Balancer V2 composable stable pool created through the real ComposableStablePoolFactory and INIT-joined.

    `amp` is the amplification (1 to 5000); `swap_fee` a fraction between 0.000001 and 0.1. Liquidity is either
    `depth_eth`, the pool's total ETH value split evenly over its tokens at the scenario prices (`skew_bps` then
    moves the last token's price in the others), or `amounts`, exact raw token units per token (decimal integer
    strings). `rates` gives tokens a replica rate provider (its owner, the deployer, can change the rate) with
    the initial rate as a decimal string (1.05 = 1.05e18); each such token's rate cache lasts
    `rate_cache_duration` seconds. `yield_exempt` lists tokens (each with a rate) exempt from the pool's yield
    protocol fee.
    """

    tokens: list[Symbol] = Field(min_length=2, max_length=5)
    amp: int = Field(ge=1, le=5000)
    swap_fee: str = "0.0004"
    depth_eth: int | None = Field(default=None, gt=0)
    amounts: list[str] | None = None
    skew_bps: int = Field(default=0, gt=-10_000, lt=10_000)
    rates: dict[Symbol, str] = Field(default_factory=dict)
    rate_cache_duration: int = Field(default=3600, ge=0, le=365 * 86_400)
    yield_exempt: list[Symbol] = Field(default_factory=list)

    @field_validator("swap_fee", mode="before")
    @classmethod
    def _fee(cls, v: object) -> str:
        return _decimal(v, "swap_fee")

    @field_validator("rates", mode="before")
    @classmethod
    def _rates(cls, v: object) -> dict[str, str]:
        if not isinstance(v, dict):
            raise ValueError(f"rates must be a table of token = decimal rate, got {v!r}")
        return {k: _decimal(r, f"rates.{k}") for k, r in v.items()}

    @field_validator("amounts", mode="before")
    @classmethod
    def _amounts(cls, v: object) -> list[str] | None:
        if v is None:
            return None
        if not isinstance(v, list) or not all(str(a).isdigit() and int(str(a)) > 0 for a in v):
            raise ValueError(f"amounts must be positive whole numbers of raw units, got {v!r}")
        return [str(a) for a in v]

    @model_validator(mode="after")
    def _shape(self) -> BalancerStablePoolSpec:
        n = len(self.tokens)
        if len(set(self.tokens)) != n:
            raise ValueError(f"tokens: a token appears twice in {self.tokens}")
        fee = Decimal(self.swap_fee)
        if not Decimal("0.000001") <= fee <= Decimal("0.1") or fee * 10**18 % 1:
            raise ValueError(f"swap_fee: {self.swap_fee} must be between 0.000001 and 0.1 with at most 18 decimals")
        if (self.depth_eth is None) == (self.amounts is None):
            raise ValueError("give exactly one of depth_eth and amounts")
        if self.amounts is not None and len(self.amounts) != n:
            raise ValueError(f"amounts: {len(self.amounts)} amounts for {n} tokens")
        for sym, rate in self.rates.items():
            if sym not in self.tokens:
                raise ValueError(f"rates: {sym} is not one of the pool's tokens {self.tokens}")
            if Decimal(rate) * 10**18 % 1 or Decimal(rate) * 10**18 >= 2**96:
                raise ValueError(f"rates.{sym}: {rate} must have at most 18 decimals and stay below 2^96 / 1e18")
        for sym in self.yield_exempt:
            if sym not in self.rates:
                raise ValueError(f"yield_exempt: {sym} has no rate (only a token with a rate provider can be exempt)")
        return self

    @property
    def swap_fee_wad(self) -> int:
        """The swap fee as an 18-decimal integer (the factory's `swapFeePercentage`)."""
        return int(Decimal(self.swap_fee) * 10**18)

    def rate_wad(self, symbol: str) -> int | None:
        """The initial rate of `symbol`'s rate provider as an 18-decimal integer; `None` if it has none."""
        rate = self.rates.get(symbol)
        return None if rate is None else int(Decimal(rate) * 10**18)


class GenerateSpec(_Strict):
    """Seeded bulk pools on top of the listed ones (for benchmarks at realistic scale)."""

    tokens: int = Field(default=0, ge=0, le=5000)  # extra tokens G0001.. with seeded decimals and prices
    v2_pools: int = Field(default=0, ge=0, le=100_000)  # spread over v2_venues
    v3_pools: int = Field(default=0, ge=0, le=20_000)
    v3_positions: int = Field(default=3, ge=1, le=32)  # LP positions per generated V3 pool
    min_depth_eth: int = Field(default=5, gt=0)
    max_depth_eth: int = Field(default=200, gt=0)
    max_skew_bps: int = Field(default=100, ge=0, lt=5000)

    @model_validator(mode="after")
    def _depths(self) -> GenerateSpec:
        if self.min_depth_eth > self.max_depth_eth:
            raise ValueError(f"min_depth_eth {self.min_depth_eth} exceeds max_depth_eth {self.max_depth_eth}")
        if (self.v2_pools or self.v3_pools) and self.tokens < 2:
            raise ValueError("tokens: generated pools need at least 2 generated tokens")
        return self


class Scenario(_Strict):
    """A parsed, validated scenario file: the tokens, pools on each venue, Balancer weighted and composable stable
    pools, Balancer flash-loan
    liquidity (whole tokens) and bulk generation, with the seed that makes the build reproducible.

    WETH and native ETH are built in and must not be listed; every pool's tokens must be known. A bad reference
    raises a validation error naming the field.
    """

    name: str
    description: str = ""
    seed: int = Field(ge=0)
    jitter_bps: int = Field(default=0, ge=0, le=1000)
    v2_venues: list[str] = Field(min_length=1)
    tokens: list[TokenSpec] = Field(min_length=1)
    v2_pools: list[V2PoolSpec] = Field(default_factory=list)
    v3_pools: list[V3PoolSpec] = Field(default_factory=list)
    pancake_v3_pools: list[PancakeV3PoolSpec] = Field(default_factory=list)
    v4_pools: list[V4PoolSpec] = Field(default_factory=list)
    balancer_weighted_pools: list[BalancerWeightedPoolSpec] = Field(default_factory=list)
    balancer_stable_pools: list[BalancerStablePoolSpec] = Field(default_factory=list)
    balancer: dict[Symbol, int] = Field(default_factory=dict)  # whole tokens deposited for flash loans
    generate: GenerateSpec | None = None

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        symbols = {"WETH"} | {t.symbol for t in self.tokens}
        if {"WETH", NATIVE} & {t.symbol for t in self.tokens}:
            raise ValueError("tokens: WETH and ETH are built in; do not list them")
        if len(symbols) != len(self.tokens) + 1:
            raise ValueError("tokens: duplicate symbol")
        for i, pool in enumerate(self.v2_pools):
            if pool.venue not in self.v2_venues:
                raise ValueError(f"v2_pools[{i}].venue: unknown venue {pool.venue!r}; known: {self.v2_venues}")
            self._check_pair(f"v2_pools[{i}].tokens", pool.tokens, symbols)
        for i, v3 in enumerate(self.v3_pools):
            self._check_pair(f"v3_pools[{i}].tokens", v3.tokens, symbols)
        for i, cake in enumerate(self.pancake_v3_pools):
            self._check_pair(f"pancake_v3_pools[{i}].tokens", cake.tokens, symbols)
        for i, v4 in enumerate(self.v4_pools):
            self._check_pair(f"v4_pools[{i}].tokens", v4.tokens, symbols | {NATIVE})
            if set(v4.tokens) == {NATIVE, "WETH"}:
                raise ValueError(f"v4_pools[{i}].tokens: a native ETH / WETH pool is not supported")
        for i, bw in enumerate(self.balancer_weighted_pools):
            for sym in bw.tokens:
                if sym not in symbols:
                    raise ValueError(f"balancer_weighted_pools[{i}].tokens: unknown token {sym!r}")
                if self.token(sym).decimals > 18:
                    raise ValueError(f"balancer_weighted_pools[{i}].tokens: {sym} has more than 18 decimals")
        for i, bs in enumerate(self.balancer_stable_pools):
            for sym in bs.tokens:
                if sym not in symbols:
                    raise ValueError(f"balancer_stable_pools[{i}].tokens: unknown token {sym!r}")
                if self.token(sym).decimals > 18:
                    raise ValueError(f"balancer_stable_pools[{i}].tokens: {sym} has more than 18 decimals")
        for sym in self.balancer:
            if sym not in symbols:
                raise ValueError(f"balancer: unknown token {sym!r}")
        return self

    @staticmethod
    def _check_pair(where: str, pair: tuple[str, str], symbols: set[str]) -> None:
        for sym in pair:
            if sym not in symbols:
                raise ValueError(f"{where}: unknown token {sym!r}")
        if pair[0] == pair[1]:
            raise ValueError(f"{where}: a pool needs two different tokens, got {pair[0]!r} twice")

    def token(self, symbol: str) -> TokenSpec:
        """The spec of a token by symbol, WETH and ETH included (both priced at 1 ETH); raises `ScenarioError` for an
        unknown symbol.
        """
        if symbol == "WETH":
            return TokenSpec(symbol="WETH", name="Wrapped Ether", decimals=18, price_eth="1")
        if symbol == NATIVE:
            return TokenSpec(symbol=NATIVE, name="Ether", decimals=18, price_eth="1")
        for t in self.tokens:
            if t.symbol == symbol:
                return t
        raise ScenarioError(f"scenario {self.name}: unknown token {symbol!r}")


def builtin_names() -> list[str]:
    """The names of the scenarios shipped with the package, sorted."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def resolve(name_or_path: str) -> Path:
    """A built-in scenario name or a path to a .toml file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or "/" in name_or_path:
        if not path.is_file():
            raise ScenarioError(f"scenario file not found: {path}")
        return path
    builtin = BUILTIN_DIR / f"{name_or_path}.toml"
    if not builtin.is_file():
        raise ScenarioError(f"unknown scenario {name_or_path!r}; built-in: {', '.join(builtin_names())}")
    return builtin


def load(name_or_path: str) -> tuple[Scenario, bytes]:
    """Parse and validate a scenario; returns it with the raw file bytes (part of the snapshot key)."""
    path = resolve(name_or_path)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"malformed scenario file {path}: {exc}") from exc
    try:
        return Scenario.model_validate(data), raw
    except ValidationError as exc:
        raise ScenarioError(f"invalid scenario file {path}: {validation_text(exc)}") from None


def validation_text(exc: ValidationError) -> str:
    """The first error of a file's validation as `where: message (got value)` (containers not echoed)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    value = first.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{where}: {first['msg']}{shown}"
