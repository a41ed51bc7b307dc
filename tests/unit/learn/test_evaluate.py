"""The evaluation arithmetic on hand-made rows: Brier score, equal-width ECE, the replay estimator, the choice of the
best static share, and the refusal of a history that cannot be replayed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from arbbot.learn.dataset import Example, content_hash
from arbbot.learn.evaluate import BacktestRefused, backtest, best_static, calibration, check_replayable, replay_terms
from arbbot.strategy.bribe import BidContext

CTX = BidContext(kind="cycle", gross_wei=10**18, gas=100_000, max_fee_per_gas=10**9, base_fee=10**9,
                 pool_kinds=("uniswap_v2", "uniswap_v3"))  # fmt: skip
GAS = 10**14


def _ex(share: int, landed: bool, policy: str = "explore", i: int = 0) -> Example:
    return Example(uuid=f"u{i}", created_at=datetime(2026, 1, 1, tzinfo=UTC), policy=policy, share_bps=share,
                   context=CTX, landed=landed, expected_net=None, realized_profit=None)  # fmt: skip


def test_brier_and_equal_width_ece_by_hand() -> None:
    cal = calibration([0.05, 0.15, 0.15, 0.95], [0, 0, 1, 1])
    assert cal.brier == pytest.approx((0.05**2 + 0.15**2 + 0.85**2 + 0.05**2) / 4)
    # Bins [0, .1): p .05, obs 0; [.1, .2): p .15, obs .5; [.9, 1]: p .95, obs 1.
    assert cal.ece == pytest.approx(0.25 * 0.05 + 0.5 * 0.35 + 0.25 * 0.05)
    assert [(b.lo, b.rows) for b in cal.bins] == [(0.0, 1), (0.1, 2), (0.9, 1)]
    assert calibration([1.0], [1]).bins[0].lo == 0.9  # p = 1 falls in the last bin
    with pytest.raises(ValueError, match=r"^rows: "):
        calibration([], [])


def test_replay_counts_only_matching_rows_weighted_by_the_grid_size() -> None:
    rows = [_ex(1000, True), _ex(2000, True), _ex(2000, False), _ex(1000, False)]
    net_1000 = 10**18 - 10**17 - GAS
    terms = replay_terms([1000, 1000, 2000, 2000], rows, 2)
    assert list(terms) == [float(net_1000 * 2), 0.0, 0.0, 0.0]
    share, est = best_static(rows, (1000, 2000))
    assert est == {1000: net_1000 * 2 / 4, 2000: (10**18 - 2 * 10**17 - GAS) * 2 / 4} and share == 1000


def test_backtest_difference_and_its_interval() -> None:
    train = [_ex(1000, True, i=0), _ex(2000, False, i=1)]
    test = [_ex(1000, i % 3 == 0, i=i) for i in range(30)] + [_ex(2000, True, i=i) for i in range(30)]
    bt = backtest(train, test, (1000, 2000), lambda e: 2000, resamples=500, seed=1)
    assert bt.static_share == 1000 and bt.learned_matched == 30 and bt.static_matched == 30
    assert bt.diff == pytest.approx(bt.learned_mean - bt.static_mean) and bt.ci_low < bt.diff < bt.ci_high
    assert bt.ci_low > 0
    assert backtest(train, test, (1000, 2000), lambda e: 2000, resamples=500, seed=1) == bt


def test_a_history_logged_otherwise_cannot_be_replayed() -> None:
    with pytest.raises(BacktestRefused, match=r"^policy: .*held-out rows were logged otherwise \(2 by 'static'\)"):
        check_replayable([_ex(1000, True, "static"), _ex(1000, True, "static"), _ex(1000, True)], (1000,), "held-out")
    with pytest.raises(BacktestRefused, match=r"^share_bps: training rows logged shares \[1500\] off the grid"):
        check_replayable([_ex(1500, True)], (1000, 2000), "training")


def test_the_content_hash_changes_with_any_row() -> None:
    rows = [_ex(1000, True), _ex(2000, False, i=1)]
    assert content_hash(rows) == content_hash(list(rows))
    assert content_hash(rows) != content_hash([rows[0], _ex(2000, True, i=1)])
    assert content_hash(rows) != content_hash(rows[::-1])
