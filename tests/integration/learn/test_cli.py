"""`arbbot learn fit` and `arbbot learn evaluate` as an operator runs them (a subprocess on a SQLite file): the reports,
and one-line errors naming the field and value, with a non-zero exit and no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.integration.learn.conftest import Fitted

ROOT = Path(__file__).resolve().parents[3]


def _run(cwd: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    (cwd / "arbbot.toml").write_text(f'database_url = "{db_url}"\ndata_dir = "{cwd / ".arbbot"}"\n')
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path[1:]])}
    return subprocess.run([sys.executable, "-m", "arbbot", "learn", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def _one_error(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    errors = [ln for ln in res.stderr.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1 and needle in errors[0], res.stderr


def test_fit_then_evaluate_writes_the_model_the_json_and_the_html(fitted: Fitted, tmp_path: Path) -> None:
    out = tmp_path / "model"
    res = _run(tmp_path, fitted.history.db_url, "fit", "--out", str(out), "--holdout", "0.3", "--seed", "3",
               "--resamples", "300")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "reading the bundle history..." in res.stderr and "fitting on the oldest 1680 rows" in res.stderr
    assert "model saved in" in res.stdout and "ECE" in res.stdout
    meta = json.loads((out / "meta.json").read_text())
    assert meta["data"]["rows"] == 1680 and meta["chain_id"] is None and meta["metrics"]["test_rows"] == 720
    html = tmp_path / "report.html"
    res = _run(tmp_path, fitted.history.db_url, "evaluate", "--model", str(out), "--json", "--html", str(html),
               "--resamples", "300")  # fmt: skip
    assert res.returncode == 0, res.stderr
    metrics = json.loads(res.stdout)
    assert metrics["test_rows"] == 720 and metrics["calibration"]["ece"] < 0.05
    assert metrics["backtest"]["learned_mean"] > metrics["backtest"]["static_mean"]
    assert metrics["calibration"] == meta["metrics"]["calibration"]
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2 and "Reliability curve" in page
    lowered = page.lower()
    assert "<script" not in lowered and "src=" not in lowered and "href=" not in lowered and "@import" not in lowered
    assert f"static {metrics['backtest']['static_share']} bps" in page
    # The same evaluation as a section of the PnL report's HTML page.
    pnl = tmp_path / "pnl.html"
    res = _report(tmp_path, "--format", "html", "--out", str(pnl), "--model", str(out))
    assert res.returncode == 0, res.stderr
    report = pnl.read_text()
    assert "Landing model (the builder payment)" in report and "Reliability curve" in report
    assert (
        f"{metrics['calibration']['ece']:.4f}" in report
        and f"static {metrics['backtest']['static_share']} bps" in report
    )
    assert "<script" not in report.lower()
    _one_error(_report(tmp_path, "--format", "json", "--model", str(out)), "--model: goes into the HTML report only")


def _report(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`arbbot report` on the same settings `_run` wrote (chain given: no node to ask)."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path[1:]])}
    return subprocess.run([sys.executable, "-m", "arbbot", "report", "--chain-id", "1", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_an_empty_history_is_one_line(tmp_path: Path) -> None:
    _one_error(_run(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", "fit"), "rows: no bundle with a bid")


def test_bad_options_are_one_line(fitted: Fitted, tmp_path: Path) -> None:
    _one_error(
        _run(tmp_path, fitted.history.db_url, "fit", "--holdout", "1.5"), "--holdout: a fraction in [0, 1), got 1.5"
    )
    _one_error(_run(tmp_path, fitted.history.db_url, "evaluate", "--model", str(tmp_path / "none")),
               "meta.json: cannot be read")  # fmt: skip


def test_a_mismatched_or_stale_model_is_one_line(fitted: Fitted, tmp_path: Path) -> None:
    d = Path(shutil.copytree(fitted.dir / "model", tmp_path / "model"))
    meta = json.loads((d / "meta.json").read_text())
    (d / "meta.json").write_text(json.dumps({**meta, "features": ["gas"]}))
    _one_error(_run(tmp_path, fitted.history.db_url, "evaluate", "--model", str(d)), "features: model has ['gas']")
    # A model whose training rows are not the database's oldest: the history changed under it.
    (d / "meta.json").write_text(json.dumps({**meta, "data": {**meta["data"], "sha256": "0" * 64}}))
    _one_error(_run(tmp_path, fitted.history.db_url, "evaluate", "--model", str(d)), "data.sha256: the model was")


def test_evaluating_a_model_trained_on_every_row_is_one_line(fitted: Fitted, tmp_path: Path) -> None:
    out = tmp_path / "all"
    fit = _run(tmp_path, fitted.history.db_url, "fit", "--out", str(out), "--holdout", "0")
    assert fit.returncode == 0 and "no rows held out" in fit.stderr, fit.stderr
    _one_error(_run(tmp_path, fitted.history.db_url, "evaluate", "--model", str(out)), "rows: no bundle after")
