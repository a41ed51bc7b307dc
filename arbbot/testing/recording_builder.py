"""A recording builder: a TEST DOUBLE of one real builder's bundle endpoint, checking that builder's dialect.

It listens on 127.0.0.1 on a port picked at run time, records every request (headers and the exact body),
and validates each against the published request shape of ONE builder (bundles-spec A2, field-2026
"Builders and bundles"; the builders' own API pages): the method name, the params layout (a one-element
array for eth_sendBundle, one object for bloXroute's blxr_submit_bundle), the fields that builder accepts
and each field's type and range (uuid format, refund percent range, `refundTxHashes` of at most one,
`X-Flashbots-Signature` where it is mandatory, bloXroute's Authorization header). It answers in that
builder's response shape: `bundleHash` (keccak of the concatenated tx hashes), plus `receivedTimestampMs`
for BuilderNet, `smart: "true"` for Flashbots with `builders`, `result: null` for EigenPhi; Titan answers
200 to eth_cancelBundle, JetBuilder echoes the uuid.

Where a real builder may silently ignore an unknown field, this double refuses it (JSON-RPC -32602
"unknown field"), so a request in the wrong dialect is visible in a test. rsync's rule that a
`refundPercent` without `refundRecipient` drops the bundle is reproduced as rsync behaves: the request is
answered with a bundle hash and the record is marked `dropped` with the reason. A published rate limit is
enforced with its own window (answering HTTP 429 beyond it); `clock` and `received_ms` can be injected so
tests never depend on wall time. With `hold=True` every request waits until the test calls `release()`,
and `peak` says how many were in flight at once (to check a client's connection limit). Nothing here
builds blocks: for landing bundles see `local_builder`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid as uuid_lib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from eth_utils import is_address, keccak

from arbbot.execution.bundles.errors import SignatureError
from arbbot.execution.bundles.signing import verify

Check = Callable[[Any], str | None]  # None: fine; else what is wrong with the value


def _hex_str(v: Any, prefix: bool = True) -> bool:
    if not isinstance(v, str):
        return False
    if prefix:
        if not v.startswith("0x"):
            return False
        v = v[2:]
    elif v.startswith("0x"):
        return False
    try:
        bytes.fromhex(v)
    except ValueError:
        return False
    return len(v) > 0


def raw_txs(prefix: bool = True) -> Check:
    """A field check: a list of signed raw transactions as hex strings, with the `0x` prefix when `prefix` is true (the
    eth_sendBundle dialects) and without it otherwise (bloXroute's `transaction`).
    """

    def check(v: Any) -> str | None:
        if not isinstance(v, list) or not all(_hex_str(t, prefix) for t in v):
            return "must be a list of " + ("0x-hex" if prefix else "hex without 0x") + " signed transactions"
        return None

    return check


def hex_quantity(v: Any) -> str | None:
    """A field check: a non-empty `0x`-hex quantity such as `blockNumber`."""
    if isinstance(v, str) and v.startswith("0x") and len(v) > 2:
        try:
            int(v, 16)
            return None
        except ValueError:
            pass
    return "must be a hex quantity"


def uint(v: Any) -> str | None:
    """A field check: a non-negative integer (a bool is refused), such as a timestamp in seconds."""
    return None if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else "must be a non-negative integer"


def hashes(max_len: int | None = None) -> Check:
    """A field check: a list of 32-byte `0x`-hex hashes, at most `max_len` of them when given (`refundTxHashes` holds
    one).
    """

    def check(v: Any) -> str | None:
        if not isinstance(v, list) or not all(isinstance(h, str) and len(h) == 66 and _hex_str(h) for h in v):
            return "must be a list of 32-byte 0x-hex hashes"
        if max_len is not None and len(v) > max_len:
            return f"holds at most {max_len} hash"
        return None

    return check


def uuid_any(v: Any) -> str | None:
    """A field check: any string that parses as a UUID."""
    try:
        uuid_lib.UUID(v)
        return None
    except (ValueError, TypeError, AttributeError):
        return "must be a UUID"


def uuid_v4(v: Any) -> str | None:
    """A field check: a UUID of version 4, as Flashbots and rsync demand for `replacementUuid`."""
    if uuid_any(v) is not None:
        return "must be a UUID"
    return None if uuid_lib.UUID(v).version == 4 else "must be a UUID v4"


def percent(lo: int, hi: int) -> Check:
    """A field check: an integer from `lo` to `hi` inclusive (a builder's accepted `refundPercent` range)."""

    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"must be an integer in {lo}..{hi}"

    return check


def address(v: Any) -> str | None:
    """A field check: a 20-byte hex address (checksum-valid when mixed case)."""
    return None if isinstance(v, str) and is_address(v) else "must be an address"


def boolean(v: Any) -> str | None:
    """A field check: a JSON boolean."""
    return None if isinstance(v, bool) else "must be a boolean"


def names(v: Any) -> str | None:
    """A field check: a list of non-empty builder names (Flashbots' `builders`)."""
    return None if isinstance(v, list) and all(isinstance(n, str) and n for n in v) else "must be a list of names"


def builder_map(v: Any) -> str | None:
    """A field check: an object mapping builder names to signature strings (bloXroute's `mev_builders`)."""
    ok = isinstance(v, dict) and all(isinstance(k, str) and isinstance(s, str) for k, s in v.items())
    return None if ok else "must map builder names to signatures"


_BASE: dict[str, Check] = {
    "txs": raw_txs(),
    "blockNumber": hex_quantity,
    "minTimestamp": uint,
    "maxTimestamp": uint,
    "revertingTxHashes": hashes(),
}


@dataclass(frozen=True)
class BuilderSchema:
    """One builder's published request shape and answers."""

    name: str
    fields: Mapping[str, Check]
    method: str = "eth_sendBundle"
    object_params: bool = False  # params is one object (bloXroute), not a one-element array
    required: tuple[str, ...] = ("txs",)
    signature_required: bool = False
    auth_header: str | None = None  # a header that must be present (its value is not checked)
    received_timestamp: bool = False
    smart_with_builders: bool = False
    null_result: bool = False
    refund_needs_recipient: bool = False
    cancel_answer: Any = None  # eth_cancelBundle's result ("echo": the params; None: no such method there)
    rate_limit: tuple[int, float] | None = None  # requests per window (seconds)


def _schema(name: str, extra: Mapping[str, Check] = {}, **kw: Any) -> BuilderSchema:
    return BuilderSchema(name, {**_BASE, **extra}, **kw)


SCHEMAS: Mapping[str, BuilderSchema] = {
    s.name: s
    for s in (
        _schema("flashbots", {"replacementUuid": uuid_v4, "builders": names}, required=("txs", "blockNumber"),
                signature_required=True, smart_with_builders=True, cancel_answer=[]),
        _schema("buildernet", {"droppingTxHashes": hashes(), "replacementUuid": uuid_any, "uuid": uuid_any,
                               "replacementNonce": uint, "refundPercent": percent(1, 99), "refundRecipient": address,
                               "refundTxHashes": hashes(1), "refundIdentity": address, "delayedRefund": boolean,
                               "version": lambda v: None if v in ("v1", "v2") else "must be v1 or v2"},
                signature_required=True, received_timestamp=True, rate_limit=(100, 10.0)),
        _schema("titan", {"droppingTxHashes": hashes(), "replacementUuid": uuid_any, "replacementSeqNumber": uint,
                          "refundPercent": percent(0, 99), "refundRecipient": address, "refundTxHashes": hashes(1),
                          "refundIndex": uint},
                cancel_answer=200, rate_limit=(50, 1.0)),
        _schema("rsync", {"droppingTxHashes": hashes(), "replacementUuid": uuid_v4, "refundPercent": percent(0, 100),
                          "refundRecipient": address},
                refund_needs_recipient=True),
        _schema("builder0x69", {"uuid": uuid_any, "replacementUuid": uuid_any, "refundPercent": percent(0, 99),
                                "refundRecipient": address}),
        _schema("beaverbuild", {"replacementUuid": uuid_any}),
        _schema("jetbuilder", {"replacementUuid": uuid_any, "refundIndex": uint, "refundPercent": percent(0, 99),
                               "refundRecipient": address}, cancel_answer="echo"),
        BuilderSchema("bloxroute", {
            "transaction": raw_txs(prefix=False), "block_number": hex_quantity, "min_timestamp": uint,
            "max_timestamp": uint, "reverting_hashes": hashes(), "dropping_hashes": hashes(), "uuid": uuid_any,
            "mev_builders": builder_map, "priority_fee_refund": boolean, "refund_recipient": address,
        }, method="blxr_submit_bundle", object_params=True, required=("transaction", "block_number"),
            auth_header="Authorization"),
        _schema("quasar", {"replacementUuid": uuid_any}),
        _schema("buildai", {"replacementUuid": uuid_any, "refundPercent": percent(0, 99), "refundRecipient": address}),
        _schema("eth-builder", {"uuid": uuid_any, "replacementUuid": uuid_any}),
        _schema("tbuilder", {"replacementUuid": uuid_any}),
        _schema("eigenphi", {"replacementUuid": uuid_any}, null_result=True),
        _schema("generic", {"replacementUuid": uuid_any}, cancel_answer=[]),
    )
}  # fmt: skip


@dataclass
class Recorded:
    """One request as it arrived, and what the double made of it."""

    method: str | None
    body: bytes
    headers: dict[str, str]
    params: Any = None
    error: str | None = None  # what was answered as an error (None: accepted)
    dropped: str | None = None  # accepted but silently discarded, as that builder does
    received_ms: float | None = None

    @property
    def json(self) -> Any:
        """The request body parsed as JSON; raises `ValueError` if the body was not JSON."""
        return json.loads(self.body)


def _tx_hash(raw: str) -> bytes:
    return keccak(bytes.fromhex(raw[2:] if raw.startswith("0x") else raw))


class RecordingBuilder:
    """Test double of one builder's bundle endpoint, in the dialect named by `dialect` (a key of `SCHEMAS`).

    `async with RecordingBuilder("titan") as b:` then send to `b.url`; `b.recorded` holds the requests.
    """

    def __init__(
        self,
        dialect: str,
        *,
        clock: Callable[[], float] | None = None,
        received_ms: Callable[[], float] | None = None,
        hold: bool = False,
    ) -> None:
        self.schema = SCHEMAS[dialect]
        self.hold = hold
        self._gate: asyncio.Semaphore | None = None
        self.in_flight = self.peak = 0
        self.changed = asyncio.Event()
        self.recorded: list[Recorded] = []
        self.clock = clock or time.monotonic
        self.received_ms = received_ms or (lambda: time.time() * 1000)
        self._window: list[float] = []
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The base URL the double listens on (127.0.0.1, the port picked on entry); set only inside `async with`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def sends(self) -> list[Recorded]:
        """The recorded requests that called this builder's bundle method (cancels and other methods left out), in
        arrival order, refused ones included.
        """
        return [r for r in self.recorded if r.method == self.schema.method]

    def release(self) -> None:
        """Let one held request be answered."""
        assert self._gate is not None, "not holding requests"
        self._gate.release()

    async def __aenter__(self) -> RecordingBuilder:
        self._gate = asyncio.Semaphore(0) if self.hold else None
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _answer(self, rec: Recorded, request_id: Any, result: Any = None, *, code: int = 0, message: str = "",
                status: int = 200) -> web.Response:  # fmt: skip
        if code:
            rec.error = message
            body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
        else:
            body = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        rec = Recorded(None, body, dict(request.headers))
        self.recorded.append(rec)
        if self._gate is not None:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.changed.set()
            try:
                await self._gate.acquire()
            finally:
                self.in_flight -= 1
        s = self.schema
        if s.rate_limit is not None:
            now = self.clock()
            self._window = [t for t in self._window if now - t < s.rate_limit[1]]
            if len(self._window) >= s.rate_limit[0]:
                return self._answer(rec, None, code=-32005, message="rate limit exceeded", status=429)
            self._window.append(now)
        try:
            data = json.loads(body)
        except ValueError:
            return self._answer(rec, None, code=-32700, message="parse error", status=400)
        if not isinstance(data, dict):
            return self._answer(rec, None, code=-32600, message="invalid request", status=400)
        rid, rec.method, rec.params = data.get("id"), data.get("method"), data.get("params")
        if s.signature_required:
            try:
                verify(request.headers.get("X-Flashbots-Signature"), body)
            except SignatureError as exc:
                return self._answer(rec, rid, code=-32600, message=str(exc), status=403)
        if s.auth_header is not None and not request.headers.get(s.auth_header):
            return self._answer(rec, rid, code=-32600, message=f"missing {s.auth_header} header", status=401)
        if rec.method == "eth_cancelBundle" and s.cancel_answer is not None:
            return self._cancel(rec, rid)
        if rec.method != s.method:
            return self._answer(
                rec, rid, code=-32601, message=f"the method {rec.method} does not exist/is not available"
            )
        obj: dict[str, Any] | None
        if s.object_params:
            obj = rec.params if isinstance(rec.params, dict) else None
        else:
            ok = isinstance(rec.params, list) and len(rec.params) == 1 and isinstance(rec.params[0], dict)
            obj = rec.params[0] if ok else None
        if obj is None:
            shape = "one object" if s.object_params else "a one-element array holding an object"
            return self._answer(rec, rid, code=-32602, message=f"invalid params: expected {shape}")
        for key in obj:
            if key not in s.fields:
                return self._answer(rec, rid, code=-32602, message=f"invalid params: unknown field `{key}`")
        for key in s.required:
            if key not in obj:
                return self._answer(rec, rid, code=-32602, message=f"invalid params: missing field `{key}`")
        for key, value in obj.items():
            problem = s.fields[key](value)
            if problem is not None:
                return self._answer(rec, rid, code=-32602, message=f"invalid params: {key} {problem}")
        if s.refund_needs_recipient and "refundPercent" in obj and "refundRecipient" not in obj:
            rec.dropped = "refundPercent without refundRecipient"
        txs = obj.get("txs", obj.get("transaction", []))
        result: Any = {"bundleHash": "0x" + keccak(b"".join(_tx_hash(t) for t in txs)).hex()}
        if s.received_timestamp:
            rec.received_ms = self.received_ms()
            result["receivedTimestampMs"] = rec.received_ms
        if s.smart_with_builders and obj.get("builders"):
            result["smart"] = "true"
        if s.null_result:
            result = None
        return self._answer(rec, rid, result)

    def _cancel(self, rec: Recorded, rid: Any) -> web.Response:
        s = self.schema
        ok = isinstance(rec.params, list) and len(rec.params) == 1 and isinstance(rec.params[0], dict)
        if not ok or set(rec.params[0]) != {"replacementUuid"} or uuid_any(rec.params[0]["replacementUuid"]):
            return self._answer(rec, rid, code=-32602, message="invalid params: expected [{replacementUuid}]")
        answer = rec.params[0] if s.cancel_answer == "echo" else s.cancel_answer
        return self._answer(rec, rid, answer)
