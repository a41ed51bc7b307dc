"""Competition files: the seeded competing searchers the local builder's auctions gain on the replica.

A competition file is TOML::

    [competition]
    scenario = "default"            # the replica scenario the competition runs on

    [[competition.competitors]]
    name = "fixed-90"               # unique; letters, digits, '-' and '_'
    arrival_bps = 10000             # chance (bps) its bundle for a block reaches the builder before the build
    seed = 1                        # its own draws (noise, arrival), mixed with the run's seed
    policy = { kind = "static", share_bps = 9000 }

Policy kinds: ``static`` (``share_bps``), ``profit_scaled`` (``low_bps`` at or below ``low_gross_eth`` of gross
profit, ``high_bps`` at or above ``high_gross_eth``, linear in log2 in between) and ``noisy`` (``share_bps`` moved
uniformly within ±``noise_bps``). A bad field is one `ConfigError` line naming the file, the field and the value.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from arbbot.devnet.scenario import validation_text
from arbbot.errors import ConfigError
from arbbot.paths import PACKAGE_DIR
from arbbot.strategy.bribe import BPS, BribePolicy, NoisyShare, ProfitScaledShare, StaticShare

BUILTIN_DIR = PACKAGE_DIR / "devnet" / "scenarios" / "competition"
MAX_COMPETITORS = 16  # each one is a searcher with its own key, executor and simulator
WEI = 10**18

Bps = Annotated[int, Field(ge=0, le=BPS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StaticPolicy(_Strict):
    """The same share of gross profit for every opportunity."""

    kind: Literal["static"]
    share_bps: Bps

    def build(self, seed: int) -> BribePolicy:
        """The bribe policy this entry describes (`seed` unused: no randomness)."""
        return StaticShare(self.share_bps, name="static")


class ProfitScaledPolicy(_Strict):
    """A share growing with the opportunity's gross profit."""

    kind: Literal["profit_scaled"]
    low_bps: Bps
    high_bps: Bps
    low_gross_eth: Decimal = Field(gt=0)
    high_gross_eth: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ProfitScaledPolicy:
        if self.high_gross_eth <= self.low_gross_eth:
            raise ValueError(f"high_gross_eth must be above low_gross_eth {self.low_gross_eth}")
        return self

    def build(self, seed: int) -> BribePolicy:
        """The bribe policy this entry describes (`seed` unused: no randomness)."""
        return ProfitScaledShare(self.low_bps, self.high_bps, int(self.low_gross_eth * WEI),
                                 int(self.high_gross_eth * WEI))  # fmt: skip


class NoisyPolicy(_Strict):
    """A fixed share plus seeded uniform noise."""

    kind: Literal["noisy"]
    share_bps: Bps
    noise_bps: Bps

    def build(self, seed: int) -> BribePolicy:
        """The bribe policy this entry describes, its noise drawn from `seed`."""
        return NoisyShare(StaticShare(self.share_bps), self.noise_bps, seed)


Policy = Annotated[StaticPolicy | ProfitScaledPolicy | NoisyPolicy, Field(discriminator="kind")]


class CompetitorSpec(_Strict):
    """One competing searcher: its name, bribe policy, arrival chance and seed."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    policy: Policy
    arrival_bps: Bps = BPS
    seed: int = Field(default=0, ge=0)


class CompetitionSpec(_Strict):
    """The `[competition]` table: the replica scenario and the competitors."""

    scenario: str = "default"
    competitors: list[CompetitorSpec] = Field(min_length=1, max_length=MAX_COMPETITORS)

    @model_validator(mode="after")
    def _unique(self) -> CompetitionSpec:
        names = [c.name for c in self.competitors]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ValueError(f"competitor name {dup!r} is used twice")
        return self


class _File(_Strict):
    competition: CompetitionSpec


def builtin_names() -> list[str]:
    """The competition files shipped with the package, by name, sorted."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def resolve(name_or_path: str) -> Path:
    """A shipped competition's file by name, else the path given; ConfigError when neither exists."""
    builtin = BUILTIN_DIR / f"{name_or_path}.toml"
    if "/" not in name_or_path and builtin.is_file():
        return builtin
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"competition: {name_or_path!r} is neither a file nor a shipped competition ({', '.join(builtin_names())})"
        )
    return path


def parse(text: str, source: str = "competition") -> CompetitionSpec:
    """The competition described by TOML `text`; a one-line ConfigError naming `source`, the field and the value."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: malformed TOML: {exc}") from None
    try:
        return _File(**raw).competition
    except ValidationError as exc:
        raise ConfigError(f"{source}: {validation_text(exc)}") from None


def load(name_or_path: str) -> CompetitionSpec:
    """Read and check a competition file (a shipped name or a path)."""
    path = resolve(name_or_path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"competition {path}: cannot read: {exc}") from None
    return parse(text, f"competition {path}")
