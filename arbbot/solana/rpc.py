"""Solana JSON-RPC over the shared HTTP client (keep-alive, retries with backoff on 429/5xx/garbage).

Adds what Solana needs on top: account decoding (base64), batching of getMultipleAccounts by 100,
and errors that say what went wrong (rate limit, garbage, stale blockhash) in Solana terms.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from solders.address_lookup_table_account import AddressLookupTable, AddressLookupTableAccount
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.chain.rpc import RetryPolicy, RpcClient, RpcError, RpcTransportError
from arbbot.solana.errors import AccountLayoutError, SolanaRpcError, SolanaTransportError, StaleBlockhash
from arbbot.solana.programs import LOOKUP_TABLE_PROGRAM

MAX_MULTIPLE_ACCOUNTS = 100
COMMITMENTS = ("processed", "confirmed", "finalized")  # the levels a Solana node reads state at
_STALE_MARKERS = ("blockhash not found", "blockhashnotfound")


@dataclass(frozen=True)
class AccountData:
    """An account as the node returned it: owner, lamports, raw data (base64-decoded) and the executable flag."""

    address: Pubkey
    owner: Pubkey
    lamports: int
    data: bytes
    executable: bool


def _account(address: Pubkey, value: Any, method: str) -> AccountData | None:
    if value is None:
        return None
    try:
        raw, encoding = value["data"]
        if encoding != "base64":
            raise ValueError(f"encoding {encoding}")
        return AccountData(
            address=address,
            owner=Pubkey.from_string(value["owner"]),
            lamports=int(value["lamports"]),
            data=base64.b64decode(raw, validate=True),
            executable=bool(value.get("executable", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SolanaTransportError(f"Solana RPC {method}: malformed account {address}: {exc}") from None


def is_stale_blockhash(message: str) -> bool:
    """True when a node's error message says the transaction's recent blockhash is unknown or expired."""
    text = message.lower().replace(" ", "")
    return any(m.replace(" ", "") in text for m in _STALE_MARKERS)


class SolanaRpc:
    """Synchronous Solana JSON-RPC client on the shared HTTP client (keep-alive, retries with backoff).

    Node answers are untrusted: a malformed answer raises `SolanaTransportError`, a JSON-RPC error
    `SolanaRpcError` (or `StaleBlockhash` when the blockhash expired), never a half-read value.
    """

    def __init__(
        self, url: str, timeout: float = 30.0, retry: RetryPolicy | None = None, *, commitment: str = "confirmed"
    ) -> None:
        if commitment not in COMMITMENTS:
            raise ValueError(f"commitment: {commitment!r} is not one of {', '.join(COMMITMENTS)}")
        self.url = url
        # Every state read, simulation and preflight is at this commitment. The node's default is `finalized`:
        # ~32 slots (13 s) behind, so quotes and simulations would run on old pools, and a preflight at finalized
        # refuses a transaction whose (confirmed) blockhash it has not seen yet.
        self.commitment = commitment
        self._rpc = RpcClient(url, timeout=timeout, retry=retry)

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._rpc.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Raw JSON-RPC call returning the `result`; errors are mapped to the Solana error types.

        Raises `StaleBlockhash`, `SolanaRpcError` for any other JSON-RPC error, `SolanaTransportError` for
        transport failures and garbage answers.
        """
        try:
            return self._rpc.call(method, params)
        except RpcError as exc:
            if is_stale_blockhash(exc.message):
                raise StaleBlockhash(f"{method}: {exc.message}; rebuild with a fresh blockhash") from None
            raise SolanaRpcError(method, exc.code, exc.message) from None
        except RpcTransportError as exc:
            raise SolanaTransportError(str(exc)) from None

    def _context_value(self, method: str, result: Any) -> Any:
        if not isinstance(result, dict) or "value" not in result:
            raise SolanaTransportError(f"Solana RPC {method}: expected {{context, value}}, got {str(result)[:120]}")
        return result["value"]

    def get_multiple_accounts(self, addresses: Sequence[Pubkey]) -> list[AccountData | None]:
        """The accounts at `addresses`, in order, None where no account exists.

        Batched into calls of 100 (the node's limit); an answer of the wrong length or shape raises
        `SolanaTransportError`.
        """
        out: list[AccountData | None] = []
        for i in range(0, len(addresses), MAX_MULTIPLE_ACCOUNTS):
            chunk = addresses[i : i + MAX_MULTIPLE_ACCOUNTS]
            config = {"encoding": "base64", "commitment": self.commitment}
            result = self.call("getMultipleAccounts", [[str(a) for a in chunk], config])
            values = self._context_value("getMultipleAccounts", result)
            if not isinstance(values, list) or len(values) != len(chunk):
                raise SolanaTransportError(
                    f"Solana RPC getMultipleAccounts: asked for {len(chunk)} accounts, got {str(values)[:120]}"
                )
            out.extend(_account(a, v, "getMultipleAccounts") for a, v in zip(chunk, values, strict=True))
        return out

    def get_account(self, address: Pubkey) -> AccountData | None:
        """The account at `address`, or None when it does not exist."""
        return self.get_multiple_accounts([address])[0]

    def get_program_accounts(self, program: Pubkey, data_size: int | None = None) -> list[AccountData]:
        """Every account owned by `program`, optionally only those of exactly `data_size` bytes (a node-side filter)."""
        config: dict[str, Any] = {"encoding": "base64", "commitment": self.commitment}
        if data_size is not None:
            config["filters"] = [{"dataSize": data_size}]
        result = self.call("getProgramAccounts", [str(program), config])
        if isinstance(result, dict) and "value" in result:  # withContext answers
            result = result["value"]
        if not isinstance(result, list):
            raise SolanaTransportError(f"Solana RPC getProgramAccounts: expected a list, got {str(result)[:120]}")
        accounts = []
        for item in result:
            try:
                address = Pubkey.from_string(item["pubkey"])
            except (KeyError, TypeError, ValueError):
                raise SolanaTransportError(f"Solana RPC getProgramAccounts: malformed item {str(item)[:120]}") from None
            acc = _account(address, item.get("account"), "getProgramAccounts")
            if acc is not None:
                accounts.append(acc)
        return accounts

    def get_latest_blockhash(self) -> tuple[Hash, int]:
        """The latest blockhash at the client's commitment and the last block height at which it is still valid."""
        value = self._context_value(
            "getLatestBlockhash", self.call("getLatestBlockhash", [{"commitment": self.commitment}])
        )
        try:
            return Hash.from_string(value["blockhash"]), int(value["lastValidBlockHeight"])
        except (KeyError, TypeError, ValueError):
            raise SolanaTransportError(f"Solana RPC getLatestBlockhash: malformed value {str(value)[:120]}") from None

    def get_address_lookup_table(self, address: Pubkey) -> AddressLookupTableAccount:
        """The address lookup table at `address`, with its addresses.

        Raises `AccountLayoutError` when the account is missing, not owned by the lookup-table program, or malformed.
        """
        acc = self.get_account(address)
        if acc is None:
            raise AccountLayoutError(f"lookup table {address} does not exist")
        if acc.owner != LOOKUP_TABLE_PROGRAM:
            raise AccountLayoutError(f"lookup table {address}: owner is {acc.owner}, expected {LOOKUP_TABLE_PROGRAM}")
        try:
            table = AddressLookupTable.deserialize(acc.data)
        except Exception as exc:  # solders raises its own error types on malformed data
            raise AccountLayoutError(f"lookup table {address}: malformed data ({exc})") from None
        return AddressLookupTableAccount(key=address, addresses=list(table.addresses))

    def simulate(self, tx: VersionedTransaction) -> dict[str, Any]:
        """simulateTransaction with signature checks on; a stale blockhash raises StaleBlockhash."""
        encoded = base64.b64encode(bytes(tx)).decode()
        value = self._context_value(
            "simulateTransaction",
            self.call(
                "simulateTransaction",
                [encoded, {"encoding": "base64", "sigVerify": True, "commitment": self.commitment}],
            ),
        )
        err = value.get("err") if isinstance(value, dict) else None
        if err is not None and is_stale_blockhash(str(err)):
            raise StaleBlockhash(f"simulateTransaction: {err}; rebuild with a fresh blockhash")
        return value

    def get_recent_prioritization_fees(self, accounts: Sequence[Pubkey] = ()) -> list[int]:
        """Per recent slot, the lowest priority fee (micro-lamports per CU) that landed a transaction
        write-locking any of `accounts` (any transaction when none are given)."""
        result = self.call("getRecentPrioritizationFees", [[str(a) for a in accounts]] if accounts else [])
        if not isinstance(result, list):
            raise SolanaTransportError(
                f"Solana RPC getRecentPrioritizationFees: expected a list, got {str(result)[:120]}"
            )
        try:
            return [int(item["prioritizationFee"]) for item in result]
        except (KeyError, TypeError, ValueError):
            raise SolanaTransportError(
                f"Solana RPC getRecentPrioritizationFees: malformed answer {str(result)[:120]}"
            ) from None

    def get_slot(self) -> int:
        """The current slot at the client's commitment."""
        result = self.call("getSlot", [{"commitment": self.commitment}])
        if not isinstance(result, int):
            raise SolanaTransportError(f"Solana RPC getSlot: expected an integer, got {str(result)[:120]}")
        return result

    def get_epoch(self) -> int:
        """The current epoch (Token-2022 transfer fees change at epoch boundaries)."""
        result = self.call("getEpochInfo", [{"commitment": self.commitment}])
        epoch = result.get("epoch") if isinstance(result, dict) else None
        if not isinstance(epoch, int) or epoch < 0:
            raise SolanaTransportError(f"Solana RPC getEpochInfo: expected an epoch, got {str(result)[:120]}")
        return epoch

    def get_genesis_hash(self) -> str:
        """The cluster's genesis hash (base-58), which names the cluster (see `chain_id_for_genesis`)."""
        result = self.call("getGenesisHash", [])
        if not isinstance(result, str):
            raise SolanaTransportError(f"Solana RPC getGenesisHash: expected a hash, got {str(result)[:120]}")
        return result

    def get_balance(self, address: Pubkey) -> int:
        """Lamports held by `address` at the client's commitment."""
        answer = self.call("getBalance", [str(address), {"commitment": self.commitment}])
        value = self._context_value("getBalance", answer)
        if not isinstance(value, int):
            raise SolanaTransportError(f"Solana RPC getBalance: expected an integer, got {str(value)[:120]}")
        return value

    def signature_statuses(self, signatures: Sequence[str]) -> list[dict[str, Any] | None]:
        """The node's status object for each signature, in order, None for a signature it does not know."""
        value = self._context_value("getSignatureStatuses", self.call("getSignatureStatuses", [list(signatures)]))
        if not isinstance(value, list) or len(value) != len(signatures):
            raise SolanaTransportError(f"Solana RPC getSignatureStatuses: malformed answer {str(value)[:120]}")
        return value

    def send_transaction(self, tx: VersionedTransaction) -> str:
        """Send a signed transaction with preflight simulation on; returns the signature the node reports.

        The node's preflight refusal comes back as `SolanaRpcError` (or `StaleBlockhash`).
        """
        encoded = base64.b64encode(bytes(tx)).decode()
        config = {"encoding": "base64", "skipPreflight": False, "preflightCommitment": self.commitment}
        result = self.call("sendTransaction", [encoded, config])
        if not isinstance(result, str):
            raise SolanaTransportError(f"Solana RPC sendTransaction: expected a signature, got {str(result)[:120]}")
        return result
