"""Raydium CLMM (AMM v3) pool as the searcher sees it: decoded state, its config's fees, the tick arrays read so
far, an exact quote, and the `swap_v2` hop block arb_executor expects.

Hop block (positions as in programs/arb-executor/src/venues/raydium_clmm.rs): 0 program, 1 payer (the route
authority, read-only signer), 2 amm_config, 3 pool_state (w), 4 input token account (w), 5 output token account (w),
6 input vault (w), 7 output vault (w), 8 observation_state (w), 9 SPL Token, 10 Token-2022, 11 Memo,
12 input vault mint, 13 output vault mint, then the bitmap extension when the swap leaves the pool's own bitmap,
then the tick arrays (w) in the order the swap crosses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError
from arbbot.solana.layouts.raydium_clmm import (
    AmmConfig,
    PoolState,
    TickArrayBitmapExtension,
    TickArrayState,
    bitmap_extension_address,
    decode_amm_config,
    decode_bitmap_extension,
    decode_pool,
    decode_tick_array,
    tick_array_address,
)
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.programs import MEMO_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.raydium_clmm import (
    ClmmSwap,
    MissingBitmapExtension,
    first_initialized_array,
    next_initialized_array,
    swap_exact_in,
)
from arbbot.solana.rpc import AccountData, SolanaRpc
from arbbot.solana.venues import Venue, VenuePool

# Tick arrays passed per hop: the first the swap needs and the next initialised ones after it. More arrays
# tolerate more price movement between quote and landing; each costs an account in the transaction.
TICK_ARRAYS_PER_HOP = 4
# Block positions (0 = venue program).
ACCOUNTS_FIXED = 14


def _w(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=False, is_writable=True)


def _r(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=False, is_writable=False)


@dataclass
class RaydiumClmmPool(VenuePool):
    """mint_a = token_mint_0, mint_b = token_mint_1; a_to_b = zero_for_one."""

    state: PoolState = field(kw_only=True)
    config: AmmConfig = field(kw_only=True)
    tick_arrays: dict[int, TickArrayState] = field(kw_only=True, default_factory=dict)  # by start tick index
    bitmap_extension: TickArrayBitmapExtension | None = field(kw_only=True, default=None)
    # Vault balances when known: a quote that would empty the output vault is refused.
    vault_0_balance: int | None = field(kw_only=True, default=None)
    vault_1_balance: int | None = field(kw_only=True, default=None)

    def __post_init__(self) -> None:
        self.venue = Venue.RAYDIUM_CLMM

    def tick_array_starts(self, zero_for_one: bool, count: int = TICK_ARRAYS_PER_HOP) -> tuple[list[int], bool]:
        """The initialised tick arrays a swap in this direction walks, found through the pool's bitmaps, and
        whether the bitmap extension is needed for them (it is passed only then). Past the pool's own bitmap
        without a known extension the list stops: a quote that needs more fails closed."""
        ext = self.bitmap_extension
        try:
            _, start = first_initialized_array(self.state, None, zero_for_one)
            use_ext = False
        except MissingBitmapExtension:
            if ext is None:
                raise
            _, start = first_initialized_array(self.state, ext, zero_for_one)
            use_ext = True
        starts = [start]
        while len(starts) < count:
            try:
                nxt = next_initialized_array(self.state, ext if use_ext else None, starts[-1], zero_for_one)
            except MissingBitmapExtension:
                if ext is None:
                    break
                use_ext = True
                continue
            if nxt is None:
                break
            starts.append(nxt)
        return starts, use_ext

    def swap(self, mint_in: Pubkey, amount_in: int) -> tuple[ClmmSwap, bool]:
        """The exact swap over the tick arrays the hop will pass, and whether the hop passes the extension."""
        zero_for_one = self.a_to_b(mint_in)
        starts, use_ext = self.tick_array_starts(zero_for_one)
        arrays = {s: self.tick_arrays[s] for s in starts if s in self.tick_arrays}
        result = swap_exact_in(
            self.state,
            self.config.trade_fee_rate,
            self.config.protocol_fee_rate,
            self.config.fund_fee_rate,
            arrays,
            self.bitmap_extension if use_ext else None,
            amount_in,
            zero_for_one,
            output_vault_balance=self.vault_1_balance if zero_for_one else self.vault_0_balance,
        )
        return result, use_ext

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact amount out of the output vault for `amount_in` of `mint_in`, over the tick arrays the hop passes.

        Raises `QuoteError` where the program would fail, fill only part of the input, or a tick array was not read.
        """
        return self.swap(mint_in, amount_in)[0].amount_out

    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        """The `swap_v2` account block for this direction, in the order of the module docstring."""
        zero_for_one = self.a_to_b(mint_in)
        starts, use_ext = self.tick_array_starts(zero_for_one)
        s = self.state
        vault_in, vault_out = (s.token_vault_0, s.token_vault_1) if zero_for_one else (s.token_vault_1, s.token_vault_0)
        mint_out = self.mint_out(mint_in)
        extension = [_r(bitmap_extension_address(self.address, self.program))] if use_ext else []
        return [
            _r(self.program),
            AccountMeta(owner, is_signer=True, is_writable=False),
            _r(s.amm_config),
            _w(self.address),
            _w(user_in),
            _w(user_out),
            _w(vault_in),
            _w(vault_out),
            _w(s.observation_key),
            _r(TOKEN_PROGRAM),
            _r(TOKEN_2022_PROGRAM),
            _r(MEMO_PROGRAM),
            _r(mint_in),
            _r(mint_out),
            *extension,
            *(_w(tick_array_address(self.address, st, self.program)) for st in starts),
        ]

    def reserve_accounts(self) -> list[Pubkey]:
        """The two vaults and the tick arrays either direction may cross (directions that cannot swap are left out)."""
        starts: set[int] = set()
        for zfo in (True, False):
            try:
                starts.update(self.tick_array_starts(zfo)[0])
            except QuoteError:
                continue
        return [
            self.state.token_vault_0,
            self.state.token_vault_1,
            *(tick_array_address(self.address, st, self.program) for st in sorted(starts)),
        ]


def load_raydium_clmm(rpc: SolanaRpc, accounts: Sequence[AccountData], skipped: list[str]) -> list[RaydiumClmmPool]:
    """Pools from their `PoolState` accounts: each pool's AmmConfig, bitmap extension (when it exists), vault
    balances and the initialised tick arrays a swap in either direction would walk, in batched reads. A pool whose
    accounts do not decode is skipped with the reason (it can then be neither quoted nor traded)."""
    states: list[tuple[AccountData, PoolState]] = []
    for acc in accounts:
        try:
            states.append((acc, decode_pool(acc.data, acc.address, acc.owner)))
        except AccountLayoutError as exc:
            skipped.append(f"{acc.address}: {exc}")
    first = [
        k
        for acc, s in states
        for k in (
            s.amm_config,
            bitmap_extension_address(acc.address, acc.owner),
            s.token_vault_0,
            s.token_vault_1,
            s.token_mint_0,
            s.token_mint_1,
        )
    ]
    fetched = dict(zip(first, rpc.get_multiple_accounts(first), strict=True))
    pools: list[RaydiumClmmPool] = []
    for acc, s in states:
        try:
            cfg = fetched.get(s.amm_config)
            if cfg is None:
                raise AccountLayoutError(f"AmmConfig {s.amm_config} does not exist")
            config = decode_amm_config(cfg.data, s.amm_config, cfg.owner)
            ext_key = bitmap_extension_address(acc.address, acc.owner)
            ext_acc = fetched.get(ext_key)
            ext = decode_bitmap_extension(ext_acc.data, ext_key, ext_acc.owner) if ext_acc is not None else None
            if ext is not None and ext.pool_id != acc.address:
                raise AccountLayoutError(f"bitmap extension {ext_key} belongs to pool {ext.pool_id}")
            for mint in (s.token_mint_0, s.token_mint_1):
                m = fetched.get(mint)
                if m is None or m.owner != TOKEN_PROGRAM:
                    # arb_executor's CLMM adapter moves SPL Token only; a Token-2022 mint would be refused on chain.
                    owner = "missing" if m is None else f"owned by {m.owner}"
                    raise AccountLayoutError(f"mint {mint} is {owner}, not an SPL Token mint")
            balances = []
            for vault in (s.token_vault_0, s.token_vault_1):
                v = fetched.get(vault)
                if v is None:
                    raise AccountLayoutError(f"vault {vault} does not exist")
                balances.append(decode_token_account(v.data, vault, v.owner).amount)
            pools.append(
                RaydiumClmmPool(
                    acc.address,
                    acc.owner,
                    s.token_mint_0,
                    s.token_mint_1,
                    state=s,
                    config=config,
                    bitmap_extension=ext,
                    vault_0_balance=balances[0],
                    vault_1_balance=balances[1],
                )
            )
        except (AccountLayoutError, QuoteError) as exc:
            skipped.append(f"{acc.address}: {exc}")
    wanted: list[tuple[RaydiumClmmPool, Pubkey]] = []
    for pool in pools:
        try:
            keys = pool.reserve_accounts()[2:]
        except QuoteError as exc:
            skipped.append(f"{pool.address}: {exc}")
            continue
        wanted += [(pool, k) for k in keys]
    arrays = rpc.get_multiple_accounts([k for _, k in wanted])
    for (pool, key), arr in zip(wanted, arrays, strict=True):
        if arr is None:
            continue  # the bitmap said initialised and the account is gone: a quote needing it fails closed
        try:
            ta = decode_tick_array(arr.data, key, arr.owner)
            if ta.pool_id != pool.address:
                raise AccountLayoutError(f"tick array {key} belongs to pool {ta.pool_id}")
        except AccountLayoutError as exc:
            skipped.append(f"{pool.address}: {exc}")
            continue
        pool.tick_arrays[ta.start_tick_index] = ta
    return pools
