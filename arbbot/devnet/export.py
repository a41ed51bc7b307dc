"""Writes the package's shipped build data (`arbbot/_build/`): the lens readers and ArbExecutor compiled
through the solc shim, and the Solana program's IDL. `make build-data` runs it after a contract or IDL
change; tests only compare (`check`), never write.

    python -m arbbot.devnet.export [check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from arbbot.compiled import ARB_EXECUTOR_IDL, CONTRACTS_FILE, EXECUTOR
from arbbot.devnet.compiler import compile_files
from arbbot.errors import ArbbotError, ArtifactError
from arbbot.paths import checkout

IDL_SOURCE = Path("programs") / "arb-executor" / "idl" / "arb_executor.json"


def contracts_document() -> str:
    """The contracts file's text as the sources compile now (deterministic: sorted keys, one layout)."""
    root = checkout("compiling the shipped contracts")
    lens = sorted((root / "contracts" / "src" / "lens").glob("*Reader.sol"))
    compiled = compile_files([*lens, root / "contracts" / "src" / "ArbExecutor.sol"])
    wanted = [*sorted(n for n in compiled if n.endswith("Reader")), EXECUTOR]
    missing = [n for n in wanted if n not in compiled]
    if missing:
        raise ArtifactError(f"compiling the shipped contracts produced no {', '.join(missing)}")
    doc = {
        "regenerate": "make build-data",
        "contracts": {
            n: {
                "abi": compiled[n].abi,
                "bytecode": compiled[n].bytecode,
                "deployed_bytecode": compiled[n].deployed_bytecode,
                "source": compiled[n].source,
            }
            for n in wanted
        },
    }
    return json.dumps(doc, sort_keys=True, indent=1) + "\n"


def idl_document() -> str:
    """The Solana program's IDL as the checkout holds it now, to be shipped verbatim."""
    return (checkout("copying the Solana IDL") / IDL_SOURCE).read_text()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def stale() -> list[Path]:
    """Shipped files that differ from what the checkout builds now."""
    out = []
    for path, text in ((CONTRACTS_FILE, contracts_document()), (ARB_EXECUTOR_IDL, idl_document())):
        if not path.is_file() or path.read_text() != text:
            out.append(path)
    return out


def main(argv: list[str]) -> int:
    """`python -m arbbot.devnet.export [check]`: write the build data, or with `check` list the stale files and exit 1
    if any; returns the exit code, with a one-line error on failure.
    """
    try:
        if argv == ["check"]:
            old = stale()
            for path in old:
                print(f"stale: {path} (run `make build-data`)", file=sys.stderr)
            return 1 if old else 0
        if argv:
            print("usage: python -m arbbot.devnet.export [check]", file=sys.stderr)
            return 2
        _write(CONTRACTS_FILE, contracts_document())
        _write(ARB_EXECUTOR_IDL, idl_document())
    except ArbbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {CONTRACTS_FILE} and {ARB_EXECUTOR_IDL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
