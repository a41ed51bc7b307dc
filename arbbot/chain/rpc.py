"""A small JSON-RPC client: keep-alive, batching, bounded retries with backoff, clear errors.

Retries cover what a node or provider does under load (timeouts, HTTP 429/5xx, truncated or non-JSON
bodies). RPC-level errors (a revert, "range too large") are returned to the caller to decide on.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from arbbot.errors import ArbbotError

log = logging.getLogger(__name__)


class RpcError(ArbbotError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, method: str, code: int | None, message: str, data: Any = None) -> None:
        super().__init__(f"RPC {method} error {code}: {message}")
        self.method, self.code, self.message, self.data = method, code, message, data


class RpcTransportError(ArbbotError):
    """The node could not be reached or answered garbage, after all retries."""


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.05
    max_delay: float = 2.0


class RpcClient:
    def __init__(self, url: str, timeout: float = 30.0, retry: RetryPolicy | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._local = threading.local()  # one keep-alive session per thread: sessions are not shared safely
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.requests_sent = 0  # HTTP round trips, for benchmarks and tests

    @property
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _post(self, payload: Any, what: str) -> Any:
        delay = self.retry.base_delay
        last = ""
        for attempt in range(1, self.retry.attempts + 1):
            try:
                with self._lock:
                    self.requests_sent += 1
                resp = self._session.post(self.url, json=payload, timeout=self.timeout)
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                elif resp.status_code != 200:
                    raise RpcTransportError(f"RPC {what} to {self.url}: HTTP {resp.status_code}: {resp.text[:200]}")
                else:
                    try:
                        return resp.json()
                    except ValueError:
                        last = f"non-JSON body {resp.text[:80]!r}"
            except (requests.Timeout, requests.ConnectionError) as exc:
                last = type(exc).__name__
            if attempt < self.retry.attempts:
                log.warning("RPC %s to %s failed (%s); retry %d in %.2fs", what, self.url, last, attempt, delay)
                time.sleep(delay)
                delay = min(delay * 2, self.retry.max_delay)
        raise RpcTransportError(f"RPC {what} to {self.url} failed after {self.retry.attempts} attempts: {last}")

    @staticmethod
    def _result(method: str, body: Any) -> Any:
        if not isinstance(body, dict):
            raise RpcTransportError(f"RPC {method}: malformed response {str(body)[:120]}")
        if "error" in body:
            err = body["error"] or {}
            raise RpcError(method, err.get("code"), str(err.get("message")), err.get("data"))
        if "result" not in body:
            raise RpcTransportError(f"RPC {method}: response has neither result nor error")
        return body["result"]

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        body = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}, method)
        return self._result(method, body)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one HTTP request; results (or RpcError instances) in input order."""
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in zip(ids, calls, strict=True)
        ]
        body = self._post(payload, f"batch of {len(calls)}")
        if not isinstance(body, list):
            raise RpcTransportError(f"RPC batch to {self.url}: expected a list, got {str(body)[:120]}")
        by_id = {item.get("id"): item for item in body if isinstance(item, dict)}
        out: list[Any] = []
        for i, (method, _) in zip(ids, calls, strict=True):
            if i not in by_id:
                raise RpcTransportError(f"RPC batch to {self.url}: no answer for {method} (id {i})")
            try:
                out.append(self._result(method, by_id[i]))
            except RpcError as exc:
                out.append(exc)
        return out

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)
