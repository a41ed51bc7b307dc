"""The Raydium AMM v4 quote against the real program, in LiteSVM.

The program is the mainnet dump committed in vendor/solana-programs (sha256-checked before it is
loaded); SPL Token is LiteSVM's built-in program. Pool, market, vault and mint accounts are built by
the project's packers (`pack_raydium`, `pack_market`, `pack_token_account`, `pack_mint`) and decoded
by the project's decoders; each example swaps `swap_base_in` through the real program with the
accounts of `RaydiumPool.hop_accounts` and compares what the user's output account received with
`RaydiumPool.quote`, and a quote refusal with a program failure.

Pools are SwapOnly (status 6) or WaitingTrade (7), where the program reads none of the market accounts
it is given; pools with the order book on (status 1) are refused by the quote, and are not proven here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from solders.account import Account
from solders.clock import Clock
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts import token_2022 as t22
from arbbot.solana.layouts.openbook import decode_market
from arbbot.solana.layouts.raydium import decode_raydium_amm_v4
from arbbot.solana.programs import OPENBOOK, RAYDIUM_AMM_V4, TOKEN_PROGRAM
from arbbot.solana.testing import venue_binaries
from arbbot.solana.testing.accounts import (
    MarketFields,
    RaydiumFields,
    pack_market,
    pack_mint,
    pack_raydium,
    pack_token_account,
)
from arbbot.solana.venues import RaydiumPool

U64_MAX = (1 << 64) - 1
SWAP_BASE_IN = 9
NOW = 1_700_000_000


@pytest.fixture(scope="module")
def svm() -> LiteSVM:
    svm = LiteSVM()
    svm.add_program(RAYDIUM_AMM_V4, venue_binaries.RAYDIUM_AMM_V4.read())
    svm.set_clock(Clock(slot=1, epoch_start_timestamp=0, epoch=0, leader_schedule_epoch=0, unix_timestamp=NOW))
    return svm


def _set(svm: LiteSVM, key: Pubkey, owner: Pubkey, data: bytes) -> None:
    lamports = svm.minimum_balance_for_rent_exemption(len(data))
    svm.set_account(key, Account(lamports=lamports, data=data, owner=owner, executable=False))


def _send(svm: LiteSVM, payer: Keypair, ix: Instruction) -> bool:
    svm.expire_blockhash()
    tx = VersionedTransaction(Message.new_with_blockhash([ix], payer.pubkey(), svm.latest_blockhash()), [payer])
    return not isinstance(svm.send_transaction(tx), FailedTransactionMetadata)


def _amount(svm: LiteSVM, key: Pubkey) -> int:
    acc = svm.get_account(key)
    assert acc is not None
    return t22.account_amount(bytes(acc.data))


def _token_account(svm: LiteSVM, mint: Pubkey, owner: Pubkey, amount: int) -> Pubkey:
    key = Pubkey.new_unique()
    _set(svm, key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount))
    return key


def _vault_signer(market: Pubkey) -> tuple[int, Pubkey]:
    for nonce in range(256):
        try:
            return nonce, Pubkey.create_program_address([bytes(market), nonce.to_bytes(8, "little")], OPENBOOK)
        except Exception:  # on the curve for this nonce: the market program would take another
            continue
    raise AssertionError("no vault signer nonce")


@dataclass(frozen=True)
class Spec:
    """A pool to build: vault balances, the pnl owed out of them, swap fee, status and open time."""

    coin: int
    pc: int
    pnl: tuple[int, int]
    swap_fee: tuple[int, int]
    status: int = 6
    open_time: int = 0


def build_pool(svm: LiteSVM, spec: Spec) -> RaydiumPool:
    """A pool and its OpenBook market in the bank, and the searcher's view decoded from the same bytes."""
    authority, nonce = Pubkey.find_program_address([b"amm authority"], RAYDIUM_AMM_V4)
    coin_mint, pc_mint = Pubkey.new_unique(), Pubkey.new_unique()
    _set(svm, coin_mint, TOKEN_PROGRAM, pack_mint(6, 1 << 62, Pubkey.new_unique()))
    _set(svm, pc_mint, TOKEN_PROGRAM, pack_mint(9, 1 << 62, Pubkey.new_unique()))
    coin_vault = _token_account(svm, coin_mint, authority, spec.coin)
    pc_vault = _token_account(svm, pc_mint, authority, spec.pc)
    market = Pubkey.new_unique()
    signer_nonce, vault_signer = _vault_signer(market)
    market_fields = MarketFields(
        market,
        signer_nonce,
        coin_mint,
        pc_mint,
        _token_account(svm, coin_mint, vault_signer, 0),
        _token_account(svm, pc_mint, vault_signer, 0),
        Pubkey.new_unique(),
        Pubkey.new_unique(),
        Pubkey.new_unique(),
        Pubkey.new_unique(),
    )
    market_data = pack_market(market_fields)
    _set(svm, market, OPENBOOK, market_data)
    fields = RaydiumFields(
        coin_vault,
        pc_vault,
        coin_mint,
        pc_mint,
        status=spec.status,
        nonce=nonce,
        coin_decimals=6,
        pc_decimals=9,
        swap_fee=spec.swap_fee,
        need_take_pnl_coin=spec.pnl[0],
        need_take_pnl_pc=spec.pnl[1],
        pool_open_time=spec.open_time,
        lp_mint=Pubkey.new_unique(),
        open_orders=Pubkey.new_unique(),
        market=market,
        market_program=OPENBOOK,
        target_orders=Pubkey.new_unique(),
    )
    key = Pubkey.new_unique()
    data = pack_raydium(fields)
    _set(svm, key, RAYDIUM_AMM_V4, data)
    state = decode_raydium_amm_v4(data, key, RAYDIUM_AMM_V4)
    return RaydiumPool(
        key,
        RAYDIUM_AMM_V4,
        coin_mint,
        pc_mint,
        state=state,
        coin_vault_amount=spec.coin,
        pc_vault_amount=spec.pc,
        market=decode_market(market_data, market, OPENBOOK, OPENBOOK),
    )


def swap(svm: LiteSVM, pool: RaydiumPool, coin_to_pc: bool, amount_in: int) -> int | None:
    """Runs `swap_base_in(amount_in, 0)` from a fresh user with the pool's hop accounts; what the output
    account received, or None if the program refused (and then nothing left the user)."""
    user = Keypair()
    svm.airdrop(user.pubkey(), 10**9)
    mint_in, mint_out = (pool.mint_a, pool.mint_b) if coin_to_pc else (pool.mint_b, pool.mint_a)
    user_in = _token_account(svm, mint_in, user.pubkey(), amount_in)
    user_out = _token_account(svm, mint_out, user.pubkey(), 0)
    block = pool.hop_accounts(mint_in, user.pubkey(), user_in, user_out)
    data = bytes([SWAP_BASE_IN]) + amount_in.to_bytes(8, "little") + bytes(8)
    ix = Instruction(block[0].pubkey, data, [AccountMeta(m.pubkey, m.is_signer, m.is_writable) for m in block[1:]])
    if not _send(svm, user, ix):
        assert _amount(svm, user_in) == amount_in
        return None
    assert _amount(svm, user_in) == 0
    return _amount(svm, user_out)


def _spec(coin: int, pc: int, pnl_coin: int, pnl_pc: int, fee: tuple[int, int], status: int, open_time: int) -> Spec:
    return Spec(coin, pc, (pnl_coin, pnl_pc), fee, status, open_time)


balances = st.one_of(
    st.integers(0, 1_000), st.integers(10**6, 10**15), st.integers(10**9, 10**13), st.integers(0, U64_MAX)
)
pnls = st.one_of(st.just(0), st.just(0), st.integers(0, 10**4), st.integers(0, U64_MAX))
denominators = st.one_of(st.sampled_from([10_000, 1_000_000, 1]), st.integers(1, 10**9))
# Mostly a fee below the amount (numerator under the denominator); sometimes none, all, more, or no denominator.
fees = st.one_of(
    denominators.flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))),
    st.sampled_from([(25, 10_000), (30, 10_000), (0, 10_000), (10_000, 10_000)]),
    st.tuples(st.integers(0, 10**9), st.integers(0, 10**9)),
)
statuses = st.sampled_from([6] * 6 + [7, 7, 1, 2])
open_times = st.sampled_from([0, NOW, NOW + 1, U64_MAX])
specs = st.builds(_spec, balances, balances, pnls, pnls, fees, statuses, open_times)
amounts = st.one_of(st.integers(1, 1_000), st.integers(1, 10**9), st.integers(1, U64_MAX))


def fee_under_half_a_unit(spec: Spec, amount_in: int) -> bool:
    """Whether the swap fee on `amount_in` is under half a unit (where program builds round differently)."""
    return 0 < 2 * amount_in * spec.swap_fee[0] < spec.swap_fee[1]


def _no_fee_out(pool: RaydiumPool, coin_to_pc: bool, amount_in: int) -> int | None:
    """What this build pays when it charges no fee (the same curve at a zero fee rate), or None if it fails."""
    zero_fee = dataclasses.replace(pool.state, swap_fee_numerator=0)
    priced = dataclasses.replace(pool, state=zero_fee)
    try:
        return priced.quote(pool.mint_a if coin_to_pc else pool.mint_b, amount_in)
    except QuoteError:
        return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs, amount_in=amounts, coin_to_pc=st.booleans())
@example(Spec(10**9, 2 * 10**9, (0, 0), (25, 10_000)), 7, True)  # fee under half a unit: 0 here, 1 later
@example(Spec(10**9, 2 * 10**9, (0, 0), (25, 10_000)), 200, True)  # exactly half a unit: 1
@example(Spec(10**9, 2 * 10**9, (0, 0), (25, 10_000)), 401, False)  # a unit and a bit: ceil to 2
@example(Spec(10**12, 10**12, (12_345, 67_890), (25, 10_000)), 10**6, False)  # pnl owed out of both vaults
@example(Spec(10**9, 10**9, (0, 0), (30, 10_000), status=7, open_time=NOW), 10**6, True)  # opens now
@example(Spec(10**9, 10**9, (0, 0), (30, 10_000), status=7, open_time=NOW + 1), 10**6, True)  # not yet
@example(Spec(10**9, 10**9, (0, 0), (25, 10_000), status=1), 10**6, True)  # order book on
@example(Spec(10**9, 10**9, (0, 0), (3, 2)), 10**6, True)  # fee above the amount
@example(Spec(10**9, 10**9, (0, 0), (25, 0)), 10**6, True)  # no denominator
@example(Spec(U64_MAX - 5, 10**9, (0, 0), (25, 10_000)), 10, True)  # the input vault would overflow
@example(Spec(10, 10**12, (11, 0), (25, 10_000)), 10, True)  # pnl above the vault
def test_quote_equals_the_real_program(svm: LiteSVM, spec: Spec, amount_in: int, coin_to_pc: bool) -> None:
    pool = build_pool(svm, spec)
    try:
        quoted: int | None = pool.quote(pool.mint_a if coin_to_pc else pool.mint_b, amount_in)
    except QuoteError as exc:
        quoted = None
        event("refused: " + re.sub(r"\d+", "N", str(exc).split(": ")[-1]))
    if quoted is not None:
        event("swapped")
    paid = swap(svm, pool, coin_to_pc, amount_in)
    if spec.status == 7 and quoted is None:
        # WaitingTrade: the program swaps once the clock reaches the open time (turning the pool
        # SwapOnly); the quote, which does not read the clock, refuses either way.
        event(f"WaitingTrade, {'open' if spec.open_time <= NOW else 'not yet open'}")
        if spec.open_time > NOW:
            assert paid is None
        return
    if quoted is None and fee_under_half_a_unit(spec, amount_in):
        # This build charges no fee there (later builds charge 1): the quote refuses rather than pick one.
        assert paid == _no_fee_out(pool, coin_to_pc, amount_in)
        return
    assert paid == quoted


def test_waiting_trade_opens_on_its_first_swap_and_then_quotes_exactly(svm: LiteSVM) -> None:
    """A WaitingTrade pool past its open time swaps and turns SwapOnly; decoded again, it quotes the next
    swap to the unit."""
    spec = Spec(10**9, 3 * 10**9, (0, 0), (30, 10_000), status=7, open_time=NOW - 5)
    pool = build_pool(svm, spec)
    with pytest.raises(QuoteError, match="status 7"):
        pool.quote(pool.mint_a, 10**6)
    first = swap(svm, pool, True, 10**6)
    assert first is not None
    acc = svm.get_account(pool.address)
    assert acc is not None
    state = decode_raydium_amm_v4(bytes(acc.data), pool.address, RAYDIUM_AMM_V4)
    assert state.status == 6
    reopened = RaydiumPool(
        pool.address,
        RAYDIUM_AMM_V4,
        pool.mint_a,
        pool.mint_b,
        state=state,
        coin_vault_amount=_amount(svm, state.coin_vault),
        pc_vault_amount=_amount(svm, state.pc_vault),
        market=pool.market,
    )
    assert (reopened.coin_vault_amount, reopened.pc_vault_amount) == (spec.coin + 10**6, spec.pc - first)
    quoted = reopened.quote(pool.mint_b, 5 * 10**6)
    assert swap(svm, reopened, False, 5 * 10**6) == quoted


def test_a_pool_with_its_order_book_on_is_refused_by_the_quote(svm: LiteSVM) -> None:
    """Status 1 pools count their OpenBook orders in the reserves: the quote refuses them rather than
    quoting the vaults alone. (Here the program fails too: it reads the market's order book, and no
    OpenBook program or book exists in this bank.)"""
    pool = build_pool(svm, Spec(10**9, 10**9, (0, 0), (25, 10_000), status=1))
    with pytest.raises(QuoteError, match=r"status 1 is not SwapOnly \(6\)"):
        pool.quote(pool.mint_a, 10**6)
    assert swap(svm, pool, True, 10**6) is None
