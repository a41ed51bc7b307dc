"""Users: lockout and its end, the second factor (replay, recovery codes), API token scopes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arbbot.console import totp, users
from arbbot.console.permissions import Permission
from arbbot.console.sealing import Sealer, SealError, is_sealed
from arbbot.db.models import ConsoleAuditModel, ConsoleRecoveryCodeModel

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
POLICY = users.Policy(attempts=3, lock_for=timedelta(minutes=10))
SEALER = Sealer(bytes(range(32)))
PW = "a long enough password"


def _actions(s: Session) -> list[str]:
    return list(s.scalars(select(ConsoleAuditModel.action).order_by(ConsoleAuditModel.id)))


def _add(sdb: sessionmaker[Session], name: str = "alice", role: str = "operator") -> None:
    with sdb.begin() as s:
        users.add(s, name, role, PW, now=T0, actor="shell")


def test_lockout_after_n_failures_and_its_end(sessions_db: sessionmaker[Session]) -> None:
    _add(sessions_db)
    with sessions_db.begin() as s:
        for _ in range(3):
            assert users.check_password(s, "alice", "wrong password!", now=T0, policy=POLICY) is None
        # Locked: even the right password is refused until the lock ends.
        assert users.check_password(s, "alice", PW, now=T0 + timedelta(minutes=9), policy=POLICY) is None
        assert users.check_password(s, "alice", PW, now=T0 + timedelta(minutes=10, seconds=1), policy=POLICY)
        assert _actions(s)[1:] == ["login_failed"] * 3 + ["lockout", "login_refused_locked"]


def test_admin_unlock(sessions_db: sessionmaker[Session]) -> None:
    _add(sessions_db)
    with sessions_db.begin() as s:
        for _ in range(3):
            users.check_password(s, "alice", "nope nope nope", now=T0, policy=POLICY)
        users.unlock(s, "alice", now=T0, actor="root")
        assert users.check_password(s, "alice", PW, now=T0, policy=POLICY) is not None


def test_unknown_user_is_audited_without_the_typed_name(sessions_db: sessionmaker[Session]) -> None:
    with sessions_db.begin() as s:
        assert users.check_password(s, "mallory", PW, now=T0, policy=POLICY) is None
        row = s.scalars(select(ConsoleAuditModel)).one()
        assert (row.actor, row.action, row.target) == ("", "login_failed", "unknown user")


def _enrol(s: Session, name: str = "alice") -> tuple[bytes, list[str]]:
    user = users.need(s, name)
    secret = users.start_enrolment(s, user, SEALER)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    codes = users.confirm_enrolment(s, user, totp.totp(key, T0.timestamp()), now=T0, sealer=SEALER)
    assert len(codes) == 10
    return key, codes


def test_second_factor_replay_and_recovery_codes(sessions_db: sessionmaker[Session]) -> None:
    _add(sessions_db)
    with sessions_db.begin() as s:
        key, codes = _enrol(s)
        user = users.need(s, "alice")
        later = T0 + timedelta(seconds=30)
        code = totp.totp(key, later.timestamp())
        assert users.check_second_factor(s, user, code, now=later, policy=POLICY, sealer=SEALER)
        assert not users.check_second_factor(s, user, code, now=later, policy=POLICY, sealer=SEALER)  # replay
        assert users.check_second_factor(s, user, codes[0], now=later, policy=POLICY, sealer=SEALER)
        assert not users.check_second_factor(s, user, codes[0], now=later, policy=POLICY, sealer=SEALER)  # single use
        stored = list(s.scalars(select(ConsoleRecoveryCodeModel.code_hash)))
        assert len(stored) == 10 and not set(codes) & set(stored)  # hashed at rest
        assert "mfa_replayed" in _actions(s)


def test_token_scopes_stay_within_the_role(sessions_db: sessionmaker[Session]) -> None:
    _add(sessions_db, "vic", "viewer")
    _add(sessions_db, "olga", "operator")
    with sessions_db.begin() as s:
        with pytest.raises(users.UserError, match="scope 'control' is beyond role 'viewer'"):
            users.create_token(s, "vic", "ci", ["control"], now=T0, actor="vic")
        with pytest.raises(users.UserError, match="scope 'root' is unknown"):
            users.create_token(s, "olga", "ci", ["root"], now=T0, actor="olga")
        tok = users.create_token(s, "olga", "ci", ["view", "control"], now=T0, actor="olga")
        found = users.token_user(s, tok)
        assert found is not None and found[1] == {Permission.VIEW, Permission.CONTROL}
        # A role change narrows what the token grants at once.
        users.set_role(s, "olga", "viewer", now=T0, actor="root")
        found = users.token_user(s, tok)
        assert found is not None and found[1] == {Permission.VIEW}
        token_id = users.tokens_of(s, found[0].id)[0].id
        users.revoke_token(s, found[0].id, token_id, now=T0, actor="olga")
        assert users.token_user(s, tok) is None
        assert users.token_user(s, tok + "x") is None
        assert tok not in str([t.token_hash for t in users.tokens_of(s, found[0].id)])


@pytest.mark.parametrize(
    ("name", "role", "pw", "message"),
    [
        ("Bad Name", "viewer", PW, "user name 'Bad Name' is invalid"),
        ("bob", "root", PW, "role 'root' is unknown"),
        ("bob", "viewer", "short", "at least 12"),
    ],
)
def test_bad_user_input_is_one_line(
    sessions_db: sessionmaker[Session], name: str, role: str, pw: str, message: str
) -> None:
    with sessions_db.begin() as s, pytest.raises(users.UserError, match=message):
        users.add(s, name, role, pw, now=T0, actor="shell")


def test_totp_keys_are_sealed_at_rest_and_bound_to_their_row(sessions_db: sessionmaker[Session]) -> None:
    _add(sessions_db)
    _add(sessions_db, "bob")
    with sessions_db.begin() as s:
        key, _ = _enrol(s)
        alice, bob = users.need(s, "alice"), users.need(s, "bob")
        clear = base64.b32encode(key).decode().rstrip("=")
        stored = alice.totp_secret or ""
        assert is_sealed(stored) and clear not in stored and clear.lower() not in stored.lower()
        later = T0 + timedelta(seconds=30)
        # Another key opens nothing: the code is not even checked.
        with pytest.raises(SealError, match="does not open"):
            users.check_second_factor(s, alice, totp.totp(key, later.timestamp()), now=later, policy=POLICY,
                                      sealer=Sealer(bytes(32)))  # fmt: skip
        # Alice's sealed key copied onto Bob does not open for Bob (bound to Alice's row).
        bob.totp_secret, bob.totp_confirmed = stored, True
        with pytest.raises(SealError):
            users.check_second_factor(s, bob, totp.totp(key, later.timestamp()), now=later, policy=POLICY,
                                      sealer=SEALER)  # fmt: skip
        # Altered by one character: refused.
        tampered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
        alice.totp_secret = tampered
        with pytest.raises(SealError):
            users.check_second_factor(s, alice, totp.totp(key, later.timestamp()), now=later, policy=POLICY,
                                      sealer=SEALER)  # fmt: skip


def test_clear_keys_from_before_sealing_are_sealed_once(sessions_db: sessionmaker[Session]) -> None:
    _add(sessions_db)
    with sessions_db.begin() as s:
        key, _ = _enrol(s)
        alice = users.need(s, "alice")
        alice.totp_secret = base64.b32encode(key).decode().rstrip("=")  # as an older row holds it
    with sessions_db.begin() as s:
        assert users.seal_clear_secrets(s, SEALER, now=T0) == 1
        assert users.seal_clear_secrets(s, SEALER, now=T0) == 0  # already sealed: checked, left alone
        alice = users.need(s, "alice")
        assert is_sealed(alice.totp_secret)
        later = T0 + timedelta(seconds=30)
        assert users.check_second_factor(s, alice, totp.totp(key, later.timestamp()), now=later, policy=POLICY,
                                         sealer=SEALER)  # fmt: skip
        assert "totp_sealed" in _actions(s)
        with pytest.raises(SealError):  # the wrong key configured: found at start, not at someone's login
            users.seal_clear_secrets(s, Sealer(bytes(32)), now=T0)


@pytest.mark.parametrize("text", ["", "00" * 31, "zz" * 32, "00" * 33])
def test_a_key_that_is_not_64_hex_characters_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(SealError) as exc:
        Sealer.from_text(text, "ARBBOT_CONSOLE_KEY")
    assert str(exc.value) == "ARBBOT_CONSOLE_KEY: must be 64 hex characters (32 bytes, e.g. `openssl rand -hex 32`)"
