"""How much of a trade's gross profit to pay the builder, per opportunity: the context known when the bid is made
(`BidContext`, whose `features()` are what a landing model is trained on) and the policies that turn it into a
share in basis points (`BribePolicy`). Pure: no I/O; randomness only from a seed the caller gives.

A policy only proposes a share. The searcher clamps it to the configured floor and ceiling and its judge still
refuses any bundle that the share would leave unprofitable after gas (fail closed), whatever the policy says.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Any, Protocol

BPS = 10_000

# The model's inputs, in this order: a model trained on other names (or another order) is refused.
FEATURES: tuple[str, ...] = (
    "log2_gross_wei",  # log2(1 + expected gross profit in ETH wei)
    "gas",  # simulated gas of our transaction(s)
    "log2_gas_cost_wei",  # log2(1 + gas * max fee per gas)
    "base_fee_gwei",  # the next block's base fee, in gwei (float)
    "share_bps",  # the bid itself
    "hops",
    "kind_backrun",  # 1.0 for a backrun (pending victim), else 0.0
    "kind_mev_share",  # 1.0 for a MEV-Share backrun, else 0.0
    "v2_hops",  # hops per pool family
    "v3_hops",
    "v4_hops",
    "balancer_hops",
    "position",  # our trade's index in its bundle (0: first)
    "builders",  # how many builders the bundle goes to
    "recent_landing_rate",  # landed / (landed + missed) over our last outcomes (0.5 before any)
)


@dataclass(frozen=True)
class BidContext:
    """What is known when the bid is made (after the route's gas is simulated, before it is signed)."""

    kind: str  # "cycle" | "backrun" | "mev_share"
    gross_wei: int  # expected gross profit, valued in ETH wei
    gas: int  # simulated gas
    max_fee_per_gas: int  # what each unit of gas may cost (wei)
    base_fee: int  # the next block's base fee (wei)
    pool_kinds: tuple[str, ...]  # each hop's pool kind, in route order
    position: int = 0  # index in its bundle
    builders: int = 1  # builders the bundle goes to
    recent_landing_rate: float = 0.5

    @property
    def gas_cost(self) -> int:
        """The most the gas can cost (wei)."""
        return self.gas * self.max_fee_per_gas

    def features(self, share_bps: int) -> tuple[float, ...]:
        """The model's input row for a bid of `share_bps` in this context (order: `FEATURES`)."""
        fams = [_family(k) for k in self.pool_kinds]
        return (
            math.log2(1 + max(0, self.gross_wei)),
            float(self.gas),
            math.log2(1 + self.gas_cost),
            self.base_fee / 1e9,
            float(share_bps),
            float(len(self.pool_kinds)),
            1.0 if self.kind == "backrun" else 0.0,
            1.0 if self.kind == "mev_share" else 0.0,
            float(fams.count("v2")),
            float(fams.count("v3")),
            float(fams.count("v4")),
            float(fams.count("balancer")),
            float(self.position),
            float(self.builders),
            float(self.recent_landing_rate),
        )

    def net_at(self, share_bps: int) -> int:
        """Net profit (wei) if the trade lands with `share_bps` paid: gross minus the builder's share (rounded
        down, as the executor pays it) minus the most the gas can cost."""
        return self.gross_wei - self.gross_wei * share_bps // BPS - self.gas_cost

    def to_json(self) -> dict[str, Any]:
        """The context as stored with the bundle (wei amounts as decimal strings)."""
        d = asdict(self)
        for k in ("gross_wei", "max_fee_per_gas", "base_fee"):
            d[k] = str(d[k])
        d["pool_kinds"] = list(self.pool_kinds)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BidContext:
        """The inverse of `to_json`; a ValueError naming the field on a malformed row."""
        try:
            return cls(
                kind=str(d["kind"]), gross_wei=int(d["gross_wei"]), gas=int(d["gas"]),
                max_fee_per_gas=int(d["max_fee_per_gas"]), base_fee=int(d["base_fee"]),
                pool_kinds=tuple(str(k) for k in d["pool_kinds"]), position=int(d.get("position", 0)),
                builders=int(d.get("builders", 1)), recent_landing_rate=float(d.get("recent_landing_rate", 0.5)),
            )  # fmt: skip
        except KeyError as exc:
            raise ValueError(f"bid context: missing field {exc.args[0]}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bid context: {exc}") from None


def _family(kind: str) -> str:
    if kind.startswith("balancer"):
        return "balancer"
    if kind.endswith("v4"):
        return "v4"
    if kind.endswith("v3"):
        return "v3"
    return "v2"


@dataclass(frozen=True)
class Bid:
    """The share a bundle was sent with, the policy that proposed it (before clamping) and the context."""

    policy: str
    share_bps: int
    context: BidContext

    def to_json(self) -> dict[str, Any]:
        """As stored in the bundles table and the bundle log."""
        return {"policy": self.policy, "share_bps": self.share_bps, "context": self.context.to_json()}


class BribePolicy(Protocol):
    """Proposes the builder's share for one opportunity."""

    @property
    def name(self) -> str:
        """The policy's name, as journaled with each bid (read-only: frozen policies qualify)."""
        ...

    def share_bps(self, ctx: BidContext) -> int:
        """The proposed share, 0..10,000 bps."""
        ...


@dataclass(frozen=True)
class StaticShare:
    """The same share for every opportunity (the configured `bribe_share_bps`)."""

    bps: int
    name: str = "static"

    def share_bps(self, ctx: BidContext) -> int:
        """Always `bps`."""
        return self.bps


@dataclass(frozen=True)
class ProfitScaledShare:
    """A share that grows with the opportunity's size: `low_bps` at or below `low_wei` gross, `high_bps` at or
    above `high_wei`, linear in log2(gross) in between (big opportunities draw more competition)."""

    low_bps: int
    high_bps: int
    low_wei: int
    high_wei: int
    name: str = "profit_scaled"

    def share_bps(self, ctx: BidContext) -> int:
        """Interpolated on log2 of the gross profit."""
        if ctx.gross_wei <= self.low_wei:
            return self.low_bps
        if ctx.gross_wei >= self.high_wei:
            return self.high_bps
        lo, hi = math.log2(self.low_wei), math.log2(self.high_wei)
        t = (math.log2(ctx.gross_wei) - lo) / (hi - lo)
        return round(self.low_bps + t * (self.high_bps - self.low_bps))


@dataclass(frozen=True)
class NoisyShare:
    """`base` plus seeded noise, uniform in ±`noise_bps`, clamped to 0..10,000: deterministic for (seed, context)
    so that a run is the same for the same seed."""

    base: StaticShare | ProfitScaledShare
    noise_bps: int
    seed: int
    name: str = "noisy"

    def share_bps(self, ctx: BidContext) -> int:
        """The base share moved by a pseudo-random amount drawn from the seed and the context."""
        u = _draw(self.seed, ctx) / 2**64
        return min(BPS, max(0, round(self.base.share_bps(ctx) + (2 * u - 1) * self.noise_bps)))


@dataclass(frozen=True)
class ExploreShare:
    """A share drawn uniformly from `grid`, seeded per context: the logging policy of a history meant for learning
    (each logged share has the known probability 1 / len(grid), which an offline evaluation of another policy on
    that history relies on)."""

    grid: tuple[int, ...]
    seed: int
    name: str = "explore"

    def __post_init__(self) -> None:
        if not self.grid or any(not 0 <= g <= BPS for g in self.grid) or len(set(self.grid)) != len(self.grid):
            raise ValueError(f"grid: distinct shares within 0..{BPS} required, got {self.grid!r}")

    def share_bps(self, ctx: BidContext) -> int:
        """One grid share, the same for the same seed and context."""
        return self.grid[_draw(self.seed, ctx) % len(self.grid)]


def _draw(seed: int, ctx: BidContext) -> int:
    """A 64-bit pseudo-random number fixed by the seed and the context (the same run, the same bids)."""
    key = f"{seed}:{ctx.kind}:{ctx.gross_wei}:{ctx.gas}:{ctx.base_fee}:{ctx.pool_kinds}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def clamp(share_bps: int, floor_bps: int, ceiling_bps: int) -> int:
    """The share within [floor, ceiling]."""
    return min(ceiling_bps, max(floor_bps, share_bps))
