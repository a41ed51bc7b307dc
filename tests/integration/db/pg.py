"""Helpers around tools/postgres.sh, shared by the fixtures and the script's own tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "tools" / "postgres.sh"


@dataclass(frozen=True)
class PgServer:
    url: str
    pid: int
    data_dir: Path


def pg_script(*args: str | Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    # 900 s: the first run may apt-get install the server.
    return subprocess.run(["bash", str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (an orphaned postmaster may linger as one until its reaper gets to it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_by_pid(data_dir: Path, pid: int) -> None:
    """tools/postgres.sh stop (pg_ctl -m fast); if that PID still runs, signal it directly."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        pg_script("stop", data_dir, timeout=120)
    for sig in (signal.SIGINT, signal.SIGKILL):
        deadline = time.monotonic() + 15
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not pid_alive(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
