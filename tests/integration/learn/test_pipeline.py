"""The learning pipeline end to end on a seeded synthetic history with a known ground truth (see `history`): dataset,
fit, calibration against the truth, the replay backtest, save and load, and the refusals of a swapped model."""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.learn import dataset, model
from arbbot.learn.evaluate import evaluate
from arbbot.learn.policy import LearnedShare
from arbbot.strategy.bribe import FEATURES, StaticShare
from tests.integration.learn import history
from tests.integration.learn.conftest import HOLDOUT, ROWS, Fitted


def test_the_dataset_is_every_outcome_oldest_first_with_a_stable_hash(fitted: Fitted) -> None:
    assert len(fitted.data) == ROWS and fitted.data.skipped == {}
    assert [e.uuid for e in fitted.data.examples] == [f"b{i:06d}" for i in range(ROWS)]
    assert sum(fitted.data.y) == fitted.history.landed
    first = fitted.data.examples[0]
    assert first.policy == "explore" and first.share_bps in history.GRID
    assert fitted.data.X[0] == first.context.features(first.share_bps) and len(fitted.data.X[0]) == len(FEATURES)
    assert first.expected_net == first.context.net_at(first.share_bps)
    engine = db.connect(fitted.history.db_url)
    with db.session_factory(engine)() as session:
        again = dataset.load(session)
        other_chain = dataset.load(session, chain_id=1)
    engine.dispose()
    assert again.window() == fitted.data.window() and len(other_chain) == 0
    assert len(fitted.train) == ROWS - round(ROWS * HOLDOUT)
    assert fitted.train.examples[-1].created_at <= fitted.test.examples[0].created_at
    assert fitted.model.meta["data"] == fitted.train.window() != fitted.data.window()


def test_malformed_bids_are_skipped_and_counted(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'arbbot.db'}")
    log = BundleLog(tmp_path / "bundles.jsonl", sessions=db.session_factory(engine))
    good = {"policy": "explore", "share_bps": 2000, "context": history.context(random.Random(1)).to_json()}
    bids = {
        "ok": good,
        "no-bid": None,  # sent before bids were journaled: not a training row, not malformed either
        "string-share": {**good, "share_bps": "2000"},
        "big-share": {**good, "share_bps": 20_000},
        "no-context": {"policy": "explore", "share_bps": 1},
        "bad-gas": {**good, "context": {**good["context"], "gas": "lots"}},
        "nan-rate": {**good, "context": {**good["context"], "recent_landing_rate": "nan"}},
        "no-policy": {**good, "policy": ""},
        "pending": good,  # no outcome yet
    }
    for i, (uuid, bid) in enumerate(bids.items()):
        log.sent(uuid=uuid, chain_id=1, builders=["b"], target_blocks=[1], tx_hashes=["0x" + f"{i:064x}"],
                 simulated_profit=1, bid=bid)  # fmt: skip
        if uuid != "pending":
            log.outcome(uuid=uuid, landed=False, status="missed")
    with db.session_factory(engine)() as session:
        data = dataset.load(session)
    engine.dispose()
    assert [e.uuid for e in data.examples] == ["ok"]
    assert data.skipped == {"bid.share_bps": 2, "bid.context": 3, "bid.policy": 1}


def test_calibrated_probabilities_match_the_ground_truth(fitted: Fitted) -> None:
    cal = fitted.evaluation.calibration
    assert cal.rows == len(fitted.test) and cal.ece < 0.05 and cal.brier < 0.06
    assert sum(b.rows for b in cal.bins) == cal.rows
    # Against the true P(land | share, context) on held-out contexts, at every grid share (not only the logged one).
    rows = [(e.context.features(s), history.true_p(s, e.context)) for e in fitted.test.examples for s in history.GRID]
    predicted = fitted.model.predict([r for r, _ in rows])
    truth = np.array([t for _, t in rows])
    error = np.abs(predicted - truth)
    # Close on average and in most places; the worst rows sit on the truth's steep slope, between grid shares.
    assert float(np.mean(error)) < 0.05 and float(np.quantile(error, 0.9)) < 0.15


def test_the_learned_policy_beats_the_best_static_share(fitted: Fitted) -> None:
    bt = fitted.evaluation.backtest
    assert bt is not None and fitted.evaluation.backtest_refused is None
    assert bt.grid == history.GRID and bt.rows == len(fitted.test)
    assert bt.static_share == max(bt.static_train, key=lambda g: bt.static_train[g])
    assert bt.learned_mean > bt.static_mean and bt.ci_low > 0 and bt.ci_low <= bt.diff <= bt.ci_high
    # The same ordering under the ground truth: expected net per held-out opportunity, no replay noise.
    policy = LearnedShare(fitted.model, StaticShare(bt.static_share), min(history.GRID), max(history.GRID))

    def expected(share_of: object) -> float:
        total = 0.0
        for e in fitted.test.examples:
            s = share_of(e.context)  # type: ignore[operator]
            total += history.true_p(s, e.context) * e.context.net_at(s)
        return total / len(fitted.test)

    assert expected(policy.share_bps) > 1.1 * expected(lambda _c: bt.static_share)
    # The bootstrap is seeded: the same seed gives the same interval.
    again = evaluate(fitted.model, fitted.train, fitted.test, resamples=1000, seed=5).backtest
    assert again is not None and (again.ci_low, again.ci_high) == (bt.ci_low, bt.ci_high)


def test_a_history_not_logged_by_an_exploring_policy_refuses_the_backtest(tmp_path: Path) -> None:
    h = history.write(tmp_path, 400, seed=11, policy_name="static")
    engine = db.connect(h.db_url)
    with db.session_factory(engine)() as session:
        data = dataset.load(session)
    engine.dispose()
    train, test = data.split(0.25)
    ev = evaluate(model.fit(train), train, test)
    assert ev.backtest is None and ev.backtest_refused is not None
    assert ev.backtest_refused.startswith("policy: ") and "300 by 'static'" in ev.backtest_refused
    assert ev.calibration.rows == 100 and 0 <= ev.calibration.ece <= 1


def test_save_then_load_predicts_the_same(fitted: Fitted) -> None:
    loaded = model.load(fitted.dir / "model")
    rows = fitted.test.X
    assert np.array_equal(loaded.predict(rows), fitted.model.predict(rows))
    meta = json.loads((fitted.dir / "model" / "meta.json").read_text())
    assert meta["features"] == list(FEATURES) and meta["data"]["sha256"] == fitted.train.window()["sha256"]
    assert set(meta["versions"]) == {"sklearn", "numpy", "skops", "python"} and meta["seed"] == 3
    assert meta["metrics"]["calibration"]["ece"] == fitted.evaluation.calibration.ece


def _copy(fitted: Fitted, tmp_path: Path) -> Path:
    return Path(shutil.copytree(fitted.dir / "model", tmp_path / "model"))


def _edit_meta(d: Path, **changes: object) -> None:
    meta = json.loads((d / "meta.json").read_text())
    meta.update(changes)
    (d / "meta.json").write_text(json.dumps(meta))


def test_a_model_with_other_features_is_refused(fitted: Fitted, tmp_path: Path) -> None:
    d = _copy(fitted, tmp_path)
    swapped = [*FEATURES[1:], FEATURES[0]]
    _edit_meta(d, features=swapped)
    with pytest.raises(model.ModelError, match=r"^features: model has \['gas'.*this arbbot has \['log2_gross_wei'"):
        model.load(d)


def test_a_model_fitted_with_another_library_version_is_refused(fitted: Fitted, tmp_path: Path) -> None:
    d = _copy(fitted, tmp_path)
    meta = json.loads((d / "meta.json").read_text())
    _edit_meta(d, versions={**meta["versions"], "sklearn": "0.24.2"})
    with pytest.raises(model.ModelError, match=r"^versions\.sklearn: model fitted with 0\.24\.2, installed 1\."):
        model.load(d)


def test_a_tampered_model_file_is_refused(fitted: Fitted, tmp_path: Path) -> None:
    d = _copy(fitted, tmp_path)
    data = bytearray((d / "model.skops").read_bytes())
    data[len(data) // 2] ^= 0x01
    (d / "model.skops").write_bytes(bytes(data))
    with pytest.raises(model.ModelError, match=r"^model_sha256: meta\.json says [0-9a-f]{64}, model\.skops hashes to"):
        model.load(d)


class Canary:
    """Writes a file when it is rebuilt: proof that loading ran code from the model file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __setstate__(self, state: dict[str, str]) -> None:
        Path(state["path"]).write_text("ran")
        self.__dict__.update(state)


def test_a_model_file_holding_an_untrusted_type_is_refused_without_running_it(fitted: Fitted, tmp_path: Path) -> None:
    d = _copy(fitted, tmp_path)
    marker = tmp_path / "ran"
    sio.dump(Canary(str(marker)), d / "model.skops")
    # The attacker rewrites the metadata too: the hash matches, only the type allow-list stands in the way.
    _edit_meta(d, model_sha256=hashlib.sha256((d / "model.skops").read_bytes()).hexdigest())
    with pytest.raises(
        model.ModelError, match=r"^model\.skops: refused, it holds types outside the allow-list: .*Canary"
    ):
        model.load(d)
    assert not marker.exists()
    policy = LearnedShare.from_dir(d, StaticShare(4000), 1000, 9000)
    assert policy.model is None and policy.load_error is not None and "allow-list" in policy.load_error
    assert math.isfinite(policy.share_bps(fitted.test.examples[0].context)) and policy.last_fallback == "no_model"
    assert not marker.exists()
