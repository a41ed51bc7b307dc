"""Contracts the runtime deploys or runs, shipped compiled inside the package (`arbbot/_build/`).

The batch-sync readers (contracts/src/lens) and ArbExecutor are compiled once by `make build-data`
(`python -m arbbot.devnet.export`) and committed; a test recompiles them and compares. An installed
wheel therefore syncs, simulates and deploys without the Solidity sources or a compiler.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from arbbot.artifact import Artifact
from arbbot.errors import ArtifactError
from arbbot.paths import PACKAGE_DIR

BUILD_DIR = PACKAGE_DIR / "_build"
CONTRACTS_FILE = BUILD_DIR / "contracts.json"
# The Solana program's Anchor IDL, copied from programs/arb-executor/idl by the same command.
ARB_EXECUTOR_IDL = BUILD_DIR / "arb_executor.idl.json"
EXECUTOR = "ArbExecutor"


def _artifact(name: str, entry: Any) -> Artifact:
    if not isinstance(entry, dict):
        raise ArtifactError(f"{CONTRACTS_FILE}: entry {name!r} is not an object")
    try:
        abi, bytecode, deployed = entry["abi"], entry["bytecode"], entry["deployed_bytecode"]
    except KeyError as exc:
        raise ArtifactError(f"{CONTRACTS_FILE}: entry {name!r} has no {exc.args[0]}") from None
    if not isinstance(abi, list) or not all(isinstance(c, str) and c.startswith("0x") for c in (bytecode, deployed)):
        raise ArtifactError(f"{CONTRACTS_FILE}: entry {name!r} has a malformed abi or bytecode")
    return Artifact(name=name, abi=abi, bytecode=bytecode, deployed_bytecode=deployed, source=entry.get("source", ""))


@cache
def contracts(path: Path = CONTRACTS_FILE) -> dict[str, Artifact]:
    """Every shipped contract, by name."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path} is missing from the package; rebuild it with `make build-data`") from None
    except ValueError as exc:
        raise ArtifactError(f"{path} is not JSON: {exc}") from None
    entries = doc.get("contracts") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise ArtifactError(f"{path}: no `contracts` object")
    return {name: _artifact(name, entry) for name, entry in entries.items()}


def artifact(name: str) -> Artifact:
    """The shipped compiled contract `name`; raises `ArtifactError` listing the shipped names when it is not one."""
    found = contracts().get(name)
    if found is None:
        raise ArtifactError(f"{name} is not among the shipped contracts ({', '.join(sorted(contracts()))})")
    return found


@cache
def readers() -> dict[str, Artifact]:
    """The deployless batch readers (`contracts/src/lens/*Reader.sol`)."""
    return {name: art for name, art in contracts().items() if name.endswith("Reader")}


def executor() -> Artifact:
    """The shipped `ArbExecutor` artifact (the contract every EVM route runs through)."""
    return artifact(EXECUTOR)
