"""`--mev-share` and `searcher.mev_share`: a bad URL is one line naming the option or key, exit non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(cwd: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    (cwd / "arbbot.toml").write_text(config)
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "arbbot", "run", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    ("config", "args", "needle"),
    [
        ('rpc_url = "http://127.0.0.1:1"\n', ("--mev-share", "ftp://relay"), "--mev-share: "),
        ('rpc_url = "http://127.0.0.1:1"\n[searcher]\nmev_share = "relay"\n', (), "searcher.mev_share: "),
        ('rpc_url = "http://127.0.0.1:1"\n[searcher]\nmev_share_api = "x"\n', (), "searcher.mev_share_api: "),
        ('rpc_url = "http://127.0.0.1:1"\n[searcher]\nmev_share_ladder_wei = [0]\n', (), "mev_share_ladder_wei"),
        ('rpc_url = "http://127.0.0.1:1"\n[searcher]\nmev_share_refund_percent = 100\n', (), "refund_percent"),
    ],
)
def test_bad_mev_share_settings_are_one_line(tmp_path: Path, config: str, args: tuple[str, ...], needle: str) -> None:
    res = _run(tmp_path, config, *args)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    errors = [ln for ln in res.stderr.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1 and needle in errors[0], res.stderr
