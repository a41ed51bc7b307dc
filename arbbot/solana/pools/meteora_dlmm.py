"""Meteora DLMM pairs as the searcher sees them: the decoded `LbPair`, the bin arrays around its active bin, the clock
the quote applies at, an exact quote, and the hop block `arb_executor` expects (the DLMM program, then `swap`'s own
accounts in the program's order, then the bin arrays the swap walks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError
from arbbot.solana.layouts.meteora_dlmm import (
    LB_PAIR_LEN,
    BinArray,
    BitmapExtension,
    LbPairState,
    decode_bin_array,
    decode_bitmap_extension,
    decode_lb_pair,
)
from arbbot.solana.programs import METEORA_DLMM, TOKEN_PROGRAM
from arbbot.solana.quote.meteora_dlmm import bin_arrays_for_swap, swap_exact_in
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.venues import Venue, VenuePool

# Bin arrays passed per hop: each one is an account in the transaction, and a swap walking past them fails.
SWAP_BIN_ARRAYS = 3
SPL_TOKEN_FLAG = 0


def bin_array_address(lb_pair: Pubkey, index: int, program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The PDA of `lb_pair`'s bin array of index `index` (seeded with the index as a little-endian i64)."""
    return Pubkey.find_program_address(
        [b"bin_array", bytes(lb_pair), index.to_bytes(8, "little", signed=True)], program
    )[0]


def bitmap_extension_address(lb_pair: Pubkey, program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The PDA of `lb_pair`'s bin-array bitmap extension."""
    return Pubkey.find_program_address([b"bitmap", bytes(lb_pair)], program)[0]


def event_authority(program: Pubkey = METEORA_DLMM) -> Pubkey:
    """The DLMM program's Anchor event authority PDA, which `swap` takes among its accounts."""
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
        """Indexes of the bin arrays the hop passes for this direction (X in when `swap_for_y`), in walking order."""
        return bin_arrays_for_swap(self.state, swap_for_y, SWAP_BIN_ARRAYS, self.bitmap_extension)

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact output for `amount_in` of `mint_in` at the pool's clock, over the bin arrays the hop passes.

        Raises `QuoteError` where the program would fail or a needed bin array was not read.
        """
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
        """The `swap` account block, program first, then the bin arrays the swap walks (writable)."""
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
        """The PDAs of the bin arrays either direction may walk (the bins hold the liquidity, not the vaults)."""
        indexes = sorted(set(self.swap_bin_arrays(True) + self.swap_bin_arrays(False)))
        return [bin_array_address(self.address, i, self.program) for i in indexes]


CLOCK_SYSVAR = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")


def decode_clock(data: bytes) -> tuple[int, int]:
    """(slot, unix_timestamp) of the Clock sysvar (slot u64, epoch_start_timestamp i64, epoch u64,
    leader_schedule_epoch u64, unix_timestamp i64)."""
    if len(data) != 40:
        raise AccountLayoutError(f"Clock sysvar: data is {len(data)} bytes, expected 40")
    return int.from_bytes(data[0:8], "little"), int.from_bytes(data[32:40], "little", signed=True)


def load_dlmm_pairs(
    rpc: SolanaRpc, addresses: Sequence[Pubkey] | None = None
) -> tuple[list[MeteoraDlmmPool], list[str]]:
    """DLMM pairs (the given addresses, or every pair of the pinned program) with the bin arrays their swaps
    reach, their bitmap extensions and the clock read in the same batch; ("address: reason") for pairs left out.
    A given address that is missing or not a pair is an error naming it."""
    skipped: list[str] = []
    if addresses is None:
        found = rpc.get_program_accounts(METEORA_DLMM, data_size=LB_PAIR_LEN)
    else:
        keys = list(dict.fromkeys(addresses))
        found = []
        for key, acc in zip(keys, rpc.get_multiple_accounts(keys), strict=True):
            if acc is None:
                raise AccountLayoutError(f"DLMM pair {key} does not exist")
            found.append(acc)
    pairs: list[tuple[Pubkey, LbPairState]] = []
    for acc in found:
        try:
            pairs.append((acc.address, decode_lb_pair(acc.data, acc.address, acc.owner)))
        except AccountLayoutError as exc:
            if addresses is not None:
                raise
            skipped.append(f"{acc.address}: {exc}")
    if not pairs:
        return [], skipped
    extension_keys = [bitmap_extension_address(a) for a, _ in pairs]
    head = rpc.get_multiple_accounts([CLOCK_SYSVAR, *extension_keys])
    if head[0] is None:
        raise AccountLayoutError("Clock sysvar is missing")
    slot, timestamp = decode_clock(head[0].data)
    pools: list[MeteoraDlmmPool] = []
    for (address, state), ext_key, ext_acc in zip(pairs, extension_keys, head[1:], strict=True):
        try:
            ext = None if ext_acc is None else decode_bitmap_extension(ext_acc.data, ext_key, ext_acc.owner)
            pools.append(
                MeteoraDlmmPool(
                    address,
                    METEORA_DLMM,
                    state.token_x_mint,
                    state.token_y_mint,
                    state=state,
                    bitmap_extension=ext,
                    timestamp=timestamp,
                    slot=slot,
                )
            )
        except (AccountLayoutError, QuoteError) as exc:
            if addresses is not None:
                raise
            skipped.append(f"{address}: {exc}")
    wanted = [(p, i) for p in pools for i in sorted(set(p.swap_bin_arrays(True) + p.swap_bin_arrays(False)))]
    arrays = rpc.get_multiple_accounts([bin_array_address(p.address, i) for p, i in wanted])
    for (pool, index), acc in zip(wanted, arrays, strict=True):
        if acc is None:
            continue  # the quote then refuses a swap that reaches it
        key = bin_array_address(pool.address, index)
        try:
            array = decode_bin_array(acc.data, key, acc.owner)
        except AccountLayoutError as exc:
            skipped.append(f"{pool.address}: {exc}")
            continue
        if array.lb_pair == pool.address and array.index == index:
            pool.bin_arrays[index] = array
    return pools, skipped
