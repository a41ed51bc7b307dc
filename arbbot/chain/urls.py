"""Node URLs checked before anything connects: one clear error naming the field and the value."""

from __future__ import annotations

from urllib.parse import urlsplit

from arbbot.errors import ConfigError

SCHEMES = ("http", "https", "ws", "wss")


def _shown(url: str) -> str:
    """The URL as an error may show it: no user info and no path (API keys hide there)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, _ = rest.partition("/")
    authority = authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{'/…' if slash else ''}"


def url_problem(url: object, schemes: tuple[str, ...] = SCHEMES) -> str | None:
    """Why `url` is not a usable endpoint (one line, secrets hidden), or None if it is.

    Shared by configuration checks (which name the field) and the transports (which name the endpoint)."""
    if not isinstance(url, str) or not url.strip():
        return "empty URL"
    shown = repr(_shown(url))
    if "://" not in url:
        return f"{shown} has no scheme; use {' or '.join(schemes)}://host[:port][/path]"
    if any(c.isspace() for c in url.strip()):
        return f"{shown} contains whitespace"
    parts = urlsplit(url.strip())
    if parts.scheme not in schemes:
        return f"{shown} has scheme {parts.scheme!r}; use one of {', '.join(schemes)}"
    if not parts.hostname:
        return f"{shown} has no host"
    try:
        port = parts.port
    except ValueError:
        return f"{shown} has an invalid port (1..65535)"
    if port is not None and not 1 <= port <= 65535:
        return f"{shown} has an invalid port (1..65535)"
    return None


def check_rpc_url(url: str, field: str = "rpc_url") -> str:
    """`url` (stripped) if it is an http(s) or ws(s) URL with a host and a valid port; ConfigError otherwise."""
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(f"{field}: {problem}")
    return url.strip()


def public_url(url: str) -> str:
    """The URL without user info, path, query or fragment: safe to print (API keys hide in those)."""
    return _shown(url)
