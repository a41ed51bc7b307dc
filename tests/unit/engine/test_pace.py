"""The searcher's pace record: blocks per second and lag over a window, from explicit times."""

from __future__ import annotations

import pytest

from arbbot.engine.pace import Pace


def test_rate_and_lag_over_the_window() -> None:
    pace = Pace()
    assert pace.snapshot(1_000.0) == {"window_s": 120.0, "blocks_per_s": None, "lag_s": None, "steps": []}
    # Heads 10..14 processed every 2 s, each 0.5 s after its block's timestamp.
    for i in range(5):
        pace.block(10 + i, 900 + 2 * i, 900.5 + 2 * i)
    snap = pace.snapshot(909.0)
    assert snap["blocks_per_s"] == pytest.approx(5 / 8.5)  # five heads since the first, 8.5 s ago
    assert snap["lag_s"] == 0.5
    assert [s["number"] for s in snap["steps"]] == [10, 11, 12, 13, 14]
    assert [s["ago_s"] for s in snap["steps"]] == [8.5, 6.5, 4.5, 2.5, 0.5]
    # Outside the window: forgotten by the snapshot.
    assert [s["number"] for s in pace.snapshot(909.0, window=5.0)["steps"]] == [12, 13, 14]
    assert pace.snapshot(2_000.0)["steps"] == []


def test_unknown_timestamp_and_clock_behind_the_block() -> None:
    pace = Pace(keep=2)
    pace.block(1, None, 10.0)
    assert pace.snapshot(10.0)["lag_s"] is None
    pace.block(2, 20, 19.0)  # a block stamped ahead of our clock: no negative lag
    pace.block(3, 21, 22.0)
    snap = pace.snapshot(22.0)
    assert [s["lag_s"] for s in snap["steps"]] == [0.0, 1.0]  # the oldest fell out (keep=2)
