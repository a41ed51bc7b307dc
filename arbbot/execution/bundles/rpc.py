"""Async JSON-RPC over HTTP (aiohttp) for one endpoint — a builder or a node — with errors that name it.

The request body is serialised once; when a signer is set, exactly those bytes are signed and sent
(bundles-spec A1: "sign the bytes actually sent"). Nothing secret is logged: log lines carry the endpoint
name, method, HTTP status and latency only; URLs are redacted (no user-info, no query string).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from arbbot.chain import shapes
from arbbot.chain.jsonrpc import (
    CONNECTION,
    DEFAULT_MAX_DEPTH,
    NO_RETRY,
    PER_BLOCK_RETRY,
    PER_BLOCK_TIMEOUT,
    TIMEOUT,
    Failure,
    RetryPolicy,
    excerpt,
    redact_url,
    too_deep,
    transient_rpc_error,
)
from arbbot.chain.transport import post_bounded
from arbbot.execution.bundles.errors import (
    EndpointBadResponse,
    EndpointError,
    EndpointHttpError,
    EndpointRpcError,
    EndpointTimeout,
    EndpointUnreachable,
    NonceTooLowError,
)
from arbbot.execution.bundles.signing import FlashbotsSigner

log = logging.getLogger(__name__)

__all__ = ["JsonRpcClient", "RpcCaller", "default_name", "excerpt", "is_nonce_too_low", "redact_url"]

DEFAULT_MAX_BYTES = 4 * 2**20  # a bundle answer is a few hundred bytes; a receipt or a header a few KB
NODE_RETRY = PER_BLOCK_RETRY


class RpcCaller(Protocol):
    """Anything that can make one JSON-RPC call (JsonRpcClient; a test may pass its own)."""

    async def call(self, method: str, params: Sequence[Any] | None = None) -> Any:
        """The call's `result`; an EndpointError naming the endpoint and method otherwise."""
        ...


def default_name(url: str) -> str:
    """An endpoint's display name from its URL: host and port, never credentials, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port is not None else host


def is_nonce_too_low(message: str) -> bool:
    """True for the 'nonce too low' family of messages (geth, reth, anvil, builders)."""
    text = message.lower().replace("_", " ")
    return "nonce too low" in text or "nonce is too low" in text or "noncetoolow" in text.replace(" ", "")


class JsonRpcClient:
    """One endpoint. Use `async with`, or call `close()`; a session passed in is left open for its owner.

    Answers are bounded like the node transport's (`max_bytes` while streaming, `max_depth` before parsing);
    `retry` (default: one attempt, as builders get) retries timeouts, dropped connections, garbled answers and
    HTTP 429/5xx; `check_ids`/`check_shapes` refuse answers to other requests and wrongly shaped results
    (for a node: see `for_node`).
    """

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        timeout: float = 5.0,
        signer: FlashbotsSigner | None = None,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        retry: RetryPolicy | None = None,
        check_ids: bool = False,
        check_shapes: bool = False,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.url = url
        self.name = name or default_name(url)
        self.timeout = timeout
        self.signer = signer
        self._session = session
        self._own_session = session is None
        self._headers = dict(headers or {})
        self._ids = itertools.count(1)
        self.max_bytes, self.max_depth = max_bytes, max_depth
        self.retry = retry or NO_RETRY
        self.check_ids, self.check_shapes = check_ids, check_shapes
        self._rng = random.Random()

    @classmethod
    def for_node(
        cls, url: str, *, name: str = "node", timeout: float = PER_BLOCK_TIMEOUT, **kwargs: Any
    ) -> JsonRpcClient:
        """A client for reading a node: retries, and answers checked for id and shape."""
        kwargs.setdefault("retry", NODE_RETRY)
        return cls(url, name=name, timeout=timeout, check_ids=True, check_shapes=True, **kwargs)

    def __repr__(self) -> str:
        signer = f", signer={self.signer.address}" if self.signer else ""
        return f"{type(self).__name__}(name={self.name!r}, url={redact_url(self.url)!r}{signer})"

    async def __aenter__(self) -> JsonRpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client opened it; a session passed in is left to its owner."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._own_session:
                raise RuntimeError(f"{self.name}: the session passed in is closed")
            self._session = aiohttp.ClientSession()
        return self._session

    def encode(self, method: str, params: Sequence[Any] | Mapping[str, Any] | None) -> tuple[int, bytes]:
        """The request id and the exact body bytes (compact JSON). `params` is a list, or one object for
        APIs that take named params (bloXroute)."""
        request_id = next(self._ids)
        shaped: Any = dict(params) if isinstance(params, Mapping) else list(params or [])
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": shaped}
        return request_id, json.dumps(body, separators=(",", ":")).encode()

    async def call(
        self, method: str, params: Sequence[Any] | Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """POST one request; return `result` or raise an EndpointError subclass naming endpoint and method."""
        request_id, body = self.encode(method, params)
        headers = {"Content-Type": "application/json", **self._headers}
        if self.signer is not None:
            headers.update(self.signer.headers(body))  # the exact bytes sent, every attempt
        limit = self.timeout if timeout is None else timeout
        policy = self.retry
        budget = policy.deadline if policy.deadline is not None else limit * policy.attempts + policy.max_delay
        deadline = time.monotonic() + budget
        attempt = 0
        while True:
            attempt += 1
            try:
                status, raw = await self._post(
                    method, body, headers, min(limit, max(0.001, deadline - time.monotonic()))
                )
                return self._decode(method, status, raw, request_id)
            except EndpointError as exc:
                if attempt >= policy.attempts or not _retryable(exc):
                    raise
                pause = policy.pause(attempt, self._rng)
                if time.monotonic() + pause >= deadline - 0.001:
                    raise
                log.debug("%s %s: %s; retrying", self.name, method, exc)
                await asyncio.sleep(pause)  # back-off between attempts

    async def _post(self, method: str, body: bytes, headers: Mapping[str, str], limit: float) -> tuple[int, bytes]:
        """One exchange through the node transport's bounded POST; its failure classes become EndpointErrors."""
        started = time.perf_counter()
        try:
            status, _headers, raw = await post_bounded(self._get_session(), self.url, body, headers, limit,
                                                       self.max_bytes)  # fmt: skip
        except Failure as f:
            raise _endpoint_error(self.name, method, f, limit) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("%s %s -> HTTP %s in %.1f ms", self.name, method, status, elapsed_ms)
        return status, raw

    def _decode(self, method: str, status: int, raw: bytes, request_id: int | None = None) -> Any:
        if too_deep(raw, self.max_depth):
            raise EndpointBadResponse(self.name, method, f"answer nested deeper than {self.max_depth} levels")
        try:
            data: Any = json.loads(raw)
            is_json = True
        except RecursionError:
            raise EndpointBadResponse(self.name, method, "answer nested too deeply to parse") from None
        except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
            data, is_json = None, False
        if isinstance(data, dict) and data.get("error") is not None:
            raise self._rpc_error(method, data["error"], status)
        if status != 200:
            raise EndpointHttpError(self.name, method, status, excerpt(raw))
        if not is_json:
            what = "empty body" if not raw.strip() else f"response is not JSON: {excerpt(raw)}"
            raise EndpointBadResponse(self.name, method, what)
        if not isinstance(data, dict):
            raise EndpointBadResponse(self.name, method, f"response is not a JSON-RPC object: {excerpt(raw)}")
        if "result" not in data:
            raise EndpointBadResponse(
                self.name, method, f"JSON-RPC response has neither result nor error: {excerpt(raw)}"
            )
        if self.check_ids and request_id is not None and data.get("id") not in (request_id, str(request_id)):
            raise EndpointBadResponse(self.name, method, f"answer id {excerpt(repr(data.get('id')), 40)} is not "
                                      f"the request's {request_id}")  # fmt: skip
        if self.check_shapes:
            try:
                shapes.check(method, data["result"])
            except shapes.BadShape as exc:
                raise EndpointBadResponse(self.name, method, str(exc)) from None
        return data["result"]

    def _rpc_error(self, method: str, error: Any, status: int) -> EndpointError:
        if isinstance(error, dict):
            code = error.get("code")
            code = code if isinstance(code, int) and not isinstance(code, bool) else None
            message = excerpt(str(error.get("message", "")), 500)
            data = error.get("data")
        else:  # observed relay shape: {"error": "error in signature check 0x…"}
            code, message, data = None, excerpt(str(error), 500), None
        cls = NonceTooLowError if is_nonce_too_low(message) else EndpointRpcError
        return cls(self.name, method, code, message, data, http_status=status)


def _endpoint_error(name: str, method: str, failure: Failure, limit: float) -> EndpointError:
    """A transport failure as the bundle client's error, naming the endpoint; `kind` kept for metrics."""
    if failure.kind == TIMEOUT:
        return EndpointTimeout(name, method, f"no answer within {limit:g}s")
    if failure.kind == CONNECTION:
        return EndpointUnreachable(name, method, failure.detail, kind=CONNECTION)
    return EndpointBadResponse(name, method, failure.detail, kind=failure.kind)


def _retryable(exc: EndpointError) -> bool:
    """Worth asking the same endpoint again (within the deadline)."""
    if isinstance(exc, NonceTooLowError):
        return False
    if isinstance(exc, EndpointRpcError):
        return transient_rpc_error(exc.code, exc.message)
    if isinstance(exc, EndpointHttpError):
        return exc.status in (408, 425, 429) or exc.status >= 500
    if isinstance(exc, EndpointUnreachable):
        return not exc.detail.startswith("invalid URL")
    return isinstance(exc, EndpointTimeout | EndpointBadResponse)
