"""The Balancer V2 events with dynamic arrays, a bool, an enum or an id bound to an address, and a composable stable
pool's own (amplification ramps, rate caches): logs built with the real
ABI encoder (eth_abi) decode to their records; every other shape (offsets the encoder does not write, arrays of
different or oversized lengths, bytes past the last array, a bool or specialization out of range, an id that does not
carry the pool's address) raises BadEvent; and any byte flipped in a good log either still decodes to the log the
encoder would write for the record, or is refused, never read from whatever bytes are there."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.chain import pool_events as pe

POOL = "0x" + "ab" * 20
TOKEN_A, TOKEN_B, TOKEN_C = ("0x" + c * 40 for c in "123")


def _id(address: str = POOL, specialization: int = 1, nonce: int = 7) -> str:
    return "0x" + address[2:].lower() + specialization.to_bytes(2, "big").hex() + nonce.to_bytes(10, "big").hex()


def _addr_topic(address: str) -> str:
    return "0x" + encode(["address"], [address]).hex()


def _balance_changed(tokens: list[str], deltas: list[int], fees: list[int]) -> tuple[list[str], bytes]:
    topics = [pe.BalancerPoolBalanceChanged.TOPIC, _id(), _addr_topic(TOKEN_C)]
    return topics, encode(["address[]", "int256[]", "uint256[]"], [tokens, deltas, fees])


def _tokens_registered(tokens: list[str], managers: list[str]) -> tuple[list[str], bytes]:
    return [pe.BalancerTokensRegistered.TOPIC, _id()], encode(["address[]", "address[]"], [tokens, managers])


_addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(0, 8))
def test_balance_changes_round_trip(data: st.DataObject, n: int) -> None:
    tokens = data.draw(st.lists(_addresses, min_size=n, max_size=n))
    deltas = data.draw(st.lists(st.integers(-(2**255), 2**255 - 1), min_size=n, max_size=n))
    fees = data.draw(st.lists(st.integers(0, 2**256 - 1), min_size=n, max_size=n))
    topics, raw = _balance_changed(tokens, deltas, fees)
    got = pe.decode(topics, raw)
    assert got == pe.BalancerPoolBalanceChanged(
        _id(), TOKEN_C, tuple(t.lower() for t in tokens), tuple(deltas), tuple(fees)
    )


@settings(max_examples=80, deadline=None)
@given(tokens=st.lists(_addresses, min_size=0, max_size=8), data=st.data())
def test_token_registrations_round_trip(tokens: list[str], data: st.DataObject) -> None:
    managers = data.draw(st.lists(_addresses, min_size=len(tokens), max_size=len(tokens)))
    topics, raw = _tokens_registered(tokens, managers)
    assert pe.decode(topics, raw) == pe.BalancerTokensRegistered(
        _id(), tuple(t.lower() for t in tokens), tuple(m.lower() for m in managers)
    )
    gone = pe.decode([pe.BalancerTokensDeregistered.TOPIC, _id()], encode(["address[]"], [tokens]))
    assert gone == pe.BalancerTokensDeregistered(_id(), tuple(t.lower() for t in tokens))


def test_fixed_shape_events_decode() -> None:
    swap = pe.decode([pe.BalancerSwap.TOPIC, _id(), _addr_topic(TOKEN_A), _addr_topic(TOKEN_B)],
                     encode(["uint256", "uint256"], [5, 2**256 - 1]))  # fmt: skip
    assert swap == pe.BalancerSwap(_id(), TOKEN_A, TOKEN_B, 5, 2**256 - 1)
    managed = pe.decode(
        [pe.BalancerPoolBalanceManaged.TOPIC, _id(), _addr_topic(TOKEN_C), _addr_topic(TOKEN_A)],
        encode(["int256", "int256"], [-(10**20), 3]),
    )
    assert managed == pe.BalancerPoolBalanceManaged(_id(), TOKEN_C, TOKEN_A, -(10**20), 3)
    for spec in (0, 1, 2):
        reg = pe.decode([pe.BalancerPoolRegistered.TOPIC, _id(specialization=spec), _addr_topic(POOL)],
                        encode(["uint8"], [spec]))  # fmt: skip
        assert reg == pe.BalancerPoolRegistered(_id(specialization=spec), POOL, spec)
    assert pe.decode([pe.BalancerSwapFeeChanged.TOPIC], encode(["uint256"], [3 * 10**15])) == pe.BalancerSwapFeeChanged(
        3 * 10**15
    )
    for flag in (False, True):
        got = pe.decode([pe.BalancerPausedStateChanged.TOPIC], encode(["bool"], [flag]))
        assert got == pe.BalancerPausedStateChanged(flag)
    ramp = pe.decode([pe.BalancerAmpUpdateStarted.TOPIC], encode(["uint256"] * 4, [200_000, 400_000, 10, 86_410]))
    assert ramp == pe.BalancerAmpUpdateStarted(200_000, 400_000, 10, 86_410)
    stop = pe.decode([pe.BalancerAmpUpdateStopped.TOPIC], encode(["uint256"], [300_000]))
    assert stop == pe.BalancerAmpUpdateStopped(300_000)
    cache = pe.decode([pe.BalancerTokenRateCacheUpdated.TOPIC, "0x" + _word(2).hex()], encode(["uint256"], [10**18]))
    assert cache == pe.BalancerTokenRateCacheUpdated(2, 10**18)
    provider = pe.decode(
        [pe.BalancerTokenRateProviderSet.TOPIC, "0x" + _word(1).hex(), _addr_topic(TOKEN_C)], encode(["uint256"], [60])
    )
    assert provider == pe.BalancerTokenRateProviderSet(1, TOKEN_C, 60)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _hostile() -> list[tuple[str, list[str], Any]]:
    topics, good = _balance_changed([TOKEN_A, TOKEN_B], [5, -7], [0, 1])
    reg_topics, reg_good = _tokens_registered([TOKEN_A, TOKEN_B], [TOKEN_C, TOKEN_C])
    heads = good[:96]
    return [
        ("offset not the encoder's", topics, _word(0x80) + good[32:]),
        ("second offset not the encoder's", topics, good[:32] + _word(0x60) + good[64:]),
        ("offset past the data", topics, _word(2**64) + good[32:]),
        ("bytes past the last array", topics, good + bytes(32)),
        ("a byte short", topics, good[:-1]),
        ("data shorter than its heads", topics, good[:64]),
        ("no data", topics, b""),
        ("arrays of different lengths", topics, encode(["address[]", "int256[]", "uint256[]"],
                                                         [[TOKEN_A, TOKEN_B], [5], [0, 1]])),
        ("a length past the data", topics, heads + _word(3) + good[128:]),
        ("an oversized length", topics, encode(["address[]", "int256[]", "uint256[]"],
                                               [[TOKEN_A] * 51, [0] * 51, [0] * 51])),
        ("a token with high bits", topics, good[:128] + _word(2**160 + 1) + good[160:]),
        ("a topic missing", topics[:2], good),
        ("a topic too many", [*topics, _id()], good),
        ("registration arrays differ", reg_topics, encode(["address[]", "address[]"], [[TOKEN_A], []])),
        ("registration trailing word", reg_topics, reg_good + bytes(32)),
        ("paused is 2", [pe.BalancerPausedStateChanged.TOPIC], _word(2)),
        ("paused with a topic", [pe.BalancerPausedStateChanged.TOPIC, _id()], _word(1)),
        ("fee short", [pe.BalancerSwapFeeChanged.TOPIC], bytes(31)),
        ("ramp of three words", [pe.BalancerAmpUpdateStarted.TOPIC], bytes(96)),
        ("ramp with a topic", [pe.BalancerAmpUpdateStarted.TOPIC, _id()], bytes(128)),
        ("amp stop of two words", [pe.BalancerAmpUpdateStopped.TOPIC], bytes(64)),
        ("rate cache without its index", [pe.BalancerTokenRateCacheUpdated.TOPIC], _word(1)),
        ("rate cache a byte short", [pe.BalancerTokenRateCacheUpdated.TOPIC, "0x" + _word(1).hex()], bytes(31)),
        ("rate provider with high bits", [pe.BalancerTokenRateProviderSet.TOPIC, "0x" + _word(1).hex(),
                                          "0x" + _word(2**160 + 1).hex()], _word(60)),
        ("rate provider without it", [pe.BalancerTokenRateProviderSet.TOPIC, "0x" + _word(1).hex()], _word(60)),
        ("specialization 3", [pe.BalancerPoolRegistered.TOPIC, _id(specialization=3), _addr_topic(POOL)], _word(3)),
        ("specialization past uint8", [pe.BalancerPoolRegistered.TOPIC, _id(), _addr_topic(POOL)], _word(257)),
        ("id of another address", [pe.BalancerPoolRegistered.TOPIC, _id(TOKEN_A), _addr_topic(POOL)], _word(1)),
        ("id of another specialization", [pe.BalancerPoolRegistered.TOPIC, _id(specialization=2),
                                          _addr_topic(POOL)], _word(1)),
        ("swap amount in a 31-byte word", [pe.BalancerSwap.TOPIC, _id(), _addr_topic(TOKEN_A), _addr_topic(TOKEN_B)],
         bytes(63)),
    ]  # fmt: skip


@pytest.mark.parametrize("case", _hostile(), ids=lambda c: c[0])
def test_hostile_shapes_are_refused(case: tuple[str, list[str], bytes]) -> None:
    _, topics, raw = case
    with pytest.raises(pe.BadEvent):
        pe.decode(topics, raw)
    assert pe.try_decode(topics, raw) is None


def _reencode(event: pe.BalancerPoolBalanceChanged) -> bytes:
    return encode(["address[]", "int256[]", "uint256[]"],
                  [list(event.tokens), list(event.deltas), list(event.protocol_fee_amounts)])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(n=st.integers(0, 4), at=st.integers(0, 10_000), byte=st.integers(0, 255), cut=st.integers(0, 3))
def test_any_flipped_byte_decodes_canonically_or_is_refused(n: int, at: int, byte: int, cut: int) -> None:
    topics, good = _balance_changed([TOKEN_A] * n, list(range(-n, 0)), list(range(n)))
    raw = bytearray(good)
    raw[at % len(raw)] = byte
    mutated = bytes(raw[: len(raw) - 32 * cut] if cut < 3 else raw)
    try:
        event = pe.decode(topics, mutated)
    except pe.BadEvent:
        return
    assert isinstance(event, pe.BalancerPoolBalanceChanged)
    assert _reencode(event) == mutated  # what was read is exactly what the bytes encode


def test_withheld_topics_leave_indexed_fields_unknown() -> None:
    _, raw = _balance_changed([TOKEN_A], [1], [0])
    event = pe.decode([pe.BalancerPoolBalanceChanged.TOPIC], raw, withheld_ok=True)
    assert isinstance(event, pe.BalancerPoolBalanceChanged)
    assert event.pool_id is None and event.liquidity_provider is None and event.deltas == (1,)
    reg = pe.decode([pe.BalancerPoolRegistered.TOPIC], _word(1), withheld_ok=True)
    assert reg == pe.BalancerPoolRegistered(None, None, 1)
