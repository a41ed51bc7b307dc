"""The ape scripts (deploy, callers, fund, withdraw) run with `ape run … --network` against the replica."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from arbbot.chain.anvil import AnvilNode, dev_key
from tests.conftest import Replica

ROOT = Path(__file__).resolve().parents[2]
APE = ROOT / ".venv" / "bin" / "ape"
# The replica's first dev account (from anvil's public dev mnemonic; funded on the replica).
DEV_KEY = dev_key(0)
OTHER = Web3.to_checksum_address("0x00000000000000000000000000000000000b0b00")
BALANCE_ABI = [
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "who", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
]  # fmt: skip
EXECUTOR_ABI = [
    {"type": "function", "name": "owner", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
    {"type": "function", "name": "pendingOwner", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
    {"type": "function", "name": "guardian", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
    {"type": "function", "name": "paused", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "maxBuilderShareBps", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "isCaller", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "bool"}]},
]  # fmt: skip


def _ape(r: Replica, *args: str, key: str | None = DEV_KEY, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    if key is not None:
        env["ARBBOT_PRIVATE_KEY"] = key
    cmd = [str(APE), "run", *args, "--network", f"ethereum:replica:{r.url}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _ape_alias(r: Replica, alias: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    env["ARBBOT_APE_ACCOUNT"] = alias
    cmd = [
        str(APE),
        "run",
        "deploy",
        "--weth",
        r.manifest.token("WETH").address,
        "--network",
        f"ethereum:replica:{r.url}",
    ]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.replica
def test_deploy_callers_fund_withdraw(replica: Replica, tmp_path: Path) -> None:
    w3 = replica.w3
    weth = replica.manifest.token("WETH").address
    owner = w3.eth.account.from_key(DEV_KEY).address
    out = tmp_path / "deployment.json"

    res = _ape(replica, "deploy", "--weth", weth, "--out", str(out))
    assert DEV_KEY[2:] not in res.stdout + res.stderr  # the key is never echoed
    doc = json.loads(out.read_text())
    executor = w3.eth.contract(address=doc["address"], abi=EXECUTOR_ABI)
    assert w3.eth.get_code(executor.address) != b""
    assert executor.functions.owner().call() == owner == doc["owner"]
    assert executor.functions.maxBuilderShareBps().call() == 9_000 == doc["max_builder_share_bps"]

    _ape(replica, "callers", "--executor", executor.address, "--add", OTHER)
    assert executor.functions.isCaller(OTHER).call() is True
    _ape(replica, "callers", "--executor", executor.address, "--remove", OTHER)
    assert executor.functions.isCaller(OTHER).call() is False

    token = w3.eth.contract(address=weth, abi=BALANCE_ABI)
    amount = 3 * 10**18 + 7
    before = token.functions.balanceOf(owner).call()
    _ape(replica, "fund", "--executor", executor.address, "--token", weth, "--amount", str(amount), "--wrap")
    assert token.functions.balanceOf(executor.address).call() == amount
    assert token.functions.balanceOf(owner).call() == before  # wrapped exactly what it sent

    _ape(replica, "withdraw", "--executor", executor.address, "--token", weth, "--amount", "7", "--to", OTHER)
    assert token.functions.balanceOf(OTHER).call() == 7
    _ape(replica, "withdraw", "--executor", executor.address, "--token", weth)
    assert token.functions.balanceOf(executor.address).call() == 0
    assert token.functions.balanceOf(owner).call() == before + 3 * 10**18


@pytest.mark.replica
def test_scripts_refuse_bad_input(replica: Replica) -> None:
    no_key = _ape(replica, "deploy", "--weth", replica.manifest.token("WETH").address, key=None, check=False)
    assert no_key.returncode != 0
    assert "ARBBOT_PRIVATE_KEY" in no_key.stdout + no_key.stderr

    bad_key = _ape(replica, "deploy", "--weth", replica.manifest.token("WETH").address, key="0x1234", check=False)
    assert bad_key.returncode != 0
    assert "not a 32-byte hex private key" in bad_key.stdout + bad_key.stderr
    assert "1234" not in bad_key.stdout + bad_key.stderr

    env_alias = _ape_alias(replica, "ghost")
    assert (
        env_alias.returncode != 0
        and "ARBBOT_APE_ACCOUNT: no ape account 'ghost'" in env_alias.stdout + env_alias.stderr
    )
    assert "Traceback" not in env_alias.stderr

    no_weth = _ape(replica, "deploy", check=False)
    assert no_weth.returncode != 0
    assert "--weth is required on chain 31337" in no_weth.stdout + no_weth.stderr

    bad_addr = _ape(replica, "callers", "--executor", "0xnope", "--add", OTHER, check=False)
    assert bad_addr.returncode != 0
    assert "not an address: '0xnope'" in bad_addr.stdout + bad_addr.stderr


@pytest.mark.replica
def test_admin_pause_cap_guardian_revoke_and_ownership(replica: Replica, tmp_path: Path) -> None:
    w3 = replica.w3
    out = tmp_path / "deployment.json"
    _ape(replica, "deploy", "--weth", replica.manifest.token("WETH").address, "--max-builder-share-bps", "5000",
         "--out", str(out))  # fmt: skip
    executor = w3.eth.contract(address=json.loads(out.read_text())["address"], abi=EXECUTOR_ABI)
    assert executor.functions.maxBuilderShareBps().call() == 5_000
    addr = executor.address
    guardian_key = dev_key(2)
    guardian = w3.eth.account.from_key(guardian_key).address

    _ape(replica, "callers", "--executor", addr, "--add", OTHER)
    _ape(replica, "admin", "--executor", addr, "--max-builder-share-bps", "7000", "--guardian", guardian)
    assert executor.functions.maxBuilderShareBps().call() == 7_000
    assert executor.functions.guardian().call() == guardian

    _ape(replica, "admin", "--executor", addr, "--pause", key=guardian_key)  # the guardian can pause ...
    assert executor.functions.paused().call() is True
    refused = _ape(replica, "admin", "--executor", addr, "--unpause", key=guardian_key, check=False)
    assert refused.returncode != 0 and executor.functions.paused().call() is True  # ... but not unpause
    _ape(replica, "admin", "--executor", addr, "--unpause", "--revoke-all-callers")
    assert executor.functions.paused().call() is False
    assert executor.functions.isCaller(OTHER).call() is False

    new_key = dev_key(3)
    new_owner = w3.eth.account.from_key(new_key).address
    _ape(replica, "admin", "--executor", addr, "--transfer-ownership", new_owner)
    assert executor.functions.pendingOwner().call() == new_owner
    assert executor.functions.owner().call() != new_owner
    _ape(replica, "admin", "--executor", addr, "--accept-ownership", key=new_key)
    assert executor.functions.owner().call() == new_owner

    nothing = _ape(replica, "admin", "--executor", addr, check=False)
    assert nothing.returncode != 0 and "nothing to do" in nothing.stdout + nothing.stderr


def _ape_url(url: str, network: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    env["ARBBOT_PRIVATE_KEY"] = DEV_KEY
    cmd = [str(APE), "run", *args, "--network", f"ethereum:{network}:{url}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_testnets_sepolia_and_hoodi_deploy_and_holesky_is_refused(tmp_path: Path) -> None:
    """Nodes that present each testnet's chain id: Sepolia's canonical WETH is the default, Hoodi (declared
    as a custom network) needs --weth, and Holesky is refused naming its replacements."""
    sepolia_weth = "0xfFf9976782d46CC05630D1f6eBAb18b2324d6B14"
    weth_abi = [{"type": "function", "name": "weth", "stateMutability": "view", "inputs": [],
                 "outputs": [{"name": "", "type": "address"}]}]  # fmt: skip
    # Interval mining: ape waits for confirmations on these networks, as it would on the real ones.
    nodes = [AnvilNode(chain_id=cid, block_time=1).start() for cid in (11155111, 560048, 17000)]
    try:
        sepolia, hoodi, holesky = nodes
        out = tmp_path / "sepolia.json"
        _ape_url(sepolia.url, "sepolia", "deploy", "--out", str(out))
        doc = json.loads(out.read_text())
        w3 = Web3(Web3.HTTPProvider(sepolia.url))
        assert doc["chain_id"] == 11155111 and doc["weth"] == sepolia_weth
        assert w3.eth.contract(address=doc["address"], abi=weth_abi).functions.weth().call() == sepolia_weth

        refused = _ape_url(hoodi.url, "hoodi", "deploy", check=False)
        assert refused.returncode != 0
        assert (
            "--weth is required on hoodi (chain id 560048): it has no canonical WETH" in refused.stdout + refused.stderr
        )
        weth = "0x" + "77" * 20
        out = tmp_path / "hoodi.json"
        _ape_url(hoodi.url, "hoodi", "deploy", "--weth", weth, "--out", str(out))
        doc = json.loads(out.read_text())
        assert doc["chain_id"] == 560048 and doc["weth"].lower() == weth
        assert Web3(Web3.HTTPProvider(hoodi.url)).eth.get_code(doc["address"]) != b""

        gone = _ape_url(holesky.url, "holesky", "deploy", "--weth", weth, check=False)
        text = gone.stdout + gone.stderr
        assert gone.returncode != 0
        assert "'holesky' is retired" in text and "hoodi (chain id 560048)" in text and "sepolia" in text
        assert (
            Web3(Web3.HTTPProvider(holesky.url)).eth.get_transaction_count(w3.eth.account.from_key(DEV_KEY).address)
            == 0
        )
    finally:
        for node in nodes:
            node.stop()
