"""Failed logins per source address: after `failures` within `window`, that address is refused until the oldest of
them leaves the window. Account lockout (`users.Policy`) stops guessing one account's password; this stops one
address trying many accounts. In memory (a restart forgets it), bounded in the addresses it remembers."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta

MAX_SOURCES = 10_000  # addresses remembered; the least recently failing is forgotten first


class SourceThrottle:
    """Counts failed logins per source address; thread-safe (handlers run in worker threads)."""

    def __init__(self, failures: int = 20, window: timedelta = timedelta(minutes=5)) -> None:
        if failures < 1:
            raise ValueError(f"failures must be at least 1, got {failures}")
        self.failures, self.window = failures, window
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, deque[datetime]] = OrderedDict()

    def _recent(self, source: str, now: datetime) -> deque[datetime]:
        times = self._seen.get(source, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def wait(self, source: str, now: datetime) -> float:
        """Seconds before `source` may try again (0: it may try now)."""
        with self._lock:
            times = self._recent(source, now)
            if len(times) < self.failures:
                return 0.0
            return max(0.0, (times[-self.failures] + self.window - now).total_seconds())

    def failed(self, source: str, now: datetime) -> None:
        """Note one failed login (wrong password, wrong second factor) from `source`."""
        with self._lock:
            times = self._recent(source, now)
            times.append(now)
            self._seen[source] = times
            self._seen.move_to_end(source)
            while len(self._seen) > MAX_SOURCES:
                self._seen.popitem(last=False)
