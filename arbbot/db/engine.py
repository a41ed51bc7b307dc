"""Engines, sessions and migrations. Alembic runs from the package, configured in code (no alembic.ini)."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from arbbot.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DB_FILE = "arbbot.db"
SQLITE_WAIT = 30.0  # seconds a SQLite connection waits for another one's lock before failing
_MIGRATION_LOCK = 0x61726262  # pg_advisory_xact_lock key: concurrent starts migrate one at a time


def default_url(data_dir: Path) -> str:
    """The SQLite file used when no database URL is configured: <data_dir>/arbbot.db."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / DB_FILE).resolve()}"


def normalize_url(url: str | URL) -> URL:
    """Plain postgresql:// (or postgres://) URLs go to psycopg 3, the driver arbbot ships with."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL {str(url)!r} is not a URL: {exc}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine on `url`, not migrated (see `connect`). SQLite gets WAL and real transactions."""
    parsed = normalize_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database not in (None, "", ":memory:") and not parsed.database.startswith("file:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite:
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_WAIT)  # wait for the other writer
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:  # bad scheme or missing driver: user input
        raise ConfigError(f"database URL {parsed.render_as_string()!r} is not usable: {exc}") from exc
    if is_sqlite:
        _sqlite_transactions(engine, float(kwargs["connect_args"]["timeout"]))
    return engine


def _switch_to_wal(cur: Any, wait: float) -> None:
    """`PRAGMA journal_mode=WAL`, waiting up to `wait` seconds for other connections. When several connections
    switch a new file at the same moment, SQLite fails all but one at once instead of waiting (waiting could
    deadlock: each holds the read lock the other needs gone), so the wait is here. Once the file is in WAL
    mode (it stays so), the pragma changes nothing and needs no lock."""
    deadline = time.monotonic() + wait
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)  # back-off while the other connection finishes its switch
        pause = min(pause * 2, 0.1)


def _sqlite_transactions(engine: Engine, wait: float) -> None:
    """Python's sqlite3 does not BEGIN before SELECT or DDL ("legacy transaction control"), so a
    migration or a read-then-write unit of work would not be atomic. Take BEGIN over, as SQLAlchemy's
    SQLite docs recommend; `sqlite_begin="IMMEDIATE"` (execution option) takes the write lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # sqlite3 must not emit BEGIN itself
        cur = dbapi_conn.cursor()
        try:
            _switch_to_wal(cur, wait)  # readers never block the syncing writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"sqlite_begin must be DEFERRED, IMMEDIATE or EXCLUSIVE, got {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(url: str | URL | None = None, connection: Connection | None = None) -> Config:
    """Alembic's Config, built in code. With `url` only, Alembic commands open their own engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        plain = normalize_url(url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", plain.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration revision this package ships (what `migrate` upgrades to by default)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package ships at least one revision
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's current migration revision, or `None` for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(target: str | URL | Engine, revision: str = "head") -> None:
    """Upgrade the database at `target` (a URL or an engine) to `revision`, in one transaction."""
    engine = target if isinstance(target, Engine) else make_engine(target)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # no chatter on every start
    try:
        with engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")  # SQLite: one migrator at a time
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
                command.upgrade(alembic_config(connection=conn), revision)
    finally:
        if engine is not target:
            engine.dispose()


def downgrade(target: str | URL | Engine, revision: str) -> None:
    """Downgrade to `revision` ('base': empty). For tests and operators; the application never does it."""
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                command.downgrade(alembic_config(connection=conn), revision)
    finally:
        if engine is not target:
            engine.dispose()


def connect(url: str | URL | None = None, *, data_dir: Path | None = None, **kwargs: Any) -> Engine:
    """An engine on `url` (default: SQLite file in `data_dir`), migrated to the newest schema."""
    if url is None:
        if data_dir is None:
            raise ConfigError("connect() needs a database URL or a data_dir")
        url = default_url(data_dir)
    engine = make_engine(url, **kwargs)
    try:
        migrate(engine)
    except Exception:
        engine.dispose()
        raise
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit. `with sessions.begin() as s:` is one unit of
    work: everything in it commits together or not at all."""
    return sessionmaker(engine, expire_on_commit=False)
