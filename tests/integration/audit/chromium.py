"""Headless Chromium (Debian's package, installed by tools/chromium.sh) run on a local file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

BIN = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def run(page: Path, profile: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One Chromium run on file://page; it and every process it spawned are stopped before returning."""
    cmd = [str(BIN), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the renderer and zygote helpers too
        proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
