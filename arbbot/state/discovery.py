"""Find pools from creation logs, in block ranges that adapt to what the node allows.

V2 and V3-style venues (Uniswap and forks such as PancakeSwap V3) are scanned at their factory; V4 pools
at the PoolManager, whose `Initialize` event carries the whole PoolKey."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from eth_utils import keccak, to_checksum_address

from arbbot.chain.rpc import RpcClient, RpcError, RpcTransportError

log = logging.getLogger(__name__)

PAIR_CREATED = "0x" + keccak(text="PairCreated(address,address,address,uint256)").hex()
POOL_CREATED = "0x" + keccak(text="PoolCreated(address,address,uint24,int24,address)").hex()  # V3 and forks
V4_INITIALIZE = "0x" + keccak(text="Initialize(bytes32,address,address,uint24,int24,address,uint160,int24)").hex()
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

PoolKind = Literal["uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4"]
POOL_KINDS: tuple[PoolKind, ...] = get_args(PoolKind)


def pool_kind(value: str) -> PoolKind:
    """`value` as a PoolKind (a kind read back from a database or a manifest), or ValueError naming it."""
    for kind in POOL_KINDS:
        if value == kind:
            return kind
    raise ValueError(f"kind: not a pool kind ({', '.join(POOL_KINDS)}): {value!r}")


CREATION_TOPIC: dict[str, str] = {
    "uniswap_v2": PAIR_CREATED,
    "uniswap_v3": POOL_CREATED,
    "pancakeswap_v3": POOL_CREATED,  # PancakeV3Factory emits Uniswap's PoolCreated
    "uniswap_v4": V4_INITIALIZE,  # from the PoolManager: every V4 pool is created by initializing it
}

# Messages nodes and providers use when a log query covers too much.
_TOO_MUCH = ("range", "too many", "limit", "exceed", "timeout", "response size", "query returned more than")


@dataclass(frozen=True)
class DiscoveredPool:
    """A pool found by discovery or known from a list: its kind, factory, address (V4: pool id), tokens and fee."""

    kind: PoolKind
    factory: str  # V4: the PoolManager
    address: str  # V4: the pool id (0x + 64 hex digits)
    token0: str  # V4: currency0 (the zero address for native ether)
    token1: str
    fee: int  # V2: bps (set by the venue config); V3 and forks: hundredths of a bip; V4: PoolKey.fee
    tick_spacing: int
    created_block: int
    hooks: str = ZERO_ADDRESS  # V4 only


def _topic_address(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def _signed24(value: int) -> int:
    return value - (1 << 24) if value >= 1 << 23 else value


def decode_creation_log(entry: dict[str, Any], kind: str, v2_fee_bps: int = 30) -> DiscoveredPool:
    """The pool announced by one factory creation log (`PairCreated`, `PoolCreated` or V4 `Initialize`, by `kind`);
    ValueError on a log too short for its event."""
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
    if kind == "uniswap_v4":
        if len(topics) != 4 or len(data) < 320:
            raise ValueError(f"truncated Initialize log at block {block} from {factory}")
        return DiscoveredPool(
            "uniswap_v4",
            factory,
            "0x" + topics[1][-64:].lower(),
            _topic_address(topics[2]),
            _topic_address(topics[3]),
            int(data[:64], 16) & 0xFFFFFF,
            _signed24(int(data[64:128], 16) & 0xFFFFFF),
            block,
            to_checksum_address("0x" + data[152:192]),
        )
    if len(topics) != 4 or len(data) < 128:
        raise ValueError(f"truncated PoolCreated log at block {block} from {factory}")
    return DiscoveredPool(
        "pancakeswap_v3" if kind == "pancakeswap_v3" else "uniswap_v3",
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
        """Halve the range after a "too much" error (not below `minimum`)."""
        self.shrinks += 1
        self.size = max(self.minimum, self.size // 2)

    def grow(self) -> None:
        """Double the range after a success (not above `maximum`)."""
        self.size = min(self.maximum, self.size * 2)


def too_much(exc: Exception) -> bool:
    """Whether a failed log query should be retried over a smaller block range."""
    return isinstance(exc, RpcTransportError) or any(s in str(exc).lower() for s in _TOO_MUCH)


def scan_factory(
    rpc: RpcClient,
    factory: str,
    kind: PoolKind,
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
    topic = CREATION_TOPIC[kind]
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
