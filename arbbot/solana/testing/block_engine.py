"""A local Jito block engine: a TEST DOUBLE of the public bundle JSON-RPC over an in-process LiteSVM bank.

Serves POST /api/v1/bundles on 127.0.0.1 (port chosen at run time) with `sendBundle`,
`getBundleStatuses`, `getInflightBundleStatuses` and `getTipAccounts`, in the public API's shapes.

What it does:

* sendBundle validates like the block engine: 1-5 base64 (or base58) transactions, each decodable and
  fully signed, a recent blockhash (on LiteSVM anything but the latest is refused as expired; on the
  local node whatever its bank still accepts), and a tip of
  at least `min_tip` lamports by system transfer to one of its tip accounts named in a static key.
  Accepted bundles get the sha256-of-signatures id and wait as Pending.
* Landing: pending bundles land when `land_pending()` is called, or by themselves once status queries
  have been answered `land_after_polls` times since they arrived (no timers: deterministic for tests).
  Each bundle executes atomically on the LiteSVM bank (`LocalChain.execute_atomically`): if any
  transaction fails, every account it or an earlier transaction of the bundle touched is restored,
  fees included, and the bundle is Failed. A landed bundle takes one slot.
* Faults (`faults.http_429`, `faults.garbage`) answer the next requests with HTTP 429 / non-JSON.

What it does NOT emulate: leaders and the auction (every valid bundle lands, no tip competition, no
uncled bundles), mempool transactions, simulation of our own program or any venue program (LiteSVM here
runs only SPL Token/ATA/Memo and the system program, so bundles are SPL token and lamport transfers),
account write-lock conflicts between bundles, the 5-per-second rate limit (only injected 429s),
getBundleStatuses history limits, authentication (UUID headers), and the gRPC searcher API. The tip
floor (GET .../bundles/tip_floor) is a fixed figure given at construction, not measured from tips.

The bank is a `LocalChain` (LiteSVM: SPL Token/ATA/Memo and the system program only) or a `NodeChain`
(the local node: arb_executor, cp-swap and SBF venue binaries execute).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import based58
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.solana.jito import MAX_BUNDLE_TXS, bundle_id, tip_lamports
from arbbot.solana.testing.jsonrpc_server import JsonRpcServer, RpcFailure
from arbbot.solana.testing.local_chain import LocalChain
from arbbot.solana.testing.node import NodeChain

INVALID_PARAMS = -32602


def default_tip_accounts() -> list[Pubkey]:
    """Eight fixed addresses standing in for the block engine's tip accounts."""
    return [Pubkey(hashlib.sha256(f"local-tip-{i}".encode()).digest()) for i in range(8)]


@dataclass
class _Bundle:
    id: str
    txs: list[VersionedTransaction]
    polls_seen: int = 0
    status: str = "Pending"
    slot: int | None = None
    error: str | None = None
    signatures: tuple[str, ...] = ()


class LocalBlockEngine(JsonRpcServer):
    """The block-engine test double: a `JsonRpcServer` on the bundles path serving the bundle methods (see the module).

    `chain` is the bank bundles execute on; `min_tip` is the smallest tip (lamports) a bundle must pay one of
    `tip_accounts`; pending bundles land after `land_after_polls` status queries (None: only on `land_pending`);
    `tip_floor_lamports` is the fixed median served by the tip-floor REST route.
    """

    def __init__(
        self,
        chain: LocalChain | NodeChain,
        *,
        tip_accounts: list[Pubkey] | None = None,
        min_tip: int = 1000,
        land_after_polls: int | None = 1,
        tip_floor_lamports: int = 1000,
    ) -> None:
        super().__init__("/api/v1/bundles")
        # GET /api/v1/bundles/tip_floor, in the public REST shape (SOL amounts as floats).
        sol = tip_floor_lamports / 1e9
        self.gets["/api/v1/bundles/tip_floor"] = lambda: [
            {"time": "1970-01-01T00:00:00Z", "landed_tips_25th_percentile": sol / 2,
             "landed_tips_50th_percentile": sol, "landed_tips_75th_percentile": sol * 2,
             "landed_tips_95th_percentile": sol * 4, "landed_tips_99th_percentile": sol * 8,
             "ema_landed_tips_50th_percentile": sol}
        ]  # fmt: skip
        self.chain = chain
        self.tip_accounts = tip_accounts or default_tip_accounts()
        self.min_tip = min_tip
        self.land_after_polls = land_after_polls
        self.bundles: dict[str, _Bundle] = {}
        self._order: list[str] = []
        self._bundle_lock = threading.Lock()
        self.methods.update(
            {
                "sendBundle": self._send_bundle,
                "getBundleStatuses": self._bundle_statuses,
                "getInflightBundleStatuses": self._inflight_statuses,
                "getTipAccounts": lambda _p: [str(k) for k in self.tip_accounts],
            }
        )

    def _decode(self, raw: Any, encoding: str, index: int) -> VersionedTransaction:
        try:
            data = base64.b64decode(raw, validate=True) if encoding == "base64" else based58.b58decode(raw.encode())
            return VersionedTransaction.from_bytes(data)
        except Exception as exc:  # malformed input of any kind is the sender's error
            raise RpcFailure(INVALID_PARAMS, f"transaction #{index} could not be decoded: {exc}") from None

    def _send_bundle(self, params: list[Any]) -> str:
        if not params or not isinstance(params[0], list):
            raise RpcFailure(INVALID_PARAMS, "params[0] must be a list of encoded transactions")
        encoding = (params[1] if len(params) > 1 and isinstance(params[1], dict) else {}).get("encoding", "base58")
        raw = params[0]
        if not 1 <= len(raw) <= MAX_BUNDLE_TXS:
            raise RpcFailure(INVALID_PARAMS, f"bundle must contain 1..{MAX_BUNDLE_TXS} transactions, got {len(raw)}")
        txs = [self._decode(r, encoding, i) for i, r in enumerate(raw)]
        for i, tx in enumerate(txs):
            if not all(tx.verify_with_results()):
                raise RpcFailure(INVALID_PARAMS, f"transaction #{i} has an invalid signature")
            if not self.chain.blockhash_is_valid(tx.message.recent_blockhash):
                raise RpcFailure(INVALID_PARAMS, f"transaction #{i}: blockhash not found (expired)")
        tips = set(self.tip_accounts)
        paid = sum(tip_lamports(tx, tips) for tx in txs)
        if paid < self.min_tip:
            raise RpcFailure(
                INVALID_PARAMS, f"bundle must write lock at least one tip account and tip >= {self.min_tip}"
            )
        bid = bundle_id(txs)
        with self._bundle_lock:
            if bid not in self.bundles:
                self.bundles[bid] = _Bundle(bid, txs)
                self._order.append(bid)
        return bid

    def land_pending(self) -> list[str]:
        """Execute every pending bundle in arrival order; returns their ids."""
        with self._bundle_lock:
            pending = [self.bundles[b] for b in self._order if self.bundles[b].status == "Pending"]
            for bundle in pending:
                result = self.chain.execute_atomically(bundle.txs)
                bundle.slot = result.slot
                bundle.status = "Landed" if result.ok else "Failed"
                bundle.error = result.error
                bundle.signatures = tuple(str(tx.signatures[0]) for tx in bundle.txs)
            return [b.id for b in pending]

    def _poll(self) -> None:
        if self.land_after_polls is None:
            return
        due = False
        with self._bundle_lock:
            for bundle in self.bundles.values():
                if bundle.status == "Pending":
                    bundle.polls_seen += 1
                    due = due or bundle.polls_seen > self.land_after_polls
        if due:
            self.land_pending()

    def _ids(self, params: list[Any]) -> list[str]:
        if not params or not isinstance(params[0], list) or not 1 <= len(params[0]) <= 5:
            raise RpcFailure(INVALID_PARAMS, "params[0] must be a list of 1..5 bundle ids")
        return [str(i) for i in params[0]]

    def _bundle_statuses(self, params: list[Any]) -> Any:
        ids = self._ids(params)
        self._poll()
        out: list[dict[str, Any] | None] = []
        for bid in ids:
            b = self.bundles.get(bid)
            if b is None or b.status != "Landed":
                out.append(None)
                continue
            out.append(
                {
                    "bundle_id": bid,
                    "transactions": list(b.signatures),
                    "slot": b.slot,
                    "confirmation_status": "confirmed",
                    "err": {"Ok": None},
                }
            )
        return {"context": {"slot": self.chain.slot}, "value": out}

    def _inflight_statuses(self, params: list[Any]) -> Any:
        ids = self._ids(params)
        self._poll()
        out: list[dict[str, Any]] = []
        for bid in ids:
            b = self.bundles.get(bid)
            if b is None:
                out.append({"bundle_id": bid, "status": "Invalid", "landed_slot": None})
            else:
                out.append(
                    {"bundle_id": bid, "status": b.status, "landed_slot": b.slot if b.status == "Landed" else None}
                )
        return {"context": {"slot": self.chain.slot}, "value": out}
