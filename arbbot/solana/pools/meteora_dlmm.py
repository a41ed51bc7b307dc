"""Meteora DLMM pairs as the searcher sees them: the decoded `LbPair`, the bin arrays around its active bin, the clock
the quote applies at, an exact quote, and the hop block `arb_executor` expects (the DLMM program, then `swap`'s own
accounts in the program's order, then the bin arrays the swap walks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.meteora_dlmm import BinArray, BitmapExtension, LbPairState
from arbbot.solana.programs import METEORA_DLMM, TOKEN_PROGRAM
from arbbot.solana.quote.meteora_dlmm import bin_arrays_for_swap, swap_exact_in
from arbbot.solana.venues import Venue, VenuePool

# Bin arrays passed per hop: each one is an account in the transaction, and a swap walking past them fails.
SWAP_BIN_ARRAYS = 3
SPL_TOKEN_FLAG = 0


def bin_array_address(lb_pair: Pubkey, index: int, program: Pubkey = METEORA_DLMM) -> Pubkey:
    return Pubkey.find_program_address(
        [b"bin_array", bytes(lb_pair), index.to_bytes(8, "little", signed=True)], program
    )[0]


def bitmap_extension_address(lb_pair: Pubkey, program: Pubkey = METEORA_DLMM) -> Pubkey:
    return Pubkey.find_program_address([b"bitmap", bytes(lb_pair)], program)[0]


def event_authority(program: Pubkey = METEORA_DLMM) -> Pubkey:
    return Pubkey.find_program_address([b"__event_authority"], program)[0]


@dataclass
class MeteoraDlmmPool(VenuePool):
    """`a_to_b` = X in. `timestamp`/`slot`: the clock the quote is for (the dynamic fee depends on it)."""

    state: LbPairState = field(kw_only=True)
    bin_arrays: dict[int, BinArray] = field(kw_only=True, default_factory=dict)
    bitmap_extension: BitmapExtension | None = field(kw_only=True, default=None)
    timestamp: int = field(kw_only=True, default=0)
    slot: int = field(kw_only=True, default=0)

    def __post_init__(self) -> None:
        self.venue = Venue.METEORA_DLMM
        if (self.state.token_mint_x_program_flag, self.state.token_mint_y_program_flag) != (SPL_TOKEN_FLAG,) * 2:
            raise QuoteError(f"DLMM pair {self.address}: a Token-2022 mint; only SPL Token pairs are routed")

    def swap_bin_arrays(self, swap_for_y: bool) -> list[int]:
        return bin_arrays_for_swap(self.state, swap_for_y, SWAP_BIN_ARRAYS, self.bitmap_extension)

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        swap_for_y = self.a_to_b(mint_in)
        passed = self.swap_bin_arrays(swap_for_y)
        known = {i: a for i, a in self.bin_arrays.items() if i in passed}
        result = swap_exact_in(
            self.state,
            known,
            amount_in,
            swap_for_y,
            timestamp=self.timestamp,
            slot=self.slot,
            bitmap_extension=self.bitmap_extension,
        )
        return result.amount_out

    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        swap_for_y = self.a_to_b(mint_in)
        w = lambda k: AccountMeta(k, is_signer=False, is_writable=True)  # noqa: E731
        r = lambda k: AccountMeta(k, is_signer=False, is_writable=False)  # noqa: E731
        ext = bitmap_extension_address(self.address, self.program) if self.bitmap_extension else self.program
        return [
            r(self.program),
            w(self.address),
            r(ext),
            w(self.state.reserve_x),
            w(self.state.reserve_y),
            w(user_in),
            w(user_out),
            r(self.state.token_x_mint),
            r(self.state.token_y_mint),
            w(self.state.oracle),
            r(self.program),  # no host fee account
            AccountMeta(owner, is_signer=True, is_writable=False),
            r(TOKEN_PROGRAM),
            r(TOKEN_PROGRAM),
            r(event_authority(self.program)),
            r(self.program),
            *(w(bin_array_address(self.address, i, self.program)) for i in self.swap_bin_arrays(swap_for_y)),
        ]

    def reserve_accounts(self) -> list[Pubkey]:
        indexes = sorted(set(self.swap_bin_arrays(True) + self.swap_bin_arrays(False)))
        return [bin_array_address(self.address, i, self.program) for i in indexes]
