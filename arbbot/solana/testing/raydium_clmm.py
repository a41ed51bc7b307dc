"""A Raydium CLMM pool inside solders LiteSVM running the real program binary (hash-checked): accounts built by
the project's packers (AmmConfig needs the program's hard-coded admin to create, so every account is packed the
same way), and `swap_v2` sent as a user would. Used to prove the quote against the program.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from solders.transaction_metadata import TransactionMetadata

from arbbot.solana.layouts.raydium_clmm import (
    EXTENSION_BITMAPS,
    TICK_ARRAY_SIZE,
    AmmConfig,
    ObservationState,
    PoolState,
    Tick,
    TickArrayBitmapExtension,
    TickArrayState,
    bitmap_extension_address,
    decode_pool,
    decode_tick_array,
    pack_amm_config,
    pack_bitmap_extension,
    pack_observation,
    pack_pool,
    pack_tick_array,
    pool_address,
    tick_array_address,
)
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.programs import MEMO_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, anchor_instruction_discriminator
from arbbot.solana.quote.raydium_clmm import (
    array_start_index,
    max_tick_in_default_bitmap,
    needs_bitmap_extension,
    tick_at_sqrt_price,
    tick_count,
)
from arbbot.solana.testing.accounts import pack_mint, pack_token_account
from arbbot.solana.testing.ticks import Position, Put, build_ticks
from arbbot.solana.testing.venue_binaries import RAYDIUM_CLMM

SWAP_V2 = anchor_instruction_discriminator("swap_v2")
CLOCK_TIMESTAMP = 1_700_000_000


def swap_v2_data(amount: int, other_amount_threshold: int, sqrt_price_limit_x64: int, is_base_input: bool) -> bytes:
    """The instruction data of CLMM `swap_v2`: discriminator, amount, threshold, Q64.64 price limit, base-input flag."""
    return (
        SWAP_V2
        + struct.pack("<QQ", amount, other_amount_threshold)
        + sqrt_price_limit_x64.to_bytes(16, "little")
        + bytes([int(is_base_input)])
    )


def _set_bit(n: int, i: int) -> int:
    return n | (1 << i)


@dataclass
class ClmmPool:
    """The accounts of one packed pool, as written."""

    program: Pubkey
    amm_config: Pubkey
    config: AmmConfig
    pool: Pubkey
    mint_0: Pubkey
    mint_1: Pubkey
    vault_0: Pubkey
    vault_1: Pubkey
    observation: Pubkey
    state: PoolState
    tick_arrays: dict[int, TickArrayState]
    extension: TickArrayBitmapExtension


def add_clmm_pool(
    put: Put,
    mint_a: Pubkey,
    mint_b: Pubkey,
    *,
    tick_spacing: int,
    sqrt_price_x64: int,
    positions: list[Position],
    trade_fee_rate: int = 2500,
    protocol_fee_rate: int = 120_000,
    fund_fee_rate: int = 40_000,
    make_vault: Callable[[Pubkey, Pubkey], Pubkey] | None = None,
    vault_balance: int = 10**18,
    program: Pubkey = RAYDIUM_CLMM.program_id,
    observation_initialized: bool = False,
) -> ClmmPool:
    """Packs a pool of mints (a, b) (ordered as the program orders them) with liquidity from `positions`:
    AmmConfig, PoolState at its PDA, vaults held by the pool (`make_vault(mint, pool)` or plain token accounts
    holding `vault_balance`), an ObservationState, the initialised tick arrays at their PDAs with their bits set
    in the pool's bitmap or the bitmap extension, and the extension."""
    mint_0, mint_1 = (mint_a, mint_b) if bytes(mint_a) < bytes(mint_b) else (mint_b, mint_a)
    amm_config = Keypair().pubkey()
    config = AmmConfig(
        bump=255,
        index=0,
        owner=Keypair().pubkey(),
        protocol_fee_rate=protocol_fee_rate,
        trade_fee_rate=trade_fee_rate,
        tick_spacing=tick_spacing,
        fund_fee_rate=fund_fee_rate,
        fund_owner=Keypair().pubkey(),
    )
    put(amm_config, program, pack_amm_config(config))
    pool, bump = pool_address(amm_config, mint_0, mint_1, program)
    if make_vault is None:

        def make_vault(mint: Pubkey, owner: Pubkey) -> Pubkey:
            key = Keypair().pubkey()
            put(key, TOKEN_PROGRAM, pack_token_account(mint, owner, vault_balance))
            return key

    vault_0, vault_1 = make_vault(mint_0, pool), make_vault(mint_1, pool)
    observation = Keypair().pubkey()
    put(observation, program, pack_observation(ObservationState(observation_initialized, pool)))

    tick_current = tick_at_sqrt_price(sqrt_price_x64)
    liquidity = sum(p.liquidity for p in positions if p.tick_lower <= tick_current < p.tick_upper)
    by_array: dict[int, list[Tick]] = {}
    for t, (net, gross) in build_ticks(positions).items():
        if gross:
            by_array.setdefault(array_start_index(t, tick_spacing), []).append(Tick(t, net, gross))
    bitmap = 0
    pos = [0] * EXTENSION_BITMAPS
    neg = [0] * EXTENSION_BITMAPS
    per = max_tick_in_default_bitmap(tick_spacing)
    n = tick_count(tick_spacing)
    tick_arrays: dict[int, TickArrayState] = {}
    for start, tlist in by_array.items():
        slots = [Tick(start + i * tick_spacing, 0, 0) for i in range(TICK_ARRAY_SIZE)]
        for tick in tlist:
            slots[(tick.tick - start) // tick_spacing] = tick
        arr = TickArrayState(pool, start, tuple(slots), len(tlist))
        tick_arrays[start] = arr
        put(tick_array_address(pool, start, program), program, pack_tick_array(arr))
        if needs_bitmap_extension(start, tick_spacing):
            offset = abs(start) // per - 1
            if start < 0 and abs(start) % per == 0:
                offset -= 1
            m = abs(start) % per
            bit = m // n
            if start < 0 and m != 0:
                bit = 512 - bit
            if start < 0:
                neg[offset] = _set_bit(neg[offset], bit)
            else:
                pos[offset] = _set_bit(pos[offset], bit)
        else:
            bitmap = _set_bit(bitmap, start // n + 512)
    extension = TickArrayBitmapExtension(pool, tuple(pos), tuple(neg))
    put(bitmap_extension_address(pool, program), program, pack_bitmap_extension(extension))
    state = PoolState(
        bump=bump,
        amm_config=amm_config,
        owner=Keypair().pubkey(),
        token_mint_0=mint_0,
        token_mint_1=mint_1,
        token_vault_0=vault_0,
        token_vault_1=vault_1,
        observation_key=observation,
        mint_decimals_0=6,
        mint_decimals_1=6,
        tick_spacing=tick_spacing,
        liquidity=liquidity,
        sqrt_price_x64=sqrt_price_x64,
        tick_current=tick_current,
        tick_array_bitmap=bitmap,
    )
    put(pool, program, pack_pool(state))
    return ClmmPool(
        program, amm_config, config, pool, mint_0, mint_1, vault_0, vault_1, observation, state, tick_arrays, extension
    )


@dataclass
class ClmmWorld:
    """One pool and one user in a fresh LiteSVM with the real CLMM program."""

    tick_spacing: int
    sqrt_price_x64: int
    positions: list[Position]
    trade_fee_rate: int = 2500
    protocol_fee_rate: int = 120_000
    fund_fee_rate: int = 40_000
    vault_balance: int = 10**18
    user_balance: int = 2**63
    observation_initialized: bool = False
    svm: LiteSVM = field(init=False)
    user: Keypair = field(init=False, default_factory=Keypair)

    def __post_init__(self) -> None:
        self.svm = LiteSVM()
        clock = self.svm.get_clock()
        clock.unix_timestamp = CLOCK_TIMESTAMP
        self.svm.set_clock(clock)
        self.program = RAYDIUM_CLMM.program_id
        self.svm.add_program(self.program, RAYDIUM_CLMM.read())
        self.svm.airdrop(self.user.pubkey(), 10**12)
        a, b = Keypair().pubkey(), Keypair().pubkey()
        for m in (a, b):
            self._put(m, TOKEN_PROGRAM, pack_mint(6, 2**64 - 1))
        p = add_clmm_pool(
            self._put,
            a,
            b,
            tick_spacing=self.tick_spacing,
            sqrt_price_x64=self.sqrt_price_x64,
            positions=self.positions,
            trade_fee_rate=self.trade_fee_rate,
            protocol_fee_rate=self.protocol_fee_rate,
            fund_fee_rate=self.fund_fee_rate,
            vault_balance=self.vault_balance,
            program=self.program,
            observation_initialized=self.observation_initialized,
        )
        self.amm_config, self.config, self.pool = p.amm_config, p.config, p.pool
        self.mint_0, self.mint_1, self.vault_0, self.vault_1 = p.mint_0, p.mint_1, p.vault_0, p.vault_1
        self.observation, self.state, self.tick_arrays, self.extension = (
            p.observation,
            p.state,
            p.tick_arrays,
            p.extension,
        )
        self.user_0, self.user_1 = Keypair().pubkey(), Keypair().pubkey()
        owner = self.user.pubkey()
        self._put(self.user_0, TOKEN_PROGRAM, pack_token_account(self.mint_0, owner, self.user_balance))
        self._put(self.user_1, TOKEN_PROGRAM, pack_token_account(self.mint_1, owner, self.user_balance))

    def _put(self, key: Pubkey, owner: Pubkey, data: bytes) -> None:
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(key, Account(lamports=lamports, data=data, owner=owner, executable=False))

    def refresh(self) -> None:
        """Re-read the pool and its tick arrays from the bank (a swap moves the price and crosses ticks)."""
        acc = self.svm.get_account(self.pool)
        assert acc is not None
        self.state = decode_pool(bytes(acc.data), self.pool, acc.owner)
        for start in list(self.tick_arrays):
            key = tick_array_address(self.pool, start, self.program)
            ta = self.svm.get_account(key)
            assert ta is not None
            self.tick_arrays[start] = decode_tick_array(bytes(ta.data), key, ta.owner)

    def balance(self, key: Pubkey) -> int:
        """The token balance (raw units) of the token account `key`."""
        acc = self.svm.get_account(key)
        assert acc is not None
        return decode_token_account(bytes(acc.data), key, acc.owner).amount

    def swap(
        self,
        amount_in: int,
        zero_for_one: bool,
        tick_array_starts: list[int],
        *,
        with_extension: bool = False,
        sqrt_price_limit_x64: int = 0,
        metas: list[AccountMeta] | None = None,
    ) -> tuple[bool, int, int, str]:
        """Send `swap_v2` exact input (with `metas` as its accounts if given). Returns (ok, taken from the user,
        paid to the user, logs)."""
        user_in, user_out = (self.user_0, self.user_1) if zero_for_one else (self.user_1, self.user_0)
        vault_in, vault_out = (self.vault_0, self.vault_1) if zero_for_one else (self.vault_1, self.vault_0)
        mint_in, mint_out = (self.mint_0, self.mint_1) if zero_for_one else (self.mint_1, self.mint_0)
        if metas is None:
            metas = [
                AccountMeta(self.user.pubkey(), True, False),
                AccountMeta(self.amm_config, False, False),
                AccountMeta(self.pool, False, True),
                AccountMeta(user_in, False, True),
                AccountMeta(user_out, False, True),
                AccountMeta(vault_in, False, True),
                AccountMeta(vault_out, False, True),
                AccountMeta(self.observation, False, True),
                AccountMeta(TOKEN_PROGRAM, False, False),
                AccountMeta(TOKEN_2022_PROGRAM, False, False),
                AccountMeta(MEMO_PROGRAM, False, False),
                AccountMeta(mint_in, False, False),
                AccountMeta(mint_out, False, False),
            ]
            if with_extension:
                metas.append(AccountMeta(bitmap_extension_address(self.pool, self.program), False, False))
            metas += [
                AccountMeta(tick_array_address(self.pool, s, self.program), False, True) for s in tick_array_starts
            ]
        ix = Instruction(self.program, swap_v2_data(amount_in, 0, sqrt_price_limit_x64, True), metas)
        before_in, before_out = self.balance(user_in), self.balance(user_out)
        self.svm.expire_blockhash()
        msg = Message.new_with_blockhash([ix], self.user.pubkey(), self.svm.latest_blockhash())
        tx = Transaction([self.user], msg, self.svm.latest_blockhash())
        result = self.svm.send_transaction(tx)
        ok = isinstance(result, TransactionMetadata)
        meta = result if isinstance(result, TransactionMetadata) else result.meta()
        logs = "\n".join(meta.logs())
        return ok, before_in - self.balance(user_in), self.balance(user_out) - before_out, logs
