"""`arbbot compete run` from the shell: a bad competition file or option is one error line naming the field and
its value, with a non-zero exit and no traceback, before any replica starts."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def _compete(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    env |= {"ARBBOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "arbbot", "compete", "run", "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{ name = "a", policy = { kind = "static", share_bps = 12000 } }',
         "competition.competitors.0.policy.static.share_bps: Input should be less than or equal to 10000 (got 12000)"),
        ('{ name = "a", arrival_bps = "soon", policy = { kind = "static", share_bps = 1 } }',
         "competition.competitors.0.arrival_bps: Input should be a valid integer, unable to parse string as an "
         "integer (got 'soon')"),
    ],
)  # fmt: skip
def test_a_bad_competition_field_is_one_line(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[competition]\ncompetitors = [{body}]\n")
    done = _compete(tmp_path, "--competition", str(path))
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line == f"error: competition {path}: {expected}"
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "out").exists()  # nothing started


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--policy", "greedy"], "--policy: one of explore, static expected, got 'greedy'"),
        (["--grid", "5000,x"], "--grid: comma-separated shares in bps expected, got '5000,x'"),
        (["--grid", "5000,5000"], "--grid: distinct shares within 0..10000 expected, got '5000,5000'"),
        (["--competition", "nowhere"], "competition: 'nowhere' is neither a file nor a shipped competition (default)"),
    ],
)  # fmt: skip
def test_a_bad_option_is_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    done = _compete(tmp_path, *args)
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line == f"error: {expected}"
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.replica
def test_a_run_leaves_its_rounds_and_a_journal_of_explored_bids(tmp_path: Path) -> None:
    done = _compete(tmp_path, "--rounds", "3", "--seed", "5", "--policy", "explore", "--grid", "3000,9500")
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines() if line.startswith("round ")] == [
        "round 1", "round 2", "round 3"
    ]  # fmt: skip
    rounds = json.loads((tmp_path / "out" / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [1, 2, 3]
    with sqlite3.connect(tmp_path / "out" / "arbbot.db") as db:
        rows = db.execute("SELECT status, bid FROM bundles").fetchall()
    assert rows
    for status, bid in rows:
        assert status in ("landed", "missed")
        assert json.loads(bid)["policy"] == "explore" and json.loads(bid)["share_bps"] in (3_000, 9_500)
    ours = [r["bids"]["arbbot"]["share_bps"] for r in rounds if "arbbot" in r["bids"]]
    assert len(ours) == len(rows)
    landed = sum(status == "landed" for status, _ in rows)
    assert landed == sum("arbbot" in r["winners"] for r in rounds)
    assert f"arbbot: {len(rows)} bundle(s) journaled, {landed} landed" in done.stdout
    assert "misses taken by another transaction" not in done.stdout  # every bundle of this seed landed
    assert landed == len(rows)


def test_a_low_static_bid_loses_and_the_run_says_who_took_each_miss(tmp_path: Path) -> None:
    done = _compete(tmp_path, "--rounds", "3", "--seed", "5", "--policy", "static", "--share-bps", "1000")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "out" / "arbbot.db") as db:
        lost = [json.loads(v) for (v,) in db.execute("SELECT lost_to FROM bundles WHERE status = 'missed'")]
    rounds = json.loads((tmp_path / "out" / "rounds.json").read_text())
    winners = {h for r in rounds for h in r["winner_txs"]}
    taken = [t for t in lost if "paid_wei" in t]
    assert taken and all(t["tx"] in winners and t["exact"] is True for t in taken), lost
    total = sum(int(t["paid_wei"]) for t in taken) / 10**18
    assert f"arbbot's misses taken by another transaction: {len(taken)}, paying the builder {total:,.4f} ETH" in (
        " ".join(done.stdout.split()))  # fmt: skip
