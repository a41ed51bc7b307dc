"""A small JSON-RPC 2.0 HTTP server on 127.0.0.1 (port chosen at run time) with injectable faults.

Base of the Solana test doubles: subclasses register methods; faults make the next N answers an
HTTP 429 (with a JSON-RPC error body, as rate-limiting providers send) or a non-JSON body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class RpcFailure(Exception):
    """Raised by a handler: answered as a JSON-RPC error object."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Faults:
    """Faults to inject into the next answers, and the methods called so far (in order).

    Each counter is decremented as a faulty answer is sent.
    """

    http_429: int = 0  # answer the next N requests with HTTP 429
    garbage: int = 0  # answer the next N requests with a non-JSON body
    seen_methods: list[str] = field(default_factory=list)
    seen_params: list[list[Any]] = field(default_factory=list)  # each request's params, in the same order


class JsonRpcServer:
    """A JSON-RPC 2.0 server on 127.0.0.1, on a port chosen at run time, answering POSTs to `path`.

    Subclasses register handlers in `methods` (params list in, result out) and plain GET routes in `gets`;
    `start` (or a `with` block) serves from a background thread, `stop` shuts it down.
    """

    def __init__(self, path: str = "/") -> None:
        self.path = path
        self.faults = Faults()
        self.methods: dict[str, Callable[[list[Any]], Any]] = {}
        self.gets: dict[str, Callable[[], Any]] = {}  # plain GET routes (REST endpoints beside the RPC)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                route = server.gets.get(self.path.split("?")[0].rstrip("/"))
                payload = json.dumps(route() if route else {"error": f"no route {self.path}"}).encode()
                self.send_response(200 if route else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, payload = server._handle(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The server's URL, `http://127.0.0.1:<port><path>`."""
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}{self.path}"

    def start(self) -> Self:
        """Start serving in a background thread; returns the server for chaining."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and join the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _handle(self, path: str, body: bytes) -> tuple[int, bytes]:
        with self._lock:
            if self.faults.http_429 > 0:
                self.faults.http_429 -= 1
                err = {"jsonrpc": "2.0", "id": None, "error": {"code": -32097, "message": "Rate limit exceeded"}}
                return 429, json.dumps(err).encode()
            if self.faults.garbage > 0:
                self.faults.garbage -= 1
                return 200, b"<html>502 Bad Gateway</html>"
        if path.split("?")[0].rstrip("/") != self.path.rstrip("/"):
            return 404, json.dumps({"error": f"no route {path}"}).encode()
        try:
            request = json.loads(body)
        except ValueError:
            return 400, json.dumps(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
            ).encode()
        if isinstance(request, list):
            return 200, json.dumps([self._one(r) for r in request]).encode()
        return 200, json.dumps(self._one(request)).encode()

    def _one(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid request"}}
        rid, method, params = request.get("id"), request.get("method"), request.get("params") or []
        with self._lock:
            self.faults.seen_methods.append(str(method))
            self.faults.seen_params.append(params if isinstance(params, list) else [params])
        handler = self.methods.get(str(method))
        if handler is None:
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"Method not found: {method}"}}
        try:
            return {"jsonrpc": "2.0", "id": rid, "result": handler(list(params))}
        except RpcFailure as exc:
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": exc.code, "message": exc.message}}
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": f"Invalid params: {exc}"}}
