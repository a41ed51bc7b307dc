"""`arbbot demo --hold` from the shell: after the run its console keeps serving the run's trades to the viewer
whose password came from ARBBOT_CONSOLE_PASSWORD, until Ctrl-C (SIGINT to its PID) ends the process cleanly; a
console port that is taken is a one-line error."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.replica

PW = "a long enough demo password"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    return {**env, "ARBBOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", "ARBBOT_CONSOLE_PASSWORD": PW}


def _demo(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "arbbot", "demo", "--rounds", "2", "--backrun-every", "0", "--no-solana",
            "--out", str(tmp_path / "out"), *args]  # fmt: skip


def test_hold_keeps_the_console_until_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(_demo(tmp_path, "--hold"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(tmp_path), cwd=tmp_path, stdin=subprocess.DEVNULL)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while not any("Ctrl-C stops it" in line for line in seen):
            try:
                seen.append(lines.get(timeout=240))
            except queue.Empty:
                raise AssertionError("the demo never said its console was held: " + "".join(seen[-20:])) from None
            assert proc.poll() is None or not lines.empty(), "".join(seen[-20:])
        held = next(line for line in seen if "Ctrl-C stops it" in line)
        m = re.search(r"(http://127\.0\.0\.1:\d+) \(viewer 'demo', password: \$ARBBOT_CONSOLE_PASSWORD\)", held)
        assert m, held
        url = m.group(1)
        assert PW not in "".join(seen)
        assert not (tmp_path / "out" / "console-login").exists()  # the password came from the environment
        with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as c:
            page = c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            r = c.post("/login", data={"csrf": csrf.group(1), "username": "demo", "password": PW})
            assert r.status_code == 200 and 'id="count-trades"' in r.text  # followed to the overview
            trades = c.get("/trades").text
            assert len(re.findall(r"0x[0-9a-f]{64}", trades)) >= 1  # the run's landed trades
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert any("console stopped" in line for line in rest) and "Traceback" not in "".join(rest)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/login", timeout=5)


def test_a_taken_console_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(_demo(tmp_path, "--console-port", str(port)), capture_output=True, text=True,
                              timeout=300, env=_env(tmp_path), cwd=tmp_path, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and f"--console-port {port}: cannot listen on 127.0.0.1" in err[0], done.stderr
