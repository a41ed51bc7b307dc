"""A node without trace support, in front of the replica.

Test double: stands for a node whose `debug_*` namespace is switched off (most hosted providers), which
does not exist on this machine. It forwards every JSON-RPC call (single or batch) to the real replica
unchanged and answers `debug_*` methods with the "method not found" error such nodes return. It does
nothing else (no rate limits, no other missing methods). Listens on 127.0.0.1, port chosen at run time.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import requests


class NoTraceNode:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.refused: list[str] = []
        session = requests.Session()
        node = self

        def answer(call: dict[str, Any]) -> dict[str, Any]:
            method = str(call.get("method", ""))
            if method.startswith("debug_"):
                node.refused.append(method)
                msg = f"the method {method} does not exist/is not available"
                return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32601, "message": msg}}
            return session.post(upstream, json=call, timeout=30).json()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                out = [answer(c) for c in body] if isinstance(body, list) else answer(body)
                payload = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> NoTraceNode:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
