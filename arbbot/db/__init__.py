"""Persistence: SQLAlchemy 2 models, Alembic migrations, small repository functions.

SQLite by default (a file in the data dir), PostgreSQL by URL. `connect()` migrates to head first.
"""

from arbbot.db.engine import connect, default_url, migrate, session_factory

__all__ = ["connect", "default_url", "migrate", "session_factory"]
