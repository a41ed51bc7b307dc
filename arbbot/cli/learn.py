"""`arbbot learn fit` and `arbbot learn evaluate`: a landing model from the bundle history in the database.

scikit-learn, skops and the database are imported inside the commands, so that `--help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arbbot.cli.common import console, err_console, fail, settings

if TYPE_CHECKING:
    from arbbot.config import Settings
    from arbbot.learn.dataset import Dataset
    from arbbot.learn.evaluate import Evaluation
    from arbbot.learn.model import LandingModel

app = typer.Typer(
    name="learn",
    help="Learn the builder payment: fit and evaluate a landing-probability model on the bundle history.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ModelDir = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory (default: <data_dir>/learn/model).")
]
ChainId = Annotated[int | None, typer.Option("--chain-id", help="Only this chain's bundles (default: every chain).")]


def _say(message: str) -> None:
    """A progress line on stderr (stdout stays for results)."""
    err_console.print(message, highlight=False, markup=False, soft_wrap=True)


def _model_dir(s: Settings, model: Path | None) -> Path:
    return model if model is not None else s.data_dir / "learn" / "model"


def _history(s: Settings, chain_id: int | None) -> Dataset:
    from arbbot import db
    from arbbot.learn import dataset

    _say("reading the bundle history...")
    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    try:
        with db.session_factory(engine)() as session:
            data = dataset.load(session, chain_id)
    finally:
        engine.dispose()
    skipped = ", ".join(f"{n} ({reason})" for reason, n in sorted(data.skipped.items()))
    _say(f"{len(data)} bundles with a bid and an outcome" + (f"; skipped malformed: {skipped}" if skipped else ""))
    if len(data) == 0:
        where = "" if chain_id is None else f" of chain {chain_id}"
        raise fail(f"rows: no bundle{where} with a bid and a final outcome (landed or missed) in the database")
    return data


def _summary(ev: Any) -> None:
    cal = ev.calibration
    console.print(f"held-out rows {cal.rows}  landed rate {cal.landed_rate:.3f}  Brier {cal.brier:.4f}  "
                  f"ECE {cal.ece:.4f} (10 equal-width bins)", highlight=False, soft_wrap=True)  # fmt: skip
    bt = ev.backtest
    if bt is None:
        console.print(f"backtest refused: {ev.backtest_refused}", highlight=False, markup=False, soft_wrap=True)
        return
    eth = 1e18
    console.print(
        f"replay, ETH per opportunity: learned {bt.learned_mean / eth:.6f} ({bt.learned_matched} rows matched), "
        f"static {bt.static_share} bps {bt.static_mean / eth:.6f} ({bt.static_matched} matched); "
        f"learned - static {bt.diff / eth:+.6f}, 95% CI [{bt.ci_low / eth:+.6f}, {bt.ci_high / eth:+.6f}]",
        highlight=False, soft_wrap=True,
    )  # fmt: skip


@app.command()
def fit(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Model directory to write (default: <data_dir>/learn/model).")
    ] = None,
    holdout: Annotated[float, typer.Option(help="Newest fraction of the rows held out for evaluation.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the model and of the bootstrap.")] = 0,
    calibration: Annotated[
        str, typer.Option(help="auto, sigmoid or isotonic (auto: isotonic from 1000 calibration rows).")
    ] = "auto",
    chain_id: ChainId = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the backtest's interval.")] = 2000,
) -> None:
    """Fit a calibrated landing model on the history (all but the held-out newest rows), evaluate it on those and
    save it with its metadata."""
    from arbbot.learn import model as learned
    from arbbot.learn.evaluate import BacktestRefused, evaluate

    if not 0.0 <= holdout < 1.0:
        raise fail(f"--holdout: a fraction in [0, 1), got {holdout}")
    if resamples < 1:
        raise fail(f"--resamples: at least 1, got {resamples}")
    s = settings()
    directory = _model_dir(s, out)
    data = _history(s, chain_id)
    train, test = data.split(holdout)
    _say(f"fitting on the oldest {len(train)} rows (seed {seed})...")
    try:
        m = learned.fit(train, seed=seed, calibration=calibration)
    except learned.ModelError as exc:
        raise fail(str(exc)) from None
    m.meta["chain_id"] = chain_id
    if len(test):
        _say(f"evaluating on the newest {len(test)} rows...")
        try:
            ev = evaluate(m, train, test, resamples=resamples, seed=seed)
        except BacktestRefused as exc:
            raise fail(str(exc)) from None
        m.meta["metrics"] = ev.to_json()
        _summary(ev)
    else:
        _say("no rows held out (--holdout 0): the model is saved without held-out metrics")
    learned.save(m, directory)
    console.print(f"model saved in {directory} ({m.meta['calibration']['method']} calibration, "
                  f"{len(train)} training rows, model sha256 {m.meta['model_sha256'][:16]}...)", highlight=False,
                  soft_wrap=True)  # fmt: skip


def evaluation(s: Settings, directory: Path, resamples: int = 2000, seed: int = 0) -> tuple[Evaluation, LandingModel]:
    """Load the model in `directory` and evaluate it on the rows after its training window (one-line errors)."""
    from arbbot.learn import model as learned
    from arbbot.learn.dataset import Dataset, content_hash
    from arbbot.learn.evaluate import BacktestRefused, evaluate

    _say(f"loading the model in {directory}...")
    try:
        m = learned.load(directory)
    except learned.ModelError as exc:
        raise fail(str(exc)) from None
    chain_id = m.meta.get("chain_id")
    data = _history(s, chain_id if isinstance(chain_id, int) else None)
    trained = m.meta.get("data", {})
    n = trained.get("rows")
    if not isinstance(n, int) or not 0 < n <= len(data):
        raise fail(f"data.rows: the model was trained on {n!r} rows, the database holds {len(data)}")
    digest = content_hash(data.examples[:n])
    if digest != trained.get("sha256"):
        raise fail(f"data.sha256: the model was trained on {trained.get('sha256')}, the oldest {n} rows of the "
                   f"database hash to {digest} (the history changed; fit again)")  # fmt: skip
    train, test = Dataset(data.examples[:n]), Dataset(data.examples[n:])
    if len(test) == 0:
        raise fail(f"rows: no bundle after the model's training window (ends {trained.get('last')}); fit with "
                   "--holdout above 0 or evaluate once more history is recorded")  # fmt: skip
    _say(f"evaluating on the {len(test)} rows after the training window...")
    try:
        return evaluate(m, train, test, resamples=resamples, seed=seed), m
    except BacktestRefused as exc:
        raise fail(str(exc)) from None


@app.command("evaluate")
def evaluate_cmd(
    model: ModelDir = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the backtest's interval.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
) -> None:
    """Evaluate a saved model on the rows that follow its training window: Brier score, ECE, reliability curve, and
    the replay backtest of the learned policy against the best static share of the training window."""
    from arbbot.learn.report import render

    if resamples < 1:
        raise fail(f"--resamples: at least 1, got {resamples}")
    s = settings()
    ev, m = evaluation(s, _model_dir(s, model), resamples, seed)
    if as_json:
        print(json.dumps(ev.to_json(), indent=2, sort_keys=True))
    else:
        _summary(ev)
    if html is not None:
        try:
            html.write_text(render(ev, m.meta))
        except OSError as exc:
            raise fail(f"--html: cannot write {html} ({exc.strerror or exc})") from None
        _say(f"report written to {html}")
