"""JsonRpcClient is a face of the node transport: its retries, Retry-After, observer, signing and refusals.

Against a real local HTTP server (`ScriptedServer`) that answers what each test scripts.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from arbbot.chain.jsonrpc import InvalidEndpoint, RetryPolicy, RpcError, RpcTransportError, TransportEvent
from arbbot.chain.transport import AsyncHttpTransport
from arbbot.execution.bundles.errors import (
    EndpointBadResponse,
    EndpointHttpError,
    EndpointRpcError,
    EndpointTimeout,
    NonceTooLowError,
)
from arbbot.execution.bundles.rpc import JsonRpcClient
from arbbot.execution.bundles.signing import HEADER, FlashbotsSigner, verify
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, Seen, error, result

T = TypeVar("T")
KEY = "0x" + "5e" * 32
QUICK = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.001)


def answering(*replies: Reply) -> Callable[[Seen], Reply]:
    """Answer the n-th request with the n-th reply (the last one again after that), echoing the request id."""
    seen_times: list[float] = []

    def respond(seen: Seen) -> Reply:
        seen_times.append(time.monotonic())
        reply = replies[min(len(seen_times), len(replies)) - 1]
        if isinstance(reply.body, dict) and "id" in reply.body and isinstance(seen.json, dict):
            return Reply(reply.status, {**reply.body, "id": seen.json["id"]}, reply.delay, reply.headers)
        return reply

    respond.times = seen_times  # type: ignore[attr-defined]
    return respond


def run(respond: Callable[[Seen], Reply], body: Callable[[ScriptedServer], Awaitable[T]]) -> T:
    async def go() -> T:
        async with ScriptedServer(respond) as srv:
            return await body(srv)

    return asyncio.run(go())


def test_retry_after_is_waited_for_before_the_next_attempt() -> None:
    respond = answering(Reply(429, "slow down", headers={"Retry-After": "0.3"}), result("0x1"))

    async def body(srv: ScriptedServer) -> Any:
        async with JsonRpcClient(srv.url, name="b", retry=QUICK, timeout=2.0) as client:
            return await client.call("eth_sendBundle", [{}])

    assert run(respond, body) == "0x1"
    first, second = respond.times  # type: ignore[attr-defined]
    # The policy alone would pause at most 1 ms; the builder asked for 300.
    assert second - first >= 0.3


def test_failed_attempts_reach_the_observer_under_the_endpoint_name() -> None:
    events: list[TransportEvent] = []
    respond = answering(Reply(503, "busy"), Reply(200, "<html>"), result("0x2"))

    async def body(srv: ScriptedServer) -> Any:
        async with JsonRpcClient(srv.url, name="titan", retry=QUICK, observer=events.append) as client:
            return await client.call("eth_sendBundle", [{}]), client.transport.requests_sent

    assert run(respond, body) == ("0x2", 3)
    assert [(e.source, e.method, e.kind, e.final) for e in events] == [
        ("titan", "eth_sendBundle", "http_status", False),
        ("titan", "eth_sendBundle", "malformed", False),
    ]


def test_giving_up_names_the_endpoint_the_status_and_the_body() -> None:
    events: list[TransportEvent] = []

    async def body(srv: ScriptedServer) -> EndpointHttpError:
        client = JsonRpcClient(srv.url, name="rsync", retry=RetryPolicy(attempts=2, base_delay=0.001),
                               observer=events.append)  # fmt: skip
        async with client:
            with pytest.raises(EndpointHttpError) as info:
                await client.call("eth_sendBundle", [{}])
        return info.value

    exc = run(answering(Reply(502, "bad gateway")), body)
    assert str(exc) == "rsync eth_sendBundle: HTTP 502: bad gateway" and exc.status == 502
    assert [e.final for e in events] == [False, True]


def test_every_attempt_is_signed_over_the_bytes_it_sends() -> None:
    signer = FlashbotsSigner(KEY)

    async def body(srv: ScriptedServer) -> list[Seen]:
        async with JsonRpcClient(srv.url, name="b", signer=signer, retry=QUICK) as client:
            assert await client.call("eth_sendBundle", [{"txs": ["0x01"], "blockNumber": "0x5"}]) == "0x3"
            assert await client.call("eth_cancelBundle", [{"replacementUuid": "x"}]) == "0x3"
        return srv.seen

    seen = run(answering(Reply(500, ""), result("0x3")), body)
    assert len(seen) == 3 and seen[0].body == seen[1].body != seen[2].body
    for request in seen:
        assert verify(request.headers[HEADER], request.body) == signer.address


def test_a_refusal_with_a_json_rpc_error_is_the_answer_and_is_not_retried() -> None:
    async def body(srv: ScriptedServer) -> EndpointRpcError:
        async with JsonRpcClient(srv.url, name="b", retry=QUICK) as client:
            with pytest.raises(EndpointRpcError) as info:
                await client.call("eth_sendBundle", [{}])
        return info.value

    respond = answering(error(-32600, "signature is required", status=403))
    exc = run(respond, body)
    assert (exc.code, exc.message, exc.http_status) == (-32600, "signature is required", 403)
    assert len(respond.times) == 1  # type: ignore[attr-defined]


def test_a_transient_json_rpc_error_is_retried_and_nonce_too_low_is_not() -> None:
    async def body(srv: ScriptedServer) -> Any:
        async with JsonRpcClient(srv.url, name="b", retry=QUICK) as client:
            return await client.call("eth_sendBundle", [{}])

    assert run(answering(error(-32005, "rate limit exceeded"), result("0x4")), body) == "0x4"

    async def nonce(srv: ScriptedServer) -> int:
        async with JsonRpcClient(srv.url, name="b", retry=QUICK) as client:
            with pytest.raises(NonceTooLowError):
                await client.call("eth_sendRawTransaction", ["0x02"])
        return len(srv.seen)

    assert run(answering(error(-32000, "nonce too low")), nonce) == 1


def test_answers_to_another_request_are_refused_only_when_ids_are_checked() -> None:
    other = Reply(body={"jsonrpc": "2.0", "id": 999, "result": "0x5"})

    async def body(srv: ScriptedServer) -> Any:
        async with JsonRpcClient(srv.url, name="b") as lenient:
            assert await lenient.call("eth_sendBundle", [{}]) == "0x5"
        async with JsonRpcClient.for_node(srv.url, retry=RetryPolicy(attempts=2, base_delay=0.001)) as node:
            with pytest.raises(EndpointBadResponse, match=r"node eth_blockNumber: answer id 999 is not the request"):
                await node.call("eth_blockNumber")

    run(lambda seen: other, body)


def test_named_params_are_sent_as_one_object() -> None:
    async def body(srv: ScriptedServer) -> Any:
        async with JsonRpcClient(srv.url, name="bloxroute") as client:
            await client.call("blxr_submit_bundle", {"transaction": ["aa"], "block_number": "0x5"})
        return srv.seen[0].json

    sent = run(answering(result("ok")), body)
    assert sent["params"] == {"transaction": ["aa"], "block_number": "0x5"} and sent["method"] == "blxr_submit_bundle"


def test_a_silent_endpoint_times_out_once_per_attempt() -> None:
    async def body(srv: ScriptedServer) -> tuple[EndpointTimeout, int]:
        policy = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.001)
        async with JsonRpcClient(srv.url, name="b", retry=policy, timeout=0.2) as client:
            with pytest.raises(EndpointTimeout) as info:
                await client.call("eth_callBundle", [{}])
        return info.value, len(srv.seen)

    exc, asked = run(answering(Reply(200, None, delay=30)), body)
    assert asked == 3
    # The last attempt gets what is left of the call's deadline (the pauses took a little of it).
    assert re.fullmatch(r"b eth_callBundle: no answer within 0\.[12]\d*s \(after 3 attempts\)", str(exc)), str(exc)


def test_an_invalid_url_is_refused_in_one_line_before_anything_is_sent() -> None:
    with pytest.raises(InvalidEndpoint) as info:
        JsonRpcClient("ftp://user:secret@builder.example/rpc", name="b")
    assert "\n" not in str(info.value) and "secret" not in str(info.value)


def test_the_node_transport_reads_a_refusal_for_one_call_but_not_for_a_batch() -> None:
    refusal = error(-32601, "method not allowed", status=403)

    async def body(srv: ScriptedServer) -> tuple[RpcError, RpcTransportError]:
        async with AsyncHttpTransport(srv.url, retry=QUICK) as node:
            with pytest.raises(RpcError) as one:
                await node.call("debug_traceCall", [{}])
            with pytest.raises(RpcTransportError) as many:
                await node.batch([("eth_chainId", []), ("eth_blockNumber", [])])
        return one.value, many.value

    one, many = run(answering(refusal), body)
    assert (one.code, one.http_status) == (-32601, 403) and "(HTTP 403)" in str(one)
    assert many.kind == "http_status" and many.status == 403 and "method not allowed" in many.body
