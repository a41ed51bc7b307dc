"""Venue pools as the searcher sees them: decoded state + reserves, an exact quote, and the hop's account block.

The account block of a hop is what the arb_executor program expects in `remaining_accounts`: the venue
program first, then the accounts of that venue's own swap instruction, in that instruction's order
(SPL token-swap `Swap`, Raydium AMM v4 `swap_base_in`, Whirlpool `swap` or `swap_v2`); the positions are checked
against the program's own constants in tests/unit/solana/test_ix_vectors.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import IntEnum

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.openbook import MarketState
from arbbot.solana.layouts.raydium import SWAPPABLE_STATUS, RaydiumAmmV4State
from arbbot.solana.layouts.token_swap import CURVE_CONSTANT_PRODUCT, CURVE_NAMES, TokenSwapState
from arbbot.solana.layouts.whirlpool import TickArray, WhirlpoolState
from arbbot.solana.programs import MEMO_PROGRAM, ORCA_WHIRLPOOL, TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.constant_product import U64_MAX, raydium_swap_base_in_out, token_swap_constant_product_out
from arbbot.solana.quote.transfer_fee import TransferFeeConfig, epoch_transfer_fee
from arbbot.solana.quote.whirlpool_swap import swap, swap_tick_array_starts, zeroed_tick_array


class Venue(IntEnum):
    """Borsh tag of the program's `Venue` enum (variant order)."""

    SPL_TOKEN_SWAP = 0
    RAYDIUM_AMM_V4 = 1
    ORCA_WHIRLPOOL = 2
    RAYDIUM_CPMM = 3
    RAYDIUM_CLMM = 4
    METEORA_DLMM = 5
    ORCA_WHIRLPOOL_V2 = 6


def _w(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=False, is_writable=True)


def _r(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=False, is_writable=False)


def _s(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=True, is_writable=False)


@dataclass
class VenuePool(ABC):
    """A pool of one supported venue: its address, owning program and the two mints, in the pool's own order.

    `mint_a`/`mint_b` are the venue's token A/B (coin/pc for Raydium AMM v4); `venue` is set by the subclass
    and is the tag the arb_executor program dispatches on. Subclasses hold the decoded on-chain state, which
    is untrusted input: quoting refuses states the program would refuse.
    """

    address: Pubkey
    program: Pubkey
    mint_a: Pubkey
    mint_b: Pubkey

    venue: Venue = field(init=False)

    @property
    def id(self) -> str:
        """The pool address as a base-58 string: the pool's id in the token graph and in routes."""
        return str(self.address)

    def a_to_b(self, mint_in: Pubkey) -> bool:
        """True when `mint_in` is the pool's mint A (the swap goes A to B), False when it is mint B.

        Raises `QuoteError` when `mint_in` is neither of the pool's mints.
        """
        if mint_in == self.mint_a:
            return True
        if mint_in == self.mint_b:
            return False
        raise QuoteError(f"pool {self.address}: mint {mint_in} is neither {self.mint_a} nor {self.mint_b}")

    def mint_out(self, mint_in: Pubkey) -> Pubkey:
        """The mint a swap of `mint_in` pays out; `QuoteError` when `mint_in` is not one of the pool's mints."""
        return self.mint_b if self.a_to_b(mint_in) else self.mint_a

    @abstractmethod
    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact amount out for `amount_in` of `mint_in`; QuoteError where the program would fail."""

    @abstractmethod
    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        """The hop's account block: venue program, then the venue's swap accounts in its own order."""

    @abstractmethod
    def reserve_accounts(self) -> list[Pubkey]:
        """Accounts to re-read to refresh this pool (vaults, tick arrays)."""


@dataclass
class TokenSwapPool(VenuePool):
    """An SPL token-swap pool with its vault balances (`reserve_a`, `reserve_b`, raw token units).

    Only the constant-product curve is quoted; other curves raise `QuoteError`.
    """

    state: TokenSwapState = field(kw_only=True)
    reserve_a: int = field(kw_only=True)
    reserve_b: int = field(kw_only=True)

    def __post_init__(self) -> None:
        self.venue = Venue.SPL_TOKEN_SWAP

    @property
    def authority(self) -> Pubkey:
        """The swap authority PDA, derived from the pool address and the state's `bump_seed`."""
        return Pubkey.create_program_address([bytes(self.address), bytes([self.state.bump_seed])], self.program)

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact constant-product output in raw units of the other mint, with the pool's trade and owner fees.

        Raises `QuoteError` for curves other than constant product and where the program would fail.
        """
        if self.state.curve_type != CURVE_CONSTANT_PRODUCT:
            name = CURVE_NAMES.get(self.state.curve_type, "unknown")
            raise QuoteError(f"token-swap pool {self.address}: curve {self.state.curve_type} ({name}) is not supported")
        a_to_b = self.a_to_b(mint_in)
        r_in, r_out = (self.reserve_a, self.reserve_b) if a_to_b else (self.reserve_b, self.reserve_a)
        f = self.state.fees
        return token_swap_constant_product_out(
            amount_in,
            r_in,
            r_out,
            (f.trade_fee_numerator, f.trade_fee_denominator),
            (f.owner_trade_fee_numerator, f.owner_trade_fee_denominator),
        )

    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        """The `Swap` account block (program first), with the vaults ordered by the swap direction."""
        a_to_b = self.a_to_b(mint_in)
        vault_in, vault_out = (
            (self.state.token_a, self.state.token_b) if a_to_b else (self.state.token_b, self.state.token_a)
        )
        return [
            _r(self.program),
            _r(self.address),
            _r(self.authority),
            _s(owner),
            _w(user_in),
            _w(vault_in),
            _w(vault_out),
            _w(user_out),
            _w(self.state.pool_mint),
            _w(self.state.pool_fee_account),
            _r(self.state.token_program_id),
        ]

    def reserve_accounts(self) -> list[Pubkey]:
        """The two vaults, whose balances are the reserves."""
        return [self.state.token_a, self.state.token_b]


@dataclass
class RaydiumPool(VenuePool):
    """A Raydium AMM v4 pool with its coin and pc vault balances (raw token units).

    `market` is the OpenBook market the pool trades against; quoting does not need it, building the hop does.
    """

    state: RaydiumAmmV4State = field(kw_only=True)
    coin_vault_amount: int = field(kw_only=True)
    pc_vault_amount: int = field(kw_only=True)
    market: MarketState | None = field(kw_only=True, default=None)  # needed to swap, not to quote

    def __post_init__(self) -> None:
        self.venue = Venue.RAYDIUM_AMM_V4

    def reserves(self) -> tuple[int, int]:
        """Vault balances net of the pnl the pool owes its owner (calc_total_without_take_pnl_no_orderbook)."""
        coin = self.coin_vault_amount - self.state.need_take_pnl_coin
        pc = self.pc_vault_amount - self.state.need_take_pnl_pc
        if coin < 0 or pc < 0:
            raise QuoteError(f"Raydium pool {self.address}: need_take_pnl exceeds the vault balance")
        return coin, pc

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact `swap_base_in` output on the pnl-adjusted reserves (see `reserves`), with the pool's swap fee.

        Raises `QuoteError` when the pool is not SwapOnly (status 6: a pool waiting for its open time
        depends on the clock, an order book pool's reserves on its OpenBook orders, neither read here) or
        the program would fail.
        """
        if self.state.status not in SWAPPABLE_STATUS:
            raise QuoteError(f"Raydium pool {self.address}: status {self.state.status} is not SwapOnly (6)")
        coin, pc = self.reserves()
        a_to_b = self.a_to_b(mint_in)
        r_in, r_out = (coin, pc) if a_to_b else (pc, coin)
        vault_in = self.coin_vault_amount if a_to_b else self.pc_vault_amount
        if vault_in + amount_in > U64_MAX:  # the transfer into the vault would overflow its balance
            raise QuoteError(f"Raydium pool {self.address}: {amount_in} in overflows the vault balance {vault_in}")
        return raydium_swap_base_in_out(
            amount_in, r_in, r_out, self.state.swap_fee_numerator, self.state.swap_fee_denominator
        )

    @property
    def authority(self) -> Pubkey:
        """The AMM authority PDA (seed `amm authority` under the program), shared by every pool of the program."""
        return Pubkey.find_program_address([b"amm authority"], self.program)[0]

    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        """`swap_base_in` without target orders: 17 accounts after the program (the OpenBook ones included)."""
        self.a_to_b(mint_in)
        m = self.market
        if m is None:
            raise QuoteError(f"Raydium pool {self.address}: market {self.state.market} was not loaded")
        return [
            _r(self.program),
            _r(TOKEN_PROGRAM),
            _w(self.address),
            _r(self.authority),
            _w(self.state.open_orders),
            _w(self.state.coin_vault),
            _w(self.state.pc_vault),
            _r(m.program),
            _w(m.address),
            _w(m.bids),
            _w(m.asks),
            _w(m.event_queue),
            _w(m.coin_vault),
            _w(m.pc_vault),
            _r(m.vault_signer),
            _w(user_in),
            _w(user_out),
            _s(owner),
        ]

    def reserve_accounts(self) -> list[Pubkey]:
        """The coin and pc vaults, whose balances are the reserves."""
        return [self.state.coin_vault, self.state.pc_vault]


def whirlpool_address(
    config: Pubkey, mint_a: Pubkey, mint_b: Pubkey, tick_spacing: int, program: Pubkey = ORCA_WHIRLPOOL
) -> tuple[Pubkey, int]:
    """The PDA of a Whirlpool and its bump (the program signs its vaults' transfers with these seeds)."""
    seeds = [b"whirlpool", bytes(config), bytes(mint_a), bytes(mint_b), tick_spacing.to_bytes(2, "little")]
    return Pubkey.find_program_address(seeds, program)


def tick_array_address(whirlpool: Pubkey, start_tick_index: int, program: Pubkey = ORCA_WHIRLPOOL) -> Pubkey:
    """The PDA of the Whirlpool tick array starting at `start_tick_index` (the start tick as a decimal string seed)."""
    return Pubkey.find_program_address([b"tick_array", bytes(whirlpool), str(start_tick_index).encode()], program)[0]


def oracle_address(whirlpool: Pubkey, program: Pubkey = ORCA_WHIRLPOOL) -> Pubkey:
    """The PDA of a Whirlpool's oracle account, passed to `swap` whether or not the pool uses it."""
    return Pubkey.find_program_address([b"oracle", bytes(whirlpool)], program)[0]


@dataclass
class WhirlpoolPool(VenuePool):
    """A Whirlpool quoted at its `fee_rate`, as the program swaps a pool made without an adaptive fee. A pool made on
    an adaptive-fee tier (its fee moves with an oracle account this model does not read) is refused, never quoted.

    A pool with a Token-2022 mint trades through `swap_v2` (each side's mint and token program in the
    block): the pool swaps what arrives after the input's transfer fee, and the user receives the output
    less its transfer fee, both at `epoch`."""

    state: WhirlpoolState = field(kw_only=True)
    tick_arrays: dict[int, TickArray] = field(kw_only=True, default_factory=dict)  # by start tick index
    token_program_a: Pubkey = field(kw_only=True, default=TOKEN_PROGRAM)
    token_program_b: Pubkey = field(kw_only=True, default=TOKEN_PROGRAM)
    transfer_fee_a: TransferFeeConfig | None = field(kw_only=True, default=None)
    transfer_fee_b: TransferFeeConfig | None = field(kw_only=True, default=None)
    epoch: int = field(kw_only=True, default=0)

    def __post_init__(self) -> None:
        self.set_mints(self.token_program_a, self.token_program_b, self.transfer_fee_a, self.transfer_fee_b, self.epoch)

    def set_mints(
        self,
        program_a: Pubkey,
        program_b: Pubkey,
        fee_a: TransferFeeConfig | None,
        fee_b: TransferFeeConfig | None,
        epoch: int,
    ) -> None:
        """Each side's token program and transfer fee at `epoch`; a Token-2022 side makes the hop `swap_v2`."""
        for program in (program_a, program_b):
            if program not in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
                raise QuoteError(f"Whirlpool {self.address}: token program {program} is neither token program")
        self.token_program_a, self.token_program_b = program_a, program_b
        self.transfer_fee_a, self.transfer_fee_b, self.epoch = fee_a, fee_b, epoch
        v2 = TOKEN_2022_PROGRAM in (program_a, program_b)
        self.venue = Venue.ORCA_WHIRLPOOL_V2 if v2 else Venue.ORCA_WHIRLPOOL

    def tick_array_starts(self, a_to_b: bool) -> list[int]:
        """Start tick indices of the three tick arrays a swap in this direction may cross, in swap order."""
        return swap_tick_array_starts(self.state.tick_current_index, self.state.tick_spacing, a_to_b)

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact output the user receives for `amount_in` of `mint_in`, transfer fees of both sides included.

        The input's Token-2022 transfer fee is taken before the swap and the output's after it, both at `epoch`;
        raises `QuoteError` when the fee takes the whole input, the swap would fail on chain or fill only part of
        the input, or the pool has an adaptive fee.
        """
        if self.state.adaptive_fee:
            raise QuoteError(
                f"Whirlpool {self.address}: adaptive-fee pool (fee tier index {self.state.fee_tier_index}, tick spacing"
                f" {self.state.tick_spacing}): its fee moves with the oracle and is not modelled"
            )
        a_to_b = self.a_to_b(mint_in)
        fee_in, fee_out = (
            (self.transfer_fee_a, self.transfer_fee_b) if a_to_b else (self.transfer_fee_b, self.transfer_fee_a)
        )
        arriving = amount_in - epoch_transfer_fee(fee_in, self.epoch, amount_in)
        if arriving <= 0:
            raise QuoteError(f"Whirlpool {self.address}: the transfer fee takes all of {amount_in}")
        out = self._swap(a_to_b, arriving)
        return out - epoch_transfer_fee(fee_out, self.epoch, out)

    def _swap(self, a_to_b: bool, amount_in: int) -> int:
        arrays = [self.tick_arrays.get(s) or zeroed_tick_array(s) for s in self.tick_array_starts(a_to_b)]
        result = swap(
            amount=amount_in,
            a_to_b=a_to_b,
            sqrt_price=self.state.sqrt_price,
            tick_current_index=self.state.tick_current_index,
            liquidity=self.state.liquidity,
            fee_rate=self.state.fee_rate,
            tick_spacing=self.state.tick_spacing,
            arrays=arrays,
        )
        if result.amount_in != amount_in:
            raise QuoteError(
                f"Whirlpool {self.address}: only {result.amount_in} of {amount_in} can be swapped at the price limit"
            )
        return result.amount_out

    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        """The `swap` (or, with a Token-2022 side, `swap_v2`) account block, program first, for this direction."""
        a_to_b = self.a_to_b(mint_in)
        owner_a, owner_b = (user_in, user_out) if a_to_b else (user_out, user_in)
        arrays = [tick_array_address(self.address, s, self.program) for s in self.tick_array_starts(a_to_b)]
        if self.venue == Venue.ORCA_WHIRLPOOL_V2:  # swap_v2's order (arb_executor `orca_whirlpool_v2`)
            return [
                _r(self.program),
                _r(self.token_program_a),
                _r(self.token_program_b),
                _r(MEMO_PROGRAM),
                _s(owner),
                _w(self.address),
                _r(self.state.token_mint_a),
                _r(self.state.token_mint_b),
                _w(owner_a),
                _w(self.state.token_vault_a),
                _w(owner_b),
                _w(self.state.token_vault_b),
                *(_w(a) for a in arrays),
                _w(oracle_address(self.address, self.program)),
            ]
        return [
            _r(self.program),
            _r(TOKEN_PROGRAM),
            _s(owner),
            _w(self.address),
            _w(owner_a),
            _w(self.state.token_vault_a),
            _w(owner_b),
            _w(self.state.token_vault_b),
            *(_w(a) for a in arrays),
            _w(oracle_address(self.address, self.program)),
        ]

    def reserve_accounts(self) -> list[Pubkey]:
        """The PDAs of the tick arrays either direction may cross (vault balances do not set a Whirlpool's price)."""
        starts = sorted(set(self.tick_array_starts(True) + self.tick_array_starts(False)))
        return [tick_array_address(self.address, s, self.program) for s in starts]
