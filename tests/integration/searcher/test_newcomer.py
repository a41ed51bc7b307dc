"""A newcomer's whole path on the replica standing in for mainnet, through the commands only (what the
README tells them to run): a dry run on a fork with no executor deployed, a deployment with ape and a hot
key approved as caller, a live run against `arbbot builder serve` (the local builder, a test double of a
real builder, producing blocks and losing some auctions) while `arbbot devnet traffic` trades, then
`arbbot report` and `arbbot audit`, which must agree with the balances on chain to the wei."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import dev_key
from arbbot.devnet.manifest import Manifest
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE
from tests.integration.searcher.test_field_path import _run, replica_dir  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[3]
APE = ROOT / ".venv" / "bin" / "ape"
OWNER_KEY = dev_key(0)
HOT_KEY = dev_key(1)  # the server's key: an approved caller, not the owner
ERC20_BALANCE = [
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "who", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
]  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    return {**base, "COLUMNS": "200", **extra}


def _start(cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "arbbot", *args], cwd=cwd, env=_env(**env), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_for_line(stream: IO[str], needle: str, seen: list[str], timeout: float = 300) -> str:
    """Read `stream` until a line holding `needle` (on a thread, bounded by `timeout`)."""
    found: list[str] = []

    def read() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.append(line)
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout)
    assert found, f"no line with {needle!r} within {timeout}s:\n{''.join(seen)}"
    return found[0]


def _ape(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(APE), "run", *args, "--network", f"ethereum:replica:{url}"], cwd=ROOT,
        env=_env(ARBBOT_PRIVATE_KEY=OWNER_KEY), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, f"ape {args[0]}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.replica
def test_a_newcomer_dry_runs_deploys_goes_live_and_reconciles(
    replica_dir: tuple[Path, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    home, url = replica_dir
    manifest = Manifest.read(Path(json.loads((home / ".arbbot" / "devnet.json").read_text())["manifest_path"]))
    w3 = Web3(HTTPProvider(url))
    weth = w3.eth.contract(address=manifest.token("WETH").address, abi=ERC20_BALANCE)

    # 1. A dry run on a fork that follows the node, no config, no executor: simulated through one placed
    #    in the fork; the traffic's funding and first round are blocks it must see.
    dry_dir = tmp_path / "dry"
    dry_dir.mkdir()
    dry = _start(dry_dir, "run", "--fork-url", url, "--max-blocks", "2")
    banner: list[str] = []
    try:
        assert dry.stdout is not None
        _wait_for_line(dry.stdout, "searcher on replica", banner)
        assert any("placed in the fork" in line for line in banner), banner
        traffic = _run(home, "devnet", "traffic", "--blocks", "1", "--swaps-per-block", "1", "--interval", "0",
                       timeout=600)  # fmt: skip
        assert traffic.returncode == 0, traffic.stderr
        out, err = dry.communicate(timeout=300)
    finally:
        if dry.poll() is None:
            dry.kill()
            dry.wait()
    assert dry.returncode == 0, err
    counters = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split())
    assert int(counters["blocks_processed"]) == 2 and int(counters["sent"]) == 0

    # 2. Deploy with ape (the owner's key), approve the hot key as a caller.
    deployment = tmp_path / "deployment.json"
    _ape(url, "deploy", "--weth", weth.address, "--out", str(deployment))
    executor = json.loads(deployment.read_text())["address"]
    hot = w3.eth.account.from_key(HOT_KEY).address
    _ape(url, "callers", "--executor", executor, "--add", hot)

    # 3. The local builder produces the blocks (every 2 s; every 3rd bundle loses its auction).
    builder = _start(home, "builder", "serve", "--block-time", "2", "--miss-every", "3")
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    live: subprocess.Popen[str] | None = None
    try:
        assert builder.stdout is not None
        line = _wait_for_line(builder.stdout, "local builder on", [], timeout=120)
        builder_url = line.split(" on ")[1].split()[0]
        (live_dir / "arbbot.toml").write_text(
            f'rpc_url = "{url}"\n[searcher]\nexecutor = "{executor}"\nblocks_ahead = 1\n'
            f'builders = [{{ name = "local", url = "{builder_url}", coinbase = "{LOCAL_BUILDER_COINBASE}" }}]\n'
        )

        def wealth() -> int:
            """What the owner's side holds in ETH terms: the executor's WETH and ETH, and the hot key's ETH
            (it pays the gas; the builder's share is paid from the trade)."""
            return (weth.functions.balanceOf(executor).call() + w3.eth.get_balance(executor)
                    + w3.eth.get_balance(hot))  # fmt: skip

        before = wealth()
        first_block = w3.eth.block_number + 1
        # 4. Live, with traffic trading.
        live = _start(live_dir, "run", "--live", "--max-blocks", "20", ARBBOT_SEARCHER_KEY=HOT_KEY)
        assert live.stdout is not None
        seen: list[str] = []
        _wait_for_line(live.stdout, "searcher on replica", seen)
        status = _run(live_dir, "status")  # from another shell: what the running searcher is doing
        assert status.returncode == 0, status.stderr
        assert "running, live on replica" in status.stdout and f"(chain id 31337), pid {live.pid}" in status.stdout
        assert executor in status.stdout, status.stdout  # whole, never cut
        traffic = _run(home, "devnet", "traffic", "--blocks", "8", "--swaps-per-block", "2", "--interval", "2",
                       "--seed", "7", timeout=900)  # fmt: skip
        assert traffic.returncode == 0, traffic.stderr
        out, err = live.communicate(timeout=600)
        assert live.returncode == 0, err
        assert HOT_KEY[2:] not in out + err  # the key is never printed
        counters = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split())
    finally:
        if live is not None and live.poll() is None:
            live.kill()
            live.wait()
        _, b_err = _stop(builder)
    assert builder.returncode == 130, b_err  # Ctrl-C: stopped cleanly
    after = wealth()
    last_block = w3.eth.block_number
    status = _run(live_dir, "status")  # stopped: exit 3, its last figures kept
    assert status.returncode == 3 and "stopped, live on replica" in status.stdout, status.stdout
    assert f"sent {counters['sent']}  landed {counters['landed']}  missed {counters['missed']}" in status.stdout

    # 5. The report: bundles per builder, landed and missed with reasons, simulated vs realized.
    report = _run(live_dir, "report", "--format", "json")
    assert report.returncode == 0, report.stderr
    doc = json.loads(report.stdout)
    local = doc["summary"]["builders"]["local"]
    assert int(counters["sent"]) >= 3, (counters, err[-3000:])
    # The report counts bundles; the counters count trades (several may share a bundle) and bundles.
    assert local["sent"] == int(counters["bundles_sent"]) and local["landed"] == int(counters["bundles_landed"])
    assert local["landed"] >= 1 and local["preflight_ok"] >= local["sent"]
    # The run waited for what it had sent: every bundle landed or missed before it exited.
    assert int(counters["sent"]) == int(counters["landed"]) + int(counters["missed"]), counters
    not_landed = doc["bundles_not_landed"]
    missed = [b for b in not_landed if b["status"] == "missed"]
    assert len(missed) == int(counters["bundles_missed"]) >= 1  # lost auctions, superseded bundles
    assert all(b["miss_reason"] for b in missed), missed
    # The rest were refused by every builder (a preflight that failed there).
    assert {b["status"] for b in not_landed} <= {"missed", "rejected"}, not_landed
    landed_rows = [t for t in doc["trades"] if t["status"] == "success"]
    assert len(landed_rows) == int(counters["landed"])
    for t in landed_rows:  # simulated vs realized, per trade
        assert t["simulated_profit_wei"] is not None and t["simulated_diff_wei"] is not None

    # 6. The audit of every trade of the executor agrees with the balances, to the wei.
    audit = _run(live_dir, "audit", "--executor", executor, "--from-block", str(first_block),
                 "--to-block", str(last_block), "--json")  # fmt: skip
    assert audit.returncode == 0, audit.stderr
    trades = json.loads(audit.stdout)["trades"]
    assert len([t for t in trades if t["status"] == "success"]) == int(counters["landed"])  # trades, not bundles
    assert sum(int(t["net_pnl"]) for t in trades) == after - before
