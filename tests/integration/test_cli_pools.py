"""`arbbot pools` against a running replica: its quotes equal the deployed router's, to the wei."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import is_anvil_pid, stop_pid
from arbbot.devnet import artifacts


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "arbbot", *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[tuple[Path, dict, str]]:
    up = run(tmp_path, "devnet", "up")
    assert up.returncode == 0, up.stderr
    rec = json.loads((tmp_path / ".arbbot" / "devnet.json").read_text())
    manifest = json.loads(Path(rec["manifest_path"]).read_text())
    try:
        yield tmp_path, manifest, rec["url"]
    finally:
        if is_anvil_pid(rec["pid"]):
            stop_pid(rec["pid"])


def test_sync_list_and_quote_equal_the_router(devnet: tuple[Path, dict, str]) -> None:
    cwd, manifest, url = devnet
    synced = run(cwd, "pools", "sync")
    assert synced.returncode == 0, synced.stderr
    assert f"{len(manifest['pools'])} pools discovered" in synced.stdout
    assert "flagged token FOT: fee on transfer" in synced.stdout  # the 1% fee-on-transfer token
    assert "flagged token USDC" not in synced.stdout
    listed = run(cwd, "pools", "list")
    assert listed.returncode == 0 and "WETH" in listed.stdout
    tokens = {t["symbol"]: t["address"] for t in manifest["tokens"]}
    pool = next(
        p for p in manifest["pools"] if p["venue"] == "sushiswap" and {p["token0"], p["token1"]} == {"WETH", "USDC"}
    )
    quoted = run(cwd, "pools", "quote", pool["address"], "2500000000", "--token-in", "USDC", "--raw")
    assert quoted.returncode == 0, quoted.stderr
    out = int(quoted.stdout.split("->")[1].split()[0])
    w3 = Web3(HTTPProvider(url))
    router = w3.eth.contract(
        address=manifest["venues"]["sushiswap"]["router"], abi=artifacts.load("UniswapV2Router02").abi
    )
    assert out == router.functions.getAmountsOut(2_500_000_000, [tokens["USDC"], tokens["WETH"]]).call()[-1]


def test_bad_amount_and_unknown_pool_are_one_line_errors(devnet: tuple[Path, dict, str]) -> None:
    cwd, manifest, _ = devnet
    bad = run(cwd, "pools", "quote", manifest["pools"][0]["address"], "abc")
    assert bad.returncode == 1 and "amount must be a number, got 'abc'" in bad.stderr
    missing = run(cwd, "pools", "quote", "0x000000000000000000000000000000000000dEaD", "1")
    assert missing.returncode == 1 and "not found among" in missing.stderr


def test_without_a_replica_or_config_it_says_what_to_do(tmp_path: Path) -> None:
    res = run(tmp_path, "pools", "sync")
    assert res.returncode == 1 and "arbbot devnet up" in res.stderr


def test_sync_killed_mid_discovery_resumes_from_its_checkpoint(devnet: tuple[Path, dict, str]) -> None:
    import signal
    import sqlite3
    import time

    from arbbot.testing.fault_proxy import FaultProxy, Faults

    cwd, manifest, url = devnet
    db_path = cwd / ".arbbot" / "arbbot.db"
    # A slow node and small ranges, so the process is still discovering when it is killed.
    with FaultProxy(url, Faults(delay_s=0.05, delay_count=10**6)) as proxy:
        env = {**os.environ, "COLUMNS": "200", "ARBBOT_RPC_URL": proxy.url, "ARBBOT_DISCOVERY_CHUNK_BLOCKS": "3"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "arbbot", "pools", "sync"], cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            checkpoint = None
            while time.monotonic() < deadline and checkpoint is None:
                if db_path.exists():
                    try:
                        with sqlite3.connect(db_path) as conn:
                            row = conn.execute("select block from checkpoints where name like 'discovery:%'").fetchone()
                        checkpoint = row[0] if row else None
                    except sqlite3.OperationalError:
                        pass  # schema not created yet
                time.sleep(0.02)
            assert checkpoint is not None, "no checkpoint written within 60 s"
            proc.send_signal(signal.SIGKILL)  # no chance to clean up
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    with sqlite3.connect(db_path) as conn:
        checkpoints = conn.execute("select name, block from checkpoints").fetchall()
        rows = conn.execute("select created_block from pools").fetchall()
    head = int(manifest["block_number"])
    assert checkpoints and all(block < head for _, block in checkpoints)  # it really was interrupted
    assert len(rows) < len(manifest["pools"])
    resumed = run(cwd, "pools", "sync")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming discovery after block" in resumed.stdout
    assert f"{len(manifest['pools'])} pools discovered" in resumed.stdout
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*), count(distinct address) from pools").fetchone() == (
            len(manifest["pools"]),
            len(manifest["pools"]),
        )
