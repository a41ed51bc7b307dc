"""The build data the package ships (arbbot/_build) is what the checkout builds now, and the runtime reads it.

These tests recompile through the solc shim and compare; they never write the shipped files (`make
build-data` does)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from arbbot import compiled
from arbbot.devnet import export
from arbbot.errors import ArtifactError, CheckoutRequired
from arbbot.paths import checkout, project_root
from arbbot.state import lens

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_contracts_match_a_fresh_compile() -> None:
    shipped = compiled.CONTRACTS_FILE.read_text()
    fresh = export.contracts_document()
    assert shipped == fresh, "arbbot/_build/contracts.json is stale: run `make build-data`"
    names = set(json.loads(fresh)["contracts"])
    sources = {p.stem for p in (ROOT / "contracts" / "src" / "lens").glob("*Reader.sol")}
    assert sources <= names and "ArbExecutor" in names


def test_shipped_idl_is_the_programs_idl() -> None:
    assert compiled.ARB_EXECUTOR_IDL.read_bytes() == (ROOT / export.IDL_SOURCE).read_bytes(), (
        "arbbot/_build/arb_executor.idl.json is stale: run `make build-data`"
    )


def test_check_reports_a_stale_file_without_rewriting_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale_copy = tmp_path / "contracts.json"
    stale_copy.write_text('{"contracts": {}}\n')
    monkeypatch.setattr(export, "CONTRACTS_FILE", stale_copy)
    assert export.main(["check"]) == 1
    assert stale_copy.read_text() == '{"contracts": {}}\n'
    monkeypatch.setattr(export, "CONTRACTS_FILE", compiled.CONTRACTS_FILE)
    assert export.main(["check"]) == 0


def test_runtime_reads_only_the_shipped_data() -> None:
    # The readers and executor used to sync and simulate are the shipped ones, byte for byte.
    doc = json.loads(compiled.CONTRACTS_FILE.read_text())["contracts"]
    assert lens.readers()["V3StateReader"].bytecode == doc["V3StateReader"]["bytecode"]
    from arbbot.devnet.executor import executor_creation_code

    assert executor_creation_code().hex() == doc["ArbExecutor"]["bytecode"][2:]
    # Importing the sync, simulation, execution and audit layers pulls in no compiler or npm artifact code.
    code = (
        "import sys, arbbot.state.sync, arbbot.state.lens, arbbot.state.tokens, arbbot.sim.fork, "
        "arbbot.execution.dry_run, arbbot.audit.auditor, arbbot.solana.instruction\n"
        "bad = sorted(m for m in ('arbbot.devnet.compiler', 'arbbot.devnet.artifacts', 'arbbot.devnet.export') "
        "if m in sys.modules)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_malformed_shipped_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "contracts.json"
    bad.write_text('{"contracts": {"V2ReservesReader": {"abi": [], "bytecode": "60", "deployed_bytecode": "0x"}}}')
    with pytest.raises(ArtifactError, match=r"V2ReservesReader.*malformed"):
        compiled.contracts(bad)
    with pytest.raises(ArtifactError, match="missing from the package"):
        compiled.contracts(tmp_path / "absent.json")


def test_dev_parts_without_a_checkout_say_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBBOT_ROOT", str(tmp_path))
    assert project_root() == tmp_path.resolve()
    with pytest.raises(CheckoutRequired, match=r"compiling Solidity needs the arbbot source checkout.*ARBBOT_ROOT"):
        from arbbot.devnet.compiler import compile_files

        compile_files([tmp_path / "X.sol"])
    (tmp_path / "contracts" / "src").mkdir(parents=True)
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(CheckoutRequired, match=r"needs node_modules/ .*make setup"):
        checkout("building the replica")
