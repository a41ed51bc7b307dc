"""A TEST DOUBLE of the searcher's control API (the real server is `arbbot run` with `[control]`): it implements
the contract's endpoints over an in-memory state so the console's client and pages can be tested over real HTTP
before and apart from a running searcher. It keeps every request's actor header for the tests to check.
Not implemented: the SSE event stream (`GET /v1/events`)."""

from __future__ import annotations

import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ControlDouble:
    """Serve the double on 127.0.0.1 at a port chosen at run time; `stop()` shuts it down."""

    def __init__(self, token: str, builders: tuple[str, ...] = ("flashbots", "titan")) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.actors: list[tuple[str, str]] = []  # (path, X-Arbbot-Actor) of every accepted POST
        self.state: dict[str, Any] = {
            "paused": False, "paused_strategies": [], "strategies": ["cycles", "backrun"], "killed": False,
            "bribe_share_bps": 9000, "min_profit_wei": "0",
            "limits": {"bribe_share_bps": [5000, 9500], "min_profit_wei": ["0", "1000000000000000000"]},
            "builders": {b: {"enabled": True} for b in builders}, "head": None, "counters": {}, "generation": 0,
        }  # fmt: skip
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _send(self, status: int, doc: Any) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                got = self.headers.get("Authorization", "")
                if not hmac.compare_digest(got.encode(), f"Bearer {double.token}".encode()):
                    self._send(401, {"error": "Authorization: missing or wrong bearer token"})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path == "/v1/state":
                    with double.lock:
                        self._send(200, double.state)
                else:
                    self._send(404, {"error": f"path {self.path!r} not found"})

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                except ValueError:
                    self._send(400, {"error": "body is not JSON"})
                    return
                with double.lock:
                    status, doc = double.apply(self.path, body)
                    if status == 200:
                        double.actors.append((self.path, self.headers.get("X-Arbbot-Actor", "")))
                self._send(status, doc)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def apply(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """One control change per the contract; (status, document)."""
        st = self.state
        if path in ("/v1/pause", "/v1/resume"):
            paused = path == "/v1/pause"
            strategy = body.get("strategy")
            if strategy is None:
                st["paused"] = paused
            elif strategy not in st["strategies"]:
                return 400, {"error": f"strategy {strategy!r} is unknown"}
            elif paused and strategy not in st["paused_strategies"]:
                st["paused_strategies"].append(strategy)
            elif not paused and strategy in st["paused_strategies"]:
                st["paused_strategies"].remove(strategy)
        elif path == "/v1/kill":
            if not isinstance(body.get("engaged"), bool):
                return 400, {"error": f"engaged {body.get('engaged')!r} must be true or false"}
            st["killed"] = body["engaged"]
        elif path == "/v1/params":
            lo, hi = st["limits"]["bribe_share_bps"]
            if "bribe_share_bps" in body:
                v = body["bribe_share_bps"]
                if not isinstance(v, int) or not lo <= v <= hi:
                    return 400, {"error": f"bribe_share_bps {v!r} is outside [{lo}, {hi}]"}
                st["bribe_share_bps"] = v
            if "min_profit_wei" in body:
                v = body["min_profit_wei"]
                flo, fhi = (int(x) for x in st["limits"]["min_profit_wei"])
                if not isinstance(v, str) or not v.isdigit() or not flo <= int(v) <= fhi:
                    return 400, {"error": f"min_profit_wei {v!r} is outside [{flo}, {fhi}]"}
                st["min_profit_wei"] = v
        elif path.startswith("/v1/builders/"):
            name = path.removeprefix("/v1/builders/")
            if name not in st["builders"]:
                return 404, {"error": f"builder {name!r} is unknown"}
            if not isinstance(body.get("enabled"), bool):
                return 400, {"error": f"enabled {body.get('enabled')!r} must be true or false"}
            st["builders"][name]["enabled"] = body["enabled"]
        else:
            return 404, {"error": f"path {path!r} not found"}
        st["generation"] += 1
        return 200, st

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
