"""Pool state: tokens, pools, checkpoints.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tokens, pools and checkpoints tables."""
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False, server_default=""),
        sa.Column("name", sa.String(128), nullable=False, server_default=""),
        sa.Column("decimals", sa.Integer, nullable=True),
        sa.Column("fee_on_transfer", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("non_standard", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("chain_id", "address", name="uq_tokens_chain_address"),
    )
    op.create_table(
        "pools",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("factory", sa.String(42), nullable=False),
        sa.Column("token0", sa.String(42), nullable=False),
        sa.Column("token1", sa.String(42), nullable=False),
        sa.Column("fee", sa.Integer, nullable=False),
        sa.Column("tick_spacing", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_block", sa.BigInteger, nullable=False),
        sa.Column("state", sa.JSON, nullable=True),
        sa.Column("state_block", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("chain_id", "address", name="uq_pools_chain_address"),
    )
    op.create_index("ix_pools_chain_kind", "pools", ["chain_id", "kind"])
    op.create_table(
        "checkpoints",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables this revision created (their data is lost)."""
    op.drop_table("checkpoints")
    op.drop_index("ix_pools_chain_kind", table_name="pools")
    op.drop_table("pools")
    op.drop_table("tokens")
