"""Build the replica once, keep its state dump, and start later nodes from that dump in seconds."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.devnet import compiler, scenario
from arbbot.devnet.manifest import Manifest
from arbbot.devnet.replica import GENESIS_TIMESTAMP, build_replica
from arbbot.errors import DevnetError
from arbbot.paths import cache_dir, project_root
from arbbot.progress import LogProgress, Progress

# Bump when the build procedure changes in a way the inputs below do not capture.
BUILD_VERSION = "2"
# anvil serialises and gzips its whole state for anvil_dumpState: ~200 MB for the 5,503-pool replica,
# which takes well over 10 s on a loaded 2-core machine. The wait scales with what was built.
DUMP_TIMEOUT_BASE_S, DUMP_TIMEOUT_PER_POOL_S = 60.0, 0.05


@dataclass(frozen=True)
class Snapshot:
    """A built replica on disk: its cache key, anvil's state dump and the manifest (written last, so its presence means
    the snapshot is complete).
    """

    key: str
    state_path: Path
    manifest_path: Path

    @property
    def manifest(self) -> Manifest:
        """The snapshot's manifest, read from disk."""
        return Manifest.read(self.manifest_path)


def snapshot_key(scenario_bytes: bytes) -> str:
    """The cache key of a replica build: a digest of the build version, the scenario file's bytes, the npm lock file,
    the contract sources and this package's code, so any change to an input builds a new snapshot.
    """
    h = hashlib.sha256(BUILD_VERSION.encode())
    h.update(scenario_bytes)
    lock = project_root() / "package-lock.json"
    if lock.is_file():
        h.update(lock.read_bytes())
    h.update(compiler.sources_digest().encode())
    # Any change to the build code (this package) makes a new snapshot.
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.name.encode() + src.read_bytes())
    return h.hexdigest()[:16]


def build_node(log_path: Path | None = None) -> AnvilNode:
    """A fresh node set up for a reproducible build (fixed genesis time, 1 s blocks)."""
    return AnvilNode(log_path=log_path, extra_args=["--timestamp", str(GENESIS_TIMESTAMP)])


def build_state(
    name_or_path: str, progress: Progress | None = None, log_path: Path | None = None
) -> tuple[Manifest, dict[str, object]]:
    """Build the scenario on a fresh node; return its manifest and the node's full state dump."""
    sc, raw = scenario.load(name_or_path)
    key = snapshot_key(raw)
    with build_node(log_path) as node:
        rpc(node.url, "anvil_setBlockTimestampInterval", [1])
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        manifest = build_replica(w3, sc, key, progress)
        timeout = DUMP_TIMEOUT_BASE_S + DUMP_TIMEOUT_PER_POOL_S * len(manifest.pools)
        dumped = rpc(node.url, "anvil_dumpState", timeout=timeout)
        if not isinstance(dumped, str):
            raise DevnetError("anvil_dumpState returned no data")
        state = json.loads(gzip.decompress(bytes.fromhex(dumped.removeprefix("0x"))))
    # Call traces of the build's own transactions are most of the dump and nothing reads them;
    # receipts and logs (which discovery scans) stay.
    for tx in state.get("transactions", []):
        if isinstance(tx.get("info"), dict):
            tx["info"]["traces"] = []
    return manifest, state


def ensure(name_or_path: str, progress: Progress | None = None, rebuild: bool = False) -> Snapshot:
    """The cached snapshot for a scenario, building it first if missing or stale."""
    _sc, raw = scenario.load(name_or_path)
    key = snapshot_key(raw)
    folder = cache_dir() / "replica" / f"{_sc.name}-{key}"
    snap = Snapshot(key=key, state_path=folder / "state.json", manifest_path=folder / "manifest.json")
    if not rebuild and snap.state_path.is_file() and snap.manifest_path.is_file():
        return snap
    folder.mkdir(parents=True, exist_ok=True)
    manifest, state = build_state(name_or_path, progress or LogProgress(), log_path=folder / "build.log")
    # Write state first, manifest last: a manifest on disk means a complete snapshot.
    tmp = snap.state_path.with_suffix(f".{os.getpid()}.tmp")  # concurrent builders never share a temp file
    tmp.write_text(json.dumps(state))
    tmp.replace(snap.state_path)
    manifest.write(snap.manifest_path)
    return snap


def start(
    name_or_path: str,
    *,
    port: int = 0,
    log_path: Path | None = None,
    detached: bool = False,
    progress: Progress | None = None,
) -> tuple[AnvilNode, Manifest]:
    """Start a node holding the scenario's replica state (from the snapshot)."""
    snap = ensure(name_or_path, progress)
    node = AnvilNode(port=port, log_path=log_path, load_state=snap.state_path, detached=detached)
    node.start()
    return node, snap.manifest
