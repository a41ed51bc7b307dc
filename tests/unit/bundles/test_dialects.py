"""One internal bundle, every builder dialect: each recording builder (a double checking one builder's
published request shape) must see exactly its own dialect. The expected bodies are written out by hand."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from arbbot.execution.bundles.dialects import DIALECTS, InternalBundle, RefundIntent, normalise
from arbbot.execution.bundles.fanout import BUILDER_PRESETS, BuilderEndpoint, BundleFanout, FanoutReport
from arbbot.execution.bundles.signing import FlashbotsSigner, verify
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from arbbot.testing.recording_builder import SCHEMAS, RecordingBuilder

_victim = TransactionSigner("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", 1)
_ours = TransactionSigner("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", 1)
T0 = _victim.sign(to="0x70997970C51812dc3A010C7d01b50e0d17dc79C8", nonce=3, gas=21000, fees=Fees(10**10, 10**9))
T1 = _ours.sign(to="0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", nonce=0, gas=21000, fees=Fees(10**10, 10**9))
R0, R1, H0, H1 = T0.raw, T1.raw, T0.hash, T1.hash
U = "6f1b7e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"  # a version-4 uuid
RECIPIENT = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
AUTH = "test-account-token"
RECEIVED_MS = 1718030000123.456

# What each builder must receive for: txs [T0, T1], block 100, T0 may revert, uuid U, sequence 7, shared
# (where a relay multiplexes) with titan and rsync.
EXPECTED: dict[str, tuple[str, Any]] = {
    "flashbots": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                      "replacementUuid": U, "builders": ["titan", "rsync"]}]),
    "buildernet": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                       "replacementUuid": U, "replacementNonce": 7}]),
    "titan": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                  "replacementUuid": U, "replacementSeqNumber": 7}]),
    "beaverbuild": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                        "replacementUuid": U}]),
    "rsync": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                  "replacementUuid": U}]),
    "builder0x69": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                        "uuid": U}]),
    "jetbuilder": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                       "replacementUuid": U}]),
    "bloxroute": ("blxr_submit_bundle", {"transaction": [R0[2:], R1[2:]], "block_number": "0x64",
                                         "reverting_hashes": [H0], "uuid": U,
                                         "mev_builders": {"titan": "", "rsync": ""}}),
    "quasar": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                   "replacementUuid": U}]),
    "buildai": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                    "replacementUuid": U}]),
    "eth-builder": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                        "uuid": U}]),
    "tbuilder": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                     "replacementUuid": U}]),
    "eigenphi": ("eth_sendBundle", [{"txs": [R0, R1], "blockNumber": "0x64", "revertingTxHashes": [H0],
                                     "replacementUuid": U}]),
}  # fmt: skip


def _endpoint(name: str, server: RecordingBuilder) -> BuilderEndpoint:
    p = BUILDER_PRESETS[name]
    return BuilderEndpoint(name, server.url, cancel=p.cancel, dialect=p.dialect, auth_env=p.auth_env)


async def _fan_out(names: list[str], **send: Any) -> tuple[FanoutReport, dict[str, RecordingBuilder]]:
    servers = {n: RecordingBuilder(BUILDER_PRESETS[n].dialect, received_ms=lambda: RECEIVED_MS) for n in names}
    for s in servers.values():
        await s.__aenter__()
    try:
        endpoints = [_endpoint(n, servers[n]) for n in names]
        async with BundleFanout(endpoints, signer=FlashbotsSigner.random(), timeout=5.0) as fan:
            report = await fan.send([T0, T1], first_block=100, **send)
    finally:
        for s in servers.values():
            await s.__aexit__()
    return report, servers


@pytest.fixture
def bloxroute_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBBOT_BLOXROUTE_AUTH", AUTH)


def test_every_preset_has_a_dialect_and_a_schema() -> None:
    assert sorted(EXPECTED) == sorted(BUILDER_PRESETS)
    for p in BUILDER_PRESETS.values():
        assert p.dialect in DIALECTS and p.dialect in SCHEMAS, p.name
        assert DIALECTS[p.dialect].cancel == p.cancel, p.name  # the capability flag agrees with the dialect


@pytest.mark.usefixtures("bloxroute_auth")
def test_same_bundle_reaches_each_builder_in_exactly_its_dialect() -> None:
    names = sorted(BUILDER_PRESETS)
    report, servers = asyncio.run(
        _fan_out(names, reverting_tx_hashes=[H0], replacement_uuid=U, sequence=7, share_with=["titan", "rsync"])
    )
    for name in names:
        seen = servers[name].recorded
        assert len(seen) == 1, name
        method, params = EXPECTED[name]
        assert seen[0].json["method"] == method, name
        assert seen[0].json["params"] == params, name
        assert seen[0].error is None and seen[0].dropped is None, (name, seen[0].error)
    by = {o.builder: o for o in report.outcomes}
    assert all(o.ok for o in by.values()), [(o.builder, o.error) for o in report.failed]
    # Signed where the builder requires it, and the signature is over the exact bytes sent.
    for name in ("flashbots", "buildernet"):
        rec = servers[name].recorded[0]
        assert verify(rec.headers.get("X-Flashbots-Signature"), rec.body)
    assert servers["bloxroute"].recorded[0].headers["Authorization"] == AUTH
    assert "Authorization" not in servers["titan"].recorded[0].headers
    # Answers read back per dialect: BuilderNet's receive time, EigenPhi's null result, the bundle hash.
    assert by["buildernet"].received_ms == RECEIVED_MS
    assert by["titan"].received_ms is None
    assert by["eigenphi"].bundle_hash is None
    from eth_utils import keccak

    expected_hash = "0x" + keccak(bytes.fromhex(H0[2:]) + bytes.fromhex(H1[2:])).hex()
    assert by["titan"].bundle_hash == expected_hash
    assert {o.dialect for o in report.outcomes} == {BUILDER_PRESETS[n].dialect for n in names}
    assert all(o.latency_s > 0 for o in report.outcomes)


REFUND_CAPABLE = {"buildernet", "titan", "rsync", "builder0x69", "jetbuilder", "buildai"}


@pytest.mark.usefixtures("bloxroute_auth")
def test_refund_goes_only_where_it_can_be_expressed() -> None:
    names = sorted(BUILDER_PRESETS)
    refund = RefundIntent(90, RECIPIENT)
    report, servers = asyncio.run(_fan_out(names, replacement_uuid=U, refund=refund))
    by = {o.builder: o for o in report.outcomes}
    for name in names:
        if name in REFUND_CAPABLE:
            (rec,) = servers[name].recorded
            p = rec.json["params"][0]
            assert (p["refundPercent"], p["refundRecipient"]) == (90, RECIPIENT), name
            assert "refundTxHashes" not in p and "refundIndex" not in p  # the last tx is everyone's default
            assert by[name].ok and rec.dropped is None
        else:
            assert servers[name].recorded == [], name  # never sent wrongly
            assert by[name].kind == "refused" and "refund" in (by[name].error or ""), name


@pytest.mark.usefixtures("bloxroute_auth")
def test_refund_of_another_tx_uses_each_dialects_field_or_is_refused() -> None:
    names = sorted(REFUND_CAPABLE)
    report, servers = asyncio.run(_fan_out(names, replacement_uuid=U, refund=RefundIntent(50, RECIPIENT, tx_hash=H0)))
    by = {o.builder: o for o in report.outcomes}
    assert servers["buildernet"].recorded[0].json["params"][0]["refundTxHashes"] == [H0]
    assert servers["titan"].recorded[0].json["params"][0]["refundTxHashes"] == [H0]
    assert servers["jetbuilder"].recorded[0].json["params"][0]["refundIndex"] == 0
    for name in ("rsync", "builder0x69", "buildai"):  # refund from the last tx only
        assert servers[name].recorded == [] and by[name].kind == "refused", name
        assert "last transaction" in (by[name].error or "")


def test_rsync_refund_without_recipient_is_refused_not_sent() -> None:
    report, servers = asyncio.run(_fan_out(["rsync", "titan"], replacement_uuid=U, refund=RefundIntent(90)))
    by = {o.builder: o for o in report.outcomes}
    assert servers["rsync"].recorded == []
    assert by["rsync"].kind == "refused" and "refundRecipient" in (by["rsync"].error or "")
    # Titan defaults the recipient to the first tx's sender: the percent alone is sent there.
    assert servers["titan"].recorded[0].json["params"][0]["refundPercent"] == 90
    assert "refundRecipient" not in servers["titan"].recorded[0].json["params"][0]


def test_dropping_and_timestamps_only_where_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBBOT_BLOXROUTE_AUTH", AUTH)
    names = ["buildernet", "titan", "rsync", "bloxroute", "flashbots", "builder0x69", "eth-builder"]
    report, servers = asyncio.run(
        _fan_out(names, replacement_uuid=U, dropping_tx_hashes=[H0], max_timestamp=1_800_000_000)
    )
    by = {o.builder: o for o in report.outcomes}
    for name in ("buildernet", "titan", "rsync"):
        p = servers[name].recorded[0].json["params"][0]
        assert (p["droppingTxHashes"], p["maxTimestamp"]) == ([H0], 1_800_000_000), name
    p = servers["bloxroute"].recorded[0].json["params"]
    assert (p["dropping_hashes"], p["max_timestamp"]) == ([H0], 1_800_000_000)
    for name in ("flashbots", "builder0x69", "eth-builder"):
        assert servers[name].recorded == [] and by[name].kind == "refused", name
    assert "droppingTxHashes" in (by["flashbots"].error or "")


def test_uuid_v4_and_missing_credentials_refused_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBBOT_BLOXROUTE_AUTH", raising=False)
    v1 = "2c1a7d4e-9b7f-11ee-8c90-0242ac120002"  # a time-based (version 1) uuid
    report, servers = asyncio.run(_fan_out(["rsync", "titan", "bloxroute"], replacement_uuid=v1))
    by = {o.builder: o for o in report.outcomes}
    assert servers["rsync"].recorded == [] and "UUID v4" in (by["rsync"].error or "")
    assert servers["titan"].recorded[0].json["params"][0]["replacementUuid"] == v1  # any uuid there
    assert servers["bloxroute"].recorded == [] and "ARBBOT_BLOXROUTE_AUTH" in (by["bloxroute"].error or "")
    assert AUTH not in json.dumps([o.error for o in report.outcomes])


def test_signature_required_builder_is_not_sent_unsigned() -> None:
    async def run() -> tuple[FanoutReport, RecordingBuilder]:
        async with RecordingBuilder("buildernet") as server:
            endpoint = BuilderEndpoint("buildernet", server.url, cancel="empty_bundle", dialect="buildernet")
            async with BundleFanout([endpoint], timeout=5.0) as fan:
                return await fan.send([T0, T1], first_block=100), server

    report, server = asyncio.run(run())
    assert server.recorded == []
    assert report.outcomes[0].kind == "refused" and "signed" in (report.outcomes[0].error or "")


def test_multi_block_uuids_are_v4_so_rsync_accepts_them() -> None:
    report, servers = asyncio.run(_fan_out(["rsync", "flashbots"], replacement_uuid=U, blocks=3))
    assert all(o.ok for o in report.outcomes), [o.error for o in report.failed]
    sent = [r.json["params"][0]["replacementUuid"] for r in servers["rsync"].recorded]
    assert len(set(sent)) == 3 and all(u[14] == "4" for u in sent)


def test_rate_limit_is_enforced_client_side_without_waiting() -> None:
    now = [0.0]

    async def run() -> tuple[FanoutReport, FanoutReport, RecordingBuilder]:
        async with RecordingBuilder("buildernet", clock=lambda: now[0]) as server:
            endpoint = BuilderEndpoint("buildernet", server.url, cancel="empty_bundle", dialect="buildernet")
            async with BundleFanout([endpoint], signer=FlashbotsSigner.random(), timeout=5.0,
                                    clock=lambda: now[0]) as fan:  # fmt: skip
                first = await fan.send([T0, T1], first_block=100, blocks=101, replacement_uuid=U)
                now[0] = 10.0  # the window has passed
                second = await fan.send([T0, T1], first_block=300, replacement_uuid=U)
                return first, second, server

    first, second, server = asyncio.run(run())
    assert len(first.succeeded) == 100
    (limited,) = first.failed
    assert limited.kind == "rate_limited" and "100 req/10 s" in (limited.error or "")
    assert len(server.recorded) == 101 and all(r.error is None for r in server.recorded)  # never a 429
    assert second.outcomes[0].ok


# --- the doubles themselves answer as their builders would ---------------------------------------------


async def _post(server: RecordingBuilder, body: dict[str, Any], signer: FlashbotsSigner | None = None) -> Any:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(signer.headers(data) if signer else {})}
    async with aiohttp.ClientSession() as s, s.post(server.url, data=data, headers=headers) as resp:
        return resp.status, await resp.json()


def test_doubles_refuse_the_wrong_dialect() -> None:
    async def run() -> list[Any]:
        out = []
        async with RecordingBuilder("rsync") as rsync, RecordingBuilder("builder0x69") as b69, \
                RecordingBuilder("flashbots") as fb:  # fmt: skip
            req = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle"}
            # rsync: a non-v4 uuid is refused; refundPercent without recipient is accepted and dropped.
            out.append(
                await _post(rsync, {**req, "params": [{"txs": [R0], "replacementUuid": str(U[:14] + "1" + U[15:])}]})
            )
            out.append(await _post(rsync, {**req, "params": [{"txs": [R0], "refundPercent": 90}]}))
            out.append(rsync.recorded[-1].dropped)
            # builder0x69 has no droppingTxHashes; flashbots needs a signature.
            out.append(await _post(b69, {**req, "params": [{"txs": [R0], "droppingTxHashes": [H0]}]}))
            out.append(await _post(fb, {**req, "params": [{"txs": [R0], "blockNumber": "0x64"}]}))
            out.append(
                await _post(fb, {**req, "params": [{"txs": [R0], "blockNumber": "0x64"}]}, FlashbotsSigner.random())
            )
        return out

    bad_uuid, dropped, why, unknown, unsigned, signed = asyncio.run(run())
    assert bad_uuid[1]["error"]["message"] == "invalid params: replacementUuid must be a UUID v4"
    assert "result" in dropped[1] and why == "refundPercent without refundRecipient"
    assert unknown[1]["error"]["message"] == "invalid params: unknown field `droppingTxHashes`"
    assert unsigned[0] == 403 and signed[0] == 200


def test_normalise_is_pure_and_refuses_empty_cancel_where_unsupported() -> None:
    cancel = InternalBundle((), (), 100, replacement_uuid=U)
    assert normalise(cancel, DIALECTS["buildernet"]) == ("eth_sendBundle", [{"txs": [], "blockNumber": "0x64",
                                                                                "replacementUuid": U}])  # fmt: skip
    assert normalise(cancel, DIALECTS["titan"])[1][0]["txs"] == []  # Titan takes both ways
    with pytest.raises(ValueError, match="empty bundle"):
        normalise(cancel, DIALECTS["flashbots"])  # the relay cancels only through eth_cancelBundle
    with pytest.raises(ValueError, match=r"1\.\.99"):
        RefundIntent(100, RECIPIENT)


@pytest.mark.parametrize("value", ["1718030000123", True, -5, 1e300, None, [1]])
def test_an_odd_receive_time_is_not_trusted(value: Any) -> None:
    from arbbot.execution.bundles.client import BundleClient
    from tests.unit.bundles.scripted_server import ScriptedServer, result

    async def run() -> Any:
        reply = result({"bundleHash": "0x" + "ab" * 32, "receivedTimestampMs": value})
        async with ScriptedServer(reply) as server, BundleClient(server.url, dialect="buildernet",
                                                                 signer=FlashbotsSigner.random()) as c:  # fmt: skip
            return await c.send_bundle([T0], 100)

    answer = asyncio.run(run())
    assert answer.bundle_hash == "0x" + "ab" * 32 and answer.received_ms is None


def test_extra_fields_cannot_overwrite_the_dialects_own() -> None:
    async def run() -> tuple[FanoutReport, RecordingBuilder]:
        async with RecordingBuilder("titan") as server:
            endpoint = BuilderEndpoint("titan", server.url, cancel="endpoint", dialect="titan")
            async with BundleFanout([endpoint], timeout=5.0) as fan:
                return await fan.send([T0], first_block=100, extra={"blockNumber": "0x1"}), server

    report, server = asyncio.run(run())
    assert server.recorded == [] and report.outcomes[0].kind == "refused"
    assert "blockNumber" in (report.outcomes[0].error or "")


def test_connection_limit_is_honoured() -> None:
    """BuilderNet takes 3 connections: with every request held at the builder, never more than 3 arrive."""

    async def run() -> tuple[FanoutReport, RecordingBuilder]:
        async with RecordingBuilder("buildernet", hold=True) as server:
            endpoint = BuilderEndpoint("buildernet", server.url, cancel="empty_bundle", dialect="buildernet")
            async with BundleFanout([endpoint], signer=FlashbotsSigner.random(), timeout=10.0) as fan:
                handle = fan.start([T0, T1], first_block=100, blocks=6, replacement_uuid=U)

                async def pump() -> None:
                    for released in range(6):
                        while server.in_flight < min(3, 6 - released):
                            server.changed.clear()
                            await server.changed.wait()
                        server.release()

                await asyncio.wait_for(pump(), 10.0)
                return await handle.wait_all(), server

    report, server = asyncio.run(run())
    assert len(report.succeeded) == 6 and len(server.recorded) == 6
    assert server.peak == 3
