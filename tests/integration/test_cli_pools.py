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
from arbbot.testing.fault_proxy import FaultProxy, Faults


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "arbbot", *args], cwd=cwd, env=full_env, capture_output=True, text=True
    )


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


@pytest.mark.replica
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
    faults = Faults()
    with FaultProxy(url, faults) as proxy:
        quoted = run(
            cwd, "pools", "quote", pool["address"], "2500000000", "--token-in", "USDC", "--raw",
            env={"ARBBOT_RPC_URL": proxy.url},
        )  # fmt: skip
    assert quoted.returncode == 0, quoted.stderr
    _only_identification(faults.seen_methods)  # the stored state is current
    assert "2500000000 USDC (raw) = 2,500 USDC -> " in quoted.stdout
    out = int(quoted.stdout.split("->")[1].split()[0])
    w3 = Web3(HTTPProvider(url))
    router = w3.eth.contract(
        address=manifest["venues"]["sushiswap"]["router"], abi=artifacts.load("UniswapV2Router02").abi
    )
    assert out == router.functions.getAmountsOut(2_500_000_000, [tokens["USDC"], tokens["WETH"]]).call()[-1]


@pytest.mark.replica
def test_bad_amount_and_unknown_pool_are_one_line_errors(devnet: tuple[Path, dict, str]) -> None:
    cwd, manifest, _ = devnet
    bad = run(cwd, "pools", "quote", manifest["pools"][0]["address"], "abc")
    assert bad.returncode == 1 and "amount must be a number, got 'abc'" in bad.stderr
    missing = run(cwd, "pools", "quote", "0x000000000000000000000000000000000000dEaD", "1")
    assert missing.returncode == 1 and "not found among" in missing.stderr
    usdc_pool = next(p for p in manifest["pools"] if p["kind"] == "uniswap_v2" and "USDC" in (p["token0"], p["token1"]))
    other = next(t for t in ("DAI", "WBTC") if t not in (usdc_pool["token0"], usdc_pool["token1"]))
    wrong = run(cwd, "pools", "quote", usdc_pool["address"], "1", "--token-in", other)
    assert wrong.returncode == 1 and f"--token-in: '{other}' is not a token of pool" in wrong.stderr
    too_fine = run(cwd, "pools", "quote", usdc_pool["address"], "1.0000001", "--token-in", "USDC")
    assert too_fine.returncode == 1
    assert too_fine.stderr == "error: amount: 1.0000001 has more than 6 decimals, the precision of USDC\n"
    zero = run(cwd, "pools", "quote", usdc_pool["address"], "0")
    assert zero.returncode == 1 and "amount must be positive, got '0'" in zero.stderr


def test_without_a_replica_or_config_it_says_what_to_do(tmp_path: Path) -> None:
    res = run(tmp_path, "pools", "sync")
    assert res.returncode == 1 and "arbbot devnet up" in res.stderr


@pytest.mark.replica
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


WETH_ABI = [
    {"type": "function", "name": "deposit", "stateMutability": "payable", "inputs": [], "outputs": []},
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "s", "type": "address"}, {"name": "a", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
]  # fmt: skip
PAIR_ABI = [
    {"type": "function", "name": "getReserves", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "r0", "type": "uint112"}, {"name": "r1", "type": "uint112"},
                 {"name": "t", "type": "uint32"}]},
]  # fmt: skip


def _swap_weth_for_usdc(url: str, manifest: dict, venue: str) -> None:
    """One user swap through the venue's Router02: it touches exactly that venue's WETH/USDC pair."""
    w3 = Web3(HTTPProvider(url))
    me = w3.eth.accounts[0]
    tokens = {t["symbol"]: Web3.to_checksum_address(t["address"]) for t in manifest["tokens"]}
    router_address = manifest["venues"][venue]["router"]
    weth = w3.eth.contract(address=tokens["WETH"], abi=WETH_ABI)
    weth.functions.deposit().transact({"from": me, "value": 10**18})
    weth.functions.approve(router_address, 2**256 - 1).transact({"from": me})
    router = w3.eth.contract(address=router_address, abi=artifacts.load("UniswapV2Router02").abi)
    path = [tokens["WETH"], tokens["USDC"]]
    tx = router.functions.swapExactTokensForTokens(10**18, 0, path, me, 2**32).transact({"from": me})
    assert w3.eth.get_transaction_receipt(tx)["status"] == 1


def _stored(cwd: Path) -> dict[str, tuple[int, dict]]:
    import sqlite3

    with sqlite3.connect(cwd / ".arbbot" / "arbbot.db") as conn:
        rows = conn.execute("select address, state_block, state from pools").fetchall()
    return {a: (b, json.loads(s)) for a, b, s in rows}


@pytest.mark.replica
def test_list_reads_stored_states_and_rereads_only_what_logs_touched(devnet: tuple[Path, dict, str]) -> None:
    cwd, manifest, url = devnet
    requests: list[dict] = []

    def record(request: dict, result: object) -> object:
        requests.append(request)
        return result

    faults = Faults(rewrite=record)
    with FaultProxy(url, faults) as proxy:
        env = {"ARBBOT_RPC_URL": proxy.url}
        first = run(cwd, "pools", "list", env=env)
        assert first.returncode == 0, first.stderr
        n_pools = len(manifest["pools"])
        assert f"{n_pools} pools; {n_pools} state(s) read from the node" in first.stdout
        assert faults.seen_methods.count("eth_getLogs") >= len(manifest["venues"])  # discovery ran

        faults.seen_methods.clear()
        second = run(cwd, "pools", "list", env=env)
        assert second.returncode == 0, second.stderr
        # Nothing new on chain: the head and the chain id, no discovery, no log scan, no state read.
        _only_identification(faults.seen_methods)
        assert f"0 state(s) read from the node, 0 unchanged since their stored block, {n_pools} stored" in second.stdout

        def table(out: str) -> str:
            return out.split("Pools at block")[1].split(f"\n{n_pools} pools;")[0]

        assert table(second.stdout) == table(first.stdout) and "WETH/USDC" in table(first.stdout)

        before = _stored(cwd)
        _swap_weth_for_usdc(url, manifest, "sushiswap")
        head = Web3(HTTPProvider(url)).eth.block_number
        faults.seen_methods.clear()
        requests.clear()
        third = run(cwd, "pools", "list", env=env)
        assert third.returncode == 0, third.stderr
        assert f"1 state(s) read from the node, {n_pools - 1} unchanged since their stored block" in third.stdout
        log_queries = [r["params"][0] for r in requests if r["method"] == "eth_getLogs"]
        discovery = [q for q in log_queries if isinstance(q["address"], str)]
        scans = [q for q in log_queries if isinstance(q["address"], list)]
        first_new = int(before[next(iter(before))][0]) + 1
        # Discovery covers only the new blocks; one log scan over every pool for the same blocks.
        assert len(discovery) == len(manifest["venues"])
        assert all(int(q["fromBlock"], 16) == first_new and int(q["toBlock"], 16) == head for q in discovery)
        assert len(scans) == 1 and len(scans[0]["address"]) == n_pools

        faults.seen_methods.clear()
        full = run(cwd, "pools", "sync", "--full", env=env)
        assert full.returncode == 0, full.stderr
        assert f"({n_pools} read from the node, 0 unchanged since their stored block)" in full.stdout
        assert "eth_getLogs" not in faults.seen_methods  # nothing new to discover, nothing to scan

    pair = next(
        p["address"]
        for p in manifest["pools"]
        if p["venue"] == "sushiswap" and {p["token0"], p["token1"]} == {"WETH", "USDC"}
    )
    after = _stored(cwd)
    chain = Web3(HTTPProvider(url)).eth.contract(address=pair, abi=PAIR_ABI).functions.getReserves().call()
    state_block, state = after[pair.lower()]
    assert state_block == head and (int(state["reserve0"]), int(state["reserve1"])) == tuple(chain[:2])
    assert state != before[pair.lower()][1]
    for address, (block, kept) in after.items():
        assert block == head  # untouched pools are vouched for at the head too, so the next run starts there
        if address != pair.lower():
            assert kept == before[address][1]


def _only_identification(methods: list[str]) -> None:
    """What a command reads when every stored state is current: the chain id and the head, plus the code
    of the replica's contracts (how a replica behind another URL, here the proxy, is recognised)."""
    assert methods.count("eth_chainId") == 1 and methods.count("eth_getBlockByNumber") == 1, methods
    assert set(methods) <= {"eth_chainId", "eth_getBlockByNumber", "eth_getCode"}, methods
