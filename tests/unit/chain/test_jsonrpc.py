"""Judging answers without trusting them: nesting depth found without recursion, ids, shapes, busy errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.chain import shapes
from arbbot.chain.jsonrpc import Failure, RpcError, decode_json, failure_kind, too_deep, unwrap


def depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (the independent oracle: plain recursion on small values)."""
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


# Strings full of brackets, quotes and escapes: the depth scan must not count what is inside them.
_text = st.text(alphabet='[]{}"\\ ,:ab\n\u00e9', max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_json, st.integers(min_value=0, max_value=8))
def test_depth_scan_agrees_with_the_recursive_depth(value: Any, limit: int) -> None:
    raw = json.dumps(value).encode()
    assert too_deep(raw, limit) == (depth(value) > limit)


def test_hostile_nesting_is_refused_before_parsing() -> None:
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" * 200_000):
        with pytest.raises(Failure) as info:
            decode_json(raw, 64)
        assert info.value.kind == "malformed" and "nested" in info.value.detail
    assert decode_json(b'{"result":[[["]]]]"]]]}', 4) == {"result": [[["]]]]"]]]}


def test_ids_errors_and_shapes() -> None:
    assert unwrap("eth_blockNumber", {"jsonrpc": "2.0", "id": 7, "result": "0x10"}, 7) == "0x10"
    assert unwrap("eth_blockNumber", {"jsonrpc": "2.0", "id": "7", "result": "0x10"}, 7) == "0x10"
    bad = [
        ({"id": 8, "result": "0x10"}, "not the request's 7"),
        ({"id": 7, "result": None}, "not a hex quantity"),
        ({"id": 7, "result": "0xzz"}, "not a hex quantity"),
        ({"id": 7, "result": "12"}, "not a hex quantity"),
        ({"id": 7}, "neither result nor error"),
        ([{"id": 7, "result": "0x1"}], "not a JSON-RPC object"),
        ({"id": 8, "error": {"code": -32000, "message": "execution reverted"}}, "not the request's 7"),
    ]
    for body, why in bad:
        with pytest.raises(Failure, match=why) as info:
            unwrap("eth_blockNumber", body, 7)
        assert info.value.kind == "malformed"
    with pytest.raises(RpcError, match="execution reverted") as err:
        unwrap("eth_call", {"id": 7, "error": {"code": 3, "message": "execution reverted"}}, 7)
    assert failure_kind(err.value) == "rpc_error"
    busy = {"id": 7, "error": {"code": -32005, "message": "Rate limit exceeded, try again"}}
    with pytest.raises(Failure) as info:
        unwrap("eth_call", busy, 7)
    assert info.value.kind == "rpc_error" and info.value.retryable and info.value.rpc_error is not None


@pytest.mark.parametrize(
    ("method", "result"),
    [
        ("eth_getLogs", None),  # null is not "no logs"
        ("eth_getLogs", [{"address": "0x" + "11" * 20, "topics": ["0x12"], "data": "0x"}]),
        ("eth_getStorageAt", "0x" + "00" * 33),
        ("eth_getBlockByNumber", {"number": "0x1", "hash": "0x" + "11" * 32, "timestamp": "0x1"}),
        ("eth_getCode", "0x123"),
        ("eth_getTransactionReceipt", {"status": "yes"}),
        ("eth_getFilterChanges", None),  # null is not "no new transactions"
        ("txpool_content", None),
        ("txpool_content", {"pending": []}),
        ("txpool_content", {"pending": {"not-an-address": {}}}),
        ("txpool_content", {"pending": {"0x" + "11" * 20: {"0": None}}}),
        ("txpool_content", {"pending": {"0x" + "11" * 20: {"0": {"hash": "0x12"}}}}),
        ("txpool_content", {"queued": {"0x" + "11" * 20: {"0": {"hash": "0x" + "11" * 32, "input": "0x1"}}}}),
    ],
)
def test_wrong_shapes_are_refused(method: str, result: Any) -> None:
    with pytest.raises(shapes.BadShape):
        shapes.check(method, result)


def test_legitimate_nulls_and_unknown_methods_pass() -> None:
    for method in ("eth_getBlockByNumber", "eth_getTransactionByHash", "eth_getTransactionReceipt"):
        shapes.check(method, None)
    shapes.check("getAccountInfo", {"anything": [1, 2]})
    shapes.check("eth_getLogs", [])
    tx = {"hash": "0x" + "22" * 32, "from": "0x" + "11" * 20, "input": "0x", "nonce": "0x0"}
    shapes.check("txpool_content", {"pending": {"0x" + "11" * 20: {"0": tx}}, "queued": {}})
    shapes.check("txpool_content", {})  # an empty pool may leave both parts out


def test_failure_classes_of_any_exception() -> None:
    from arbbot.chain.jsonrpc import RpcTransportError

    assert failure_kind(TimeoutError()) == "timeout"
    assert failure_kind(ConnectionResetError()) == "connection"
    assert failure_kind(RecursionError()) == "malformed"
    assert failure_kind(RpcTransportError("x", kind="truncated")) == "truncated"
    assert failure_kind(LookupError("block 7 not found")) == "chain"  # a block seen at the head is gone
    gone = RpcError("eth_getBalance", -32602, "BlockOutOfRangeError: block height is 190 but requested was 191")
    assert failure_kind(gone) == "chain"
    assert failure_kind(RpcError("eth_call", 3, "execution reverted")) == "rpc_error"
    assert failure_kind(KeyError("x")) == "internal"


def test_batch_ids_that_are_not_ids_are_ignored() -> None:
    from arbbot.chain.transport import HttpTransport

    t = HttpTransport("http://127.0.0.1:9")
    pending = {1: ("eth_blockNumber", [])}
    out: dict[int, Any] = {}
    raw = json.dumps([{"id": "9" * 5000, "result": "0x1"}, {"id": None, "result": "0x2"}]).encode()
    problem = t._interpret_batch(raw, pending, out)
    assert problem is not None and problem.kind == "malformed" and pending and not out
