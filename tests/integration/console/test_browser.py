"""The login flow in real headless Chromium: password, TOTP enrolment (the key read from the page), recovery
codes, the overview with its controls and its charts drawn by Chart.js, a pause clicked in the page reaching the
control API as that user, then a viewer who sees no control. Screenshots of each page are written under the
test's tmp dir."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.console import totp
from tests.integration.console.browser import Browser
from tests.integration.console.conftest import PW, Served
from tests.integration.console.test_live import drawn_charts


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def test_login_with_password_and_totp_then_pause(served: Served, browser: Browser, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    browser.open(f"{served.url}/login")
    browser.screenshot(shots / "login.png")
    browser.submit({"username": "olga", "password": PW})
    browser.wait_path("/enroll")
    assert browser.js("document.querySelector('#qr svg') !== null")
    browser.screenshot(shots / "enroll.png")
    key = totp.decode_secret(browser.js("document.getElementById('secret').textContent"))
    browser.submit({"code": totp.totp(key, served.clock.now.timestamp())})
    browser.wait_path("/enroll")  # the recovery codes are the answer to the enrolment form
    assert browser.js("document.querySelectorAll('#codes li').length") == 10
    assert browser.js("document.cookie") == ""  # HttpOnly: the session cookie is not readable by scripts
    browser.open(f"{served.url}/")
    assert browser.js("document.getElementById('paused').textContent") == "running"
    charts = drawn_charts(browser)  # nothing traded yet: the charts are drawn, empty or at zero
    assert charts["chart-pnl"]["data"] == [] and charts["chart-funnel"]["data"] == [0, 0, 0, 0]
    browser.screenshot(shots / "overview-operator.png")
    browser.click("pause")
    browser.wait_path("/")
    assert browser.js("document.getElementById('paused').textContent") == "paused"
    assert served.control.actors == [("paused", "olga")]
    browser.click("logout")
    browser.wait_path("/login")

    browser.submit({"username": "vic", "password": PW})
    browser.wait_path("/")
    assert browser.js("document.querySelectorAll('form.control').length") == 0
    assert browser.js("document.getElementById('controls')") is None
    browser.screenshot(shots / "overview-viewer.png")
    for name in ("login", "enroll", "overview-operator", "overview-viewer"):
        w, h = _png_size(shots / f"{name}.png")
        assert w == 1280 and h >= 300, (name, w, h)
    assert ("olga", "control:pause", '{"paused": false}', '{"paused": true}') in served.audit()
