"""A fault-injecting JSON-RPC proxy: a test double standing between a client and a real node.

It forwards every request to the real upstream node unchanged, except where a rule says to misbehave
the way nodes and hosted providers do: HTTP 429 / 503, non-JSON or truncated bodies, slow answers, and
`eth_getLogs` refusals for ranges wider than a limit. It does not emulate provider quotas over time,
WebSocket transports or per-method pricing. Listens on 127.0.0.1 on a port chosen at run time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import requests


@dataclass
class Faults:
    """What to break. Counters are consumed as requests arrive."""

    http_429: int = 0  # answer the next N requests with HTTP 429
    http_503: int = 0
    garbage: int = 0  # answer the next N requests with a non-JSON body
    truncated: int = 0  # answer the next N requests with a JSON body cut in half
    delay_s: float = 0.0  # delay every answer (to trigger client timeouts)
    delay_count: int = 0  # ...for the next N requests only
    max_log_range: int | None = None  # eth_getLogs wider than this gets a "range too large" error
    rewrite: Callable[[dict[str, Any], Any], Any] | None = None  # (request, upstream result) -> new result
    # Methods with these prefixes answer "method not found", as on nodes with a namespace switched off
    # (e.g. "debug_" on most hosted providers); each refusal is recorded in `refused`.
    unavailable: tuple[str, ...] = ()
    seen_methods: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class FaultProxy:
    def __init__(self, upstream: str, faults: Faults | None = None) -> None:
        self.upstream = upstream
        self.faults = faults or Faults()
        self._lock = threading.Lock()
        self._session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, payload = proxy._handle(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._session.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
            return False

    def _handle(self, body: bytes) -> tuple[int, bytes]:
        try:
            request = json.loads(body)
        except ValueError:
            return 400, b'{"error":"bad json"}'
        calls = request if isinstance(request, list) else [request]
        with self._lock:
            self.faults.seen_methods.extend(str(c.get("method")) for c in calls)
        if self.faults.delay_s and self._take("delay_count"):
            time.sleep(self.faults.delay_s)  # deliberate slowness is the fault being injected
        if self._take("http_429"):
            return 429, b'{"error":"rate limited"}'
        if self._take("http_503"):
            return 503, b"service unavailable"
        if self._take("garbage"):
            return 200, b"<html>502 Bad Gateway</html>"
        if not isinstance(request, list):
            refused = self._refuse(request)
            if refused is not None:
                return 200, json.dumps(refused).encode()
        else:
            answers = [self._refuse(c) for c in request]
            if any(a is not None for a in answers):
                # A batch with refused calls: the others still go upstream, one by one.
                out = [a if a is not None else self._session.post(self.upstream, json=c).json()
                       for a, c in zip(answers, request, strict=True)]  # fmt: skip
                return 200, json.dumps(out).encode()
        upstream = self._session.post(self.upstream, data=body, headers={"Content-Type": "application/json"})
        payload = upstream.content
        if self.faults.rewrite is not None and not isinstance(request, list):
            answer = upstream.json()
            if "result" in answer:
                answer["result"] = self.faults.rewrite(request, answer["result"])
            payload = json.dumps(answer).encode()
        if self._take("truncated"):
            payload = payload[: max(1, len(payload) // 2)]
        return upstream.status_code, payload

    def _refuse(self, request: dict[str, Any]) -> dict[str, Any] | None:
        method = str(request.get("method", ""))
        if any(method.startswith(p) for p in self.faults.unavailable):
            with self._lock:
                self.faults.refused.append(method)
            msg = f"the method {method} does not exist/is not available"
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32601, "message": msg}}
        limit = self.faults.max_log_range
        if limit is None or request.get("method") != "eth_getLogs":
            return None
        flt = (request.get("params") or [{}])[0]
        lo, hi = int(flt.get("fromBlock", "0x0"), 16), int(flt.get("toBlock", "0x0"), 16)
        if hi - lo + 1 > limit:
            return {
                "jsonrpc": "2.0",
                "id": request.get("id"),
                "error": {"code": -32005, "message": f"block range too large: max {limit} blocks"},
            }
        return None
