"""Jito block-engine client: sendBundle, getBundleStatuses, getInflightBundleStatuses, getTipAccounts.

A bundle is 1-5 signed transactions executed in order, all or nothing; the block engine only
accepts bundles that pay a tip (a system transfer to one of its tip accounts, not through a lookup
table). The client checks that before sending, so a bundle that would be dropped is never sent.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

import httpx
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.chain.rpc import RetryPolicy, RpcClient, RpcError, RpcTransportError
from arbbot.solana.errors import JitoError, StaleBlockhash
from arbbot.solana.programs import SYSTEM_PROGRAM
from arbbot.solana.rpc import is_stale_blockhash

MAX_BUNDLE_TXS = 5
SYSTEM_TRANSFER_TAG = 2


def bundle_id(txs: Sequence[VersionedTransaction]) -> str:
    """sha256 over the comma-joined first signatures (base58), hex: the id the block engine answers with."""
    return hashlib.sha256(",".join(str(tx.signatures[0]) for tx in txs).encode()).hexdigest()


def tip_lamports(tx: VersionedTransaction, tip_accounts: set[Pubkey]) -> int:
    """Lamports this transaction transfers to tip accounts named in its static keys."""
    msg = tx.message
    keys = list(msg.account_keys)
    total = 0
    for ix in msg.instructions:
        if keys[ix.program_id_index] != SYSTEM_PROGRAM or len(ix.data) < 12:
            continue
        if int.from_bytes(ix.data[:4], "little") != SYSTEM_TRANSFER_TAG or len(ix.accounts) < 2:
            continue
        dest_index = ix.accounts[1]
        if dest_index < len(keys) and keys[dest_index] in tip_accounts:
            total += int.from_bytes(ix.data[4:12], "little")
    return total


@dataclass(frozen=True)
class BundleStatus:
    """A bundle's status as the block engine reports it (untrusted: the audit measures landings on chain)."""

    bundle_id: str
    status: str  # Landed, Pending, Failed, Invalid (in-flight view) or the confirmation status once landed
    slot: int | None
    transactions: tuple[str, ...] = ()
    error: str | None = None


class JitoClient:
    """Client of a Jito block engine's bundles JSON-RPC endpoint.

    Bundles are checked before they leave (size, every signature present, a tip to a known tip account) and the
    bundle id the engine answers is checked against the one computed locally. Errors raise `JitoError`
    (`StaleBlockhash` when the engine says the blockhash expired).
    """

    def __init__(self, url: str, timeout: float = 10.0, retry: RetryPolicy | None = None) -> None:
        """`url` is the bundles endpoint, e.g. https://<region>.block-engine.jito.wtf/api/v1/bundles."""
        self.url = url
        self._rpc = RpcClient(url, timeout=timeout, retry=retry)

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._rpc.close()

    def _call(self, method: str, params: Sequence[Any]) -> Any:
        try:
            return self._rpc.call(method, params)
        except RpcError as exc:
            if is_stale_blockhash(exc.message):
                raise StaleBlockhash(f"Jito {method}: {exc.message}; rebuild with a fresh blockhash") from None
            raise JitoError(f"Jito {method} at {self.url}: error {exc.code}: {exc.message}") from None
        except RpcTransportError as exc:
            raise JitoError(f"Jito {method}: {exc}") from None

    def tip_floor(self, url: str | None = None, percentile: str = "landed_tips_50th_percentile") -> int:
        """The tip floor in lamports (rounded up) from the block engine's REST endpoint (default: beside
        the bundles endpoint, .../bundles/tip_floor), which reports SOL amounts."""
        url = url or self.url.rstrip("/") + "/tip_floor"
        try:
            answer = httpx.get(url, timeout=10).json()
            value = Decimal(str(answer[0][percentile]))
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, InvalidOperation):
            raise JitoError(f"Jito tip floor at {url}: no {percentile} in the answer") from None
        if not value.is_finite() or value < 0:
            raise JitoError(f"Jito tip floor at {url}: {percentile} is {value}")
        return int((value * 10**9).to_integral_value(rounding=ROUND_CEILING))

    def tip_accounts(self) -> list[Pubkey]:
        """The engine's current tip accounts (`getTipAccounts`); a bundle must pay one of them to be considered."""
        result = self._call("getTipAccounts", [])
        try:
            return [Pubkey.from_string(k) for k in result]
        except (TypeError, ValueError):
            raise JitoError(f"Jito getTipAccounts: expected a list of addresses, got {str(result)[:120]}") from None

    def send_bundle(
        self, txs: Sequence[VersionedTransaction], tip_accounts: Sequence[Pubkey], min_tip: int = 1000
    ) -> str:
        """Send after checking size, signatures and the tip; returns the bundle id (checked against ours)."""
        if not 1 <= len(txs) <= MAX_BUNDLE_TXS:
            raise JitoError(f"a bundle holds 1..{MAX_BUNDLE_TXS} transactions, got {len(txs)}")
        tips = set(tip_accounts)
        if not tips:
            raise JitoError("no tip accounts known: call tip_accounts() first")
        for i, tx in enumerate(txs):
            if not all(tx.verify_with_results()):
                raise JitoError(f"bundle transaction {i} is not fully signed")
        paid = sum(tip_lamports(tx, tips) for tx in txs)
        if paid < min_tip:
            raise JitoError(f"bundle tips {paid} lamports to the tip accounts; at least {min_tip} required")
        encoded = [base64.b64encode(bytes(tx)).decode() for tx in txs]
        answer = self._call("sendBundle", [encoded, {"encoding": "base64"}])
        expected = bundle_id(txs)
        if answer != expected:
            raise JitoError(f"Jito sendBundle answered bundle id {str(answer)[:80]!r}, expected {expected}")
        return expected

    def bundle_statuses(self, ids: Sequence[str]) -> list[BundleStatus | None]:
        """Landed-bundle statuses (`getBundleStatuses`), in order, None for a bundle the engine does not report.

        Each status carries the slot, the transaction signatures and the error, if any.
        """
        result = self._call("getBundleStatuses", [list(ids)])
        values = result.get("value") if isinstance(result, dict) else None
        if not isinstance(values, list):
            raise JitoError(f"Jito getBundleStatuses: malformed answer {str(result)[:120]}")
        out: list[BundleStatus | None] = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            err = v.get("err")
            error = None if err in (None, {"Ok": None}) else str(err)
            out.append(
                BundleStatus(
                    v["bundle_id"],
                    str(v.get("confirmation_status")),
                    v.get("slot"),
                    tuple(v.get("transactions", ())),
                    error,
                )
            )
        return out

    def inflight_statuses(self, ids: Sequence[str]) -> list[BundleStatus | None]:
        """In-flight statuses (`getInflightBundleStatuses`): Pending, Landed, Failed or Invalid, and the landed slot."""
        result = self._call("getInflightBundleStatuses", [list(ids)])
        values = result.get("value") if isinstance(result, dict) else None
        if not isinstance(values, list):
            raise JitoError(f"Jito getInflightBundleStatuses: malformed answer {str(result)[:120]}")
        return [
            None if v is None else BundleStatus(v["bundle_id"], str(v["status"]), v.get("landed_slot")) for v in values
        ]

    def wait(
        self,
        bid: str,
        timeout: float = 30.0,
        interval: float = 0.4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> BundleStatus:
        """Poll until the bundle lands, fails or is invalid; JitoError when the deadline passes."""
        deadline = time.monotonic() + timeout
        while True:
            inflight = self.inflight_statuses([bid])[0]
            if inflight is not None and inflight.status in ("Failed", "Invalid"):
                return inflight
            if inflight is not None and inflight.status == "Landed":
                landed = self.bundle_statuses([bid])[0]
                return landed or inflight
            if time.monotonic() >= deadline:
                state = inflight.status if inflight else "unknown"
                raise JitoError(f"bundle {bid} still {state} after {timeout:g}s")
            sleep(interval)
