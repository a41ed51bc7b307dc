"""Which stored pool states are out of date: those a state-moving event (V2 Sync, V3 Swap, Mint,
Burn) touched after the block the state was read at. Everything else is still exact at the head."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from arbbot.chain.rpc import RpcClient, RpcError, RpcTransportError
from arbbot.state.discovery import RangeSizer, too_much
from arbbot.state.events import STATE_TOPICS

ADDRESS_BATCH = 200  # addresses per eth_getLogs filter (providers cap the filter's size)


def _logs(
    rpc: RpcClient, addresses: Sequence[str], from_block: int, to_block: int, sizer: RangeSizer
) -> Iterator[dict[str, Any]]:
    start = from_block
    while start <= to_block:
        end = min(to_block, start + sizer.size - 1)
        query = {"address": list(addresses), "topics": [list(STATE_TOPICS)]}
        query |= {"fromBlock": hex(start), "toBlock": hex(end)}
        try:
            logs = rpc.call("eth_getLogs", [query]) or []
        except (RpcError, RpcTransportError) as exc:
            if too_much(exc) and end > start:
                sizer.shrink()
                continue
            raise
        yield from logs
        sizer.grow()
        start = end + 1


def touched_since(
    rpc: RpcClient, state_blocks: Mapping[str, int], to_block: int, *, sizer: RangeSizer | None = None
) -> set[str]:
    """Addresses (lower-case) among `state_blocks` (pool -> block its stored state was read at) with a
    state-moving log in a later block, up to `to_block` inclusive. Pools already at `to_block` cost nothing."""
    behind = {a.lower(): b for a, b in state_blocks.items() if b < to_block}
    sizer = sizer or RangeSizer()
    touched: set[str] = set()
    ordered = sorted(behind, key=lambda a: behind[a])  # similar ages share a batch and its block range
    for i in range(0, len(ordered), ADDRESS_BATCH):
        batch = ordered[i : i + ADDRESS_BATCH]
        for entry in _logs(rpc, batch, behind[batch[0]] + 1, to_block, sizer):
            try:
                address = str(entry["address"]).lower()
                block = int(entry["blockNumber"], 16)
            except (TypeError, KeyError, ValueError):
                touched.update(batch)  # an answer we cannot read proves nothing: re-read the whole batch
                continue
            if entry.get("removed") or address not in behind:
                continue
            if block > behind[address]:
                touched.add(address)
    return touched
