"""Roles, permissions and THE route table: every route of the console, the permission it needs, and so which
roles may use it. The app registers its routes from this table, the pages show a control only when the table
allows it, the API enforcement reads it, and the README's table is generated from it (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A console user's role."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class Permission(StrEnum):
    """What a route needs. API tokens carry a subset of their owner's permissions as scopes."""

    VIEW = "view"  # read pages and the searcher's state
    CONTROL = "control"  # pause/resume, kill switch, parameters, builders
    ADMIN = "admin"  # users and the audit trail


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.OPERATOR: frozenset({Permission.VIEW, Permission.CONTROL}),
    Role.ADMIN: frozenset({Permission.VIEW, Permission.CONTROL, Permission.ADMIN}),
}
MFA_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})  # roles that must use TOTP


@dataclass(frozen=True)
class Route:
    """One route: `permission` None means reachable without a full session (the login steps)."""

    name: str
    method: str
    path: str
    permission: Permission | None
    summary: str


ROUTES: tuple[Route, ...] = (
    Route("login_form", "GET", "/login", None, "login page (password)"),
    Route("login", "POST", "/login", None, "password step"),
    Route("totp_form", "GET", "/login/totp", None, "TOTP step page (after the password)"),
    Route("totp", "POST", "/login/totp", None, "TOTP or recovery code step"),
    Route("enroll_form", "GET", "/enroll", None, "TOTP enrolment page (after the password)"),
    Route("enroll", "POST", "/enroll", None, "confirm TOTP enrolment"),
    Route("logout", "POST", "/logout", Permission.VIEW, "end the session"),
    Route("overview", "GET", "/", Permission.VIEW, "overview"),
    Route("bundles", "GET", "/bundles", Permission.VIEW, "bundles"),
    Route("trades", "GET", "/trades", Permission.VIEW, "trades"),
    Route("pools", "GET", "/pools", Permission.VIEW, "pools: search, quote"),
    Route("config", "GET", "/config", Permission.VIEW, "configuration (read-only, no secrets)"),
    Route("api_state", "GET", "/api/state", Permission.VIEW, "the searcher's control state (JSON)"),
    Route("api_overview", "GET", "/api/overview", Permission.VIEW, "the overview's counts and charts (JSON)"),
    Route("api_events", "GET", "/api/events", Permission.VIEW, "the searcher's events, relayed (SSE)"),
    Route("static", "GET", "/static/{name}", None, "the console's script, style sheet and chart library"),
    Route("tokens", "GET", "/tokens", Permission.VIEW, "own API tokens"),
    Route("token_create", "POST", "/tokens", Permission.VIEW, "create an own API token (scopes within the role)"),
    Route("token_revoke", "POST", "/tokens/{token_id}/revoke", Permission.VIEW, "revoke an own API token"),
    Route("pause", "POST", "/control/pause", Permission.CONTROL, "pause the searcher or one strategy"),
    Route("resume", "POST", "/control/resume", Permission.CONTROL, "resume the searcher or one strategy"),
    Route("kill", "POST", "/control/kill", Permission.CONTROL, "engage or lift the kill switch"),
    Route("params", "POST", "/control/params", Permission.CONTROL, "bribe share / minimum profit"),
    Route("builder", "POST", "/control/builders/{name}", Permission.CONTROL, "enable or disable a builder"),
    Route("users", "GET", "/admin/users", Permission.ADMIN, "users"),
    Route("user_add", "POST", "/admin/users", Permission.ADMIN, "add a user"),
    Route("user_role", "POST", "/admin/users/{name}/role", Permission.ADMIN, "change a user's role"),
    Route("user_unlock", "POST", "/admin/users/{name}/unlock", Permission.ADMIN, "unlock a locked account"),
    Route("user_reset_mfa", "POST", "/admin/users/{name}/reset-mfa", Permission.ADMIN, "reset a user's TOTP"),
    Route("audit", "GET", "/admin/audit", Permission.ADMIN, "the audit trail"),
    Route("audit_export", "GET", "/admin/audit/export", Permission.ADMIN, "audit trail as CSV or JSON"),
)
BY_NAME: dict[str, Route] = {r.name: r for r in ROUTES}


def allowed(role: Role, route: Route) -> bool:
    """Whether a user of `role` with a full session may use `route`."""
    return route.permission is None or route.permission in ROLE_PERMISSIONS[role]


def can(role: Role, route_name: str) -> bool:
    """`allowed` by route name (what the templates use to show or hide a control)."""
    return allowed(role, BY_NAME[route_name])


def markdown_table() -> str:
    """The README's permission table: one row per route, one column per role."""
    roles = list(Role)
    lines = [
        "| Route | Needs | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for r in ROUTES:
        marks = " | ".join("yes" if allowed(role, r) else "no" for role in roles)
        need = r.permission.value if r.permission else "no session"
        lines.append(f"| `{r.method} {r.path}` ({r.summary}) | {need} | {marks} |")
    return "\n".join(lines)
