"""What the audit reads from a node: transactions, receipts, blocks, balances, pool tokens, call traces.

Cached per instance (a finished block does not change); one instance per audit run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from arbbot.audit import abi
from arbbot.chain.rpc import RpcClient, RpcError

_TOKEN0, _TOKEN1 = abi.selector("token0()"), abi.selector("token1()")
_SYMBOL, _WETH = abi.selector("symbol()"), abi.selector("weth()")
_DECIMALS = abi.selector("decimals()")
# How nodes say a method does not exist or is switched off (geth, erigon, hosted providers, anvil).
_UNSUPPORTED_CODES = {-32601, -32600, -32004}
_UNSUPPORTED_WORDS = ("not found", "not supported", "does not exist", "not available", "unsupported", "disabled")


def _hex(n: int) -> str:
    return hex(n)


class ChainReader:
    """The audit's reads of the chain through the node transport, with per-audit caches (blocks, pool tokens,
    symbols)."""

    def __init__(self, rpc: RpcClient, *, trace: bool = True) -> None:
        self.rpc = rpc
        self.trace_supported: bool | None = None if trace else False  # None: not asked yet
        self.trace_unsupported_reason = "" if trace else "call traces switched off (--no-trace)"
        self._pool_tokens: dict[str, tuple[str, str] | None] = {}
        self._symbols: dict[str, str | None] = {}
        self._decimals: dict[str, int | None] = {}
        self._weth: dict[str, str | None] = {}
        self._blocks: dict[int, dict[str, Any]] = {}
        self._chain_id: int | None = None

    @property
    def chain_id(self) -> int:
        """The node's chain id (asked once)."""
        if self._chain_id is None:
            self._chain_id = int(self.rpc.call("eth_chainId"), 16)
        return self._chain_id

    def head(self) -> int:
        """The node's head block number."""
        return self.rpc.block_number()

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        """The transaction object, or None if the node does not know it."""
        return self.rpc.call("eth_getTransactionByHash", [tx_hash])

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The receipt, or None if the transaction is not mined (or unknown)."""
        return self.rpc.call("eth_getTransactionReceipt", [tx_hash])

    def block(self, number: int) -> dict[str, Any]:
        """Block `number` with its full transactions (cached); RpcError if the node does not have it."""
        if number not in self._blocks:
            block = self.rpc.call("eth_getBlockByNumber", [_hex(number), True])
            if block is None:
                raise RpcError("eth_getBlockByNumber", None, f"block {number} not found")
            self._blocks[number] = block
        return self._blocks[number]

    def blocks(self, numbers: Sequence[int]) -> list[dict[str, Any]]:
        """Full blocks (transactions included), fetched in batches and not cached (range scans)."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(numbers), 50):
            chunk = numbers[i : i + 50]
            answers = self.rpc.batch([("eth_getBlockByNumber", [_hex(n), True]) for n in chunk])
            for n, block in zip(chunk, answers, strict=True):
                if isinstance(block, RpcError) or block is None:
                    raise RpcError("eth_getBlockByNumber", None, f"block {n}: {block or 'not found'}")
                out.append(block)
        return out

    def block_receipts(self, number: int) -> list[dict[str, Any]]:
        """Every receipt of block `number`, by `eth_getBlockReceipts` where the node has it, else one at a time."""
        try:
            found = self.rpc.call("eth_getBlockReceipts", [_hex(number)])
            if isinstance(found, list):
                return found
        except RpcError:
            pass  # older nodes: one receipt at a time
        return [self.receipt(tx["hash"]) or {} for tx in self.block(number)["transactions"]]

    def balance(self, address: str, block: int) -> int:
        """The ETH balance of `address` at the end of `block`, wei."""
        return int(self.rpc.call("eth_getBalance", [address, _hex(block)]), 16)

    def code(self, address: str, block: int) -> bytes:
        """The code at `address` at `block`; empty when the node keeps no state that far back."""
        try:
            return bytes.fromhex(self.rpc.call("eth_getCode", [address, _hex(block)])[2:])
        except RpcError:
            return b""  # no state kept that far back: treat as not deployed yet

    def call(self, to: str, data: str, block: int) -> bytes:
        """The return data of an `eth_call` to `to` with `data` (0x-hex) on the state at the end of `block`."""
        return bytes.fromhex(self.rpc.call("eth_call", [{"to": to, "data": data}, _hex(block)])[2:])

    def _address_call(self, to: str, data: str, block: int) -> str | None:
        try:
            out = self.call(to, data, block)
        except RpcError:
            return None
        if len(out) != 32 or any(out[:12]):
            return None
        return to_checksum_address(out[12:])

    def pool_tokens(self, pool: str, block: int) -> tuple[str, str] | None:
        """A pool's (token0, token1) as its `token0()`/`token1()` answer (cached); None if it does not answer both."""
        if pool not in self._pool_tokens:
            t0, t1 = self._address_call(pool, _TOKEN0, block), self._address_call(pool, _TOKEN1, block)
            self._pool_tokens[pool] = (t0, t1) if t0 and t1 else None
        return self._pool_tokens[pool]

    def weth_of(self, executor: str, block: int) -> str | None:
        """The WETH an executor was built with, from its `weth()` view (cached); None if it has none."""
        if executor not in self._weth:
            self._weth[executor] = self._address_call(executor, _WETH, block)
        return self._weth[executor]

    def symbol(self, token: str, block: int) -> str | None:
        """symbol() as a string (bytes32 symbols too), None if the token has none."""
        if token not in self._symbols:
            try:
                out = self.call(token, _SYMBOL, block)
            except RpcError:
                out = b""
            sym: str | None = None
            if len(out) == 32:
                sym = out.rstrip(b"\x00").decode("utf-8", "replace") or None
            elif len(out) >= 64:
                try:
                    sym = abi_decode(["string"], out)[0] or None
                except Exception:
                    sym = None
            self._symbols[token] = sym
        return self._symbols[token]

    def decimals(self, token: str, block: int) -> int | None:
        """decimals() as an int, None if the token has none (reverts, or answers something not a uint8)."""
        if token not in self._decimals:
            try:
                out = self.call(token, _DECIMALS, block)
            except RpcError:
                out = b""
            value = int.from_bytes(out[:32], "big") if len(out) >= 32 else None
            self._decimals[token] = value if value is not None and value <= 255 else None
        return self._decimals[token]

    def trace(self, tx_hash: str) -> dict[str, Any] | None:
        """The callTracer frame tree, or None when the node offers no traces (remembered, with why)."""
        if self.trace_supported is False:
            return None
        try:
            frame = self.rpc.call("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        except RpcError as exc:
            if exc.code in _UNSUPPORTED_CODES or any(w in exc.message.lower() for w in _UNSUPPORTED_WORDS):
                self.trace_supported = False
                self.trace_unsupported_reason = f"the node has no debug_traceTransaction ({exc.message})"
                return None
            raise
        self.trace_supported = True
        return frame if isinstance(frame, dict) else None

    def replay_revert(self, tx: dict[str, Any], block: int) -> bytes | None:
        """Revert data of `tx` replayed with eth_call on the state of `block` (None: it did not revert)."""
        call = {"from": tx["from"], "to": tx["to"], "data": tx.get("input") or tx.get("data") or "0x"}
        call["gas"] = tx["gas"]
        if int(tx.get("value") or "0x0", 16):
            call["value"] = tx["value"]
        try:
            self.rpc.call("eth_call", [call, _hex(block)])
        except RpcError as exc:
            data = exc.data
            if isinstance(data, dict):
                data = data.get("data")
            if isinstance(data, str) and data.startswith("0x"):
                return bytes.fromhex(data[2:])
            return b""
        return None
