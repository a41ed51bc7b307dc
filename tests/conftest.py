"""Shared fixtures: one replica node per test session, each test isolated by evm_snapshot/evm_revert."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.devnet import snapshot
from arbbot.devnet.manifest import Manifest


@dataclass
class Replica:
    node: AnvilNode
    manifest: Manifest
    w3: Web3

    @property
    def url(self) -> str:
        return self.node.url


@pytest.fixture(scope="session")
def replica_session() -> Iterator[Replica]:
    node, manifest = snapshot.start("default")
    try:
        yield Replica(node, manifest, Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30})))
    finally:
        node.stop()


@pytest.fixture
def replica(replica_session: Replica) -> Iterator[Replica]:
    """The session replica, rolled back after the test so tests never see each other's changes."""
    snap_id = rpc(replica_session.url, "evm_snapshot")
    try:
        yield replica_session
    finally:
        rpc(replica_session.url, "evm_revert", [snap_id])
