"""A migrated SQLite file database for the console's unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arbbot import db


@pytest.fixture
def sessions_db(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = db.connect(f"sqlite:///{tmp_path / 'console.db'}")
    try:
        yield db.session_factory(engine)
    finally:
        engine.dispose()
