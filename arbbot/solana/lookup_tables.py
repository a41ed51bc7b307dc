"""Address lookup tables for route accounts: create, extend, and remember which ones are ours.

The tables' authority is a key of its own, not the hot key that signs routes (programs/README.md:
the hot key holds no other role). Tip accounts never go into a table: the block engine only counts a
tip to a static key. Instruction layouts are the lookup-table program's (bincode: u32 tag, fields).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from arbbot.solana.errors import SolanaError
from arbbot.solana.programs import LOOKUP_TABLE_PROGRAM, SYSTEM_PROGRAM

CREATE = 0
EXTEND = 2
MAX_ADDRESSES = 256
EXTEND_BATCH = 20  # addresses per extend transaction, well under the packet size


def table_address(authority: Pubkey, recent_slot: int) -> tuple[Pubkey, int]:
    """The lookup table PDA (and its bump) for `authority` created at `recent_slot`."""
    return Pubkey.find_program_address([bytes(authority), struct.pack("<Q", recent_slot)], LOOKUP_TABLE_PROGRAM)


def create_table(authority: Pubkey, payer: Pubkey, recent_slot: int) -> tuple[Instruction, Pubkey]:
    """A `CreateLookupTable` instruction and the table's address.

    `recent_slot` must be a recent slot the program accepts (it derives the address from it); `payer` funds rent.
    """
    table, bump = table_address(authority, recent_slot)
    accounts = [
        AccountMeta(table, False, True),
        AccountMeta(authority, True, False),
        AccountMeta(payer, True, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    return Instruction(LOOKUP_TABLE_PROGRAM, struct.pack("<IQB", CREATE, recent_slot, bump), accounts), table


def extend_table(table: Pubkey, authority: Pubkey, payer: Pubkey, addresses: Sequence[Pubkey]) -> Instruction:
    """An `ExtendLookupTable` instruction appending `addresses` to `table`; `ValueError` when there are none.

    Callers batch by `EXTEND_BATCH` so each extend transaction fits in a packet.
    """
    if not addresses:
        raise ValueError("extend: no addresses")
    data = struct.pack("<IQ", EXTEND, len(addresses)) + b"".join(bytes(a) for a in addresses)
    accounts = [
        AccountMeta(table, False, True),
        AccountMeta(authority, True, False),
        AccountMeta(payer, True, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    return Instruction(LOOKUP_TABLE_PROGRAM, data, accounts)


def missing_addresses(
    wanted: Iterable[Pubkey], tables: Iterable[Sequence[Pubkey]], exclude: set[Pubkey]
) -> list[Pubkey]:
    """Addresses of `wanted` that no table holds yet, without those in `exclude` (signers, tip accounts)."""
    held = {a for t in tables for a in t}
    return [a for a in dict.fromkeys(wanted) if a not in held and a not in exclude]


class TableStore:
    """The tables this searcher created (JSON list of addresses), so later runs reuse them."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Pubkey]:
        """The stored table addresses; empty when the store does not exist yet.

        Raises `SolanaError` when the file is not a JSON list of addresses.
        """
        if not self.path.exists():
            return []
        try:
            return [Pubkey.from_string(a) for a in json.loads(self.path.read_text())]
        except (ValueError, TypeError):
            raise SolanaError(f"lookup table store {self.path}: not a JSON list of addresses") from None

    def add(self, table: Pubkey) -> None:
        """Remember `table`; the file is replaced through a temporary file and a rename, never half-written."""
        tables = self.load()
        if table not in tables:
            tables.append(table)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps([str(t) for t in tables]))
            tmp.replace(self.path)
