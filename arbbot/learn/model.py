"""The landing-probability model: P(land | share, context), fitted on the history with scikit-learn gradient boosting
and calibrated, saved as two files in a directory (`model.skops`, `meta.json`) and loaded only after checks.

A model directory is untrusted input (it may be swapped or edited): it is never unpickled. `model.skops` is read with
skops, which rebuilds objects only of types it trusts; beyond its defaults, `TRUSTED` names the few scikit-learn
internals a calibrated gradient-boosting model holds, and a file naming any other type is refused before anything in
it is built. Before that, the file's sha256 must equal the one in `meta.json` (a corrupted or replaced file is caught
early with a clear message; the type allow-list is what keeps a hostile file from running code, since whoever can
replace the model can also rewrite its metadata), the features must be `FEATURES` in order and scikit-learn and numpy
must be the major.minor versions it was fitted with.

Calibration: the gradient boosting is fitted on the older part of the training window and the calibration map on the
newer part (both before any held-out row), so that no calibration sees the future of what it is judged on. The map
is Platt's sigmoid unless the calibration part has at least `ISOTONIC_MIN_ROWS` rows: isotonic regression fits any
monotone distortion but overfits (a staircase) on a few hundred rows, which is what a searcher's history usually is;
the sigmoid has two parameters and only corrects a smooth one. The boosting is constrained to be non-decreasing in
`share_bps` (paying more never makes a bundle less likely to land), and both maps are monotone, so the calibrated
probability is too.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from arbbot.errors import ArbbotError
from arbbot.learn.dataset import Dataset
from arbbot.strategy.bribe import BPS, FEATURES

SCHEMA = 1
MODEL_FILE = "model.skops"
META_FILE = "meta.json"
MAX_MODEL_BYTES = 64 * 1024 * 1024
MAX_META_BYTES = 1024 * 1024
ISOTONIC_MIN_ROWS = 1000
MIN_ROWS = 40  # fewer rows than this in either part of the training window: nothing worth fitting
CALIBRATION_FRACTION = 0.25
# Types skops does not trust by default that a calibrated HistGradientBoostingClassifier holds; nothing else loads.
TRUSTED: tuple[str, ...] = (
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
CHECKED_LIBRARIES = ("sklearn", "numpy")  # major.minor must match to load
SHARE = FEATURES.index("share_bps")


class ModelError(ArbbotError):
    """A model that cannot be fitted, saved or loaded; the message names the field and the values."""


def versions() -> dict[str, str]:
    """The versions a model is fitted with (and checked against when loaded)."""
    import sklearn
    import skops

    return {"sklearn": sklearn.__version__, "numpy": np.__version__, "skops": skops.__version__,
            "python": platform.python_version()}  # fmt: skip


_controller: Any = None


def one_thread() -> Any:
    """A context in which OpenMP runs on one thread. The controller (a scan of the loaded libraries, milliseconds)
    is made once; entering the limit costs far less than OpenMP waking its threads for a handful of rows."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="openmp")


def _major_minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


@dataclass
class LandingModel:
    """A fitted, calibrated landing model and its metadata (`meta`: features, data window and hash, training ranges,
    the logging grid, metrics, versions, seed, creation time)."""

    estimator: Any  # sklearn.calibration.CalibratedClassifierCV
    meta: dict[str, Any]

    def predict(self, rows: Sequence[Sequence[float]]) -> np.ndarray:
        """P(land) for each feature row (`FEATURES` order)."""
        X = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
        with one_thread():  # a bid scores a handful of rows: threads cost more than they save
            p = self.estimator.predict_proba(X)[:, 1]
        return np.clip(p, 0.0, 1.0)

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """Per feature (share_bps aside): the [min, max] seen in training."""
        return {k: (float(v[0]), float(v[1])) for k, v in self.meta["ranges"].items()}

    @property
    def grid(self) -> tuple[int, ...]:
        """The shares the history was logged with (the candidates a learned bid chooses from)."""
        return tuple(int(g) for g in self.meta["grid"])


def logging_grid(data: Dataset) -> tuple[int, ...]:
    """The logging policy's grid: as recorded with the bids when they record it, else the distinct shares logged."""
    recorded = {e.grid for e in data.examples if e.grid is not None}
    if len(recorded) == 1:
        return next(iter(recorded))
    return tuple(sorted({e.share_bps for e in data.examples}))


def fit(train: Dataset, *, seed: int = 0, calibration: str = "auto") -> LandingModel:
    """Fit and calibrate on `train` (oldest first): boosting on its first 75%, the calibration map on the rest."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator

    if calibration not in ("auto", "sigmoid", "isotonic"):
        raise ModelError(f"calibration: auto, sigmoid or isotonic, got {calibration!r}")
    X = np.asarray(train.X, dtype=np.float64).reshape(-1, len(FEATURES))
    y = np.asarray(train.y, dtype=np.int64)
    n = len(y)
    cut = n - round(n * CALIBRATION_FRACTION)
    if cut < MIN_ROWS or n - cut < MIN_ROWS:
        raise ModelError(f"rows: at least {round(MIN_ROWS / CALIBRATION_FRACTION)} training rows needed, got {n}")
    for part, ys in (("fit", y[:cut]), ("calibration", y[cut:])):
        if ys.min() == ys.max():
            raise ModelError(f"landed: every row of the {part} part is {'landed' if ys[0] else 'missed'}")
    method = calibration if calibration != "auto" else ("isotonic" if n - cut >= ISOTONIC_MIN_ROWS else "sigmoid")
    monotone = [1 if name == "share_bps" else 0 for name in FEATURES]
    booster = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=20, l2_regularization=1.0,
        monotonic_cst=monotone, early_stopping=False, random_state=seed,
    )  # fmt: skip
    calibrated = CalibratedClassifierCV(FrozenEstimator(booster), method=method)
    # One thread: deterministic timing on a host shared with the searcher (OpenMP threads contend with it).
    with one_thread():
        booster.fit(X[:cut], y[:cut])
        calibrated.fit(X[cut:], y[cut:])
    lo, hi = X.min(axis=0), X.max(axis=0)
    ranges = {name: [float(lo[i]), float(hi[i])] for i, name in enumerate(FEATURES) if name != "share_bps"}
    meta: dict[str, Any] = {
        "schema": SCHEMA,
        "features": list(FEATURES),
        "data": train.window(),
        "ranges": ranges,
        "grid": list(logging_grid(train)),
        "calibration": {"method": method, "fit_rows": cut, "calibration_rows": n - cut},
        "seed": seed,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": {},
    }
    return LandingModel(calibrated, meta)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save(model: LandingModel, directory: Path) -> Path:
    """Write `model.skops` and `meta.json` (with the model file's sha256) into `directory`; returns it."""
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    sio.dump(model.estimator, buf)
    data = buf.getvalue()
    meta = {**model.meta, "model_file": MODEL_FILE, "model_sha256": _sha256(data)}
    (directory / MODEL_FILE).write_bytes(data)
    (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    model.meta = meta
    return directory


def _read(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise ModelError(f"{path.name}: {size} bytes, more than the {limit} a model may have")
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None


def read_meta(directory: Path) -> dict[str, Any]:
    """The metadata of the model in `directory`, checked against this arbbot (features, library versions)."""
    raw = _read(directory / META_FILE, MAX_META_BYTES)
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise ModelError(f"{META_FILE}: not JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{META_FILE}: an object required")
    if meta.get("schema") != SCHEMA:
        raise ModelError(f"schema: model has {meta.get('schema')!r}, this arbbot reads {SCHEMA}")
    if meta.get("features") != list(FEATURES):
        raise ModelError(f"features: model has {meta.get('features')!r}, this arbbot has {list(FEATURES)!r}")
    have = versions()
    fitted = meta.get("versions")
    if not isinstance(fitted, dict):
        fitted = {}
    for lib in CHECKED_LIBRARIES:
        theirs = str(fitted.get(lib))
        if _major_minor(theirs) != _major_minor(have[lib]):
            raise ModelError(f"versions.{lib}: model fitted with {theirs}, installed {have[lib]}")
    ranges = meta.get("ranges")
    expected = [f for f in FEATURES if f != "share_bps"]
    if not isinstance(ranges, dict) or sorted(ranges) != sorted(expected):
        raise ModelError(f"ranges: one [min, max] per feature but share_bps required, got {ranges!r}"[:300])
    for k, v in ranges.items():
        ok = isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) and math.isfinite(x) for x in v)
        if not ok or v[0] > v[1]:
            raise ModelError(f"ranges.{k}: [min, max] required, got {v!r}")
    grid = meta.get("grid")
    if (not isinstance(grid, list) or not grid
            or any(isinstance(g, bool) or not isinstance(g, int) or not 0 <= g <= BPS for g in grid)):  # fmt: skip
        raise ModelError(f"grid: shares in 0..{BPS} bps required, got {grid!r}"[:300])
    if not isinstance(meta.get("model_sha256"), str):
        raise ModelError(f"model_sha256: a hex digest required, got {meta.get('model_sha256')!r}")
    return meta


def load(directory: Path) -> LandingModel:
    """The model saved in `directory`, after every check in this module's description; ModelError otherwise."""
    import skops.io as sio
    from sklearn.calibration import CalibratedClassifierCV

    meta = read_meta(directory)
    data = _read(directory / MODEL_FILE, MAX_MODEL_BYTES)
    digest = _sha256(data)
    if digest != meta["model_sha256"]:
        raise ModelError(f"model_sha256: {META_FILE} says {meta['model_sha256']}, {MODEL_FILE} hashes to {digest}")
    try:  # a malformed archive is refused, whatever the parser raised
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelError(f"{MODEL_FILE}: not a skops archive ({type(exc).__name__}: {exc})"[:300]) from None
    refused = sorted(set(untrusted) - set(TRUSTED))
    if refused:
        raise ModelError(f"{MODEL_FILE}: refused, it holds types outside the allow-list: {', '.join(refused)}"[:400])
    try:  # anything a hostile file provokes is a refusal, not a crash
        estimator = sio.loads(data, trusted=list(TRUSTED))
    except Exception as exc:
        raise ModelError(f"{MODEL_FILE}: cannot be loaded ({type(exc).__name__}: {exc})"[:300]) from None
    if not isinstance(estimator, CalibratedClassifierCV):
        raise ModelError(f"{MODEL_FILE}: a CalibratedClassifierCV required, got {type(estimator).__name__}")
    if getattr(estimator, "n_features_in_", None) != len(FEATURES):
        raise ModelError(f"n_features_in_: model takes {getattr(estimator, 'n_features_in_', None)}, "
                         f"FEATURES has {len(FEATURES)}")  # fmt: skip
    return LandingModel(estimator, meta)
