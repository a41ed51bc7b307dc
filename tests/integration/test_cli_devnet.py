"""`arbbot devnet` end to end, as a user runs it (real processes, real anvil)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.chain.anvil import is_anvil_pid, pid_alive, stop_pid

ARBBOT = [sys.executable, "-m", "arbbot"]


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*ARBBOT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    record = tmp_path / ".arbbot" / "devnet.json"
    if record.is_file():  # never leave a node behind, even when an assertion failed
        pid = json.loads(record.read_text())["pid"]
        if is_anvil_pid(pid):
            stop_pid(pid)


@pytest.mark.replica
def test_up_status_down(workdir: Path) -> None:
    up = run(workdir, "devnet", "up")
    assert up.returncode == 0, up.stderr
    for needle in ("BalancerVault", "UniswapV3Factory", "USDC", "WBTC", "sushiswap", "uniswap_v3", "0.05%"):
        assert needle in up.stdout
    rec = json.loads((workdir / ".arbbot" / "devnet.json").read_text())
    assert is_anvil_pid(rec["pid"])
    manifest = json.loads(Path(rec["manifest_path"]).read_text())
    assert manifest["contracts"]["BalancerVault"].startswith("0x")

    again = run(workdir, "devnet", "up")
    assert again.returncode == 1
    assert "already running" in again.stderr and again.stderr.count("\n") == 1

    status = run(workdir, "devnet", "status")
    assert status.returncode == 0 and rec["url"] in status.stdout

    down = run(workdir, "devnet", "down")
    assert down.returncode == 0 and f"pid {rec['pid']}" in down.stdout
    assert not pid_alive(rec["pid"])
    assert not (workdir / ".arbbot" / "devnet.json").exists()
    assert "no devnet running" in run(workdir, "devnet", "down").stdout


def test_unknown_scenario_is_one_line_and_starts_nothing(workdir: Path) -> None:
    res = run(workdir, "devnet", "up", "--scenario", "nope")
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        "error: unknown scenario 'nope'; built-in: " + res.stderr.split("built-in: ")[1].strip()
    ]
    assert not (workdir / ".arbbot" / "devnet.json").exists()


def test_malformed_scenario_file_names_the_file(workdir: Path) -> None:
    bad = workdir / "bad.toml"
    bad.write_text('name = "x"\nseed = "not a number"\n')
    res = run(workdir, "devnet", "up", "--scenario", str(bad))
    assert res.returncode == 1
    assert f"invalid scenario file {bad}: seed" in res.stderr


def test_port_in_use(workdir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        res = run(workdir, "devnet", "up", "--port", str(sock.getsockname()[1]))
    assert res.returncode == 1
    assert "Address already in use" in res.stderr and res.stderr.count("\n") == 1
    assert not (workdir / ".arbbot" / "devnet.json").exists()


def test_missing_anvil_binary(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBBOT_ANVIL", str(workdir / "nowhere" / "anvil"))
    res = run(workdir, "devnet", "up")
    assert res.returncode == 1
    assert "anvil binary missing" in res.stderr


def test_help_lists_the_devnet_commands(workdir: Path) -> None:
    res = run(workdir, "devnet", "--help")
    assert res.returncode == 0
    for cmd in ("up", "down", "status", "build", "scenarios"):
        assert cmd in res.stdout


@pytest.mark.replica
def test_foreground_node_stops_on_ctrl_c(workdir: Path) -> None:
    import signal

    proc = subprocess.Popen(
        [*ARBBOT, "devnet", "up", "--foreground"],
        cwd=workdir,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait for the ready line, not a sleep
            if "Ctrl-C to stop" in line:
                break
        rec = json.loads((workdir / ".arbbot" / "devnet.json").read_text())
        assert is_anvil_pid(rec["pid"])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130  # interrupted: the shell convention
        assert not pid_alive(rec["pid"])
        assert not (workdir / ".arbbot" / "devnet.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
