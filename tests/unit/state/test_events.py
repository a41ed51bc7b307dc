"""The state's reading of pool logs (through the one pool-event decoder): well-formed logs, built with the real ABI
encoder, give the store's events; hostile ones raise MalformedLog, and the store then drops the pool until a re-sync
(and a rollback brings it back)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from hexbytes import HexBytes

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.chain import pool_events as pe
from arbbot.state import events
from arbbot.state.events import MalformedLog, ProtocolFeeEvent, SyncEvent, V3LiquidityEvent, V3SwapEvent
from arbbot.state.store import BlockRef, PoolStore

OWNER = "0x" + "00" * 12 + "11" * 20
POOL_ID = "0x" + "12" * 32
PAIR = "0x" + "aa" * 20


def _word(abi_type: str, value: Any) -> str:
    return "0x" + encode([abi_type], [value]).hex()


def _v3_swap_data(*extra: int) -> bytes:
    types = ["int256", "int256", "uint160", "uint128", "int24"] + ["uint128"] * len(extra)
    return encode(types, [-5, 7, 2**96, 10**18, -3, *extra])


GOOD: dict[str, tuple[dict[str, Any], object]] = {
    "sync": ({"topics": [events.SYNC], "data": "0x" + encode(["uint112"] * 2, [3, 2**112 - 1]).hex()},
             SyncEvent(3, 2**112 - 1)),
    "v3 swap": ({"topics": [events.V3_SWAP, OWNER, OWNER], "data": _v3_swap_data()}, V3SwapEvent(2**96, 10**18, -3)),
    "pancake swap": ({"topics": [events.PANCAKE_SWAP, OWNER, OWNER], "data": _v3_swap_data(1, 2)},
                     V3SwapEvent(2**96, 10**18, -3)),
    "v4 swap": (
        {"topics": [events.V4_SWAP, POOL_ID, OWNER],
         "data": encode(["int128", "int128", "uint160", "uint128", "int24", "uint24"], [-1, 2, 2**96, 9, 4, 500])},
        V3SwapEvent(2**96, 9, 4),
    ),
    "mint (bytes topics)": (
        {"topics": [HexBytes(events.V3_MINT), HexBytes(OWNER), HexBytes(_word("int24", -60)),
                    HexBytes(_word("int24", 120))],
         "data": encode(["address", "uint128", "uint256", "uint256"], ["0x" + "11" * 20, 77, 1, 2])},
        V3LiquidityEvent(-60, 120, 77),
    ),
    "burn": (
        {"topics": [events.V3_BURN, OWNER, _word("int24", -60), _word("int24", 120)],
         "data": "0x" + encode(["uint128", "uint256", "uint256"], [77, 1, 2]).hex()},
        V3LiquidityEvent(-60, 120, -77),
    ),
    "modify liquidity": (
        {"topics": [events.V4_MODIFY_LIQUIDITY, POOL_ID, OWNER],
         "data": encode(["int24", "int24", "int256", "bytes32"], [-60, 60, -(10**30), b"\x01" * 32])},
        V3LiquidityEvent(-60, 60, -(10**30)),
    ),
    "protocol fee": ({"topics": [events.V4_PROTOCOL_FEE, POOL_ID], "data": encode(["uint24"], [250 | 900 << 12])},
                     ProtocolFeeEvent(250 | 900 << 12)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GOOD))
def test_state_events_decode_as_before(name: str) -> None:
    log, want = GOOD[name]
    assert events.decode(log) == want


@pytest.mark.parametrize("name", sorted(GOOD))
def test_hostile_state_logs_raise_malformed(name: str) -> None:
    log, _ = GOOD[name]
    assert pe.decode(log["topics"], log["data"]) is not None  # the control
    raw = bytes(HexBytes(log["data"]))
    topics = list(log["topics"])
    for bad in (
        {**log, "data": raw[:-1]},
        {**log, "data": raw + bytes(32)},  # a longer log was once read by its first words
        {**log, "topics": [*topics, OWNER]},
        {**log, "data": (1 << 255 | 1).to_bytes(32, "big") * (len(raw) // 32)},  # every word out of any narrow type
    ):
        with pytest.raises(MalformedLog):
            events.decode(bad)
    if len(topics) > 1:
        with pytest.raises(MalformedLog):
            events.decode({**log, "topics": topics[:-1]})


def test_other_pool_events_are_not_state_events_even_malformed() -> None:
    assert (
        events.decode({"topics": [pe.V2Swap.TOPIC, OWNER, OWNER], "data": encode(["uint256"] * 4, [1, 0, 0, 1])})
        is None
    )
    assert events.decode({"topics": [pe.V3Flash.TOPIC], "data": "0x01"}) is None
    assert events.decode({"topics": [], "data": "0x"}) is None


def _store() -> PoolStore:
    pair = UniswapV2Pool(address=PAIR, token0="0x" + "01" * 20, token1="0x" + "02" * 20, reserve0=10, reserve1=20)
    return PoolStore([pair], BlockRef(1, "0x" + "01" * 32, "0x" + "00" * 32))


def test_store_applies_a_well_formed_sync() -> None:
    store = _store()
    sync = {"address": PAIR, "topics": [events.SYNC], "data": "0x" + encode(["uint112"] * 2, [11, 19]).hex()}
    changed = store.apply_block(BlockRef(2, "0x" + "02" * 32, "0x" + "01" * 32), [sync])
    pool = store.get(PAIR)
    assert changed == {PAIR} and isinstance(pool, UniswapV2Pool) and (pool.reserve0, pool.reserve1) == (11, 19)


@pytest.mark.parametrize(
    "data",
    [
        "0x" + encode(["uint256", "uint112"], [2**112, 19]).hex(),  # reserve0 beyond uint112
        "0x" + encode(["uint112"] * 3, [11, 19, 0]).hex(),  # a word too long
        "0x" + encode(["uint112"], [11]).hex(),  # a word short
    ],
)
def test_store_drops_the_pool_of_a_hostile_sync_and_a_rollback_restores_it(data: str) -> None:
    store = _store()
    bad = {"address": PAIR, "topics": [events.SYNC], "data": data}
    store.apply_block(BlockRef(2, "0x" + "02" * 32, "0x" + "01" * 32), [bad])
    assert store.get(PAIR) is None and store.skipped_logs == 1
    assert store.rollback_to(1) == {PAIR}
    pool = store.get(PAIR)
    assert isinstance(pool, UniswapV2Pool) and (pool.reserve0, pool.reserve1) == (10, 20)
