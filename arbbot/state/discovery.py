"""Find pools from creation logs, in block ranges that adapt to what the node allows.

V2 and V3-style venues (Uniswap and forks such as PancakeSwap V3) are scanned at their factory; V4 pools
at the PoolManager, whose `Initialize` event carries the whole PoolKey. Balancer V2 pools take two sources:
a configured factory's `PoolCreated(address)` vouches for the pool contract, and the Vault's `PoolRegistered` /
`TokensRegistered` give its id and tokens (`scan_balancer`). Anyone can register a pool in the Vault, so a
registration without a configured factory's creation log is ignored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from eth_utils import keccak, to_checksum_address

from arbbot.chain import pool_events as pe
from arbbot.chain.rpc import RpcClient, RpcError, RpcTransportError

log = logging.getLogger(__name__)

PAIR_CREATED = "0x" + keccak(text="PairCreated(address,address,address,uint256)").hex()
POOL_CREATED = "0x" + keccak(text="PoolCreated(address,address,uint24,int24,address)").hex()  # V3 and forks
V4_INITIALIZE = "0x" + keccak(text="Initialize(bytes32,address,address,uint24,int24,address,uint160,int24)").hex()
# Every Balancer V2 pool factory's `PoolCreated(address indexed pool)`.
BALANCER_POOL_CREATED = "0x" + keccak(text="PoolCreated(address)").hex()
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

PoolKind = Literal["uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4", "balancer_weighted"]
POOL_KINDS: tuple[PoolKind, ...] = get_args(PoolKind)
BALANCER_KINDS: frozenset[str] = frozenset({"balancer_weighted"})  # found by `scan_balancer`, not `scan_factory`


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
    """A pool found by discovery or known from a list: its kind, factory, address (V4, Balancer: pool id), tokens and
    fee.

    A Balancer pool also carries every token in the Vault's order (`tokens`; `token0`/`token1` are its first two),
    its pool contract (`contract`) and its Vault (`vault`); its swap fee is read with its state (`fee` is 0)."""

    kind: PoolKind
    factory: str  # V4: the PoolManager
    address: str  # V4 and Balancer: the pool id (0x + 64 hex digits)
    token0: str  # V4: currency0 (the zero address for native ether)
    token1: str
    fee: int  # V2: bps (set by the venue config); V3 and forks: hundredths of a bip; V4: PoolKey.fee
    tick_spacing: int
    created_block: int
    hooks: str = ZERO_ADDRESS  # V4 only
    tokens: tuple[str, ...] = ()  # Balancer only
    contract: str = ""  # Balancer only: the pool contract
    vault: str = ""  # Balancer only


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


def _chunked_logs(
    rpc: RpcClient, query: dict[str, Any], from_block: int, to_block: int, sizer: RangeSizer
) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
    """(first block, last block, logs) of `query` chunk by chunk, the range shrinking on "too much" errors."""
    start = from_block
    while start <= to_block:
        end = min(to_block, start + sizer.size - 1)
        try:
            logs = rpc.call("eth_getLogs", [{**query, "fromBlock": hex(start), "toBlock": hex(end)}])
        except (RpcError, RpcTransportError) as exc:
            if too_much(exc) and end > start:
                log.info("getLogs %d-%d too large (%s); shrinking to %d blocks", start, end, exc, sizer.size // 2)
                sizer.shrink()
                continue
            raise
        yield start, end, [e for e in logs or [] if not e.get("removed")]
        sizer.grow()
        start = end + 1


@dataclass
class _Registration:
    address: str
    block: int
    tokens: list[str]


def scan_balancer(
    rpc: RpcClient,
    vault: str,
    factories: dict[str, PoolKind],
    from_block: int,
    to_block: int,
    sizer: RangeSizer | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[DiscoveredPool]]]:
    """Yield (last block scanned, Balancer pools found in that chunk) for the `factories` (address -> pool kind)
    over the `vault`, in block order.

    A pool is found when a configured factory logged `PoolCreated(pool)` and the Vault logged `PoolRegistered` for
    that contract and `TokensRegistered` (two tokens or more) for its id; the factory's log is what makes it trusted.
    Logs that do not decode exactly are skipped with a warning."""
    sizer = sizer or RangeSizer()
    trusted = {f.lower(): kind for f, kind in factories.items()}
    vault_l = vault.lower()
    created: dict[str, tuple[str, PoolKind, int]] = {}  # pool contract -> (factory, kind, block)
    registered: dict[str, _Registration] = {}  # pool id -> registration
    done: set[str] = set()
    for start, end, logs in _chunked_logs(
        rpc, {"address": vault, "topics": [[pe.BalancerPoolRegistered.TOPIC, pe.BalancerTokensRegistered.TOPIC]]},
        from_block, to_block, sizer,
    ):  # fmt: skip
        # The factories' logs over the same range (the pool registers itself in its constructor, same transaction).
        factory_logs = rpc.call(
            "eth_getLogs",
            [{"address": list(factories), "topics": [BALANCER_POOL_CREATED], "fromBlock": hex(start),
              "toBlock": hex(end)}],
        ) or []  # fmt: skip
        for entry in factory_logs:
            factory = str(entry.get("address", "")).lower()
            topics = entry.get("topics") or []
            if entry.get("removed") or factory not in trusted:
                continue
            pool = topics[1] if len(topics) == 2 and isinstance(topics[1], str) else ""
            if len(pool) != 66 or pool[2:26].strip("0") or entry.get("data") not in ("0x", "0X"):
                log.warning("skipping malformed PoolCreated log from %s: %s", factory, topics)
                continue
            created["0x" + pool[-40:].lower()] = (factory, trusted[factory], int(entry["blockNumber"], 16))
        for entry in logs:
            if str(entry.get("address", "")).lower() != vault_l:
                continue  # only the Vault speaks for the Vault
            try:
                event = pe.decode(entry.get("topics") or [], entry.get("data", "0x"))
            except pe.BadEvent as exc:
                log.warning("skipping malformed Vault log: %s", exc)
                continue
            if isinstance(event, pe.BalancerPoolRegistered) and event.pool_id and event.pool_address:
                registered[event.pool_id] = _Registration(event.pool_address, int(entry["blockNumber"], 16), [])
            elif isinstance(event, pe.BalancerTokensRegistered) and event.pool_id in registered:
                registered[event.pool_id].tokens.extend(event.tokens)
        found: list[DiscoveredPool] = []
        for pool_id, reg in registered.items():
            origin = created.get(reg.address)
            if pool_id in done or origin is None or len(reg.tokens) < 2:
                continue  # not (yet) vouched for by a configured factory, or no tokens yet
            factory, kind, _ = origin
            tokens = tuple(to_checksum_address(t) for t in reg.tokens)
            found.append(
                DiscoveredPool(
                    kind, to_checksum_address(factory), pool_id, tokens[0], tokens[1], 0, 0, reg.block,
                    tokens=tokens, contract=to_checksum_address(reg.address), vault=to_checksum_address(vault),
                )
            )  # fmt: skip
            done.add(pool_id)
        yield end, found
        if on_progress:
            on_progress(end - start + 1)
