"""tools/postgres.sh: a throwaway server on 127.0.0.1 only, socket in its directory, idempotent, stopped by PID."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sqlalchemy import text

from arbbot.db import make_engine
from tests.integration.db.pg import PgServer, pg_script, pid_alive, stop_by_pid


def test_session_server_listens_on_loopback_with_its_socket_inside_its_directory(postgres_server: PgServer) -> None:
    engine = make_engine(postgres_server.url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW listen_addresses")).scalar() == "127.0.0.1"
        assert conn.execute(text("SHOW unix_socket_directories")).scalar() == str(postgres_server.data_dir.resolve())
        assert conn.execute(text("SELECT pg_backend_pid() <> :p"), {"p": postgres_server.pid}).scalar()
    engine.dispose()
    port = postgres_server.url.rsplit(":", 1)[1].split("/")[0]
    assert (postgres_server.data_dir / f".s.PGSQL.{port}").is_socket()


def test_start_again_is_idempotent_and_status_reports_it(postgres_server: PgServer) -> None:
    again = pg_script("start", postgres_server.data_dir)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == [postgres_server.url, str(postgres_server.pid)]
    status = pg_script("status", postgres_server.data_dir)
    assert status.returncode == 0 and status.stdout.split() == [postgres_server.url, str(postgres_server.pid)]


def test_a_second_cluster_on_a_given_port_starts_and_stops_by_pid(postgres_server: PgServer) -> None:
    base = Path(tempfile.mkdtemp(prefix="arbbot-pg2-"))
    base.chmod(0o755)
    data = base / "data"
    taken = postgres_server.url.rsplit(":", 1)[1].split("/")[0]
    try:
        busy = pg_script("start", data, taken)  # the session server holds that port
        assert busy.returncode != 0 and "could not start PostgreSQL" in busy.stderr
        started = pg_script("start", data)
        assert started.returncode == 0, started.stderr
        url, pid = started.stdout.split()
        assert url != postgres_server.url and pid_alive(int(pid))
        stopped = pg_script("stop", data)
        assert stopped.returncode == 0, stopped.stderr
        assert not pid_alive(int(pid))
        assert pg_script("status", data).returncode == 3
        assert pg_script("stop", data).returncode == 0  # stopping twice is fine
    finally:
        if (data / "postmaster.pid").exists():
            stop_by_pid(data, int((data / "postmaster.pid").read_text().split()[0]))
        shutil.rmtree(base, ignore_errors=True)


def test_usage_errors_exit_2() -> None:
    assert pg_script("start").returncode == 2
    assert pg_script("frobnicate", "/tmp/x").returncode == 2
