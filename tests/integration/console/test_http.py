"""The console served by uvicorn on 127.0.0.1 (a run-time port), driven over real HTTP: login with password and
TOTP (enrolment included), wrong and replayed codes, CSRF, session expiry (an injected clock, moved by the test),
lockout, a viewer refused every control in the page and by direct request, an operator's controls reaching the
control API (the real server) as that user, API tokens, and the audit rows all of it leaves."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.console import totp, users
from arbbot.console.context import COOKIE
from arbbot.console.control import ControlClient, discover
from arbbot.console.permissions import ROUTES, Permission
from arbbot.console.throttle import SourceThrottle
from arbbot.db import repo
from arbbot.state.discovery import DiscoveredPool
from tests.integration.console.conftest import PW, T0, Served


def _client(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.url, follow_redirects=False, timeout=10)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def password_step(c: httpx.Client, name: str, password: str) -> httpx.Response:
    """The login form fetched (its CSRF token and cookie), then sent with the user name and password."""
    page = c.get("/login")
    assert page.status_code == 200
    return c.post("/login", data={"csrf": _csrf(page.text), "username": name, "password": password})


def _key(secret: str) -> bytes:
    return totp.decode_secret(secret)


def enrol(served: Served, c: httpx.Client, name: str) -> bytes:
    """Password step, then TOTP enrolment through the pages; returns the TOTP key."""
    r = password_step(c, name, PW)
    assert (r.status_code, r.headers["location"]) == (303, "/enroll")
    pending = c.cookies[COOKIE]
    page = c.get("/enroll")
    assert page.status_code == 200 and "<svg" in page.text and "otpauth://totp/arbbot:" in page.text
    secret = re.search(r'id="secret">([A-Z2-7]+)<', page.text)
    assert secret
    key = _key(secret.group(1))
    r = c.post("/enroll", data={"csrf": _csrf(page.text), "code": totp.totp(key, served.clock.now.timestamp())})
    assert r.status_code == 200 and len(re.findall(r'<li class="mono">', r.text)) == 10
    assert c.cookies[COOKIE] != pending  # the session id changed at login
    return key


def login(served: Served, c: httpx.Client, name: str, key: bytes | None) -> httpx.Response:
    r = password_step(c, name, PW)
    if key is None:
        return r
    assert (r.status_code, r.headers["location"]) == (303, "/login/totp")
    page = c.get("/login/totp")
    return c.post("/login/totp", data={"csrf": _csrf(page.text), "code": totp.totp(key, served.clock.now.timestamp())})


def test_operator_enrols_logs_in_and_pauses_the_searcher(served: Served) -> None:
    with _client(served) as c:
        enrol(served, c, "olga")
        page = c.get("/")
        assert page.status_code == 200 and 'id="pause"' in page.text and 'id="kill"' in page.text
        set_cookie = c.get("/").headers.get("set-cookie")
        assert set_cookie is None  # the cookie is set at login only
        r = c.post("/control/pause", data={"csrf": _csrf(page.text)})
        assert r.status_code == 303
        assert served.control.state["paused"] is True
        assert served.control.actors == [("paused", "olga")]
        r = c.post("/control/params", data={"csrf": _csrf(page.text), "bribe_share_bps": "100"})
        assert r.status_code == 400 and "bribe_share_bps: 100 is outside the limits [5000, 9500]" in r.text
        assert 'id="strategy-backrun"' in page.text
        r = c.post("/control/pause", data={"csrf": _csrf(page.text), "strategy": "backrun"})
        assert r.status_code == 303 and served.control.state["paused_strategies"] == ["backrun"]
        assert "Resume backrun" in c.get("/").text
        r = c.post("/control/builders/titan", data={"csrf": _csrf(page.text), "enabled": "false"})
        assert r.status_code == 303 and served.control.state["builders"]["titan"] == {"enabled": False}
    audit = served.audit()
    assert ("olga", "control:pause", '{"paused": false}', '{"paused": true}') in audit
    paused_backrun = '{"paused": true, "strategy": "backrun"}'
    assert ("olga", "control:pause", '{"paused": false, "strategy": "backrun"}', paused_backrun) in audit
    assert ("olga", "control:builder:titan", '{"enabled": true}', '{"enabled": false}') in audit
    assert any(a[:2] == ("olga", "control_failed:params") for a in audit)
    assert [a[1] for a in audit if a[0] == "olga"][:2] == ["mfa_enrolled", "login"]


def test_login_cookie_attributes(served: Served) -> None:
    with _client(served) as c:
        r = password_step(c, "vic", PW)
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain HTTP here; `--cert/--key` makes it Secure
        assert "max-age" not in cookie and "expires" not in cookie  # the server ends sessions
        assert r.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in r.headers[
            "content-security-policy"]  # fmt: skip


def test_wrong_and_replayed_totp_are_refused(served: Served) -> None:
    with _client(served) as c:
        key = enrol(served, c, "olga")
        c.post("/logout", data={"csrf": _csrf(c.get("/").text)})
    served.clock.step(1)  # same 30 s step as the enrolment code: a replay
    with _client(served) as c:
        r = login(served, c, "olga", key)
        assert r.status_code == 401 and "already used" in r.text
        page = c.get("/login/totp")
        wrong = f"{(int(totp.totp(key, served.clock.now.timestamp())) + 1) % 10**6:06d}"
        r = c.post("/login/totp", data={"csrf": _csrf(page.text), "code": wrong})
        assert r.status_code == 401
        assert c.get("/").status_code == 303  # still not logged in
    actions = [a[1] for a in served.audit() if a[0] == "olga"]
    assert "mfa_replayed" in actions and "mfa_failed" in actions


def test_a_new_password_step_replaces_a_pending_session(served: Served) -> None:
    with _client(served) as c:
        enrol(served, c, "olga")
        c.post("/logout", data={"csrf": _csrf(c.get("/").text)})
        first = password_step(c, "olga", PW)
        pending = c.cookies[COOKIE]
        again = password_step(c, "olga", PW)  # e.g. the back button
        assert first.status_code == again.status_code == 303 and c.cookies[COOKIE] != pending
        assert c.get("/").status_code == 303  # still only the password step: no page yet


def test_missing_or_wrong_csrf_is_refused(served: Served) -> None:
    with _client(served) as c:
        enrol(served, c, "olga")
        assert c.post("/control/kill", data={"engaged": "true"}).status_code == 403
        assert c.post("/control/kill", data={"engaged": "true", "csrf": "forged"}).status_code == 403
        assert c.post("/control/kill", data={"engaged": "true"}, headers={"X-CSRF-Token": "x"}).status_code == 403
    assert served.control.state["killed"] is False and served.control.actors == []


def test_idle_and_absolute_expiry(served: Served) -> None:
    with _client(served) as c:
        enrol(served, c, "olga")
        csrf = _csrf(c.get("/").text)
        served.clock.step(15 * 60 + 1)
        assert c.get("/").headers["location"] == "/login"
        assert c.post("/control/pause", data={"csrf": csrf}).status_code == 401
    served.clock.step(60)
    with _client(served) as c:
        login(served, c, "vic", None)
        start = served.clock.now
        while c.get("/").status_code == 200:  # used every 15 min: only the absolute limit (8 h) ends it
            assert served.clock.now - start <= timedelta(hours=8)
            served.clock.step(15 * 60 - 1)
        assert served.clock.now - start > timedelta(hours=8)
    assert served.control.state["paused"] is False


def test_repeated_failures_lock_the_account(served: Served) -> None:
    with _client(served) as c:
        for _ in range(3):
            assert password_step(c, "vic", "wrong password").status_code == 401
        assert login(served, c, "vic", None).status_code == 401  # right password, locked
        served.clock.step(10 * 60 + 1)
        assert login(served, c, "vic", None).status_code == 303
    actions = [a[1] for a in served.audit() if a[0] == "vic"]
    assert actions == ["login_failed"] * 3 + ["lockout", "login_refused_locked", "login"]


def test_viewer_sees_no_control_and_every_control_is_refused(served: Served) -> None:
    with _client(served) as c:
        assert login(served, c, "vic", None).headers["location"] == "/"
        page = c.get("/")
        assert page.status_code == 200 and "/control/" not in page.text and 'id="state"' in page.text
        csrf = _csrf(page.text)
        for route in ROUTES:
            if route.permission in (Permission.CONTROL, Permission.ADMIN):
                path = route.path.replace("{name}", "titan")
                r = c.request(route.method, path, data={"csrf": csrf, "engaged": "true", "enabled": "false",
                                                         "role": "admin", "bribe_share_bps": "9000"})  # fmt: skip
                assert r.status_code == 403, route
    assert served.control.actors == [] and served.control.state["generation"] == 0
    refused = [a for a in served.audit() if a[:2] == ("vic", "forbidden")]
    assert len(refused) == sum(r.permission in (Permission.CONTROL, Permission.ADMIN) for r in ROUTES)


def test_api_tokens_act_within_their_scopes(served: Served) -> None:
    with served.sdb.begin() as s:
        full = users.create_token(s, "olga", "ci", ["view", "control"], now=T0, actor="olga")
        look = users.create_token(s, "olga", "dash", ["view"], now=T0, actor="olga")
    with _client(served) as c:
        assert c.get("/api/state", headers={"Authorization": f"Bearer {look}"}).json()["paused"] is False
        r = c.post("/control/kill", json={"engaged": True}, headers={"Authorization": f"Bearer {look}"})
        assert r.status_code == 403
        r = c.post("/control/kill", json={"engaged": True}, headers={"Authorization": f"Bearer {full}"})
        assert r.status_code == 200 and r.json()["killed"] is True  # no cookie: no CSRF needed
        assert c.get("/api/state", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert served.control.actors == [("killed", "olga")]


def test_admin_pages_and_audit_export(served: Served) -> None:
    with _client(served) as c:
        enrol(served, c, "ada")
        page = c.get("/admin/users")
        assert page.status_code == 200 and "olga" in page.text
        r = c.post("/admin/users/vic/role", data={"csrf": _csrf(page.text), "role": "operator"})
        assert r.status_code == 303
        r = c.post("/admin/users", data={"csrf": _csrf(page.text), "username": "Bad Name", "role": "viewer",
                                         "password": PW})  # fmt: skip
        assert r.status_code == 400 and "user name &#39;Bad Name&#39; is invalid" in r.text
        assert c.get("/admin/audit").status_code == 200
        csv_text = c.get("/admin/audit/export", params={"format": "csv"}).text
        doc = c.get("/admin/audit/export", params={"format": "json"}).json()
    assert csv_text.startswith("id,at,actor,action,target,old,new,source")
    assert {"actor": "ada", "action": "role_changed", "target": "vic", "old": "viewer", "new": "operator"}.items() <= (
        next(d for d in doc if d["action"] == "role_changed").items()
    )
    assert all(d["source"] in ("", "127.0.0.1") for d in doc)


def test_a_searcher_that_is_down_is_a_shown_error(served: Served, tmp_path: Path) -> None:
    served.console.control = lambda: ControlClient(discover(tmp_path), "unused")  # no control.json: not running
    with _client(served) as c:
        enrol(served, c, "olga")
        page = c.get("/")
        assert page.status_code == 200 and "control.json not found" in page.text
        r = c.post("/control/pause", data={"csrf": _csrf(page.text)}, headers={"Accept": "application/json"})
        assert r.status_code == 502 and "control.json not found" in r.json()["error"]
        events = c.get("/api/events", headers={"Accept": "application/json"})
        assert events.status_code == 502 and "control.json not found" in events.json()["error"]
    assert served.control.actors == []
    failed = [(a, act) for a, act, _, new in served.audit() if new and "control.json not found" in new]
    assert failed == [("olga", "control_failed:pause")]


def test_only_self_scripts_and_styles_and_a_fixed_static_list(served: Served) -> None:
    with _client(served) as c:
        r = c.get("/login")
        csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
        assert csp["connect-src"] == "'self'" and "unsafe" not in r.headers["content-security-policy"]
        assert "<script>" not in r.text and "<style>" not in r.text and " style=" not in r.text
        js, css = c.get("/static/console.js"), c.get("/static/console.css")
        assert js.status_code == css.status_code == 200
        assert js.headers["content-type"].startswith("text/javascript") and "EventSource" in js.text
        assert css.headers["content-type"].startswith("text/css")
        for name in ("../app.py", "%2e%2e%2fapp.py", "app.py", "console.js.map"):
            assert c.get(f"/static/{name}").status_code == 404, name
        # The event relay is for logged-in users only (a browser is sent to the login page).
        assert c.get("/api/events", headers={"Accept": "application/json"}).status_code == 401
        assert c.get("/api/events").headers["location"] == "/login"


def test_the_password_step_needs_the_login_forms_csrf_token_and_cookie(served: Served) -> None:
    with _client(served) as c:
        form = c.get("/login")
        cookie = form.headers["set-cookie"].lower()
        assert "arbbot_login_csrf=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        token = _csrf(form.text)
        # A cross-site form: no token in the body (and a Strict cookie would not come with it either).
        r = c.post("/login", data={"username": "vic", "password": PW})
        assert r.status_code == 403 and COOKIE not in c.cookies
        # The token without its cookie (another browser's page), and a token that is not this cookie's.
        with _client(served) as other:
            r = other.post("/login", data={"csrf": token, "username": "vic", "password": PW})
            assert r.status_code == 403 and COOKIE not in other.cookies
        r = c.post("/login", data={"csrf": token[:-1] + ("A" if token[-1] != "A" else "B"), "username": "vic",
                                   "password": PW})  # fmt: skip
        assert r.status_code == 403 and COOKIE not in c.cookies
        # The refused page carries the form again: sent back with its token, the password step goes through.
        assert _csrf(r.text) == token  # the browser's token stands (a second tab's form stays valid)
        assert _csrf(c.get("/login").text) == token
        r = c.post("/login", data={"csrf": _csrf(r.text), "username": "vic", "password": PW})
        assert r.status_code == 303 and COOKIE in c.cookies


def test_one_address_failing_on_many_accounts_is_throttled(served: Served) -> None:
    served.console.throttle = SourceThrottle(failures=3, window=timedelta(minutes=5))
    with _client(served) as c:
        for name in ("vic", "olga", "ada"):  # a different account each time: no account locks
            assert password_step(c, name, "wrong password").status_code == 401
        r = password_step(c, "vic", PW)  # the right password, from the same address
        assert r.status_code == 429 and "try again in 300 s" in r.text and COOKIE not in c.cookies
        assert ("-", "login-throttled", None, None) in [row[:4] for row in served.audit()]
        served.clock.step(5 * 60)  # the oldest failure leaves the window
        assert password_step(c, "vic", PW).status_code == 303


def test_the_pools_page_quotes_from_a_pools_saved_state(served: Served) -> None:
    pair, t0, t1 = "0x" + "ab" * 20, "0x" + "11" * 20, "0x" + "22" * 20
    r0, r1 = 1_234 * 10**18, 3_950_000 * 10**6
    with served.sdb.begin() as s:
        repo.upsert_pools(s, 1, [DiscoveredPool("uniswap_v2", "0x" + "fa" * 20, pair, t0, t1, 30, 0, 100)], "v2")
        repo.save_states(s, 1, [UniswapV2Pool(pair, t0, t1, r0, r1, 30)], 123)
    amount = 5 * 10**18
    expected = amount * 997 * r1 // (r0 * 1000 + amount * 997)  # UniswapV2Library.getAmountOut, by hand
    with _client(served) as c:
        login(served, c, "vic", None)
        page = c.get("/pools", params={"pool": pair, "token_in": t0.upper().replace("0X", "0x"), "amount": amount})
        assert page.status_code == 200
        out = re.search(r'id="quote-out">(\d+)<', page.text)
        assert out is not None and int(out.group(1)) == expected and "block 123" in page.text
        api = c.get("/pools", params={"pool": pair, "token_in": t1, "amount": 10**6},
                    headers={"accept": "application/json"})  # fmt: skip
        assert api.json()["out"] == str(10**6 * 997 * r0 // (r1 * 1000 + 10**6 * 997))
        bad = {
            ("amount", "1.5"): "amount: '1.5' is not a whole number",
            ("amount", "0"): "amount: '0' is not a whole number",
            ("token_in", "0x" + "33" * 20): "is neither of the pool's tokens",
            ("pool", "0x" + "cd" * 20): "is not in the database",
            ("pool", "pair"): "pool: 'pair' is not an address",
        }
        for (field, value), why in bad.items():
            q = {"pool": pair, "token_in": t0, "amount": str(amount), field: value}
            r = c.get("/pools", params=q, headers={"accept": "application/json"})
            assert r.status_code == 400 and why in r.json()["error"], (field, value, r.text)
        r = c.get("/pools", params={"pool": pair, "token_in": t0, "amount": str(r1 * 10**30)})
        assert r.status_code == 200 and int(re.search(r'id="quote-out">(\d+)<', r.text).group(1)) < r1  # type: ignore[union-attr]
