"""One seeded synthetic history per test session (writing it through the bundle log takes a while), and a model
fitted on its oldest 70%."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arbbot import db
from arbbot.learn import dataset, model
from arbbot.learn.dataset import Dataset
from arbbot.learn.evaluate import Evaluation, evaluate
from tests.integration.learn import history

ROWS = 2400
HOLDOUT = 0.3


@dataclass(frozen=True)
class Fitted:
    dir: Path
    history: history.History
    data: Dataset
    train: Dataset
    test: Dataset
    model: model.LandingModel
    evaluation: Evaluation


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fitted]:
    tmp = tmp_path_factory.mktemp("learn")
    h = history.write(tmp, ROWS)
    engine = db.connect(h.db_url)
    with db.session_factory(engine)() as session:
        data = dataset.load(session)
    engine.dispose()
    train, test = data.split(HOLDOUT)
    m = model.fit(train, seed=3)
    ev = evaluate(m, train, test, resamples=1000, seed=5)
    m.meta["metrics"] = ev.to_json()
    model.save(m, tmp / "model")
    yield Fitted(tmp, h, data, train, test, m, ev)
