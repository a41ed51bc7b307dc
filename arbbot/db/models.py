"""Tables. Amounts and pool state are stored as decimal strings inside JSON: exact on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Token(Base):
    __tablename__ = "tokens"
    __table_args__ = (UniqueConstraint("chain_id", "address", name="uq_tokens_chain_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(String(42))  # lower-case hex
    symbol: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(128), default="")
    decimals: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: decimals() reverted
    fee_on_transfer: Mapped[bool] = mapped_column(Boolean, default=False)
    non_standard: Mapped[bool] = mapped_column(Boolean, default=False)


class PoolRow(Base):
    __tablename__ = "pools"
    __table_args__ = (UniqueConstraint("chain_id", "address", name="uq_pools_chain_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(String(42))
    kind: Mapped[str] = mapped_column(String(32))
    factory: Mapped[str] = mapped_column(String(42))
    token0: Mapped[str] = mapped_column(String(42))
    token1: Mapped[str] = mapped_column(String(42))
    fee: Mapped[int] = mapped_column(Integer)
    tick_spacing: Mapped[int] = mapped_column(Integer, default=0)
    created_block: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # Pool.to_dict()
    state_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. "discovery:1:0xfactory"
    block: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC), onupdate=lambda: datetime.now(UTC)
    )
