"""Pending transactions: WebSocket `newPendingTransactions` (hashes, then fetched), HTTP filter fallback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from arbbot.chain.rpc import RpcError, RpcTransportError
from arbbot.collectors.blocks import ws_url_for
from arbbot.collectors.rpc_async import AsyncRpc
from arbbot.collectors.types import PendingTx

log = logging.getLogger(__name__)


class PendingTxCollector:
    """Yields each pending transaction once (full object), WebSocket first, then an HTTP filter."""

    def __init__(
        self, http_url: str, ws_url: str | None = None, poll_interval: float = 0.2, use_ws: bool = True
    ) -> None:
        self.http_url = http_url
        self.ws_url = ws_url or ws_url_for(http_url)
        self.poll_interval = poll_interval
        self.use_ws = use_ws
        self._seen: set[str] = set()
        # Set once the subscription (or filter) exists: transactions sent after it are never missed.
        self.ready = asyncio.Event()

    async def _full(self, rpc: AsyncRpc, tx_hash: str, via: str) -> PendingTx | None:
        if tx_hash in self._seen:
            return None
        tx = await rpc.call("eth_getTransactionByHash", [tx_hash])
        if tx is None:  # already dropped or replaced
            return None
        self._seen.add(tx_hash)
        return PendingTx(tx_hash, tx, via)

    async def stream(self) -> AsyncIterator[PendingTx]:
        async with AsyncRpc(self.http_url) as rpc:
            if self.use_ws:
                try:
                    async for ptx in self._ws(rpc):
                        yield ptx
                except (OSError, WebSocketException, TimeoutError) as exc:
                    log.warning("pending-tx subscription to %s failed (%s); polling a filter", self.ws_url, exc)
            async for ptx in self._poll(rpc):
                yield ptx

    async def _ws(self, rpc: AsyncRpc) -> AsyncIterator[PendingTx]:
        async with connect(self.ws_url, open_timeout=5, max_size=2**24) as ws:
            sub = {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newPendingTransactions"]}
            await ws.send(json.dumps(sub))
            ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            if "error" in ack:
                raise WebSocketException(f"eth_subscribe refused: {ack['error']}")
            self.ready.set()
            async for message in ws:
                result = json.loads(message).get("params", {}).get("result")
                tx_hash = result.get("hash") if isinstance(result, dict) else result
                if isinstance(tx_hash, str):
                    ptx = await self._full(rpc, tx_hash, "ws")
                    if ptx is not None:
                        yield ptx

    async def _poll(self, rpc: AsyncRpc) -> AsyncIterator[PendingTx]:
        filter_id = await rpc.call("eth_newPendingTransactionFilter")
        self.ready.set()
        while True:
            try:
                hashes = await rpc.call("eth_getFilterChanges", [filter_id])
            except RpcError:  # filter expired on the node: make a new one
                filter_id = await rpc.call("eth_newPendingTransactionFilter")
                continue
            except RpcTransportError as exc:
                log.warning("pending-tx poll failed: %s", exc)
                hashes = []
            for tx_hash in hashes or []:
                ptx = await self._full(rpc, tx_hash, "http")
                if ptx is not None:
                    yield ptx
            await asyncio.sleep(self.poll_interval)  # polling cadence, not synchronisation
