"""An Orca Whirlpool inside solders LiteSVM running the real program binary (hash-checked): the pool at its program
address and its fixed tick arrays at theirs, written by the project's packers (`pack_whirlpool`,
`pack_tick_array`), and `swap` / `swap_v2` sent as a user would. Used to prove the quote against the program.

Arrays a swap walks without initialised ticks are not created: the program reads a missing array as empty, and so
does the quote.
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

from arbbot.solana.layouts import token_2022 as t22
from arbbot.solana.layouts.whirlpool import (
    TICK_ARRAY_SIZE,
    TickArray,
    WhirlpoolState,
    decode_tick_array,
    decode_whirlpool,
)
from arbbot.solana.programs import MEMO_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, anchor_instruction_discriminator
from arbbot.solana.quote.transfer_fee import TransferFee, TransferFeeConfig
from arbbot.solana.quote.whirlpool_math import tick_index_from_sqrt_price
from arbbot.solana.quote.whirlpool_swap import start_tick_index, swap_tick_array_starts
from arbbot.solana.testing.accounts import (
    TickArrayFields,
    TickFields,
    WhirlpoolFields,
    pack_mint,
    pack_tick_array,
    pack_token_account,
    pack_whirlpool,
)
from arbbot.solana.testing.ticks import Position, Put, build_ticks
from arbbot.solana.testing.venue_binaries import ORCA_WHIRLPOOL
from arbbot.solana.venues import oracle_address, tick_array_address, whirlpool_address

SWAP = anchor_instruction_discriminator("swap")
SWAP_V2 = anchor_instruction_discriminator("swap_v2")
CLOCK_TIMESTAMP = 1_700_000_000


def swap_data(amount: int, a_to_b: bool, *, v2: bool = False, sqrt_price_limit: int = 0) -> bytes:
    """`swap` (or `swap_v2`, with no remaining-accounts info) exact input: amount, no minimum out, Q64.64 limit
    (0 = the protocol bound), exact-input flag, direction."""
    body = struct.pack("<QQ", amount, 0) + sqrt_price_limit.to_bytes(16, "little") + bytes([1, int(a_to_b)])
    return SWAP_V2 + body + b"\x00" if v2 else SWAP + body


@dataclass(frozen=True)
class WhirlpoolKeys:
    """The accounts of one packed pool."""

    config: Pubkey
    pool: Pubkey
    vault_a: Pubkey
    vault_b: Pubkey


def add_whirlpool_pool(
    put: Put,
    mint_a: Pubkey,
    mint_b: Pubkey,
    *,
    tick_spacing: int,
    sqrt_price: int,
    positions: list[Position],
    make_vault: Callable[[Pubkey, Pubkey], Pubkey],
    fee_rate: int = 3000,
    protocol_fee_rate: int = 300,
    program: Pubkey = ORCA_WHIRLPOOL.program_id,
) -> WhirlpoolKeys:
    """Packs a pool of (`mint_a`, `mint_b`) under a fresh config with liquidity from `positions`: the `Whirlpool` at its
    program address with its bump, vaults held by the pool (`make_vault(mint, pool)`), and the tick arrays holding
    initialised ticks at their addresses."""
    config = Keypair().pubkey()
    pool, bump = whirlpool_address(config, mint_a, mint_b, tick_spacing, program)
    vault_a, vault_b = make_vault(mint_a, pool), make_vault(mint_b, pool)
    tick = tick_index_from_sqrt_price(sqrt_price)
    liquidity = sum(p.liquidity for p in positions if p.tick_lower <= tick < p.tick_upper)
    by_array: dict[int, list[TickFields]] = {}
    for t, (net, gross) in build_ticks(positions).items():
        if gross:
            start = start_tick_index(t, tick_spacing)
            by_array.setdefault(start, []).append(TickFields((t - start) // tick_spacing, net, gross))
    for start, ticks in by_array.items():
        put(tick_array_address(pool, start, program), program, pack_tick_array(TickArrayFields(start, pool, ticks)))
    fields = WhirlpoolFields(
        token_mint_a=mint_a,
        token_vault_a=vault_a,
        token_mint_b=mint_b,
        token_vault_b=vault_b,
        sqrt_price=sqrt_price,
        tick_current_index=tick,
        liquidity=liquidity,
        tick_spacing=tick_spacing,
        fee_rate=fee_rate,
        protocol_fee_rate=protocol_fee_rate,
        whirlpools_config=config,
        bump=bump,
    )
    put(pool, program, pack_whirlpool(fields))
    return WhirlpoolKeys(config, pool, vault_a, vault_b)


@dataclass
class WhirlpoolWorld:
    """One pool of two fresh mints and one user in a fresh LiteSVM with the real Whirlpool program.

    `transfer_fee_b`: mint B is a Token-2022 mint with that fee (then only `swap_v2` moves it).
    """

    tick_spacing: int
    sqrt_price: int
    positions: list[Position]
    fee_rate: int = 3000
    protocol_fee_rate: int = 300
    vault_balance: int = 2**63
    user_balance: int = 2**63
    transfer_fee_b: TransferFee | None = None
    svm: LiteSVM = field(init=False)
    user: Keypair = field(init=False, default_factory=Keypair)

    def __post_init__(self) -> None:
        self.svm = LiteSVM()
        clock = self.svm.get_clock()
        clock.unix_timestamp = CLOCK_TIMESTAMP
        self.svm.set_clock(clock)
        self.program = ORCA_WHIRLPOOL.program_id
        self.svm.add_program(self.program, ORCA_WHIRLPOOL.read())
        self.svm.airdrop(self.user.pubkey(), 10**12)
        self.mint_a, self.mint_b = Keypair().pubkey(), Keypair().pubkey()
        self.program_a, self.program_b = TOKEN_PROGRAM, TOKEN_PROGRAM
        self._put(self.mint_a, TOKEN_PROGRAM, pack_mint(6, 2**64 - 1))
        self.fee_config_b: TransferFeeConfig | None = None
        if self.transfer_fee_b is None:
            self._put(self.mint_b, TOKEN_PROGRAM, pack_mint(6, 2**64 - 1))
        else:
            self.program_b = TOKEN_2022_PROGRAM
            fee = self.transfer_fee_b
            self.fee_config_b = TransferFeeConfig(None, None, 0, fee, fee)
            record = (t22.TRANSFER_FEE_CONFIG, self.fee_config_b.pack())
            self._put(self.mint_b, TOKEN_2022_PROGRAM, t22.pack_mint_2022(None, 2**64 - 1, 6, [record]))
        keys = add_whirlpool_pool(
            self._put,
            self.mint_a,
            self.mint_b,
            tick_spacing=self.tick_spacing,
            sqrt_price=self.sqrt_price,
            positions=self.positions,
            fee_rate=self.fee_rate,
            protocol_fee_rate=self.protocol_fee_rate,
            make_vault=lambda mint, pool: self._token_account(
                mint, self.program_a if mint == self.mint_a else self.program_b, pool, self.vault_balance
            ),
            program=self.program,
        )
        self.config, self.pool, self.vault_a, self.vault_b = keys.config, keys.pool, keys.vault_a, keys.vault_b
        owner = self.user.pubkey()
        self.user_a = self._token_account(self.mint_a, self.program_a, owner, self.user_balance)
        self.user_b = self._token_account(self.mint_b, self.program_b, owner, self.user_balance)
        self.tick_arrays: dict[int, TickArray] = {}
        self.refresh()

    def _put(self, key: Pubkey, owner: Pubkey, data: bytes) -> None:
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(key, Account(lamports=lamports, data=data, owner=owner, executable=False))

    def _token_account(self, mint: Pubkey, program: Pubkey, owner: Pubkey, amount: int) -> Pubkey:
        key = Keypair().pubkey()
        if program == TOKEN_2022_PROGRAM:
            self._put(key, program, t22.pack_account_2022(mint, owner, amount, transfer_fee_mint=True))
        else:
            self._put(key, program, pack_token_account(mint, owner, amount))
        return key

    def refresh(self) -> None:
        """Re-read the pool and every tick array that exists (a swap moves the price and crosses ticks)."""
        acc = self.svm.get_account(self.pool)
        assert acc is not None
        self.state: WhirlpoolState = decode_whirlpool(bytes(acc.data), self.pool, acc.owner)
        width = TICK_ARRAY_SIZE * self.tick_spacing
        ticks = [t for p in self.positions for t in (p.tick_lower, p.tick_upper)] + [self.state.tick_current_index]
        low, high = start_tick_index(min(ticks), self.tick_spacing), start_tick_index(max(ticks), self.tick_spacing)
        self.tick_arrays = {}
        for start in range(low - 3 * width, high + 4 * width, width):
            key = tick_array_address(self.pool, start, self.program)
            ta = self.svm.get_account(key)
            if ta is not None and ta.owner == self.program:  # a swap leaves an empty record of an array it read
                self.tick_arrays[start] = decode_tick_array(bytes(ta.data), key, ta.owner)

    def balance(self, key: Pubkey) -> int:
        """The token balance (raw units) of the token account `key` (SPL Token or Token-2022)."""
        acc = self.svm.get_account(key)
        assert acc is not None
        return t22.account_amount(bytes(acc.data))

    def accounts(self, a_to_b: bool, *, v2: bool) -> list[AccountMeta]:
        """The venue's accounts for `swap` / `swap_v2` from the pool's current tick, as a user sends them."""
        starts = swap_tick_array_starts(self.state.tick_current_index, self.tick_spacing, a_to_b)
        arrays = [AccountMeta(tick_array_address(self.pool, s, self.program), False, True) for s in starts]
        oracle = AccountMeta(oracle_address(self.pool, self.program), False, v2)
        user, pool = AccountMeta(self.user.pubkey(), True, False), AccountMeta(self.pool, False, True)
        sides = [
            AccountMeta(self.user_a, False, True),
            AccountMeta(self.vault_a, False, True),
            AccountMeta(self.user_b, False, True),
            AccountMeta(self.vault_b, False, True),
        ]
        if not v2:
            return [AccountMeta(TOKEN_PROGRAM, False, False), user, pool, *sides, *arrays, oracle]
        programs = [AccountMeta(p, False, False) for p in (self.program_a, self.program_b, MEMO_PROGRAM)]
        mints = [AccountMeta(self.mint_a, False, False), AccountMeta(self.mint_b, False, False)]
        return [*programs, user, pool, *mints, *sides, *arrays, oracle]

    def swap(
        self,
        amount_in: int,
        a_to_b: bool,
        *,
        v2: bool = False,
        metas: list[AccountMeta] | None = None,
        sqrt_price_limit: int = 0,
    ) -> tuple[bool, int, int, str]:
        """Send an exact-input swap (with `metas` as its accounts if given). Returns (ok, taken from the user, paid to
        the user, logs), amounts as the user's token accounts moved."""
        user_in, user_out = (self.user_a, self.user_b) if a_to_b else (self.user_b, self.user_a)
        if metas is None:
            metas = self.accounts(a_to_b, v2=v2)
        data = swap_data(amount_in, a_to_b, v2=v2, sqrt_price_limit=sqrt_price_limit)
        ix = Instruction(self.program, data, metas)
        before_in, before_out = self.balance(user_in), self.balance(user_out)
        self.svm.expire_blockhash()
        msg = Message.new_with_blockhash([ix], self.user.pubkey(), self.svm.latest_blockhash())
        tx = Transaction([self.user], msg, self.svm.latest_blockhash())
        result = self.svm.send_transaction(tx)
        ok = isinstance(result, TransactionMetadata)
        meta = result if isinstance(result, TransactionMetadata) else result.meta()
        logs = "\n".join(meta.logs())
        return ok, before_in - self.balance(user_in), self.balance(user_out) - before_out, logs
