"""The one decoder of the pool and lender events: every event round-trips against the real ABI encoder (eth_abi),
and every hostile shape is refused with BadEvent: short or long data, a topic too few or too many, a word outside
its type or the protocol's bounds, another event's first topic."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm.uniswap_v3 import tick_math
from arbbot.chain import pool_events as pe

MIN_TICK, MAX_TICK = -887272, 887272
MIN_SQRT, MAX_SQRT = 4295128739, 1461446703485210103287273052203988822378723970342  # TickMath, exclusive upper

# Topic 0 of each event as block explorers list it (keccak256 of the signature), written out.
KNOWN_TOPICS = {
    pe.V2Sync: "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1",
    pe.V2Swap: "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822",
    pe.V3Swap: "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67",
    pe.PancakeV3Swap: "0x19b47279256b2a23a1665c810c8d55a1758940ee09377d4f8d26497a3577dc83",
    pe.V4Swap: "0x40e9cecb9f5f1f1c5b9c97dec2917b7ee92e57ba5563708daca94dd84ad7112f",
    pe.V3Mint: "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde",
    pe.V3Burn: "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c",
    pe.V4ModifyLiquidity: "0xf208f4912782fd25c7f114ca3723a2d5dd6f3bcc3ac8db5af63baa85f711d5ec",
    pe.V4ProtocolFeeUpdated: "0x" + keccak(text="ProtocolFeeUpdated(bytes32,uint24)").hex(),
    pe.V3Flash: "0xbdbdb71d7860376ba52b25a5028beea23581364a40522f6bcfb86bb1f2dca633",
    pe.BalancerFlashLoan: "0x0d7d75e01ab95780d3cd1c8ec0dd6c2ce19e3a20427eec8bf53283b6fb8e95f0",
    pe.BalancerSwap: "0x2170c741c41531aec20e7c107c24eecfdd15e69c9bb0a8dd37b1840b9e0b207b",
    pe.AaveFlashLoan: "0xefefaba5e921573100900a3ad9cf29f222d995fb3b6045797eaea7521bd8d6f0",
    pe.BalancerSwap: "0x2170c741c41531aec20e7c107c24eecfdd15e69c9bb0a8dd37b1840b9e0b207b",
    pe.BalancerPoolBalanceChanged: "0xe5ce249087ce04f05a957192435400fd97868dba0e6a4b4c049abf8af80dae78",
    pe.BalancerPoolBalanceManaged: "0x6edcaf6241105b4c94c2efdbf3a6b12458eb3d07be3a0e81d24b13c44045fe7a",
    pe.BalancerPoolRegistered: "0x3c13bc30b8e878c53fd2a36b679409c073afd75950be43d8858768e956fbc20e",
    pe.BalancerTokensRegistered: "0xf5847d3f2197b16cdcd2098ec95d0905cd1abdaf415f07bb7cef2bba8ac5dec4",
    pe.BalancerTokensDeregistered: "0x7dcdc6d02ef40c7c1a7046a011b058bd7f988fa14e20a66344f9d4e60657d610",
    pe.BalancerSwapFeeChanged: "0xa9ba3ffe0b6c366b81232caab38605a0699ad5398d6cce76f91ee809e322dafc",
    pe.BalancerPausedStateChanged: "0x9e3a5e37224532dea67b89face185703738a228a6e8a23dee546960180d3be64",
    # ComposableStablePool (v3 factory)'s own events, as its published ABI writes them.
    pe.BalancerAmpUpdateStarted: "0x1835882ee7a34ac194f717a35e09bb1d24c82a3b9d854ab6c9749525b714cdf2",
    pe.BalancerAmpUpdateStopped: "0xa0d01593e47e69d07e0ccd87bece09411e07dd1ed40ca8f2e7af2976542a0233",
    pe.BalancerTokenRateCacheUpdated: "0xb77a83204ca282e08dc3a65b0a1ca32ea4e6875c38ef0bf5bf75e52a67354fac",
    pe.BalancerTokenRateProviderSet: "0xdd6d1c9badb346de6925b358a472c937b41698d2632696759e43fd6527feeec4",
}

# Per event: its indexed fields, then its data fields, as (ABI type, kind); kind says how the value is drawn and
# which out-of-range words to try. Record fields follow this order (indexed first).
TICK, PRICE, LOWER, UPPER = "tick", "price", "lower", "upper"
LAYOUTS: dict[type, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    pe.V2Sync: ([], [("uint112", ""), ("uint112", "")]),
    pe.V2Swap: ([("address", ""), ("address", "")], [("uint256", "")] * 4),
    pe.V3Swap: (
        [("address", ""), ("address", "")],
        [("int256", ""), ("int256", ""), ("uint160", PRICE), ("uint128", ""), ("int24", TICK)],
    ),
    pe.PancakeV3Swap: (
        [("address", ""), ("address", "")],
        [
            *[("int256", ""), ("int256", ""), ("uint160", PRICE), ("uint128", ""), ("int24", TICK)],
            *[("uint128", ""), ("uint128", "")],  # the protocol fees
        ],
    ),
    pe.V4Swap: (
        [("bytes32", ""), ("address", "")],
        [("int128", ""), ("int128", ""), ("uint160", PRICE), ("uint128", ""), ("int24", TICK), ("uint24", "")],
    ),
    pe.V3Mint: (
        [("address", ""), ("int24", LOWER), ("int24", UPPER)],
        [("address", ""), ("uint128", ""), ("uint256", ""), ("uint256", "")],
    ),
    pe.V3Burn: (
        [("address", ""), ("int24", LOWER), ("int24", UPPER)],
        [("uint128", ""), ("uint256", ""), ("uint256", "")],
    ),
    pe.V4ModifyLiquidity: (
        [("bytes32", ""), ("address", "")],
        [("int24", LOWER), ("int24", UPPER), ("int256", ""), ("bytes32", "")],
    ),
    pe.V4ProtocolFeeUpdated: ([("bytes32", "")], [("uint24", "")]),
    pe.V3Flash: ([("address", ""), ("address", "")], [("uint256", "")] * 4),
    pe.BalancerFlashLoan: ([("address", ""), ("address", "")], [("uint256", ""), ("uint256", "")]),
    pe.BalancerSwap: ([("bytes32", ""), ("address", ""), ("address", "")], [("uint256", ""), ("uint256", "")]),
    pe.AaveFlashLoan: (
        [("address", ""), ("address", ""), ("uint16", "")],
        [("address", ""), ("uint256", ""), ("uint8", ""), ("uint256", "")],
    ),
    # Balancer events of static words with a bounded field (the others, with arrays, a bool, an id tied to an
    # address or one unbounded word, are tests/unit/chain/test_balancer_events.py's).
    pe.BalancerSwap: ([("bytes32", ""), ("address", ""), ("address", "")], [("uint256", ""), ("uint256", "")]),
    pe.BalancerPoolBalanceManaged: (
        [("bytes32", ""), ("address", ""), ("address", "")],
        [("int256", ""), ("int256", "")],
    ),
}
EVENTS = list(LAYOUTS)


def _value(draw: st.DrawFn, abi_type: str, kind: str, lower: int | None) -> Any:
    if kind == PRICE:
        return draw(st.integers(MIN_SQRT, MAX_SQRT - 1))
    if kind == TICK:
        return draw(st.integers(MIN_TICK, MAX_TICK))
    if kind == LOWER:
        return draw(st.integers(MIN_TICK, MAX_TICK - 1))
    if kind == UPPER:
        assert lower is not None
        return draw(st.integers(lower + 1, MAX_TICK))
    if abi_type == "address":
        return to_checksum_address(draw(st.binary(min_size=20, max_size=20)))
    if abi_type == "bytes32":
        return draw(st.binary(min_size=32, max_size=32))
    bits = int(abi_type.lstrip("uint"))
    if abi_type.startswith("uint"):
        return draw(st.one_of(st.integers(0, 2**bits - 1), st.sampled_from([0, 2**bits - 1])))
    return draw(st.one_of(st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1), st.sampled_from([-(2 ** (bits - 1))])))


def _expected(abi_type: str, value: Any) -> Any:
    """The record's form of a value: addresses lower-case, words 0x-hex, numbers as they are."""
    if abi_type == "address":
        return value.lower()
    if abi_type == "bytes32":
        return "0x" + value.hex()
    return value


@st.composite
def _event(draw: st.DrawFn, cls: type) -> tuple[list[Any], list[Any]]:
    indexed, data = LAYOUTS[cls]
    out: list[list[Any]] = [[], []]
    lower: int | None = None
    for slot, fields in enumerate((indexed, data)):
        for abi_type, kind in fields:
            value = _value(draw, abi_type, kind, lower)
            if kind == LOWER:
                lower = value
            out[slot].append(value)
    return out[0], out[1]


def _log(cls: type, indexed_values: list[Any], data_values: list[Any]) -> tuple[list[str], bytes]:
    indexed, data = LAYOUTS[cls]
    topics = [KNOWN_TOPICS[cls]] + [
        "0x" + encode([t], [v]).hex() for (t, _), v in zip(indexed, indexed_values, strict=True)
    ]
    return topics, encode([t for t, _ in data], data_values)


def _record(cls: type, indexed_values: list[Any], data_values: list[Any]) -> Any:
    indexed, data = LAYOUTS[cls]
    fields = [_expected(t, v) for (t, _), v in zip(indexed + data, indexed_values + data_values, strict=True)]
    return cls(*fields)


def _good(cls: type) -> tuple[list[str], bytes]:
    """One fixed well-formed log of `cls` (the control for the hostile cases)."""
    indexed, data = LAYOUTS[cls]

    def fixed(abi_type: str, kind: str) -> Any:
        return {
            PRICE: 2**96,
            TICK: -3,
            LOWER: -60,
            UPPER: 60,
        }.get(kind) or {"address": to_checksum_address("0x" + "11" * 20), "bytes32": b"\x12" * 32}.get(abi_type, 7)

    return _log(cls, [fixed(*f) for f in indexed], [fixed(*f) for f in data])


def test_topics_are_the_published_ones() -> None:
    for cls, topic in KNOWN_TOPICS.items():
        assert topic == cls.TOPIC, cls.__name__
    assert set(pe.EVENT_TYPES) == set(KNOWN_TOPICS) and frozenset(KNOWN_TOPICS.values()) == pe.TOPICS


def test_bounds_are_the_tick_maths() -> None:
    assert (pe.MIN_SQRT_PRICE, pe.MAX_SQRT_PRICE) == (tick_math.MIN_SQRT_RATIO, tick_math.MAX_SQRT_RATIO)
    assert (pe.MIN_TICK, pe.MAX_TICK) == (tick_math.MIN_TICK, tick_math.MAX_TICK)
    assert (MIN_SQRT, MAX_SQRT) == (tick_math.MIN_SQRT_RATIO, tick_math.MAX_SQRT_RATIO)


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data(), as_hex=st.booleans())
def test_round_trip_against_the_abi_encoder(cls: type, data: st.DataObject, as_hex: bool) -> None:
    indexed_values, data_values = data.draw(_event(cls))
    topics, raw = _log(cls, indexed_values, data_values)
    topic_in: list[Any] = topics if as_hex else [bytes.fromhex(t[2:]) for t in topics]
    raw_in: Any = "0x" + raw.hex() if as_hex else raw
    want = _record(cls, indexed_values, data_values)
    got = pe.decode(topic_in, raw_in)
    assert got == want
    assert pe.decode_as(cls, topic_in, raw_in) == want
    assert type(got) is cls


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.__name__)
def test_hostile_shapes_are_refused(cls: type) -> None:
    topics, raw = _good(cls)
    assert isinstance(pe.decode(topics, raw), cls)  # the control
    hostile: list[tuple[list[Any], Any]] = [
        (topics, raw[:-1]),  # one byte short
        (topics, raw + b"\x00"),  # one byte long
        (topics, raw[:-32]),  # a word short
        (topics, raw + bytes(32)),  # a word too long
        (topics, b""),
        (topics, "0x" + raw.hex() + "0"),  # odd hex
        (topics, "0xzz"),
        (topics, None),
        ([*topics, "0x" + "00" * 32], raw),  # a topic too many
    ]
    if len(topics) > 1:
        hostile.append(([*topics[:-1], "0x" + "00" * 31], raw))  # a topic of 31 bytes
        hostile.append(([*topics[:-1], 5], raw))  # a topic that is no word at all
        hostile.append((topics[:-1], raw))  # an indexed field missing
        hostile.append((topics[:1], raw))  # only topic 0, where no hint is involved
    for bad_topics, bad_data in hostile:
        with pytest.raises(pe.BadEvent):
            pe.decode(bad_topics, bad_data)
        assert pe.try_decode(bad_topics, bad_data) is None


def _bad_words(abi_type: str, kind: str) -> list[int]:
    """Words (as unsigned 256-bit ints) a field of this type and kind must refuse."""
    if abi_type == "address":
        return [1 << 160, (1 << 256) - 1]
    if abi_type in ("bytes32", "uint256", "int256"):
        return []  # every word is one
    bits = int(abi_type.lstrip("uint"))
    if abi_type.startswith("uint"):
        out = [1 << bits, (1 << 256) - 1]
        if kind == PRICE:
            out += [0, MIN_SQRT - 1, MAX_SQRT]
        return out
    out = [1 << (bits - 1), (1 << 256) - (1 << (bits - 1)) - 1, 1 << 255]  # max + 1, min - 1, a half-extended sign
    if kind in (TICK, LOWER, UPPER):
        out += [MAX_TICK + 1, (1 << 256) + MIN_TICK - 1]
    return out


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.__name__)
def test_words_out_of_their_range_are_refused(cls: type) -> None:
    topics, raw = _good(cls)
    indexed, data = LAYOUTS[cls]
    tried = 0
    for i, (abi_type, kind) in enumerate(indexed):
        for word in _bad_words(abi_type, kind):
            bad = list(topics)
            bad[1 + i] = "0x" + word.to_bytes(32, "big").hex()
            with pytest.raises(pe.BadEvent, match=r"\."):
                pe.decode(bad, raw)
            tried += 1
    for i, (abi_type, kind) in enumerate(data):
        for word in _bad_words(abi_type, kind):
            bad_raw = raw[: 32 * i] + word.to_bytes(32, "big") + raw[32 * i + 32 :]
            with pytest.raises(pe.BadEvent, match=r"\."):
                pe.decode(topics, bad_raw)
            tried += 1
    assert tried > 0, cls  # every event has a bounded field (an address or a narrow int): the loop ran


@pytest.mark.parametrize("cls", [pe.V3Mint, pe.V3Burn, pe.V4ModifyLiquidity], ids=lambda c: c.__name__)
def test_a_position_range_must_be_ordered(cls: type) -> None:
    indexed, _ = LAYOUTS[cls]
    topics, raw = _good(cls)
    for lower, upper in ((60, 60), (60, -60)):
        if indexed[1][1] == LOWER:  # V3: ticks indexed
            bad_topics = [*topics[:2], "0x" + encode(["int24"], [lower]).hex(), "0x" + encode(["int24"], [upper]).hex()]
            bad = (bad_topics, raw)
        else:
            bad = (topics, encode(["int24", "int24"], [lower, upper]) + raw[64:])
        with pytest.raises(pe.BadEvent, match="tickLower"):
            pe.decode(*bad)


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.__name__)
def test_another_events_topic_is_never_that_event(cls: type) -> None:
    topics, raw = _good(cls)
    for other in EVENTS:
        if other is cls:
            continue
        swapped = [other.TOPIC, *topics[1:]]
        with pytest.raises(pe.BadEvent):
            pe.decode_as(cls, swapped, raw)
        found = pe.try_decode(swapped, raw)
        # Where two events share a shape (V2 Swap and V3 Flash, say) the topic decides: never `cls`.
        assert found is None or type(found) is other
    with pytest.raises(pe.BadEvent):
        pe.decode_as(cls, [], raw)


def test_logs_of_other_events_are_none_not_errors() -> None:
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    assert pe.decode([transfer, "0x" + "00" * 32, "0x" + "00" * 32], b"\x00" * 31) is None
    assert pe.decode([], b"") is None
    assert pe.decode(["not hex"], b"") is None


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.__name__)
def test_a_hint_may_withhold_the_indexed_topics_and_nothing_else(cls: type) -> None:
    topics, raw = _good(cls)
    indexed, _ = LAYOUTS[cls]
    full = pe.decode(topics, raw)
    assert pe.decode(topics, raw, withheld_ok=True) == full
    alone = pe.decode(topics[:1], raw, withheld_ok=True)
    assert alone is not None and type(alone) is cls
    values = astuple(alone)
    assert values[: len(indexed)] == (None,) * len(indexed)  # indexed fields unknown, not guessed
    assert values[len(indexed) :] == astuple(full)[len(indexed) :]
    if len(topics) > 2:
        with pytest.raises(pe.BadEvent):
            pe.decode(topics[:2], raw, withheld_ok=True)  # part of them: not a hint's shape
    with pytest.raises(pe.BadEvent):
        pe.decode(topics[:1], raw[:-1], withheld_ok=True)  # the data is still exact
