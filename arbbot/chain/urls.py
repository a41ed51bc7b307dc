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


def check_rpc_url(url: str, field: str = "rpc_url") -> str:
    """`url` if it is an http(s) or ws(s) URL with a host and a valid port; ConfigError otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{field}: empty URL")
    url = url.strip()
    shown = repr(_shown(url))
    if "://" not in url:
        raise ConfigError(f"{field}: {shown} has no scheme; use http://host:port (or https, ws, wss)")
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ConfigError(f"{field}: {shown} has scheme {parts.scheme!r}; use one of {', '.join(SCHEMES)}")
    if not parts.hostname:
        raise ConfigError(f"{field}: {shown} has no host")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{field}: {shown} has an invalid port (1..65535)") from None
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"{field}: {shown} has an invalid port (1..65535)")
    return url


def public_url(url: str) -> str:
    """The URL without user info, path, query or fragment: safe to print (API keys hide in those)."""
    return _shown(url)
