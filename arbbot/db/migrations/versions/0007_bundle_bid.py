"""The bid behind each bundle: the context known when its builder share was chosen, the share, and the policy
that chose it (what a landing model learns from).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `bid` (JSON, nullable: older rows and refused bundles have none) to bundles."""
    with op.batch_alter_table("bundles") as t:
        t.add_column(sa.Column("bid", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop `bid` from bundles."""
    with op.batch_alter_table("bundles") as t:
        t.drop_column("bid")
