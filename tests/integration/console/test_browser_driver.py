"""The browser the console's tests drive (Selenium, Debian's chromedriver and Chromium): a click lands on a
button the page keeps replacing, a screenshot covers the whole page, and closing it leaves no process behind."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.integration.console.browser import Browser, _alive

# The button is swapped for a copy ten times a second, as the live overview swaps its regions; the page is
# taller than the window.
CHURN = """<!doctype html><body style="margin:0"><form action="done.html"><input id="code" name="code">
<span id="region"><button id="go">go</button></span></form><div style="height:3000px"></div>
<script>setInterval(() => { const r = document.getElementById("region"); r.replaceWith(r.cloneNode(true)); }, 100);
</script></body>"""


def test_a_click_lands_on_a_button_the_page_keeps_replacing(tmp_path: Path) -> None:
    (tmp_path / "churn.html").write_text(CHURN)
    (tmp_path / "done.html").write_text("<!doctype html><p id=done>done</p>")
    b = Browser(tmp_path / "profile")
    try:
        b.open((tmp_path / "churn.html").as_uri())
        shot = tmp_path / "churn.png"
        b.screenshot(shot)
        width, height = struct.unpack(">II", shot.read_bytes()[16:24])
        assert (width, height) == (1280, b.js("document.documentElement.scrollHeight")) and height > 3000
        b.submit({"code": "123456"}, button="go")
        b.wait_path(str(tmp_path / "done.html"))
        assert b.js("location.search") == "?code=123456"
    finally:
        b.close()


def test_close_stops_chromedriver_the_browser_and_its_helpers(tmp_path: Path) -> None:
    b = Browser(tmp_path / "profile")
    family = b.processes()
    names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in family}
    assert {"chromedriver", "chromium"} <= names, names
    assert len(family) >= 3  # chromedriver, the browser and at least one of its helpers
    b.close()
    assert [pid for pid, started in family.items() if _alive(pid, started)] == []
