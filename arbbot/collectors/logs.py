"""Logs per new block, fetched by block hash so a reorged block's logs are never mixed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from arbbot.collectors.blocks import BlockCollector
from arbbot.collectors.rpc_async import AsyncRpc
from arbbot.collectors.types import BlockLogs


class LogCollector:
    """The logs of each new block, read by block hash (so never another fork's), optionally only the given topics."""

    def __init__(self, blocks: BlockCollector, topics: Sequence[str] | None = None) -> None:
        self.blocks = blocks
        self.topics = list(topics) if topics else None

    async def stream(self) -> AsyncIterator[BlockLogs]:
        """One `BlockLogs` per block the block collector hands out."""
        async with AsyncRpc(self.blocks.http_url) as rpc:
            async for block in self.blocks.stream():
                flt: dict[str, object] = {"blockHash": block.hash}
                if self.topics:
                    flt["topics"] = [self.topics]  # any of these event signatures
                logs = await rpc.call("eth_getLogs", [flt])
                yield BlockLogs(block, [entry for entry in logs or [] if not entry.get("removed")])
