"""What a request handler sees: the console's wiring (`Console`), the caller (`Principal`) and the request
(`Call`), plus page rendering and the session cookie."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from arbbot.console import sessions, users
from arbbot.console.control import ControlClient, State
from arbbot.console.permissions import Permission, Role, Route, can
from arbbot.console.sealing import Sealer
from arbbot.console.throttle import SourceThrottle
from arbbot.console.vendor import CHART_JS
from arbbot.db.models import ConsoleUserModel

COOKIE = "arbbot_session"
# The login form's CSRF token, as a cookie and a form field that must match: a page on another site cannot read
# the cookie, and a SameSite=Strict cookie does not come with its cross-site POST (no forced login as someone else).
LOGIN_COOKIE = "arbbot_login_csrf"
MAX_FORM_BYTES = 64 * 1024
TEMPLATES = Path(__file__).resolve().parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Activity:
    """Block events the console has relayed (arrival time, block number), for the blocks/s chart: kept in
    memory, the last `keep` blocks, one entry per block number whatever the number of viewers."""

    def __init__(self, keep: int = 600, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._blocks: deque[tuple[float, int]] = deque(maxlen=keep)
        self._clock = clock

    def block(self, number: object) -> None:
        """Note one block event (a repeat of the last number, from a second viewer's stream, is ignored)."""
        if not isinstance(number, int) or isinstance(number, bool):
            return
        with self._lock:
            if not self._blocks or number > self._blocks[-1][1]:
                self._blocks.append((self._clock(), number))

    def rates(self, bucket: float = 2.0, window: float = 120.0) -> list[tuple[float, float]]:
        """(seconds before now, blocks/s) per `bucket` seconds over the last `window` seconds, oldest first,
        starting no earlier than the first block seen (before it the console was not watching)."""
        with self._lock:
            seen = list(self._blocks)
        if not seen:
            return []
        now = self._clock()
        span = min(window, now - seen[0][0])
        counts: dict[int, int] = {}
        for at, _ in seen:
            if now - at <= span:
                k = int((now - at) // bucket)
                counts[k] = counts.get(k, 0) + 1
        last = int(span // bucket)
        return [(-k * bucket, counts.get(k, 0) / bucket) for k in range(last, -1, -1)]


@dataclass
class Console:
    """What the app needs: the database, the clock (injected so tests move time), the policies, the control
    API client factory (None: no searcher attached), whether cookies are Secure (served over TLS), the
    read-only configuration shown on the config page (secrets already removed) and the chart library's file."""

    sessions_db: sessionmaker[Session]
    clock: Callable[[], datetime]
    policy: users.Policy = field(default_factory=users.Policy)
    lifetimes: sessions.Lifetimes = field(default_factory=sessions.Lifetimes)
    control: Callable[[], ControlClient] | None = None
    secure_cookies: bool = False
    config_view: dict[str, Any] = field(default_factory=dict)
    retention_days: int = 365
    activity: Activity = field(default_factory=Activity)
    throttle: SourceThrottle = field(default_factory=SourceThrottle)
    # Seals TOTP keys at rest. The default is a key for this process only (enrolments under it do not survive a
    # restart): `arbbot console serve` always passes the configured one.
    sealer: Sealer = field(default_factory=Sealer.ephemeral)
    chart_js: Path = CHART_JS  # the chart library the setup step placed (a test points it elsewhere)


@dataclass
class Principal:
    """Who is calling: a user through a session cookie (`cookie` set) or an API token (`cookie` None)."""

    user: ConsoleUserModel
    permissions: frozenset[Permission]
    csrf: str
    cookie: str | None
    mfa_pending: bool = False

    @property
    def role(self) -> Role:
        """The user's role."""
        return Role(self.user.role)


@dataclass
class Call:
    """One request as a handler sees it."""

    console: Console
    s: Session
    now: datetime
    request: Request
    form: dict[str, str]
    principal: Principal | None
    route: Route
    # The searcher's state (or why there is none) when the app read it before this unit of work (see app._dispatch).
    searcher: tuple[State | None, str | None] | None = None

    @property
    def source(self) -> str:
        """The client's address (recorded in the audit trail)."""
        return self.request.client.host if self.request.client else ""

    @property
    def wants_json(self) -> bool:
        """API callers (token, or asking for JSON) get JSON; browsers get pages and redirects."""
        h = self.request.headers
        return "authorization" in h or "application/json" in h.get("accept", "")

    def render(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        """A page from the templates; `can(name)` tells it which controls the route table allows."""
        p = self.principal
        role = p.role if p is not None and not p.mfa_pending else None
        html = _ENV.get_template(template).render(
            user=p.user.name if p else None, role=role.value if role else None,
            csrf=p.csrf if p else "", can=lambda name: role is not None and can(role, name), **ctx,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status)


_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def set_session_cookie(c: Console, resp: Response, value: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure over TLS, no Max-Age (the server expires it)."""
    resp.set_cookie(COOKIE, value, httponly=True, samesite="strict", secure=c.secure_cookies, path="/")


def set_login_cookie(c: Console, resp: Response, value: str) -> None:
    """The login form's CSRF cookie: HttpOnly, SameSite=Strict, Secure over TLS, sent to /login only."""
    resp.set_cookie(LOGIN_COOKIE, value, httponly=True, samesite="strict", secure=c.secure_cookies, path="/login")
