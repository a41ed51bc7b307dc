"""Request handlers, one per entry of `permissions.ROUTES` (HANDLERS maps route name -> handler). The wrapper in
`app` has already checked the caller, the route's permission and the CSRF token when a handler runs."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse

from arbbot.amm.base import from_dict as amm_from_dict
from arbbot.amm.errors import AmmError
from arbbot.console import charts, qr, sessions, totp, trail, users, vendor
from arbbot.console.context import (
    COOKIE,
    LOGIN_COOKIE,
    Activity,
    Call,
    Console,
    set_login_cookie,
    set_session_cookie,
)
from arbbot.console.control import ControlClient, ControlError, State
from arbbot.console.permissions import ROLE_PERMISSIONS, Role
from arbbot.console.sealing import SealError
from arbbot.db.models import BundleModel, BundleSubmissionModel, PoolModel, TradeModel

STATIC = Path(__file__).resolve().parent / "static"
# Everything the route serves: the console's own files, and the chart library (see `vendor`).
STATIC_TYPES = {"console.js": "text/javascript", "console.css": "text/css", vendor.CHART_JS_NAME: "text/javascript"}
_LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) makes

Handler = Callable[[Call], Response]

log = logging.getLogger(__name__)


def _redirect(to: str) -> Response:
    return RedirectResponse(to, status_code=303)


def _bad(call: Call, message: str, status: int = 400) -> Response:
    if call.wants_json or (call.request.method == "POST" and not call.principal):
        return JSONResponse({"error": message}, status_code=status)
    return call.render("error.html", status=status, message=message)


# --- login steps ---------------------------------------------------------------------------------------------


def _login_page(call: Call, status: int = 200, error: str | None = None) -> Response:
    """The password form with the browser's login CSRF token (in the form and in its cookie): the one its cookie
    already holds, so a second tab, or a request that lands on /login meanwhile (an event stream reconnecting
    after logout), does not void the form on screen; a new one when it has none."""
    kept = call.request.cookies.get(LOGIN_COOKIE, "")
    token = kept if _LOGIN_TOKEN.fullmatch(kept) else secrets.token_urlsafe(32)
    resp = call.render("login.html", status=status, error=error, login_csrf=token)
    set_login_cookie(call.console, resp, token)
    return resp


def _login_csrf_ok(call: Call) -> bool:
    sent, kept = call.form.get("csrf", ""), call.request.cookies.get(LOGIN_COOKIE, "")
    return bool(sent) and bool(kept) and hmac.compare_digest(sent.encode(), kept.encode())


def login_form(call: Call) -> Response:
    """The password form."""
    return _login_page(call)


def login(call: Call) -> Response:
    """Password step: a pending session for users with (or needing) TOTP, a full one for a viewer without it.
    Refused without the form's CSRF token, and from an address with too many recent failures."""
    name, password = call.form.get("username", ""), call.form.get("password", "")
    if not _login_csrf_ok(call):
        return _login_page(call, 403, "the login form was not sent from this console's page (or it expired): try again")
    wait = call.console.throttle.wait(call.source, call.now)
    if wait > 0:
        # No user name: what was typed may not be one (a password in the wrong field), and it proves nothing.
        trail.record(call.s, at=call.now, actor="-", action="login-throttled", source=call.source)
        return _login_page(call, 429, f"too many failed logins from this address: try again in {wait:.0f} s")
    user = users.check_password(call.s, name, password, now=call.now, policy=call.console.policy, source=call.source)
    if user is None:
        call.console.throttle.failed(call.source, call.now)
        return _login_page(call, 401, "wrong user name or password, or the account is locked")
    pending = users.needs_mfa(user)
    old = call.request.cookies.get(COOKIE)
    cookie = sessions.start(call.s, user, now=call.now, mfa_pending=pending, replaces=old)
    if not pending:
        trail.record(call.s, at=call.now, actor=user.name, action="login", new="password", source=call.source)
    resp = _redirect("/login/totp" if user.totp_confirmed else "/enroll" if pending else "/")
    set_session_cookie(call.console, resp, cookie)
    return resp


def _pending(call: Call) -> bool:
    return call.principal is not None and call.principal.mfa_pending


def totp_form(call: Call) -> Response:
    """The TOTP (or recovery code) form."""
    if not _pending(call):
        return _redirect("/login")
    return call.render("totp.html", error=None)


def totp_step(call: Call) -> Response:
    """TOTP step: on success the pending session is replaced by a new full one (new id)."""
    p = call.principal
    if p is None or not p.mfa_pending or p.cookie is None:
        return _redirect("/login")
    try:
        c = call.console
        code = call.form.get("code", "")
        ok = users.check_second_factor(call.s, p.user, code, now=call.now, policy=c.policy, sealer=c.sealer,
                                       source=call.source)  # fmt: skip
    except SealError:  # checked for every user at start: only a row written under another key gets here
        log.error("the TOTP key of %s does not open under the configured console key", p.user.name)
        return call.render("totp.html", status=500, error="this account's second factor cannot be read; ask an admin")
    if not ok:
        call.console.throttle.failed(call.source, call.now)
        if users.locked(p.user, call.now):
            sessions.end_all(call.s, p.user.id)
            return _login_page(call, 401, "the account is locked")
        return call.render("totp.html", status=401, error="wrong or already used code")
    cookie = sessions.start(call.s, p.user, now=call.now, mfa_pending=False, replaces=p.cookie)
    resp = _redirect("/")
    set_session_cookie(call.console, resp, cookie)
    return resp


def enroll_form(call: Call) -> Response:
    """Enrolment: a new secret, shown once as an otpauth URI and an inline SVG QR code."""
    p = call.principal
    if p is None or not p.mfa_pending or p.user.totp_confirmed:
        return _redirect("/login")
    secret = users.start_enrolment(call.s, p.user, call.console.sealer)
    uri = totp.provisioning_uri(secret, p.user.name)
    return call.render("enroll.html", uri=uri, secret=secret, qr_svg=qr.svg(uri), error=None)


def enroll(call: Call) -> Response:
    """Confirm enrolment with a first code; show the recovery codes once; the session becomes full (new id)."""
    p = call.principal
    if p is None or not p.mfa_pending or p.cookie is None or p.user.totp_confirmed or not p.user.totp_secret:
        return _redirect("/login")
    codes = users.confirm_enrolment(call.s, p.user, call.form.get("code", ""), now=call.now,
                                    sealer=call.console.sealer, source=call.source)  # fmt: skip
    if not codes:
        return _redirect("/enroll")  # a new secret: the shown one was never confirmed
    cookie = sessions.start(call.s, p.user, now=call.now, mfa_pending=False, replaces=p.cookie)
    trail.record(call.s, at=call.now, actor=p.user.name, action="login", new="totp", source=call.source)
    resp = call.render("recovery.html", codes=codes)
    set_session_cookie(call.console, resp, cookie)
    return resp


def logout(call: Call) -> Response:
    """End the session."""
    p = call.principal
    if p is not None and p.cookie is not None:
        sessions.end(call.s, p.cookie)
        trail.record(call.s, at=call.now, actor=p.user.name, action="logout", source=call.source)
    resp = _redirect("/login")
    resp.delete_cookie(COOKIE, path="/")
    return resp


# --- pages -----------------------------------------------------------------------------------------------------


# Read-only routes that show the searcher's state: the app reads it for them between two units of work, with no
# database lock held (see `app._dispatch`).
STATE_FIRST = frozenset({"overview", "api_overview", "api_state"})


def read_state(c: Console) -> tuple[State | None, str | None]:
    """The searcher's control state, or the one-line reason there is none."""
    if c.control is None:
        return None, "no searcher attached (control API not configured)"
    try:
        client = c.control()  # may fail: control.json missing while the searcher is down
    except ControlError as exc:
        return None, str(exc)
    try:
        return client.state(), None
    except ControlError as exc:
        return None, str(exc)
    finally:
        client.close()


def _state(call: Call) -> tuple[State | None, str | None]:
    return call.searcher if call.searcher is not None else read_state(call.console)


def _chart_data(call: Call, state: State | None) -> dict[str, charts.Chart]:
    """The overview's charts from the searcher's counters, the database and the relayed block events."""
    counters = state.raw.get("counters", {}) if state is not None else {}
    counters = counters if isinstance(counters, dict) else {}
    realized = (select(TradeModel.block_number, TradeModel.profit)
                .where(TradeModel.status == "success", TradeModel.block_number.is_not(None))
                .order_by(TradeModel.block_number, TradeModel.id))  # fmt: skip
    refused = (select(BundleSubmissionModel.kind, func.count()).where(BundleSubmissionModel.accepted.is_(False))
               .group_by(BundleSubmissionModel.kind).order_by(BundleSubmissionModel.kind))  # fmt: skip
    trades = [(int(block or 0), int(profit)) for block, profit in call.s.execute(realized)]  # no None: filtered
    fails = [(kind, int(n)) for kind, n in call.s.execute(refused)]
    pace = state.raw.get("pace") if state is not None else None
    return charts.overview(
        counters, trades, call.console.activity.rates(), fails, pace if isinstance(pace, dict) else None
    )


def _summary(call: Call, state: State | None) -> dict[str, Any]:
    """What the overview shows and its script updates from `/api/overview`: counts from the database, the
    searcher's head block (None before its first) and the charts."""
    head = state.raw.get("head") if state is not None else None
    number = head.get("number") if isinstance(head, dict) else None
    realized = select(func.count()).select_from(TradeModel).where(TradeModel.status == "success")
    return {
        "counts": {
            "pools": call.s.scalar(select(func.count()).select_from(PoolModel)) or 0,
            "bundles": call.s.scalar(select(func.count()).select_from(BundleModel)) or 0,
            "trades": call.s.scalar(select(func.count()).select_from(TradeModel)) or 0,
            "realized": call.s.scalar(realized) or 0,
        },
        "head": number if isinstance(number, int) and not isinstance(number, bool) else None,
        "charts": _chart_data(call, state),
    }


def overview(call: Call) -> Response:
    """The searcher's state and, for roles that may, its controls; counts and charts; live through /api/events."""
    state, error = _state(call)
    chart_js = call.console.chart_js
    return call.render("overview.html", state=state, error=error, summary=_summary(call, state),
                       chart_js_version=vendor.chart_js_version(chart_js),
                       chart_js_missing=vendor.missing_note(chart_js))  # fmt: skip


def bundles(call: Call) -> Response:
    """Per builder: bundles sent, landed, missed (with reasons) and request latency; then the latest bundles."""
    sends = select(BundleSubmissionModel).where(BundleSubmissionModel.method == "eth_sendBundle")
    per: dict[str, dict[str, Any]] = {}
    fates = dict(call.s.execute(select(BundleModel.uuid, BundleModel.status)).all())
    reasons = dict(call.s.execute(select(BundleModel.uuid, BundleModel.miss_reason)).all())
    for sub in call.s.scalars(sends):
        row = per.setdefault(sub.builder, {"sent": 0, "refused": 0, "landed": 0, "missed": 0, "reasons": {},
                                           "latencies": []})  # fmt: skip
        if not sub.accepted:
            row["refused"] += 1
            continue
        row["sent"] += 1
        if sub.latency_ms is not None:
            row["latencies"].append(sub.latency_ms)
        fate = fates.get(sub.bundle_uuid)
        if fate == "landed":
            row["landed"] += 1
        elif fate == "missed":
            row["missed"] += 1
            reason = reasons.get(sub.bundle_uuid) or "unknown"
            row["reasons"][reason] = row["reasons"].get(reason, 0) + 1
    for row in per.values():
        lat = sorted(row.pop("latencies"))
        row["latency"] = f"{lat[len(lat) // 2]:.1f} ms median, {lat[-1]:.1f} ms max" if lat else "-"
    rows = call.s.scalars(select(BundleModel).order_by(BundleModel.id.desc()).limit(100)).all()
    return call.render("bundles.html", rows=rows, per_builder=sorted(per.items()))


def trades(call: Call) -> Response:
    """The latest trades: what the simulation judged (the bundle's expected net) next to what was realized."""
    q = (select(TradeModel, BundleModel.expected_net, BundleModel.simulated_profit)
         .outerjoin(BundleModel, BundleModel.uuid == TradeModel.bundle_uuid)
         .order_by(TradeModel.id.desc()).limit(100))  # fmt: skip
    # A trade's profit column holds the simulated profit until the audit of its receipt replaces it.
    rows = [{"t": t, "simulated": expected if expected is not None else simulated,
             "realized": t.profit if t.status in ("success", "reverted") else None}
            for t, expected, simulated in call.s.execute(q)]  # fmt: skip
    return call.render("trades.html", rows=rows)


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _quote(call: Call) -> tuple[dict[str, Any] | None, str | None]:
    """The quote the query asks for (`pool`, `token_in`, `amount` in raw units) from the pool's saved state, or
    the one-line reason it cannot be given. Pure math on the saved state: no node is asked."""
    params = call.request.query_params
    pool, token_in, amount = (params.get(k, "").strip() for k in ("pool", "token_in", "amount"))
    if not pool:
        return None, None
    if not _ADDRESS.fullmatch(pool):
        return None, f"pool: {pool[:66]!r} is not an address"
    if not _ADDRESS.fullmatch(token_in):
        return None, f"token_in: {token_in[:66]!r} is not an address"
    if not amount.isdigit() or not 0 < int(amount[:80]) < 2**256:
        return None, f"amount: {amount[:80]!r} is not a whole number of raw units between 1 and 2^256-1"
    row = call.s.scalars(select(PoolModel).where(func.lower(PoolModel.address) == pool.lower())).first()
    if row is None:
        return None, f"pool: {pool} is not in the database"
    if row.state is None:
        return None, f"pool: {pool} has no saved state yet"
    tokens = {row.token0.lower(): row.token1, row.token1.lower(): row.token0}
    if token_in.lower() not in tokens:
        return None, f"token_in: {token_in} is neither of the pool's tokens ({row.token0}, {row.token1})"
    try:
        model = amm_from_dict(row.state)
        # The model's own spelling of the token (checksummed or not, as its state was saved).
        side = next(t for t in (model.token0, model.token1) if t.lower() == token_in.lower())
        out = model.quote_exact_in(side, int(amount))
    except AmmError as exc:  # the pool would refuse it (no liquidity, amount out of range)
        return None, f"the pool refuses {amount} of {token_in}: {exc}"
    except (ValueError, KeyError, TypeError, StopIteration) as exc:  # a saved state this version cannot read
        return None, f"pool: {pool}'s saved state cannot be read: {exc}"
    return {"pool": row.address, "token_in": token_in, "amount": amount, "token_out": tokens[token_in.lower()],
            "out": str(out), "block": row.state_block}, None  # fmt: skip


def pools(call: Call) -> Response:
    """Pools, optionally filtered by address, token, venue or kind; a quote from a pool's saved state when asked."""
    q = call.request.query_params.get("q", "").strip().lower()[:42]
    query = select(PoolModel).order_by(PoolModel.id)
    if q:
        like = f"%{q}%"
        query = query.where(PoolModel.address.like(like) | PoolModel.token0.like(like) | PoolModel.token1.like(like)
                            | PoolModel.venue.like(like) | PoolModel.kind.like(like))  # fmt: skip
    quote, error = _quote(call)
    if call.wants_json and (quote or error):
        return JSONResponse(quote) if quote else JSONResponse({"error": error}, status_code=400)
    return call.render("pools.html", status=400 if error else 200, rows=call.s.scalars(query.limit(200)).all(), q=q,
                       quote=quote, quote_error=error, form=call.request.query_params)  # fmt: skip


def config(call: Call) -> Response:
    """The configuration, read-only (built without secrets by the caller of `create_app`)."""
    return call.render("config.html", config=call.console.config_view)


def api_state(call: Call) -> Response:
    """The searcher's control state as JSON (its own document, as checked)."""
    state, error = _state(call)
    if state is None:
        return JSONResponse({"error": error}, status_code=502)
    return JSONResponse(state.raw)


def api_overview(call: Call) -> Response:
    """The overview's counts, head block and charts as JSON (what its script fetches on a block, bundle or trade
    event, to update the page in place); `error` says why the searcher's state is missing, when it is."""
    state, error = _state(call)
    return JSONResponse({**_summary(call, state), "error": error})


def _watched(source: AsyncIterator[bytes], activity: Activity) -> AsyncIterator[bytes]:
    """The relayed stream, noting each block event for the blocks/s chart on the way."""

    async def gen() -> AsyncIterator[bytes]:
        async for chunk in source:
            if chunk.startswith(b"id: ") and b"\nevent: block\n" in chunk:
                with contextlib.suppress(ValueError, IndexError, AttributeError):
                    activity.block(json.loads(chunk.split(b"\ndata: ", 1)[1]).get("number"))
            yield chunk

    return gen()


def api_events(call: Call) -> Response:
    """The searcher's event stream, relayed: the browser holds a console session, never the control token."""
    if call.console.control is None:
        return _bad(call, "no searcher attached (control API not configured)", 502)
    try:
        client = call.console.control()
    except ControlError as exc:
        return _bad(call, str(exc), 502)
    stream = client.events()
    client.close()  # the relay opens its own connection
    return StreamingResponse(_watched(stream, call.console.activity), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})  # fmt: skip


def static(call: Call) -> Response:
    """The console's own script and style sheet, and the chart library the setup step placed (a fixed list:
    nothing else on disk is reachable)."""
    name = call.request.path_params.get("name", "")
    kind = STATIC_TYPES.get(name)
    if kind is None:
        return PlainTextResponse("not found", status_code=404)
    path = call.console.chart_js if name == vendor.CHART_JS_NAME else STATIC / name
    try:
        body = path.read_bytes()
    except OSError:
        return PlainTextResponse(vendor.missing_note(path) if name == vendor.CHART_JS_NAME else "not found",
                                 status_code=404)  # fmt: skip
    return Response(body, media_type=kind, headers={"Cache-Control": "no-cache"})


# --- tokens ----------------------------------------------------------------------------------------------------


def tokens(call: Call) -> Response:
    """The caller's API tokens."""
    assert call.principal is not None
    p = call.principal
    return call.render("tokens.html", tokens=users.tokens_of(call.s, p.user.id), new_token=None, error=None,
                       scopes=sorted(x.value for x in ROLE_PERMISSIONS[p.role]))  # fmt: skip


def token_create(call: Call) -> Response:
    """Create a token for the caller: scopes within their role; shown once."""
    assert call.principal is not None
    p = call.principal
    scopes = [x for x in call.form.get("scopes", "").replace(",", " ").split() if x]
    try:
        secret = users.create_token(call.s, p.user.name, call.form.get("label", "").strip(), scopes, now=call.now,
                                    actor=p.user.name, source=call.source)  # fmt: skip
    except users.UserError as exc:
        return _bad(call, str(exc))
    if call.wants_json:
        return JSONResponse({"token": secret})
    return call.render("tokens.html", tokens=users.tokens_of(call.s, p.user.id), new_token=secret, error=None,
                       scopes=sorted(x.value for x in ROLE_PERMISSIONS[p.role]))  # fmt: skip


def token_revoke(call: Call) -> Response:
    """Revoke one of the caller's tokens."""
    assert call.principal is not None
    raw = call.request.path_params.get("token_id", "")
    try:
        users.revoke_token(call.s, call.principal.user.id, int(raw), now=call.now, actor=call.principal.user.name,
                           source=call.source)  # fmt: skip
    except (ValueError, users.UserError):
        return _bad(call, f"token {raw!r} does not exist", 404)
    return JSONResponse({"revoked": int(raw)}) if call.wants_json else _redirect("/tokens")


# --- controls --------------------------------------------------------------------------------------------------


def _control(
    call: Call, what: str, act: Callable[[ControlClient, str], State], view: Callable[[State], Any]
) -> Response:
    """Call the control API as the logged-in user and audit old -> new (or the failure)."""
    assert call.principal is not None
    actor = call.principal.user.name
    if call.console.control is None:
        return _bad(call, "no searcher attached (control API not configured)", 502)
    try:
        client = call.console.control()
    except ControlError as exc:
        trail.record(call.s, at=call.now, actor=actor, action=f"control_failed:{what}", new=str(exc)[:500],
                     source=call.source)  # fmt: skip
        return _bad(call, str(exc), 502)
    try:
        before = client.state()
        after = act(client, actor)
    except ControlError as exc:
        trail.record(call.s, at=call.now, actor=actor, action=f"control_failed:{what}", new=str(exc)[:500],
                     source=call.source)  # fmt: skip
        # The searcher refusing a value (4xx) is the caller's error; anything else is the searcher's.
        return _bad(call, str(exc), 400 if exc.status is not None and 400 <= exc.status < 500 else 502)
    finally:
        client.close()
    trail.record(call.s, at=call.now, actor=actor, action=f"control:{what}", old=_text(view(before)),
                 new=_text(view(after)), source=call.source)  # fmt: skip
    return JSONResponse(after.raw) if call.wants_json else _redirect("/")


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


def _strategy(call: Call) -> str | None:
    return call.form.get("strategy", "").strip() or None


def _paused_view(strategy: str | None) -> Callable[[State], Any]:
    if strategy is None:
        return lambda st: {"paused": st.paused}
    return lambda st: {"paused": strategy in st.paused_strategies, "strategy": strategy}


def pause(call: Call) -> Response:
    """Pause the searcher or one strategy."""
    st = _strategy(call)
    return _control(call, "pause", lambda c, a: c.pause(a, st), _paused_view(st))


def resume(call: Call) -> Response:
    """Resume the searcher or one strategy."""
    st = _strategy(call)
    return _control(call, "resume", lambda c, a: c.resume(a, st), _paused_view(st))


def _flag(call: Call, name: str) -> bool | None:
    v = call.form.get(name, "").strip().lower()
    return {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}.get(v)


def kill(call: Call) -> Response:
    """Engage (`engaged=true`) or lift (`engaged=false`) the kill switch."""
    engaged = _flag(call, "engaged")
    if engaged is None:
        return _bad(call, f"engaged {call.form.get('engaged')!r} must be true or false")
    return _control(call, "kill", lambda c, a: c.kill(a, engaged), lambda st: {"killed": st.killed})


def _int_field(call: Call, name: str) -> int | str | None:
    raw = call.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 78:
        return f"{name} {raw[:80]!r} must be a non-negative whole number"
    return int(raw)


def params(call: Call) -> Response:
    """Change the bribe share (bps) and/or the minimum profit (wei); the searcher enforces its limits."""
    bribe, floor = _int_field(call, "bribe_share_bps"), _int_field(call, "min_profit_wei")
    for v in (bribe, floor):
        if isinstance(v, str):
            return _bad(call, v)
    if bribe is None and floor is None:
        return _bad(call, "params: give bribe_share_bps and/or min_profit_wei")
    assert not isinstance(bribe, str) and not isinstance(floor, str)
    return _control(
        call, "params", lambda c, a: c.params(a, bribe_share_bps=bribe, min_profit_wei=floor),
        lambda st: {"bribe_share_bps": st.bribe_share_bps, "min_profit_wei": str(st.min_profit_wei)},
    )  # fmt: skip


def builder(call: Call) -> Response:
    """Enable or disable one builder."""
    name = call.request.path_params.get("name", "")
    enabled = _flag(call, "enabled")
    if enabled is None:
        return _bad(call, f"enabled {call.form.get('enabled')!r} must be true or false")
    return _control(call, f"builder:{name}"[:64], lambda c, a: c.builder(a, name, enabled),
                    lambda st: {"enabled": st.builders.get(name)})  # fmt: skip


# --- admin -----------------------------------------------------------------------------------------------------


def users_page(call: Call, error: str | None = None, status: int = 200) -> Response:
    """Users, their roles, MFA and lock state."""
    return call.render("users.html", status=status, users=users.all_users(call.s), now=call.now, error=error,
                       roles=[r.value for r in Role])  # fmt: skip


def _admin(call: Call, change: Callable[[str], None]) -> Response:
    try:
        change(call.principal.user.name if call.principal else "")
    except users.UserError as exc:
        return _bad(call, str(exc))
    return JSONResponse({"ok": True}) if call.wants_json else _redirect("/admin/users")


def user_add(call: Call) -> Response:
    """Add a user (password from the form; at least 12 characters)."""
    f = call.form
    name, role, password = f.get("username", "").strip(), f.get("role", ""), f.get("password", "")
    return _admin(
        call, lambda actor: users.add(call.s, name, role, password, now=call.now, actor=actor, source=call.source)
    )


def user_role(call: Call) -> Response:
    """Change a user's role."""
    name = call.request.path_params["name"]
    return _admin(call, lambda actor: users.set_role(call.s, name, call.form.get("role", ""), now=call.now,
                                                     actor=actor, source=call.source))  # fmt: skip


def user_unlock(call: Call) -> Response:
    """Unlock a locked account."""
    name = call.request.path_params["name"]
    return _admin(call, lambda actor: users.unlock(call.s, name, now=call.now, actor=actor, source=call.source))


def user_reset_mfa(call: Call) -> Response:
    """Reset a user's TOTP (they enrol again at their next login)."""
    name = call.request.path_params["name"]
    return _admin(call, lambda actor: users.reset_mfa(call.s, name, now=call.now, actor=actor, source=call.source))


def audit(call: Call) -> Response:
    """The latest 500 audit rows."""
    return call.render("audit.html", rows=trail.rows(call.s, limit=500), retention=call.console.retention_days)


def audit_export(call: Call) -> Response:
    """Every audit row as CSV (`?format=csv`, the default) or JSON (`?format=json`)."""
    fmt = call.request.query_params.get("format", "csv")
    items = trail.rows(call.s)
    if fmt == "json":
        return PlainTextResponse(trail.to_json(items), media_type="application/json",
                                 headers={"Content-Disposition": 'attachment; filename="audit.json"'})  # fmt: skip
    if fmt == "csv":
        return PlainTextResponse(trail.to_csv(items), media_type="text/csv",
                                 headers={"Content-Disposition": 'attachment; filename="audit.csv"'})  # fmt: skip
    return _bad(call, f"format {fmt[:20]!r} must be csv or json")


HANDLERS: dict[str, Handler] = {
    "login_form": login_form, "login": login, "totp_form": totp_form, "totp": totp_step,
    "enroll_form": enroll_form, "enroll": enroll, "logout": logout, "overview": overview, "bundles": bundles,
    "trades": trades, "pools": pools, "config": config, "api_state": api_state, "api_overview": api_overview,
    "api_events": api_events,
    "static": static, "tokens": tokens,
    "token_create": token_create, "token_revoke": token_revoke, "pause": pause, "resume": resume, "kill": kill,
    "params": params, "builder": builder, "users": users_page, "user_add": user_add, "user_role": user_role,
    "user_unlock": user_unlock, "user_reset_mfa": user_reset_mfa, "audit": audit, "audit_export": audit_export,
}  # fmt: skip
