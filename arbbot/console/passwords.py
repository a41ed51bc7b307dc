"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile) and the random secrets the
console hands out once (recovery codes, API tokens, session ids), kept only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id, 64 MiB, t=3, p=4
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string: algorithm, parameters, salt and hash) of `password`."""
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored argon2 hash (False for a malformed hash too)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the stored hash uses weaker parameters than today's (then it is rehashed at the next login)."""
    return _HASHER.check_needs_rehash(stored)


def check_strength(password: str) -> None:
    """Raise `ValueError` for a password too short to keep (length is what matters against guessing)."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password is {len(password)} characters; at least {MIN_LENGTH} are required")


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random secret of `nbytes` bytes."""
    return secrets.token_urlsafe(nbytes)


def recovery_code() -> str:
    """A recovery code: 20 characters from a 31-letter alphabet (about 99 bits) in 4 groups of 5, easy to type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def sha256_hex(value: str) -> str:
    """SHA-256 of a high-entropy secret (token, recovery code, session id); enough since they are random."""
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string equality."""
    return hmac.compare_digest(a.encode(), b.encode())
