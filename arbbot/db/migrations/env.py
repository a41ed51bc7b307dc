"""Alembic environment. arbbot.db.migrate hands in an open connection; a bare URL works too (developers'
`command.revision(alembic_config(url), autogenerate=True)`)."""

from alembic import context
from sqlalchemy import Connection

from arbbot.db.models import Base


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from arbbot.db.engine import make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


_main()
