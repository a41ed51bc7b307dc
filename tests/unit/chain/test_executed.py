"""The one decoder of the executor's `Executed` event: exact on the real layout, and hostile logs are rejected."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import event_abi_to_log_topic, to_checksum_address
from hexbytes import HexBytes
from hypothesis import given
from hypothesis import strategies as st

from arbbot.chain.executed import EXECUTED_TOPIC, decode_executed, executed_in
from arbbot.compiled import EXECUTOR, contracts

EXEC = to_checksum_address("0x" + "e1" * 20)
OTHER = to_checksum_address("0x" + "0b" * 20)
TOKEN = to_checksum_address("0x" + "c0" * 20)
U256 = st.integers(0, 2**256 - 1)


def _token_topic(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _log(data: bytes, topics: list[Any] | None = None, address: str = EXEC, as_hex: bool = True) -> dict[str, Any]:
    topics = [EXECUTED_TOPIC, _token_topic(TOKEN)] if topics is None else topics
    if as_hex:
        return {
            "address": address.lower(),
            "topics": ["0x" + bytes(t).hex() for t in topics],
            "data": "0x" + data.hex(),
        }
    return {"address": address, "topics": [HexBytes(t) for t in topics], "data": HexBytes(data)}


def test_topic_is_the_shipped_executors_event() -> None:
    (event,) = [e for e in contracts()[EXECUTOR].abi if e.get("type") == "event" and e["name"] == "Executed"]
    assert event_abi_to_log_topic(event) == EXECUTED_TOPIC
    assert [(i["type"], i["indexed"]) for i in event["inputs"]] == [
        ("address", True),
        ("uint256", False),
        ("uint256", False),
        ("uint256", False),
    ]


@given(U256, U256, U256, st.booleans())
def test_well_formed_event_decodes_exactly(amount_in: int, profit: int, payment: int, as_hex: bool) -> None:
    log = _log(encode(["uint256"] * 3, [amount_in, profit, payment]), as_hex=as_hex)
    event = executed_in([log], EXEC)
    assert event is not None
    assert (event.token, event.amount_in, event.profit, event.builder_payment) == (TOKEN, amount_in, profit, payment)


GOOD = encode(["uint256"] * 3, [10**18, 77, 11])


@pytest.mark.parametrize(
    "log",
    [
        pytest.param(_log(GOOD[:95]), id="data one byte short"),
        pytest.param(_log(GOOD[:64]), id="data two words"),
        pytest.param(_log(b""), id="data empty"),
        pytest.param(_log(GOOD + bytes(32)), id="data a word too long"),
        pytest.param(_log(GOOD + b"\x01"), id="data one byte too long"),
        pytest.param({**_log(GOOD), "data": "0xzz"}, id="data not hex"),
        pytest.param({**_log(GOOD), "data": GOOD.hex()}, id="data hex without 0x"),
        pytest.param({**_log(GOOD), "data": None}, id="data missing"),
        pytest.param(_log(GOOD, [EXECUTED_TOPIC]), id="token topic missing"),
        pytest.param(_log(GOOD, [EXECUTED_TOPIC, _token_topic(TOKEN), bytes(32)]), id="three topics"),
        pytest.param(_log(GOOD, []), id="no topics"),
        pytest.param(_log(GOOD, [EXECUTED_TOPIC, b"\xff" * 12 + bytes.fromhex(TOKEN[2:])]), id="dirty token word"),
        pytest.param(_log(GOOD, [EXECUTED_TOPIC, bytes.fromhex(TOKEN[2:])]), id="token topic 20 bytes"),
        pytest.param(_log(GOOD, [bytes(32), _token_topic(TOKEN)]), id="another event"),
        pytest.param(_log(GOOD, [EXECUTED_TOPIC[:31], _token_topic(TOKEN)]), id="topic truncated"),
        pytest.param(_log(GOOD, address=OTHER), id="another contract"),
        pytest.param({**_log(GOOD), "address": None}, id="no address"),
        pytest.param({**_log(GOOD), "topics": "0x" + EXECUTED_TOPIC.hex()}, id="topics a string"),
    ],
)
def test_hostile_logs_are_rejected(log: dict[str, Any]) -> None:
    assert executed_in([log], EXEC) is None
    assert decode_executed(log["address"], log["topics"] or [], log["data"], EXEC) is None


def test_a_forged_event_from_another_contract_does_not_hide_or_replace_ours() -> None:
    ours = _log(encode(["uint256"] * 3, [5, 6, 7]))
    forged = _log(encode(["uint256"] * 3, [10**30, 10**30, 0]), address=OTHER)
    short = _log(encode(["uint256"] * 3, [1, 2, 3])[:80])
    for logs in ([ours, forged], [forged, ours], [ours, short]):
        event = executed_in(logs, EXEC)
        assert event is not None and (event.amount_in, event.profit, event.builder_payment) == (5, 6, 7)
