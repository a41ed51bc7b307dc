"""Read pools from a Solana RPC: discover them by program, or load given addresses; then their reserves."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, SolanaError, UnknownPoolProgram
from arbbot.solana.layouts.openbook import decode_market
from arbbot.solana.layouts.raydium import AMM_INFO_LEN, RaydiumAmmV4State, decode_raydium_amm_v4
from arbbot.solana.layouts.raydium_clmm import POOL_LEN as CLMM_POOL_LEN
from arbbot.solana.layouts.raydium_cpmm import POOL_STATE_LEN, CpmmPoolState, decode_pool_state
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.layouts.token_swap import TOKEN_SWAP_LEN, TokenSwapState, decode_token_swap
from arbbot.solana.layouts.whirlpool import WHIRLPOOL_LEN, WhirlpoolState, decode_tick_array, decode_whirlpool
from arbbot.solana.mints import read_mint
from arbbot.solana.pools.meteora_dlmm import load_dlmm_pairs
from arbbot.solana.pools.raydium_clmm import load_raydium_clmm
from arbbot.solana.pools.raydium_cpmm import build_cpmm_pools
from arbbot.solana.programs import (
    MARKET_PROGRAMS,
    METEORA_DLMM,
    ORCA_WHIRLPOOL,
    RAYDIUM_AMM_V4,
    RAYDIUM_CLMM,
    RAYDIUM_CPMM,
    SPL_TOKEN_SWAP,
    TOKEN_2022_PROGRAM,
    TOKEN_SWAP_PROGRAMS,
)
from arbbot.solana.rpc import AccountData, SolanaRpc
from arbbot.solana.venues import RaydiumPool, TokenSwapPool, VenuePool, WhirlpoolPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VenuePrograms:
    """Program ids to read: a subset of those arb_executor pins (it refuses any other, so a pool of
    another program could never be traded). Token-swap forks share its layout and go in `token_swap`."""

    token_swap: tuple[Pubkey, ...] = (SPL_TOKEN_SWAP,)
    raydium_amm_v4: Pubkey = RAYDIUM_AMM_V4
    whirlpool: Pubkey = ORCA_WHIRLPOOL
    raydium_cpmm: Pubkey | None = RAYDIUM_CPMM  # None: not read
    raydium_clmm: Pubkey | None = RAYDIUM_CLMM  # None: not read
    meteora_dlmm: Pubkey | None = METEORA_DLMM  # None: not read

    def check(self) -> None:
        """Raise `UnknownPoolProgram` unless every program id is the one arb_executor pins for its venue."""
        pinned = ", ".join(map(str, TOKEN_SWAP_PROGRAMS))
        for p in self.token_swap:
            if p not in TOKEN_SWAP_PROGRAMS:
                raise UnknownPoolProgram(f"token-swap program {p} is not pinned by arb_executor (pinned: {pinned})")
        if self.raydium_amm_v4 != RAYDIUM_AMM_V4:
            raise UnknownPoolProgram(f"Raydium AMM v4 program {self.raydium_amm_v4} is not {RAYDIUM_AMM_V4}")
        if self.whirlpool != ORCA_WHIRLPOOL:
            raise UnknownPoolProgram(f"Whirlpool program {self.whirlpool} is not {ORCA_WHIRLPOOL}")
        if self.raydium_cpmm not in (None, RAYDIUM_CPMM):
            raise UnknownPoolProgram(f"Raydium CPMM program {self.raydium_cpmm} is not {RAYDIUM_CPMM}")
        if self.raydium_clmm not in (None, RAYDIUM_CLMM):
            raise UnknownPoolProgram(f"Raydium CLMM program {self.raydium_clmm} is not {RAYDIUM_CLMM}")
        if self.meteora_dlmm not in (None, METEORA_DLMM):
            raise UnknownPoolProgram(f"Meteora DLMM program {self.meteora_dlmm} is not {METEORA_DLMM}")


@dataclass
class LoadResult:
    """The pools read, and a note per pool that was left out or cannot swap (only quote), as `address: reason`."""

    pools: list[VenuePool]
    skipped: list[str] = field(default_factory=list)  # "address: reason", for the report


PoolState = TokenSwapState | RaydiumAmmV4State | WhirlpoolState | CpmmPoolState


def _decode_pool(acc: AccountData, programs: VenuePrograms) -> PoolState:
    if acc.owner in programs.token_swap:
        return decode_token_swap(acc.data, acc.address, acc.owner, program=acc.owner)
    if acc.owner == programs.raydium_amm_v4:
        return decode_raydium_amm_v4(acc.data, acc.address, acc.owner)
    if acc.owner == programs.whirlpool:
        return decode_whirlpool(acc.data, acc.address, acc.owner)
    if programs.raydium_cpmm is not None and acc.owner == programs.raydium_cpmm:
        return decode_pool_state(acc.data, acc.address, acc.owner)
    raise UnknownPoolProgram(f"account {acc.address} is owned by {acc.owner}, which is not a supported venue program")


def _vaults(state: PoolState) -> list[Pubkey]:
    if isinstance(state, TokenSwapState):
        return [state.token_a, state.token_b]
    if isinstance(state, RaydiumAmmV4State):
        return [state.coin_vault, state.pc_vault]
    return []


def _build(rpc: SolanaRpc, decoded: Sequence[tuple[AccountData, PoolState]], skipped: list[str]) -> list[VenuePool]:
    """Fetch every pool's vaults / tick arrays in batched getMultipleAccounts calls and assemble the models."""
    cpmm = [(acc, s) for acc, s in decoded if isinstance(s, CpmmPoolState)]
    decoded = [(acc, s) for acc, s in decoded if not isinstance(s, CpmmPoolState)]
    unique = list(dict.fromkeys(k for _, state in decoded for k in _vaults(state)))
    fetched = dict(zip(unique, rpc.get_multiple_accounts(unique), strict=True))

    def balance(key: Pubkey, pool: Pubkey) -> int:
        acc = fetched.get(key)
        if acc is None:
            raise AccountLayoutError(f"pool {pool}: vault {key} does not exist")
        return decode_token_account(acc.data, key, acc.owner).amount

    pools: list[VenuePool] = []
    whirlpools: list[WhirlpoolPool] = []
    for acc, state in decoded:
        try:
            if isinstance(state, TokenSwapState):
                pools.append(
                    TokenSwapPool(
                        acc.address,
                        acc.owner,
                        state.token_a_mint,
                        state.token_b_mint,
                        state=state,
                        reserve_a=balance(state.token_a, acc.address),
                        reserve_b=balance(state.token_b, acc.address),
                    )
                )
            elif isinstance(state, RaydiumAmmV4State):
                pools.append(
                    RaydiumPool(
                        acc.address,
                        acc.owner,
                        state.coin_vault_mint,
                        state.pc_vault_mint,
                        state=state,
                        coin_vault_amount=balance(state.coin_vault, acc.address),
                        pc_vault_amount=balance(state.pc_vault, acc.address),
                    )
                )
            elif isinstance(state, WhirlpoolState):
                if state.adaptive_fee:
                    skipped.append(
                        f"{acc.address}: adaptive-fee Whirlpool (fee tier index {state.fee_tier_index}, tick spacing"
                        f" {state.tick_spacing}): its fee moves with the oracle and is not modelled"
                    )
                    continue
                wp = WhirlpoolPool(acc.address, acc.owner, state.token_mint_a, state.token_mint_b, state=state)
                whirlpools.append(wp)
                pools.append(wp)
        except SolanaError as exc:
            skipped.append(f"{acc.address}: {exc}")
    whirlpools = _whirlpool_mints(rpc, whirlpools, skipped)
    kept = {id(wp) for wp in whirlpools}
    kept -= _load_tick_arrays(rpc, whirlpools, skipped)
    pools = [p for p in pools if not isinstance(p, WhirlpoolPool) or id(p) in kept]
    _load_markets(rpc, [p for p in pools if isinstance(p, RaydiumPool)], skipped)
    pools.extend(build_cpmm_pools(rpc, cpmm, skipped))
    return pools


def _load_markets(rpc: SolanaRpc, pools: Sequence[RaydiumPool], skipped: list[str]) -> None:
    """The OpenBook market of each Raydium pool (its swap instruction names the market's accounts)."""
    accounts = rpc.get_multiple_accounts([p.state.market for p in pools])
    for pool, acc in zip(pools, accounts, strict=True):
        if pool.state.market_program not in MARKET_PROGRAMS:
            skipped.append(
                f"{pool.address}: market program {pool.state.market_program} is not pinned by arb_executor"
                " (pool can quote, not swap)"
            )
            continue
        if acc is None:
            skipped.append(f"{pool.address}: market {pool.state.market} does not exist (pool can quote, not swap)")
            continue
        try:
            pool.market = decode_market(acc.data, pool.state.market, acc.owner, pool.state.market_program)
        except AccountLayoutError as exc:
            skipped.append(f"{pool.address}: {exc} (pool can quote, not swap)")


def _whirlpool_mints(rpc: SolanaRpc, whirlpools: Sequence[WhirlpoolPool], skipped: list[str]) -> list[WhirlpoolPool]:
    """Each pool's mints read: the token program of each side (Token-2022 makes the hop `swap_v2`) and
    its transfer fee at the current epoch; a pool with a mint the executor refuses is skipped."""
    mints = list(dict.fromkeys(m for wp in whirlpools for m in (wp.state.token_mint_a, wp.state.token_mint_b)))
    fetched = dict(zip(mints, rpc.get_multiple_accounts(mints), strict=True)) if mints else {}
    epoch: int | None = None
    kept: list[WhirlpoolPool] = []
    for wp in whirlpools:
        try:
            what = f"Whirlpool {wp.address}"
            program_a, fee_a = read_mint(fetched[wp.state.token_mint_a], wp.state.token_mint_a, what)
            program_b, fee_b = read_mint(fetched[wp.state.token_mint_b], wp.state.token_mint_b, what)
        except SolanaError as exc:
            skipped.append(f"{wp.address}: {exc}")
            continue
        if TOKEN_2022_PROGRAM in (program_a, program_b):
            epoch = rpc.get_epoch() if epoch is None else epoch
            wp.set_mints(program_a, program_b, fee_a, fee_b, epoch)
        kept.append(wp)
    return kept


def _load_tick_arrays(rpc: SolanaRpc, whirlpools: Sequence[WhirlpoolPool], skipped: list[str]) -> set[int]:
    """Each pool's tick arrays; returns the ids of pools with an array that exists and cannot be read (a dynamic
    tick array, say): such a pool is dropped, since reading that array as empty would misquote it."""
    wanted = [(wp, key) for wp in whirlpools for key in wp.reserve_accounts()]
    accounts = rpc.get_multiple_accounts([k for _, k in wanted])
    failed: set[int] = set()
    for (wp, key), acc in zip(wanted, accounts, strict=True):
        if acc is None:
            continue  # never initialized: the program reads it as all-zero
        try:
            array = decode_tick_array(acc.data, key, acc.owner)
        except AccountLayoutError as exc:
            if id(wp) not in failed:
                skipped.append(f"{wp.address}: {exc}")
            failed.add(id(wp))
            continue
        wp.tick_arrays[array.start_tick_index] = array
    return failed


def discover_pools(rpc: SolanaRpc, programs: VenuePrograms = VenuePrograms()) -> LoadResult:
    """Every pool of the venue programs (getProgramAccounts filtered by account size)."""
    programs.check()
    skipped: list[str] = []
    decoded: list[tuple[AccountData, PoolState]] = []
    scans = [(p, TOKEN_SWAP_LEN) for p in programs.token_swap]
    scans += [(programs.raydium_amm_v4, AMM_INFO_LEN), (programs.whirlpool, WHIRLPOOL_LEN)]
    if programs.raydium_cpmm is not None:
        scans.append((programs.raydium_cpmm, POOL_STATE_LEN))
    for program, size in scans:
        for acc in rpc.get_program_accounts(program, data_size=size):
            try:
                decoded.append((acc, _decode_pool(acc, programs)))
            except AccountLayoutError as exc:
                skipped.append(f"{acc.address}: {exc}")
    pools = _build(rpc, decoded, skipped)
    if programs.raydium_clmm is not None:
        clmm = rpc.get_program_accounts(programs.raydium_clmm, data_size=CLMM_POOL_LEN)
        pools += load_raydium_clmm(rpc, clmm, skipped)
    if programs.meteora_dlmm is not None:
        dlmm, dlmm_skipped = load_dlmm_pairs(rpc)
        pools += dlmm
        skipped += dlmm_skipped
    return LoadResult(pools, skipped)


def load_pools(rpc: SolanaRpc, addresses: Iterable[Pubkey], programs: VenuePrograms = VenuePrograms()) -> LoadResult:
    """The given pools; an address that is missing or not a supported pool is an error naming it."""
    programs.check()
    keys = list(dict.fromkeys(addresses))
    decoded: list[tuple[AccountData, PoolState]] = []
    clmm: list[AccountData] = []
    dlmm: list[Pubkey] = []
    for key, acc in zip(keys, rpc.get_multiple_accounts(keys), strict=True):
        if acc is None:
            raise AccountLayoutError(f"pool {key} does not exist")
        if acc.owner == RAYDIUM_CLMM:
            clmm.append(acc)
            continue
        if acc.owner == METEORA_DLMM and programs.meteora_dlmm is not None:
            dlmm.append(key)
            continue
        decoded.append((acc, _decode_pool(acc, programs)))
    skipped: list[str] = []
    pools = _build(rpc, decoded, skipped) + load_raydium_clmm(rpc, clmm, skipped)
    if dlmm:
        pairs, dlmm_skipped = load_dlmm_pairs(rpc, dlmm)
        pools += pairs
        skipped += dlmm_skipped
    missing = set(keys) - {p.address for p in pools}
    if missing:
        raise AccountLayoutError("; ".join(r for r in skipped if any(r.startswith(str(k)) for k in missing)))
    return LoadResult(pools, skipped)
