"""Compile project Solidity through the solc shim (solcjs), with results cached by source hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from arbbot.artifact import Artifact
from arbbot.errors import ArtifactError
from arbbot.paths import cache_dir, checkout, solc_shim

OPTIMIZER_RUNS = 1_000_000
EVM_VERSION = "cancun"


def _standard_input(sources: dict[str, str]) -> dict[str, object]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "evmVersion": EVM_VERSION,
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }


def compile_files(paths: list[Path]) -> dict[str, Artifact]:
    """Compile the given .sol files (imports resolved from node_modules); returns name -> Artifact."""
    root = checkout("compiling Solidity")
    sources: dict[str, str] = {}
    for path in paths:
        if not path.is_file():
            raise ArtifactError(f"Solidity source missing: {path}")
        sources[str(path.resolve().relative_to(root))] = path.read_text()
    std_input = json.dumps(_standard_input(sources), sort_keys=True)
    shim = solc_shim()
    lock = root / "package-lock.json"
    key = hashlib.sha256(std_input.encode() + (lock.read_bytes() if lock.is_file() else b"")).hexdigest()[:24]
    cached = cache_dir() / "solc" / f"{key}.json"
    if cached.is_file():
        output = json.loads(cached.read_text())
    else:
        if not shim.is_file():
            raise ArtifactError(f"solc shim missing at {shim}")
        proc = subprocess.run(
            [str(shim), "--standard-json", "--base-path", str(root)],
            input=std_input,
            capture_output=True,
            text=True,
            cwd=root,
            check=False,
        )
        if proc.returncode != 0:
            raise ArtifactError(f"solc shim failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
        try:
            output = json.loads(proc.stdout)
        except ValueError as exc:
            raise ArtifactError(f"solc shim printed non-JSON output: {proc.stdout[:200]!r}") from exc
        errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
        if errors:
            raise ArtifactError("compile failed: " + "; ".join(e["formattedMessage"].strip() for e in errors))
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(output))
        tmp.replace(cached)
    result: dict[str, Artifact] = {}
    for file, contracts in output.get("contracts", {}).items():
        if file not in sources:
            continue
        for name, data in contracts.items():
            result[name] = Artifact(
                name=name,
                abi=data["abi"],
                bytecode="0x" + data["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + data["evm"]["deployedBytecode"]["object"],
                source=file,
            )
    return result


def replica_contracts() -> dict[str, Artifact]:
    """The replica's own helper contracts (test tokens, flash-loan probe)."""
    src = checkout("building the replica") / "contracts" / "src" / "replica"
    return compile_files(sorted(src.glob("*.sol")))


def sources_digest() -> str:
    """Digest of the replica's own Solidity, part of the snapshot key."""
    h = hashlib.sha256()
    for path in sorted((checkout("building the replica") / "contracts" / "src" / "replica").glob("*.sol")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()
