"""`arbbot console` from the shell: user management, tokens, audit purge and erasure, one-line errors, and
`serve` over TLS (a self-signed certificate made with openssl) with Secure cookies."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from arbbot import db
from arbbot.console import users
from arbbot.console.sealing import Sealer
from arbbot.db.models import ConsoleAuditModel, ConsoleUserModel
from tests.integration.console.conftest import wait_for

PW = "a long enough password"
KEY = "5e" * 32  # the key sealing TOTP keys (tests only)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBBOT_")}
    return {**env, "ARBBOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", **extra}


def arbbot(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arbbot", "console", *args], capture_output=True, text=True, timeout=120,
        env=_env(tmp_path, **extra), cwd=tmp_path, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _one_line_error(done: subprocess.CompletedProcess[str], text: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], done.stderr


def test_users_tokens_and_audit_from_the_shell(tmp_path: Path) -> None:
    done = arbbot(tmp_path, "user", "add", "olga", "--role", "operator", ARBBOT_CONSOLE_PASSWORD=PW)
    assert done.returncode == 0, done.stderr
    assert PW not in done.stdout + done.stderr
    _one_line_error(arbbot(tmp_path, "user", "add", "vic"), "no password: set ARBBOT_CONSOLE_PASSWORD")
    _one_line_error(arbbot(tmp_path, "user", "add", "vic", "--role", "root"), "role 'root' is unknown")
    _one_line_error(arbbot(tmp_path, "user", "add", "Bad Name"), "user name 'Bad Name' is invalid")
    _one_line_error(arbbot(tmp_path, "user", "add", "olga", ARBBOT_CONSOLE_PASSWORD=PW), "user 'olga' already exists")
    _one_line_error(arbbot(tmp_path, "user", "role", "nobody", "admin"), "user 'nobody' does not exist")
    assert arbbot(tmp_path, "user", "role", "olga", "admin").returncode == 0
    assert arbbot(tmp_path, "user", "unlock", "olga").returncode == 0
    assert arbbot(tmp_path, "user", "reset-mfa", "olga").returncode == 0
    tok = arbbot(tmp_path, "user", "token", "olga", "--scope", "view", "--scope", "control")
    assert tok.returncode == 0, tok.stderr
    secret = tok.stdout.strip()
    _one_line_error(arbbot(tmp_path, "user", "token", "olga", "--scope", "root"), "scope 'root' is unknown")
    engine = db.connect(f"sqlite:///{tmp_path / 'data' / 'arbbot.db'}")
    sdb = db.session_factory(engine)
    try:
        with sdb() as s:
            user = s.scalars(select(ConsoleUserModel)).one()
            assert (user.name, user.role) == ("olga", "admin") and user.password_hash.startswith("$argon2id$")
            assert users.token_user(s, secret) is not None
            token_id = users.tokens_of(s, user.id)[0].id
        assert arbbot(tmp_path, "user", "token", "olga", "--revoke", str(token_id)).returncode == 0
        listing = arbbot(tmp_path, "user", "list")
        assert listing.stdout.split() == ["olga", "admin", "no-mfa"]
        _one_line_error(arbbot(tmp_path, "audit-erase", "olga"), "still exists")
        assert arbbot(tmp_path, "user", "remove", "olga").returncode == 0
        erased = arbbot(tmp_path, "audit-erase", "olga")
        assert erased.returncode == 0 and "erased-" in erased.stdout
        purge = arbbot(tmp_path, "audit-purge")
        assert purge.returncode == 0 and purge.stdout.startswith("0 audit rows older than 365 days deleted")
        with sdb() as s:
            rows = s.scalars(select(ConsoleAuditModel)).all()
            assert s.scalars(select(users.ConsoleTokenModel)).all() == []  # gone with the user
        assert [r.action for r in rows] == [
            "user_added", "role_changed", "user_unlocked", "mfa_reset", "token_created", "token_revoked",
            "user_removed", "user_erased",
        ]  # fmt: skip
        assert all("olga" not in f"{r.actor} {r.target}" for r in rows)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "--host 0.0.0.0 is not loopback"),
        (["--host", "example.com"], "--host 'example.com' is not an IP address"),
        (["--cert", "c.pem"], "--cert and --key go together"),
        (["--cert", "c.pem", "--key", "k.pem"], "--cert c.pem is not a file"),
    ],
)
def test_serve_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    _one_line_error(arbbot(tmp_path, "serve", *args), message)


def test_serve_needs_a_sealing_key_and_the_right_one(tmp_path: Path) -> None:
    _one_line_error(arbbot(tmp_path, "serve"), "console.key_env: ARBBOT_CONSOLE_KEY is not set")
    done = arbbot(tmp_path, "serve", ARBBOT_CONSOLE_KEY="not-a-key-0123")
    _one_line_error(done, "console.key_env: ARBBOT_CONSOLE_KEY: must be 64 hex characters")
    assert "not-a-key-0123" not in done.stdout + done.stderr  # the value is never echoed
    # An enrolled user whose TOTP key was sealed under another key: refused at start, not at their login.
    assert arbbot(tmp_path, "user", "add", "olga", "--role", "operator", ARBBOT_CONSOLE_PASSWORD=PW).returncode == 0
    engine = db.connect(db.default_url(tmp_path / "data"))
    try:
        with db.session_factory(engine).begin() as s:
            users.start_enrolment(s, users.need(s, "olga"), Sealer(bytes(32)))
    finally:
        engine.dispose()
    _one_line_error(arbbot(tmp_path, "serve", ARBBOT_CONSOLE_KEY=KEY), "does not open under this key")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_over_tls_sets_secure_cookies(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert arbbot(tmp_path, "user", "add", "vic", ARBBOT_CONSOLE_PASSWORD=PW).returncode == 0
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arbbot", "console", "serve", "--port", str(port), "--cert", str(cert),
         "--key", str(key)], env=_env(tmp_path, ARBBOT_CONSOLE_KEY=KEY), cwd=tmp_path, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"https://127.0.0.1:{port}"
        tls = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=url, verify=tls, follow_redirects=False, timeout=5) as c:
            pages: list[httpx.Response] = []

            def up() -> bool:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    pages.append(c.get("/login"))
                except httpx.TransportError:
                    return False
                return pages[-1].status_code == 200

            wait_for(up, "the console to start", timeout=60)
            form = pages[-1]
            assert "secure" in form.headers["set-cookie"].lower()  # the login form's CSRF cookie too
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token is not None
            r = c.post("/login", data={"csrf": token.group(1), "username": "vic", "password": PW})
            assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


NEW_KEY = "a7" * 32


def _enrol(tmp_path: Path, sealer: Sealer, *names: str) -> dict[str, str]:
    """Users enrolled in TOTP with keys sealed under `sealer`; their clear TOTP keys, by name."""
    keys = {}
    engine = db.connect(db.default_url(tmp_path / "data"))
    try:
        for name in names:
            assert arbbot(tmp_path, "user", "add", name, ARBBOT_CONSOLE_PASSWORD=PW).returncode == 0
            with db.session_factory(engine).begin() as s:
                keys[name] = users.start_enrolment(s, users.need(s, name), sealer)
    finally:
        engine.dispose()
    return keys


def _sealed(tmp_path: Path) -> dict[str, str]:
    engine = db.connect(db.default_url(tmp_path / "data"))
    try:
        with db.session_factory(engine)() as s:
            return {u.name: u.totp_secret or "" for u in s.scalars(select(ConsoleUserModel))}
    finally:
        engine.dispose()


def test_rekey_moves_every_totp_key_to_the_new_key_or_none(tmp_path: Path) -> None:
    old, new = Sealer(bytes.fromhex(KEY)), Sealer(bytes.fromhex(NEW_KEY))
    clear = _enrol(tmp_path, old, "olga", "ivan")
    before = _sealed(tmp_path)
    # Refused in one line, nothing changed: no new key, a malformed one (never echoed), the same key, a wrong old one.
    _one_line_error(arbbot(tmp_path, "rekey", ARBBOT_CONSOLE_KEY=KEY), "ARBBOT_CONSOLE_NEW_KEY: not set")
    bad = arbbot(tmp_path, "rekey", ARBBOT_CONSOLE_KEY=KEY, ARBBOT_CONSOLE_NEW_KEY="zz-not-hex")
    _one_line_error(bad, "ARBBOT_CONSOLE_NEW_KEY: must be 64 hex characters")
    assert "zz-not-hex" not in bad.stdout + bad.stderr
    _one_line_error(arbbot(tmp_path, "rekey", ARBBOT_CONSOLE_KEY=KEY, ARBBOT_CONSOLE_NEW_KEY=KEY), "the same key")
    wrong = arbbot(tmp_path, "rekey", ARBBOT_CONSOLE_KEY="11" * 32, ARBBOT_CONSOLE_NEW_KEY=NEW_KEY)
    _one_line_error(wrong, "nothing was changed")
    assert _sealed(tmp_path) == before
    # Done: every key opens under the new key only, bound to its own row still; the console starts with the new key.
    done = arbbot(tmp_path, "rekey", ARBBOT_CONSOLE_KEY=KEY, ARBBOT_CONSOLE_NEW_KEY=NEW_KEY)
    assert done.returncode == 0 and done.stdout.startswith("2 TOTP key(s) sealed under the new key"), done.stderr
    assert KEY not in done.stdout + done.stderr and NEW_KEY not in done.stdout + done.stderr
    after = _sealed(tmp_path)
    engine = db.connect(db.default_url(tmp_path / "data"))
    try:
        with db.session_factory(engine)() as s:
            for user in s.scalars(select(ConsoleUserModel)):
                context = f"totp:{user.id}"
                assert new.open(after[user.name], context=context) == clear[user.name]
                with pytest.raises(ValueError):
                    old.open(after[user.name], context=context)
            actions = [r.action for r in s.scalars(select(ConsoleAuditModel))]
        assert actions.count("totp_resealed") == 2
    finally:
        engine.dispose()
    _one_line_error(arbbot(tmp_path, "serve", ARBBOT_CONSOLE_KEY=KEY), "does not open under this key")
