"""Append-only JSON Lines log of every bundle sent and what became of it. No secrets: fixed fields,
builder URLs without credentials or query strings, and extra fields refused when their name suggests a
key or signature.

    log = BundleLog(Path(".arbbot/bundles.jsonl"), sessions=sessions)   # sessions: also the bundles table
    log.sent(uuid=..., chain_id=1, builders=[...], target_blocks=[n + 1], tx_hashes=[...], simulated_profit=wei)
    log.outcome(uuid=..., landed=True, landed_block=n + 1, realized_profit=wei)
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import TypeAdapter
from sqlalchemy.orm import Session, sessionmaker

from arbbot.db import crud
from arbbot.db.schemas import BundleRecord, SubmissionRecord
from arbbot.db.schemas import TxId as _TxId

_SECRET_NAME = re.compile(r"key|secret|sign|auth|pass|mnemonic|seed|raw|token_header", re.I)
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
Scalar = str | int | bool | None
TxId: TypeAdapter[str] = TypeAdapter(_TxId)


def public_builder(name: str) -> str:
    """A builder name, or its URL without user info, query or fragment (where API keys hide)."""
    parts = urlsplit(name)
    if not parts.scheme or not parts.netloc:
        return name
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class LogEntry:
    """One record of the log and its line number (1-based)."""

    line: int
    record: dict[str, Any]


class BundleLog:
    """The bundle log at `path` (JSON Lines, appended under a file lock); with `sessions`, every record is also written
    to the bundles table."""

    def __init__(self, path: Path, sessions: sessionmaker[Session] | None = None) -> None:
        self.path = path
        self.sessions = sessions

    def _append(self, record: dict[str, Any]) -> dict[str, Any]:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), **record}
        line = json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND and one write per line under an exclusive lock: lines from several processes never mix.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return record

    def sent(
        self,
        *,
        uuid: str,
        chain_id: int,
        builders: Sequence[str],
        target_blocks: Sequence[int],
        tx_hashes: Sequence[str],
        simulated_profit: int,
        bundle_hash: str | None = None,
        extra: Mapping[str, Scalar] | None = None,
        strategy: str = "",
        expected_net: int | None = None,
        status: str = "sent",
        attempts: Sequence[SubmissionRecord] = (),
        bid: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a bundle as sent, or refused by every builder (`status="rejected"`), with each builder's
        answer; also into the bundles and bundle_submissions tables when the log has sessions."""
        if not uuid or len(uuid) > 64:
            raise ValueError(f"uuid: 1 to 64 characters, got {uuid!r}")
        for i, h in enumerate(tx_hashes):
            # EVM hashes on EVM chains (> 0); base58 signatures on Solana clusters (negative ids).
            evm = isinstance(h, str) and bool(_HASH.match(h))
            solana = isinstance(h, str) and not evm and _is_solana_signature(h)
            if not (evm if chain_id > 0 else solana):
                raise ValueError(f"tx_hashes[{i}]: not a transaction hash: {h!r}")
        if isinstance(simulated_profit, bool) or not isinstance(simulated_profit, int):
            raise ValueError(f"simulated_profit: an int in wei is required, got {simulated_profit!r}")
        names = [public_builder(b) for b in builders]
        record: dict[str, Any] = {
            "event": "sent", "uuid": uuid, "chain_id": chain_id, "builders": names,
            "target_blocks": [int(b) for b in target_blocks],
            "tx_hashes": [h.lower() if chain_id > 0 else h for h in tx_hashes],
            "simulated_profit": str(simulated_profit), "bundle_hash": bundle_hash,
        }  # fmt: skip
        if strategy:
            record["strategy"] = strategy
        if expected_net is not None:
            record["expected_net"] = str(expected_net)
        if status != "sent":
            record["status"] = status
        if bid is not None:
            record["bid"] = dict(bid)
        attempts = _public_attempts(record, attempts)
        record.update(_extra(extra))
        if self.sessions is not None:
            with self.sessions.begin() as session:
                crud.insert_bundle(
                    session,
                    BundleRecord(uuid=uuid, chain_id=chain_id, bundle_hash=bundle_hash, builders=names,
                                 target_blocks=list(target_blocks), simulated_profit=simulated_profit,
                                 strategy=strategy, expected_net=expected_net, status=status,  # type: ignore[arg-type]
                                 bid=dict(bid) if bid is not None else None),
                )  # fmt: skip
                crud.insert_submissions(session, list(attempts))
        return self._append(record)

    def outcome(
        self,
        *,
        uuid: str,
        landed: bool,
        landed_block: int | None = None,
        realized_profit: int | None = None,
        builder: str | None = None,
        extra: Mapping[str, Scalar] | None = None,
        reason: str | None = None,
        status: str | None = None,
        attempts: Sequence[SubmissionRecord] = (),
    ) -> dict[str, Any]:
        """Record whether a bundle landed (and by which builder's block, when known) or why it did not, with
        the requests made about it after it was sent (withdrawals when a newer bundle superseded it)."""
        status = status or ("landed" if landed else "missed")
        record: dict[str, Any] = {
            "event": "outcome", "uuid": uuid, "landed": bool(landed), "landed_block": landed_block,
            "realized_profit": None if realized_profit is None else str(realized_profit),
            "builder": None if builder is None else public_builder(builder), "status": status,
        }  # fmt: skip
        if reason:
            record["reason"] = reason
        attempts = _public_attempts(record, attempts)
        record.update(_extra(extra))
        if self.sessions is not None:
            with self.sessions.begin() as session:
                crud.insert_submissions(session, list(attempts))
                if not crud.update_bundle(
                    session, uuid, landed=landed, landed_block=landed_block, realized_profit=realized_profit,
                    status=status, miss_reason=reason,  # type: ignore[arg-type]
                    landed_builder=None if builder is None else public_builder(builder),
                ):  # fmt: skip
                    raise ValueError(f"uuid: no bundle {uuid!r} in the database")
        return self._append(record)

    def entries(self) -> Iterator[LogEntry]:
        """Every complete line in order. A torn last line (a crash mid-write) is skipped; any other
        unreadable line raises ValueError naming its line number."""
        if not self.path.exists():
            return
        lines = self.path.read_bytes().split(b"\n")
        for n, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                yield LogEntry(n, json.loads(raw))
            except ValueError as exc:
                if n == len(lines):  # no newline after it: the write never finished
                    return
                raise ValueError(f"{self.path}: line {n} is not JSON: {exc}") from None


def _public_attempts(record: dict[str, Any], attempts: Sequence[SubmissionRecord]) -> list[SubmissionRecord]:
    """The attempts with public builder names, also written into the log line `record`."""
    out = [a.model_copy(update={"builder": public_builder(a.builder)}) for a in attempts]
    if out:
        record["attempts"] = [
            {"builder": a.builder, "method": a.method, "accepted": a.accepted, "latency_ms": a.latency_ms,
             **({"error": (a.error or "")[:200]} if a.error else {}),
             **({"received_ms": a.received_ms} if a.received_ms is not None else {}),
             **({"dialect": a.dialect} if a.dialect else {}),
             **({"kind": a.kind} if a.kind else {})}
            for a in out
        ]  # fmt: skip
    return out


def _is_solana_signature(value: str) -> bool:
    try:
        TxId.validate_python(value)
    except ValueError:
        return False
    return not value.startswith("0x")


def _extra(extra: Mapping[str, Scalar] | None) -> dict[str, Scalar]:
    out: dict[str, Scalar] = {}
    for name, value in (extra or {}).items():
        if _SECRET_NAME.search(name):
            raise ValueError(f"extra.{name}: refused, the bundle log holds no keys, signatures or raw transactions")
        if not isinstance(value, str | int | bool | type(None)):
            raise ValueError(f"extra.{name}: only strings, ints, bools and null, got {type(value).__name__}")
        out[f"x_{name}"] = value
    return out
