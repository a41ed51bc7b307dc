"""The Orca Whirlpool quote against the real program binary (vendor/solana-programs/whirlpool.so, a mainnet dump,
hash-checked) in LiteSVM: pools written by the project's packers at their program addresses, `swap` and `swap_v2`
exact input sent as a user would, and the amounts the user's token accounts really moved compared with the quote to
the unit, with the pool's price, tick and liquidity after the swap."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from solders.transaction_metadata import TransactionMetadata

from arbbot.chain.rpc import RetryPolicy
from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.layouts.whirlpool import decode_tick_array, decode_whirlpool
from arbbot.solana.loader import discover_pools, load_pools
from arbbot.solana.programs import TOKEN_2022_PROGRAM
from arbbot.solana.quote.transfer_fee import TransferFee, epoch_transfer_fee
from arbbot.solana.quote.whirlpool_math import (
    MAX_SQRT_PRICE_X64,
    MIN_SQRT_PRICE_X64,
    sqrt_price_from_tick_index,
)
from arbbot.solana.quote.whirlpool_swap import WhirlpoolSwapResult, swap, swap_tick_array_starts, zeroed_tick_array
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.local_chain import LocalChain
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.venue_binaries import ORCA_WHIRLPOOL
from arbbot.solana.testing.whirlpool import Position, WhirlpoolWorld, swap_data
from arbbot.solana.testing.world import World, build_world
from arbbot.solana.venues import Venue, WhirlpoolPool, oracle_address, tick_array_address


def _quote(w: WhirlpoolWorld, amount: int, a_to_b: bool, sqrt_price_limit: int = 0) -> WhirlpoolSwapResult:
    s = w.state
    starts = swap_tick_array_starts(s.tick_current_index, s.tick_spacing, a_to_b)
    return swap(
        amount=amount,
        a_to_b=a_to_b,
        sqrt_price=s.sqrt_price,
        tick_current_index=s.tick_current_index,
        liquidity=s.liquidity,
        fee_rate=s.fee_rate,
        tick_spacing=s.tick_spacing,
        arrays=[w.tick_arrays.get(x) or zeroed_tick_array(x) for x in starts],
        sqrt_price_limit=sqrt_price_limit,
    )


def _pool(w: WhirlpoolWorld) -> WhirlpoolPool:
    return WhirlpoolPool(
        w.pool,
        w.program,
        w.mint_a,
        w.mint_b,
        state=w.state,
        tick_arrays=dict(w.tick_arrays),
        token_program_b=w.program_b,
        transfer_fee_b=w.fee_config_b,
    )


def _check(w: WhirlpoolWorld, amount: int, a_to_b: bool) -> tuple[bool, int]:
    """Quote, then swap for real; the two must agree. Returns (the pool model quoted, amount paid to the user)."""
    v2 = w.transfer_fee_b is not None
    fee_in = epoch_transfer_fee(w.fee_config_b, 0, amount) if v2 and not a_to_b else 0
    pool = _pool(w)
    mint_in = w.mint_a if a_to_b else w.mint_b
    try:
        q = _quote(w, amount - fee_in, a_to_b)
    except QuoteError:
        # Fail closed: the program refuses the swap too, and so does the pool model.
        ok, _taken, _paid, logs = w.swap(amount, a_to_b, v2=v2)
        assert not ok, logs
        with pytest.raises(QuoteError):
            pool.quote(mint_in, amount)
        return False, 0
    ok, taken, paid, logs = w.swap(amount, a_to_b, v2=v2)
    assert ok, logs
    fee_out = epoch_transfer_fee(w.fee_config_b, 0, q.amount_out) if v2 and a_to_b else 0
    if q.amount_in + fee_in == amount:
        assert (taken, paid) == (amount, q.amount_out - fee_out)
        assert pool.quote(mint_in, amount) == paid
    else:
        # The price reached the protocol bound: the program takes only what it swapped; the pool model refuses.
        assert q.amount_in < amount - fee_in and paid == q.amount_out - fee_out
        with pytest.raises(QuoteError, match="price limit"):
            pool.quote(mint_in, amount)
    w.refresh()
    assert (w.state.sqrt_price, w.state.tick_current_index, w.state.liquidity) == (
        q.sqrt_price,
        q.tick_current_index,
        q.liquidity,
    )
    return True, paid


SPACINGS = st.sampled_from([1, 8, 64, 128])
FEE_RATES = st.sampled_from([0, 100, 500, 3000, 10_000, 60_000, 65_535])


@st.composite
def worlds(draw, transfer_fee: bool = False) -> WhirlpoolWorld:
    spacing = draw(SPACINGS)
    n = 88 * spacing
    tick = draw(st.integers(-3 * n, 3 * n))
    positions = []
    for _ in range(draw(st.integers(1, 4))):
        lo = draw(st.integers(-5 * n // spacing, 5 * n // spacing)) * spacing
        hi = lo + draw(st.integers(1, 4 * n // spacing)) * spacing
        positions.append(Position(lo, hi, draw(st.integers(1, 10**14))))
    fee = None
    if transfer_fee:
        fee = TransferFee(epoch=0, maximum_fee=draw(st.integers(0, 10**9)), basis_points=draw(st.integers(0, 2_000)))
    return WhirlpoolWorld(
        tick_spacing=spacing,
        sqrt_price=sqrt_price_from_tick_index(tick) + draw(st.integers(0, 10**6)),
        positions=positions,
        fee_rate=draw(FEE_RATES),
        protocol_fee_rate=draw(st.sampled_from([0, 300, 2_500])),
        transfer_fee_b=fee,
    )


AMOUNTS = st.one_of(st.integers(1, 1000), st.integers(1, 10**9), st.integers(1, 10**14))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), swaps=st.lists(st.tuples(AMOUNTS, st.booleans()), min_size=1, max_size=4))
def test_quote_equals_program(world: WhirlpoolWorld, swaps: list[tuple[int, bool]]) -> None:
    for amount, a_to_b in swaps:
        _check(world, amount, a_to_b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(transfer_fee=True), swaps=st.lists(st.tuples(AMOUNTS, st.booleans()), min_size=1, max_size=3))
def test_swap_v2_quote_with_a_transfer_fee_mint_equals_program(
    world: WhirlpoolWorld, swaps: list[tuple[int, bool]]
) -> None:
    for amount, a_to_b in swaps:
        _check(world, amount, a_to_b)


def _two_arrays_world(spacing: int = 64, **kw: object) -> WhirlpoolWorld:
    n = 88 * spacing
    return WhirlpoolWorld(
        tick_spacing=spacing,
        sqrt_price=sqrt_price_from_tick_index(5) + 12_345,
        positions=[
            Position(-3 * n, 3 * n, 10**12),
            Position(-2 * spacing, 2 * spacing, 10**12),
            Position(n + spacing, 2 * n - spacing, 3 * 10**12),
        ],
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("a_to_b", [True, False])
def test_crosses_initialized_ticks_and_tick_arrays(a_to_b: bool) -> None:
    w = _two_arrays_world()
    start = w.state.tick_current_index
    q = _quote(w, 5 * 10**11, a_to_b)
    assert q.liquidity != w.state.liquidity
    assert abs(q.tick_current_index - start) > 88 * 64 // 2
    ok, out = _check(w, 5 * 10**11, a_to_b)
    assert ok and out == q.amount_out
    # The tick array the price now sits in is not the one it started in.
    assert swap_tick_array_starts(w.state.tick_current_index, 64, True)[0] != swap_tick_array_starts(start, 64, True)[0]


def test_both_directions_and_back() -> None:
    w = _two_arrays_world()
    for amount, a_to_b in [(10**9, True), (10**9, False), (7, True), (10**11, False), (10**11, True), (1, False)]:
        assert _check(w, amount, a_to_b)[0]


def test_dust_pays_what_the_program_pays() -> None:
    w = _two_arrays_world(fee_rate=10_000)
    paid = [_check(w, amount, amount % 2 == 0)[1] for amount in range(1, 40)]
    assert paid[0] == 0 and any(paid)


def test_the_protocol_bound_is_a_partial_fill_the_pool_model_refuses() -> None:
    # A full-range-only pool (spacing 32768, two tick arrays span every tick) with little liquidity: the swap runs
    # to the protocol's price bounds, past the full-range position's ends, within the arrays given.
    full = 13 * 32768
    for a_to_b, bound in [(True, MIN_SQRT_PRICE_X64), (False, MAX_SQRT_PRICE_X64)]:
        w = WhirlpoolWorld(
            tick_spacing=32768, sqrt_price=sqrt_price_from_tick_index(0), positions=[Position(-full, full, 10**6)]
        )
        q = _quote(w, 2**62, a_to_b)
        assert q.amount_in < 2**62 and q.sqrt_price == bound
        assert _check(w, 2**62, a_to_b)[0]


def test_running_past_the_tick_arrays_fails_closed() -> None:
    # Liquidity far beyond three tick arrays: the swap needs a fourth array, the program fails, so does the quote.
    n = 88 * 64
    w = WhirlpoolWorld(
        tick_spacing=64,
        sqrt_price=sqrt_price_from_tick_index(0),
        positions=[Position(-64, 64, 10**9), Position(-10 * n, -5 * n, 10**15)],
    )
    with pytest.raises(QuoteError, match="past the tick arrays"):
        _quote(w, 10**12, True)
    assert _check(w, 10**12, True) == (False, 0)


def test_a_price_limit_stops_the_swap_where_the_quote_says() -> None:
    w = _two_arrays_world()
    limit = sqrt_price_from_tick_index(-300)
    q = _quote(w, 10**12, True, sqrt_price_limit=limit)
    ok, taken, paid, logs = w.swap(10**12, True, sqrt_price_limit=limit)
    assert ok, logs
    assert (taken, paid) == (q.amount_in, q.amount_out) and q.sqrt_price == limit
    with pytest.raises(QuoteError, match="InvalidSqrtPriceLimitDirection"):
        _quote(w, 10, False, sqrt_price_limit=MIN_SQRT_PRICE_X64)
    assert not w.swap(10, False, sqrt_price_limit=MIN_SQRT_PRICE_X64)[0]


@pytest.mark.parametrize("transfer_fee", [None, TransferFee(epoch=0, maximum_fee=3_000_000, basis_points=150)])
def test_pool_hop_block_swaps_on_the_real_program(transfer_fee: TransferFee | None) -> None:
    """The pool model's own hop block (program stripped), sent to the program, pays exactly its quote: `swap` for SPL
    mints, `swap_v2` with a Token-2022 transfer-fee mint (both fees, under and at the cap)."""
    w = _two_arrays_world(transfer_fee_b=transfer_fee)
    for mint_in, a_to_b, amount in [(w.mint_a, True, 10**8), (w.mint_b, False, 10**3), (w.mint_b, False, 10**9)]:
        pool = _pool(w)
        assert pool.venue == (Venue.ORCA_WHIRLPOOL if transfer_fee is None else Venue.ORCA_WHIRLPOOL_V2)
        out = pool.quote(mint_in, amount)
        user_in, user_out = (w.user_a, w.user_b) if a_to_b else (w.user_b, w.user_a)
        metas = pool.hop_accounts(mint_in, w.user.pubkey(), user_in, user_out)
        assert metas[0].pubkey == w.program and not metas[0].is_writable
        assert metas[-1].pubkey == oracle_address(w.pool, w.program)
        ok, taken, paid, logs = w.swap(amount, a_to_b, v2=transfer_fee is not None, metas=list(metas[1:]))
        assert ok, logs
        assert (taken, paid) == (amount, out)
        w.refresh()


def test_loader_reads_the_pool_over_rpc_and_its_quote_equals_the_program() -> None:
    w = _two_arrays_world(transfer_fee_b=TransferFee(epoch=0, maximum_fee=10**6, basis_points=75))
    chain = LocalChain()
    keys = [w.pool, w.vault_a, w.vault_b, w.mint_a, w.mint_b]
    keys += [tick_array_address(w.pool, s, w.program) for s in w.tick_arrays]
    for key in keys:
        acc = w.svm.get_account(key)
        assert acc is not None
        chain.set_account(key, acc.owner, bytes(acc.data), acc.lamports)
    with LocalSolanaRpc(chain) as server:
        rpc = SolanaRpc(server.url, timeout=5, retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002))
        try:
            found = discover_pools(rpc)
            loaded = load_pools(rpc, [w.pool])
        finally:
            rpc.close()
    assert found.skipped == [] and loaded.skipped == []
    (pool,) = [p for p in found.pools if isinstance(p, WhirlpoolPool)]
    assert loaded.pools[0].address == pool.address == w.pool
    assert pool.venue == Venue.ORCA_WHIRLPOOL_V2 and pool.token_program_b == TOKEN_2022_PROGRAM
    # The loader reads the arrays either direction's swap may walk (those that exist).
    walked = set(pool.tick_array_starts(True) + pool.tick_array_starts(False))
    assert set(pool.tick_arrays) == walked & set(w.tick_arrays) and len(pool.tick_arrays) == 3
    for mint_in, a_to_b in [(w.mint_b, False), (w.mint_a, True)]:
        out = pool.quote(mint_in, 3 * 10**10)
        ok, taken, paid, logs = w.swap(3 * 10**10, a_to_b, v2=True)
        assert ok, logs
        assert (taken, paid) == (3 * 10**10, out)
        w.refresh()
        pool.state, pool.tick_arrays = w.state, dict(w.tick_arrays)


def test_states_the_quote_cannot_model_are_refused_not_misquoted() -> None:
    """A pool made on an adaptive-fee tier (later builds add an oracle-driven fee this build and the model lack) and a
    pool with a tick array that is not a fixed one (a later build's dynamic array) are skipped by the loader with the
    reason, and the adaptive-fee pool's model refuses to quote; the plain pool next to them still loads."""
    w = _two_arrays_world()
    chain = LocalChain()
    for key in [w.pool, w.vault_a, w.vault_b, w.mint_a, w.mint_b]:
        acc = w.svm.get_account(key)
        assert acc is not None
        chain.set_account(key, acc.owner, bytes(acc.data), acc.lamports)
    pool_data = bytes(w.svm.get_account(w.pool).data)  # type: ignore[union-attr]
    adaptive, dynamic = Keypair().pubkey(), Keypair().pubkey()
    chain.set_account(adaptive, w.program, pool_data[:43] + (1025).to_bytes(2, "little") + pool_data[45:])
    chain.set_account(dynamic, w.program, pool_data)
    start = swap_tick_array_starts(w.state.tick_current_index, 64, True)[0]
    chain.set_account(tick_array_address(dynamic, start, w.program), w.program, bytes(8 + 4 + 32 + 16 + 88))
    with LocalSolanaRpc(chain) as server:
        rpc = SolanaRpc(server.url, timeout=5, retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002))
        try:
            found = discover_pools(rpc)
        finally:
            rpc.close()
    assert [p.address for p in found.pools if isinstance(p, WhirlpoolPool)] == [w.pool]
    (why_adaptive,) = [r for r in found.skipped if r.startswith(str(adaptive))]
    assert "adaptive-fee Whirlpool (fee tier index 1025, tick spacing 64)" in why_adaptive
    (why_dynamic,) = [r for r in found.skipped if r.startswith(str(dynamic))]
    assert "tick array" in why_dynamic and "9988" in why_dynamic
    state = decode_whirlpool(pool_data[:43] + (1025).to_bytes(2, "little") + pool_data[45:], adaptive, w.program)
    model = WhirlpoolPool(adaptive, w.program, w.mint_a, w.mint_b, state=state, tick_arrays=dict(w.tick_arrays))
    with pytest.raises(QuoteError, match="adaptive-fee pool"):
        model.quote(w.mint_a, 10**6)


@pytest.mark.parametrize("spacing", [1, 64])
@pytest.mark.parametrize("a_to_b", [True, False])
def test_near_the_tick_bounds(spacing: int, a_to_b: bool) -> None:
    """Next to the protocol's tick bounds the program drops tick arrays past them from the swap; the quote, walking
    its three arrays, stops at the bound as the program does."""
    edge = (443636 // spacing) * spacing * (-1 if a_to_b else 1)
    inner = edge + (10 * spacing if a_to_b else -10 * spacing)
    lo, hi = sorted((edge, inner))
    w = WhirlpoolWorld(
        tick_spacing=spacing,
        sqrt_price=sqrt_price_from_tick_index(inner + (3 * spacing if a_to_b else -3 * spacing)),
        positions=[Position(lo, hi, 10**9)],
    )
    for amount in (10**3, 2**62):
        assert _check(w, amount, a_to_b)[0]
    assert w.state.sqrt_price == (MIN_SQRT_PRICE_X64 if a_to_b else MAX_SQRT_PRICE_X64)


def test_the_synthetic_worlds_whirlpool_swaps_on_the_real_program() -> None:
    """The Whirlpool `build_world` makes for the demo and the route tests is an image the real program accepts: its
    pool model's quote and hop block, sent to the program in the world's own bank, pay exactly the quote."""
    world = build_world()
    world.chain.svm.add_program(ORCA_WHIRLPOOL.program_id, ORCA_WHIRLPOOL.read())
    for mint_in, amount in [(world.mint_a, 10**9), (world.mint_b, 3 * 10**10)]:
        acc = world.chain.get_account(world.whirlpool)
        assert acc is not None
        state = decode_whirlpool(bytes(acc.data), world.whirlpool, acc.owner)
        pool = WhirlpoolPool(world.whirlpool, acc.owner, world.mint_a, world.mint_b, state=state)
        for key in pool.reserve_accounts():
            ta = world.chain.get_account(key)
            if ta is not None and ta.owner == acc.owner:
                array = decode_tick_array(bytes(ta.data), key, ta.owner)
                pool.tick_arrays[array.start_tick_index] = array
        out = pool.quote(mint_in, amount)
        a_to_b = mint_in == world.mint_a
        user_in, user_out = (world.owner_a, world.owner_b) if a_to_b else (world.owner_b, world.owner_a)
        metas = pool.hop_accounts(mint_in, world.owner.pubkey(), user_in, user_out)
        ix = Instruction(ORCA_WHIRLPOOL.program_id, swap_data(amount, a_to_b), list(metas[1:]))
        before = [_token_balance(world, k) for k in (user_in, user_out)]
        svm = world.chain.svm
        svm.expire_blockhash()
        msg = Message.new_with_blockhash([ix], world.owner.pubkey(), svm.latest_blockhash())
        result = svm.send_transaction(Transaction([world.owner], msg, svm.latest_blockhash()))
        assert isinstance(result, TransactionMetadata), result
        after = [_token_balance(world, k) for k in (user_in, user_out)]
        assert (before[0] - after[0], after[1] - before[1]) == (amount, out)


def _token_balance(world: World, key: Pubkey) -> int:
    acc = world.chain.get_account(key)
    assert acc is not None
    return decode_token_account(bytes(acc.data), key, acc.owner).amount
