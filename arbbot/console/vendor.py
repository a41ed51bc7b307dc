"""The third-party browser file the console serves: Chart.js's UMD build, which the setup step copies from the
npm tree (`node_modules/chart.js`, pinned in package.json) into `static/vendor/` (not in git). Where it is, and
which version it is (read from its own header), so the page can say so, or say that it is missing."""

from __future__ import annotations

import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
CHART_JS = VENDOR / "chart.umd.js"
CHART_JS_NAME = "chart.umd.js"  # its name under /static/
_HEADER = re.compile(rb"Chart\.js v(\d+\.\d+\.\d+)")


def chart_js_version(path: Path = CHART_JS) -> str | None:
    """The Chart.js version in the file's header (`Chart.js vX.Y.Z`), or None when the file is missing,
    unreadable or not Chart.js."""
    try:
        with path.open("rb") as f:
            head = f.read(256)
    except OSError:
        return None
    m = _HEADER.search(head)
    return m.group(1).decode() if m else None


def missing_note(path: Path = CHART_JS) -> str:
    """The one line said when the file is missing (on the page and by `arbbot console serve`)."""
    return f"charts not drawn: the chart library {path} is missing; run `make setup`"
