"""Tables (SQLAlchemy ORM). Addresses are lower-case hex; amounts are ExactInt or decimal strings in JSON.

The migrations in arbbot/db/migrations create exactly these tables; a test compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arbbot.db.types import ExactInt, UTCDateTime, utcnow

ADDRESS = String(42)
HASH = String(66)
# Trades are on EVM chains or Solana clusters: base58 public keys (<= 44 chars) and signatures (<= 88).
CHAIN_ADDRESS = String(44)
TX_ID = String(88)


class Base(DeclarativeBase):
    """The declarative base holding every table's metadata (what the migrations are compared against)."""


class TokenModel(Base):
    """A token seen on a chain: metadata as read on chain (cleaned), and flags for tokens that need care.

    `decimals` is `None` when unknown or when `decimals()` reverted (`decimals_reverted` says which).
    """

    __tablename__ = "tokens"
    __table_args__ = (UniqueConstraint("chain_id", "address", name="uq_tokens_chain_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(ADDRESS)
    symbol: Mapped[str] = mapped_column(String(64), default="", server_default="")
    name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    decimals: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: unknown or reverted
    fee_on_transfer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    non_standard: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    decimals_reverted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PoolModel(Base):
    """A discovered pool: identity (factory, tokens, fee, tick spacing, venue) and its last saved state.

    `state` is the model's `to_dict()` (exact: big numbers are decimal strings) as of `state_block`.
    """

    __tablename__ = "pools"
    __table_args__ = (
        UniqueConstraint("chain_id", "address", name="uq_pools_chain_address"),
        Index("ix_pools_chain_kind", "chain_id", "kind"),
        Index("ix_pools_chain_venue", "chain_id", "venue"),
        Index("ix_pools_chain_token0", "chain_id", "token0"),
        Index("ix_pools_chain_token1", "chain_id", "token1"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(ADDRESS)
    kind: Mapped[str] = mapped_column(String(32))  # 'uniswap_v2' | 'uniswap_v3'
    venue: Mapped[str] = mapped_column(String(64), default="", server_default="")  # config name, e.g. 'sushiswap'
    factory: Mapped[str] = mapped_column(ADDRESS)
    token0: Mapped[str] = mapped_column(ADDRESS)
    token1: Mapped[str] = mapped_column(ADDRESS)
    fee: Mapped[int] = mapped_column(Integer)  # V2: bps; V3: hundredths of a bip
    tick_spacing: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_block: Mapped[int] = mapped_column(BigInteger)
    # Pool.to_dict(): big numbers inside are decimal strings, so JSON is exact on every backend.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)  # None: SQL NULL
    state_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CheckpointModel(Base):
    """A named progress marker (e.g. a discovery scan): the last block processed and its hash."""

    __tablename__ = "checkpoints"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. 'discovery:1:0xfactory'
    block: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(HASH, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BundleModel(Base):
    """One bundle sent (or refused): its uuid, targets, builders, judged and realized profit (signed wei) and fate."""

    __tablename__ = "bundles"
    __table_args__ = (
        UniqueConstraint("uuid", name="uq_bundles_uuid"),
        Index("ix_bundles_chain_created", "chain_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(64))  # our id (also the replacement uuid)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    bundle_hash: Mapped[str | None] = mapped_column(HASH, nullable=True)  # as returned by the builders
    builders: Mapped[list[str]] = mapped_column(JSON)  # names or URLs the bundle was sent to
    target_blocks: Mapped[list[int]] = mapped_column(JSON)
    landed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    landed_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    simulated_profit: Mapped[int] = mapped_column(ExactInt)  # wei, signed
    realized_profit: Mapped[int | None] = mapped_column(ExactInt, nullable=True)  # known once landed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    strategy: Mapped[str] = mapped_column(String(16), default="", server_default="")  # 'cycle' | 'backrun' | ''
    expected_net: Mapped[int | None] = mapped_column(ExactInt, nullable=True)  # judged net profit, wei
    # 'sent' | 'landed' | 'missed' | 'cancelled' | 'replaced'
    status: Mapped[str] = mapped_column(String(16), default="sent", server_default="sent")
    miss_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    landed_builder: Mapped[str | None] = mapped_column(String(200), nullable=True)  # who built the landing block
    # The bid: {"policy", "share_bps", "context": BidContext.to_json()} of the first trade (arbbot.strategy.bribe).
    bid: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A miss's taker: {"tx", "block", "paid_wei", "exact"} (arbbot.audit.outbid), or {"none": why} once looked at.
    lost_to: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)  # None: SQL NULL


class BundleSubmissionModel(Base):
    """One request to one builder about one bundle: a send, a preflight simulation or a cancel."""

    __tablename__ = "bundle_submissions"
    __table_args__ = (
        Index("ix_bundle_submissions_uuid", "bundle_uuid"),
        Index("ix_bundle_submissions_builder", "builder", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_uuid: Mapped[str] = mapped_column(
        String(64), ForeignKey("bundles.uuid", name="fk_bundle_submissions_uuid", ondelete="CASCADE")
    )
    builder: Mapped[str] = mapped_column(String(200))  # preset name or public URL (no credentials)
    method: Mapped[str] = mapped_column(String(32))  # eth_sendBundle | eth_callBundle | eth_cancelBundle
    accepted: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_ms: Mapped[float | None] = mapped_column(Float, nullable=True)  # builder's receivedTimestampMs
    dialect: Mapped[str | None] = mapped_column(String(40), nullable=True)  # request shape it was sent in
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # failure class (refused: never sent)


class TradeModel(Base):
    """One executed trade (EVM or Solana): route, token flows, profit, gas and status, linked to its bundle if any."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", name="uq_trades_chain_tx"),
        Index("ix_trades_chain_block", "chain_id", "block_number"),
        Index("ix_trades_bundle_uuid", "bundle_uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(TX_ID)  # EVM hash, or a Solana signature (base58)
    bundle_uuid: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("bundles.uuid", name="fk_trades_bundle_uuid", ondelete="SET NULL"), nullable=True
    )
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # None while pending
    executor: Mapped[str] = mapped_column(CHAIN_ADDRESS)  # EVM address, or a Solana public key (base58)
    route: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # hops: pool, token in/out, amounts (strings)
    tokens_in: Mapped[dict[str, str]] = mapped_column(JSON)  # token -> amount, decimal strings
    tokens_out: Mapped[dict[str, str]] = mapped_column(JSON)
    profit: Mapped[int] = mapped_column(ExactInt)  # wei, signed (a loss is negative)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    gas_cost: Mapped[int | None] = mapped_column(ExactInt, nullable=True)  # wei
    builder_payment: Mapped[int] = mapped_column(ExactInt, default=0, server_default="0")  # coinbase transfer, wei
    status: Mapped[str] = mapped_column(String(16))  # 'pending' | 'success' | 'reverted' | 'dropped'
    revert_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConsoleUserModel(Base):
    """An operator console user: role, argon2id password hash, TOTP state and lockout counters.

    `totp_secret` is the base32 TOTP key (needed in clear to compute codes; the database is the secret store);
    `totp_last_step` is the last accepted time step, so a code is accepted at most once.
    """

    __tablename__ = "console_users"
    __table_args__ = (UniqueConstraint("name", name="uq_console_users_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # 'viewer' | 'operator' | 'admin'
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: not enrolled
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleRecoveryCodeModel(Base):
    """One single-use MFA recovery code, stored as a SHA-256 hash (the code is random, 80 bits)."""

    __tablename__ = "console_recovery_codes"
    __table_args__ = (Index("ix_console_recovery_codes_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("console_users.id", name="fk_console_recovery_codes_user", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleSessionModel(Base):
    """A server-side console session: the cookie carries only `id` (random); `csrf` is its CSRF token.

    `mfa_pending` sessions have passed the password step only and grant nothing but the TOTP step.
    """

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie value
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("console_users.id", name="fk_console_sessions_user", ondelete="CASCADE")
    )
    csrf: Mapped[str] = mapped_column(String(64))
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsoleTokenModel(Base):
    """A scoped API token: only the SHA-256 of the (random, 256-bit) token is kept; `scopes` are permissions."""

    __tablename__ = "console_tokens"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_console_tokens_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("console_users.id", name="fk_console_tokens_user", ondelete="CASCADE")
    )
    label: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleAuditModel(Base):
    """The console's audit trail, append-only (database triggers refuse UPDATE and DELETE unless a row in
    `console_audit_unlock` says the retention or erasure job is running in the same transaction)."""

    __tablename__ = "console_audit"
    __table_args__ = (Index("ix_console_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # user name ('' when unknown, e.g. a failed login's name)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="", server_default="")
    old: Mapped[str | None] = mapped_column(Text, nullable=True)
    new: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(64), default="", server_default="")  # client address


class ConsoleAuditUnlockModel(Base):
    """Present only inside the retention/erasure job's transaction: the audit triggers let changes through."""

    __tablename__ = "console_audit_unlock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))


# Names used before the models/schemas/crud split.
Token = TokenModel
PoolRow = PoolModel
Checkpoint = CheckpointModel
