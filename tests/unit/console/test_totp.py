"""HOTP/TOTP against the RFC 4226 and RFC 6238 published test vectors, drift and replay."""

from __future__ import annotations

import base64

import pytest

from arbbot.console import totp

RFC4226_KEY = b"12345678901234567890"
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
RFC6238_KEYS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [  # time, SHA1, SHA256, SHA512 (8 digits)
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("counter", range(10))
def test_hotp_rfc4226_appendix_d(counter: int) -> None:
    assert totp.hotp(RFC4226_KEY, counter) == RFC4226[counter]


@pytest.mark.parametrize("row", RFC6238)
def test_totp_rfc6238_appendix_b(row: tuple[int, str, str, str]) -> None:
    t, *codes = row
    for algorithm, code in zip(("SHA1", "SHA256", "SHA512"), codes, strict=True):
        assert totp.totp(RFC6238_KEYS[algorithm], t, digits=8, algorithm=algorithm) == code


SECRET = base64.b32encode(RFC4226_KEY).decode()
T = 1_111_111_111.0  # step 37037037


def _code_at(step_offset: int) -> str:
    return totp.hotp(RFC4226_KEY, totp.time_step(T) + step_offset)


def test_the_current_code_is_accepted_once() -> None:
    v = totp.verify(SECRET, _code_at(0), T, None)
    assert v.ok and v.step == totp.time_step(T)
    replay = totp.verify(SECRET, _code_at(0), T + 5, v.step)
    assert (replay.ok, replay.reason) == (False, "replayed")


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_drift_either_side_is_accepted(offset: int) -> None:
    assert totp.verify(SECRET, _code_at(offset), T, None).ok


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_away_is_refused(offset: int) -> None:
    v = totp.verify(SECRET, _code_at(offset), T, None)
    assert (v.ok, v.reason) == (False, "wrong")


def test_an_older_code_after_a_newer_one_is_a_replay() -> None:
    # The previous step's code is inside the drift window but before the last used step: refused.
    assert not totp.verify(SECRET, _code_at(-1), T, totp.time_step(T)).ok


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp.verify(SECRET, code, T, None).reason == "format"


def test_secret_and_uri() -> None:
    s = totp.new_secret()
    assert len(totp.decode_secret(s)) == 20 and s != totp.new_secret()
    uri = totp.provisioning_uri(s, "alice")
    assert uri.startswith("otpauth://totp/arbbot:alice?") and f"secret={s}" in uri and "issuer=arbbot" in uri
