"""The console's web application (Starlette): every route comes from `permissions.ROUTES`, and one wrapper
enforces it: who is calling (session cookie or API token), whether their permissions include the route's, and
for a cookie session on a POST the CSRF token. Handlers run in a worker thread inside one database unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route as StarletteRoute

from arbbot.console import handlers, sessions, trail, users
from arbbot.console.context import COOKIE, MAX_FORM_BYTES, SECURITY_HEADERS, Call, Console, Principal
from arbbot.console.permissions import BY_NAME, ROLE_PERMISSIONS, ROUTES, Role, Route


def _principal(c: Console, s: Session, request: Request, now: datetime) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found = users.token_user(s, auth[7:].strip())
        if found is None:
            return None
        return Principal(user=found[0], permissions=found[1], csrf="", cookie=None)
    cookie = request.cookies.get(COOKIE)
    live = sessions.load(s, cookie, now=now, lifetimes=c.lifetimes)
    if live is None or cookie is None:
        return None
    perms = frozenset() if live.mfa_pending else ROLE_PERMISSIONS[Role(live.user.role)]
    return Principal(user=live.user, permissions=perms, csrf=live.csrf, cookie=cookie, mfa_pending=live.mfa_pending)


def _refuse(call: Call, status: int, message: str) -> Response:
    if call.wants_json or call.request.method == "POST":
        return JSONResponse({"error": message}, status_code=status)
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    return call.render("error.html", status=status, message=message)


def _authorise(call: Call) -> Response | None:
    """None when the call may proceed; otherwise the refusal (audited when a known user is refused)."""
    route, p = call.route, call.principal
    if route.permission is not None:
        if p is None or p.mfa_pending:
            return _refuse(call, 401, "not logged in (or the session expired)")
        if route.permission not in p.permissions:
            trail.record(call.s, at=call.now, actor=p.user.name, action="forbidden", target=route.name,
                         source=call.source)  # fmt: skip
            return _refuse(call, 403, f"role {p.role.value!r} may not use {route.method} {route.path}")
    # Token callers send no cookie, so a forged cross-site request cannot ride on them: CSRF is a cookie matter.
    # The password step starts a new session whatever the browser held (its old one is deleted), so it needs none.
    if call.request.method == "POST" and p is not None and p.cookie is not None and route.name != "login":
        presented = call.form.get("csrf") or call.request.headers.get("x-csrf-token")
        if not sessions.csrf_ok(sessions.Live(user=p.user, csrf=p.csrf, mfa_pending=p.mfa_pending, key=""), presented):
            # Recorded: a forged cross-site request riding on this user's session is worth an admin's attention.
            trail.record(call.s, at=call.now, actor=p.user.name, action="csrf_refused", target=route.name,
                         source=call.source)  # fmt: skip
            return _refuse(call, 403, "CSRF token missing or wrong")
    return None


def _endpoint(c: Console, route: Route, handler: Callable[[Call], Response]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        form: dict[str, str] = {}
        if request.method == "POST":
            body = await request.body()
            if len(body) > MAX_FORM_BYTES:
                return JSONResponse({"error": f"request body of {len(body)} bytes is too large"}, status_code=413)
            if request.headers.get("content-type", "").startswith("application/json"):
                try:
                    doc = json.loads(body or b"{}")
                except ValueError:
                    return JSONResponse({"error": "body is not JSON"}, status_code=400)
                if not isinstance(doc, dict):
                    return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
                form = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in doc.items()}
            else:
                form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        resp = await run_in_threadpool(_dispatch, c, route, handler, request, form)
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        return resp

    return endpoint


def _dispatch(
    c: Console, route: Route, handler: Callable[[Call], Response], request: Request, form: dict[str, str]
) -> Response:
    now = c.clock()
    with c.sessions_db.begin() as s:
        # Every request may write (session last-seen, audit rows): on SQLite shared with the running searcher, take
        # the write lock up front, or a read that must become a write fails at once when the journal wrote between.
        s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        call = Call(c, s, now, request, form, _principal(c, s, request, now), route)
        refused = _authorise(call)
        if refused is not None or route.name not in handlers.STATE_FIRST:
            return refused if refused is not None else handler(call)
    # A page showing the searcher's state reads it with no database lock held: the searcher answers from the event
    # loop that also writes its journal, which may be waiting for that very lock. Then its own unit of work,
    # authorised again (the session may have ended meanwhile).
    searcher = handlers.read_state(c)
    with c.sessions_db.begin() as s:
        s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        call = Call(c, s, now, request, form, _principal(c, s, request, now), route, searcher)
        refused = _authorise(call)
        return refused if refused is not None else handler(call)


def create_app(c: Console) -> Starlette:
    """The application: one Starlette route per entry of `permissions.ROUTES`."""
    table = handlers.HANDLERS
    missing = {r.name for r in ROUTES} - set(table)
    if missing:
        raise RuntimeError(f"routes without a handler: {sorted(missing)}")
    routes = [StarletteRoute(r.path, _endpoint(c, r, table[r.name]), methods=[r.method], name=r.name) for r in ROUTES]
    assert set(BY_NAME) == {r.name for r in ROUTES}
    return Starlette(routes=routes)
