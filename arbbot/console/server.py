"""Wiring the console from the settings, and serving it with uvicorn (loopback by default, TLS when given a
certificate and key)."""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from arbbot.config import Settings
from arbbot.console import sessions, users, vendor
from arbbot.console.app import create_app
from arbbot.console.context import Console
from arbbot.console.control import ControlClient, ControlError, discover
from arbbot.console.sealing import Sealer, SealError
from arbbot.console.throttle import SourceThrottle
from arbbot.errors import ConfigError

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The wall clock, UTC (the console's only reader of the real time)."""
    return datetime.now(UTC)


def config_view(s: Settings) -> dict[str, Any]:
    """The settings as shown on the config page: no URLs with credentials, no key material (only the names of
    the environment variables holding secrets are part of the settings, never their values)."""
    doc = s.model_dump(mode="json")
    doc["database_url"] = "(set)" if s.database_url else None
    doc["rpc_url"] = "(set)" if s.rpc_url else None  # node URLs often embed an API key
    for b in doc.get("searcher", {}).get("builders", []):
        if b.get("url"):
            b["url"] = "(set)"
    for k in ("mev_share", "mev_share_api"):
        if doc.get("searcher", {}).get(k):
            doc["searcher"][k] = "(set)"
    if doc.get("console", {}).get("control_url"):
        doc["console"]["control_url"] = "(set)"
    return doc


def control_factory(s: Settings) -> Any:
    """A function returning a fresh control API client, or None when no token is in the environment."""
    token = os.environ.get(s.console.control_token_env)
    if not token:
        return None
    explicit = s.console.control_url

    def make() -> ControlClient:
        url = explicit or discover(s.data_dir)  # re-read: the searcher may have restarted on a new port
        return ControlClient(url, token)

    return make


def sealer_from_env(s: Settings) -> Sealer:
    """The key that seals TOTP keys, from the environment variable `[console] key_env` names (never logged)."""
    name = s.console.key_env
    text = os.environ.get(name, "")
    if not text.strip():
        raise ConfigError(
            f"console.key_env: {name} is not set; the console seals TOTP keys with it "
            "(64 hex characters, e.g. `openssl rand -hex 32`; keep it outside the database)"
        )
    try:
        return Sealer.from_text(text, name)
    except SealError as exc:
        raise ConfigError(f"console.key_env: {exc}") from None


def build(s: Settings, *, secure_cookies: bool) -> Console:
    """The console's wiring from the settings (database migrated on connect); TOTP keys still stored in clear
    are sealed now, and every sealed one is checked to open under the configured key."""
    from arbbot import db

    sealer = sealer_from_env(s)
    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    factory = db.session_factory(engine)
    try:
        with factory.begin() as session:
            sealed = users.seal_clear_secrets(session, sealer, now=utc_now())
    except SealError as exc:
        raise ConfigError(f"console.key_env: {s.console.key_env}: {exc}") from None
    if sealed:
        log.warning("sealed %d TOTP key(s) that were stored in clear", sealed)
    c = s.console
    return Console(
        sessions_db=factory,
        clock=utc_now,
        policy=users.Policy(attempts=c.lockout_attempts, lock_for=timedelta(seconds=c.lockout_seconds)),
        lifetimes=sessions.Lifetimes(
            idle=timedelta(seconds=c.session_idle_seconds), absolute=timedelta(seconds=c.session_absolute_seconds)
        ),
        control=control_factory(s),
        secure_cookies=secure_cookies,
        config_view=config_view(s),
        retention_days=c.audit_retention_days,
        throttle=SourceThrottle(c.throttle_failures, timedelta(seconds=c.throttle_window_seconds)),
        sealer=sealer,
    )


def chart_library_warning(console: Console) -> str | None:
    """One line when the chart library the setup step places is missing (the console serves without charts)."""
    return None if vendor.chart_js_version(console.chart_js) else vendor.missing_note(console.chart_js)


def check_listen(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless explicitly allowed."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(f"--host {host!r} is not an IP address") from None
    if not ip.is_loopback and not allow_remote:
        raise ConfigError(f"--host {host} is not loopback; add --allow-remote (and serve over TLS) to bind it")


def check_tls(cert: Path | None, key: Path | None) -> None:
    """Both or neither; both readable and a matching pair."""
    if (cert is None) != (key is None):
        raise ConfigError("--cert and --key go together")
    if cert is None or key is None:
        return
    for flag, p in (("--cert", cert), ("--key", key)):
        if not p.is_file():
            raise ConfigError(f"{flag} {p} is not a file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"--cert {cert} / --key {key} are not a usable pair: {exc}") from None


def serve(console: Console, host: str, port: int, cert: Path | None, key: Path | None) -> None:
    """Run the app until interrupted."""
    import uvicorn

    uvicorn.run(
        create_app(console), host=host, port=port, log_level="warning", access_log=False,
        ssl_certfile=str(cert) if cert else None, ssl_keyfile=str(key) if key else None,
        server_header=False, proxy_headers=False,
    )  # fmt: skip


__all__ = ["ControlError", "build", "chart_library_warning", "check_listen", "check_tls", "serve", "utc_now"]
