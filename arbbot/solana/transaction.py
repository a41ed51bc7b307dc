"""Transactions for a route: compute budget + execute_route (+ a Jito tip), as a v0 message.

Lookup tables are used only when the message does not fit without them; what still does not fit
(1232 bytes, 64 account locks) is refused with RouteTooLarge before anything is signed or sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.null_signer import NullSigner
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from arbbot.solana.errors import RouteTooLarge

PACKET_DATA_SIZE = 1232  # bytes of a serialized transaction
MAX_TX_ACCOUNT_LOCKS = 64
MAX_COMPUTE_UNIT_LIMIT = 1_400_000


@dataclass(frozen=True)
class BuiltMessage:
    """A compiled v0 message with the measurements that decide whether it fits in one transaction."""

    message: MessageV0
    size: int  # serialized transaction bytes, signatures included
    accounts: int  # static keys + keys loaded from lookup tables
    lookup_tables_used: int


def budget_instructions(cu_limit: int, cu_price_micro_lamports: int) -> list[Instruction]:
    """The compute-budget instructions setting the unit limit and the price (micro-lamports per unit).

    Raises `ValueError` for a limit outside 1..1,400,000 or a negative price.
    """
    if not 0 < cu_limit <= MAX_COMPUTE_UNIT_LIMIT:
        raise ValueError(f"cu_limit must be 1..{MAX_COMPUTE_UNIT_LIMIT}, got {cu_limit}")
    if cu_price_micro_lamports < 0:
        raise ValueError(f"cu_price must not be negative, got {cu_price_micro_lamports}")
    return [set_compute_unit_limit(cu_limit), set_compute_unit_price(cu_price_micro_lamports)]


def tip_instruction(payer: Pubkey, tip_account: Pubkey, lamports: int) -> Instruction:
    """A system transfer of `lamports` from `payer` to a Jito tip account; `ValueError` unless positive."""
    if lamports <= 0:
        raise ValueError(f"tip must be positive, got {lamports} lamports")
    return transfer(TransferParams(from_pubkey=payer, to_pubkey=tip_account, lamports=lamports))


def measure(message: MessageV0) -> tuple[int, int]:
    """(serialized size with placeholder signatures, number of accounts the transaction locks)."""
    signers = [NullSigner(k) for k in message.account_keys[: message.header.num_required_signatures]]
    size = len(bytes(VersionedTransaction(message, signers)))
    loaded = sum(len(x.writable_indexes) + len(x.readonly_indexes) for x in message.address_table_lookups)
    return size, len(message.account_keys) + loaded


def compile_message(
    payer: Pubkey,
    instructions: Sequence[Instruction],
    blockhash: Hash,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
) -> BuiltMessage:
    """Smallest fitting v0 message: without tables if that fits, else with the tables given."""
    plain = MessageV0.try_compile(payer, list(instructions), [], blockhash)
    size, accounts = measure(plain)
    if size <= PACKET_DATA_SIZE and accounts <= MAX_TX_ACCOUNT_LOCKS:
        return BuiltMessage(plain, size, accounts, 0)
    if not lookup_tables:
        raise RouteTooLarge(
            f"transaction is {size} bytes with {accounts} accounts (limits {PACKET_DATA_SIZE} bytes, "
            f"{MAX_TX_ACCOUNT_LOCKS} accounts) and no address lookup table was given"
        )
    compact = MessageV0.try_compile(payer, list(instructions), list(lookup_tables), blockhash)
    size, accounts = measure(compact)
    if size > PACKET_DATA_SIZE or accounts > MAX_TX_ACCOUNT_LOCKS:
        raise RouteTooLarge(
            f"transaction is {size} bytes with {accounts} accounts even with {len(lookup_tables)} lookup "
            f"table(s) (limits {PACKET_DATA_SIZE} bytes, {MAX_TX_ACCOUNT_LOCKS} accounts)"
        )
    return BuiltMessage(compact, size, accounts, len(compact.address_table_lookups))


def sign(built: BuiltMessage, signers: Sequence[Keypair]) -> VersionedTransaction:
    """The transaction for `built`, signed by `signers` (which must cover every required signature)."""
    return VersionedTransaction(built.message, list(signers))
