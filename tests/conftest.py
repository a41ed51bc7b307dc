"""Shared fixtures: one replica node per test session, each test isolated by evm_snapshot/evm_revert."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.devnet import snapshot
from arbbot.devnet.manifest import Manifest

# Fixtures that start a replica (anvil loaded with a scenario snapshot): a test using one, directly or
# through another fixture, is marked `replica` at collection, so `-m "not replica"` selects the rest.
REPLICA_FIXTURES = frozenset({
    "replica", "replica_session", "exact_replica", "exact_replica_v4", "fifo_replica", "replica_dir",
    "v4_session", "v4_replica", "v4_node",
})  # fmt: skip
_running: list[pytest.Item] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REPLICA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.replica)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _running[:] = [item]  # before any fixture of the item, session- and module-scoped ones included


def _marked_only(start: Callable[..., Any]) -> Callable[..., Any]:
    """A test that starts a replica in this process without the marker fails, naming itself: the marker
    stays true of every test as tests are added."""

    @functools.wraps(start)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        item = _running[0] if _running else None
        if item is not None and item.get_closest_marker("replica") is None:
            pytest.fail(f"{item.nodeid} starts a replica but is not marked `replica`", pytrace=False)
        return start(*args, **kwargs)

    return guarded


snapshot.start = _marked_only(snapshot.start)  # type: ignore[method-assign]
snapshot.ensure = _marked_only(snapshot.ensure)  # type: ignore[method-assign]


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
