"""BundleClient request shapes and error handling, against a real local HTTP server that misbehaves."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from arbbot.execution.bundles.client import BundleClient, CallBundleResult
from arbbot.execution.bundles.errors import (
    EndpointBadResponse,
    EndpointError,
    EndpointHttpError,
    EndpointRpcError,
    EndpointTimeout,
    EndpointUnreachable,
    NonceTooLowError,
)
from arbbot.execution.bundles.signing import HEADER, FlashbotsSigner, verify
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, error, result

T = TypeVar("T")
REPUTATION_KEY = "0x" + "5e" * 32
TX_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
_signer = TransactionSigner(TX_KEY, 1)
TX1 = _signer.sign(to=TO, nonce=0, gas=21000, fees=Fees(10**10, 10**9), value=1)
TX2 = _signer.sign(to=TO, nonce=1, gas=21000, fees=Fees(10**10, 10**9), value=2)

# The eth_callBundle response example of bundles-spec A3 (from the Flashbots docs).
SPEC_CALL_RESULT = {
    "bundleGasPrice": "476190476193",
    "bundleHash": "0x73b1e258c7a42fd0230b2fd05529c5d4b6fcb66c227783f8bece8aeacdd1db2e",
    "coinbaseDiff": "20000000000126000",
    "ethSentToCoinbase": "20000000000000000",
    "gasFees": "126000",
    "results": [
        {
            "coinbaseDiff": "10000000000063000",
            "ethSentToCoinbase": "10000000000000000",
            "fromAddress": "0x02A727155aeF8609c9f7F2179b2a1f560B39F5A0",
            "gasFees": "63000",
            "gasPrice": "476190476193",
            "gasUsed": 21000,
            "toAddress": "0x73625f59CAdc5009Cb458B751b3E7b6b48C06f2C",
            "txHash": "0x669b4704a7d993a946cdd6e2f95233f308ce0c4649d2e04944e8299efcaa098a",
            "value": "0x",
        },
        {
            "coinbaseDiff": "10000000000063000",
            "ethSentToCoinbase": "10000000000000000",
            "fromAddress": "0x02A727155aeF8609c9f7F2179b2a1f560B39F5A0",
            "gasFees": "63000",
            "gasPrice": "476190476193",
            "gasUsed": 21000,
            "toAddress": "0x73625f59CAdc5009Cb458B751b3E7b6b48C06f2C",
            "txHash": "0xa839ee83465657cac01adc1d50d96c1b586ed498120a84a64749c0034b4f19fa",
            "error": "execution reverted",
            "revert": "nope",
        },
    ],
    "stateBlockNumber": 5221585,
    "totalGasUsed": 42000,
}


def with_server(reply: Any, body: Callable[[BundleClient, ScriptedServer], Awaitable[T]], **client_kw: Any) -> T:
    async def run() -> T:
        async with ScriptedServer(reply) as srv:
            kw = {"name": "testbuilder", "signer": FlashbotsSigner(REPUTATION_KEY), "timeout": 2.0, **client_kw}
            async with BundleClient(srv.url, **kw) as client:
                return await body(client, srv)

    return asyncio.run(run())


def test_send_bundle_request_shape_and_signature() -> None:
    u = uuid.uuid4()

    async def body(client: BundleClient, srv: ScriptedServer) -> None:
        res = await client.send_bundle(
            [TX1, TX2.raw],
            0xB63DCD,
            min_timestamp=0,
            max_timestamp=1615920932,
            reverting_tx_hashes=[TX2.hash.upper().replace("0X", "0x")],
            replacement_uuid=u,
        )
        assert res.bundle_hash == "0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f"
        assert res.builder == "testbuilder"
        (seen,) = srv.seen
        assert seen.json["jsonrpc"] == "2.0" and seen.method == "eth_sendBundle"
        assert seen.params == [
            {
                "txs": [TX1.raw, TX2.raw],
                "blockNumber": "0xb63dcd",
                "minTimestamp": 0,
                "maxTimestamp": 1615920932,
                "revertingTxHashes": [TX2.hash],
                "replacementUuid": str(u),
            }
        ]
        assert seen.headers["Content-Type"] == "application/json"
        # The header signs exactly the bytes that arrived.
        assert verify(seen.headers[HEADER], seen.body) == FlashbotsSigner(REPUTATION_KEY).address

    with_server(result({"bundleHash": "0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f"}), body)


def test_send_bundle_minimal_omits_unset_fields_and_accepts_null_result() -> None:
    async def body(client: BundleClient, srv: ScriptedServer) -> None:
        res = await client.send_bundle([TX1], 17)
        assert res.bundle_hash is None
        assert srv.seen[0].params == [{"txs": [TX1.raw], "blockNumber": "0x11"}]
        assert HEADER not in srv.seen[0].headers  # no signer configured

    with_server(result(None), body, signer=None)


def test_call_bundle_request_and_spec_response() -> None:
    async def body(client: BundleClient, srv: ScriptedServer) -> CallBundleResult:
        res = await client.call_bundle([TX1, TX2], 100, timestamp=1700000000, coinbase=TO.lower())
        res2 = await client.call_bundle([TX1], 100, state_block_number=99)
        assert srv.seen[0].method == "eth_callBundle"
        assert srv.seen[0].params == [
            {
                "txs": [TX1.raw, TX2.raw],
                "blockNumber": "0x64",
                "stateBlockNumber": "latest",
                "timestamp": 1700000000,
                "coinbase": TO,
            }
        ]
        assert srv.seen[1].params[0]["stateBlockNumber"] == "0x63"
        assert res2 == res
        return res

    res = with_server(result(SPEC_CALL_RESULT), body)
    assert res.bundle_gas_price == 476190476193 and res.coinbase_diff == 20000000000126000
    assert res.eth_sent_to_coinbase == 20 * 10**15 and res.gas_fees == 126000
    assert res.total_gas_used == 42000 and res.state_block_number == 5221585
    assert [r.gas_used for r in res.results] == [21000, 21000]
    assert res.results[0].coinbase_diff == res.results[0].gas_fees + res.results[0].eth_sent_to_coinbase
    assert res.results[0].coinbase_diff // res.results[0].gas_used == res.results[0].gas_price
    assert not res.results[0].reverted and res.results[0].value == "0x"
    assert res.first_revert is res.results[1] and res.results[1].revert == "nope"


def test_cancel_bundle_shape() -> None:
    u = "6b0e8e42-1c8c-4c4e-a4a2-3d2f1f6f1b0a"

    async def body(client: BundleClient, srv: ScriptedServer) -> Any:
        out = await client.cancel_bundle(u)
        assert srv.seen[0].method == "eth_cancelBundle"
        assert srv.seen[0].params == [{"replacementUuid": u}]
        return out

    assert with_server(result(200), body) == 200  # Titan's shape, returned as is


def test_invalid_arguments_send_nothing() -> None:
    async def body(client: BundleClient, srv: ScriptedServer) -> None:
        bad_calls = [
            client.send_bundle([], 1),
            client.send_bundle([TX1], 0),
            client.send_bundle([TX1], 1, min_timestamp=10, max_timestamp=5),
            client.send_bundle([TX1], 1, reverting_tx_hashes=["0x1234"]),
            client.send_bundle([TX1], 1, replacement_uuid="not-a-uuid"),
            client.send_bundle(TX1.raw, 1),  # type: ignore[arg-type]
            client.call_bundle([TX1], 1, coinbase="0x12"),
            client.cancel_bundle("nope"),
        ]
        for call in bad_calls:
            with pytest.raises((ValueError, TypeError)):
                await call
        assert srv.seen == []

    with_server(result(None), body)


ERROR_CASES = [
    (Reply(500, "upstream exploded"), EndpointHttpError, "HTTP 500: upstream exploded"),
    (Reply(429, ""), EndpointHttpError, "HTTP 429"),
    (
        error(-32600, "signature is required", status=403),
        EndpointRpcError,
        "error -32600: signature is required (HTTP 403)",
    ),
    (
        Reply(403, {"error": "error in signature check 0xabc"}),
        EndpointRpcError,
        "error: error in signature check 0xabc",
    ),
    (error(-32000, "unable to decode bundle"), EndpointRpcError, "error -32000: unable to decode bundle"),
    (error(-32000, "err: nonce too low; txhash 0x1"), NonceTooLowError, "nonce too low"),
    (Reply(200, "<html><body>Bad Gateway</body></html>"), EndpointBadResponse, "non-JSON body: <html>"),
    (Reply(200, ""), EndpointBadResponse, "empty body"),
    (Reply(200, '{"jsonrpc":"2.0","id":1,"res'), EndpointBadResponse, "non-JSON body"),
    (Reply(200, b"\xff\xfe\x00garbage"), EndpointBadResponse, "non-JSON body"),
    (Reply(200, [1, 2]), EndpointBadResponse, "not a JSON-RPC object"),
    (Reply(200, {"jsonrpc": "2.0", "id": 1}), EndpointBadResponse, "neither result nor error"),
    (result({"bundleHash": 5}), EndpointBadResponse, "unexpected result shape"),
    (result(["0xabc"]), EndpointBadResponse, "unexpected result shape"),
    (result({"smart": "true"}), EndpointBadResponse, "no bundleHash"),
]


@pytest.mark.parametrize(("reply", "exc_type", "detail"), ERROR_CASES, ids=[c[2][:30] for c in ERROR_CASES])
def test_send_bundle_errors_name_builder_and_method(reply: Reply, exc_type: type[EndpointError], detail: str) -> None:
    async def body(client: BundleClient, srv: ScriptedServer) -> EndpointError:
        with pytest.raises(exc_type) as info:
            await client.send_bundle([TX1], 5)
        return info.value

    exc = with_server(reply, body)
    assert type(exc) is exc_type
    assert exc.endpoint == "testbuilder" and exc.method == "eth_sendBundle"
    assert str(exc).startswith("testbuilder eth_sendBundle: ") and detail in str(exc)


def test_call_bundle_missing_field_is_bad_response() -> None:
    broken = {k: v for k, v in SPEC_CALL_RESULT.items() if k != "totalGasUsed"}

    async def body(client: BundleClient, srv: ScriptedServer) -> None:
        with pytest.raises(EndpointBadResponse, match=r"testbuilder eth_callBundle: .*totalGasUsed"):
            await client.call_bundle([TX1], 5)

    with_server(result(broken), body)


def test_timeout_is_per_request_and_named() -> None:
    async def body(client: BundleClient, srv: ScriptedServer) -> float:
        started = time.monotonic()
        with pytest.raises(EndpointTimeout, match=r"testbuilder eth_callBundle: no answer within 0.3s"):
            await client.call_bundle([TX1], 5)
        elapsed = time.monotonic() - started
        with pytest.raises(EndpointTimeout, match=r"within 0\.1s"):
            await client.send_bundle([TX1], 5, timeout=0.1)
        return elapsed

    elapsed = with_server(Reply(200, {"jsonrpc": "2.0", "id": 1, "result": None}, delay=30), body, timeout=0.3)
    assert 0.25 <= elapsed < 5


def test_unreachable_builder() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now

    async def run() -> None:
        async with BundleClient(f"http://127.0.0.1:{port}", name="gone", timeout=2.0) as client:
            with pytest.raises(EndpointUnreachable, match="gone eth_sendBundle: "):
                await client.send_bundle([TX1], 5)

    asyncio.run(run())


def test_secrets_stay_out_of_logs_errors_and_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    signer = FlashbotsSigner(REPUTATION_KEY)
    captured: list[str] = []

    async def run() -> None:
        async with ScriptedServer(Reply(502, "bad gateway")) as srv:
            url = f"http://user:hunter2@127.0.0.1:{srv.port}/rpc?apikey=SECRET123"
            async with BundleClient(url, signer=signer, timeout=2.0) as client:
                captured.append(repr(client))
                with pytest.raises(EndpointHttpError) as info:
                    await client.send_bundle([TX1], 5)
                captured.append(str(info.value))
                captured.append(srv.seen[0].headers[HEADER])

    asyncio.run(run())
    header_value = captured.pop()
    text = " ".join(captured) + caplog.text
    assert "5e" * 32 not in text
    assert "SECRET123" not in text and "hunter2" not in text
    assert header_value.split(":")[1] not in text  # the auth signature is not logged either
    assert "127.0.0.1" in captured[1] and signer.address in captured[0]
    assert "eth_sendBundle -> HTTP 502" in caplog.text  # the debug line exists and carries no secret
