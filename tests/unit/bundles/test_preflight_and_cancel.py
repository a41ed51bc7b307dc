"""Preflight (eth_callBundle before eth_sendBundle) and withdrawal dialects of the fan-out, against real HTTP
servers that answer as builders do (scripted test doubles: no builder can run here)."""

from __future__ import annotations

import asyncio
import uuid

from eth_abi import encode

from arbbot.config import SearcherSettings
from arbbot.engine.factory import builder_endpoints
from arbbot.execution.bundles.fanout import BUILDER_PRESETS, BuilderEndpoint, BundleFanout, block_uuid
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, Seen, error, result

_signer = TransactionSigner("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", 1)
TX = _signer.sign(to="0x70997970C51812dc3A010C7d01b50e0d17dc79C8", nonce=0, gas=21000, fees=Fees(10**10, 10**9))
SENT = {"bundleHash": "0x" + "ab" * 32}
# Error("too little received"), as a builder that hex-encodes revert data sends it.
TOO_LITTLE = "0x" + (bytes.fromhex("08c379a0") + encode(["string"], ["too little received"])).hex()


def _sim(*, revert: str | None = None, error_text: str | None = None) -> dict:
    entry = {
        "txHash": TX.hash, "gasUsed": 21000, "fromAddress": _signer.address, "toAddress": "0x" + "70" * 20,
        "coinbaseDiff": "210000", "ethSentToCoinbase": "0", "gasFees": "210000", "gasPrice": "10",
    }  # fmt: skip
    if error_text is not None:
        entry["error"] = error_text
    if revert is not None:
        entry["revert"] = revert
    if error_text is None and revert is None:
        entry["value"] = "0x"
    return {
        "bundleGasPrice": "10", "bundleHash": "0x" + "cd" * 32, "coinbaseDiff": "210000",
        "ethSentToCoinbase": "0", "gasFees": "210000", "results": [entry], "stateBlockNumber": 99,
        "totalGasUsed": 21000,
    }  # fmt: skip


def builder(sim: dict | None) -> object:
    """A builder whose eth_callBundle answers `sim` (None: method not found) and that accepts every send."""

    def respond(seen: Seen) -> Reply:
        if seen.method == "eth_callBundle":
            return (
                error(-32601, "the method eth_callBundle does not exist/is not available")
                if sim is None
                else result(sim)
            )
        if seen.method == "eth_cancelBundle":
            return result([])
        return result(SENT)

    return respond


def test_a_bundle_goes_only_to_builders_whose_preflight_passes() -> None:
    async def run() -> tuple:
        async with (
            ScriptedServer(builder(_sim())) as passes,
            ScriptedServer(builder(_sim(error_text="execution reverted", revert=TOO_LITTLE))) as fails,
            ScriptedServer(builder(None)) as blind,  # no eth_callBundle at all (preset says it has none)
        ):
            builders = [
                BuilderEndpoint("passes", passes.url, call_bundle=True),
                BuilderEndpoint("fails", fails.url, call_bundle=True),
                BuilderEndpoint("blind", blind.url),
            ]
            async with BundleFanout(builders, signer=FlashbotsSigner.random(), preflight=True) as fan:
                report = await fan.send([TX], first_block=100)
            return report, passes.seen, fails.seen, blind.seen

    report, passes_seen, fails_seen, blind_seen = asyncio.run(run())
    assert [s.method for s in passes_seen] == ["eth_callBundle", "eth_sendBundle"]
    assert [s.method for s in fails_seen] == ["eth_callBundle"]  # never sent there
    assert [s.method for s in blind_seen] == ["eth_sendBundle"]  # never asked to simulate
    call = passes_seen[0].params[0]
    assert call["blockNumber"] == hex(100) and call["stateBlockNumber"] == "latest" and call["txs"] == [TX.raw]
    assert sorted(o.builder for o in report.succeeded) == ["blind", "passes"]
    assert set(report.accepted_by(100)) == {"blind", "passes"}
    [rejected] = report.failed
    assert rejected.builder == "fails" and rejected.method == "eth_callBundle" and rejected.kind == "rejected"
    assert (
        rejected.error
        == f'preflight: tx {TX.hash} fails at this builder (execution reverted: Error("too little received"))'
    )
    ok_pre = [o for o in report.outcomes if o.method == "eth_callBundle" and o.ok]
    assert [o.builder for o in ok_pre] == ["passes"]


def test_a_preflight_refusal_does_not_pause_the_builder() -> None:
    """A bundle failing there is not the builder failing: it is asked again, and not backed off."""

    async def run() -> list[str]:
        async with ScriptedServer(builder(_sim(error_text="execution reverted"))) as fails:
            endpoint = BuilderEndpoint("fails", fails.url, call_bundle=True)
            async with BundleFanout([endpoint], preflight=True, backoff_after=2) as fan:
                for block in range(100, 105):
                    await fan.send([TX], first_block=block)
                assert fan.paused() == []
            return [s.method for s in fails.seen]

    assert asyncio.run(run()) == ["eth_callBundle"] * 5


def test_a_builder_without_eth_call_bundle_is_learned_once() -> None:
    async def run() -> tuple:
        async with ScriptedServer(builder(None)) as plain:
            endpoint = BuilderEndpoint("plain", plain.url, call_bundle=True)  # claimed, but not there
            async with BundleFanout([endpoint], preflight=True) as fan:
                first = await fan.send([TX], first_block=100)
                second = await fan.send([TX], first_block=101)
            return first, second, [s.method for s in plain.seen]

    first, second, methods = asyncio.run(run())
    assert methods == ["eth_callBundle", "eth_sendBundle", "eth_sendBundle"]
    assert [o.method for o in first.outcomes] == ["eth_sendBundle"] and first.outcomes[0].ok
    assert [o.method for o in second.outcomes] == ["eth_sendBundle"] and second.outcomes[0].ok


def test_an_unanswered_preflight_keeps_the_bundle_from_that_builder() -> None:
    """Fail closed: no simulation answer (HTTP 503 here) means no send to that builder."""

    async def run() -> tuple:
        async with ScriptedServer(Reply(503, "overloaded")) as down:
            endpoint = BuilderEndpoint("down", down.url, call_bundle=True)
            async with BundleFanout([endpoint], preflight=True) as fan:
                report = await fan.send([TX], first_block=100)
            return report, [s.method for s in down.seen]

    report, methods = asyncio.run(run())
    assert methods == ["eth_callBundle"]
    assert report.succeeded == [] and report.failed[0].method == "eth_callBundle"


def test_withdrawal_in_each_builders_dialect_only_where_it_was_accepted() -> None:
    u = uuid.uuid4()

    async def run() -> tuple:
        async with (
            ScriptedServer(builder(_sim())) as endpoint_b,
            ScriptedServer(builder(_sim())) as empty_b,
            ScriptedServer(builder(_sim())) as none_b,
            ScriptedServer(Reply(503, "overloaded")) as refused_b,
        ):
            builders = [
                BuilderEndpoint("endpoint", endpoint_b.url, cancel="endpoint"),
                BuilderEndpoint("empty", empty_b.url, cancel="empty_bundle"),
                BuilderEndpoint("none", none_b.url, cancel="none"),
                BuilderEndpoint("refused", refused_b.url, cancel="endpoint"),
            ]
            async with BundleFanout(builders, signer=FlashbotsSigner.random()) as fan:
                report = await fan.send([TX], first_block=100, blocks=2, replacement_uuid=u)
                for server in (endpoint_b, empty_b, none_b, refused_b):
                    server.seen.clear()
                cancel = await fan.cancel(report, dialects=True)
            return cancel, endpoint_b.seen, empty_b.seen, none_b.seen, refused_b.seen

    cancel, endpoint_seen, empty_seen, none_seen, refused_seen = asyncio.run(run())
    per_block = {b: block_uuid(u, b) for b in (100, 101)}
    assert [(s.method, s.params[0]["replacementUuid"]) for s in endpoint_seen] == [
        ("eth_cancelBundle", per_block[100]), ("eth_cancelBundle", per_block[101]),
    ]  # fmt: skip
    # The empty-bundle dialect: eth_sendBundle with no transactions under the uuid, for its block.
    assert [(s.method, s.params[0]["txs"], s.params[0]["blockNumber"], s.params[0]["replacementUuid"])
            for s in empty_seen] == [
        ("eth_sendBundle", [], hex(100), per_block[100]), ("eth_sendBundle", [], hex(101), per_block[101]),
    ]  # fmt: skip
    assert none_seen == [] and refused_seen == []  # cannot withdraw / never had it
    assert sorted((o.builder, o.block_number) for o in cancel.outcomes) == [
        ("empty", 100), ("empty", 101), ("endpoint", 100), ("endpoint", 101),
    ]  # fmt: skip
    assert all(o.method == "eth_cancelBundle" and o.ok for o in cancel.outcomes)


def test_capabilities_come_from_presets_and_the_config_overrides_them() -> None:
    assert BUILDER_PRESETS["flashbots"].call_bundle and BUILDER_PRESETS["flashbots"].cancel == "endpoint"
    assert not BUILDER_PRESETS["titan"].call_bundle and BUILDER_PRESETS["titan"].cancel == "endpoint"
    assert BUILDER_PRESETS["buildernet"].cancel == "empty_bundle"
    assert BUILDER_PRESETS["eigenphi"].cancel == "none"
    cfg = SearcherSettings.model_validate(
        {
            "builders": [
                {"name": "flashbots"},
                {"name": "titan", "call_bundle": True},
                {"name": "mine", "url": "http://127.0.0.1:8545"},
                {"name": "quiet", "url": "http://127.0.0.1:8546", "call_bundle": False, "cancel": "none"},
            ]
        }
    )
    got = {e.name: (e.call_bundle, e.cancel) for e in builder_endpoints(cfg)}
    assert got == {
        "flashbots": (True, "endpoint"),
        "titan": (True, "endpoint"),
        "mine": (True, "endpoint"),
        "quiet": (False, "none"),
    }
