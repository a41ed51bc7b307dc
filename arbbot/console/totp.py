"""HOTP (RFC 4226) and TOTP (RFC 6238): pure functions, no I/O, no clock (the caller passes the time).

Codes are compared in constant time. `verify` accepts a code for the current time step or one step either
side (clock drift) and only for a step later than the last one used, so a code is accepted at most once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30  # seconds per time step
DRIFT = 1  # steps accepted either side of the current one
_ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def hotp(key: bytes, counter: int, digits: int = DIGITS, algorithm: str = "SHA1") -> str:
    """The HOTP value of `counter` under `key` (RFC 4226 §5.3: HMAC, dynamic truncation, modulo 10^digits)."""
    if counter < 0 or counter >= 1 << 64:
        raise ValueError(f"counter {counter} is outside 0..2^64-1")
    mac = hmac.new(key, counter.to_bytes(8, "big"), _ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(unix_time: float, period: int = PERIOD) -> int:
    """The RFC 6238 time step T = floor(unix_time / period) (T0 = 0)."""
    return int(unix_time // period)


def totp(key: bytes, unix_time: float, digits: int = DIGITS, algorithm: str = "SHA1", period: int = PERIOD) -> str:
    """The TOTP value at `unix_time`."""
    return hotp(key, time_step(unix_time, period), digits, algorithm)


def new_secret() -> str:
    """A random 160-bit key (RFC 4226's recommended length), base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret (padding optional, case-insensitive)."""
    s = secret.strip().upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def provisioning_uri(secret: str, account: str, issuer: str = "arbbot") -> str:
    """The otpauth:// URI authenticator apps read (from a QR code or typed in)."""
    label = quote(f"{issuer}:{account}", safe=":")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": PERIOD})
    return f"otpauth://totp/{label}?{query}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of `verify`: `step` is the accepted time step (to remember), or None when refused."""

    ok: bool
    step: int | None
    reason: str  # 'ok' | 'format' | 'wrong' | 'replayed'


def verify(secret: str, code: str, unix_time: float, last_step: int | None) -> Verdict:
    """Check `code` against the steps around `unix_time`; a step not after `last_step` is a replay."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return Verdict(False, None, "format")
    key = decode_secret(secret)
    now = time_step(unix_time)
    matched: int | None = None
    for step in range(now - DRIFT, now + DRIFT + 1):
        # Every candidate is computed and compared: the time taken does not say which step matched.
        if hmac.compare_digest(hotp(key, step), code) and matched is None:
            matched = step
    if matched is None:
        return Verdict(False, None, "wrong")
    if last_step is not None and matched <= last_step:
        return Verdict(False, None, "replayed")
    return Verdict(True, matched, "ok")
