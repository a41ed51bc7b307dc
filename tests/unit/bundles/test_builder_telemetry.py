"""Per-builder telemetry: ack time, the builder's `receivedTimestampMs`, accepted / rejected (with the
reason) / refused here, and landed, from a fan-out to recording builders through the journal into the
bundle log and the database, read back by `crud.builder_stats` and `arbbot builder stats`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from typer.testing import CliRunner

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.db import crud
from arbbot.engine.journal import Journal
from arbbot.execution.bundles.dialects import RefundIntent
from arbbot.execution.bundles.fanout import BuilderEndpoint, BundleFanout, FanoutReport
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.plan import Landed, SubmitResult
from arbbot.execution.submit import _attempt
from arbbot.testing.recording_builder import RecordingBuilder
from tests.unit.bundles.test_dialects import H0, H1, RECEIVED_MS, RECIPIENT, T0, T1, U


async def _send() -> FanoutReport:
    async with (
        RecordingBuilder("buildernet", received_ms=lambda: RECEIVED_MS) as bn,
        RecordingBuilder("titan") as titan,
        RecordingBuilder("flashbots") as fb,
        RecordingBuilder("eigenphi") as other,
    ):
        endpoints = [
            BuilderEndpoint("buildernet", bn.url, cancel="empty_bundle", dialect="buildernet"),
            BuilderEndpoint("titan", titan.url, cancel="endpoint", dialect="titan"),
            BuilderEndpoint("flashbots", fb.url, cancel="endpoint", dialect="flashbots"),  # no refunds there
            # A builder configured with the wrong dialect: it refuses the refund fields it does not know.
            BuilderEndpoint("misconfigured", other.url, dialect="titan"),
        ]
        async with BundleFanout(endpoints, signer=FlashbotsSigner.random(), timeout=5.0) as fan:
            report = await fan.send([T0, T1], first_block=100, replacement_uuid=U, refund=RefundIntent(80, RECIPIENT))
        assert [len(s.recorded) for s in (bn, titan, fb, other)] == [1, 1, 0, 1]
        return report


def test_telemetry_is_recorded_journaled_and_shown(tmp_path: Path, monkeypatch: Any) -> None:
    report = asyncio.run(_send())
    by = {o.builder: o for o in report.outcomes}
    assert by["buildernet"].ok and by["buildernet"].received_ms == RECEIVED_MS
    assert by["titan"].ok and by["titan"].received_ms is None
    assert by["flashbots"].kind == "refused" and "refund" in (by["flashbots"].error or "")
    assert by["misconfigured"].kind == "rpc_error" and "unknown field `refundPercent`" in (
        by["misconfigured"].error or ""
    )
    assert by["buildernet"].latency_s > 0 and by["titan"].latency_s > 0

    engine = db.connect(data_dir=tmp_path)
    sessions = db.session_factory(engine)
    journal = Journal(BundleLog(tmp_path / "bundles.jsonl", sessions), chain_id=1, sessions=sessions)
    plan: Any = SimpleNamespace(kind="cycle", executor="0x" + "11" * 20, expected_net=5, bid=None,
                                sim=SimpleNamespace(executed=SimpleNamespace(profit=7)))  # fmt: skip
    attempts = tuple(_attempt(o) for o in report.outcomes)
    result = SubmitResult(True, "sent", by["titan"].bundle_hash, H1, ("buildernet", "titan"), U, (100,), (H0, H1),
                          attempts)  # fmt: skip
    journal.sent(plan, result)
    journal.outcome(Landed(plan, 100, "titan", 3, H1))  # the inclusion tracker named titan's block

    with sessions() as session:
        subs = {s.builder: s for s in crud.list_submissions(session, bundle_uuid=U)}
        stats = {s.builder: s for s in crud.builder_stats(session, chain_id=1)}
    assert subs["buildernet"].received_ms == RECEIVED_MS and subs["buildernet"].dialect == "buildernet"
    assert subs["flashbots"].kind == "refused" and not subs["flashbots"].accepted
    assert subs["titan"].latency_ms == round(by["titan"].latency_s * 1000, 3)

    t, b, f, m = stats["titan"], stats["buildernet"], stats["flashbots"], stats["misconfigured"]
    assert (t.sent, t.accepted, t.landed, t.received_ts) == (1, 1, 1, 0)
    assert t.ack_ms_median == subs["titan"].latency_ms == t.ack_ms_max
    assert (b.accepted, b.landed, b.received_ts) == (1, 0, 1)
    assert (f.sent, f.accepted, f.refused_locally, f.rejected) == (1, 0, 1, 0)
    assert (m.rejected, m.refused_locally) == (1, 0) and "refundPercent" in (m.last_error or "")

    lines = [json.loads(x) for x in (tmp_path / "bundles.jsonl").read_text().splitlines()]
    logged = {a["builder"]: a for a in lines[0]["attempts"]}
    assert logged["buildernet"]["received_ms"] == RECEIVED_MS and "received_ms" not in logged["titan"]
    assert logged["flashbots"]["kind"] == "refused"
    assert lines[1]["builder"] == "titan" and lines[1]["landed"] is True
    engine.dispose()

    # What a user sees: `arbbot builder stats` over the same database.
    from arbbot.cli.main import app

    monkeypatch.setenv("ARBBOT_DATA_DIR", str(tmp_path))
    out = CliRunner().invoke(app, ["builder", "stats"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    row = next(line for line in out.output.splitlines() if line.strip().startswith("titan"))
    assert row.split()[1:4] == ["1", "1", "0"] and row.split()[-1] == "1"


def test_local_refusals_are_counted_apart_from_builder_errors() -> None:
    from arbbot.execution.bundles.transactions import TransactionSigner
    from arbbot.execution.submit import BundleExecutor
    from arbbot.metrics import Metrics

    report = asyncio.run(_send())
    metrics = Metrics()

    class NoNode:
        async def call(self, method: str, params: Any = None) -> Any:
            raise AssertionError("not used")

    signer = TransactionSigner("0x" + "11" * 32, 1, rpc=NoNode())
    executor = BundleExecutor(signer, BundleFanout([BuilderEndpoint("x", "http://127.0.0.1:1")]), NoNode(),
                              metrics=metrics)  # fmt: skip
    for o in report.outcomes:
        executor._record(o)

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert value("arbbot_bundles_not_sent_total", builder="flashbots", kind="refused") == 1
    assert value("arbbot_builder_errors_total", builder="flashbots") is None  # not the builder's fault
    assert value("arbbot_builder_errors_total", builder="misconfigured") == 1
    assert value("arbbot_bundles_sent_total", builder="buildernet") == 1
    assert value("arbbot_builder_latency_seconds_count", builder="flashbots") is None
