"""The operator console beside the demo: served on loopback from the demo's own database, attached to the demo
searcher's control API, with one viewer account for the run.

The viewer's password is ARBBOT_CONSOLE_PASSWORD when set; otherwise a random one for this run only, written to a
file only its owner can read (never printed or logged), removed when the console stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from arbbot.console import sessions, users
from arbbot.console.app import create_app
from arbbot.console.context import Console
from arbbot.console.control import ControlClient
from arbbot.console.sealing import Sealer
from arbbot.console.server import utc_now
from arbbot.console.throttle import SourceThrottle
from arbbot.db import engine as db_engine
from arbbot.errors import DevnetError

USER = "demo"
PASSWORD_ENV = "ARBBOT_CONSOLE_PASSWORD"
LOGIN_FILE = "console-login"


@dataclass
class DemoConsole:
    """A running console: its URL, the viewer's name and where the viewer's password is (None: it is the one in
    ARBBOT_CONSOLE_PASSWORD). `stop()` ends it (idempotent)."""

    url: str
    user: str
    login_file: Path | None
    _server: Any
    _thread: threading.Thread
    _engine: Any

    def stop(self) -> None:
        """Stop serving, wait for the server's thread, close the database and remove the password file."""
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._engine.dispose()
        if self.login_file is not None:
            self.login_file.unlink(missing_ok=True)

    def __enter__(self) -> DemoConsole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _password(out_dir: Path) -> tuple[str, Path | None]:
    given = os.environ.get(PASSWORD_ENV, "")
    if given:
        return given, None
    password = secrets.token_urlsafe(18)
    path = out_dir / LOGIN_FILE
    path.unlink(missing_ok=True)
    # Created owner-only from the start (no moment where another user could read it).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"user {USER}\npassword {password}\n")
    return password, path


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise DevnetError(f"--console-port {port}: cannot listen on 127.0.0.1 ({exc.strerror})") from None
    return sock


def check_port(port: int) -> None:
    """Fail before the demo starts when a fixed console port is taken (port 0 always is free)."""
    _listen(port).close()


def start(
    db_url: str, control_url: str, control_token: str, out_dir: Path, *, port: int = 0, view: dict[str, Any]
) -> DemoConsole:
    """Serve the console on 127.0.0.1:`port` (0: a free port) in a thread of its own, so the demo's chain clock
    never waits on a browser. `view` is what its configuration page shows."""
    import uvicorn

    engine = db_engine.connect(db_url)
    factory = db_engine.session_factory(engine)
    password, login_file = _password(out_dir)
    try:
        with factory.begin() as s:
            users.add(s, USER, "viewer", password, now=utc_now(), actor="demo")
    except users.UserError as exc:
        engine.dispose()
        if login_file is not None:
            login_file.unlink(missing_ok=True)
        raise DevnetError(f"console: {exc} ({PASSWORD_ENV})") from None
    console = Console(
        sessions_db=factory, clock=utc_now, policy=users.Policy(),
        lifetimes=sessions.Lifetimes(idle=timedelta(minutes=30), absolute=timedelta(hours=8)),
        control=lambda: ControlClient(control_url, control_token), config_view=view, throttle=SourceThrottle(),
        sealer=Sealer.ephemeral(),  # one viewer, no TOTP: nothing sealed needs to outlive the run
    )  # fmt: skip
    try:
        sock = _listen(port)
    except DevnetError:
        engine.dispose()
        if login_file is not None:
            login_file.unlink(missing_ok=True)
        raise
    bound = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(console), log_level="warning", access_log=False,
                                           server_header=False, proxy_headers=False, lifespan="off"))  # fmt: skip

    def serve() -> None:
        with contextlib.closing(sock):
            asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=serve, name="demo-console", daemon=True)
    thread.start()
    handle = DemoConsole(f"http://127.0.0.1:{bound}", USER, login_file, server, thread, engine)
    deadline = time.monotonic() + 30
    while not server.started:  # startup takes milliseconds; the thread reports it only through this flag
        if not thread.is_alive() or time.monotonic() > deadline:
            handle.stop()
            raise DevnetError("console: the server did not start")
        time.sleep(0.01)
    return handle
