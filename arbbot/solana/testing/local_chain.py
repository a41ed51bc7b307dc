"""An in-process Solana bank for the test doubles: solders.litesvm plus what the doubles need around it.

LiteSVM keeps no program-account index and no slot progression of its own; this wrapper remembers
every address it wrote or saw in a transaction (for getProgramAccounts), counts slots, and runs a
list of transactions atomically (snapshot the touched accounts, restore them all if one fails).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable
from solders.hash import Hash
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from arbbot.solana.programs import SYSTEM_PROGRAM


@dataclass(frozen=True)
class AtomicResult:
    """The outcome of `LocalChain.execute_atomically`: whether all transactions ran, the slot, and their signatures."""

    ok: bool
    slot: int
    signatures: tuple[str, ...]
    error: str | None = None  # "tx <index>: <error>" when not ok


class LocalChain:
    """An in-process LiteSVM bank with an account index, a slot counter and atomic multi-transaction execution.

    Every method takes `lock`, so the block-engine and RPC doubles can share one chain across threads.
    """

    def __init__(self) -> None:
        self.svm = LiteSVM()
        self.lock = threading.RLock()
        self.known: set[Pubkey] = set()
        self.slot = 1
        self.statuses: dict[str, tuple[int, str | None]] = {}  # signature -> (slot, error)

    def set_account(self, address: Pubkey, owner: Pubkey, data: bytes, lamports: int | None = None) -> None:
        """Write an account (not executable) at `address`; `lamports` defaults to the rent-exempt minimum for `data`."""
        with self.lock:
            if lamports is None:
                lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
            self.svm.set_account(address, Account(lamports=lamports, data=data, owner=owner, executable=False))
            self.known.add(address)

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        """Credit `lamports` to `address`, creating the account when needed."""
        with self.lock:
            self.svm.airdrop(address, lamports)
            self.known.add(address)

    def get_account(self, address: Pubkey) -> Account | None:
        """The account at `address`, or None when it does not exist (no lamports and no data)."""
        with self.lock:
            acc = self.svm.get_account(address)
            return None if acc is None or (acc.lamports == 0 and not acc.data) else acc

    def program_accounts(self, program: Pubkey) -> list[tuple[Pubkey, Account]]:
        """Every account this chain knows (wrote or saw in a transaction) that `program` owns, in address order."""
        with self.lock:
            out = []
            for key in sorted(self.known, key=bytes):
                acc = self.get_account(key)
                if acc is not None and acc.owner == program:
                    out.append((key, acc))
            return out

    def latest_blockhash(self) -> Hash:
        """The bank's current blockhash (the only one it accepts)."""
        with self.lock:
            return self.svm.latest_blockhash()

    def blockhash_is_valid(self, blockhash: Hash) -> bool:
        """LiteSVM keeps one blockhash: only the latest is valid."""
        return blockhash == self.latest_blockhash()

    def new_blockhash(self) -> Hash:
        """Move to a new blockhash: transactions signed over the old one are now stale."""
        with self.lock:
            self.svm.expire_blockhash()
            self.slot += 1
            return self.svm.latest_blockhash()

    def _touched(self, tx: VersionedTransaction) -> list[Pubkey]:
        msg = tx.message
        keys = list(msg.account_keys)
        for lookup in getattr(msg, "address_table_lookups", []) or []:
            table = self.svm.get_account(lookup.account_key)
            if table is None:
                continue
            addresses = AddressLookupTable.deserialize(table.data).addresses
            keys += [addresses[i] for i in (*lookup.writable_indexes, *lookup.readonly_indexes) if i < len(addresses)]
        return keys

    def execute_atomically(self, txs: Sequence[VersionedTransaction]) -> AtomicResult:
        """All transactions in order, or none: on the first failure every touched account is restored."""
        with self.lock:
            touched = list(dict.fromkeys(k for tx in txs for k in self._touched(tx)))
            snapshot = {k: self.svm.get_account(k) for k in touched}
            signatures: list[str] = []
            for i, tx in enumerate(txs):
                result = self.svm.send_transaction(tx)
                if isinstance(result, FailedTransactionMetadata):
                    for key, acc in snapshot.items():
                        empty = Account(lamports=0, data=b"", owner=SYSTEM_PROGRAM, executable=False)
                        self.svm.set_account(key, acc if acc is not None else empty)
                    return AtomicResult(False, self.slot, tuple(signatures), f"tx {i}: {result.err()}")
                signatures.append(str(result.signature()))
            self.known.update(touched)
            self.slot += 1
            for sig in signatures:
                self.statuses[sig] = (self.slot, None)
            return AtomicResult(True, self.slot, tuple(signatures))
