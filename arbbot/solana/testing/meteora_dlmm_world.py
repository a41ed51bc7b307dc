"""A Meteora DLMM pair inside solders LiteSVM running the real `lb_clmm` binary (hash-checked): mints, reserves,
LbPair, Oracle and bin arrays written by the project's packers at the addresses the program derives, and a
`swap` sender. Used by tests that hold the quote and the account decoders against the program itself."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from solders.account import Account
from solders.clock import Clock
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata

from arbbot.solana.errors import SolanaError
from arbbot.solana.layouts.meteora_dlmm import (
    BINS_PER_ARRAY,
    BinArray,
    BitmapExtension,
    LbPairState,
    decode_bin_array,
    decode_bitmap_extension,
    decode_lb_pair,
)
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.programs import METEORA_DLMM, TOKEN_PROGRAM
from arbbot.solana.testing.accounts import pack_mint, pack_token_account
from arbbot.solana.testing.meteora_dlmm_accounts import (
    BinArrayFields,
    BinFields,
    LbPairFields,
    bitmap_with,
    extension_with,
    pack_bin_array,
    pack_bitmap_extension,
    pack_lb_pair,
    pack_oracle,
)
from arbbot.solana.testing.venue_binaries import METEORA_DLMM as DLMM_BINARY

SWAP_DISCRIMINATOR = bytes([248, 198, 158, 145, 225, 117, 135, 200])


def lb_pair_address(
    mint_x: Pubkey, mint_y: Pubkey, bin_step: int, program: Pubkey = METEORA_DLMM
) -> tuple[Pubkey, int]:
    """The `LbPair` PDA (and bump) of a mint pair at `bin_step`; the mints are seeded in byte order."""
    lo, hi = sorted((mint_x, mint_y), key=bytes)
    return Pubkey.find_program_address([bytes(lo), bytes(hi), struct.pack("<H", bin_step)], program)


def reserve_address(lb_pair: Pubkey, mint: Pubkey, program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The PDA of `lb_pair`'s reserve (vault) for `mint`."""
    return Pubkey.find_program_address([bytes(lb_pair), bytes(mint)], program)[0]


def oracle_address(lb_pair: Pubkey, program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The PDA of `lb_pair`'s oracle."""
    return Pubkey.find_program_address([b"oracle", bytes(lb_pair)], program)[0]


def bin_array_address(lb_pair: Pubkey, index: int, program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The PDA of `lb_pair`'s bin array of index `index` (seeded with the index as a little-endian i64)."""
    return Pubkey.find_program_address([b"bin_array", bytes(lb_pair), struct.pack("<q", index)], program)[0]


def bitmap_extension_address(lb_pair: Pubkey, program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The PDA of `lb_pair`'s bin-array bitmap extension."""
    return Pubkey.find_program_address([b"bitmap", bytes(lb_pair)], program)[0]


def event_authority(program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The DLMM program's Anchor event authority PDA."""
    return Pubkey.find_program_address([b"__event_authority"], program)[0]


def swap_data(amount_in: int, min_amount_out: int = 0) -> bytes:
    """The instruction data of DLMM `swap`: discriminator, `amount_in`, `min_amount_out` (u64 each)."""
    return SWAP_DISCRIMINATOR + struct.pack("<QQ", amount_in, min_amount_out)


@dataclass
class DlmmWorld:
    """One pair with liquidity laid out bin by bin: `bins` maps bin id -> (amount_x, amount_y)."""

    bin_step: int
    active_id: int
    bins: Mapping[int, tuple[int, int]]
    params: Mapping[str, Any] = field(default_factory=dict)  # LbPairFields overrides
    svm: LiteSVM = field(init=False)
    user: Keypair = field(init=False)

    def __post_init__(self) -> None:
        self.svm = LiteSVM()
        self.svm.add_program(METEORA_DLMM, DLMM_BINARY.read())
        self.user = Keypair()
        self.svm.airdrop(self.user.pubkey(), 10_000_000_000)
        a, b = Keypair().pubkey(), Keypair().pubkey()
        self.mint_x, self.mint_y = sorted((a, b), key=bytes)
        self.lb_pair, bump = lb_pair_address(self.mint_x, self.mint_y, self.bin_step)
        self.reserve_x = reserve_address(self.lb_pair, self.mint_x)
        self.reserve_y = reserve_address(self.lb_pair, self.mint_y)
        self.oracle = oracle_address(self.lb_pair)
        self.user_x, self.user_y = Keypair().pubkey(), Keypair().pubkey()
        for mint in (self.mint_x, self.mint_y):
            self._put(mint, TOKEN_PROGRAM, pack_mint(6, supply=1 << 62))
        total_x = sum(x for x, _ in self.bins.values())
        total_y = sum(y for _, y in self.bins.values())
        self._put(self.reserve_x, TOKEN_PROGRAM, pack_token_account(self.mint_x, self.lb_pair, total_x))
        self._put(self.reserve_y, TOKEN_PROGRAM, pack_token_account(self.mint_y, self.lb_pair, total_y))
        self._put(self.user_x, TOKEN_PROGRAM, pack_token_account(self.mint_x, self.user.pubkey(), 1 << 62))
        self._put(self.user_y, TOKEN_PROGRAM, pack_token_account(self.mint_y, self.user.pubkey(), 1 << 62))
        self._put(self.oracle, METEORA_DLMM, pack_oracle())
        arrays: dict[int, dict[int, BinFields]] = {}
        for bin_id, (x, y) in self.bins.items():
            idx = bin_id // BINS_PER_ARRAY
            arrays.setdefault(idx, {})[bin_id - idx * BINS_PER_ARRAY] = BinFields(x, y, 0, (x + y) << 64)
        self.array_indexes = sorted(arrays)
        inside = [i for i in self.array_indexes if -512 <= i < 512]
        outside = [i for i in self.array_indexes if not -512 <= i < 512]
        self.extension = bitmap_extension_address(self.lb_pair) if outside else None
        if self.extension is not None:
            pos, neg = extension_with(outside)
            self._put(self.extension, METEORA_DLMM, pack_bitmap_extension(self.lb_pair, pos, neg))
        for idx, bins in arrays.items():
            self._put(
                bin_array_address(self.lb_pair, idx),
                METEORA_DLMM,
                pack_bin_array(BinArrayFields(idx, self.lb_pair, bins)),
            )
        fields = LbPairFields(
            token_x_mint=self.mint_x,
            token_y_mint=self.mint_y,
            reserve_x=self.reserve_x,
            reserve_y=self.reserve_y,
            oracle=self.oracle,
            active_id=self.active_id,
            bin_step=self.bin_step,
            bump_seed=bump,
            bin_array_bitmap=bitmap_with(inside),
        )
        fields = dataclasses.replace(fields, **self.params)
        self._put(self.lb_pair, METEORA_DLMM, pack_lb_pair(fields))

    def _put(self, address: Pubkey, owner: Pubkey, data: bytes) -> None:
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(address, Account(lamports=lamports, data=data, owner=owner, executable=False))

    def set_clock(self, unix_timestamp: int, slot: int = 1000) -> None:
        """Set the bank's clock (unix seconds and slot), which the program's dynamic fee and activation read."""
        c = self.svm.get_clock()
        self.svm.set_clock(Clock(slot, c.epoch_start_timestamp, c.epoch, c.leader_schedule_epoch, unix_timestamp))

    def _account(self, key: Pubkey) -> Account:
        acc = self.svm.get_account(key)
        if acc is None:
            raise SolanaError(f"DLMM world: account {key} is missing")
        return acc

    def pair(self) -> LbPairState:
        """The pair's `LbPair` as the program left it, decoded."""
        acc = self._account(self.lb_pair)
        return decode_lb_pair(bytes(acc.data), self.lb_pair, acc.owner)

    def bin_arrays(self) -> dict[int, BinArray]:
        """The pair's bin arrays as the program left them, decoded, by index."""
        out = {}
        for idx in self.array_indexes:
            key = bin_array_address(self.lb_pair, idx)
            acc = self._account(key)
            out[idx] = decode_bin_array(bytes(acc.data), key, acc.owner)
        return out

    def bitmap_extension(self) -> BitmapExtension | None:
        """The pair's bitmap extension as the program left it, decoded; None when the pair has none."""
        if self.extension is None:
            return None
        acc = self._account(self.extension)
        return decode_bitmap_extension(bytes(acc.data), self.extension, acc.owner)

    def balance(self, account: Pubkey) -> int:
        """The token balance (raw units) of `account`."""
        return decode_token_account(bytes(self._account(account).data)).amount

    def swap_instruction(self, amount_in: int, swap_for_y: bool, arrays: Sequence[int]) -> Instruction:
        """A DLMM `swap` instruction from the world's user, passing the bin arrays of `arrays` in that order."""
        user_in, user_out = (self.user_x, self.user_y) if swap_for_y else (self.user_y, self.user_x)
        w = lambda k: AccountMeta(k, is_signer=False, is_writable=True)  # noqa: E731
        r = lambda k: AccountMeta(k, is_signer=False, is_writable=False)  # noqa: E731
        accounts = [
            w(self.lb_pair),
            r(self.extension or METEORA_DLMM),  # the program id: no bitmap extension
            w(self.reserve_x),
            w(self.reserve_y),
            w(user_in),
            w(user_out),
            r(self.mint_x),
            r(self.mint_y),
            w(self.oracle),
            r(METEORA_DLMM),  # no host fee account
            AccountMeta(self.user.pubkey(), is_signer=True, is_writable=False),
            r(TOKEN_PROGRAM),
            r(TOKEN_PROGRAM),
            r(event_authority()),
            r(METEORA_DLMM),
            *(w(bin_array_address(self.lb_pair, i)) for i in arrays),
        ]
        return Instruction(METEORA_DLMM, swap_data(amount_in), accounts)

    def swap(self, amount_in: int, swap_for_y: bool, arrays: Sequence[int]) -> tuple[int | None, str]:
        """Send `swap`; (amount received, logs) or (None, error and logs) when the program refuses."""
        user_out = self.user_y if swap_for_y else self.user_x
        before = self.balance(user_out)
        ix = self.swap_instruction(amount_in, swap_for_y, arrays)
        self.svm.expire_blockhash()
        msg = Message.new_with_blockhash(
            [set_compute_unit_limit(1_400_000), ix], self.user.pubkey(), self.svm.latest_blockhash()
        )
        tx = Transaction([self.user], msg, self.svm.latest_blockhash())
        res = self.svm.send_transaction(tx)
        if isinstance(res, FailedTransactionMetadata):
            return None, f"{res.err()} {res.meta().logs()}"
        return self.balance(user_out) - before, "\n".join(res.logs())
