"""The operator console: users, recovery codes, sessions, API tokens and the append-only audit trail.

The audit table refuses UPDATE and DELETE (a trigger on SQLite and PostgreSQL) unless a row exists in
`console_audit_unlock`, which only the retention and erasure jobs insert, and remove, inside their own transaction.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)

_PG_FUNCTION = """
CREATE FUNCTION console_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM console_audit_unlock) THEN
        RAISE EXCEPTION 'console_audit is append-only';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    """Create the console tables and the audit trail's append-only triggers."""
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", UTC_TS, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.UniqueConstraint("name", name="uq_console_users_name"),
    )
    op.create_table(
        "console_recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("console_users.id", name="fk_console_recovery_codes_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", UTC_TS, nullable=True),
    )
    op.create_index("ix_console_recovery_codes_user", "console_recovery_codes", ["user_id"])
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("console_users.id", name="fk_console_sessions_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("mfa_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("last_seen", UTC_TS, nullable=False),
    )
    op.create_index("ix_console_sessions_user", "console_sessions", ["user_id"])
    op.create_table(
        "console_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("console_users.id", name="fk_console_tokens_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("revoked_at", UTC_TS, nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_console_tokens_hash"),
    )
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=False, server_default=""),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("source", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_console_audit_at", "console_audit", ["at"])
    op.create_table(
        "console_audit_unlock",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("reason", sa.String(32), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER console_audit_no_{verb.lower()} BEFORE {verb} ON console_audit "
                "WHEN NOT EXISTS (SELECT 1 FROM console_audit_unlock) "
                "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER console_audit_append_only BEFORE UPDATE OR DELETE ON console_audit "
            "FOR EACH ROW EXECUTE FUNCTION console_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER console_audit_no_truncate BEFORE TRUNCATE ON console_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION console_audit_append_only()"
        )


def downgrade() -> None:
    """Drop the console tables (and with them the triggers)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS console_audit_no_truncate ON console_audit")
        op.execute("DROP TRIGGER IF EXISTS console_audit_append_only ON console_audit")
        op.execute("DROP FUNCTION IF EXISTS console_audit_append_only()")
    op.drop_table("console_audit_unlock")
    op.drop_index("ix_console_audit_at", table_name="console_audit")
    op.drop_table("console_audit")
    op.drop_table("console_tokens")
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index("ix_console_recovery_codes_user", table_name="console_recovery_codes")
    op.drop_table("console_recovery_codes")
    op.drop_table("console_users")
