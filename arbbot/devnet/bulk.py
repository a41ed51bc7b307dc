"""Send many transactions fast: explicit nonces and gas, automine off, JSON-RPC batches, then mine.

Used to build large replica scenarios (thousands of pools) in seconds instead of minutes. Every
transaction is still a real transaction against the real bytecode; receipts are checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_bytes, to_checksum_address

from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.errors import DevnetError

# JSON-RPC calls per HTTP request: nodes cap the request body size (large deploy payloads add up).
RPC_BATCH = 50
# Block gas limit while bulk-building: large blocks mean few blocks in the snapshot's history.
BULK_BLOCK_GAS = 1_000_000_000


def create_address(sender: str, nonce: int) -> ChecksumAddress:
    """The address a CREATE from `sender` at `nonce` deploys to."""
    return to_checksum_address(keccak(rlp.encode([to_bytes(hexstr=sender), nonce]))[12:])


@dataclass
class _Tx:
    to: str | None
    data: str
    gas: int
    value: int
    what: str


class BulkSender:
    """Queues transactions from one unlocked node account with explicit nonces and gas, and sends them in JSON-RPC
    batches with automine off, mining until all are in blocks.

    For replica building on anvil only. Each flush raises `DevnetError` naming the transaction if the node refuses
    one or one does not succeed, and restores the node's automine and block gas limit whatever happens.
    """

    def __init__(self, rpc: RpcClient, sender: str, batch: int = 500, block_gas: int = BULK_BLOCK_GAS) -> None:
        self.rpc = rpc
        self.sender = sender
        self.batch = batch
        # Everything queued must fit one block: anvil drops what a mined block cannot hold.
        self.block_gas = block_gas
        self._queued_gas = 0
        self.normal_gas = int(rpc.call("eth_getBlockByNumber", ["latest", False])["gasLimit"], 16)
        self.nonce = int(rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
        self._queue: list[tuple[int, _Tx]] = []

    def send(self, to: str | None, data: str, gas: int, value: int = 0, what: str = "") -> int:
        """Queue a transaction; returns its nonce (a deployment lands at create_address(sender, nonce))."""
        if self._queue and (len(self._queue) >= self.batch or self._queued_gas + gas > self.block_gas):
            self.flush()
        nonce = self.nonce
        self._queue.append((nonce, _Tx(to, data, gas, value, what)))
        self._queued_gas += gas
        self.nonce += 1
        return nonce

    def flush(self) -> None:
        """Send everything queued, mine it and check every receipt (see the class docstring); does nothing when the
        queue is empty.
        """
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        self._queued_gas = 0
        calls = []
        for nonce, tx in queue:
            body = {
                "from": self.sender,
                "data": tx.data,
                "gas": hex(tx.gas),
                "nonce": hex(nonce),
                "value": hex(tx.value),
            }
            if tx.to is not None:
                body["to"] = tx.to
            calls.append(("eth_sendTransaction", [body]))
        self.rpc.call("evm_setAutomine", [False])
        self.rpc.call("anvil_setBlockGasLimit", [hex(self.block_gas)])
        try:
            hashes = [h for i in range(0, len(calls), RPC_BATCH) for h in self.rpc.batch(calls[i : i + RPC_BATCH])]
            for (_, tx), h in zip(queue, hashes, strict=True):
                if isinstance(h, RpcError):
                    raise DevnetError(f"bulk send of {tx.what or 'transaction'} rejected: {h.message}")
            # Mine until every queued transaction is in a block (each block is gas-limited).
            for _ in range(len(queue) + 1):
                self.rpc.call("evm_mine")
                status = self.rpc.call("txpool_status")
                if int(status["pending"], 16) == 0 and int(status["queued"], 16) == 0:
                    break
            else:
                raise DevnetError("bulk send: transactions still pending after mining")
        finally:
            self.rpc.call("anvil_setBlockGasLimit", [hex(self.normal_gas)])
            self.rpc.call("evm_setAutomine", [True])
        lookups = [("eth_getTransactionReceipt", [h]) for h in hashes]
        receipts = [r for i in range(0, len(lookups), RPC_BATCH) for r in self.rpc.batch(lookups[i : i + RPC_BATCH])]
        for (_, tx), receipt in zip(queue, receipts, strict=True):
            if isinstance(receipt, RpcError) or receipt is None or receipt.get("status") != "0x1":
                detail = (
                    receipt.message if isinstance(receipt, RpcError) else (receipt or {}).get("status", "not mined")
                )
                raise DevnetError(f"bulk send: {tx.what or 'transaction'} failed ({detail})")
