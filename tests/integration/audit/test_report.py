"""Known trades audited through the CLI, then reported as a table, CSV, JSON, a daily summary and an
HTML file that headless Chromium renders (screenshot taken, title checked)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner, Result
from typer.main import get_command

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.cli.main import app
from arbbot.db import crud
from arbbot.db.schemas import SubmissionRecord, TradeRecord
from tests.conftest import Replica
from tests.integration.audit import chromium, trades

PNG = b"\x89PNG\r\n\x1a\n"


def _env(cwd: Path, url: str) -> dict[str, str]:
    return {"COLUMNS": "240", "ARBBOT_RPC_URL": url, "ARBBOT_DATA_DIR": str(cwd / ".arbbot")}


def cli(cwd: Path, url: str, *args: str, columns: int = 240) -> subprocess.CompletedProcess[str]:
    """The real `arbbot` entry point in its own process."""
    env = {**os.environ, **_env(cwd, url), "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "arbbot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def invoke(cwd: Path, url: str, *args: str) -> Result:
    """The same commands in this process (a command that talks to the node imports web3 and SQLAlchemy)."""
    return CliRunner(mix_stderr=False).invoke(get_command(app), list(args), env=_env(cwd, url))


def _chain_delta(r: Replica, sent: list[trades.Sent], executor: str) -> int:
    """What the trades really earned, from balances alone: the executor's WETH gain minus the gas the
    sender paid (each trade in its own block)."""
    total = 0
    sender = r.w3.eth.accounts[0]
    for s in sent:
        n = s.receipt["blockNumber"]
        total += trades.weth_balance(r, executor, n) - trades.weth_balance(r, executor, n - 1)
        total -= r.w3.eth.get_balance(sender, n - 1) - r.w3.eth.get_balance(sender, n)
    return total


def test_audit_then_report_in_every_format(replica: Replica, tmp_path: Path) -> None:
    # The replica's clock as a live chain's: audited trades are dated by their blocks, and the daily and
    # windowed reports below are for today.
    raw_rpc(replica.url, "anvil_setTime", [int(datetime.now(UTC).timestamp())])
    executor = trades.deploy(replica)
    raw_rpc(replica.url, "anvil_setCoinbase", [trades.COINBASE])
    route_a, profit_a = trades.profitable_route(replica, "v2-v2")
    a = trades.send(replica, executor, route_a, profit_a)
    route_b, profit_b = trades.profitable_route(replica, "v3-v2", builder_bps=5000)
    b = trades.send(replica, executor, route_b, profit_b)
    c = trades.send(replica, executor, trades.losing_route(replica), 0)
    chain_id = replica.manifest.chain_id
    # The searcher's side: bundles logged as sent (one never landed), trade a recorded as pending.
    engine = db.connect(f"sqlite:///{tmp_path / '.arbbot' / 'arbbot.db'}")
    sessions = db.session_factory(engine)
    log = BundleLog(tmp_path / ".arbbot" / "bundles.jsonl", sessions=sessions)
    log.sent(
        uuid="a",
        chain_id=chain_id,
        builders=["alpha", "beta"],
        target_blocks=[a.receipt["blockNumber"]],
        tx_hashes=[a.tx_hash],
        simulated_profit=profit_a + 7,
    )
    log.sent(
        uuid="lost",
        chain_id=chain_id,
        builders=["beta"],
        target_blocks=[1],
        tx_hashes=["0x" + "cd" * 32],
        simulated_profit=10**15,
    )
    log.outcome(uuid="lost", landed=False)
    with sessions.begin() as s:
        crud.upsert_trades(
            s, [TradeRecord(chain_id=chain_id, tx_hash=a.tx_hash, bundle_uuid="a", executor=executor.address, profit=0)]
        )
        # What the journal records per builder request, and why "lost" never landed.
        crud.insert_submissions(s, [
            SubmissionRecord(bundle_uuid="a", builder="alpha", method="eth_sendBundle", accepted=True, latency_ms=35.0),
            SubmissionRecord(bundle_uuid="a", builder="beta", method="eth_sendBundle", accepted=True, latency_ms=80.0),
        ])  # fmt: skip
        crud.update_bundle(s, "lost", status="missed", miss_reason="target block 1 passed without it")
    engine.dispose()

    audited = cli(tmp_path, replica.url, "audit", a.tx_hash, b.tx_hash, c.tx_hash, "--executor", executor.address)
    assert audited.returncode == 0, audited.stderr
    assert "3 trade(s) audited and stored" in audited.stdout and "Unprofitable(" in audited.stdout
    bad = invoke(tmp_path, replica.url, "audit", "0x" + "ef" * 32, a.tx_hash, "--no-store")
    assert bad.exit_code == 1 and "unknown to the node" in bad.stderr and a.tx_hash[:12] in bad.stdout

    every = invoke(tmp_path, replica.url, "audit", "--executor", executor.address, "--no-store", "--json")
    assert every.exit_code == 0, every.stderr
    assert [t["tx_hash"] for t in json.loads(every.stdout)["trades"]] == [a.tx_hash, b.tx_hash, c.tx_hash]
    no_exec = invoke(tmp_path, replica.url, "audit", "--from-block", "1")
    assert no_exec.exit_code == 1 and "executor: a block range audit needs at least one executor" in no_exec.stderr

    as_json = invoke(tmp_path, replica.url, "report", "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    summary = doc["summary"]
    expected_net = _chain_delta(replica, [a, b, c], executor.address)
    assert int(summary["net_wei"]) == expected_net  # to the wei, against balances alone
    assert (summary["trades"], summary["succeeded"], summary["reverted"]) == (3, 2, 1)
    assert int(summary["builder_payment_wei"]) == profit_b * 5000 // 10_000
    assert int(summary["gross_wei"]) == profit_a + profit_b
    # "a" landed (the audit says so) in a block whose builder is not recorded: it counts for both builders.
    builders = {k: (v["sent"], v["accepted"], v["landed_unattributed"], v["median_latency_ms"])
                for k, v in summary["builders"].items()}  # fmt: skip
    assert builders == {"alpha": (1, 1, 1, 35.0), "beta": (2, None, 1, 80.0)}
    assert int(summary["gross_wei"]) == int(summary["net_wei"]) + int(summary["builder_payment_wei"]) + int(
        summary["gas_cost_wei"]
    )
    assert doc["bundles_not_landed"] == [
        {**doc["bundles_not_landed"][0], "uuid": "lost", "status": "missed",
         "miss_reason": "target block 1 passed without it"}
    ]  # fmt: skip
    by_hash = {t["tx_hash"]: t for t in doc["trades"]}
    assert by_hash[a.tx_hash]["simulated_diff_wei"] == "-7" and by_hash[a.tx_hash]["bundle_uuid"] == "a"
    assert by_hash[c.tx_hash]["revert_reason"].startswith("Unprofitable(")

    csv_out = tmp_path / "r.csv"
    assert invoke(tmp_path, replica.url, "report", "-f", "csv", "-o", str(csv_out)).exit_code == 0
    parsed = list(csv.DictReader(io.StringIO(csv_out.read_text())))
    assert sum(int(r["net_wei"]) for r in parsed) == expected_net and len(parsed) == 3

    first, last = a.receipt["blockNumber"], c.receipt["blockNumber"]
    ranged = invoke(tmp_path, replica.url, "report", "--since", str(first + 1), "--until", str(last), "-f", "json")
    assert [t["tx_hash"] for t in json.loads(ranged.stdout)["trades"]] == [b.tx_hash, c.tx_hash]
    # The terminal report through the real entry point on an 80-column terminal.
    table = cli(tmp_path, replica.url, "report", columns=80)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(len(x) for x in lines) <= 80
    net_line = next(x for x in lines if x.strip().startswith("= net PnL"))
    assert Decimal(net_line.split()[-1]) * 10**18 == expected_net  # exact, against balances alone
    assert next(x for x in lines if x.startswith("beta")).split()[:5] == ["beta", "2", "-", "1*", "50%"]
    assert "missed" in table.stdout and "target block" in table.stdout and "WETH →" in table.stdout
    audited_80 = cli(tmp_path, replica.url, "audit", a.tx_hash, "--no-store", columns=80)
    assert audited_80.returncode == 0, audited_80.stderr
    assert max(len(x) for x in audited_80.stdout.splitlines()) <= 80
    # decimals() read on chain: the executor's flows in WETH, not raw wei labelled WETH.
    received = next(x for x in audited_80.stdout.splitlines() if "executor received:" in x)
    assert re.search(r"received: \d+\.\d+ WETH", received), received
    wrong = invoke(tmp_path, replica.url, "report", "--since", "yesterday")
    assert wrong.exit_code == 1 and "--since: not a block number, date" in wrong.stderr

    today = datetime.now(UTC).date().isoformat()
    daily = invoke(tmp_path, replica.url, "report", "--daily", "--day", today, "--out-dir", str(tmp_path / "daily"))
    assert daily.exit_code == 0, daily.stderr
    day_json = json.loads((tmp_path / "daily" / f"daily-{chain_id}-{today}.json").read_text())
    assert int(day_json["summary"]["net_wei"]) == expected_net

    page = tmp_path / "report.html"
    made = invoke(tmp_path, replica.url, "report", "--since", today, "--until", today, "-f", "html", "-o", str(page))
    assert made.exit_code == 0, made.stderr
    text = page.read_text()
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert text.count("<svg") == 4
    title = f"arbbot report {today} 00:00 UTC – "
    shot = tmp_path / "report.png"
    ran = chromium.run(page, tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1400,1800")
    assert ran.returncode == 0, ran.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000  # a real page, not a blank one
    dom = chromium.run(page, tmp_path / "profile-2", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f"<title>{title}" in dom.stdout
    assert "Cumulative net PnL over time" in dom.stdout and "Landing rate per builder" in dom.stdout
    assert "time (UTC), " + today in dom.stdout and "= net PnL" in dom.stdout
    assert "target block 1 passed without it" in dom.stdout
