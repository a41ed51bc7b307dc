"""Migrations on an empty database of each kind (SQLite file, real PostgreSQL)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from arbbot.db import connect, current_revision, downgrade, head_revision, make_engine, migrate
from arbbot.db.models import Base

TABLES = {
    "tokens", "pools", "checkpoints", "bundles", "trades", "alembic_version",
    "console_users", "console_recovery_codes", "console_sessions", "console_tokens", "console_audit",
    "console_audit_unlock",
}  # fmt: skip


def test_empty_database_migrates_to_head_with_every_table(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        insp = inspect(engine)
        assert set(insp.get_table_names()) >= TABLES
        assert current_revision(engine) == head_revision()
        cols = {t: {c["name"] for c in insp.get_columns(t)} for t in TABLES - {"alembic_version"}}
        assert {"fee_on_transfer", "non_standard", "decimals_reverted", "decimals"} <= cols["tokens"]
        assert {"kind", "venue", "factory", "fee", "tick_spacing", "created_block", "state", "state_block"} <= cols[
            "pools"
        ]
        assert {"name", "block", "block_hash"} <= cols["checkpoints"]
        assert {"uuid", "builders", "target_blocks", "landed", "landed_block", "simulated_profit"} <= cols["bundles"]
        assert {"tx_hash", "route", "tokens_in", "gas_used", "builder_payment", "revert_reason"} <= cols["trades"]
    finally:
        engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_big_amount_columns_are_exact_types(engine: Engine) -> None:
    cols = {c["name"]: c["type"] for c in inspect(engine).get_columns("trades")}
    expected = "NUMERIC(78, 0)" if engine.dialect.name == "postgresql" else "VARCHAR(79)"
    for name in ("profit", "gas_cost", "builder_payment"):
        assert str(cols[name].compile(dialect=engine.dialect)) == expected


def test_down_to_nothing_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_processes_starting_together_migrate_once(db_url: str) -> None:
    # Several workers connecting to a fresh database at the same moment: one migrates, the others
    # wait for it (advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite) and find it done.
    def start(_: int) -> str | None:
        eng = connect(db_url)
        try:
            return current_revision(eng)
        finally:
            eng.dispose()

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(start, range(4))) == {head_revision()}
    eng = make_engine(db_url)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    eng.dispose()


def test_sqlite_starts_racing_to_switch_a_new_file_to_wal(tmp_path: Path) -> None:
    # The first connections to a new SQLite file all switch it to WAL; SQLite fails all but one of them at once
    # (no busy wait) when they collide. Released together from a barrier, 4 starters collided in about a third of
    # the rounds before the switch waited for the others; 20 fresh files make a miss very unlikely.
    for round_ in range(20):
        url = f"sqlite:///{tmp_path / f'race{round_}.db'}"
        engines = [make_engine(url) for _ in range(4)]
        gate = threading.Barrier(len(engines))

        def start(eng: Engine, gate: threading.Barrier = gate) -> str | None:
            gate.wait(timeout=30)
            migrate(eng)
            return current_revision(eng)

        try:
            with ThreadPoolExecutor(len(engines)) as pool:
                assert set(pool.map(start, engines)) == {head_revision()}, round_
        finally:
            for eng in engines:
                eng.dispose()
        with sqlite3.connect(tmp_path / f"race{round_}.db") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
