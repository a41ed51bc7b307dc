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
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import aiohttp

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

EXCERPT_CHARS = 200


class RpcCaller(Protocol):
    """Anything that can make one JSON-RPC call (JsonRpcClient; a test may pass its own)."""

    async def call(self, method: str, params: Sequence[Any] | None = None) -> Any: ...


def redact_url(url: str) -> str:
    """scheme://host[:port]/path — drops user-info, query and fragment, where hosted endpoints put keys."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def default_name(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port is not None else host


def excerpt(raw: bytes, limit: int = EXCERPT_CHARS) -> str:
    """A short printable rendering of an answer body, for error messages."""
    text = raw.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit] + "…"


def is_nonce_too_low(message: str) -> bool:
    """True for the 'nonce too low' family of messages (geth, reth, anvil, builders)."""
    text = message.lower().replace("_", " ")
    return "nonce too low" in text or "nonce is too low" in text or "noncetoolow" in text.replace(" ", "")


class JsonRpcClient:
    """One endpoint. Use `async with`, or call `close()`; a session passed in is left open for its owner."""

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        timeout: float = 5.0,
        signer: FlashbotsSigner | None = None,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
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

    def __repr__(self) -> str:
        signer = f", signer={self.signer.address}" if self.signer else ""
        return f"{type(self).__name__}(name={self.name!r}, url={redact_url(self.url)!r}{signer})"

    async def __aenter__(self) -> JsonRpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._own_session:
                raise RuntimeError(f"{self.name}: the session passed in is closed")
            self._session = aiohttp.ClientSession()
        return self._session

    def encode(self, method: str, params: Sequence[Any] | None) -> tuple[int, bytes]:
        """The request id and the exact body bytes (compact JSON)."""
        request_id = next(self._ids)
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params or [])}
        return request_id, json.dumps(body, separators=(",", ":")).encode()

    async def call(self, method: str, params: Sequence[Any] | None = None, *, timeout: float | None = None) -> Any:
        """POST one request; return `result` or raise an EndpointError subclass naming endpoint and method."""
        _, body = self.encode(method, params)
        headers = {"Content-Type": "application/json", **self._headers}
        if self.signer is not None:
            headers.update(self.signer.headers(body))
        limit = self.timeout if timeout is None else timeout
        session = self._get_session()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit), session.post(self.url, data=body, headers=headers) as resp:
                status = resp.status
                raw = await resp.read()
        except TimeoutError:
            raise EndpointTimeout(self.name, method, f"no answer within {limit:g}s") from None
        except aiohttp.ClientError as exc:
            raise EndpointUnreachable(self.name, method, f"{type(exc).__name__}: {exc}") from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("%s %s -> HTTP %s in %.1f ms", self.name, method, status, elapsed_ms)
        return self._decode(method, status, raw)

    def _decode(self, method: str, status: int, raw: bytes) -> Any:
        try:
            data: Any = json.loads(raw)
            is_json = True
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
        return data["result"]

    def _rpc_error(self, method: str, error: Any, status: int) -> EndpointError:
        if isinstance(error, dict):
            code = error.get("code")
            code = code if isinstance(code, int) and not isinstance(code, bool) else None
            message = str(error.get("message", ""))[:500]
            data = error.get("data")
        else:  # observed relay shape: {"error": "error in signature check 0x…"}
            code, message, data = None, str(error)[:500], None
        cls = NonceTooLowError if is_nonce_too_low(message) else EndpointRpcError
        return cls(self.name, method, code, message, data, http_status=status)
