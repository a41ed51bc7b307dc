"""Per-builder telemetry on bundle_submissions: the builder's own receive time (`receivedTimestampMs`,
BuilderNet), the dialect the request was sent in, and the failure class (`refused`/`rate_limited`: the
request was never made).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `received_ms`, `dialect` and `kind` to bundle_submissions (nullable: older rows have none)."""
    with op.batch_alter_table("bundle_submissions") as t:
        t.add_column(sa.Column("received_ms", sa.Float(), nullable=True))
        t.add_column(sa.Column("dialect", sa.String(40), nullable=True))
        t.add_column(sa.Column("kind", sa.String(16), nullable=True))


def downgrade() -> None:
    """Drop the telemetry columns from bundle_submissions."""
    with op.batch_alter_table("bundle_submissions") as t:
        t.drop_column("kind")
        t.drop_column("dialect")
        t.drop_column("received_ms")
