"""Persistence: SQLAlchemy 2 models, pydantic records, repository functions, Alembic migrations.

    arbbot.db.models   tables (ORM)
    arbbot.db.schemas  records going in and out (validated, exact integers)
    arbbot.db.crud     the functions that read and write them
    arbbot.db.repo     adapters for DiscoveredPool / amm Pool (used by `arbbot pools`)

SQLite by default (a file in the data dir), PostgreSQL by URL. `connect()` migrates to head first.
"""

from arbbot.db.engine import (
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

__all__ = [
    "alembic_config",
    "connect",
    "current_revision",
    "default_url",
    "downgrade",
    "head_revision",
    "make_engine",
    "migrate",
    "session_factory",
]
