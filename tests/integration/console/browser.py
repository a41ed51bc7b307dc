"""Debian's headless Chromium driven by Selenium through Debian's chromedriver (both installed by
tools/chromium.sh): open pages, run JavaScript in them, take screenshots. chromedriver, the browser and every
process they spawned are stopped by `close()`, by PID."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.integration.audit.chromium import BIN, FLAGS
from tests.integration.console.conftest import wait_for

DRIVER = Path("/usr/bin/chromedriver")


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, parent pid, process group, start time) of a process, from /proc; None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
    return fields[0], int(fields[1]), int(fields[2]), int(fields[19])


def _marked(pid: int, mark: bytes) -> bool:
    try:
        return mark in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:  # gone meanwhile, or not ours to read
        return False


def _family(leader: int, mark: bytes) -> dict[int, int]:
    """The live processes started from chromedriver (`leader` of its own process group, `mark` in its
    environment): pid -> start time, which tells a reused pid apart. Members of the group, holders of the mark
    (the browser's crash handler leaves both the tree and the group but keeps the environment; the zygote's
    helpers get a fresh environment but stay in the group), and whatever descends from either."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None and st[0] != "Z":
            table[int(entry.name)] = st
    found = {pid: st[3] for pid, st in table.items() if st[2] == leader or _marked(pid, mark)}
    grew = True
    while grew:
        grew = False
        for pid, st in table.items():
            if pid not in found and st[1] in found:
                found[pid] = st[3]
                grew = True
    return found


def _alive(pid: int, started: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] != "Z" and st[3] == started


class _Replaced(Exception):
    """The page replaced an element while it was being used."""


class Browser:
    """One headless Chromium with one page, 1280 px wide, driven through chromedriver."""

    def __init__(self, profile: Path, timeout: float = 60.0) -> None:
        for binary, package in ((BIN, "chromium"), (DRIVER, "chromium-driver")):
            if not os.access(binary, os.X_OK):
                raise AssertionError(f"{binary} not found: install Debian's {package} package (tools/chromium.sh)")
        if os.environ.get("SE_CHROMEDRIVER", str(DRIVER)) != str(DRIVER):
            raise AssertionError(f"SE_CHROMEDRIVER={os.environ['SE_CHROMEDRIVER']} would replace {DRIVER}: unset it")
        # With the driver's path given Selenium never runs Selenium Manager; were it ever run, it stays offline.
        os.environ["SE_OFFLINE"] = "true"
        profile.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        options = webdriver.ChromeOptions()
        options.binary_location = str(BIN)
        for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"):
            options.add_argument(flag)
        # chromedriver leads its own process group and carries a mark in its environment: at close, every
        # process it started is found by these and stopped by PID (see `_family`).
        self._mark = f"ARBBOT_TEST_BROWSER={uuid.uuid4().hex}"
        name, value = self._mark.split("=")
        service = Service(
            executable_path=str(DRIVER), log_output=str(profile / "chromedriver.log"),
            env={**os.environ, name: value}, popen_kw={"start_new_session": True},
        )  # fmt: skip
        self.driver: webdriver.Chrome | None = None
        self._service = service
        try:
            self.driver = webdriver.Chrome(options=options, service=service)
            self.driver.set_page_load_timeout(timeout)
            self.driver.set_script_timeout(timeout)
        except BaseException:
            self.close()
            raise

    def processes(self) -> dict[int, int]:
        """chromedriver, the browser and their helpers while they run: pid -> start time (see `_family`)."""
        return _family(self._service.process.pid, self._mark.encode())

    def _page(self) -> webdriver.Chrome:
        assert self.driver is not None, "the browser is closed"
        return self.driver

    def _until(self, cond: Any, what: str) -> None:
        def alive_and(cond: Any = cond) -> object:
            proc = self._service.process
            if proc.poll() is not None:
                raise AssertionError(f"chromedriver exited with {proc.returncode} while waiting for {what}")
            return cond()

        wait_for(alive_and, what, timeout=self.timeout)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command on the page (through chromedriver); its result."""
        result: dict[str, Any] = self._page().execute_cdp_cmd(method, params)
        return result

    def js(self, expression: str) -> Any:
        """Evaluate JavaScript in the page; its value."""
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in out:
            raise AssertionError(f"{expression}: {out['exceptionDetails']}")
        return out["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait until the page has loaded."""
        self._page().get(url)
        self.wait_path(httpx.URL(url).path)

    def wait_path(self, path: str) -> None:
        """Wait until the page at `path` has loaded (after a navigation or a form submission)."""
        # A page that was left is marked stale (see `click`): the wait ends on the new document, never the old one.
        probe = "location.pathname + ' ' + document.readyState + ' ' + (window.__stale ? 'old' : 'new')"
        self._until(lambda: self.js(probe) == f"{path} complete new", f"page {path}")

    def _on(self, element_id: str, use: Callable[[WebElement], None]) -> None:
        """`use` on the element with this id; `_Replaced` when the page swapped the element out meanwhile."""
        element = self._page().find_element(By.ID, element_id)
        try:
            use(element)
        except StaleElementReferenceException:
            raise _Replaced from None
        except ElementNotInteractableException:
            # chromedriver may call an element the page just detached "not interactable" rather than stale.
            try:
                connected = self._page().execute_script("return arguments[0].isConnected", element)
            except StaleElementReferenceException:
                connected = False
            if connected:
                raise
            raise _Replaced from None

    def _act(self, action: Callable[[], None], what: str) -> None:
        """WebDriver actions on elements of the page, all done again when the page replaced one of them under
        them (the live overview swaps its regions in place)."""

        def attempt() -> bool:
            try:
                action()
            except _Replaced:
                return False
            return True

        self._until(attempt, what)

    def click(self, button: str) -> None:
        """Click a button by id (a WebDriver click: the button must be visible and not covered), marking this
        document stale first (for `wait_path`)."""

        def press() -> None:
            self.js("window.__stale = true; true")
            self._on(button, lambda e: e.click())

        self._act(press, f"a click on #{button}")

    def submit(self, fields: dict[str, str], button: str = "submit") -> None:
        """Type into inputs by id and click a button by id, as a user would."""

        def fill_and_press() -> None:
            for field, value in fields.items():

                def type_in(element: WebElement, value: str = value) -> None:
                    element.clear()
                    element.send_keys(value)

                self._on(field, type_in)
            # An input the page replaced after it was typed into holds nothing: type again rather than send that.
            held = "".join(f"document.getElementById({json.dumps(k)}).value === {json.dumps(v)} && "
                           for k, v in fields.items())  # fmt: skip
            if not self.js(f"{held}(window.__stale = true)"):
                raise _Replaced
            self._on(button, lambda e: e.click())

        self._act(fill_and_press, f"a submission with #{button}")

    def screenshot(self, path: Path) -> None:
        """The page as PNG, full page height."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Quit the session (chromedriver closes the browser, then stops), then make sure chromedriver, the
        browser and every process they spawned are gone: what outlives the deadline is killed by PID."""
        if getattr(self._service, "process", None) is None:  # chromedriver never started
            return
        left = self.processes()
        if self.driver is not None:
            with contextlib.suppress(Exception):
                self.driver.quit()
            self.driver = None
        with contextlib.suppress(Exception):
            self._service.stop()

        def gone() -> bool:
            return not any(_alive(pid, started) for pid, started in left.items())

        with contextlib.suppress(AssertionError):
            wait_for(gone, "chromedriver and the browser to exit", timeout=self.timeout)
        for pid, started in left.items():
            if _alive(pid, started):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        wait_for(gone, "chromedriver and the browser to be killed", timeout=self.timeout)
        late = self.processes()
        assert not late, f"processes started by the browser outlived it: {sorted(late)}"
