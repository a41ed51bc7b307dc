"""Failed logins per source address: refused after `failures` within the window, until the oldest leaves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arbbot.console import throttle
from arbbot.console.throttle import SourceThrottle

T0 = datetime(2026, 12, 6, tzinfo=UTC)


def test_an_address_is_refused_after_its_failures_until_the_oldest_leaves_the_window() -> None:
    t = SourceThrottle(failures=3, window=timedelta(seconds=60))
    for k in range(3):
        assert t.wait("10.0.0.1", T0 + timedelta(seconds=10 * k)) == 0.0
        t.failed("10.0.0.1", T0 + timedelta(seconds=10 * k))
    assert t.wait("10.0.0.1", T0 + timedelta(seconds=25)) == 35.0  # the first failure (t=0) leaves at t=60
    assert t.wait("10.0.0.2", T0 + timedelta(seconds=25)) == 0.0  # other addresses are not affected
    assert t.wait("10.0.0.1", T0 + timedelta(seconds=60)) == 0.0
    t.failed("10.0.0.1", T0 + timedelta(seconds=60))  # back to three within the window (10, 20, 60)
    assert t.wait("10.0.0.1", T0 + timedelta(seconds=61)) == 9.0


def test_memory_is_bounded_by_forgetting_the_least_recently_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "MAX_SOURCES", 3)
    t = SourceThrottle(failures=1, window=timedelta(hours=1))
    for k in range(4):
        t.failed(f"10.0.0.{k}", T0)
    assert t.wait("10.0.0.0", T0) == 0.0  # forgotten: the oldest of four
    assert all(t.wait(f"10.0.0.{k}", T0) == 3600.0 for k in (1, 2, 3))


def test_at_least_one_failure() -> None:
    with pytest.raises(ValueError, match="failures must be at least 1, got 0"):
        SourceThrottle(failures=0)
