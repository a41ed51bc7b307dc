"""`arbbot audit --missed` looks at every miss: given transactions, an executor or a range as well is one line
naming the option, exit non-zero; so is a node that does not answer (nothing is written)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--missed", "0x" + "ab" * 32), "--missed: "),
        (("--missed", "--executor", "0x" + "11" * 20), "--missed: "),
        (("--missed", "--from-block", "5"), "--missed: "),
        (("--missed",), "http://127.0.0.1:1"),
    ],
)
def test_bad_missed_invocations_are_one_line(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    (tmp_path / "arbbot.toml").write_text('rpc_url = "http://127.0.0.1:1"\n')
    env = {**os.environ, "COLUMNS": "200"}
    res = subprocess.run([sys.executable, "-m", "arbbot", "audit", *args], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    errors = [ln for ln in res.stderr.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1 and needle in errors[0], res.stderr
