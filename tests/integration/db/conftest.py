"""Database fixtures: the same tests run on SQLite (a file) and on a real PostgreSQL server.

The PostgreSQL server is started once per session by tools/postgres.sh (Debian's package, installed
if missing) on 127.0.0.1 at a run-time port, and stopped by its PID at the end, even on failure. If
it cannot be started, every PostgreSQL test fails with the script's message: never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from arbbot.db import connect, make_engine
from tests.integration.db.pg import ROOT, SCRIPT, PgServer, pg_script, stop_by_pid


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    base = Path(tempfile.mkdtemp(prefix="arbbot-pg-"))
    base.chmod(0o755)  # as root the server runs as 'postgres', which must reach base/data
    data = base / "data"
    server: PgServer | None = None
    try:
        try:
            proc = pg_script("start", data)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"{SCRIPT.relative_to(ROOT)} start did not finish in {exc.timeout:.0f} s", pytrace=False)
        out = proc.stdout.split()
        if proc.returncode != 0 or len(out) != 2:
            pytest.fail(
                f"could not start PostgreSQL with {SCRIPT.relative_to(ROOT)} (exit {proc.returncode}):\n"
                f"{proc.stderr.strip()[-2000:]}",
                pytrace=False,
            )
        server = PgServer(url=out[0], pid=int(out[1]), data_dir=data)
        yield server
    finally:
        if server is not None:
            stop_by_pid(data, server.pid)
        else:
            pg_script("stop", data, timeout=120)  # a half-started server must not outlive the session
        shutil.rmtree(base, ignore_errors=True)


def _fresh_postgres_db(server: PgServer) -> tuple[str, str]:
    # A database per test, so tests never see each other's rows; created empty (not migrated).
    name = f"t_{os.getpid()}_{time.monotonic_ns()}"
    admin = make_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server.url).set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_db(server: PgServer, name: str) -> None:
    admin = make_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'arbbot.db'}"
        return
    server: PgServer = request.getfixturevalue("postgres_server")
    url, name = _fresh_postgres_db(server)
    try:
        yield url
    finally:
        _drop_postgres_db(server, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    eng = connect(db_url)
    try:
        yield eng
    finally:
        eng.dispose()
