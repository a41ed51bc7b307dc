"""The route table: every route x role, stated here independently, and the README's copy of the table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arbbot.console import permissions
from arbbot.console.handlers import HANDLERS
from arbbot.console.permissions import ROUTES, Role, allowed

ROOT = Path(__file__).resolve().parents[3]
LOGIN_STEPS = {"login_form", "login", "totp_form", "totp", "enroll_form", "enroll", "static"}  # no session needed
VIEW = {"logout", "overview", "bundles", "trades", "pools", "config", "api_state", "api_overview", "api_events",
        "tokens", "token_create", "token_revoke"}  # fmt: skip
CONTROL = {"pause", "resume", "kill", "params", "builder"}
ADMIN = {"users", "user_add", "user_role", "user_unlock", "user_reset_mfa", "audit", "audit_export"}
EXPECTED = {
    Role.VIEWER: LOGIN_STEPS | VIEW,
    Role.OPERATOR: LOGIN_STEPS | VIEW | CONTROL,
    Role.ADMIN: LOGIN_STEPS | VIEW | CONTROL | ADMIN,
}


def test_every_route_is_classified_here() -> None:
    assert {r.name for r in ROUTES} == LOGIN_STEPS | VIEW | CONTROL | ADMIN
    assert set(HANDLERS) == {r.name for r in ROUTES}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_route_by_role(route: permissions.Route, role: Role) -> None:
    assert allowed(role, route) == (route.name in EXPECTED[role])


def test_every_state_change_is_a_post() -> None:
    assert all(r.method == "POST" for r in ROUTES if r.name in CONTROL | {"user_add", "user_role", "user_unlock"})


def test_readme_table_is_the_route_table() -> None:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- console-permissions -->\n(.*?)\n<!-- /console-permissions -->", text, re.S)
    assert m is not None, "README lacks the console permission table markers"
    assert m.group(1).strip() == permissions.markdown_table()
