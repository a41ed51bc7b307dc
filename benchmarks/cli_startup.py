"""How long `arbbot … --help` takes to start: the lazy CLI against the eager one it replaced.

Each figure is the median of RUNS fresh processes, wall clock and CPU (user + system of the child, which
other load on the machine does not inflate). Bytecode is cached first (one warm-up run into a private
PYTHONPYCACHEPREFIX), as it is for an installed package. The baseline is the CLI as of BASELINE_COMMIT,
which imported every command group (web3, SQLAlchemy, pyrevm, solders, …) at start: its `arbbot`
package is extracted with `git archive` and run in the same environment, interleaved with the current
one so both see the same load.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

RUNS = 5
BASELINE_COMMIT = "2c7e158"  # the last commit before the lazy CLI
GOAL_S = 0.5
ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [[], ["devnet"], ["pools"], ["solana"], ["run"], ["audit"], ["report"], ["demo"], ["devnet", "up"],
            ["pools", "list"], ["solana", "run"]]  # fmt: skip
BASELINE_COMMANDS = [[], ["run"]]


def _time(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one `python -m arbbot ARGS --help`, run from `cwd` (not the
    checkout: `-m` puts the working directory first on sys.path)."""
    cmd = [sys.executable, "-m", "arbbot", *args, "--help"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    if proc.returncode != 0:
        err = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True).stderr
        raise RuntimeError(f"arbbot {' '.join(args)} --help exited {proc.returncode}: {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def _baseline_tree(dest: Path) -> Path | None:
    """The `arbbot` package as of BASELINE_COMMIT, or None without git or that commit."""
    done = subprocess.run(["git", "archive", BASELINE_COMMIT, "arbbot"], cwd=ROOT, capture_output=True)
    if done.returncode != 0:
        return None
    with tarfile.open(fileobj=BytesIO(done.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _env(pycache: Path, pythonpath: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env |= {"PYTHONPYCACHEPREFIX": str(pycache), "COLUMNS": "100"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)  # ahead of the editable install's finder
    return env


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def run() -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        now_env = _env(base / "pyc-now", None)
        old_tree = _baseline_tree(base / "old")
        old_env = _env(base / "pyc-old", old_tree) if old_tree is not None else None
        for args in COMMANDS:  # warm-up: bytecode for everything these runs import
            _time(args, now_env, base)
        if old_env is not None:
            for args in BASELINE_COMMANDS:
                _time(args, old_env, base)
        now: dict[str, list[tuple[float, float]]] = {" ".join(a): [] for a in COMMANDS}
        old: dict[str, list[tuple[float, float]]] = {" ".join(a): [] for a in BASELINE_COMMANDS}
        for _ in range(RUNS):
            for args in COMMANDS:
                now[" ".join(args)].append(_time(args, now_env, base))
            if old_env is not None:
                for args in BASELINE_COMMANDS:
                    old[" ".join(args)].append(_time(args, old_env, base))
    load = os.getloadavg()[0]
    root_wall, root_cpu = _median(now[""])
    per_command = {k: _median(v) for k, v in now.items() if k}
    slowest = max(per_command, key=lambda k: per_command[k][0])
    sub_wall, sub_cpu = per_command[slowest]
    under = sum(w <= GOAL_S for w, _ in [*per_command.values(), (root_wall, root_cpu)])
    if old_env is None:
        old_root = old_sub = None
        baseline = f"no baseline: git or commit {BASELINE_COMMIT} not available"
    else:
        old_root, old_sub = _median(old[""]), _median(old["run"])
        baseline = f"eager CLI at {BASELINE_COMMIT}: {old_root[0]:.2f} s wall, {old_root[1]:.2f} s CPU"
    rows = [
        {
            "benchmark": "CLI start-up: `arbbot --help` (bytecode cached)",
            "figure": f"{_ms(root_wall)} wall, {_ms(root_cpu)} CPU (median of {RUNS}; load average {load:.1f} "
            f"on {os.cpu_count()} cores); goal <= {_ms(GOAL_S)} wall",
            "baseline": baseline,
            "ratio": "-"
            if old_root is None
            else f"{old_root[0] / root_wall:.1f}x faster wall, {old_root[1] / root_cpu:.1f}x less CPU",
        },
        {
            "benchmark": f"CLI start-up: every `arbbot <command> --help` ({len(per_command)} commands and subcommands)",
            "figure": f"slowest `{slowest} --help`: {_ms(sub_wall)} wall, {_ms(sub_cpu)} CPU (median of {RUNS}); "
            f"{under} of {len(per_command) + 1} at or under {_ms(GOAL_S)} wall",
            "baseline": "-"
            if old_sub is None
            else f"eager `run --help` at {BASELINE_COMMIT}: {old_sub[0]:.2f} s wall, {old_sub[1]:.2f} s CPU",
            "ratio": "-"
            if old_sub is None
            else f"{old_sub[0] / sub_wall:.1f}x faster wall, {old_sub[1] / sub_cpu:.1f}x less CPU",
        },
    ]
    return rows


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.values()))
