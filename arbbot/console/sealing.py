"""Secrets the console must read back (TOTP keys) are sealed at rest with AES-256-GCM under a key that lives outside
the database (an environment variable): a copy of the database alone (a backup, a dump, a stolen disk image) does
not yield anyone's second factor. Each sealed value is bound to its row (associated data), so a value copied onto
another user does not open."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field

from Crypto.Cipher import AES

PREFIX = "v1:"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
NONCE = 12
TAG = 16


class SealError(ValueError):
    """A key that is not a key, or a sealed value that does not open under it."""


@dataclass(frozen=True)
class Sealer:
    """Seals and opens short secrets under one 32-byte key (never shown by repr)."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise SealError(f"key: 32 bytes required, got {len(self.key)}")

    @classmethod
    def from_text(cls, text: str, name: str) -> Sealer:
        """A key given as 64 hex characters (e.g. `openssl rand -hex 32`); `name` is where it came from, for the
        error (the value itself is never repeated)."""
        text = text.strip()
        if not _HEX64.match(text):
            raise SealError(f"{name}: must be 64 hex characters (32 bytes, e.g. `openssl rand -hex 32`)")
        return cls(bytes.fromhex(text))

    @classmethod
    def ephemeral(cls) -> Sealer:
        """A random key for this process only (what is sealed under it cannot be opened after a restart)."""
        return cls(os.urandom(32))

    def seal(self, secret: str, *, context: str) -> str:
        """`secret` sealed and bound to `context` (e.g. the row it belongs to)."""
        nonce = os.urandom(NONCE)
        cipher = AES.new(self.key, AES.MODE_GCM, nonce=nonce, mac_len=TAG)
        cipher.update(context.encode())
        body, tag = cipher.encrypt_and_digest(secret.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + body + tag).decode()

    def open(self, sealed: str, *, context: str) -> str:
        """The secret, or SealError when the value is not sealed, was sealed under another key or for another
        context, or was altered."""
        if not is_sealed(sealed):
            raise SealError("the stored secret is not sealed")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :].encode())
        except ValueError:
            raise SealError("the stored secret is malformed") from None
        if len(raw) < NONCE + TAG + 1:
            raise SealError("the stored secret is malformed")
        cipher = AES.new(self.key, AES.MODE_GCM, nonce=raw[:NONCE], mac_len=TAG)
        cipher.update(context.encode())
        try:
            return cipher.decrypt_and_verify(raw[NONCE:-TAG], raw[-TAG:]).decode()
        except ValueError:
            raise SealError("the stored secret does not open under this key (another key, or altered)") from None


def is_sealed(value: str | None) -> bool:
    """Whether a stored value is sealed (older rows may hold a TOTP key in clear until sealed at start)."""
    return bool(value) and str(value).startswith(PREFIX)
