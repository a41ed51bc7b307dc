"""Engine and migration plumbing on SQLite files (no server needed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from arbbot.db import (
    alembic_config,
    connect,
    current_revision,
    default_url,
    downgrade,
    head_revision,
    make_engine,
    migrate,
    session_factory,
)
from arbbot.db.engine import normalize_url
from arbbot.db.models import Base
from arbbot.errors import ConfigError

TABLES = {"tokens", "pools", "checkpoints", "bundles", "trades", "alembic_version"}


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_url("postgresql://u:p@h:5/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://x", "postgresql+nosuchdriver://h/db"])
def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def test_default_url_is_a_file_in_the_data_dir(tmp_path: Path) -> None:
    url = default_url(tmp_path / "new" / "dir")
    assert url == f"sqlite:///{(tmp_path / 'new' / 'dir' / 'arbbot.db').resolve()}"
    assert (tmp_path / "new" / "dir").is_dir()


def test_connect_with_a_data_dir_migrates_to_head(tmp_path: Path) -> None:
    engine = connect(data_dir=tmp_path)
    assert (tmp_path / "arbbot.db").exists()
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()
    engine.dispose()
    with pytest.raises(ConfigError):
        connect()


def test_sqlite_parent_directories_are_created(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    assert (tmp_path / "a" / "b" / "x.db").exists()
    engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    # sqlite3's legacy mode would autocommit the CREATE TABLE; the engine emits BEGIN itself.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        raise RuntimeError("abort")
    assert "t" not in inspect(engine).get_table_names()
    engine.dispose()


def test_migrate_by_url_is_idempotent_and_reversible(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    migrate(url)
    migrate(url)  # already at head: nothing to do
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    engine.dispose()


def test_upgrade_from_the_first_schema_keeps_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    migrate(url, "0001")
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute(
            "INSERT INTO pools (chain_id, address, kind, factory, token0, token1, fee, tick_spacing, created_block)"
            " VALUES (1, '0x01', 'uniswap_v2', '0x0f', '0x0a', '0x0b', 30, 0, 7)"
        )
        conn.execute("INSERT INTO tokens (chain_id, address, decimals) VALUES (1, '0x0a', NULL), (1, '0x0b', 18)")
    engine = connect(url)
    with session_factory(engine)() as s:
        assert s.execute(text("SELECT venue, created_block FROM pools")).one() == ("", 7)
        flags = dict(s.execute(text("SELECT address, decimals_reverted FROM tokens")).all())
        assert flags == {"0x0a": 1, "0x0b": 0}  # a NULL decimals meant "reverted" before the flag
    engine.dispose()


def test_alembic_commands_work_from_a_bare_url(tmp_path: Path) -> None:
    # The developer path (no connection handed in): env.py opens its own engine from the URL.
    url = f"sqlite:///{tmp_path / 'x.db'}"
    command.upgrade(alembic_config(url), "head")
    command.check(alembic_config(url))  # raises if the models need a migration that does not exist
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_alembic_config_keeps_percent_signs_in_passwords() -> None:
    cfg = alembic_config("postgresql://u:p%25w@h/db")
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%25w@h/db"
