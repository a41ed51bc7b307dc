"""What the console refuses, seen in real headless Chromium (the console's clock injected and moved by the test):
a wrong TOTP code, a replayed one, a control form sent without its CSRF token, an expired session, and an account
locked by repeated failed logins. Then the admin pages (users, audit trail), screenshotted at 1280 px with their
labels checked not to overlap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.console import totp
from tests.integration.console.browser import Browser
from tests.integration.console.conftest import PW, Served
from tests.integration.console.test_live import _shot


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


def _text(b: Browser, element: str) -> str:
    value = b.js(f"(document.getElementById({element!r}) || {{}}).textContent || ''")
    assert isinstance(value, str)
    return value


def _enrol(served: Served, b: Browser, name: str) -> bytes:
    """Password, then TOTP enrolment in the page; returns the key. Leaves the browser on the recovery codes."""
    b.open(f"{served.url}/login")
    b.submit({"username": name, "password": PW})
    b.wait_path("/enroll")
    key = totp.decode_secret(_text(b, "secret"))
    b.submit({"code": totp.totp(key, served.clock.now.timestamp())})
    b.wait_path("/enroll")
    assert b.js("document.querySelectorAll('#codes li').length") == 10
    return key


def _goto(b: Browser, url: str, lands_on: str) -> None:
    """Navigate to `url` and wait for the page it lands on (after any redirect), never the page left."""
    b.js("window.__stale = true; true")
    b.call("Page.navigate", url=url)
    b.wait_path(lands_on)


def _logout(served: Served, b: Browser) -> None:
    b.open(f"{served.url}/")
    b.click("logout")
    b.wait_path("/login")


def test_refusals_in_the_browser(served: Served, browser: Browser, tmp_path: Path) -> None:
    b, shots = browser, tmp_path / "screenshots"
    shots.mkdir()
    key = _enrol(served, b, "olga")
    used = totp.totp(key, served.clock.now.timestamp())  # the code that confirmed the enrolment
    _logout(served, b)

    # A replayed code (the one just used, still inside its 30 s step), then a wrong one: both refused.
    b.submit({"username": "olga", "password": PW})
    b.wait_path("/login/totp")
    b.submit({"code": used})
    b.wait_path("/login/totp")
    assert _text(b, "error") == "wrong or already used code"
    wrong = f"{(int(used) + 500_000) % 1_000_000:06d}"
    b.submit({"code": wrong})
    b.wait_path("/login/totp")
    assert _text(b, "error") == "wrong or already used code"
    assert b.js("document.getElementById('controls')") is None  # no page behind the second factor yet
    served.clock.step(30)
    b.submit({"code": totp.totp(key, served.clock.now.timestamp())})
    b.wait_path("/")
    assert _text(b, "paused") == "running"

    # A control form sent without its CSRF token (as a forged cross-site form would be): refused, nothing changes.
    b.js("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove()); true")
    b.click("pause")
    b.wait_path("/control/pause")
    assert "CSRF token missing or wrong" in b.js("document.body.textContent")
    assert served.control.state["paused"] is False and served.control.actors == []
    assert ("olga", "csrf_refused") in [row[:2] for row in served.audit()]

    # Idle past the session's limit: the next page is the login form, and the old session opens nothing.
    b.open(f"{served.url}/")
    assert _text(b, "paused") == "running"
    served.clock.step(15 * 60 + 1)
    _goto(b, f"{served.url}/", "/login")
    _goto(b, f"{served.url}/bundles", "/login")

    # Repeated failed passwords lock the account: then even the right password is refused.
    for _ in range(3):
        b.submit({"username": "vic", "password": "not the password"})
        b.wait_path("/login")
    b.submit({"username": "vic", "password": PW})
    b.wait_path("/login")
    assert "locked" in _text(b, "error")
    actions = [row[1] for row in served.audit() if row[0] == "vic"]
    assert actions.count("login_failed") == 3 and "lockout" in actions and "login_refused_locked" in actions, actions

    # The admin pages, as an admin.
    _enrol(served, b, "ada")
    for name, path in (("admin-users", "/admin/users"), ("admin-audit", "/admin/audit")):
        b.open(f"{served.url}{path}")
        _shot(b, shots, name)
    shown = b.js("document.body.textContent")
    assert "lockout" in shown and "login_refused_locked" in shown and "mfa_enrolled" in shown  # the rows above
