"""The wheel works without the checkout: built from the package sources, installed with its declared
dependencies (pinned by requirements.lock, from the local package cache) into a fresh environment outside
the repository, and used from a directory outside it to sync pools from the replica, quote one exactly,
dry-run the searcher (the shipped executor placed in a fork) and audit a trade."""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3

from arbbot import compiled
from arbbot.devnet import artifacts
from arbbot.paths import cache_dir
from tests.conftest import Replica
from tests.integration.audit import trades
from tests.integration.searcher.harness import router_call

pytestmark = pytest.mark.replica

ROOT = Path(__file__).resolve().parents[2]
UV = cache_dir() / "tools" / "uv-0.13.9" / "bin" / "uv"


@dataclass
class Installed:
    venv: Path
    home: Path  # the working directory and cache of the installed package: outside the checkout

    def env(self) -> dict[str, str]:
        # Nothing points back at the checkout: no ARBBOT_ROOT, PYTHONPATH or the test's virtualenv.
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
        path = f"{self.venv / 'bin'}:{keep.get('PATH', '/usr/bin:/bin')}"
        return {**keep, "PATH": path, "COLUMNS": "200", "ARBBOT_CACHE_DIR": str(self.home / "cache")}

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "arbbot"), *args], cwd=self.home, env=self.env(), capture_output=True,
            text=True, timeout=timeout,
        )  # fmt: skip


def _package_sources(dest: Path) -> None:
    """The files the wheel is built from (the build writes into its source tree, so never the checkout)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "arbbot", "pyproject.toml",
         "README.md"], cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    assert UV.is_file(), f"uv missing at {UV}: run `make setup`"
    base = tmp_path_factory.mktemp("wheel")
    assert not base.is_relative_to(ROOT)
    src, dist, venv, home = base / "src", base / "dist", base / "venv", base / "home"
    for d in (src, dist, home / "cache"):
        d.mkdir(parents=True)
    _package_sources(src)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "ARBBOT_ROOT")}

    def uv(*args: str, venv_env: bool = False) -> None:
        e = {**env, "VIRTUAL_ENV": str(venv)} if venv_env else env
        proc = subprocess.run([str(UV), *args], cwd=base, env=e, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"uv {' '.join(args)}: {proc.stderr[-2000:]}"

    # Offline: `make setup` installs arbbot editable with the same build backend, so uv's cache holds it.
    uv("build", "--wheel", "--offline", "--quiet", "--python", sys.executable, "-o", str(dist), str(src))
    (wheel,) = dist.glob("arbbot-*.whl")
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    # The wheel's declared dependencies, at the versions the lock pins.
    uv("pip", "install", "--offline", "--quiet", "-c", str(ROOT / "requirements.lock"), str(wheel), venv_env=True)
    yield Installed(venv, home)


def test_installed_package_is_the_wheels(installed: Installed) -> None:
    code = (
        "import arbbot, arbbot.compiled as c, hashlib; print(arbbot.__file__); "
        "print(','.join(sorted(c.readers()))); print(c.executor().bytecode[-64:]); "
        "print(hashlib.sha256(c.ARB_EXECUTOR_IDL.read_bytes()).hexdigest())"
    )
    proc = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", code], cwd=installed.home, env=installed.env(),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    where, readers, executor_tail, idl = proc.stdout.split()
    assert Path(where).is_relative_to(installed.venv) and not Path(where).is_relative_to(ROOT)
    # The shipped build data, the same as the checkout's sources give (the checkout's own test proves that).
    assert readers.split(",") == sorted(p.stem for p in (ROOT / "contracts" / "src" / "lens").glob("*Reader.sol"))
    assert executor_tail == compiled.executor().bytecode[-64:]
    assert (
        idl
        == hashlib.sha256((ROOT / "programs" / "arb-executor" / "idl" / "arb_executor.json").read_bytes()).hexdigest()
    )
    # Dev-only parts say what they need, in one line, without a traceback (and before the demo's panel).
    for command in (["devnet", "build"], ["devnet", "up"], ["demo", "--no-solana"]):
        done = installed.run(*command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "needs the arbbot source checkout" in lines[0], (command, done.stderr)
        assert "opportunities" not in done.stdout


def test_sync_quote_simulate_and_audit_from_the_wheel(installed: Installed, replica: Replica) -> None:
    w3, m, url = replica.w3, replica.manifest, replica.url
    # The replica's manifest, handed to the installed package the way a snapshot lies in its cache.
    manifest_dir = installed.home / "cache" / "replica" / f"{m.scenario}-{m.snapshot_key}"
    manifest_dir.mkdir(parents=True, exist_ok=True)
    m.write(manifest_dir / "manifest.json")

    synced = installed.run("pools", "sync", "--full", "--rpc-url", url)
    assert synced.returncode == 0, synced.stderr
    v2 = sum(p.kind == "uniswap_v2" for p in m.pools)
    assert f"{len(m.pools)} pools discovered, {v2} V2 + " in synced.stdout, synced.stdout

    # Quote: the exact model of the installed package against the pool contract itself (QuoterV2 eth_call).
    pool = next(p for p in m.pools if p.venue == "uniswap_v3" and {p.token0, p.token1} == {"WETH", "USDC"})
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    amount = 3 * 10**18
    quoted = installed.run("pools", "quote", pool.address, str(amount), "--raw", "--token-in", weth, "--rpc-url", url)
    assert quoted.returncode == 0, quoted.stderr
    quoter = w3.eth.contract(address=m.contracts["QuoterV2"], abi=artifacts.load("QuoterV2").abi)
    expected = quoter.functions.quoteExactInputSingle((weth, usdc, amount, pool.fee, 0)).call()[0]
    assert f"-> {expected} " in quoted.stdout, (expected, quoted.stdout)

    # Audit: a real executor trade, audited by the installed package; its profit is the executor's WETH
    # balance change, read from the chain here.
    executor = trades.deploy(replica)
    route, _profit = trades.profitable_route(replica)
    sent = trades.send(replica, executor, route, _profit)
    block = sent.receipt["blockNumber"]
    gained = trades.weth_balance(replica, executor.address, block) - trades.weth_balance(
        replica, executor.address, block - 1
    )
    assert gained > 0
    audited = installed.run("audit", sent.tx_hash, "--executor", executor.address, "--no-store", "--json",
                            "--rpc-url", url)  # fmt: skip
    assert audited.returncode == 0, audited.stderr
    doc = json.loads(audited.stdout)
    assert doc["problems"] == [] and len(doc["trades"]) == 1
    trade = doc["trades"][0]
    assert trade["status"] == "success" and int(trade["profit_eth"]) == gained
    assert Web3.to_checksum_address(trade["executor"]) == executor.address

    # Simulate: a dry run on a fork of the replica, the shipped executor placed in the fork; two blocks,
    # each with a fresh dislocation. Nothing is sent.
    env = installed.env()
    proc = subprocess.Popen(
        [str(installed.venv / "bin" / "arbbot"), "run", "--dry-run", "--fork-url", url, "--max-blocks", "2"],
        cwd=installed.home, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for_line(proc, "searcher on")
        for _ in range(2):
            tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 200 * 10**18))
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        out, err = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    counters = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split())
    assert int(counters["blocks_processed"]) == 2
    assert int(counters["simulated"]) >= 1 and int(counters["sent"]) == 0, counters


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 120.0) -> str:
    assert proc.stderr is not None and proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout, proc.stderr], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        for stream in ready:
            line = stream.readline()
            seen.append(line)
            if needle in line:
                return line
        if proc.poll() is not None:
            break
    raise AssertionError(f"{needle!r} not printed; got {seen!r}")
