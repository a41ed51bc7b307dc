"""The executor's `Executed(address indexed token, uint256 amountIn, uint256 profit, uint256 builderPayment)`
event and its one decoder, shared by the simulators, the submitters and the audit.

Logs are untrusted: any contract can emit a log with this topic, and a node can hand back a truncated or
padded one. A log is taken only when it comes from the executor asked about and has exactly the event's
shape (two topics, the token a clean 20-byte word, 96 bytes of data); anything else is rejected (`None`),
never decoded from whatever bytes happen to be there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address

from arbbot.chain.logdata import as_bytes as _bytes

EXECUTED_TOPIC = keccak(text="Executed(address,uint256,uint256,uint256)")
EXECUTED_TOPIC_HEX = "0x" + EXECUTED_TOPIC.hex()
DATA_SIZE = 96  # three uint256 words, none indexed


@dataclass(frozen=True)
class Executed:
    """What the executor reported for one `execute` call; amounts in the route's token, raw units."""

    token: str  # checksummed
    amount_in: int
    profit: int  # after the builder payment, as the event reports it
    builder_payment: int  # ETH to block.coinbase: a WETH route's share of profit, or the ETH attached


def decode_executed(address: object, topics: Sequence[object], data: object, executor: str) -> Executed | None:
    """The `Executed` event carried by one log, or `None` when the log is not exactly that event of `executor`.

    `address` is the emitter; `topics` and `data` may be bytes or 0x-hex strings. Rejected: another emitter, another
    first topic, a topic count other than two, a token topic whose upper 12 bytes are not zero, data not exactly
    96 bytes long, or fields that are not bytes or hex."""
    if not isinstance(address, str) or address.lower() != executor.lower() or len(topics) != 2:
        return None
    head, token_word = _bytes(topics[0]), _bytes(topics[1])
    raw = _bytes(data)
    if head != EXECUTED_TOPIC or token_word is None or raw is None:
        return None
    if len(token_word) != 32 or any(token_word[:12]) or len(raw) != DATA_SIZE:
        return None
    amount_in, profit, payment = (int.from_bytes(raw[i : i + 32], "big") for i in (0, 32, 64))
    return Executed(to_checksum_address(token_word[12:]), amount_in, profit, payment)


def _field(log: object, name: str) -> Any:
    if isinstance(log, Mapping):
        return log.get(name)
    return getattr(log, name, None)


def executed_in(logs: Iterable[object], executor: str) -> Executed | None:
    """The last well-formed `Executed` event of `executor` among `logs` (receipt log dicts, web3 log records or
    any object with `address`, `topics` and `data`); `None` when there is none."""
    found: Executed | None = None
    for log in logs:
        topics = _field(log, "topics")
        if not isinstance(topics, Sequence) or isinstance(topics, str | bytes):
            continue
        event = decode_executed(_field(log, "address"), topics, _field(log, "data"), executor)
        if event is not None:
            found = event
    return found
