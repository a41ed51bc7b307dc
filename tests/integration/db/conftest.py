"""Database fixtures: the same tests run on SQLite (a file) and on a real PostgreSQL server.

The PostgreSQL server is started once per session by tools/postgres.sh (Debian's package, installed
if missing) on 127.0.0.1 at a run-time port, and stopped by its PID at the end, even on failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from arbbot.db import connect

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = Path(tempfile.mkdtemp(prefix="arbbot-pg-"))
    base.chmod(0o755)  # the server runs as the 'postgres' user when tests run as root
    data = base / "data"
    proc = subprocess.run(
        ["bash", str(ROOT / "tools" / "postgres.sh"), "start", str(data)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL: {proc.stderr.strip()[-500:]}")
    url, pid = proc.stdout.split()
    try:
        yield url
    finally:
        os.kill(int(pid), signal.SIGINT)  # fast shutdown, by PID
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = connect(f"sqlite:///{tmp_path / 'arbbot.db'}")
        yield eng
        eng.dispose()
        return
    base_url = request.getfixturevalue("postgres_url")
    # A fresh database per test, so tests never see each other's rows.
    name = f"t_{os.getpid()}_{time.monotonic_ns()}"
    admin = connect(base_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    eng = connect(base_url.rsplit("/", 1)[0] + "/" + name)
    yield eng
    eng.dispose()
