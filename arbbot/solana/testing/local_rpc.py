"""A local Solana JSON-RPC node: a TEST DOUBLE serving a LiteSVM bank over HTTP on 127.0.0.1.

Serves the read and send methods the searcher uses, from a `LocalChain` (solders.litesvm):
getAccountInfo, getMultipleAccounts, getProgramAccounts (dataSize and memcmp filters), getBalance,
getLatestBlockhash, getSlot, simulateTransaction, sendTransaction, getSignatureStatuses.

What it does NOT emulate: commitment levels (everything is final at once), slots advancing by
themselves (only on transactions and `new_blockhash`), blockhash expiry by height (only the latest
blockhash is valid), getProgramAccounts over accounts it never wrote or saw in a transaction, any
program not built into LiteSVM (only SPL Token/ATA/Memo and the native system program execute:
venue pool accounts are plain data here), websockets, and the rest of the RPC method set.
"""

from __future__ import annotations

import base64
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from arbbot.solana.testing.jsonrpc_server import JsonRpcServer, RpcFailure
from arbbot.solana.testing.local_chain import LocalChain

BLOCKHASH_NOT_FOUND = -32002  # "Transaction simulation failed: Blockhash not found" (preflight failure)


def _account_json(acc: Account) -> dict[str, Any]:
    return {
        "lamports": acc.lamports,
        "owner": str(acc.owner),
        "data": [base64.b64encode(bytes(acc.data)).decode(), "base64"],
        "executable": acc.executable,
        "rentEpoch": 18446744073709551615,
        "space": len(acc.data),
    }


def _matches(acc: Account, filters: list[dict[str, Any]]) -> bool:
    data = bytes(acc.data)
    for f in filters:
        if "dataSize" in f and len(data) != int(f["dataSize"]):
            return False
        if "memcmp" in f:
            off = int(f["memcmp"]["offset"])
            raw = f["memcmp"]["bytes"]
            want = base64.b64decode(raw) if f["memcmp"].get("encoding") == "base64" else bytes(Pubkey.from_string(raw))
            if data[off : off + len(want)] != want:
                return False
    return True


class LocalSolanaRpc(JsonRpcServer):
    """The Solana RPC test double: a `JsonRpcServer` serving the methods listed in the module from `chain`."""

    def __init__(self, chain: LocalChain) -> None:
        super().__init__("/")
        self.chain = chain
        self.methods.update(
            {
                "getAccountInfo": self._get_account_info,
                "getMultipleAccounts": self._get_multiple_accounts,
                "getProgramAccounts": self._get_program_accounts,
                "getBalance": self._get_balance,
                "getLatestBlockhash": self._get_latest_blockhash,
                "getSlot": lambda _p: self.chain.slot,
                "getEpochInfo": lambda _p: {"epoch": self.chain.svm.get_clock().epoch, "absoluteSlot": self.chain.slot},
                "simulateTransaction": self._simulate,
                "sendTransaction": self._send,
                "getSignatureStatuses": self._statuses,
            }
        )

    def _ctx(self, value: Any) -> dict[str, Any]:
        return {"context": {"slot": self.chain.slot}, "value": value}

    def _get_account_info(self, params: list[Any]) -> Any:
        acc = self.chain.get_account(Pubkey.from_string(params[0]))
        return self._ctx(None if acc is None else _account_json(acc))

    def _get_multiple_accounts(self, params: list[Any]) -> Any:
        keys = [Pubkey.from_string(k) for k in params[0]]
        if len(keys) > 100:
            raise RpcFailure(-32602, f"Too many inputs provided; max 100, got {len(keys)}")
        accounts = [self.chain.get_account(k) for k in keys]
        return self._ctx([None if a is None else _account_json(a) for a in accounts])

    def _get_program_accounts(self, params: list[Any]) -> Any:
        program = Pubkey.from_string(params[0])
        config = params[1] if len(params) > 1 else {}
        filters = config.get("filters", [])
        found = [
            {"pubkey": str(k), "account": _account_json(a)}
            for k, a in self.chain.program_accounts(program)
            if _matches(a, filters)
        ]
        return self._ctx(found) if config.get("withContext") else found

    def _get_balance(self, params: list[Any]) -> Any:
        acc = self.chain.get_account(Pubkey.from_string(params[0]))
        return self._ctx(0 if acc is None else acc.lamports)

    def _get_latest_blockhash(self, _params: list[Any]) -> Any:
        return self._ctx(
            {"blockhash": str(self.chain.latest_blockhash()), "lastValidBlockHeight": self.chain.slot + 150}
        )

    @staticmethod
    def _decode_tx(raw: str) -> VersionedTransaction:
        try:
            return VersionedTransaction.from_bytes(base64.b64decode(raw))
        except Exception as exc:  # solders raises its own error types on malformed input
            raise RpcFailure(-32602, f"invalid transaction: {exc}") from None

    def _simulate(self, params: list[Any]) -> Any:
        tx = self._decode_tx(params[0])
        with self.chain.lock:
            result = self.chain.svm.simulate_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            meta = result.meta()
            return self._ctx(
                {"err": str(result.err()), "logs": list(meta.logs()), "unitsConsumed": meta.compute_units_consumed()}
            )
        meta = result.meta()
        return self._ctx({"err": None, "logs": list(meta.logs()), "unitsConsumed": meta.compute_units_consumed()})

    def _send(self, params: list[Any]) -> Any:
        tx = self._decode_tx(params[0])
        if tx.message.recent_blockhash != self.chain.latest_blockhash():
            raise RpcFailure(BLOCKHASH_NOT_FOUND, "Transaction simulation failed: Blockhash not found")
        result = self.chain.execute_atomically([tx])
        if not result.ok:
            raise RpcFailure(-32002, f"Transaction simulation failed: {result.error}")
        return result.signatures[0]

    def _statuses(self, params: list[Any]) -> Any:
        out = []
        for sig in params[0]:
            status = self.chain.statuses.get(sig)
            out.append(
                None
                if status is None
                else {"slot": status[0], "confirmations": None, "err": status[1], "confirmationStatus": "finalized"}
            )
        return self._ctx(out)
