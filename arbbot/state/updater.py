"""Keeps a PoolStore on the canonical chain: fetch each new block's logs, apply, handle reorgs."""

from __future__ import annotations

import logging
from typing import Any

from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.state import balancer, lens
from arbbot.state.events import STATE_TOPICS
from arbbot.state.store import BlockRef, PoolStore, ReorgDetected, ReorgTooDeep

log = logging.getLogger(__name__)


def block_ref(rpc: RpcClient, number: int | str) -> BlockRef:
    """Block `number` (or a tag such as "latest") as a `BlockRef`; LookupError if the node does not have it."""
    tag = hex(number) if isinstance(number, int) else number
    header = rpc.call("eth_getBlockByNumber", [tag, False])
    if header is None:
        raise LookupError(f"block {number} not found")
    stamp = header.get("timestamp")
    try:
        timestamp = int(stamp, 16) if stamp is not None else None
    except (TypeError, ValueError):
        raise LookupError(f"block {number}: header timestamp {str(stamp)[:80]!r}") from None
    return BlockRef(int(header["number"], 16), header["hash"], header["parentHash"], timestamp)


class StateUpdater:
    """Keeps a `PoolStore` at the node's head: applies each block's state logs, read by block hash, and rolls back
    reorgs."""

    def __init__(self, rpc: RpcClient, store: PoolStore) -> None:
        self.rpc = rpc
        self.store = store
        self.reorgs: list[int] = []  # depth of each reorg handled

    def _logs(self, block: BlockRef) -> list[dict[str, Any]]:
        # By hash, not number: a log query by number could mix in another fork's block.
        return self.rpc.call("eth_getLogs", [{"blockHash": block.hash, "topics": [list(STATE_TOPICS)]}]) or []

    def _lp_fees(self, block: BlockRef) -> dict[str, int]:
        """The LP fee of every dynamic-fee V4 pool at the end of `block` (no event announces a change)."""
        fees: dict[str, int] = {}
        for manager, ids in self.store.dynamic_fee_pools().items():
            for pool_id, snap in lens.read_v4_slot0(self.rpc, manager, ids, hex(block.number)).items():
                if snap is not None:
                    fees[pool_id] = snap.lp_fee
        return fees

    def _balancer_reads(self, block: BlockRef) -> dict[str, dict[str, tuple[Any, ...]]]:
        """What Balancer pools hold at the end of `block` that no event announces (a pause lapsing when the pool's
        buffer period ends), for the pools the store asks it of."""
        return balancer.read_block_state(self.rpc, self.store.balancer_block_calls(), hex(block.number))

    def catch_up(self, until: int | None = None, until_hash: str | None = None) -> set[str]:
        """Apply every block after the store's head up to `until` (default: the node's head).

        A block announced at the head can be gone a moment later (the chain reorganised to another, possibly
        shorter, branch): then the store stops where the chain now ends, and the next head continues.
        `until_hash`, the announced block's hash, shows a block replaced at a height the store already has
        (no new height announces that): the store then rolls back to where it agrees with the chain.
        """
        target = until if until is not None else self.rpc.block_number()
        changed: set[str] = set()
        if until_hash is not None and target <= self.store.head.number:
            known = self.store.known_hash(target)
            if known is not None and known.lower() != until_hash.lower():
                changed |= self._handle_reorg()
        vanished = 0
        while self.store.head.number < target:
            number = self.store.head.number + 1
            try:
                block = block_ref(self.rpc, number)
                logs = self._logs(block)
                fees = self._lp_fees(block)
                reads = self._balancer_reads(block)
            except (LookupError, RpcError) as exc:
                if isinstance(exc, RpcError) and "unknown block" not in exc.message.lower():
                    raise
                vanished += 1
                if vanished > 3 or self.rpc.block_number() < number:
                    log.info("block %d is gone from the node (%s): the chain reorganised; at %d for now",
                             number, exc, self.store.head.number)  # fmt: skip
                    break
                continue  # it changed under us: read it again
            try:
                changed |= self.store.apply_block(block, logs, fees, reads)
            except ReorgDetected:
                changed |= self._handle_reorg()
        return changed

    def _handle_reorg(self) -> set[str]:
        """Walk back to the last block whose hash the chain still agrees with, undo, and replay."""
        number = self.store.head.number
        while number >= 0:
            known = self.store.known_hash(number)
            if known is None:
                raise ReorgTooDeep(f"reorg deeper than the undo window (below block {number + 1})")
            if block_ref(self.rpc, number).hash.lower() == known.lower():
                break
            number -= 1
        depth = self.store.head.number - number
        if depth == 0:
            return set()  # the chain agrees with the store after all (the other block came and went)
        log.warning("reorg of depth %d: rolling back to block %d", depth, number)
        self.reorgs.append(depth)
        # The caller's loop then replays the new branch from `number + 1`.
        return self.store.rollback_to(number)
