"""How fast and how far behind the searcher follows the chain: for each processed head, when it was processed, its
number and how old the block was by then (its timestamp against the wall clock). Kept in memory, the last `keep`
heads, whether or not anyone is watching; the control API serves it to the console."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One processed head."""

    at: float  # wall-clock time it was processed (seconds since the epoch)
    number: int
    lag_s: float | None  # at - the block's timestamp (None: its timestamp was not read)


class Pace:
    """Processed heads over time (thread-safe: the control API reads it from its own handlers)."""

    def __init__(self, keep: int = 600) -> None:
        self._lock = threading.Lock()
        self._steps: deque[Step] = deque(maxlen=keep)

    def block(self, number: int, timestamp: int | None, now: float) -> None:
        """Note a processed head (a repeat or an older number after a reorg is noted too: it was processed)."""
        lag = None if timestamp is None else max(0.0, now - timestamp)
        with self._lock:
            self._steps.append(Step(now, number, lag))

    def snapshot(self, now: float, window: float = 120.0) -> dict[str, Any]:
        """The last `window` seconds: heads processed per second, the latest lag, and each step (oldest first,
        times as seconds before `now`)."""
        with self._lock:
            steps = [s for s in self._steps if now - s.at <= window]
        latest = steps[-1] if steps else None
        span = min(window, now - steps[0].at) if steps else 0.0
        return {
            "window_s": window,
            "blocks_per_s": len(steps) / span if len(steps) > 1 and span > 0 else None,
            "lag_s": latest.lag_s if latest else None,
            "steps": [{"ago_s": round(now - s.at, 3), "number": s.number, "lag_s": s.lag_s} for s in steps],
        }
