"""A replica built for the exactness suites (tests/data/exactness.toml), shared per module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.devnet.manifest import Manifest

SCENARIO = str(Path(__file__).resolve().parents[2] / "data" / "exactness.toml")
SCENARIO_V4 = str(Path(__file__).resolve().parents[2] / "data" / "exactness_v4.toml")


@dataclass
class ExactReplica:
    node: AnvilNode
    manifest: Manifest
    w3: Web3
    rpc: RpcClient


@pytest.fixture(scope="module")
def exact_replica() -> Iterator[ExactReplica]:
    node, manifest = snapshot.start(SCENARIO)
    try:
        yield ExactReplica(
            node, manifest, Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30})), RpcClient(node.url)
        )
    finally:
        node.stop()


@pytest.fixture(scope="module")
def exact_replica_v4() -> Iterator[ExactReplica]:
    """V4 pools of every shape and PancakeSwap V3 pools (tests/data/exactness_v4.toml)."""
    node, manifest = snapshot.start(SCENARIO_V4)
    try:
        yield ExactReplica(
            node, manifest, Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30})), RpcClient(node.url)
        )
    finally:
        node.stop()


@pytest.fixture
def fresh_v4_state(exact_replica_v4: ExactReplica) -> Iterator[ExactReplica]:
    snap_id = rpc(exact_replica_v4.node.url, "evm_snapshot")
    try:
        yield exact_replica_v4
    finally:
        rpc(exact_replica_v4.node.url, "evm_revert", [snap_id])


@pytest.fixture
def fresh_state(exact_replica: ExactReplica) -> Iterator[ExactReplica]:
    """Tests that change chain state get it rolled back afterwards."""
    snap_id = rpc(exact_replica.node.url, "evm_snapshot")
    try:
        yield exact_replica
    finally:
        rpc(exact_replica.node.url, "evm_revert", [snap_id])
