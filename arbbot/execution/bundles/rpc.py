"""Async JSON-RPC over HTTP for one endpoint — a builder or a node — with errors that name it.

A face of the one node transport (`arbbot.chain.transport.AsyncHttpTransport`): the same request bytes, size
and depth caps, retry loop (Retry-After honoured), failure classes and observer. What it adds is the bundle
world's error vocabulary (`EndpointError` subclasses naming the endpoint and method) and signing: when a signer
is set, exactly the bytes sent are signed (bundles-spec A1). Nothing secret is logged: log lines carry the
endpoint name, method, HTTP status and latency only; URLs are redacted (no user-info, no query string).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from arbbot.chain.jsonrpc import (
    CONNECTION,
    DEFAULT_MAX_DEPTH,
    HTTP_STATUS,
    NO_RETRY,
    PER_BLOCK_RETRY,
    PER_BLOCK_TIMEOUT,
    TIMEOUT,
    Observer,
    RetryPolicy,
    RpcError,
    RpcTransportError,
    excerpt,
    redact_url,
)
from arbbot.chain.transport import AsyncHttpTransport
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

    Answers are bounded like any node answer (`max_bytes` while streaming, `max_depth` before parsing); `retry`
    (default: one attempt, as builders get) retries timeouts, dropped connections, garbled answers, transient
    JSON-RPC errors and HTTP 408/425/429/5xx, waiting at least what a Retry-After asks; `check_ids`/
    `check_shapes` refuse answers to other requests and wrongly shaped results (for a node: see `for_node`).
    An invalid URL is refused here, in one line (`InvalidEndpoint`).
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
        observer: Observer | None = None,
    ) -> None:
        self.url = url
        self.name = name or default_name(url)
        self.signer = signer
        self.transport = AsyncHttpTransport(
            url, timeout, retry or NO_RETRY, max_bytes=max_bytes, max_depth=max_depth, source=self.name,
            observer=observer, check_shapes=check_shapes, session=session, check_ids=check_ids, headers=headers,
            sign=signer.headers if signer is not None else None,
        )  # fmt: skip

    @classmethod
    def for_node(
        cls, url: str, *, name: str = "node", timeout: float = PER_BLOCK_TIMEOUT, **kwargs: Any
    ) -> JsonRpcClient:
        """A client for reading a node: retries, and answers checked for id and shape."""
        kwargs.setdefault("retry", NODE_RETRY)
        return cls(url, name=name, timeout=timeout, check_ids=True, check_shapes=True, **kwargs)

    @property
    def timeout(self) -> float:
        """Seconds one attempt may take (a call's `timeout=` overrides it)."""
        return self.transport.timeout

    @property
    def retry(self) -> RetryPolicy:
        """How a call is retried."""
        return self.transport.retry

    def __repr__(self) -> str:
        signer = f", signer={self.signer.address}" if self.signer else ""
        return f"{type(self).__name__}(name={self.name!r}, url={redact_url(self.url)!r}{signer})"

    async def __aenter__(self) -> JsonRpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client opened it; a session passed in is left to its owner."""
        await self.transport.aclose()

    async def call(
        self, method: str, params: Sequence[Any] | Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """POST one request; return `result` or raise an EndpointError subclass naming endpoint and method.

        `params` is a list, or one object for the APIs that take named params (bloXroute)."""
        try:
            return await self.transport.call(method, params, timeout=timeout)
        except RpcError as exc:
            cls = NonceTooLowError if is_nonce_too_low(exc.message) else EndpointRpcError
            raise cls(self.name, method, exc.code, exc.message, exc.data, http_status=exc.http_status) from None
        except RpcTransportError as exc:
            raise endpoint_error(self.name, method, exc) from None


def endpoint_error(name: str, method: str, exc: RpcTransportError) -> EndpointError:
    """A transport failure as the bundle world's error, naming the endpoint; `kind` kept for metrics."""
    detail = exc.detail if exc.attempts <= 1 else f"{exc.detail} (after {exc.attempts} attempts)"
    if exc.kind == TIMEOUT:
        return EndpointTimeout(name, method, detail)
    if exc.kind == CONNECTION:
        return EndpointUnreachable(name, method, detail, kind=CONNECTION)
    if exc.kind == HTTP_STATUS and exc.status is not None:
        return EndpointHttpError(name, method, exc.status, exc.body)
    return EndpointBadResponse(name, method, detail, kind=exc.kind)
