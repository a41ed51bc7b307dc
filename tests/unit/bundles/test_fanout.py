"""Fan-out to several builders for several blocks: concurrency, per-builder latency and errors, presets."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import pytest

from arbbot.execution.bundles.fanout import (
    BUILDER_PRESETS,
    SEPOLIA_PRESETS,
    BuilderEndpoint,
    BundleFanout,
    FanoutReport,
    block_uuid,
    presets,
)
from arbbot.execution.bundles.signing import HEADER, FlashbotsSigner, verify
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, Seen, result

_signer = TransactionSigner("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", 1)
TX = _signer.sign(to="0x70997970C51812dc3A010C7d01b50e0d17dc79C8", nonce=0, gas=21000, fees=Fees(10**10, 10**9))


def ok(seen: Seen) -> Reply:
    if seen.method == "eth_cancelBundle":
        return result([])
    return result({"bundleHash": "0x" + "ab" * 32})


def test_fanout_records_each_builder_and_block() -> None:
    u = uuid.uuid4()
    reputation = FlashbotsSigner.random()

    async def run() -> tuple[FanoutReport, FanoutReport, list[list[Seen]]]:
        async with (
            ScriptedServer(ok) as good,
            ScriptedServer(Reply(503, "overloaded")) as broken,
            ScriptedServer(Reply(200, "{}", delay=30)) as slow,
        ):
            builders = [
                BuilderEndpoint("good", good.url),
                BuilderEndpoint("broken", broken.url),
                BuilderEndpoint("slow", slow.url),
            ]
            async with BundleFanout(builders, signer=reputation, timeout=0.5) as fan:
                report = await fan.send([TX], first_block=100, blocks=2, replacement_uuid=u)
                cancel = await fan.cancel(report)
            return report, cancel, [good.seen, broken.seen, slow.seen]

    report, cancel, (good_seen, broken_seen, slow_seen) = asyncio.run(run())
    assert len(report.outcomes) == 6 and report.target_blocks == [100, 101]
    by = report.by_builder()
    assert all(o.ok and o.bundle_hash == "0x" + "ab" * 32 for o in by["good"])
    assert sorted(o.block_number for o in by["good"]) == [100, 101]
    assert all(
        o.error_type == "EndpointHttpError" and "broken eth_sendBundle: HTTP 503" in (o.error or "")
        for o in by["broken"]
    )
    assert all(o.error_type == "EndpointTimeout" and o.latency_s >= 0.45 for o in by["slow"])
    assert all(o.latency_s < 0.45 for o in by["good"])
    assert report.accepted_by(100) == ["good"] and len(report.failed) == 4

    # One uuid per target block, derived from the caller's, sent to every builder with the right block.
    assert report.replacement_uuids == {100: block_uuid(u, 100), 101: block_uuid(u, 101)}
    assert block_uuid(u, 100) != block_uuid(u, 101)
    sends = [s for s in good_seen if s.method == "eth_sendBundle"]
    assert {(s.params[0]["blockNumber"], s.params[0]["replacementUuid"]) for s in sends} == {
        ("0x64", block_uuid(u, 100)),
        ("0x65", block_uuid(u, 101)),
    }
    assert all(verify(s.headers[HEADER], s.body) == reputation.address for s in good_seen)
    assert len(broken_seen) == 4 and len([s for s in slow_seen if s.method == "eth_sendBundle"]) == 2

    # cancel() reaches every builder for every derived uuid.
    cancels = {s.params[0]["replacementUuid"] for s in good_seen if s.method == "eth_cancelBundle"}
    assert cancels == set(report.replacement_uuids.values())
    assert len(cancel.outcomes) == 6 and [o.ok for o in cancel.by_builder()["good"]] == [True, True]


def test_fanout_requests_are_concurrent() -> None:
    """Each server answers only once all 4 requests have arrived; sequential sending would time out."""
    arrived = 0
    everyone = asyncio.Event()

    async def barrier(seen: Seen) -> Reply:
        nonlocal arrived
        arrived += 1
        if arrived == 4:
            everyone.set()
        try:
            await asyncio.wait_for(everyone.wait(), 3.0)
        except TimeoutError:
            return Reply(500, "not concurrent")
        return result({"bundleHash": "0x" + "cd" * 32})

    async def run() -> FanoutReport:
        async with ScriptedServer(barrier) as a, ScriptedServer(barrier) as b:
            fan = BundleFanout([BuilderEndpoint("a", a.url), BuilderEndpoint("b", b.url)], timeout=5)
            async with fan:
                return await fan.send([TX.raw], first_block=7, blocks=2)

    report = asyncio.run(run())
    assert [o.ok for o in report.outcomes] == [True] * 4, [o.error for o in report.outcomes]
    assert report.replacement_uuids == {}


def test_single_block_keeps_callers_uuid_and_bad_input_raises_before_sending() -> None:
    u = str(uuid.uuid4())

    async def run() -> tuple[FanoutReport, int]:
        async with ScriptedServer(ok) as srv, BundleFanout([BuilderEndpoint("x", srv.url)]) as fan:
            report = await fan.send([TX], first_block=9, replacement_uuid=u)
            with pytest.raises(ValueError):
                await fan.send([], first_block=9)
            with pytest.raises(ValueError):
                await fan.send([TX], first_block=9, blocks=0)
            with pytest.raises(ValueError, match="nothing to cancel"):
                await fan.cancel([])
            return report, len(srv.seen)

    report, seen = asyncio.run(run())
    assert report.replacement_uuids == {9: u} and seen == 1


def test_fanout_misuse() -> None:
    with pytest.raises(ValueError, match="unique"):
        BundleFanout([BuilderEndpoint("a", "http://x"), BuilderEndpoint("a", "http://y")])
    with pytest.raises(ValueError):
        BundleFanout([])
    fan = BundleFanout([BuilderEndpoint("a", "http://127.0.0.1:9")])
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(fan.send([TX], first_block=1))


def test_presets_are_data_from_the_spec() -> None:
    assert BUILDER_PRESETS["flashbots"].url == "https://relay.flashbots.net"
    assert SEPOLIA_PRESETS["flashbots"].url == "https://relay-sepolia.flashbots.net"
    assert BUILDER_PRESETS["titan"].url == "https://rpc.titanbuilder.xyz"
    for table in (BUILDER_PRESETS, SEPOLIA_PRESETS):
        for name, endpoint in table.items():
            assert endpoint.name == name and urlsplit(endpoint.url).scheme == "https"
    assert [e.name for e in presets(["titan", "flashbots"])] == ["titan", "flashbots"]
    with pytest.raises(KeyError, match="unknown builder preset 'nope'"):
        presets(["nope"])
