"""The append-only bundle log: lines from many writers stay whole, secrets stay out, torn tails are survived."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from arbbot import db
from arbbot.audit.bundle_log import BundleLog, public_builder
from arbbot.db import crud

TX = "0x" + "ab" * 32


def test_sent_and_outcome_are_appended_and_read_back(tmp_path: Path) -> None:
    log = BundleLog(tmp_path / "b.jsonl")
    log.sent(
        uuid="u1",
        chain_id=1,
        builders=["flashbots"],
        target_blocks=[10, 11],
        tx_hashes=[TX.upper().replace("0X", "0x")],
        simulated_profit=10**40,
        extra={"route": "WETH>USDC>WETH", "hops": 2},
    )
    log.outcome(uuid="u1", landed=True, landed_block=11, realized_profit=-3, builder="flashbots")
    entries = list(log.entries())
    assert [e.record["event"] for e in entries] == ["sent", "outcome"]
    sent = entries[0].record
    assert sent["simulated_profit"] == str(10**40) and sent["tx_hashes"] == [TX] and sent["x_hops"] == 2
    assert entries[1].record["realized_profit"] == "-3" and entries[1].record["landed_block"] == 11
    before = (tmp_path / "b.jsonl").read_bytes()
    log.outcome(uuid="u2", landed=False)
    assert (tmp_path / "b.jsonl").read_bytes().startswith(before)  # appended, never rewritten


def test_no_secrets_and_bad_fields_are_named(tmp_path: Path) -> None:
    log = BundleLog(tmp_path / "b.jsonl")
    assert public_builder("https://user:pw@rpc.builder.example:8545/path?apikey=K#x") == (
        "https://rpc.builder.example:8545/path"
    )
    assert public_builder("titan") == "titan"
    for name in ("private_key", "signature", "auth_header", "raw_tx", "mnemonic"):
        with pytest.raises(ValueError, match=f"extra.{name}: refused"):
            log.sent(
                uuid="u", chain_id=1, builders=[], target_blocks=[], tx_hashes=[], simulated_profit=0, extra={name: "x"}
            )
    with pytest.raises(ValueError, match=r"tx_hashes\[0\]: not a transaction hash"):
        log.sent(uuid="u", chain_id=1, builders=[], target_blocks=[], tx_hashes=["0xf00"], simulated_profit=0)
    with pytest.raises(ValueError, match="simulated_profit: an int in wei"):
        log.sent(uuid="u", chain_id=1, builders=[], target_blocks=[], tx_hashes=[], simulated_profit=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="uuid: 1 to 64 characters"):
        log.sent(uuid="", chain_id=1, builders=[], target_blocks=[], tx_hashes=[], simulated_profit=0)
    assert not (tmp_path / "b.jsonl").exists()  # nothing refused was written


def test_concurrent_writers_and_a_torn_last_line(tmp_path: Path) -> None:
    log = BundleLog(tmp_path / "b.jsonl")

    def write(k: int) -> None:
        for i in range(25):
            log.outcome(uuid=f"w{k}-{i}", landed=False, extra={"pad": "x" * 3000})

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(tmp_path / "b.jsonl", "ab") as f:
        f.write(b'{"event":"sent","uuid":"half')  # a crash mid-write
    records = [e.record for e in log.entries()]
    assert len(records) == 100 and len({r["uuid"] for r in records}) == 100
    (tmp_path / "bad.jsonl").write_text('{"a":1}\nnot json\n{"b":2}\n')
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        list(BundleLog(tmp_path / "bad.jsonl").entries())


def test_with_sessions_the_bundles_table_follows(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'a.db'}")
    sessions = db.session_factory(engine)
    log = BundleLog(tmp_path / "b.jsonl", sessions=sessions)
    log.sent(
        uuid="u1",
        chain_id=5,
        builders=["https://b.example/?key=1"],
        target_blocks=[7],
        tx_hashes=[TX],
        simulated_profit=42,
    )
    log.outcome(uuid="u1", landed=True, landed_block=7, realized_profit=40)
    with sessions() as s:
        b = crud.get_bundle(s, "u1")
    assert b is not None and (b.builders, b.landed, b.landed_block, b.simulated_profit, b.realized_profit) == (
        ["https://b.example/"],
        True,
        7,
        42,
        40,
    )
    with pytest.raises(ValueError, match="uuid: no bundle 'nope'"):
        log.outcome(uuid="nope", landed=False)
    assert json.loads((tmp_path / "b.jsonl").read_text().splitlines()[0])["builders"] == ["https://b.example/"]
    engine.dispose()
