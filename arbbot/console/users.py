"""Console users: creation, roles, the password and TOTP checks with lockout, recovery codes and API tokens.

Functions take the caller's SQLAlchemy session (one unit of work) and the current time (injected: tests move
the clock, nothing here reads it). Each change appends its audit row in the same unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from arbbot.console import passwords, sessions, totp, trail
from arbbot.console.permissions import MFA_ROLES, ROLE_PERMISSIONS, Permission, Role
from arbbot.console.sealing import Sealer, is_sealed
from arbbot.db.models import ConsoleRecoveryCodeModel, ConsoleTokenModel, ConsoleUserModel
from arbbot.errors import ArbbotError

RECOVERY_CODES = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class UserError(ArbbotError):
    """A user-management request that cannot be done (unknown user, bad name, bad role...): one line."""


@dataclass(frozen=True)
class Policy:
    """Lockout policy: `attempts` failures in a row lock the account for `lock_for`."""

    attempts: int = 5
    lock_for: timedelta = timedelta(minutes=15)


def check_name(name: str) -> str:
    """A valid user name (lower-case letters, digits, . _ -; up to 64) or `UserError` naming it."""
    if not _NAME.match(name):
        raise UserError(f"user name {name!r} is invalid (lower-case letters, digits, '.', '_', '-'; up to 64)")
    return name


def check_role(role: str) -> Role:
    """The `Role` named `role`, or `UserError` listing the roles."""
    try:
        return Role(role)
    except ValueError:
        raise UserError(f"role {role!r} is unknown; roles: {', '.join(r.value for r in Role)}") from None


def get(s: Session, name: str) -> ConsoleUserModel | None:
    """The user called `name`, or None."""
    return s.scalar(select(ConsoleUserModel).where(ConsoleUserModel.name == name))


def need(s: Session, name: str) -> ConsoleUserModel:
    """The user called `name`, or `UserError`."""
    user = get(s, name)
    if user is None:
        raise UserError(f"user {name!r} does not exist")
    return user


def all_users(s: Session) -> Sequence[ConsoleUserModel]:
    """Every user, by name."""
    return s.scalars(select(ConsoleUserModel).order_by(ConsoleUserModel.name)).all()


def add(s: Session, name: str, role: str, password: str, *, now: datetime, actor: str, source: str = "") -> None:
    """Create a user (password checked for length and hashed with argon2id)."""
    check_name(name)
    r = check_role(role)
    try:
        passwords.check_strength(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if get(s, name) is not None:
        raise UserError(f"user {name!r} already exists")
    s.add(ConsoleUserModel(name=name, role=r.value, password_hash=passwords.hash_password(password), created_at=now))
    trail.record(s, at=now, actor=actor, action="user_added", target=name, new=r.value, source=source)


def remove(s: Session, name: str, *, now: datetime, actor: str, source: str = "") -> None:
    """Delete a user (sessions, tokens and recovery codes go with it)."""
    user = need(s, name)
    sessions.end_all(s, user.id)
    for model in (ConsoleTokenModel, ConsoleRecoveryCodeModel):
        for row in s.scalars(select(model).where(model.user_id == user.id)):
            s.delete(row)
    s.delete(user)
    trail.record(s, at=now, actor=actor, action="user_removed", target=name, old=user.role, source=source)


def set_role(s: Session, name: str, role: str, *, now: datetime, actor: str, source: str = "") -> None:
    """Change a user's role; their sessions end (they log in again under the new role) and tokens keep only
    scopes the new role has (checked at use)."""
    r = check_role(role)
    user = need(s, name)
    old = user.role
    user.role = r.value
    sessions.end_all(s, user.id)
    trail.record(s, at=now, actor=actor, action="role_changed", target=name, old=old, new=r.value, source=source)


def set_password(s: Session, name: str, password: str, *, now: datetime, actor: str, source: str = "") -> None:
    """Replace a user's password."""
    try:
        passwords.check_strength(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    need(s, name).password_hash = passwords.hash_password(password)
    trail.record(s, at=now, actor=actor, action="password_changed", target=name, source=source)


def unlock(s: Session, name: str, *, now: datetime, actor: str, source: str = "") -> None:
    """Lift a lockout and reset the failure count."""
    user = need(s, name)
    user.failed_logins = 0
    user.locked_until = None
    trail.record(s, at=now, actor=actor, action="user_unlocked", target=name, source=source)


def reset_mfa(s: Session, name: str, *, now: datetime, actor: str, source: str = "") -> None:
    """Forget a user's TOTP secret and recovery codes: they enrol again at their next login."""
    user = need(s, name)
    user.totp_secret = None
    user.totp_confirmed = False
    user.totp_last_step = None
    for code in s.scalars(select(ConsoleRecoveryCodeModel).where(ConsoleRecoveryCodeModel.user_id == user.id)):
        s.delete(code)
    sessions.end_all(s, user.id)
    trail.record(s, at=now, actor=actor, action="mfa_reset", target=name, source=source)


def locked(user: ConsoleUserModel, now: datetime) -> bool:
    """Whether the account is locked at `now`."""
    return user.locked_until is not None and now < user.locked_until


def needs_mfa(user: ConsoleUserModel) -> bool:
    """Operators and admins must pass TOTP; a viewer who enrolled must too."""
    return Role(user.role) in MFA_ROLES or user.totp_confirmed


def _failed(s: Session, user: ConsoleUserModel, policy: Policy, now: datetime, source: str, action: str) -> None:
    user.failed_logins += 1
    trail.record(s, at=now, actor=user.name, action=action, old=None, new=str(user.failed_logins), source=source)
    if user.failed_logins >= policy.attempts:
        user.locked_until = now + policy.lock_for
        user.failed_logins = 0
        trail.record(s, at=now, actor=user.name, action="lockout", new=user.locked_until.isoformat(), source=source)


def check_password(
    s: Session, name: str, password: str, *, now: datetime, policy: Policy, source: str = ""
) -> ConsoleUserModel | None:
    """The user when `password` is right and the account is not locked; None otherwise (audited). An unknown
    name costs a hash too, so timing does not tell which names exist; its row names no one."""
    user = get(s, name)
    if user is None:
        passwords.verify_password(_DUMMY_HASH, password)
        trail.record(s, at=now, actor="", action="login_failed", target="unknown user", source=source)
        return None
    if locked(user, now):
        trail.record(s, at=now, actor=user.name, action="login_refused_locked", source=source)
        return None
    if not passwords.verify_password(user.password_hash, password):
        _failed(s, user, policy, now, source, "login_failed")
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def _context(user: ConsoleUserModel) -> str:
    """What a user's sealed TOTP key is bound to: its row."""
    return f"totp:{user.id}"


def _totp_key(user: ConsoleUserModel, sealer: Sealer) -> str:
    return sealer.open(user.totp_secret or "", context=_context(user))


def check_second_factor(
    s: Session,
    user: ConsoleUserModel,
    code: str,
    *,
    now: datetime,
    policy: Policy,
    sealer: Sealer,
    source: str = "",
) -> bool:
    """A TOTP code (each accepted once, ±1 step) or an unused recovery code; failures count toward lockout.
    SealError when the user's TOTP key does not open under `sealer` (the wrong key configured)."""
    if locked(user, now):
        trail.record(s, at=now, actor=user.name, action="login_refused_locked", source=source)
        return False
    code = code.strip()
    if user.totp_secret and user.totp_confirmed and code.replace(" ", "").isdigit():
        verdict = totp.verify(_totp_key(user, sealer), code, now.timestamp(), user.totp_last_step)
        if verdict.ok:
            user.totp_last_step = verdict.step
            user.failed_logins = 0
            trail.record(s, at=now, actor=user.name, action="login", new="totp", source=source)
            return True
        _failed(s, user, policy, now, source, "mfa_replayed" if verdict.reason == "replayed" else "mfa_failed")
        return False
    digest = passwords.sha256_hex(code.lower())
    for rc in s.scalars(
        select(ConsoleRecoveryCodeModel).where(
            ConsoleRecoveryCodeModel.user_id == user.id, ConsoleRecoveryCodeModel.used_at.is_(None)
        )
    ):
        if passwords.same(rc.code_hash, digest):
            rc.used_at = now
            user.failed_logins = 0
            trail.record(s, at=now, actor=user.name, action="login", new="recovery_code", source=source)
            return True
    _failed(s, user, policy, now, source, "mfa_failed")
    return False


def start_enrolment(s: Session, user: ConsoleUserModel, sealer: Sealer) -> str:
    """A new TOTP secret for `user` (replacing an unconfirmed one): returned in clear to be shown once, stored
    sealed; confirmed by a first code."""
    if user.totp_confirmed:
        raise UserError(f"user {user.name!r} is already enrolled (an admin can reset MFA)")
    secret = totp.new_secret()
    user.totp_secret = sealer.seal(secret, context=_context(user))
    return secret


def confirm_enrolment(
    s: Session, user: ConsoleUserModel, code: str, *, now: datetime, sealer: Sealer, source: str = ""
) -> list[str]:
    """Confirm enrolment with a first code; returns the recovery codes (shown once, stored hashed)."""
    if not user.totp_secret or user.totp_confirmed:
        raise UserError("no enrolment is in progress")
    verdict = totp.verify(_totp_key(user, sealer), code, now.timestamp(), user.totp_last_step)
    if not verdict.ok:
        trail.record(s, at=now, actor=user.name, action="mfa_enrol_failed", source=source)
        return []
    user.totp_confirmed = True
    user.totp_last_step = verdict.step
    codes = new_recovery_codes(s, user)
    trail.record(s, at=now, actor=user.name, action="mfa_enrolled", target=user.name, source=source)
    return codes


def new_recovery_codes(s: Session, user: ConsoleUserModel) -> list[str]:
    """Replace the user's recovery codes by 10 new ones (returned once; only hashes stored)."""
    for old in s.scalars(select(ConsoleRecoveryCodeModel).where(ConsoleRecoveryCodeModel.user_id == user.id)):
        s.delete(old)
    codes = [passwords.recovery_code() for _ in range(RECOVERY_CODES)]
    for c in codes:
        s.add(ConsoleRecoveryCodeModel(user_id=user.id, code_hash=passwords.sha256_hex(c)))
    return codes


def parse_scopes(role: Role, scopes: Iterable[str]) -> list[str]:
    """Scopes as permission names, each within `role`'s permissions; `UserError` otherwise."""
    out: list[str] = []
    for sc in scopes:
        try:
            perm = Permission(sc)
        except ValueError:
            raise UserError(f"scope {sc!r} is unknown; scopes: {', '.join(p.value for p in Permission)}") from None
        if perm not in ROLE_PERMISSIONS[role]:
            raise UserError(f"scope {sc!r} is beyond role {role.value!r}")
        if perm.value not in out:
            out.append(perm.value)
    if not out:
        raise UserError("a token needs at least one scope")
    return out


def create_token(
    s: Session, name: str, label: str, scopes: Iterable[str], *, now: datetime, actor: str, source: str = ""
) -> str:
    """A new API token for user `name` (shown once; only its SHA-256 is stored)."""
    user = need(s, name)
    if not label or len(label) > 64:
        raise UserError(f"token label {label!r} must be 1 to 64 characters")
    granted = parse_scopes(Role(user.role), scopes)
    secret = "arbc_" + passwords.random_token()
    s.add(
        ConsoleTokenModel(
            user_id=user.id, label=label, token_hash=passwords.sha256_hex(secret), scopes=granted, created_at=now
        )
    )
    trail.record(s, at=now, actor=actor, action="token_created", target=f"{name}:{label}", new=",".join(granted),
                 source=source)  # fmt: skip
    return secret


def tokens_of(s: Session, user_id: int) -> Sequence[ConsoleTokenModel]:
    """A user's tokens, newest first."""
    q = select(ConsoleTokenModel).where(ConsoleTokenModel.user_id == user_id).order_by(ConsoleTokenModel.id.desc())
    return s.scalars(q).all()


def revoke_token(s: Session, user_id: int, token_id: int, *, now: datetime, actor: str, source: str = "") -> None:
    """Revoke one of `user_id`'s tokens (idempotent)."""
    tok = s.get(ConsoleTokenModel, token_id)
    if tok is None or tok.user_id != user_id:
        raise UserError(f"token {token_id} does not exist")
    if tok.revoked_at is None:
        tok.revoked_at = now
        owner = s.get(ConsoleUserModel, user_id)
        trail.record(s, at=now, actor=actor, action="token_revoked",
                     target=f"{owner.name if owner else user_id}:{tok.label}", source=source)  # fmt: skip


def token_user(s: Session, secret: str) -> tuple[ConsoleUserModel, frozenset[Permission]] | None:
    """The owner of a live token and the permissions it grants now (scopes ∩ the owner's current role)."""
    tok = s.scalar(select(ConsoleTokenModel).where(ConsoleTokenModel.token_hash == passwords.sha256_hex(secret)))
    if tok is None or tok.revoked_at is not None:
        return None
    user = s.get(ConsoleUserModel, tok.user_id)
    if user is None:
        return None
    return user, frozenset(Permission(x) for x in tok.scopes) & ROLE_PERMISSIONS[Role(user.role)]


_DUMMY_HASH = passwords.hash_password("not-a-real-password-just-timing")


def seal_clear_secrets(s: Session, sealer: Sealer, *, now: datetime) -> int:
    """Seal every TOTP key still stored in clear (rows from before sealing); the number sealed, each audited.
    A sealed key that does not open under `sealer` raises SealError (the wrong key is configured)."""
    n = 0
    for user in s.scalars(select(ConsoleUserModel).where(ConsoleUserModel.totp_secret.is_not(None))):
        if is_sealed(user.totp_secret):
            _totp_key(user, sealer)  # fails now, at start, rather than at someone's login
            continue
        user.totp_secret = sealer.seal(user.totp_secret or "", context=_context(user))
        trail.record(s, at=now, actor="console", action="totp_sealed", target=user.name)
        n += 1
    return n


def reseal_secrets(s: Session, old: Sealer, new: Sealer, *, now: datetime, actor: str) -> int:
    """Open every TOTP key under `old` and seal it under `new` (a key still in clear is sealed under `new`); the
    number resealed, each audited. A key that does not open under `old` raises SealError before the caller's
    transaction commits, so either every key moves to `new` or none does."""
    n = 0
    for user in s.scalars(select(ConsoleUserModel).where(ConsoleUserModel.totp_secret.is_not(None))):
        clear = _totp_key(user, old) if is_sealed(user.totp_secret) else (user.totp_secret or "")
        user.totp_secret = new.seal(clear, context=_context(user))
        trail.record(s, at=now, actor=actor, action="totp_resealed", target=user.name)
        n += 1
    return n
