"""Pending transactions: WebSocket `newPendingTransactions` (hashes, then fetched), HTTP filter fallback."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator

from arbbot.chain.jsonrpc import (
    PER_BLOCK_HEDGE,
    PER_BLOCK_RETRY,
    PER_BLOCK_TIMEOUT,
    Observer,
    RetryPolicy,
    RpcError,
    RpcTransportError,
)
from arbbot.chain.ws import WsClosed, WsSession, ws_url_for
from arbbot.collectors.rpc_async import AsyncRpc
from arbbot.collectors.types import PendingTx

log = logging.getLogger(__name__)

COLLECTOR_MAX_BYTES = 4 * 2**20  # a header or a transaction is a few KB; a block's logs rarely a MB

SEEN_LIMIT = 100_000  # hashes remembered to deliver each transaction once (oldest forgotten first)
MAX_WS_BACKOFF = 30.0
MAX_RECOVER_BACKOFF = 60.0
RECOVER_MIN_INTERVAL = 1.0  # seconds between pool reads (a pending transaction waits longer than that)
# A pool read after a gap: a large answer, read rarely; patient, but within a few blocks.
TXPOOL_TIMEOUT = 10.0
TXPOOL_RETRY = RetryPolicy(attempts=3, base_delay=0.2, max_delay=1.0, deadline=30.0)


class PendingTxCollector:
    """Yields each pending transaction once (full object), WebSocket first, then an HTTP filter.

    After a WebSocket failure it polls a filter for a while (longer after each consecutive failure) and then
    subscribes again. Gaps open when the socket dies, when a filter's answer is lost (a filter hands each hash
    out once, so its changes are never asked for twice) and while moving between socket and filter. After a
    gap, as soon as it is listening again, it reads the node's pool (`txpool_content`) and yields every
    transaction there it has not yet yielded: what is still pending is not missed. A node without the txpool
    namespace (most hosted providers) cannot be asked; that is logged once and its gaps stay gaps.
    """

    def __init__(
        self,
        http_url: str,
        ws_url: str | None = None,
        poll_interval: float = 0.2,
        use_ws: bool = True,
        *,
        observer: Observer | None = None,
    ) -> None:
        self.http_url = http_url
        self.ws_url = ws_url or ws_url_for(http_url)
        self.poll_interval = poll_interval
        self.use_ws = use_ws
        self.observer = observer
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.ws_failures = 0
        self._consecutive = 0
        self._ws_after = 0.0
        self._gap = False  # something may have been missed since the last pool read
        self._txpool: bool | None = None  # does the node answer txpool_content (None: not asked yet)
        self._recover_after = 0.0
        self._recover_failures = 0
        self.recovered = 0  # transactions yielded from a pool read after a gap
        # Set once the subscription (or filter) exists: transactions sent after it are never missed.
        self.ready = asyncio.Event()

    def _remember(self, tx_hash: str) -> None:
        self._seen[tx_hash] = None
        if len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)

    async def _full(self, rpc: AsyncRpc, tx_hash: str, via: str) -> PendingTx | None:
        if tx_hash in self._seen:
            return None
        tx = await rpc.call("eth_getTransactionByHash", [tx_hash])
        if tx is None:  # already dropped or replaced
            return None
        self._remember(tx_hash)
        return PendingTx(tx_hash, tx, via)

    async def _recover(self, rpc: AsyncRpc) -> AsyncIterator[PendingTx]:
        """After a gap, while listening: the pool's pending transactions not yielded yet (once per gap)."""
        loop = asyncio.get_running_loop()
        if not self._gap or self._txpool is False or loop.time() < self._recover_after:
            return
        try:
            content = await rpc.call("txpool_content", timeout=TXPOOL_TIMEOUT, retry=TXPOOL_RETRY)
        except RpcError as exc:  # the namespace is off: every later gap stays a gap
            self._txpool = False
            log.warning("%s does not answer txpool_content (%s): pending transactions missed while the "
                        "subscription or filter was down are not recovered", rpc.shown_url, exc)  # fmt: skip
            return
        except RpcTransportError as exc:
            self._recover_failures += 1
            pause = min(MAX_RECOVER_BACKOFF, 2.0**self._recover_failures)
            self._recover_after = loop.time() + pause
            log.info("txpool_content from %s failed (%s); next try in %.0fs", rpc.shown_url, exc, pause)
            return
        self._txpool, self._gap, self._recover_failures = True, False, 0
        self._recover_after = loop.time() + RECOVER_MIN_INTERVAL  # a node failing every read is not read in a loop
        for by_nonce in content.get("pending", {}).values():
            for _, tx in sorted(by_nonce.items(), key=lambda item: _nonce(item[0])):
                tx_hash = tx["hash"]
                if tx_hash in self._seen:
                    continue
                self._remember(tx_hash)
                self.recovered += 1
                yield PendingTx(tx_hash, tx, "txpool")

    async def stream(self) -> AsyncIterator[PendingTx]:
        """Pending transactions, each hash once, with the full transaction read from the node (dropped ones skipped)."""
        loop = asyncio.get_running_loop()
        async with AsyncRpc(
            self.http_url,
            PER_BLOCK_TIMEOUT,
            PER_BLOCK_RETRY,
            max_bytes=COLLECTOR_MAX_BYTES,
            observer=self.observer,
            hedge_after=PER_BLOCK_HEDGE,
        ) as rpc:
            while True:
                if self.use_ws and loop.time() >= self._ws_after:
                    delivered = 0
                    try:
                        async for ptx in self._ws(rpc):
                            delivered += 1
                            yield ptx
                    except (WsClosed, RpcTransportError, RpcError, OSError, TimeoutError) as exc:
                        self._gap = True
                        self.ws_failures += 1
                        self._consecutive = 0 if delivered else self._consecutive + 1
                        pause = min(MAX_WS_BACKOFF, 0.5 * 2 ** min(self._consecutive, 16)) * random.uniform(0.5, 1.0)
                        self._ws_after = loop.time() + pause
                        kind = getattr(exc, "kind", type(exc).__name__)
                        log.info("pending-tx subscription to %s lost (%s: %s); polling a filter for %.1fs",
                                 self.ws_url, kind, exc, pause)  # fmt: skip
                async for ptx in self._poll(rpc):
                    yield ptx

    async def _ws(self, rpc: AsyncRpc) -> AsyncIterator[PendingTx]:
        async with WsSession(self.ws_url, observer=self.observer) as ws:
            sub = await ws.subscribe("newPendingTransactions")
            self.ready.set()
            while True:
                async for recovered in self._recover(rpc):
                    yield recovered
                # Silence is normal for a mempool: the socket's own pings tell a dead connection apart.
                result = await ws.notification(sub, 3600.0)
                tx_hash = result.get("hash") if isinstance(result, dict) else result
                if isinstance(tx_hash, str) and len(tx_hash) == 66 and tx_hash.startswith("0x"):
                    try:
                        ptx = await self._full(rpc, tx_hash, "ws")
                    except (RpcTransportError, RpcError) as exc:
                        self._gap = True
                        log.info("pending tx %s not fetched: %s", tx_hash, exc)
                        continue
                    if ptx is not None:
                        yield ptx

    async def _poll(self, rpc: AsyncRpc) -> AsyncIterator[PendingTx]:
        """Filter polling until it is time to try the socket again (forever without one)."""
        loop = asyncio.get_running_loop()
        filter_id: str | None = None
        while not self.use_ws or loop.time() < self._ws_after:
            try:
                if filter_id is None:
                    filter_id = await rpc.call("eth_newPendingTransactionFilter")
                    self.ready.set()
                async for recovered in self._recover(rpc):
                    yield recovered
                try:
                    hashes = await rpc.call("eth_getFilterChanges", [filter_id])
                except RpcError:  # filter expired on the node: make a new one
                    self._gap = True
                    filter_id, hashes = None, []
                for tx_hash in hashes or []:
                    if isinstance(tx_hash, str):
                        ptx = await self._full(rpc, tx_hash, "http")
                        if ptx is not None:
                            yield ptx
            except (RpcTransportError, RpcError) as exc:
                self._gap = True  # a lost filter answer takes its hashes with it: the pool read makes up for them
                log.info("pending-tx poll over %s failed: %s", rpc.shown_url, exc)
            await asyncio.sleep(self.poll_interval)  # polling cadence, not synchronisation
        self._gap = True  # between the last poll and the socket's subscription


def _nonce(key: str) -> int:
    """A txpool nonce key ("12" or "0xc") as an int, for yielding a sender's transactions in nonce order."""
    try:
        return int(key, 16) if key.startswith(("0x", "0X")) else int(key)
    except ValueError:
        return 2**64
