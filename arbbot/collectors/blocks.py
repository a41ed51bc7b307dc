"""New blocks, in order, with no gaps: WebSocket `newHeads` first, HTTP polling as the fallback."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator

from arbbot.chain import shapes
from arbbot.chain.jsonrpc import (
    MALFORMED,
    PER_BLOCK_HEDGE,
    PER_BLOCK_RETRY,
    PER_BLOCK_TIMEOUT,
    TIMEOUT,
    Observer,
    RpcError,
    RpcTransportError,
    TransportEvent,
)
from arbbot.chain.ws import WsClosed, WsSession, ws_url_for
from arbbot.collectors.rpc_async import AsyncRpc
from arbbot.collectors.types import NewBlock, block_from_header

log = logging.getLogger(__name__)

COLLECTOR_MAX_BYTES = 4 * 2**20  # a header or a transaction is a few KB; a block's logs rarely a MB
RECENT = 64  # delivered hashes remembered, to tell a replaced tip from a repeated one

__all__ = ["BlockCollector", "ws_url_for"]

MAX_WS_BACKOFF = 30.0


class WsStalled(RpcTransportError):
    """The subscription went quiet while the chain moved on: the socket is alive but useless."""


class BlockCollector:
    """Yields every block after `start_after` (default: the current head) exactly once, in order.

    If a subscription skips numbers (the node coalesced heads), drops, stalls or answers garbage, the missing
    blocks are fetched over HTTP, so consumers never see a gap. After a WebSocket failure it polls over HTTP
    for a while (longer after each consecutive failure) and then subscribes again. A reorg shows up as a
    block whose parent_hash differs from the previous block's hash; handling it is the consumer's job.
    """

    def __init__(
        self,
        http_url: str,
        ws_url: str | None = None,
        poll_interval: float = 0.5,
        use_ws: bool = True,
        start_after: int | None = None,
        *,
        stall_after: float = 2.0,
        observer: Observer | None = None,
    ) -> None:
        self.http_url = http_url
        self.ws_url = ws_url or ws_url_for(http_url)
        self.poll_interval = poll_interval
        self.use_ws = use_ws
        self.stall_after = stall_after  # silence on the socket after which the head is checked over HTTP
        self.observer = observer
        self._last: int | None = start_after
        self._delivered: dict[int, str] = {}  # number -> hash of the recent blocks handed out
        self._rewound = False  # the consumer asked for blocks again: check the head at the polling pace
        self.ws_failures = 0
        self._consecutive = 0
        self._ws_after = 0.0  # loop time before which the socket is not tried again

    async def _fetch(self, rpc: AsyncRpc, number: int, via: str) -> NewBlock:
        header = await rpc.call("eth_getBlockByNumber", [hex(number), False])
        if header is None:
            raise RpcTransportError(f"block {number} not found at {rpc.shown_url}", kind=MALFORMED)
        return block_from_header(header, via)

    def rewind(self, number: int) -> None:
        """The consumer could not apply the blocks after `number` (they vanished while it read them, or the node
        failed): hand out what the chain has after `number` again. The same block mined again a moment later
        keeps its hash and its height, so nothing else would announce it.
        """
        if self._last is None or number >= self._last:
            return
        self._last = number
        for above in [n for n in self._delivered if n > number]:
            del self._delivered[above]
        self._rewound = True

    def _hand_out(self, block: NewBlock) -> NewBlock:
        """Record `block` as the newest delivered one (forgetting any delivered above it) and return it."""
        self._last = block.number
        for number in [n for n in self._delivered if n >= block.number or n < block.number - RECENT]:
            del self._delivered[number]
        self._delivered[block.number] = block.hash.lower()
        return block

    def _replaces(self, block: NewBlock) -> bool:
        """Whether `block`, at a height already delivered, is a different block there: the chain reorganised
        at its tip (a same-height replacement shows no new height, so it would otherwise wait for the next one).
        """
        known = self._delivered.get(block.number)
        return known is not None and known != block.hash.lower()

    async def _catch_up(self, rpc: AsyncRpc, upto: int, via: str) -> AsyncIterator[NewBlock]:
        assert self._last is not None
        while self._last < upto:
            yield self._hand_out(await self._fetch(rpc, self._last + 1, via))

    async def stream(self) -> AsyncIterator[NewBlock]:
        """Every new block once per height, in order: from the WebSocket head subscription when enabled, else by
        polling; missed heights are fetched over HTTP and a block replaced at the tip is handed out again."""
        loop = asyncio.get_running_loop()
        async with AsyncRpc(
            self.http_url,
            PER_BLOCK_TIMEOUT,
            PER_BLOCK_RETRY,
            max_bytes=COLLECTOR_MAX_BYTES,
            observer=self.observer,
            hedge_after=PER_BLOCK_HEDGE,
        ) as rpc:
            if self._last is None:
                self._last = int(await rpc.call("eth_blockNumber"), 16)
            while True:
                if self.use_ws and loop.time() >= self._ws_after:
                    delivered = 0
                    try:
                        async for block in self._ws(rpc):
                            delivered += 1
                            yield block
                    except (WsClosed, RpcTransportError, RpcError, OSError, TimeoutError) as exc:
                        self._ws_failed(loop, exc, delivered)
                async for block in self._poll(rpc):
                    yield block

    def _ws_failed(self, loop: asyncio.AbstractEventLoop, exc: BaseException, delivered: int) -> None:
        self.ws_failures += 1
        self._consecutive = 0 if delivered else self._consecutive + 1
        # Right back after a session that delivered blocks; longer after each one that did not.
        pause = min(MAX_WS_BACKOFF, self.poll_interval * 2 ** min(self._consecutive, 16))
        pause *= random.uniform(0.5, 1.0)
        self._ws_after = loop.time() + pause
        kind = getattr(exc, "kind", type(exc).__name__)
        log.info("newHeads over %s lost (%s: %s); polling over HTTP for %.1fs", self.ws_url, kind, exc, pause)

    async def _ws(self, rpc: AsyncRpc) -> AsyncIterator[NewBlock]:
        # Calls on the socket (the subscription itself) wait no longer than silence would be tolerated.
        wait = max(1.0, self.stall_after)
        async with WsSession(self.ws_url, observer=self.observer, open_timeout=wait * 2, call_timeout=wait) as ws:
            sub = await ws.subscribe("newHeads")
            # Blocks mined between our last one and the subscription start.
            async for block in self._catch_up(rpc, int(await rpc.call("eth_blockNumber"), 16), "http"):
                yield block
            while True:
                rewound = self._rewound
                try:
                    header = await ws.notification(sub, self.poll_interval if rewound else self.stall_after)
                except TimeoutError:
                    # Silence: fine if the chain is quiet, a stall if it moved on without us (and we had not
                    # rewound: then the blocks were announced already).
                    head = int(await rpc.call("eth_blockNumber"), 16)
                    assert self._last is not None
                    if head > self._last:
                        async for block in self._catch_up(rpc, head, "http"):
                            yield block
                        if rewound:
                            self._rewound = False
                            continue
                        detail = f"no newHeads for {self.stall_after:g}s while the chain moved to {head}"
                        self._observe(TIMEOUT, detail)
                        raise WsStalled(f"WebSocket {ws.shown_url}: {detail}", kind=TIMEOUT) from None
                    continue
                try:
                    shapes.header(header, "newHeads header")
                except shapes.BadShape as exc:
                    self._observe(MALFORMED, str(exc))
                    continue
                announced = block_from_header(header, "ws")
                self._rewound = False  # the socket speaks: it announces what comes next
                assert self._last is not None
                if announced.number <= self._last and not self._replaces(announced):
                    continue  # already delivered
                async for block in self._catch_up(rpc, announced.number - 1, "http"):
                    yield block
                yield self._hand_out(announced)

    def _observe(self, kind: str, detail: str) -> None:
        if self.observer is not None:
            try:
                self.observer(TransportEvent("ws", "newHeads", kind, detail, False))
            except Exception:  # metrics must never break the stream
                log.exception("transport observer failed")

    async def _poll(self, rpc: AsyncRpc) -> AsyncIterator[NewBlock]:
        """HTTP polling until it is time to try the socket again (forever without one)."""
        loop = asyncio.get_running_loop()
        while not self.use_ws or loop.time() < self._ws_after:
            try:
                # The head's header rather than its number: one call that also shows a replaced tip.
                header = await rpc.call("eth_getBlockByNumber", ["latest", False])
                if header is None:
                    raise RpcTransportError(f"no latest block at {rpc.shown_url}", kind=MALFORMED)
                shapes.header(header, "latest header")
                head = block_from_header(header, "http")
                assert self._last is not None
                if head.number > self._last or self._replaces(head):
                    async for block in self._catch_up(rpc, head.number - 1, "http"):
                        yield block
                    yield self._hand_out(head)
            except (RpcTransportError, RpcError, shapes.BadShape) as exc:
                log.info("block poll over %s failed: %s", rpc.shown_url, exc)
            await asyncio.sleep(self.poll_interval)  # polling cadence, not synchronisation
