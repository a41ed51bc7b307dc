"""Where a fork's state comes from: prefetched through the node transport, the rest through the read proxy.

Before a candidate runs, the node is asked which accounts and slots the transactions touch
(`eth_createAccessList`, one batch) and those are read in one more batch, both through the transport with
retries and a deadline, then written into the in-process fork. pyrevm then runs from memory; whatever the
hint missed it reads through `ReadProxyProcess` (retries, deadlines, per-fork cache) instead of the bare node.
Deployed code is remembered across forks: an address's code, once non-empty, never changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak, to_checksum_address

from arbbot.chain.jsonrpc import KINDS, Observer, RetryPolicy, RpcError, RpcTransportError, TransportEvent
from arbbot.chain.transport import HttpTransport
from arbbot.sim.read_proxy import ReadProxyProcess

log = logging.getLogger(__name__)

# A read that cannot be done within a few seconds cannot help a trade for this block.
PREFETCH_POLICY = RetryPolicy(attempts=6, base_delay=0.02, max_delay=0.25, deadline=3.0)
PREFETCH_TIMEOUT = 1.0
PREFETCH_HEDGE = 0.4
PREFETCH_MAX_BYTES = 8 * 2**20  # a batch with the code of a few dozen contracts is 1-2 MB
CODE_CACHE_LIMIT = 10_000
REPORT_EVERY_S = 1.0  # how often the read proxy's counters are fetched for the metrics


@dataclass(frozen=True)
class Account:
    """One account's state as prefetched for a fork: balance (wei), nonce, code and its hash."""

    balance: int
    nonce: int
    code: bytes
    code_hash: bytes


@dataclass
class ForkState:
    """What one prefetch read: accounts by (lower-case) address, storage words by (address, slot)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    storage: dict[tuple[str, int], int] = field(default_factory=dict)


class ForkReadError(RpcTransportError):
    """A fork could not read its state from the node (after retries): the simulation has no result."""

    def __init__(self, method: str, kind: str, detail: str) -> None:
        super().__init__(f"fork read {method} failed: {detail}", kind=kind, method=method)


def _int(value: Any) -> int:
    return int(value, 16)


class ForkReads:
    """Shared by every fork of one searcher: the transport, the code cache, the read proxy. Close it at the end."""

    def __init__(self, rpc_url: str, *, observer: Observer | None = None, miss_proxy: bool = True) -> None:
        self.rpc_url = rpc_url
        self.observer = observer
        self.rpc = HttpTransport(
            rpc_url, timeout=PREFETCH_TIMEOUT, retry=PREFETCH_POLICY, source="fork", observer=observer,
            max_bytes=PREFETCH_MAX_BYTES, hedge_after=PREFETCH_HEDGE,
        )  # fmt: skip
        self._proxy_seen: dict[str, dict[str, int]] = {"failures": {}, "final": {}}
        self._reported_at = 0.0
        self.proxy = ReadProxyProcess(rpc_url) if miss_proxy else None
        self.access_lists_supported: bool | None = None  # None: not asked yet
        self._code: dict[str, Account] = {}
        self._lock = threading.Lock()
        self.prefetched_accounts = 0
        self.prefetched_slots = 0

    def start(self) -> None:
        """Start the read proxy now (it takes a second or two), rather than on the first block's fork."""
        if self.proxy is not None:
            self.proxy.url()

    def fork_url(self, namespace: str) -> str:
        """What pyrevm forks: the read proxy (one cache namespace per fork), else the node itself."""
        if self.proxy is None:
            return self.rpc_url
        return f"{self.proxy.url()}/{namespace}"

    def call(self, method: str, params: Sequence[Any]) -> Any:
        """One read through the fork's transport; ForkReadError naming the method and failure class when it fails."""
        try:
            return self.rpc.call(method, params)
        except RpcTransportError as exc:
            raise ForkReadError(method, exc.kind, str(exc)) from None

    def access_lists(self, txs: Sequence[Mapping[str, str]], block_tag: str) -> dict[str, set[int]]:
        """Accounts and slots the node says each transaction touches (merged); empty where it cannot say."""
        if self.access_lists_supported is False or not txs:
            return {}
        try:
            answers = self.rpc.batch([("eth_createAccessList", [dict(tx), block_tag]) for tx in txs])
        except RpcTransportError as exc:
            raise ForkReadError("eth_createAccessList", exc.kind, str(exc)) from None
        out: dict[str, set[int]] = {}
        for answer in answers:
            if isinstance(answer, RpcError):
                if "not" in answer.message.lower() and "found" in answer.message.lower():
                    self.access_lists_supported = False  # no such method on this node
                continue
            self.access_lists_supported = True
            for entry in answer.get("accessList", []):
                slots = out.setdefault(entry["address"].lower(), set())
                slots.update(int(k, 16) for k in entry.get("storageKeys", []))
        return out

    def state(self, accounts: Iterable[str], slots: Iterable[tuple[str, int]], block_tag: str) -> ForkState:
        """Balance, nonce and code of `accounts` and the words at `slots`, in one batch (code from the cache)."""
        accounts = sorted({a.lower() for a in accounts})
        slots = sorted({(a.lower(), s) for a, s in slots})
        calls: list[tuple[str, list[Any]]] = []
        with self._lock:
            known_code = {a: self._code[a] for a in accounts if a in self._code}
        for a in accounts:
            calls += [("eth_getBalance", [a, block_tag]), ("eth_getTransactionCount", [a, block_tag])]
            if a not in known_code:
                calls.append(("eth_getCode", [a, block_tag]))
        calls += [("eth_getStorageAt", [a, hex(s), block_tag]) for a, s in slots]
        try:
            answers = iter(self.rpc.batch(calls))
        except RpcTransportError as exc:
            raise ForkReadError(f"batch of {len(calls)} state reads", exc.kind, str(exc)) from None
        out = ForkState()
        for a in accounts:
            balance, nonce = next(answers), next(answers)
            code_answer = next(answers) if a not in known_code else None
            for what, value in (("eth_getBalance", balance), ("eth_getTransactionCount", nonce),
                                ("eth_getCode", code_answer)):  # fmt: skip
                if isinstance(value, RpcError):
                    raise ForkReadError(what, "rpc_error", str(value))
            if a in known_code:
                code, code_hash = known_code[a].code, known_code[a].code_hash
            else:
                code = bytes.fromhex(str(code_answer)[2:])
                code_hash = keccak(code)
            out.accounts[a] = Account(_int(balance), _int(nonce), code, code_hash)
            if code and a not in known_code:
                with self._lock:
                    if len(self._code) < CODE_CACHE_LIMIT:
                        self._code[a] = out.accounts[a]
        for a, s in slots:
            word = next(answers)
            if isinstance(word, RpcError):
                raise ForkReadError("eth_getStorageAt", "rpc_error", str(word))
            out.storage[(a, s)] = _int(word) if word != "0x" else 0
        with self._lock:
            self.prefetched_accounts += len(out.accounts)
            self.prefetched_slots += len(out.storage)
        return out

    def report_proxy(self) -> None:
        """Pass the read proxy's new failed attempts (counted in its own process) on to the observer."""
        if self.observer is None or self.proxy is None:
            return
        now = time.monotonic()
        if now - self._reported_at < REPORT_EVERY_S:
            return
        self._reported_at = now
        stats = self.proxy.stats()
        if stats is None:
            return
        for kind in KINDS:
            counts = {part: int(stats.get(part, {}).get(kind, 0)) for part in ("failures", "final")}
            new = {part: counts[part] - self._proxy_seen[part].get(kind, 0) for part in counts}
            for part, value in counts.items():
                self._proxy_seen[part][kind] = value
            given_up = max(0, new["final"])
            for i in range(max(given_up, new["failures"])):
                self.observer(TransportEvent("fork", "read proxy", kind, "counted in the read proxy", i < given_up))

    def stats(self) -> dict[str, Any]:
        """Failed prefetch attempts by class, the read proxy's counters and how much was prefetched."""
        proxy = self.proxy.stats() if self.proxy is not None else None
        return {"prefetch_failures": dict(self.rpc.failures), "proxy": proxy,
                "prefetched_accounts": self.prefetched_accounts, "prefetched_slots": self.prefetched_slots}  # fmt: skip

    def close(self) -> None:
        """Close the transport and stop the read proxy process."""
        self.rpc.close()
        if self.proxy is not None:
            self.proxy.close()


def checksum(address: str) -> str:
    """`address` checksummed (pyrevm wants that form)."""
    return to_checksum_address(address)
