"""Revert data made readable: the executor's custom errors by name with their arguments, Solidity's
Error(string) and Panic(uint256). Pure; every place that shows a revert (simulation, logs, audit, reports,
CLI) uses this one decoder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address


def selector(signature: str) -> str:
    """The 4-byte selector of a function or error signature, as 0x-hex."""
    return "0x" + keccak(text=signature)[:4].hex()


# The executor's custom errors (contracts/src/ArbExecutor.sol; a unit test keeps this list complete),
# one older spelling still found on deployed executors, and Solidity's built-in two.
EXECUTOR_ERRORS = (
    "NotOwner(address)",
    "NotPendingOwner(address)",
    "NotGuardianOrOwner(address)",
    "NotCaller(address)",
    "ExecutorPaused()",
    "ZeroAddress()",
    "UnexpectedETH(address)",
    "Reentrancy()",
    "RouteLength(uint256,uint256)",
    "HopCount(uint256)",
    "ZeroAmount()",
    "UnknownCapital(uint256)",
    "BadHopFlags(uint256,uint256)",
    "BadFee(uint256,uint256)",
    "BadCapitalForHop(uint256,uint256)",
    "BadBuilderShare(uint256,address)",
    "BuilderShareAboveCap(uint256,uint256)",
    "BadBuilderShareCap(uint256)",
    "TokenMismatch(uint256,address,address)",
    "BadLender(address)",
    "BadPool(address)",
    "AmountTooLarge(uint256,uint256)",
    "NoOutput(uint256)",
    "HopInputMismatch(uint256,uint256,uint256)",
    "NoCallback(address)",
    "CallbackMismatch(address)",
    "UnexpectedCallback(address)",
    "Unprofitable(uint256,uint256)",
    "BalanceDecreased(address,uint256,uint256)",
    "TransferFailed(address)",
    "BadRoute(string)",  # executors deployed before the named route errors
    # Uniswap V4's PoolManager, bubbling up through a V4 hop.
    "CurrencyNotSettled()",
    "PoolNotInitialized()",
    "PriceLimitAlreadyExceeded(uint160,uint160)",
    "WrappedError(address,bytes4,bytes,bytes)",
    "Error(string)",
    "Panic(uint256)",
)


def _split_signature(signature: str) -> tuple[str, list[str]]:
    name, _, rest = signature.partition("(")
    inner = rest[:-1]
    return name, [t for t in inner.split(",") if t]


_PANICS = {
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialized function",
}


def decode_revert(data: bytes | str | None, signatures: Iterable[str] = EXECUTOR_ERRORS) -> str:
    """A readable revert reason from revert data: `Unprofitable(balanceAfter=…, required=…)`,
    `Error("…")`, `Panic(0x11: arithmetic overflow or underflow)`, or the raw bytes when unknown."""
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            data = bytes.fromhex(text)
        except ValueError:
            return f"unreadable revert data {data[:80]!r}"
    if not data:
        return "reverted without data"
    sel = "0x" + data[:4].hex()
    for sig in signatures:
        if selector(sig) != sel:
            continue
        name, types = _split_signature(sig)
        try:
            values = tuple(abi_decode(list(types), data[4:]))
        except Exception:  # malformed arguments: still name the error
            return f"{name}(<undecodable arguments 0x{data[4:].hex()}>)"
        if name == "Error":
            return f'Error("{values[0]}")'
        if name == "Panic":
            code = int(values[0])
            return f"Panic(0x{code:02x}: {_PANICS.get(code, 'unknown panic code')})"
        shown = ", ".join(_show(v) for v in values)
        return f"{name}({shown})"
    return f"unknown error {sel} (0x{data.hex()})"


def _show(value: Any) -> str:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
