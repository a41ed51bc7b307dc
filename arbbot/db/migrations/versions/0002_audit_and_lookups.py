"""Token decimals_reverted flag, pool venue and lookup indexes, bundles and trades for the audit trail.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Exact on both backends: NUMERIC(78, 0) on PostgreSQL, decimal text on SQLite (see arbbot.db.types.ExactInt).
EXACT_INT = sa.Numeric(78, 0).with_variant(sa.String(79), "sqlite")
UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the token and pool columns and indexes, and create the bundles and trades tables.

    Existing tokens with NULL decimals are marked `decimals_reverted`, the meaning NULL had before.
    """
    # batch mode: SQLite cannot ALTER most things in place; Alembic rebuilds the table there.
    with op.batch_alter_table("tokens") as t:
        t.add_column(sa.Column("decimals_reverted", sa.Boolean, nullable=False, server_default=sa.false()))
    # Before this column, a NULL decimals meant "decimals() reverted".
    op.execute(sa.text("UPDATE tokens SET decimals_reverted = (decimals IS NULL)"))

    with op.batch_alter_table("pools") as t:
        t.add_column(sa.Column("venue", sa.String(64), nullable=False, server_default=""))
    op.create_index("ix_pools_chain_venue", "pools", ["chain_id", "venue"])
    op.create_index("ix_pools_chain_token0", "pools", ["chain_id", "token0"])
    op.create_index("ix_pools_chain_token1", "pools", ["chain_id", "token1"])

    op.create_table(
        "bundles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("bundle_hash", sa.String(66), nullable=True),
        sa.Column("builders", sa.JSON, nullable=False),
        sa.Column("target_blocks", sa.JSON, nullable=False),
        sa.Column("landed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("landed_block", sa.BigInteger, nullable=True),
        sa.Column("simulated_profit", EXACT_INT, nullable=False),
        sa.Column("realized_profit", EXACT_INT, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.UniqueConstraint("uuid", name="uq_bundles_uuid"),
    )
    op.create_index("ix_bundles_chain_created", "bundles", ["chain_id", "created_at"])

    op.create_table(
        "trades",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("bundle_uuid", sa.String(64), nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("executor", sa.String(42), nullable=False),
        sa.Column("route", sa.JSON, nullable=False),
        sa.Column("tokens_in", sa.JSON, nullable=False),
        sa.Column("tokens_out", sa.JSON, nullable=False),
        sa.Column("profit", EXACT_INT, nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=True),
        sa.Column("gas_cost", EXACT_INT, nullable=True),
        sa.Column("builder_payment", EXACT_INT, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revert_reason", sa.Text, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.UniqueConstraint("chain_id", "tx_hash", name="uq_trades_chain_tx"),
        sa.ForeignKeyConstraint(["bundle_uuid"], ["bundles.uuid"], name="fk_trades_bundle_uuid", ondelete="SET NULL"),
    )
    op.create_index("ix_trades_chain_block", "trades", ["chain_id", "block_number"])
    op.create_index("ix_trades_bundle_uuid", "trades", ["bundle_uuid"])


def downgrade() -> None:
    """Drop the bundles and trades tables and the columns and indexes this revision added."""
    op.drop_index("ix_trades_bundle_uuid", table_name="trades")
    op.drop_index("ix_trades_chain_block", table_name="trades")
    op.drop_table("trades")
    op.drop_index("ix_bundles_chain_created", table_name="bundles")
    op.drop_table("bundles")
    op.drop_index("ix_pools_chain_token1", table_name="pools")
    op.drop_index("ix_pools_chain_token0", table_name="pools")
    op.drop_index("ix_pools_chain_venue", table_name="pools")
    with op.batch_alter_table("pools") as t:
        t.drop_column("venue")
    with op.batch_alter_table("tokens") as t:
        t.drop_column("decimals_reverted")
