"""Records passed in and out of arbbot.db.crud: validated, immutable, detached from any session.

Amounts are Python ints of up to 78 digits. Inside JSON columns they are written as decimal strings
(`model_dump(mode="json")`), so every reader of the database, not only Python, sees exact values.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    model_validator,
)

from arbbot.db.types import DIGITS, LIMIT

_INT = re.compile(rf"-?[0-9]{{1,{DIGITS}}}")


def _exact_int(value: Any) -> int:
    # Only ints and decimal strings: a float would already have lost the low digits.
    if isinstance(value, bool):
        raise ValueError("a bool is not an amount")
    if isinstance(value, int):
        out = value
    elif isinstance(value, str) and _INT.fullmatch(value):
        out = int(value)
    else:
        raise ValueError(f"an exact integer (int or decimal string) is required, got {value!r}")
    if not -LIMIT < out < LIMIT:
        raise ValueError(f"{out} has more than {DIGITS} digits")
    return out


Amount = Annotated[int, PlainValidator(_exact_int), PlainSerializer(str, when_used="json")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$", to_lower=True)]
Hash32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$", to_lower=True)]
BlockNumber = Annotated[int, Field(ge=0)]


def _chain_id(value: int) -> int:
    if value == 0:
        raise ValueError("chain id 0 is not a chain")
    return value


# EVM chains by their EIP-155 id (> 0); Solana clusters by a negative id (arbbot.solana.journal:
# -101 mainnet-beta, -102 testnet, -103 devnet, -100 a local node), so the two never collide.
ChainId = Annotated[int, AfterValidator(_chain_id)]

_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_EVM_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58_len(value: str) -> int | None:
    """Decoded length of a base58 string, or None if it is not base58."""
    n = 0
    for ch in value:
        i = _BASE58.find(ch)
        if i < 0:
            return None
        n = n * 58 + i
    zeros = len(value) - len(value.lstrip("1"))
    return zeros + (n.bit_length() + 7) // 8


def _chain_address(value: Any) -> str:
    if isinstance(value, str) and _EVM_ADDRESS.fullmatch(value):
        return value.lower()
    if isinstance(value, str) and 32 <= len(value) <= 44 and _base58_len(value) == 32:
        return value  # a Solana public key (case matters in base58)
    raise ValueError(f"not an address (0x + 40 hex) or a Solana public key (base58, 32 bytes): {value!r}")


def _pool_ref(value: Any) -> str:
    if isinstance(value, str) and _EVM_HASH.fullmatch(value):
        return value.lower()  # a Uniswap V4 pool: its id inside the PoolManager
    return _chain_address(value)


def _tx_id(value: Any) -> str:
    if isinstance(value, str) and _EVM_HASH.fullmatch(value):
        return value.lower()
    if isinstance(value, str) and 64 <= len(value) <= 88 and _base58_len(value) == 64:
        return value  # a Solana transaction signature
    raise ValueError(f"not a transaction hash (0x + 64 hex) or a Solana signature (base58, 64 bytes): {value!r}")


# Trades on either kind of chain: EVM hex (lower-cased) or Solana base58; TradeRecord checks that the
# form matches the chain.
ChainAddress = Annotated[str, PlainValidator(_chain_address)]
PoolRef = Annotated[str, PlainValidator(_pool_ref)]  # a pool contract, or a V4 pool id (0x + 64 hex)
TxId = Annotated[str, PlainValidator(_tx_id)]


def is_evm_form(value: str) -> bool:
    """True for the EVM form of an address or hash (0x-prefixed), false for Solana's base58."""
    return value.startswith("0x")


def _clean(limit: int) -> AfterValidator:
    # On-chain metadata can be anything: PostgreSQL text cannot hold NUL, and overlong names are cut.
    return AfterValidator(lambda s: s.replace("\x00", "")[:limit])


PoolKind = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]  # 'uniswap_v2', 'uniswap_v3', …
TradeStatus = Literal["pending", "success", "reverted", "dropped"]
BundleStatus = Literal["sent", "rejected", "landed", "missed", "cancelled", "replaced"]


class Record(BaseModel):
    """Base of the validated records: immutable, unknown fields rejected, buildable from ORM rows."""

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)


class TokenRecord(Record):
    """A token's metadata as stored: address lower-cased, symbol and name cleaned (NUL removed, length cut)."""

    chain_id: ChainId
    address: Address
    symbol: Annotated[str, _clean(64)] = ""
    name: Annotated[str, _clean(128)] = ""
    decimals: Annotated[int, Field(ge=0, le=255)] | None = None
    fee_on_transfer: bool = False
    non_standard: bool = False  # bytes32 metadata, no code, odd return data
    decimals_reverted: bool = False


class PoolRecord(Record):
    """A pool's identity. Its state is written separately (save_pool_states) and only read back here."""

    chain_id: ChainId
    address: Address
    kind: PoolKind
    venue: Annotated[str, Field(max_length=64)] = ""  # '' = unknown: an upsert never erases a known venue
    factory: Address
    token0: Address
    token1: Address
    fee: Annotated[int, Field(ge=0)]  # V2: bps; V3: hundredths of a bip
    tick_spacing: int = 0
    created_block: BlockNumber
    state: dict[str, Any] | None = None
    state_block: BlockNumber | None = None


class PoolState(Record):
    """A serialized pool (Pool.to_dict()) as of `block`."""

    chain_id: ChainId
    address: Address
    state: dict[str, Any]
    block: BlockNumber


class CheckpointRecord(Record):
    """A named checkpoint: the last block processed and, where known, its hash."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    block: BlockNumber
    block_hash: Hash32 | Literal[""] = ""
    updated_at: datetime | None = None


class RouteHop(Record):
    """One hop of a recorded trade: the pool (or V4 pool id), tokens and the raw amounts in and out."""

    pool: PoolRef
    token_in: ChainAddress
    token_out: ChainAddress
    amount_in: Amount
    amount_out: Amount
    venue: str = ""


class BundleRecord(Record):
    """A bundle as the audit log records it: targets, builders, profits in signed wei, strategy and final status.

    `created_at` is set by the database layer on insert when left `None`.
    """

    uuid: Annotated[str, Field(min_length=1, max_length=64)]
    chain_id: ChainId
    bundle_hash: Hash32 | None = None
    builders: list[str] = Field(default_factory=list)
    target_blocks: list[BlockNumber] = Field(default_factory=list)
    landed: bool = False
    landed_block: BlockNumber | None = None
    simulated_profit: Amount
    realized_profit: Amount | None = None
    created_at: datetime | None = None  # None: set by the database layer on insert
    updated_at: datetime | None = None
    strategy: Literal["cycle", "backrun", ""] = ""
    expected_net: Amount | None = None
    status: BundleStatus = "sent"
    miss_reason: Annotated[str, _clean(10_000)] | None = None
    landed_builder: Annotated[str, Field(max_length=200)] | None = None
    bid: dict[str, Any] | None = None  # arbbot.strategy.bribe.Bid.to_json() of its first trade
    lost_to: dict[str, Any] | None = None  # who took a missed bundle's opportunity (arbbot.audit.outbid)


class SubmissionRecord(Record):
    """One builder's answer to one request about a bundle (a send, a preflight or a cancel)."""

    bundle_uuid: Annotated[str, Field(min_length=1, max_length=64)]
    builder: Annotated[str, Field(min_length=1, max_length=200)]
    method: Literal["eth_sendBundle", "eth_callBundle", "eth_cancelBundle", "mev_sendBundle", "sendBundle"]
    accepted: bool
    error: Annotated[str, _clean(2_000)] | None = None
    latency_ms: Annotated[float, Field(ge=0)] | None = None
    target_block: BlockNumber | None = None
    created_at: datetime | None = None
    received_ms: Annotated[float, Field(ge=0)] | None = None  # builder's `receivedTimestampMs`
    dialect: Annotated[str, Field(max_length=40)] | None = None
    kind: Annotated[str, Field(max_length=16)] | None = None  # failure class; refused/rate_limited: never sent


class TradeRecord(Record):
    """A trade as the audit log records it (EVM or Solana): route, token flows and profit in raw units, gas, status.

    Addresses and the transaction id must be in the chain's form (0x hex or base58).
    """

    chain_id: ChainId
    tx_hash: TxId
    bundle_uuid: Annotated[str, Field(max_length=64)] | None = None
    block_number: BlockNumber | None = None  # Solana: the slot
    executor: ChainAddress
    route: list[RouteHop] = Field(default_factory=list)
    tokens_in: dict[ChainAddress, Amount] = Field(default_factory=dict)
    tokens_out: dict[ChainAddress, Amount] = Field(default_factory=dict)
    profit: Amount
    gas_used: Annotated[int, Field(ge=0)] | None = None
    gas_cost: Amount | None = None
    builder_payment: Amount = 0
    status: TradeStatus = "pending"
    revert_reason: Annotated[str, _clean(10_000)] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @model_validator(mode="after")
    def _one_chain_kind(self) -> TradeRecord:
        evm = self.chain_id > 0
        names = [self.tx_hash, self.executor, *self.tokens_in, *self.tokens_out]
        names += [k for h in self.route for k in (h.pool, h.token_in, h.token_out)]
        for name in names:
            if is_evm_form(name) != evm:
                kind = "an EVM chain" if evm else "a Solana cluster"
                raise ValueError(f"{name!r} is not of the form used on chain {self.chain_id} ({kind})")
        return self
