"""Find pools from factory creation logs, in block ranges that adapt to what the node allows."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from eth_utils import keccak, to_checksum_address

from arbbot.chain.rpc import RpcClient, RpcError, RpcTransportError

log = logging.getLogger(__name__)

PAIR_CREATED = "0x" + keccak(text="PairCreated(address,address,address,uint256)").hex()
POOL_CREATED = "0x" + keccak(text="PoolCreated(address,address,uint24,int24,address)").hex()

# Messages nodes and providers use when a log query covers too much.
_TOO_MUCH = ("range", "too many", "limit", "exceed", "timeout", "response size", "query returned more than")


@dataclass(frozen=True)
class DiscoveredPool:
    kind: Literal["uniswap_v2", "uniswap_v3"]
    factory: str
    address: str
    token0: str
    token1: str
    fee: int  # V2: bps (set by the venue config); V3: hundredths of a bip
    tick_spacing: int
    created_block: int


def _topic_address(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def _signed24(value: int) -> int:
    return value - (1 << 24) if value >= 1 << 23 else value


def decode_creation_log(entry: dict, kind: str, v2_fee_bps: int = 30) -> DiscoveredPool:
    topics, data = entry["topics"], entry["data"][2:]
    factory = to_checksum_address(entry["address"])
    block = int(entry["blockNumber"], 16)
    if kind == "uniswap_v2":
        if len(topics) != 3 or len(data) < 128:
            raise ValueError(f"truncated PairCreated log at block {block} from {factory}")
        return DiscoveredPool(
            "uniswap_v2",
            factory,
            to_checksum_address("0x" + data[24:64]),
            _topic_address(topics[1]),
            _topic_address(topics[2]),
            v2_fee_bps,
            0,
            block,
        )
    if len(topics) != 4 or len(data) < 128:
        raise ValueError(f"truncated PoolCreated log at block {block} from {factory}")
    return DiscoveredPool(
        "uniswap_v3",
        factory,
        to_checksum_address("0x" + data[88:128]),
        _topic_address(topics[1]),
        _topic_address(topics[2]),
        int(topics[3], 16),
        _signed24(int(data[:64], 16) & 0xFFFFFF),
        block,
    )


@dataclass
class RangeSizer:
    """Block-range size that halves on 'too much' errors and grows again after successes."""

    size: int = 5_000
    minimum: int = 1
    maximum: int = 100_000
    shrinks: int = 0

    def shrink(self) -> None:
        self.shrinks += 1
        self.size = max(self.minimum, self.size // 2)

    def grow(self) -> None:
        self.size = min(self.maximum, self.size * 2)


def too_much(exc: Exception) -> bool:
    """Whether a failed log query should be retried over a smaller block range."""
    return isinstance(exc, RpcTransportError) or any(s in str(exc).lower() for s in _TOO_MUCH)


def scan_factory(
    rpc: RpcClient,
    factory: str,
    kind: Literal["uniswap_v2", "uniswap_v3"],
    from_block: int,
    to_block: int,
    sizer: RangeSizer | None = None,
    v2_fee_bps: int = 30,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[DiscoveredPool]]]:
    """Yield (last block scanned, pools found in that chunk), chunk by chunk, in block order.

    The caller stores each chunk's pools together with the checkpoint (one transaction), so a crash
    never leaves the checkpoint ahead of the data.
    """
    sizer = sizer or RangeSizer()
    topic = PAIR_CREATED if kind == "uniswap_v2" else POOL_CREATED
    start = from_block
    while start <= to_block:
        end = min(to_block, start + sizer.size - 1)
        try:
            logs = rpc.call(
                "eth_getLogs", [{"address": factory, "topics": [topic], "fromBlock": hex(start), "toBlock": hex(end)}]
            )
        except (RpcError, RpcTransportError) as exc:
            if too_much(exc) and end > start:
                log.info("getLogs %d-%d too large (%s); shrinking to %d blocks", start, end, exc, sizer.size // 2)
                sizer.shrink()
                continue
            raise
        found: list[DiscoveredPool] = []
        for entry in logs:
            if entry.get("removed"):
                continue
            try:
                found.append(decode_creation_log(entry, kind, v2_fee_bps))
            except ValueError as exc:
                log.warning("skipping malformed creation log: %s", exc)
        yield end, found
        if on_progress:
            on_progress(end - start + 1)
        sizer.grow()
        start = end + 1
