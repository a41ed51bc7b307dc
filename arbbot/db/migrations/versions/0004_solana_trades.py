"""Solana trades in the same tables: trades.tx_hash holds a base58 signature (up to 88 characters) and
trades.executor a base58 public key (up to 44). Solana clusters use negative chain ids
(arbbot.solana.journal), so no chain column is needed.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Widen trades.tx_hash to 88 and trades.executor to 44 characters for Solana signatures and keys."""
    with op.batch_alter_table("trades") as t:
        t.alter_column("tx_hash", type_=sa.String(88), existing_type=sa.String(66), existing_nullable=False)
        t.alter_column("executor", type_=sa.String(44), existing_type=sa.String(42), existing_nullable=False)


def downgrade() -> None:
    """Narrow the columns back to EVM widths, deleting Solana trades (negative chain ids) first."""
    # Solana rows do not fit the EVM widths: they go first.
    op.execute(sa.text("DELETE FROM trades WHERE chain_id < 0"))
    with op.batch_alter_table("trades") as t:
        t.alter_column("executor", type_=sa.String(42), existing_type=sa.String(44), existing_nullable=False)
        t.alter_column("tx_hash", type_=sa.String(66), existing_type=sa.String(88), existing_nullable=False)
