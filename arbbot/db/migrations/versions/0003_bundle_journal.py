"""Bundle journal: each bundle's strategy, expected net, status and miss reason, and one row per builder
attempt (send, preflight, cancel) with its answer and latency, for per-builder reports.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EXACT_INT = sa.Numeric(78, 0).with_variant(sa.String(79), "sqlite")
UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the journal columns to bundles (landed ones get status `landed`) and create bundle_submissions."""
    with op.batch_alter_table("bundles") as t:
        t.add_column(sa.Column("strategy", sa.String(16), nullable=False, server_default=""))
        t.add_column(sa.Column("expected_net", EXACT_INT, nullable=True))
        t.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="sent"))
        t.add_column(sa.Column("miss_reason", sa.Text, nullable=True))
        t.add_column(sa.Column("landed_builder", sa.String(200), nullable=True))
    # Bundles recorded before this revision: landed ones say so.
    op.execute(sa.text("UPDATE bundles SET status = 'landed' WHERE landed"))

    op.create_table(
        "bundle_submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bundle_uuid", sa.String(64), nullable=False),
        sa.Column("builder", sa.String(200), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=True),
        sa.Column("target_block", sa.BigInteger, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_uuid"], ["bundles.uuid"], name="fk_bundle_submissions_uuid", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_bundle_submissions_uuid", "bundle_submissions", ["bundle_uuid"])
    op.create_index("ix_bundle_submissions_builder", "bundle_submissions", ["builder", "created_at"])


def downgrade() -> None:
    """Drop bundle_submissions and the journal columns of bundles."""
    op.drop_index("ix_bundle_submissions_builder", table_name="bundle_submissions")
    op.drop_index("ix_bundle_submissions_uuid", table_name="bundle_submissions")
    op.drop_table("bundle_submissions")
    with op.batch_alter_table("bundles") as t:
        t.drop_column("landed_builder")
        t.drop_column("miss_reason")
        t.drop_column("status")
        t.drop_column("expected_net")
        t.drop_column("strategy")
