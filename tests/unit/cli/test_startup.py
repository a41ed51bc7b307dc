"""The CLI starts light: `--help` of the root, of every command and of every subcommand imports none of
the heavy libraries (checked in a fresh interpreter's sys.modules, never by timing), and the lazy
command table agrees with the modules it points at. Start-up times are in BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from arbbot import __version__
from arbbot.cli.main import COMMANDS, load_command

HEAVY = (
    "web3", "sqlalchemy", "alembic", "pyrevm", "solders", "solana", "anchorpy", "eth_account", "eth_abi",
    "eth_utils", "aiohttp", "requests", "httpx", "pydantic",
)  # fmt: skip

# Runs every --help in one fresh interpreter, recording which heavy modules each one brought in.
_PROBE = """
import contextlib, io, json, sys
heavy = set(sys.argv[1].split(","))
from arbbot.cli.main import COMMANDS, main

def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & heavy)

def run(args):
    sys.argv = ["arbbot", *args, "--help"]
    out = io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(out):
            main()
    except SystemExit as exc:
        code = exc.code or 0
    return {"args": args, "code": code, "usage": "Usage:" in out.getvalue(), "heavy": loaded()}

results = [run([])]
import importlib, typer, typer.main
for name in COMMANDS:
    results.append(run([name]))
    target = getattr(importlib.import_module(COMMANDS[name].module), COMMANDS[name].attr)
    if isinstance(target, typer.Typer):
        for command in typer.main.get_group(target).commands:
            results.append(run([name, command]))
print(json.dumps(results))
"""


def test_no_help_imports_a_heavy_library() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(HEAVY)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.splitlines()[-1])
    invoked = {" ".join(r["args"]) for r in results}
    # Every command and the subcommands of every group were asked for their help.
    assert set(COMMANDS) <= invoked and {"devnet up", "pools list", "pools quote", "solana run"} <= invoked
    for r in results:
        assert r["code"] == 0 and r["usage"], r
        assert r["heavy"] == [], f"`arbbot {' '.join(r['args'])} --help` imported {r['heavy']}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_listed_help_is_the_command_help(name: str) -> None:
    """The root's help lists commands without importing them: the text it shows is the module's own."""
    command = load_command(name)
    first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].help == first_paragraph
    assert command.name == name


def _entry_point() -> Path:
    return Path(sys.executable).with_name("arbbot")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_console_script_version_typos_and_one_line_errors(tmp_path: Path) -> None:
    arbbot = _entry_point()
    env = {**os.environ, "COLUMNS": "100", "ARBBOT_DATA_DIR": str(tmp_path / "data")}
    version = subprocess.run([arbbot, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, f"arbbot {__version__}\n")
    typo = subprocess.run([arbbot, "reprot"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert typo.returncode == 2 and "No such command 'reprot'. Did you mean 'report'?" in typo.stderr
    missing = subprocess.run(
        [arbbot, "--config", "nope.toml", "pools", "list"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert missing.returncode == 1 and missing.stderr == "error: config file not found: nope.toml\n"


def test_log_json_reaches_the_lazily_loaded_commands(tmp_path: Path) -> None:
    """--log-json is a root option; the command (imported after it was parsed) logs JSON lines, and the
    failure still ends in one plain error line without a traceback."""
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    env = {**os.environ, "ARBBOT_RPC_URL": url, "ARBBOT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "arbbot", "--log-json", "report"], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    *logged, last = done.stderr.splitlines()
    assert last == (
        f"error: rpc_url: cannot read the chain id from {url}: RPC eth_chainId to {url} failed after 5 attempts: "
        "ConnectionError"
    )
    docs = [json.loads(line) for line in logged]
    retries = [d for d in docs if d["logger"] == "arbbot.chain.rpc"]
    assert len(retries) == 4 and all(d["level"] == "WARNING" and "retry" in d["msg"] for d in retries)
