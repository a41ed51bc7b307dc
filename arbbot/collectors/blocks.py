"""New blocks, in order, with no gaps: WebSocket `newHeads` first, HTTP polling as the fallback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from arbbot.chain.rpc import RpcError, RpcTransportError
from arbbot.collectors.rpc_async import AsyncRpc
from arbbot.collectors.types import NewBlock, block_from_header

log = logging.getLogger(__name__)


def ws_url_for(http_url: str) -> str:
    """anvil and most nodes serve WebSocket on the HTTP port."""
    return "ws" + http_url.removeprefix("http")


class BlockCollector:
    """Yields every block after `start_after` (default: the current head) exactly once, in order.

    If a subscription skips numbers (the node coalesced heads) or the socket drops, the missing
    blocks are fetched over HTTP, so consumers never see a gap. A reorg shows up as a block whose
    parent_hash differs from the previous block's hash; handling it is the consumer's job.
    """

    def __init__(
        self,
        http_url: str,
        ws_url: str | None = None,
        poll_interval: float = 0.5,
        use_ws: bool = True,
        start_after: int | None = None,
    ) -> None:
        self.http_url = http_url
        self.ws_url = ws_url or ws_url_for(http_url)
        self.poll_interval = poll_interval
        self.use_ws = use_ws
        self._last: int | None = start_after
        self.ws_failures = 0

    async def _fetch(self, rpc: AsyncRpc, number: int, via: str) -> NewBlock:
        header = await rpc.call("eth_getBlockByNumber", [hex(number), False])
        if header is None:
            raise RpcTransportError(f"block {number} not found at {self.http_url}")
        return block_from_header(header, via)

    async def _catch_up(self, rpc: AsyncRpc, upto: int, via: str) -> AsyncIterator[NewBlock]:
        assert self._last is not None
        while self._last < upto:
            block = await self._fetch(rpc, self._last + 1, via)
            self._last = block.number
            yield block

    async def stream(self) -> AsyncIterator[NewBlock]:
        async with AsyncRpc(self.http_url) as rpc:
            if self._last is None:
                self._last = int(await rpc.call("eth_blockNumber"), 16)
            while True:
                if self.use_ws:
                    try:
                        async for block in self._ws(rpc):
                            yield block
                    except (OSError, WebSocketException, TimeoutError) as exc:
                        self.ws_failures += 1
                        log.warning("newHeads subscription to %s failed (%s); polling over HTTP", self.ws_url, exc)
                        if self.ws_failures >= 3:
                            self.use_ws = False
                async for block in self._poll(rpc, rounds=None if not self.use_ws else 20):
                    yield block

    async def _ws(self, rpc: AsyncRpc) -> AsyncIterator[NewBlock]:
        async with connect(self.ws_url, open_timeout=5, max_size=2**24) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            if "error" in ack:
                raise WebSocketException(f"eth_subscribe refused: {ack['error']}")
            # Blocks mined between our last one and the subscription start.
            async for block in self._catch_up(rpc, int(await rpc.call("eth_blockNumber"), 16), "http"):
                yield block
            async for message in ws:
                note = json.loads(message)
                header = note.get("params", {}).get("result")
                if not header:
                    continue
                number = int(header["number"], 16)
                assert self._last is not None
                if number <= self._last:
                    continue  # already delivered (or a reorg of a delivered height: seen via parent hashes later)
                async for block in self._catch_up(rpc, number - 1, "http"):
                    yield block
                self._last = number
                yield block_from_header(header, "ws")

    async def _poll(self, rpc: AsyncRpc, rounds: int | None) -> AsyncIterator[NewBlock]:
        done = 0
        while rounds is None or done < rounds:
            done += 1
            with contextlib.suppress(RpcTransportError, RpcError):
                head = int(await rpc.call("eth_blockNumber"), 16)
                async for block in self._catch_up(rpc, head, "http"):
                    yield block
            await asyncio.sleep(self.poll_interval)  # polling cadence, not synchronisation
