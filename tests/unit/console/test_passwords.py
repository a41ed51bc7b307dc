"""argon2id password hashes and the console's random secrets."""

from __future__ import annotations

import pytest

from arbbot.console import passwords, qr


def test_argon2id_hash_verifies_only_the_right_password() -> None:
    h = passwords.hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert "correct horse battery" not in h
    assert passwords.verify_password(h, "correct horse battery")
    assert not passwords.verify_password(h, "correct horse batterY")
    assert h != passwords.hash_password("correct horse battery")  # salted
    assert not passwords.needs_rehash(h)


def test_a_malformed_hash_never_verifies() -> None:
    assert not passwords.verify_password("not-a-hash", "x")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        passwords.check_strength("short")
    passwords.check_strength("long enough pw")


def test_recovery_codes_are_random_and_typable() -> None:
    codes = {passwords.recovery_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 23 and c.count("-") == 3 for c in codes)


def test_qr_is_inline_svg() -> None:
    out = qr.svg("otpauth://totp/arbbot:alice?secret=ABC")
    assert out.startswith("<svg") and out.rstrip().endswith("</svg>")
