"""The node transport against a real anvil behind the fault proxy: every class of bad answer is classified,
counted, retried and survived (sync and async faces, single calls and batches); what cannot be survived ends
in one clear line naming the method, the endpoint, the attempts and the class."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.chain.anvil import AnvilNode, rpc
from arbbot.chain.jsonrpc import InvalidEndpoint, RetryPolicy, RpcError, RpcTransportError, TransportEvent
from arbbot.chain.transport import AsyncHttpTransport, HttpTransport
from arbbot.testing.fault_proxy import HTTP_CLASSES, FaultProxy, Faults

FAST = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.005)
CAP = 2**20

# Which failure class each injected fault must be counted as (batch_shuffled is legal JSON-RPC: no failure).
EXPECTED_KIND = {
    "http_429": "http_status", "http_503": "http_status", "garbage": "malformed", "truncated": "truncated",
    "half_json": "malformed", "slow": "timeout", "dropped": "connection", "nested": "malformed",
    "huge": "too_large", "wrong_id": "malformed", "null_result": "malformed", "bad_hex": "malformed",
    "batch_missing": "malformed", "batch_shuffled": None,
}  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    with AnvilNode(log_path=Path(tmp_path_factory.mktemp("anvil")) / "anvil.log") as n:
        for _ in range(3):
            rpc(n.url, "evm_mine")
        yield n


def _faults(cls: str, n: int = 2) -> Faults:
    return Faults(**{cls: n}, slow_range=(1.0, 1.2), huge_bytes=4 * CAP)


def _calls() -> list[tuple[str, list[object]]]:
    return [("eth_getBlockByNumber", [hex(i), False]) for i in range(4)] + [("eth_blockNumber", [])]


def test_every_class_is_classified_counted_and_survived_sync(node: AnvilNode) -> None:
    truth = HttpTransport(node.url).batch(_calls())
    for cls in HTTP_CLASSES:
        events: list[TransportEvent] = []
        with FaultProxy(node.url, _faults(cls)) as proxy:
            t = HttpTransport(proxy.url, timeout=0.5, retry=FAST, max_bytes=CAP, observer=events.append)
            if cls.startswith("batch_"):
                assert t.batch(_calls()) == truth, cls
                assert t.batch(_calls()) == truth, cls
            else:
                assert t.call("eth_blockNumber") == truth[-1], cls
                assert t.call("eth_getBlockByNumber", ["0x2", False]) == truth[2], cls
            t.close()
        assert proxy.faults.injected == {cls: 2}, cls
        kind = EXPECTED_KIND[cls]
        if kind is None:
            assert events == [] and sum(t.failures.values()) == 0
            continue
        assert [e.kind for e in events] == [kind, kind], (cls, events)
        assert t.failures[kind] == 2 and sum(t.failures.values()) == 2, (cls, t.failures)
        assert all(not e.final and e.source == "node" and e.detail for e in events)


def test_every_class_is_classified_counted_and_survived_async(node: AnvilNode) -> None:
    truth = HttpTransport(node.url).batch(_calls())

    async def one(cls: str) -> tuple[dict[str, int], dict[str, int]]:
        with FaultProxy(node.url, _faults(cls)) as proxy:
            async with AsyncHttpTransport(proxy.url, timeout=0.5, retry=FAST, max_bytes=CAP) as t:
                if cls.startswith("batch_"):
                    assert await t.batch(_calls()) == truth, cls
                    assert await t.batch(_calls()) == truth, cls
                else:
                    assert await t.call("eth_blockNumber") == truth[-1], cls
                    assert await t.call("eth_getBlockByNumber", ["0x2", False]) == truth[2], cls
        return proxy.faults.injected, t.failures

    for cls in HTTP_CLASSES:
        injected, failures = asyncio.run(one(cls))
        assert injected == {cls: 2}, cls
        kind = EXPECTED_KIND[cls]
        if kind is None:
            assert sum(failures.values()) == 0
        else:
            assert failures[kind] == 2 and sum(failures.values()) == 2, (cls, failures)


def test_a_truncated_body_at_start_up_is_retried(node: AnvilNode) -> None:
    """The ChunkedEncodingError case: the body ends before its Content-Length, the connection closes."""
    with FaultProxy(node.url, Faults(truncated=1)) as proxy:
        t = HttpTransport(proxy.url, retry=FAST)
        assert int(t.call("eth_chainId"), 16) == 31337
    assert t.failures["truncated"] == 1 and t.requests_sent == 2


def test_giving_up_is_one_clear_line(node: AnvilNode) -> None:
    events: list[TransportEvent] = []
    with FaultProxy(node.url, Faults(http_503=100)) as proxy:
        t = HttpTransport(proxy.url, retry=RetryPolicy(attempts=3, base_delay=0.001), observer=events.append)
        with pytest.raises(RpcTransportError) as info:
            t.call("eth_blockNumber")
    err = info.value
    assert err.kind == "http_status" and err.attempts == 3 and err.method == "eth_blockNumber"
    assert str(err) == f"RPC eth_blockNumber to {proxy.url} failed after 3 attempts: HTTP 503 [http_status]"
    assert [e.final for e in events] == [False, False, True]


def test_node_errors_are_answers_not_retried(node: AnvilNode) -> None:
    with FaultProxy(node.url, Faults(unavailable=("debug_",))) as proxy:
        t = HttpTransport(proxy.url, retry=FAST)
        with pytest.raises(RpcError, match="does not exist") as info:
            t.call("debug_traceTransaction", ["0x" + "00" * 32])
    assert t.requests_sent == 1 and info.value.code == -32601 and info.value.kind == "rpc_error"


def test_bad_endpoints_fail_at_once_with_their_name() -> None:
    for url in ("htp://127.0.0.1:8545", "http://", "127.0.0.1:8545", "http://host:99999", "http://a b"):
        with pytest.raises(InvalidEndpoint, match="invalid endpoint URL"):
            HttpTransport(url)
    t = HttpTransport("http://nowhere.invalid:8545", timeout=2, retry=RetryPolicy(attempts=2, base_delay=0.001))
    with pytest.raises(RpcTransportError) as info:
        t.call("eth_chainId")
    assert info.value.kind == "connection" and "\n" not in str(info.value)
    assert "nowhere.invalid" in str(info.value)


def test_deadline_bounds_a_call_whatever_the_attempts(node: AnvilNode) -> None:
    with FaultProxy(node.url, Faults(slow=100, slow_range=(3.0, 3.0))) as proxy:
        t = HttpTransport(proxy.url, timeout=0.4, retry=RetryPolicy(attempts=50, base_delay=0.001, deadline=1.0))
        with pytest.raises(RpcTransportError) as info:
            t.call("eth_blockNumber")
    assert info.value.kind == "timeout"
    assert 2 <= t.requests_sent <= 3  # 1.0 s of deadline holds at most three 0.4 s attempts


def _drip_server(stop: threading.Event) -> tuple[socket.socket, str]:
    """A raw HTTP server that promises a body and sends it one byte every 0.1 s (a slow-loris answer)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                body = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}' + b" " * 1000
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                )
                for b in body:
                    if stop.wait(0.1):  # the drip is the fault; the wait also ends it at teardown
                        return
                    try:
                        conn.sendall(bytes([b]))
                    except OSError:
                        break

    threading.Thread(target=serve, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.getsockname()[1]}"


def test_a_drip_fed_answer_cannot_outlast_the_attempt_deadline() -> None:
    stop = threading.Event()
    srv, url = _drip_server(stop)
    try:
        t = HttpTransport(url, timeout=0.5, retry=RetryPolicy(attempts=2, base_delay=0.001))
        with pytest.raises(RpcTransportError) as info:
            t.call("eth_blockNumber")
        assert info.value.kind == "timeout" and info.value.attempts == 2
        assert "bytes read" in str(info.value)
    finally:
        stop.set()
        srv.close()


def test_batches_with_missing_or_bad_items_ask_again_for_those_only(node: AnvilNode) -> None:
    truth = HttpTransport(node.url).batch(_calls())
    with FaultProxy(node.url, Faults(batch_missing=1, bad_hex=1)) as proxy:
        t = HttpTransport(proxy.url, retry=FAST)
        assert t.batch(_calls()) == truth
        assert t.batch(_calls()) == truth
    assert t.failures["malformed"] == 2
    assert proxy.faults.injected == {"batch_missing": 1, "bad_hex": 1}


def test_a_slow_answer_is_hedged_not_waited_for(node: AnvilNode) -> None:
    """With hedging, an answer still missing after `hedge_after` is asked again; the first answer wins, so a
    3 s answer costs one extra request, not an attempt timeout (and is no failure)."""
    with FaultProxy(node.url, Faults(slow=1, slow_range=(3.0, 3.0))) as proxy:
        t = HttpTransport(proxy.url, timeout=5.0, retry=FAST, hedge_after=0.2)
        assert t.call("eth_blockNumber") == HttpTransport(node.url).call("eth_blockNumber")
        assert t.hedges == 1 and t.requests_sent == 2 and sum(t.failures.values()) == 0
        t.close()

    async def run() -> int:
        with FaultProxy(node.url, Faults(slow=1, slow_range=(3.0, 3.0))) as proxy:
            async with AsyncHttpTransport(proxy.url, timeout=5.0, retry=FAST, hedge_after=0.2) as t:
                await t.call("eth_blockNumber")
                assert t.hedges == 1 and sum(t.failures.values()) == 0
                return t.requests_sent

    assert asyncio.run(run()) == 2
