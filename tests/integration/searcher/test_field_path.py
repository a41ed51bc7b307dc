"""The path a newcomer takes with `arbbot run`: every bad input is one line naming what to set (no
traceback), chains are recognised by id (presets, the replica also through a fork, retired testnets
refused), and a dry run on a fork follows the node's head with an executor placed in the fork only."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.chain.anvil import AnvilNode, is_anvil_pid, stop_pid

ROOT = Path(__file__).resolve().parents[3]


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    base["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "arbbot", *args], cwd=cwd, env={**base, **(env or {})}, text=True,
        capture_output=True, timeout=timeout,
    )  # fmt: skip


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_node_urls_are_one_line_errors(tmp_path: Path) -> None:
    _one_line_error(_run(tmp_path, "run", "--rpc-url", "127.0.0.1:8545"), "--rpc-url", "has no scheme")
    _one_line_error(_run(tmp_path, "run", "--rpc-url", "http://127.0.0.1:99999"), "invalid port (1..65535)")
    _one_line_error(_run(tmp_path, "run", "--rpc-url", "ftp://127.0.0.1:1"), "scheme 'ftp'")
    closed = f"http://127.0.0.1:{_free_port()}"
    _one_line_error(_run(tmp_path, "run", "--rpc-url", closed), "cannot read the chain id")
    # A key in the URL's path is never echoed.
    secret = "http://127.0.0.1:99999/v2/SECRETKEY123"
    proc = _run(tmp_path, "run", "--rpc-url", secret)
    _one_line_error(proc, "invalid port")
    assert "SECRETKEY123" not in proc.stderr + proc.stdout
    _one_line_error(_run(tmp_path, "run"), "rpc_url: not set and no replica running")
    _one_line_error(_run(tmp_path, "run", "--fork-url", closed, "--live"), "--fork-url is a dry run")


def test_metrics_port_and_unknown_variables(tmp_path: Path) -> None:
    _one_line_error(_run(tmp_path, "run", "--metrics-port", "70000"), "--metrics-port: 70000 is out of range")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_line_error(_run(tmp_path, "run", "--metrics-port", str(port)), f"--metrics-port: {port} is in use")
    proc = _run(tmp_path, "run", "--rpc-url", "nope", env={"ARBBOT_SERCHER__MAX_HOPS": "4", "ARBBOT_NETWROK": "x"})
    assert "unknown environment variables ARBBOT_NETWROK, ARBBOT_SERCHER__MAX_HOPS" in proc.stderr
    _one_line_error(proc, "--rpc-url")


def test_chains_by_id_retired_unknown_and_mismatched(tmp_path: Path) -> None:
    nodes = {cid: AnvilNode(chain_id=cid).start() for cid in (17000, 560048, 424242)}
    try:
        _one_line_error(_run(tmp_path, "run", "--rpc-url", nodes[17000].url), "chain id 17000", "'holesky' is retired",
                        "hoodi (chain id 560048)", "sepolia (chain id 11155111)")  # fmt: skip
        _one_line_error(_run(tmp_path, "run", "--rpc-url", nodes[560048].url),
                        "venues: hoodi (chain id 560048) has no preset venues", "[[venues]]")  # fmt: skip
        _one_line_error(_run(tmp_path, "run", "--rpc-url", nodes[424242].url),
                        "venues: chain 424242 (chain id 424242) has no preset venues")  # fmt: skip
        cfg = tmp_path / "arbbot.toml"
        cfg.write_text('network = "mainnet"\n')
        _one_line_error(_run(tmp_path, "run", "--rpc-url", nodes[424242].url),
                        "network: the config says 'mainnet' (chain id 1)", "answers chain id 424242")  # fmt: skip
        # Venues configured, but WETH unknown on this chain: the base token must be named by address.
        cfg.write_text(
            '[[venues]]\nname = "v2"\nkind = "uniswap_v2"\nfactory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"\n'
        )
        _one_line_error(_run(tmp_path, "run", "--rpc-url", nodes[560048].url),
                        "searcher.base_tokens: 'WETH' is not a known token on hoodi", "give its address")  # fmt: skip
        cfg.write_text(cfg.read_text() + '[searcher]\nbase_tokens = ["0x' + "12" * 20 + '"]\n')
        _one_line_error(_run(tmp_path, "run", "--rpc-url", nodes[560048].url),
                        "searcher.base_tokens (0x" + "12" * 20, "no contract at")  # fmt: skip
    finally:
        for node in nodes.values():
            node.stop()


@pytest.fixture
def replica_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """`arbbot devnet up` in a directory of its own; the searchers run from other, empty directories."""
    home = tmp_path / "devnet"
    home.mkdir()
    up = _run(home, "devnet", "up")
    assert up.returncode == 0, up.stderr
    rec = json.loads((home / ".arbbot" / "devnet.json").read_text())
    try:
        yield home, rec["url"]
    finally:
        if is_anvil_pid(rec["pid"]):
            stop_pid(rec["pid"])


def _found_by_block(log: str) -> dict[int, list[tuple[str, str]]]:
    """Per block: the (amount_in, gross) of every cycle the searcher found on it, in order."""
    out: dict[int, list[tuple[str, str]]] = {}
    block = -1
    for line in log.splitlines():
        try:
            msg = str(json.loads(line).get("msg", ""))
        except ValueError:
            continue
        m = re.match(r"block (\d+): found", msg)
        if m:
            block = int(m.group(1))
            out.setdefault(block, [])
            continue
        m = re.match(r"found \{'kind': 'cycle'.*'amount_in': (\d+), 'gross': (\d+)", msg)
        if m:
            out.setdefault(block, []).append((m.group(1), m.group(2)))
    return out


@pytest.mark.replica
def test_fork_follow_dry_run_without_an_executor_sees_every_block(
    replica_dir: tuple[Path, str], tmp_path: Path
) -> None:
    """Two dry runs with no config file and no executor: one on a fork of the node (`--fork-url`), one
    straight at it (`--rpc-url`). Traffic mines blocks; both process every block and find the same
    opportunities, simulated through the executor placed in the fork."""
    home, url = replica_dir
    blocks = 6  # traffic rounds; the users' funding comes first, in one block
    runs = {}
    procs = {}
    dropped: dict[str, list[str]] = {}
    for mode in ("--fork-url", "--rpc-url"):
        cwd = tmp_path / mode.strip("-")
        cwd.mkdir()
        procs[mode] = subprocess.Popen(
            [sys.executable, "-m", "arbbot", "--log-json", "run", mode, url, "--max-blocks", str(blocks + 1)],
            cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}, "COLUMNS": "200"},
        )  # fmt: skip
    # Both must be watching before the first traffic block: their banners say so.
    banners: dict[str, list[str]] = {m: [] for m in procs}

    def read_banner(mode: str) -> None:
        proc = procs[mode]
        assert proc.stdout is not None
        for line in proc.stdout:
            banners[mode].append(line)
            if "searcher on" in line:
                return

    readers = [threading.Thread(target=read_banner, args=(m,)) for m in procs]
    for t in readers:
        t.start()
    for t in readers:
        t.join(timeout=300)
    try:
        for mode in procs:
            assert any("searcher on replica" in b for b in banners[mode]), banners[mode]
            assert any("placed in the fork" in b for b in banners[mode]), banners[mode]
        traffic = _run(home, "devnet", "traffic", "--blocks", str(blocks), "--swaps-per-block", "1",
                       "--interval", "2", timeout=600)  # fmt: skip
        assert traffic.returncode == 0, traffic.stderr
        for mode, proc in procs.items():
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            counters = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split())
            runs[mode] = (counters, _found_by_block(err))
            dropped[mode] = [line for line in err.splitlines() if "dropped {'kind': 'cycle'" in line]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for mode, (counters, _found) in runs.items():
        assert int(counters["blocks_processed"]) == blocks + 1, mode
        assert int(counters["sent"]) == 0
        assert int(counters["simulated"]) >= 1, mode  # the placed executor ran real simulations
        # Cycles simulate cleanly through the placed executor (pending users' funding transactions that
        # depend on each other can fail as backrun victims; they are not what this is about).
        assert dropped[mode] == [], dropped[mode]
    assert runs["--fork-url"][1] == runs["--rpc-url"][1]
    assert sum(len(v) for v in runs["--fork-url"][1].values()) >= 1
