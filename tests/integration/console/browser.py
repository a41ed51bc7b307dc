"""Debian's headless Chromium driven over the DevTools protocol (a websocket, no driver binary): open pages,
run JavaScript in them, take screenshots. The browser and every process it spawned are stopped by `close()`."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.integration.audit.chromium import BIN, FLAGS
from tests.integration.console.conftest import wait_for


class Browser:
    """One headless Chromium with one page, 1280 px wide."""

    def __init__(self, profile: Path, timeout: float = 60.0) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        cmd = [str(BIN), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
               "--window-size=1280,900", "about:blank"]  # fmt: skip
        self.log = (profile / "chromium.log").open("w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.timeout = timeout
        self._id = 0
        try:
            port_file = profile / "DevToolsActivePort"
            self._until(lambda: port_file.exists() and len(port_file.read_text().splitlines()) >= 2, "DevTools port")
            port = int(port_file.read_text().splitlines()[0])
            pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
            self.ws: ClientConnection = connect(url, max_size=None, open_timeout=timeout)
        except BaseException:
            self.close()
            raise

    def _until(self, cond: Any, what: str) -> None:
        def alive_and(cond: Any = cond) -> object:
            if self.proc.poll() is not None:
                raise AssertionError(f"chromium exited with {self.proc.returncode} while waiting for {what}")
            return cond()

        wait_for(alive_and, what, timeout=self.timeout)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; its result (events received meanwhile are dropped)."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg["result"]
                return result

    def js(self, expression: str) -> Any:
        """Evaluate JavaScript in the page; its value."""
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in out:
            raise AssertionError(f"{expression}: {out['exceptionDetails']}")
        return out["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait until the page has loaded."""
        self.call("Page.navigate", url=url)
        self.wait_path(httpx.URL(url).path)

    def wait_path(self, path: str) -> None:
        """Wait until the page at `path` has loaded (after a navigation or a form submission)."""
        # A page that was left is marked stale (see `click`): the wait ends on the new document, never the old one.
        probe = "location.pathname + ' ' + document.readyState + ' ' + (window.__stale ? 'old' : 'new')"
        self._until(lambda: self.js(probe) == f"{path} complete new", f"page {path}")

    def click(self, button: str) -> None:
        """Click a button by id, marking this document stale first (for `wait_path`)."""
        self.js(f"window.__stale = true; document.getElementById({json.dumps(button)}).click(); true")

    def submit(self, fields: dict[str, str], button: str = "submit") -> None:
        """Fill inputs by id and click a button by id, as a user would."""
        fill = "".join(f"document.getElementById({json.dumps(k)}).value = {json.dumps(v)};" for k, v in fields.items())
        self.js(fill + "true")
        self.click(button)

    def screenshot(self, path: Path) -> None:
        """The page as PNG, full page height."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Stop the browser and its helpers (its own process group)."""
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()
