"""What collectors emit: plain, immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NewBlock:
    """A new block's header fields (`base_fee` in wei) and which transport delivered it."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int
    base_fee: int
    via: str = "http"  # "ws" or "http": which transport delivered it


@dataclass(frozen=True)
class BlockLogs:
    """One block and its logs as the node returned them."""

    block: NewBlock
    logs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PendingTx:
    """A pending transaction by hash, with the node's full transaction object."""

    hash: str
    tx: dict[str, Any]  # the full transaction object as the node returns it (includes `input`)
    via: str = "http"


def block_from_header(header: dict[str, Any], via: str) -> NewBlock:
    """A `NewBlock` from a JSON-RPC block header (hex quantities; a missing base fee reads as 0)."""
    return NewBlock(
        number=int(header["number"], 16),
        hash=header["hash"],
        parent_hash=header["parentHash"],
        timestamp=int(header["timestamp"], 16),
        base_fee=int(header.get("baseFeePerGas") or "0x0", 16),
        via=via,
    )
