"""The CPMM quote and the Token-2022 transfer-fee math against the real programs, in LiteSVM.

The Raydium CPMM program is the SBF build committed in vendor/solana-programs (sha256-checked before it
is loaded); Token-2022 and SPL Token are LiteSVM's built-in programs. Pool, config, observation,
vault and mint accounts are built by the project's packers; each example swaps through the real
program and compares what the user's output account received with `RaydiumCpmmPool.quote`, and a
quote refusal with a program failure.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
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
from arbbot.solana.layouts.raydium_cpmm import (
    CpmmAmmConfig,
    CpmmPoolState,
    pack_amm_config,
    pack_observation_state,
    pack_pool_state,
    vault_authority,
)
from arbbot.solana.pools.raydium_cpmm import RaydiumCpmmPool
from arbbot.solana.programs import RAYDIUM_CPMM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, anchor_instruction_discriminator
from arbbot.solana.quote.transfer_fee import (
    TransferFee,
    TransferFeeConfig,
    mint_transfer_fee_config,
    post_fee_amount,
    transfer_fee,
)
from arbbot.solana.testing import venue_binaries
from arbbot.solana.testing.accounts import pack_mint, pack_token_account

U64_MAX = (1 << 64) - 1
SWAP_BASE_INPUT = anchor_instruction_discriminator("swap_base_input")


@pytest.fixture(scope="module")
def svm() -> LiteSVM:
    svm = LiteSVM()
    svm.add_program(RAYDIUM_CPMM, venue_binaries.RAYDIUM_CPMM.read())
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


def _withheld(svm: LiteSVM, key: Pubkey) -> int:
    acc = svm.get_account(key)
    assert acc is not None
    return t22.account_withheld(bytes(acc.data)) if acc.owner == TOKEN_2022_PROGRAM else 0


def _fee_config(older: TransferFee, newer: TransferFee) -> TransferFeeConfig:
    return TransferFeeConfig(None, None, 0, older, newer)


@dataclass
class Side:
    reserve: int
    owed: tuple[int, int]  # protocol, fund fees held in the vault
    fee: TransferFeeConfig | None  # Token-2022 transfer fee; None: an SPL Token mint


def _mint(svm: LiteSVM, side: Side) -> tuple[Pubkey, Pubkey]:
    key = Pubkey.new_unique()
    if side.fee is None:
        _set(svm, key, TOKEN_PROGRAM, pack_mint(6, 1 << 62, Pubkey.new_unique()))
        return key, TOKEN_PROGRAM
    data = t22.pack_mint_2022(Pubkey.new_unique(), 1 << 62, 6, [(t22.TRANSFER_FEE_CONFIG, side.fee.pack())])
    _set(svm, key, TOKEN_2022_PROGRAM, data)
    return key, TOKEN_2022_PROGRAM


def _token_account(svm: LiteSVM, mint: Pubkey, program: Pubkey, owner: Pubkey, amount: int) -> Pubkey:
    key = Pubkey.new_unique()
    if program == TOKEN_PROGRAM:
        _set(svm, key, program, pack_token_account(mint, owner, amount))
    else:
        _set(svm, key, program, t22.pack_account_2022(mint, owner, amount, transfer_fee_mint=True))
    return key


def build_pool(svm: LiteSVM, zero: Side, one: Side, config: CpmmAmmConfig, epoch: int) -> RaydiumCpmmPool:
    """A CPMM pool in the bank, and the searcher's view of it decoded from the same bytes."""
    authority, bump = vault_authority()
    (m0, p0), (m1, p1) = _mint(svm, zero), _mint(svm, one)
    vaults = []
    for side, mint, program in ((zero, m0, p0), (one, m1, p1)):
        vaults.append(_token_account(svm, mint, program, authority, side.reserve + sum(side.owed)))
    config_key, observation, pool_key = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    _set(svm, config_key, RAYDIUM_CPMM, pack_amm_config(config))
    _set(svm, observation, RAYDIUM_CPMM, pack_observation_state(pool_key))
    state = CpmmPoolState(
        amm_config=config_key,
        pool_creator=Pubkey.new_unique(),
        token_0_vault=vaults[0],
        token_1_vault=vaults[1],
        lp_mint=Pubkey.new_unique(),
        token_0_mint=m0,
        token_1_mint=m1,
        token_0_program=p0,
        token_1_program=p1,
        observation_key=observation,
        auth_bump=bump,
        status=0,
        lp_mint_decimals=9,
        mint_0_decimals=6,
        mint_1_decimals=6,
        lp_supply=1_000_000,
        protocol_fees_token_0=zero.owed[0],
        protocol_fees_token_1=one.owed[0],
        fund_fees_token_0=zero.owed[1],
        fund_fees_token_1=one.owed[1],
        open_time=0,
        recent_epoch=0,
    )
    _set(svm, pool_key, RAYDIUM_CPMM, pack_pool_state(state))
    fee_configs = []
    for mint in (m0, m1):
        acc = svm.get_account(mint)
        assert acc is not None
        fee_configs.append(mint_transfer_fee_config(bytes(acc.data)) if acc.owner == TOKEN_2022_PROGRAM else None)
    return RaydiumCpmmPool(
        pool_key,
        RAYDIUM_CPMM,
        m0,
        m1,
        state=state,
        config=config,
        vault_0_amount=zero.reserve + sum(zero.owed),
        vault_1_amount=one.reserve + sum(one.owed),
        transfer_fee_0=fee_configs[0],
        transfer_fee_1=fee_configs[1],
        epoch=epoch,
    )


def swap(svm: LiteSVM, pool: RaydiumCpmmPool, zero_for_one: bool, amount_in: int) -> int | None:
    """Runs `swap_base_input(amount_in, 0)` from a fresh user; what the output account received, or
    None if the program refused."""
    user = Keypair()
    svm.airdrop(user.pubkey(), 10**9)
    s = pool.state
    (mint_in, prog_in), (mint_out, prog_out) = (
        ((s.token_0_mint, s.token_0_program), (s.token_1_mint, s.token_1_program))
        if zero_for_one
        else ((s.token_1_mint, s.token_1_program), (s.token_0_mint, s.token_0_program))
    )
    user_in = _token_account(svm, mint_in, prog_in, user.pubkey(), amount_in)
    user_out = _token_account(svm, mint_out, prog_out, user.pubkey(), 0)
    block = pool.hop_accounts(mint_in, user.pubkey(), user_in, user_out)
    ix = Instruction(
        block[0].pubkey,
        SWAP_BASE_INPUT + amount_in.to_bytes(8, "little") + bytes(8),
        [AccountMeta(m.pubkey, m.is_signer, m.is_writable) for m in block[1:]],
    )
    if not _send(svm, user, ix):
        assert _amount(svm, user_in) == amount_in
        return None
    assert _amount(svm, user_in) == 0
    return _amount(svm, user_out)


def _epoch(svm: LiteSVM, epoch: int) -> None:
    svm.set_clock(Clock(slot=1, epoch_start_timestamp=0, epoch=epoch, leader_schedule_epoch=epoch, unix_timestamp=1))


transfer_fees = st.builds(
    TransferFee,
    epoch=st.sampled_from([0, 5, 7]),
    maximum_fee=st.one_of(st.just(U64_MAX), st.integers(0, 10**6), st.integers(0, U64_MAX)),
    basis_points=st.one_of(st.sampled_from([0, 1, 9_999, 10_000]), st.integers(0, 10_000)),
)
fee_configs = st.one_of(st.none(), st.builds(_fee_config, transfer_fees, transfer_fees))
reserves = st.one_of(st.integers(1, 1_000), st.integers(1, 10**12), st.integers(1, 1 << 62))
sides = st.builds(Side, reserves, st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), fee_configs)
configs = st.builds(
    lambda trade, protocol, fund: CpmmAmmConfig(
        0, False, 0, trade, protocol, fund, 0, Pubkey.default(), Pubkey.default()
    ),
    st.one_of(st.sampled_from([1, 100, 2_500, 10_000, 999_999]), st.integers(1, 999_999)),
    st.integers(0, 500_000),
    st.integers(0, 500_000),
)
amounts = st.one_of(st.integers(1, 100), st.integers(1, 10**9), st.integers(1, 1 << 62))

NO_FEE = TransferFee(0, 0, 0)
MAX_BPS = TransferFee(0, U64_MAX, 10_000)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zero=sides,
    one=sides,
    config=configs,
    amount_in=amounts,
    zero_for_one=st.booleans(),
    epoch=st.sampled_from([0, 6, 9]),
)
@example(
    Side(10**9, (0, 0), None),
    Side(10**9, (0, 0), None),
    CpmmAmmConfig(0, False, 0, 2_500, 120_000, 40_000, 0, Pubkey.default(), Pubkey.default()),
    1,
    True,
    0,
)
@example(
    Side(10**9, (5, 5), _fee_config(NO_FEE, MAX_BPS)),
    Side(10**9, (0, 0), None),
    CpmmAmmConfig(0, False, 0, 2_500, 0, 0, 0, Pubkey.default(), Pubkey.default()),
    10**6,
    True,
    0,
)
@example(
    Side(10**9, (0, 0), None),
    Side(10**9, (0, 0), _fee_config(NO_FEE, TransferFee(0, 17, 9_999))),
    CpmmAmmConfig(0, False, 0, 999_999, 0, 0, 0, Pubkey.default(), Pubkey.default()),
    10**9,
    True,
    0,
)
def test_quote_equals_the_real_program(
    svm: LiteSVM, zero: Side, one: Side, config: CpmmAmmConfig, amount_in: int, zero_for_one: bool, epoch: int
) -> None:
    assume(zero.reserve + sum(zero.owed) <= U64_MAX and one.reserve + sum(one.owed) <= U64_MAX)
    _epoch(svm, epoch)
    pool = build_pool(svm, zero, one, config, epoch)
    mint_in = pool.mint_a if zero_for_one else pool.mint_b
    try:
        quoted: int | None = pool.quote(mint_in, amount_in)
    except QuoteError:
        quoted = None
    event("refused" if quoted is None else "swapped")
    if zero.fee is not None or one.fee is not None:
        event("a Token-2022 transfer-fee side")
    assert swap(svm, pool, zero_for_one, amount_in) == quoted


def test_quote_deducts_transfer_fees_on_both_sides(svm: LiteSVM) -> None:
    """Worked case: 2.5 % capped fees on both mints change the output exactly as the program does."""
    _epoch(svm, 3)
    fee = _fee_config(TransferFee(0, 10**9, 50), TransferFee(2, 10**9, 250))
    plain = CpmmAmmConfig(0, False, 0, 2_500, 120_000, 40_000, 0, Pubkey.default(), Pubkey.default())
    taxed = build_pool(svm, Side(10**10, (0, 0), fee), Side(10**10, (0, 0), fee), plain, 3)
    untaxed = build_pool(svm, Side(10**10, (0, 0), None), Side(10**10, (0, 0), None), plain, 3)
    amount = 10**7
    arrived = amount - 250_000  # newer fee (epoch 3 >= 2): 2.5 %
    assert untaxed.quote(untaxed.mint_a, arrived) == swap(svm, untaxed, True, arrived)
    out_before_fee = untaxed.quote(untaxed.mint_a, arrived)
    expected = out_before_fee - (out_before_fee * 250 + 9_999) // 10_000
    assert taxed.quote(taxed.mint_a, amount) == expected == swap(svm, taxed, True, amount)


def test_a_pool_without_any_fee_is_refused_as_the_current_program_refuses_it(svm: LiteSVM) -> None:
    """Since creator fees, a pool taking its (zero) creator fee on the input divides by the summed rate:
    the current program fails where the committed older build swaps. The quote follows the current
    program and refuses."""
    cfg = CpmmAmmConfig(0, False, 0, 0, 0, 0, 0, Pubkey.default(), Pubkey.default())
    pool = build_pool(svm, Side(10**9, (0, 0), None), Side(10**9, (0, 0), None), cfg, 0)
    with pytest.raises(QuoteError, match="fee rates are both 0"):
        pool.quote(pool.mint_a, 1_000)
    assert swap(svm, pool, True, 1_000) == 1_000 * 10**9 // (10**9 + 1_000)


# Token-2022 transfer_checked (tag 12) and transfer_checked_with_fee (TransferFeeExtension 26, 1).
def _transfer(
    svm: LiteSVM, mint: Pubkey, amount: int, fee: int | None, src_amount: int
) -> tuple[bool, Pubkey, Pubkey, Keypair]:
    owner = Keypair()
    svm.airdrop(owner.pubkey(), 10**9)
    src = _token_account(svm, mint, TOKEN_2022_PROGRAM, owner.pubkey(), src_amount)
    dst = _token_account(svm, mint, TOKEN_2022_PROGRAM, Pubkey.new_unique(), 0)
    if fee is None:
        data = bytes([12]) + amount.to_bytes(8, "little") + bytes([6])
    else:
        data = bytes([26, 1]) + amount.to_bytes(8, "little") + bytes([6]) + fee.to_bytes(8, "little")
    metas = [
        AccountMeta(src, False, True),
        AccountMeta(mint, False, False),
        AccountMeta(dst, False, True),
        AccountMeta(owner.pubkey(), True, False),
    ]
    ok = _send(svm, owner, Instruction(TOKEN_2022_PROGRAM, data, metas))
    return ok, src, dst, owner


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(older=transfer_fees, newer=transfer_fees, amount=amounts | st.just(U64_MAX), epoch=st.sampled_from([0, 4, 5, 6]))
@example(NO_FEE, MAX_BPS, 10**6, 0)
@example(NO_FEE, TransferFee(5, 1, 10_000), 10**6, 5)
@example(NO_FEE, TransferFee(5, 100, 1), 1, 4)
def test_transfer_fee_equals_token_2022(
    svm: LiteSVM, older: TransferFee, newer: TransferFee, amount: int, epoch: int
) -> None:
    _epoch(svm, epoch)
    config = _fee_config(older, newer)
    mint = _mint(svm, Side(0, (0, 0), config))[0]
    acc = svm.get_account(mint)
    assert acc is not None and mint_transfer_fee_config(bytes(acc.data)) == config
    fee = transfer_fee(config.fee_for_epoch(epoch), amount)
    ok, src, dst, _ = _transfer(svm, mint, amount, None, amount)
    assert ok
    assert (_amount(svm, src), _amount(svm, dst), _withheld(svm, dst)) == (0, amount - fee, fee)
    assert _amount(svm, dst) == post_fee_amount(config.fee_for_epoch(epoch), amount)
    # The program states the fee it expects: ours is accepted, any other refused.
    assert _transfer(svm, mint, amount, fee, amount)[0]
    if fee < U64_MAX:
        assert not _transfer(svm, mint, amount, fee + 1, amount)[0]
    if fee > 0:
        assert not _transfer(svm, mint, amount, fee - 1, amount)[0]


def test_loader_reads_cpmm_pools_over_rpc_and_quotes_the_real_swap() -> None:
    """discover_pools over the JSON-RPC double: the CPMM pools (one with a Token-2022 fee mint) come
    back decoded with their config, vault balances, transfer fees and the node's epoch, and quote
    exactly what the real program then pays; a pool whose mint has a transfer hook is skipped."""
    from arbbot.chain.rpc import RetryPolicy
    from arbbot.solana.loader import discover_pools
    from arbbot.solana.rpc import SolanaRpc
    from arbbot.solana.testing.local_chain import LocalChain
    from arbbot.solana.testing.local_rpc import LocalSolanaRpc

    chain = LocalChain()
    chain.svm.add_program(RAYDIUM_CPMM, venue_binaries.RAYDIUM_CPMM.read())
    _epoch(chain.svm, 6)
    cfg = CpmmAmmConfig(0, False, 0, 2_500, 120_000, 40_000, 0, Pubkey.default(), Pubkey.default())
    fee = _fee_config(TransferFee(0, 10**9, 100), TransferFee(5, 10**9, 300))
    spl = build_pool(chain.svm, Side(10**10, (3, 4), None), Side(2 * 10**10, (5, 6), None), cfg, 6)
    taxed = build_pool(chain.svm, Side(10**10, (0, 0), None), Side(10**10, (7, 0), fee), cfg, 6)
    hooked = build_pool(chain.svm, Side(10**10, (0, 0), None), Side(10**10, (0, 0), fee), cfg, 6)
    hook_mint = chain.svm.get_account(hooked.mint_b)
    assert hook_mint is not None
    data = bytes(hook_mint.data) + (t22.TRANSFER_HOOK).to_bytes(2, "little") + (64).to_bytes(2, "little") + bytes(64)
    _set(chain.svm, hooked.mint_b, TOKEN_2022_PROGRAM, data)
    chain.known.update({spl.address, taxed.address, hooked.address})
    with LocalSolanaRpc(chain) as server:
        rpc = SolanaRpc(server.url, timeout=5, retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002))
        try:
            result = discover_pools(rpc)
        finally:
            rpc.close()
    loaded = {p.address: p for p in result.pools if isinstance(p, RaydiumCpmmPool)}
    assert set(loaded) == {spl.address, taxed.address}
    assert any(r.startswith(str(hooked.address)) and "extensions [14]" in r for r in result.skipped)
    for expected in (spl, taxed):
        pool = loaded[expected.address]
        assert (pool.state, pool.config, pool.epoch) == (expected.state, expected.config, 6)
        assert (pool.vault_0_amount, pool.vault_1_amount) == (expected.vault_0_amount, expected.vault_1_amount)
        assert (pool.transfer_fee_0, pool.transfer_fee_1) == (expected.transfer_fee_0, expected.transfer_fee_1)
    # One swap per pool (each moves that pool's state): token 0 in on the SPL pool, the Token-2022
    # fee mint in on the other.
    assert loaded[spl.address].quote(spl.mint_a, 10**7) == swap(chain.svm, loaded[spl.address], True, 10**7)
    assert loaded[taxed.address].quote(taxed.mint_b, 10**7) == swap(chain.svm, loaded[taxed.address], False, 10**7)
    assert loaded[taxed.address].transfer_fee_1 == fee
