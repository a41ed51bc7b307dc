"""`arbbot run` (dry run) against a running replica: it finds a fresh dislocation, simulates it through the
deployed executor and logs it, sends nothing, and stops after the requested number of blocks."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import is_anvil_pid, stop_pid
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from tests.integration.searcher.harness import router_call

pytestmark = pytest.mark.replica  # every test here starts a replica


def _arbbot(cwd: Path, *args: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
    env = {**(os.environ if env is None else env), "COLUMNS": "200"}
    env.pop("ARBBOT_SEARCHER_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "arbbot", *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,  # type: ignore[call-overload]
    )  # fmt: skip


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[tuple[Path, Manifest, str]]:
    up = subprocess.run([sys.executable, "-m", "arbbot", "devnet", "up"], cwd=tmp_path, capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    rec = json.loads((tmp_path / ".arbbot" / "devnet.json").read_text())
    try:
        yield tmp_path, Manifest.read(Path(rec["manifest_path"])), rec["url"]
    finally:
        if is_anvil_pid(rec["pid"]):
            stop_pid(rec["pid"])


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 120.0) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not printed; got {seen!r}")


@pytest.mark.parametrize("simulator", ["pyrevm", "anvil"])
def test_dry_run_finds_and_simulates_but_sends_nothing(devnet: tuple[Path, Manifest, str], simulator: str) -> None:
    cwd, m, url = devnet
    w3 = Web3(HTTPProvider(url))
    contract = deploy_executor(w3, m)
    proc = _arbbot(cwd, "run", "--executor", contract.address, "--max-blocks", "2", "--simulator", simulator)
    try:
        banner = _wait_for_line(proc, "searcher on")
        for venue in ("uniswap_v2", "uniswap_v2"):  # two blocks: a dislocation, then one more
            tx = w3.eth.send_transaction(router_call(w3, m, venue, w3.eth.accounts[5], 200 * 10**18))
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    counters = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split())
    assert int(counters["blocks_processed"]) == 2
    assert int(counters["simulated"]) >= 1 and int(counters["sent"]) == 0
    assert "dry-run cycle" in err, err
    assert "dry run: simulate and log" in banner


def test_bad_executor_address_is_a_one_line_error(devnet: tuple[Path, Manifest, str]) -> None:
    cwd, _m, _url = devnet
    proc = _arbbot(cwd, "run", "--executor", "0x1234")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "--executor" in err and "0x1234" in err


def test_control_api_served_by_run_changes_show_in_status_and_it_stops_with_the_searcher(
    devnet: tuple[Path, Manifest, str],
) -> None:
    import signal
    import urllib.request

    cwd, m, url = devnet
    contract = deploy_executor(Web3(HTTPProvider(url)), m)
    token = "cli-test-token"
    env = {**os.environ, "ARBBOT_CONTROL__ENABLED": "true", "ARBBOT_CONTROL_TOKEN": token}
    proc = _arbbot(cwd, "run", "--executor", contract.address, env=env)
    try:
        line = _wait_for_line(proc, "control API on")
        info = json.loads((cwd / ".arbbot" / "control.json").read_text())
        assert info["pid"] == proc.pid and info["url"] in line and info["url"].startswith("http://127.0.0.1:")
        assert token not in line
        body = json.dumps({"engaged": True}).encode()
        req = urllib.request.Request(info["url"] + "/v1/kill", body, method="POST",
                                     headers={"Authorization": f"Bearer {token}", "X-Arbbot-Actor": "ana"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read())["killed"] is True
        deadline = time.monotonic() + 60
        while True:  # the status file is rewritten on a control change
            status = subprocess.run([sys.executable, "-m", "arbbot", "status"], cwd=cwd, capture_output=True,
                                    text=True, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
            if "KILLED" in status.stdout or time.monotonic() > deadline:
                break
        assert "control" in status.stdout and "KILLED (nothing is sent)" in status.stdout, status.stdout
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not (cwd / ".arbbot" / "control.json").exists()
    assert token not in err
    assert "control: killed False -> True by ana" in err


def test_control_enabled_without_a_token_is_a_one_line_error(devnet: tuple[Path, Manifest, str]) -> None:
    cwd, _m, _url = devnet
    env = {k: v for k, v in os.environ.items() if k != "ARBBOT_CONTROL_TOKEN"}
    proc = _arbbot(cwd, "run", env={**env, "ARBBOT_CONTROL__ENABLED": "true"})
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert err.strip().splitlines() == [
        "error: control.token_env: ARBBOT_CONTROL_TOKEN is not set; the control API needs a bearer token"
    ], err
