"""What a well-formed answer to each node method looks like.

A node behind a flaky proxy, or a hostile one, can answer HTTP 200 with a JSON-RPC envelope around a
`null`, a quantity that is not hex or a log without topics. Consumers would then fail far from the cause,
or worse, treat `null` logs as "no logs" and drift from the chain. The transport checks each answer of the
methods below and treats a bad one like a garbled body: counted as malformed and asked again.

Only what consumers rely on is checked; unknown methods pass unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_HEX = re.compile(r"0x[0-9a-fA-F]*")
# Leading zeros are tolerated (some nodes send them); an empty or non-hex quantity never is.
_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class BadShape(ValueError):
    """An answer that is valid JSON-RPC but not what the method returns."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "…"


def quantity(value: Any, what: str = "result") -> int:
    """A JSON-RPC quantity ("0x1a") as an int; anything else raises BadShape."""
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise BadShape(f"{what} is not a hex quantity: {_show(value)}")
    return int(value, 16)


def data(value: Any, what: str = "result") -> str:
    """`value` itself if it is 0x-prefixed hex of whole bytes; BadShape naming `what` otherwise."""
    if not isinstance(value, str) or not _HEX.fullmatch(value) or len(value) % 2:
        raise BadShape(f"{what} is not 0x-prefixed hex data: {_show(value)}")
    return value


def _hash(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise BadShape(f"{what} is not a 32-byte hash: {_show(value)}")


def _address(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise BadShape(f"{what} is not an address: {_show(value)}")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadShape(f"{what} is not an object: {_show(value)}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadShape(f"{what} is not a list: {_show(value)}")
    return value


def storage_word(value: Any) -> None:
    """Check a storage word: hex data of at most 32 bytes."""
    data(value)
    if len(value) > 66:
        raise BadShape(f"storage word longer than 32 bytes: {_show(value)}")


def header(value: Any, what: str = "block") -> None:
    """Check a block header: number, timestamp, hash and parent hash present and well formed (gas fields when given)."""
    obj = _object(value, what)
    quantity(obj.get("number"), f"{what}.number")
    quantity(obj.get("timestamp"), f"{what}.timestamp")
    _hash(obj.get("hash"), f"{what}.hash")
    _hash(obj.get("parentHash"), f"{what}.parentHash")
    for key in ("gasLimit", "gasUsed", "baseFeePerGas"):
        if obj.get(key) is not None:
            quantity(obj[key], f"{what}.{key}")


def block_or_null(value: Any) -> None:
    """Check a block answer: a header, or null for a block that does not exist (yet)."""
    if value is not None:  # null: no such block (yet), a legitimate answer
        header(value)


def log_entry(value: Any, what: str = "log") -> None:
    """Check one log: emitter address, 32-byte topics, hex data and, when present, its position fields."""
    obj = _object(value, what)
    _address(obj.get("address"), f"{what}.address")
    for i, topic in enumerate(_list(obj.get("topics"), f"{what}.topics")):
        _hash(topic, f"{what}.topics[{i}]")
    data(obj.get("data"), f"{what}.data")
    for key in ("blockNumber", "logIndex", "transactionIndex"):
        if obj.get(key) is not None:
            quantity(obj[key], f"{what}.{key}")
    if obj.get("blockHash") is not None:
        _hash(obj["blockHash"], f"{what}.blockHash")


def logs(value: Any) -> None:
    """Check an `eth_getLogs` answer: a list of logs (null is refused, not read as "no logs")."""
    # `null` is not "no logs": taking it as such would silently drop state changes.
    for i, entry in enumerate(_list(value, "logs")):
        log_entry(entry, f"logs[{i}]")


def tx_or_null(value: Any) -> None:
    """Check a transaction answer (null: unknown transaction): its hash and, when present, sender and input."""
    if value is None:
        return
    obj = _object(value, "transaction")
    _hash(obj.get("hash"), "transaction.hash")
    if obj.get("from") is not None:
        _address(obj["from"], "transaction.from")
    if obj.get("input") is not None:
        data(obj["input"], "transaction.input")
    for key in ("nonce", "value", "gas"):
        if obj.get(key) is not None:
            quantity(obj[key], f"transaction.{key}")


def txpool(value: Any) -> None:
    """Check a `txpool_content` answer: `pending` (and `queued`) map sender to nonce to a full transaction."""
    obj = _object(value, "result")
    for part in ("pending", "queued"):
        by_sender = _object(obj.get(part, {}), part)
        for sender, by_nonce in by_sender.items():
            _address(sender, f"{part} sender")
            for nonce, tx in _object(by_nonce, f"{part}[{sender}]").items():
                where = f"{part}[{sender}][{nonce}]"
                if tx is None:
                    raise BadShape(f"{where} is null")
                try:
                    tx_or_null(tx)
                except BadShape as exc:
                    raise BadShape(f"{where}: {exc}") from None


def receipt_or_null(value: Any) -> None:
    """Check a receipt answer (null: not mined yet): its quantities and its logs."""
    if value is None:
        return
    obj = _object(value, "receipt")
    for key in ("status", "gasUsed", "blockNumber", "transactionIndex"):
        if obj.get(key) is not None:
            quantity(obj[key], f"receipt.{key}")
    for i, entry in enumerate(_list(obj.get("logs", []), "receipt.logs")):
        log_entry(entry, f"receipt.logs[{i}]")


def hashes(value: Any) -> None:
    """Check a filter's changes: transaction hashes, or log objects for a log filter."""
    for i, item in enumerate(_list(value, "result")):
        # Pending-transaction filters answer hashes; log filters answer log objects.
        if isinstance(item, dict):
            log_entry(item, f"result[{i}]")
        else:
            _hash(item, f"result[{i}]")


def raw_tx_or_null(value: Any) -> None:
    """Check a raw transaction answer: hex data, or null when the node does not have it."""
    if value is not None:
        data(value)


def access_list(value: Any) -> None:
    """Check an `eth_createAccessList` answer: addresses and 32-byte storage keys."""
    obj = _object(value, "result")
    for i, entry in enumerate(_list(obj.get("accessList"), "accessList")):
        item = _object(entry, f"accessList[{i}]")
        _address(item.get("address"), f"accessList[{i}].address")
        for j, key in enumerate(_list(item.get("storageKeys", []), f"accessList[{i}].storageKeys")):
            _hash(key, f"accessList[{i}].storageKeys[{j}]")


def identifier(value: Any) -> None:
    """Subscription and filter ids: opaque, non-empty strings."""
    if not isinstance(value, str) or not value or len(value) > 130:
        raise BadShape(f"id is not a short string: {_show(value)}")


CHECKS: dict[str, Callable[[Any], object]] = {
    "eth_blockNumber": quantity,
    "eth_chainId": quantity,
    "eth_gasPrice": quantity,
    "eth_maxPriorityFeePerGas": quantity,
    "eth_getBalance": quantity,
    "eth_getTransactionCount": quantity,
    "eth_estimateGas": quantity,
    "eth_getStorageAt": storage_word,
    "eth_getCode": data,
    "eth_call": data,
    "eth_getBlockByNumber": block_or_null,
    "eth_getBlockByHash": block_or_null,
    "eth_getLogs": logs,
    "eth_getTransactionByHash": tx_or_null,
    "eth_getRawTransactionByHash": raw_tx_or_null,
    "eth_getTransactionReceipt": receipt_or_null,
    "eth_getFilterChanges": hashes,
    "txpool_content": txpool,
    "eth_createAccessList": access_list,
    "eth_subscribe": identifier,
    "eth_newPendingTransactionFilter": identifier,
}


def check(method: str, result: Any) -> None:
    """Raise BadShape if `result` is not what `method` answers (unknown methods are not checked)."""
    fn = CHECKS.get(method)
    if fn is not None:
        fn(result)
