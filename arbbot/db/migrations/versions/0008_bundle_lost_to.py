"""Who took the opportunity of a missed bundle: the transaction that traded its pools first in a target block and
what it paid that block's builder (`arbbot.audit.outbid`).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `lost_to` (JSON, nullable: landed bundles and misses not yet attributed have none) to bundles."""
    with op.batch_alter_table("bundles") as t:
        t.add_column(sa.Column("lost_to", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop `lost_to` from bundles."""
    with op.batch_alter_table("bundles") as t:
        t.drop_column("lost_to")
