"""JSON-RPC answers, judged: failure classes, errors, retry policy, size/depth-safe decoding, envelopes.

Pure functions and small types shared by every face of the node transport (`arbbot.chain.transport` for
HTTP, `arbbot.chain.ws` for WebSocket) and by the bundle RPC client. No I/O here.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arbbot.chain import shapes
from arbbot.chain.urls import public_url, url_problem
from arbbot.errors import ArbbotError

TIMEOUT = "timeout"  # no complete answer within the attempt's deadline
HTTP_STATUS = "http_status"  # an HTTP status other than 200 (429, 503, ...)
MALFORMED = "malformed"  # not JSON, too deeply nested, wrong id, wrong shape, missing batch items
TRUNCATED = "truncated"  # the body ended before its declared length
CONNECTION = "connection"  # refused, reset, dropped before an answer, DNS
TOO_LARGE = "too_large"  # the body is over the size cap
RPC_ERROR = "rpc_error"  # the node answered a JSON-RPC error object
KINDS = (TIMEOUT, HTTP_STATUS, MALFORMED, TRUNCATED, CONNECTION, TOO_LARGE, RPC_ERROR)
# Not a transport failure: the chain moved under a read (a block seen at the head is gone: a reorg).
CHAIN = "chain"

DEFAULT_MAX_BYTES = 32 * 2**20  # a wide eth_getLogs can be tens of MB; a hostile body is cut off here
DEFAULT_MAX_DEPTH = 64  # node answers are 3-5 levels deep; call traces are the exception (see depth_for)
TRACE_MAX_DEPTH = 900  # below the interpreter's recursion limit: json.loads itself recurses
JSON_HEADERS = {"Content-Type": "application/json"}
EXCERPT_CHARS = 120


class RpcError(ArbbotError):
    """The node answered with a JSON-RPC error object."""

    kind = RPC_ERROR

    def __init__(
        self, method: str, code: int | None, message: str, data: Any = None, *, http_status: int = 200
    ) -> None:
        status = f" (HTTP {http_status})" if http_status != 200 else ""
        super().__init__(f"RPC {method} error {code}: {message}{status}")
        self.method, self.code, self.message, self.data = method, code, message, data
        self.http_status = http_status  # a refusal may come with a 4xx status (403 on a bad signature)


class RpcTransportError(ArbbotError):
    """The node could not be reached or answered garbage, after all retries. `kind` is one of KINDS."""

    def __init__(
        self, message: str, *, kind: str = CONNECTION, method: str = "", attempts: int = 1, detail: str = "",
        status: int | None = None, body: str = "",
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.kind, self.method, self.attempts = kind, method, attempts
        self.detail = detail or message  # the last attempt's failure, without the endpoint
        self.status, self.body = status, body  # the HTTP status and an excerpt of its body (kind http_status)


class InvalidEndpoint(RpcTransportError):
    """The URL itself cannot be used (not http(s)://host...): retrying would not help."""


@dataclass(frozen=True)
class TransportEvent:
    """One failed attempt. `final`: the call gave up with it (otherwise it is retried)."""

    source: str  # "node", "ws", "fork", or a builder's name
    method: str
    kind: str
    detail: str
    final: bool


Observer = Callable[[TransportEvent], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried: at most `attempts` tries, full-jitter exponential pauses, within `deadline` seconds."""

    attempts: int = 5
    base_delay: float = 0.05
    max_delay: float = 2.0
    deadline: float | None = None  # seconds for the whole call, retries included (None: attempts x timeout)

    def pause(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


NO_RETRY = RetryPolicy(attempts=1)
# Reads that serve one block (its logs, its header, a receipt): short attempts, so a 2-10 s answer is abandoned and
# asked again, within a deadline that still fits a block or two.
PER_BLOCK_TIMEOUT = 1.0
PER_BLOCK_RETRY = RetryPolicy(attempts=10, base_delay=0.05, max_delay=0.5, deadline=15.0)
PER_BLOCK_HEDGE = 0.4  # seconds before an unanswered per-block read is sent again
# Start-up and batch jobs (discovery, a full sync, the chain id): patient, they run once.
STARTUP_RETRY = RetryPolicy(attempts=10, base_delay=0.1, max_delay=2.0)


class Failure(Exception):
    """One attempt's failure (internal): classified, and whether another attempt may help."""

    def __init__(
        self, kind: str, detail: str, *, retryable: bool = True, retry_after: float | None = None,
        rpc_error: RpcError | None = None, status: int | None = None, body: str = "",
    ) -> None:  # fmt: skip
        super().__init__(detail)
        self.kind, self.detail, self.retryable = kind, detail or kind, retryable
        self.retry_after, self.rpc_error = retry_after, rpc_error
        self.status, self.body = status, body


# ---------------------------------------------------------------------------------------------- helpers


def encode_request(request_id: int, method: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> bytes:
    """The exact bytes of one JSON-RPC request (compact JSON): what is sent, and what a signer signs.

    `params` is a list, or one object for the APIs that take named params (bloXroute)."""
    shaped: Any = dict(params) if isinstance(params, Mapping) else list(params or [])
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": shaped}
    return json.dumps(body, separators=(",", ":")).encode()


def encode_batch(items: Mapping[int, tuple[str, Sequence[Any]]]) -> bytes:
    """The bytes of one JSON-RPC batch: `items` maps each request id to its method and params."""
    payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in items.items()]
    return json.dumps(payload, separators=(",", ":")).encode()


def redact_url(url: str) -> str:
    """The URL as logs and errors may show it: scheme and host only (keys hide in user info and paths)."""
    return public_url(url)


def check_url(url: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """The URL if it is usable as an endpoint; InvalidEndpoint (one line, naming it) otherwise."""
    problem = url_problem(url, schemes)
    if problem is not None:
        raise InvalidEndpoint(f"invalid endpoint URL: {problem}")
    return url.strip()


def excerpt(raw: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """A short printable rendering of an answer body, for error messages."""
    head = raw[: limit * 4]  # never decode a whole (possibly huge) body for a few words of it
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    text = " ".join(text.split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit] + "…"


def describe(exc: BaseException) -> str:
    """Never an empty message: some exceptions (TimeoutError(), CancelledError) carry no text."""
    text = str(exc).strip()
    if not text and exc.__cause__ is not None:
        text = str(exc.__cause__).strip()
    return text or f"{type(exc).__name__} (no detail)"


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_OPENERS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def too_deep(raw: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit`, found without recursion.

    Strings are blanked (they may hold brackets), every other byte but brackets is dropped, and innermost
    pairs are removed one level per pass: a document of depth d is empty after d passes.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    s = _STRING.sub(b"", raw).translate(_OPENERS, _NOT_BRACKET)
    for _ in range(limit):
        if not s:
            return False
        shorter = s.replace(b"[]", b"")
        if len(shorter) == len(s):  # unbalanced: not JSON; deep if it opens more than the limit
            return s.count(b"[") > limit
        s = shorter
    return bool(s)


def decode_json(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse an answer body after refusing empty or too deeply nested JSON; a `Failure` (malformed) otherwise."""
    if not raw.strip():
        raise Failure(MALFORMED, "empty body")
    if too_deep(raw, max_depth):
        raise Failure(MALFORMED, f"JSON nested deeper than {max_depth} levels ({len(raw)} bytes)")
    try:
        return json.loads(raw)
    except RecursionError:
        raise Failure(MALFORMED, "JSON nested too deeply to parse") from None
    except ValueError:  # includes UnicodeDecodeError
        raise Failure(MALFORMED, f"non-JSON body: {excerpt(raw)}") from None


# Reads that move a cursor on the node: the answer is consumed by sending the request, so a second request (a retry
# or a hedge) would not get it again. Sent once; the caller recovers what a lost answer held.
SENT_ONCE = frozenset({"eth_getFilterChanges"})

# Answers that are small by nature get a small cap: a 50 MB "storage word" is refused after 64 KB, not 32 MB.
_SMALL = ("eth_blockNumber", "eth_chainId", "eth_getBalance", "eth_getTransactionCount", "eth_getStorageAt",
          "eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_estimateGas", "eth_subscribe", "eth_getRawTransactionByHash",
          "eth_getTransactionByHash", "eth_newPendingTransactionFilter")  # fmt: skip
SMALL_MAX_BYTES = 256 * 1024
CODE_MAX_BYTES = 1024 * 1024  # eth_getCode: contract code is at most 24 KB (48 KB as hex); initcode 48 KB


# A busy mainnet pool's `txpool_content` is tens of MB: allowed this much whatever the client's usual cap.
TXPOOL_MAX_BYTES = 128 * 2**20


def cap_for(method: str, default: int) -> int:
    """The answer size cap of `method`: small for scalar answers, one code size for `eth_getCode`, the pool's size
    for `txpool_content`, else `default`."""
    if method == "txpool_content":
        return max(default, TXPOOL_MAX_BYTES)
    if method in _SMALL:
        return min(default, SMALL_MAX_BYTES)
    if method == "eth_getCode":
        return min(default, CODE_MAX_BYTES)
    return default


def depth_for(method: str, default: int = DEFAULT_MAX_DEPTH) -> int:
    """The JSON nesting allowed in answers to `method`: deeper for call traces, `default` otherwise."""
    return TRACE_MAX_DEPTH if method.startswith(("debug_trace", "trace_")) else default


_TRANSIENT_RPC = ("rate limit", "too many requests", "capacity", "header not found", "try again", "timeout")


_GONE = ("unknown block", "blockoutofrange", "block not found", "header not found", "block height is")


def block_gone(message: str) -> bool:
    """A node error that says the block asked about is not (or no longer) on its chain: a reorg, not a fault."""
    text = message.lower().replace(" ", "")
    return any(g.replace(" ", "") in text for g in _GONE)


def transient_rpc_error(code: Any, message: str) -> bool:
    """JSON-RPC errors that mean "busy" or "not synced yet" rather than "no": worth asking again."""
    text = message.lower()
    return code in (429, -32029) or any(t in text for t in _TRANSIENT_RPC)


def rpc_error(method: str, error: Any, *, http_status: int = 200) -> RpcError:
    """A JSON-RPC `error` member as an RpcError (code kept only when it is an integer, message bounded in length).

    A relay may answer a bare string (`{"error": "error in signature check 0x…"}`): its text is the message."""
    if isinstance(error, dict):
        code = error.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        message = excerpt(str(error.get("message", "")), 500)
        return RpcError(method, code, message, error.get("data"), http_status=http_status)
    return RpcError(method, None, excerpt(str(error), 500), http_status=http_status)


def _same_id(got: Any, sent: int) -> bool:
    return (isinstance(got, int) and not isinstance(got, bool) and got == sent) or got == str(sent)


def unwrap(method: str, body: Any, request_id: int | None, *, check_shape: bool = True) -> Any:
    """The result of one JSON-RPC answer, or Failure / RpcError. `request_id` None: any id is accepted."""
    if not isinstance(body, dict):
        raise Failure(MALFORMED, f"answer is not a JSON-RPC object: {excerpt(json.dumps(body)[:400])}")
    error = body.get("error")
    if error is not None:
        # An error about a request we never sent is as wrong as a result for one.
        if request_id is not None and body.get("id") is not None and not _same_id(body.get("id"), request_id):
            raise Failure(MALFORMED, f"answer id {excerpt(repr(body.get('id')), 40)} is not the request's {request_id}")
        err = rpc_error(method, error)
        if transient_rpc_error(err.code, err.message):
            raise Failure(RPC_ERROR, err.message, rpc_error=err)
        raise err
    if request_id is not None and not _same_id(body.get("id"), request_id):
        raise Failure(MALFORMED, f"answer id {excerpt(repr(body.get('id')), 40)} is not the request's {request_id}")
    if "result" not in body:
        raise Failure(MALFORMED, "answer has neither result nor error")
    result = body["result"]
    if check_shape:
        try:
            shapes.check(method, result)
        except shapes.BadShape as exc:
            raise Failure(MALFORMED, f"{method}: {exc}") from None
    return result


ERROR_BODY_MAX_BYTES = 64 * 1024  # a refusal's JSON-RPC error object is small; a larger body is not read for one


def status_failure(status: int, raw: bytes, headers: Any, method: str | None = None) -> Failure:
    """A non-200 HTTP answer as a `Failure`: retryable for 408/425/429/5xx, with any `Retry-After` seconds honoured.

    A refusal (any other status) whose body is a JSON-RPC error object carries it as `rpc_error`: endpoints
    answer a bad signature with 403 and the reason, and that reason is the answer, not a transport fault. Read
    only for one call (`method` given): a batch's refusal stays a transport failure."""
    retry_after = None
    value = headers.get("Retry-After") if headers is not None else None
    if value is not None:
        try:
            retry_after = max(0.0, float(value))
        except ValueError:
            retry_after = None
    retryable = status in (408, 425, 429) or status >= 500
    detail = f"HTTP {status}" if retryable else f"HTTP {status}: {excerpt(raw)}"
    refusal = None
    if method is not None and not retryable and 0 < len(raw) <= ERROR_BODY_MAX_BYTES:
        try:
            body = decode_json(raw)
        except Failure:
            body = None
        if isinstance(body, dict) and body.get("error") is not None:
            refusal = rpc_error(method, body["error"], http_status=status)
    return Failure(HTTP_STATUS, detail, retryable=retryable, retry_after=retry_after, rpc_error=refusal,
                   status=status, body=excerpt(raw))  # fmt: skip


def failure_kind(exc: BaseException) -> str:
    """The failure class of any exception a node, builder or fork read raised ("internal" if none fits)."""
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str) and kind in KINDS and not (kind == RPC_ERROR and block_gone(str(exc))):
        return kind
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return TIMEOUT
    if isinstance(exc, ConnectionError):
        return CONNECTION
    if isinstance(exc, RecursionError | json.JSONDecodeError | shapes.BadShape):
        return MALFORMED
    gone = isinstance(exc, LookupError) and not isinstance(exc, KeyError | IndexError)  # not a parsing slip
    if gone or (kind == RPC_ERROR and block_gone(str(exc))):
        return CHAIN
    return "internal"
