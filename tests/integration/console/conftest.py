"""The console served by uvicorn on 127.0.0.1 at a run-time port, over a migrated SQLite file, with three users
(operator olga, viewer vic, admin ada), an injected clock the tests move, and the searcher's real control API
server (over a searcher that follows no chain: see `control_real`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arbbot import db
from arbbot.console import sessions, users
from arbbot.console.app import create_app
from arbbot.console.context import Console
from arbbot.console.control import ControlClient
from arbbot.db.models import ConsoleAuditModel
from tests.integration.console.control_real import RealControlApi

TOKEN = "control-token-for-tests"
PW = "operator password 1"
T0 = datetime(2026, 12, 6, 12, 0, 5, tzinfo=UTC)


class Clock:
    """The console's clock, moved by the test (no sleeps)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def step(self, seconds: float = 30) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Served:
    url: str
    clock: Clock
    sdb: sessionmaker[Session]
    control: RealControlApi
    console: Console

    def audit(self) -> list[tuple[str, str, str | None, str | None]]:
        with self.sdb() as s:
            q = select(ConsoleAuditModel).order_by(ConsoleAuditModel.id)
            return [(r.actor, r.action, r.old, r.new) for r in s.scalars(q)]


def wait_for(cond: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    engine = db.connect(f"sqlite:///{tmp_path / 'console.db'}")
    sdb = db.session_factory(engine)
    clock = Clock()
    double = RealControlApi(TOKEN)
    console = Console(
        sessions_db=sdb, clock=clock, policy=users.Policy(attempts=3, lock_for=timedelta(minutes=10)),
        lifetimes=sessions.Lifetimes(idle=timedelta(minutes=15), absolute=timedelta(hours=8)),
        control=lambda: ControlClient(double.url, TOKEN), config_view={"network": "replica"},
    )  # fmt: skip
    with sdb.begin() as s:
        users.add(s, "olga", "operator", PW, now=T0, actor="shell")
        users.add(s, "vic", "viewer", PW, now=T0, actor="shell")
        users.add(s, "ada", "admin", PW, now=T0, actor="shell")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(console), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "uvicorn to start")
        yield Served(f"http://127.0.0.1:{port}", clock, sdb, double, console)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        double.stop()
        engine.dispose()
