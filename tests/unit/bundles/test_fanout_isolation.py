"""A hostile or broken builder stays inside its own outcome: nesting, size, any exception, slowness; outcomes
are handed over as they arrive; a builder that keeps failing is paused and said so. Builders here are real
HTTP servers on 127.0.0.1 (ScriptedServer) answering what each test scripts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from arbbot.execution.bundles import fanout as fanout_mod
from arbbot.execution.bundles.client import BundleClient
from arbbot.execution.bundles.fanout import BuilderEndpoint, BundleFanout
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, result

_signer = TransactionSigner("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", 1)
TX = _signer.sign(to="0x70997970C51812dc3A010C7d01b50e0d17dc79C8", nonce=0, gas=21000, fees=Fees(10**10, 10**9))
GOOD = result({"bundleHash": "0x" + "ab" * 32})
NESTED = Reply(body=b'{"jsonrpc":"2.0","id":1,"result":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
HUGE = Reply(body=b'{"jsonrpc":"2.0","id":1,"result":{"bundleHash":"0x' + b"00" * (3 * 2**20) + b'"}}')


def test_every_kind_of_bad_builder_stays_in_its_own_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    real_send = BundleClient.send_bundle

    async def send_or_explode(self: BundleClient, *args: Any, **kwargs: Any) -> Any:
        if self.name == "explodes":
            raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")
        return await real_send(self, *args, **kwargs)

    monkeypatch.setattr(BundleClient, "send_bundle", send_or_explode)

    async def run() -> dict[str, tuple[str | None, str | None]]:
        async with (
            ScriptedServer(GOOD) as good,
            ScriptedServer(NESTED) as nested,
            ScriptedServer(HUGE) as huge,
            ScriptedServer(GOOD) as explodes,
            ScriptedServer(Reply(body=GOOD.body, delay=30)) as slow,
        ):
            builders = [BuilderEndpoint("good", good.url), BuilderEndpoint("nested", nested.url),
                        BuilderEndpoint("huge", huge.url), BuilderEndpoint("explodes", explodes.url),
                        BuilderEndpoint("slow", slow.url)]  # fmt: skip
            async with BundleFanout(builders, signer=FlashbotsSigner.random(), timeout=1.0) as fan:
                report = await fan.send([TX], first_block=100)
        return {o.builder: (o.kind, o.error_type) for o in report.outcomes}

    got = asyncio.run(run())
    assert got == {
        "good": (None, None),
        "nested": ("malformed", "EndpointBadResponse"),
        "huge": ("too_large", "EndpointBadResponse"),
        "explodes": ("internal", "RecursionError"),
        "slow": ("timeout", "EndpointTimeout"),
    }


def test_outcomes_are_handed_over_as_they_arrive() -> None:
    async def run() -> None:
        async with ScriptedServer(GOOD) as good, ScriptedServer(Reply(body=GOOD.body, delay=30)) as slow:
            builders = [BuilderEndpoint("slow", slow.url), BuilderEndpoint("good", good.url)]
            async with BundleFanout(builders, timeout=5.0) as fan:
                handle = fan.start([TX], first_block=100)
                first = await handle.first_accepted()
                # The good answer is in hand while the slow builder still has seconds of its timeout left.
                assert first is not None and first.builder == "good" and not handle.finished
                assert [o.builder for o in handle.report.outcomes] == ["good"]
                handle.cancel()

    asyncio.run(run())


def test_a_builder_that_keeps_failing_is_paused_then_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout_mod, "BACKOFF_BASE_S", 30.0)
    health: list[tuple[str, bool]] = []
    state = {"status": 503}

    def flaky(_seen: object) -> Reply:
        return GOOD if state["status"] == 200 else Reply(status=state["status"], body="busy")

    async def run() -> None:
        async with ScriptedServer(flaky) as srv, ScriptedServer(GOOD) as good:
            builders = [BuilderEndpoint("flaky", srv.url), BuilderEndpoint("good", good.url)]
            on_health = lambda name, paused, why: health.append((name, paused))  # noqa: E731
            async with BundleFanout(builders, timeout=1.0, backoff_after=3, on_health=on_health) as fan:
                for _ in range(3):
                    report = await fan.send([TX], first_block=100)
                    assert report.accepted_by(100) == ["good"]
                assert fan.paused() == ["flaky"] and len(srv.seen) == 3
                report = await fan.send([TX], first_block=100)
                backed = next(o for o in report.outcomes if o.builder == "flaky")
                assert backed.kind == "backed_off" and "3 failures in a row" in (backed.error or "")
                assert len(srv.seen) == 3  # nothing was sent to it while paused
                # The pause ends; it answers again and is no longer paused.
                fan.health["flaky"].paused_until = 0.0
                state["status"] = 200
                report = await fan.send([TX], first_block=100)
                assert sorted(report.accepted_by(100)) == ["flaky", "good"] and fan.paused() == []

    asyncio.run(run())
    assert health == [("flaky", True), ("flaky", False)]


def test_a_refusal_is_an_answer_not_a_failure() -> None:
    refuse = Reply(body={"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "bundle simulation failed"}})

    async def run() -> None:
        async with (
            ScriptedServer(refuse) as srv,
            BundleFanout([BuilderEndpoint("strict", srv.url)], timeout=1.0, backoff_after=2) as fan,
        ):
            for _ in range(4):
                report = await fan.send([TX], first_block=100)
                assert report.outcomes[0].kind == "rpc_error"
            assert fan.paused() == [] and len(srv.seen) == 4

    asyncio.run(run())
