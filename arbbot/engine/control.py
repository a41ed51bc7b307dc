"""The searcher's control state: pause (whole or per strategy), kill switch, bribe share, minimum profit and
builder enable/disable, each change validated against limits from the config and counted by a generation
number. Pure state and validation, no I/O; safe to read and change from any thread (the control API's handlers
run on the loop, simulations in worker threads)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# The searcher's strategies by the names the control API uses; the engine's trade kinds map onto them.
STRATEGIES = ("cycles", "backrun", "mev_share")
_KIND = {"cycle": "cycles", "cycles": "cycles", "backrun": "backrun", "mev_share": "mev_share"}


def strategy_of(kind: str) -> str:
    """The control API's strategy name for an engine trade kind ("cycle" -> "cycles")."""
    return _KIND.get(kind, kind)


class ControlError(ValueError):
    """A control change refused: `field` and `value` name what was wrong; `status` is the HTTP status to answer."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ControlLimits:
    """The inclusive ranges a control change may set (from the config's `[control]` section)."""

    bribe_share_bps: tuple[int, int]
    min_profit_wei: tuple[int, int]

    def __post_init__(self) -> None:
        lo, hi = self.bribe_share_bps
        if not 0 <= lo <= hi <= 10_000:
            raise ValueError(f"bribe_share_bps limits: need 0 <= min <= max <= 10000, got [{lo}, {hi}]")
        lo, hi = self.min_profit_wei
        if not 0 <= lo <= hi:
            raise ValueError(f"min_profit_wei limits: need 0 <= min <= max, got [{lo}, {hi}]")


@dataclass(frozen=True)
class Change:
    """One control change: what changed, its old and new value, who asked, and the generation it produced."""

    what: str
    old: Any
    new: Any
    actor: str
    generation: int


class ControlState:
    """What the operator has set. Every change is validated, bumps `generation` by one, and is handed to each
    listener (metrics, the event stream, the log) after the lock is released."""

    def __init__(
        self,
        *,
        bribe_share_bps: int,
        min_profit_wei: int,
        limits: ControlLimits | None = None,
        builders: Iterable[str] = (),
        strategies: Iterable[str] = STRATEGIES,
    ) -> None:
        self.limits = limits or ControlLimits((bribe_share_bps, bribe_share_bps), (min_profit_wei, min_profit_wei))
        _check_within("bribe_share_bps", bribe_share_bps, self.limits.bribe_share_bps)
        _check_within("min_profit_wei", min_profit_wei, self.limits.min_profit_wei)
        self.strategies = tuple(strategies)
        self._lock = threading.Lock()
        self._paused = False
        self._paused_strategies: set[str] = set()
        self._killed = False
        self._bribe = bribe_share_bps
        self._min_profit = min_profit_wei
        self._builders: dict[str, bool] = dict.fromkeys(builders, True)
        self._generation = 0
        self.listeners: list[Callable[[Change], None]] = []

    # ---------------------------------------------------------------- reads (each one consistent)

    @property
    def generation(self) -> int:
        """How many changes have been made (starts at 0)."""
        with self._lock:
            return self._generation

    @property
    def killed(self) -> bool:
        """Whether the kill switch is engaged: nothing may be sent."""
        with self._lock:
            return self._killed

    @property
    def builders(self) -> tuple[str, ...]:
        """The builder names known to the control state, in configuration order."""
        with self._lock:
            return tuple(self._builders)

    def params(self) -> tuple[int, int, int]:
        """(bribe_share_bps, min_profit_wei, generation), read together."""
        with self._lock:
            return self._bribe, self._min_profit, self._generation

    def paused_for(self, kind: str) -> bool:
        """Whether new trades of this strategy (or engine kind) are held back: the whole searcher or it is paused."""
        with self._lock:
            return self._paused or strategy_of(kind) in self._paused_strategies

    def send_refusal(self, builder: str | None = None) -> str | None:
        """Why nothing may be sent now (to `builder`, when named), or None when it may. Unknown builders are
        refused: the control state must know every destination (fail closed)."""
        with self._lock:
            if self._killed:
                return "kill switch engaged"
            if builder is not None and builder not in self._builders:
                return f"builder {builder} unknown to control"
            if builder is not None and not self._builders[builder]:
                return f"builder {builder} disabled by control"
            return None

    def snapshot(self) -> dict[str, Any]:
        """The state as the control API's `GET /v1/state` shows it (without head and counters)."""
        with self._lock:
            return {
                "paused": self._paused,
                "paused_strategies": sorted(self._paused_strategies),
                "strategies": list(self.strategies),
                "killed": self._killed,
                "bribe_share_bps": self._bribe,
                "min_profit_wei": str(self._min_profit),
                "limits": {
                    "bribe_share_bps": list(self.limits.bribe_share_bps),
                    "min_profit_wei": [str(x) for x in self.limits.min_profit_wei],
                },
                "builders": {name: {"enabled": on} for name, on in self._builders.items()},
                "generation": self._generation,
            }

    # ---------------------------------------------------------------- changes

    def pause(self, strategy: str | None = None, *, actor: str = "") -> Change:
        """Pause the whole searcher (`strategy` None) or one strategy."""
        return self._set_paused(strategy, True, actor)

    def resume(self, strategy: str | None = None, *, actor: str = "") -> Change:
        """Resume the whole searcher (`strategy` None) or one strategy."""
        return self._set_paused(strategy, False, actor)

    def _set_paused(self, strategy: str | None, on: bool, actor: str) -> Change:
        with self._lock:
            if strategy is None:
                old, self._paused = self._paused, on
                change = self._bump("paused", old, on, actor)
            else:
                if strategy not in self.strategies:
                    raise ControlError(f"strategy: {strategy!r} is not one of {', '.join(self.strategies)}")
                old = strategy in self._paused_strategies
                (self._paused_strategies.add if on else self._paused_strategies.discard)(strategy)
                change = self._bump(f"paused.{strategy}", old, on, actor)
        return self._tell(change)

    def set_killed(self, engaged: bool, *, actor: str = "") -> Change:
        """Engage or lift the kill switch."""
        if not isinstance(engaged, bool):
            raise ControlError(f"engaged: must be true or false, got {engaged!r}")
        with self._lock:
            old, self._killed = self._killed, engaged
            change = self._bump("killed", old, engaged, actor)
        return self._tell(change)

    def set_params(
        self, *, bribe_share_bps: int | None = None, min_profit_wei: int | None = None, actor: str = ""
    ) -> list[Change]:
        """Set the bribe share and/or minimum profit; both are checked before either changes."""
        if bribe_share_bps is not None:
            _check_within("bribe_share_bps", bribe_share_bps, self.limits.bribe_share_bps)
        if min_profit_wei is not None:
            _check_within("min_profit_wei", min_profit_wei, self.limits.min_profit_wei)
        changes = []
        with self._lock:
            if bribe_share_bps is not None:
                old_b, self._bribe = self._bribe, bribe_share_bps
                changes.append(self._bump("bribe_share_bps", old_b, bribe_share_bps, actor))
            if min_profit_wei is not None:
                old_m, self._min_profit = self._min_profit, min_profit_wei
                changes.append(self._bump("min_profit_wei", str(old_m), str(min_profit_wei), actor))
        for c in changes:
            self._tell(c)
        return changes

    def set_builder(self, name: str, enabled: bool, *, actor: str = "") -> Change:
        """Enable or disable sending to one builder; an unknown name is a ControlError with status 404."""
        if not isinstance(enabled, bool):
            raise ControlError(f"enabled: must be true or false, got {enabled!r}")
        with self._lock:
            if name not in self._builders:
                raise ControlError(f"builder: {name!r} is not a configured builder", status=404)
            old, self._builders[name] = self._builders[name], enabled
            change = self._bump(f"builder.{name}", old, enabled, actor)
        return self._tell(change)

    def _bump(self, what: str, old: Any, new: Any, actor: str) -> Change:
        self._generation += 1
        return Change(what, old, new, actor, self._generation)

    def _tell(self, change: Change) -> Change:
        log.warning("control: %s %s -> %s by %s (generation %d)", change.what, change.old, change.new,
                    change.actor or "(unnamed)", change.generation)  # fmt: skip
        for listener in list(self.listeners):
            try:
                listener(change)
            except Exception:  # a broken listener (metrics, a stream) must not undo or block a change
                log.exception("control listener failed on %s", change.what)
        return change


def _check_within(name: str, value: object, bounds: tuple[int, int]) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f"{name}: must be an integer, got {value!r}")
    lo, hi = bounds
    if not lo <= value <= hi:
        raise ControlError(f"{name}: {value} is outside the limits [{lo}, {hi}] set in the config's [control]")


def parse_wei(name: str, value: object) -> int:
    """A wei amount given as a decimal string (or a JSON integer); ControlError naming the field otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 78:
        return int(value)
    raise ControlError(f"{name}: must be a decimal string of wei, got {value!r}")


def limits_from(bribe_share_bps: int, min_profit_wei: int, bounds: Mapping[str, int | None]) -> ControlLimits:
    """The limits from the `[control]` bounds; an unset bound is the configured value (no change that way)."""

    def pick(key: str, default: int) -> int:
        v = bounds.get(key)
        return default if v is None else v

    return ControlLimits(
        (pick("bribe_share_bps_min", bribe_share_bps), pick("bribe_share_bps_max", bribe_share_bps)),
        (pick("min_profit_wei_min", min_profit_wei), pick("min_profit_wei_max", min_profit_wei)),
    )
