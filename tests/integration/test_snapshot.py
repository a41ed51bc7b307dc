"""Loading the cached snapshot gives exactly the state a build from scratch gives."""

from __future__ import annotations

import gzip
import json

import pytest

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.devnet import snapshot

pytestmark = pytest.mark.replica  # every test here starts a replica


def _accounts(state: dict) -> dict:
    return {addr.lower(): acct for addr, acct in state["accounts"].items()}


def _dump(url: str) -> dict:
    return json.loads(gzip.decompress(bytes.fromhex(str(rpc(url, "anvil_dumpState"))[2:])))


def test_snapshot_load_equals_fresh_build(tmp_path) -> None:
    snap = snapshot.ensure("default")
    manifest, built = snapshot.build_state("default", log_path=tmp_path / "build.log")
    # Same inputs, same chain: the build is reproducible to every storage slot.
    assert manifest == snap.manifest
    with AnvilNode(load_state=snap.state_path, log_path=tmp_path / "load.log") as node:
        loaded = _dump(node.url)
        assert int(str(rpc(node.url, "eth_blockNumber")), 16) == manifest.block_number
    built_accounts, loaded_accounts = _accounts(built), _accounts(loaded)
    assert built_accounts.keys() == loaded_accounts.keys()
    for addr, acct in built_accounts.items():
        assert loaded_accounts[addr] == acct, addr
    assert len(built_accounts) > 30


def test_snapshot_is_reused_not_rebuilt() -> None:
    first = snapshot.ensure("default")
    mtime = first.state_path.stat().st_mtime_ns
    second = snapshot.ensure("default")
    assert second == first
    assert second.state_path.stat().st_mtime_ns == mtime


def test_snapshot_key_changes_with_the_scenario_text() -> None:
    assert snapshot.snapshot_key(b"seed = 1") != snapshot.snapshot_key(b"seed = 2")
