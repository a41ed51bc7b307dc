"""`arbbot console`: serve the operator console, and manage its users, tokens and audit trail from the shell.

Passwords come from a prompt (hidden) or the environment variable ARBBOT_CONSOLE_PASSWORD, never from an
argument (arguments are visible to other users of the machine)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from arbbot.cli.common import console, err_console, fail, settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from arbbot.config import Settings

app = typer.Typer(help="The operator console: web UI, users, API tokens and the audit trail.", no_args_is_help=True)
user_app = typer.Typer(help="Manage console users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
PASSWORD_ENV = "ARBBOT_CONSOLE_PASSWORD"
SHELL = "shell"  # the audit trail's actor for changes made with this command


def _db() -> tuple[Settings, sessionmaker[Session]]:
    from arbbot import db

    s = settings()
    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    return s, db.session_factory(engine)


def _password() -> str:
    pw = os.environ.get(PASSWORD_ENV)
    if pw:
        return pw
    if not sys.stdin.isatty():
        raise fail(f"no password: set {PASSWORD_ENV} or run on a terminal to be prompted")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise fail("the two passwords differ")
    return str(first)


def _now() -> datetime:
    from arbbot.console.server import utc_now

    return utc_now()


def _run(change: Callable[[Session], object]) -> None:
    from arbbot.console.users import UserError

    _, sessions = _db()
    try:
        with sessions.begin() as s:
            change(s)
    except UserError as exc:
        raise fail(str(exc)) from None


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (lower-case letters, digits, . _ -).")],
    role: Annotated[str, typer.Option(help="viewer, operator or admin.")] = "viewer",
) -> None:
    """Add a user; operators and admins enrol TOTP at their first login."""
    from arbbot.console import users

    try:  # bad input fails before the password is asked for
        users.check_name(name)
        users.check_role(role)
    except users.UserError as exc:
        raise fail(str(exc)) from None
    password = _password()
    _run(lambda s: users.add(s, name, role, password, now=_now(), actor=SHELL))
    console.print(f"user {name} added as {role}", highlight=False)


@user_app.command("role")
def user_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help="viewer, operator or admin.")],
) -> None:
    """Change a user's role (their sessions end)."""
    from arbbot.console import users

    _run(lambda s: users.set_role(s, name, role, now=_now(), actor=SHELL))
    console.print(f"user {name} is now {role}", highlight=False)


@user_app.command("password")
def user_password(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Set a user's password."""
    from arbbot.console import users

    password = _password()
    _run(lambda s: users.set_password(s, name, password, now=_now(), actor=SHELL))
    console.print(f"password of {name} changed", highlight=False)


@user_app.command("reset-mfa")
def user_reset_mfa(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Forget a user's TOTP and recovery codes (they enrol again at their next login)."""
    from arbbot.console import users

    _run(lambda s: users.reset_mfa(s, name, now=_now(), actor=SHELL))
    console.print(f"MFA of {name} reset", highlight=False)


@user_app.command("unlock")
def user_unlock(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Lift a lockout."""
    from arbbot.console import users

    _run(lambda s: users.unlock(s, name, now=_now(), actor=SHELL))
    console.print(f"user {name} unlocked", highlight=False)


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Delete a user with their sessions, tokens and recovery codes (audit rows keep the name until
    `arbbot console audit-erase`)."""
    from arbbot.console import users

    _run(lambda s: users.remove(s, name, now=_now(), actor=SHELL))
    console.print(f"user {name} removed", highlight=False)


@user_app.command("list")
def user_list() -> None:
    """Users, roles, MFA and lock state."""
    from arbbot.console import users

    _, sessions = _db()
    now = _now()
    with sessions() as s:
        for u in users.all_users(s):
            lock = f" locked until {u.locked_until.isoformat()}" if u.locked_until and users.locked(u, now) else ""
            mfa = "mfa" if u.totp_confirmed else "no-mfa"
            console.print(f"{u.name}\t{u.role}\t{mfa}{lock}", highlight=False)


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="User name (the token acts as this user).")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "automation",
    scope: Annotated[list[str] | None, typer.Option(help="view, control or admin; repeat (default: view).")] = None,
    revoke: Annotated[int | None, typer.Option(help="Revoke the token with this id instead.")] = None,
) -> None:
    """Create an API token (printed once on stdout; only its hash is kept), or revoke one."""
    from arbbot.console import users

    if revoke is not None:
        _run(lambda s: users.revoke_token(s, users.need(s, name).id, revoke, now=_now(), actor=SHELL))
        console.print(f"token {revoke} of {name} revoked", highlight=False)
        return
    out: list[str] = []
    _run(lambda s: out.append(users.create_token(s, name, label, scope or ["view"], now=_now(), actor=SHELL)))
    sys.stdout.write(out[0] + "\n")


@app.command("audit-purge")
def audit_purge() -> None:
    """Delete audit rows older than `[console] audit_retention_days`."""
    from arbbot.console import trail

    s_, sessions = _db()
    with sessions.begin() as s:
        n = trail.purge(s, _now(), s_.console.audit_retention_days)
    console.print(f"{n} audit rows older than {s_.console.audit_retention_days} days deleted", highlight=False)


@app.command("audit-erase")
def audit_erase(name: Annotated[str, typer.Argument(help="The user name to pseudonymise in the audit trail.")]) -> None:
    """Erasure request: replace a user name by a pseudonym in every audit row (the user must be deleted first
    or no longer exist)."""
    from arbbot.console import passwords, trail, users

    _, sessions = _db()
    with sessions.begin() as s:
        if users.get(s, name) is not None:
            raise fail(f"user {name!r} still exists; remove the account before erasing the name")
        alias = "erased-" + passwords.sha256_hex(passwords.random_token())[:12]
        n = trail.pseudonymise(s, name, alias)
        trail.record(s, at=_now(), actor=SHELL, action="user_erased", target=alias)
    console.print(f"{n} audit fields now read {alias}", highlight=False)


NEW_KEY_ENV = "ARBBOT_CONSOLE_NEW_KEY"


@app.command("rekey")
def rekey() -> None:
    """Seal every TOTP key under a new key: the current one from `[console] key_env`, the new one from
    ARBBOT_CONSOLE_NEW_KEY (both 64 hex characters, never given on the command line). All keys move or none
    does; then set key_env's variable to the new key."""
    from arbbot.console import users
    from arbbot.console.sealing import Sealer, SealError
    from arbbot.console.server import sealer_from_env
    from arbbot.errors import ConfigError

    s, sessions = _db()
    try:
        old = sealer_from_env(s)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    text = os.environ.get(NEW_KEY_ENV, "")
    if not text.strip():
        raise fail(f"{NEW_KEY_ENV}: not set; it holds the new key (64 hex characters, e.g. `openssl rand -hex 32`)")
    try:
        new = Sealer.from_text(text, NEW_KEY_ENV)
    except SealError as exc:
        raise fail(str(exc)) from None
    if new.key == old.key:
        raise fail(f"{NEW_KEY_ENV}: the same key as {s.console.key_env}; nothing to do")
    try:
        with sessions.begin() as session:
            n = users.reseal_secrets(session, old, new, now=_now(), actor=SHELL)
    except SealError as exc:
        raise fail(f"{s.console.key_env}: {exc}; nothing was changed") from None
    console.print(f"{n} TOTP key(s) sealed under the new key; set {s.console.key_env} to it before the next start")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8640,
    cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM); with --key, serve HTTPS.")] = None,
    key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback --host.")] = False,
) -> None:
    """Serve the console (Ctrl-C stops it)."""
    from arbbot.console import server

    server.check_listen(host, allow_remote)
    server.check_tls(cert, key)
    c = server.build(settings(), secure_cookies=cert is not None)
    warning = server.chart_library_warning(c)
    if warning:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    scheme = "https" if cert else "http"
    console.print(f"console on {scheme}://{host}:{port}", highlight=False)
    server.serve(c, host, port, cert, key)
