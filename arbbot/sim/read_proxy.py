"""The fork's read proxy: a small JSON-RPC server, in its own process, that pyrevm forks instead of the node.

pyrevm 0.3.7 reads fork state itself, over HTTP, with no retry and no timeout, and holds the interpreter lock
while it waits: a slow node freezes the whole searcher, a 429 fails the simulation. Pointed at this proxy,
each of its reads goes through the node transport (bounded retries with jitter, deadlines, size caps, shape
checks) and is cached per fork, so a read is asked of the node once. It runs in a child process because
pyrevm's lock would block a server thread in the same process.

A read that fails after its retries is answered with a JSON-RPC error whose message carries a marker
(`MARKER|method|kind|detail`) that pyrevm passes through in its exception text; `ForkSimulator` turns it
back into a `ForkReadError` naming the method and the cause.

Run as `python -m arbbot.sim.read_proxy UPSTREAM`: prints the port, serves 127.0.0.1 until its stdin closes
(its parent is gone) or it is terminated. `GET /stats` answers the failed attempts by class.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from arbbot.chain.jsonrpc import KINDS, RetryPolicy, RpcError, RpcTransportError, redact_url
from arbbot.chain.transport import HttpTransport
from arbbot.errors import ArbbotError

MARKER = "arbbot-fork-read"
FORKS_CACHED = 8  # forks (blocks) whose reads are kept; a searcher works on the newest one or two
# Per read: short attempts, a few of them, within a budget that fits a block.
READ_POLICY = RetryPolicy(attempts=6, base_delay=0.02, max_delay=0.25, deadline=2.0)
READ_TIMEOUT = 0.5
# pyrevm waits for each read holding the parent's interpreter lock: the whole searcher stands still meanwhile.
# So one fork (one block) may spend at most this long on reads that had to be retried; after that they fail fast.
FORK_BUDGET_S = 3.0
_PINNED = ("eth_getStorageAt", "eth_getBalance", "eth_getTransactionCount", "eth_getCode", "eth_getBlockByNumber")


class ReadProxyError(ArbbotError):
    """The read proxy process could not be started."""


def marker_message(method: str, kind: str, detail: str) -> str:
    """The error message a failed read is answered with (`MARKER|method|kind|detail`, the detail stripped of
    quoting)."""
    clean = "".join(ch for ch in detail if ch not in "\"'\\|\n")[:200]
    return f"{MARKER}|{method}|{kind}|{clean}"


class _Server:
    def __init__(self, upstream: str) -> None:
        self.rpc = HttpTransport(upstream, timeout=READ_TIMEOUT, retry=READ_POLICY, source="fork", hedge_after=0.15)
        self._lock = threading.Lock()
        self._forks: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._spent: dict[str, float] = {}  # fork -> seconds spent on its reads
        self.final: dict[str, int] = dict.fromkeys(KINDS, 0)  # reads given up, by class
        self.reads = 0  # reads that reached the node

    def _cache(self, fork: str) -> dict[str, Any]:
        with self._lock:
            cache = self._forks.get(fork)
            if cache is None:
                cache = self._forks[fork] = {}
                while len(self._forks) > FORKS_CACHED:
                    gone, _ = self._forks.popitem(last=False)
                    self._spent.pop(gone, None)
            else:
                self._forks.move_to_end(fork)
            return cache

    def answer(self, fork: str, call: Any) -> dict[str, Any]:
        if not isinstance(call, dict):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
        rid, method, params = call.get("id"), str(call.get("method")), call.get("params") or []
        # Only reads pinned to a block number are immutable (a fork's reads always are).
        pinned = method in _PINNED and params and isinstance(params[-1], str) and params[-1].startswith("0x")
        key = json.dumps([method, params], separators=(",", ":"))
        cache = self._cache(fork) if pinned else {}
        if key in cache:
            return {"jsonrpc": "2.0", "id": rid, "result": cache[key]}
        with self._lock:
            self.reads += 1
            left = FORK_BUDGET_S - self._spent.get(fork, 0.0)
        if left <= 0.05:
            with self._lock:
                self.final["timeout"] += 1
            msg = marker_message(method, "timeout", f"this fork has spent its read budget ({FORK_BUDGET_S:g}s)")
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": msg}}
        started = time.monotonic()
        failed_before = self._failed_attempts()
        try:
            policy = dataclasses.replace(READ_POLICY, deadline=min(READ_POLICY.deadline or left, left))
            result = self.rpc.call(method, params, retry=policy)
        except RpcError as exc:  # the node's own answer: passed on as is
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": exc.code or -32000, "message": exc.message}}
        except RpcTransportError as exc:
            with self._lock:
                self.final[exc.kind] = self.final.get(exc.kind, 0) + 1
            msg = marker_message(method, exc.kind, str(exc))
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": msg}}
        finally:
            # Only reads the node made us retry spend the budget: a healthy node, however many cold slots a
            # simulation touches, never exhausts it (and the same block then simulates the same way).
            if self._failed_attempts() != failed_before:
                with self._lock:
                    self._spent[fork] = self._spent.get(fork, 0.0) + time.monotonic() - started
        if pinned:
            cache[key] = result
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    def _failed_attempts(self) -> int:
        return sum(self.rpc.failures.values())

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"failures": dict(self.rpc.failures), "final": dict(self.final), "reads": self.reads}


def serve(upstream: str) -> None:
    """Serve the proxy for `upstream` on 127.0.0.1 (port printed on stdout) until stdin closes or the process is
    ended."""
    server = _Server(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: pyrevm's client reuses its connection

        def log_message(self, *args: object) -> None:
            return

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._send(200, json.dumps(server.stats()).encode())

        def do_POST(self) -> None:
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            except ValueError:
                self._send(400, b'{"error":"bad json"}')
                return
            fork = self.path.strip("/") or "-"
            if isinstance(request, list):
                out: Any = [server.answer(fork, c) for c in request]
            else:
                out = server.answer(fork, request)
            self._send(200, json.dumps(out).encode())

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    print(httpd.server_address[1], flush=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with contextlib.suppress(Exception):
        sys.stdin.read()  # returns when the parent closes our stdin (or exits)
    httpd.shutdown()


class ReadProxyProcess:
    """The parent's handle on one read proxy process: started on demand, restarted if it died, stopped by PID."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._proc: subprocess.Popen[str] | None = None
        self._port = 0
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}

    @property
    def pid(self) -> int | None:
        """The proxy process id, None before it starts."""
        return self._proc.pid if self._proc is not None else None

    def url(self) -> str:
        """The proxy's URL, starting (or restarting) the process if it is not running."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            return f"http://127.0.0.1:{self._port}"

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "arbbot.sim.read_proxy", self.upstream],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.isdigit():
            self._stop_locked()
            raise ReadProxyError(f"the fork read proxy for {redact_url(self.upstream)} did not start")
        self._port = int(line)

    def stats(self) -> dict[str, Any] | None:
        """The child's counters (None if it is not running or does not answer)."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                return None
            port = self._port
        try:
            answer = requests.get(f"http://127.0.0.1:{port}/stats", timeout=1.0).json()
        except (requests.RequestException, ValueError):
            return None
        return answer if isinstance(answer, dict) else None

    def close(self) -> None:
        """Stop the proxy process by its PID."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()  # the child's cue to exit
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()  # by its PID, through the handle
            proc.wait(timeout=3)
        if proc.stdout is not None:
            proc.stdout.close()


if __name__ == "__main__":
    serve(sys.argv[1])
