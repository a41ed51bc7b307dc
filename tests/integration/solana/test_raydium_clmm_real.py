"""The Raydium CLMM quote against the real program binary (vendor/solana-programs/raydium_amm_v3.so, hash-checked)
in LiteSVM: pools packed by the project's packers, `swap_v2` exact input sent as a user would, and the amounts the
user's token accounts really moved compared with the quote to the unit."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbbot.chain.rpc import RetryPolicy
from arbbot.solana.errors import QuoteError
from arbbot.solana.layouts.raydium_clmm import bitmap_extension_address, tick_array_address
from arbbot.solana.loader import discover_pools, load_pools
from arbbot.solana.pools.raydium_clmm import RaydiumClmmPool
from arbbot.solana.programs import TOKEN_2022_PROGRAM
from arbbot.solana.quote.raydium_clmm import (
    MissingBitmapExtension,
    array_start_index,
    needs_bitmap_extension,
    sqrt_price_at_tick,
    swap_exact_in,
)
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.local_chain import LocalChain
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.raydium_clmm import ClmmWorld, Position


def _quote(w: ClmmWorld, amount: int, zfo: bool, *, extension: bool = True):
    return swap_exact_in(
        w.state,
        w.config.trade_fee_rate,
        w.config.protocol_fee_rate,
        w.config.fund_fee_rate,
        w.tick_arrays,
        w.extension if extension else None,
        amount,
        zfo,
        output_vault_balance=w.vault_balance,
    )


def _check(w: ClmmWorld, amount: int, zfo: bool) -> tuple[bool, int]:
    """Quote, then swap for real; the two must agree. Returns (quote ok, amount out)."""
    try:
        q = _quote(w, amount, zfo)
    except QuoteError:
        # Fail closed: the program fails too, or fills only part of the input (it stops at the price limit).
        arrays = sorted(w.tick_arrays, reverse=zfo)
        start = array_start_index(w.state.tick_current, w.state.tick_spacing)
        arrays = [s for s in arrays if (s <= start if zfo else s >= start)] or arrays
        ok, taken, _paid, _logs = w.swap(amount, zfo, arrays, with_extension=True)
        assert not ok or taken < amount
        w.refresh()
        return False, 0
    ok, taken, paid, logs = w.swap(amount, zfo, list(q.tick_arrays), with_extension=True)
    assert ok, logs
    assert (taken, paid) == (amount, q.amount_out)
    w.refresh()
    assert (w.state.sqrt_price_x64, w.state.tick_current, w.state.liquidity) == (q.sqrt_price_x64, q.tick, q.liquidity)
    return True, q.amount_out


SPACINGS = st.sampled_from([1, 10, 60])


@st.composite
def worlds(draw):
    spacing = draw(SPACINGS)
    n = 60 * spacing
    tick = draw(st.integers(-3 * n, 3 * n))
    positions = []
    for _ in range(draw(st.integers(1, 4))):
        lo = draw(st.integers(-5 * n // spacing, 5 * n // spacing)) * spacing
        hi = lo + draw(st.integers(1, 4 * n // spacing)) * spacing
        positions.append(Position(lo, hi, draw(st.integers(1, 10**14))))
    fee = draw(st.sampled_from([100, 500, 2500, 10_000, 30_000]))
    return ClmmWorld(
        tick_spacing=spacing,
        sqrt_price_x64=sqrt_price_at_tick(tick) + draw(st.integers(0, 10**6)),
        positions=positions,
        trade_fee_rate=fee,
    )


AMOUNTS = st.one_of(st.integers(1, 1000), st.integers(1, 10**9), st.integers(1, 10**14))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), swaps=st.lists(st.tuples(AMOUNTS, st.booleans()), min_size=1, max_size=4))
def test_quote_equals_program(world: ClmmWorld, swaps: list[tuple[int, bool]]) -> None:
    for amount, zfo in swaps:
        _check(world, amount, zfo)


def _two_arrays_world(spacing: int = 10) -> ClmmWorld:
    n = 60 * spacing
    return ClmmWorld(
        tick_spacing=spacing,
        sqrt_price_x64=sqrt_price_at_tick(5 * spacing),
        positions=[
            Position(-3 * n, 3 * n, 10**12),
            Position(-spacing * 7, spacing * 9, 5 * 10**12),
            Position(n + spacing, 2 * n - spacing, 3 * 10**12),
        ],
    )


@pytest.mark.parametrize("zfo", [True, False])
def test_crosses_initialized_ticks_and_tick_arrays(zfo: bool) -> None:
    w = _two_arrays_world()
    liquidity = w.state.liquidity
    q = _quote(w, 4 * 10**10, zfo)
    assert len(q.tick_arrays) >= 2 and q.liquidity != liquidity
    ok, out = _check(w, 4 * 10**10, zfo)
    assert ok and out == q.amount_out


def test_both_directions_and_back() -> None:
    w = _two_arrays_world()
    for amount, zfo in [(10**9, True), (10**9, False), (7, True), (10**11, False), (10**11, True)]:
        assert _check(w, amount, zfo)[0]


@pytest.mark.parametrize("zfo", [True, False])
def test_tiny_amounts(zfo: bool) -> None:
    # 1 unit is all fee: the program refuses it (TooSmallInputOrOutputAmount) and so does the quote; from a
    # few units up both pay the same dust.
    w = _two_arrays_world()
    results = [_check(w, amount, zfo) for amount in range(1, 12)]
    assert results[0] == (False, 0)
    assert any(ok for ok, _ in results)


def test_exhausted_liquidity_fails_closed() -> None:
    w = _two_arrays_world()
    with pytest.raises(QuoteError, match="LiquidityInsufficient"):
        _quote(w, 10**16, True)
    assert _check(w, 10**16, True) == (False, 0)


def test_missing_tick_array_fails_closed() -> None:
    w = _two_arrays_world()
    q = _quote(w, 4 * 10**10, True)
    partial = {s: a for s, a in w.tick_arrays.items() if s != q.tick_arrays[-1]}
    with pytest.raises(QuoteError, match="needed and not known"):
        swap_exact_in(w.state, w.config.trade_fee_rate, 0, 0, partial, w.extension, 4 * 10**10, True)
    # The program refuses the same swap without that array.
    ok, _, _, logs = w.swap(4 * 10**10, True, list(q.tick_arrays[:-1]), with_extension=True)
    assert not ok and "NotEnoughTickArrayAccount" in logs


@pytest.mark.parametrize("zfo", [True, False])
def test_bitmap_extension_traversal(zfo: bool) -> None:
    w = _far_world()
    far = 40_000
    assert needs_bitmap_extension(-far, 1) and needs_bitmap_extension(far, 1)
    with pytest.raises(MissingBitmapExtension):
        _quote(w, 10**8, zfo, extension=False)
    q = _quote(w, 10**8, zfo)
    assert any(needs_bitmap_extension(s, 1) for s in q.tick_arrays)
    assert _check(w, 10**8, zfo)[0]


def _far_world() -> ClmmWorld:
    # Spacing 1: the pool's own bitmap covers ticks within +-30720; beyond that the extension does.
    far = 40_000
    return ClmmWorld(
        tick_spacing=1,
        sqrt_price_x64=sqrt_price_at_tick(0),
        positions=[
            Position(-far - 600, -far + 120, 10**13),
            Position(far - 120, far + 600, 10**13),
            Position(-30, 30, 10**9),
        ],
    )


@pytest.mark.parametrize("make", [_two_arrays_world, _far_world])
def test_pool_hop_block_swaps_on_the_real_program(make) -> None:
    """The pool model's own hop block (program stripped), sent to the program, pays exactly its quote."""
    w = make()
    pool = RaydiumClmmPool(
        w.pool,
        w.program,
        w.mint_0,
        w.mint_1,
        state=w.state,
        config=w.config,
        tick_arrays=dict(w.tick_arrays),
        bitmap_extension=w.extension,
    )
    for mint_in, zfo, amount in [(w.mint_0, True, 10**8), (w.mint_1, False, 10**3), (w.mint_0, True, 10**6)]:
        pool.state, pool.tick_arrays = w.state, dict(w.tick_arrays)
        out = pool.quote(mint_in, amount)
        user_in, user_out = (w.user_0, w.user_1) if zfo else (w.user_1, w.user_0)
        metas = pool.hop_accounts(mint_in, w.user.pubkey(), user_in, user_out)
        assert metas[0].pubkey == w.program and not metas[0].is_writable
        assert [m.is_signer for m in metas] == [i == 1 for i in range(len(metas))]
        ok, taken, paid, logs = w.swap(amount, zfo, [], metas=list(metas[1:]))
        assert ok, logs
        assert (taken, paid) == (amount, out)
        w.refresh()


def test_loader_reads_the_pool_over_rpc_and_its_quote_equals_the_program() -> None:
    w = _two_arrays_world()
    chain = LocalChain()
    keys = [w.pool, w.amm_config, bitmap_extension_address(w.pool), w.vault_0, w.vault_1, w.mint_0, w.mint_1]
    keys += [tick_array_address(w.pool, s) for s in w.tick_arrays]
    for key in keys:
        acc = w.svm.get_account(key)
        assert acc is not None
        chain.set_account(key, acc.owner, bytes(acc.data), acc.lamports)
    with LocalSolanaRpc(chain) as server:
        rpc = SolanaRpc(server.url, timeout=5, retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002))
        try:
            found = discover_pools(rpc)
            loaded = load_pools(rpc, [w.pool])
            # A Token-2022 mint: the adapter would refuse the hop on chain, so the pool is skipped with the reason.
            mint = w.svm.get_account(w.mint_1)
            assert mint is not None
            chain.set_account(w.mint_1, TOKEN_2022_PROGRAM, bytes(mint.data), mint.lamports)
            token_2022 = discover_pools(rpc)
        finally:
            rpc.close()
    assert not any(isinstance(p, RaydiumClmmPool) for p in token_2022.pools)
    assert any(str(w.pool) in r and "not an SPL Token mint" in r for r in token_2022.skipped)
    assert found.skipped == [] and loaded.skipped == []
    (pool,) = [p for p in found.pools if isinstance(p, RaydiumClmmPool)]
    assert loaded.pools[0].address == pool.address == w.pool
    assert (pool.vault_0_balance, pool.vault_1_balance) == (w.vault_balance, w.vault_balance)
    assert pool.bitmap_extension is not None and set(pool.tick_arrays) == set(w.tick_arrays)
    for mint_in, zfo in [(w.mint_1, False), (w.mint_0, True)]:
        out = pool.quote(mint_in, 3 * 10**10)
        starts = pool.tick_array_starts(zfo)[0]
        ok, taken, paid, logs = w.swap(3 * 10**10, zfo, starts)
        assert ok, logs
        assert (taken, paid) == (3 * 10**10, out)
        w.refresh()
        pool.state, pool.tick_arrays = w.state, dict(w.tick_arrays)


def _high_price_world(observation_initialized: bool) -> ClmmWorld:
    # Price 1.0001^300000 (~1e13 token 1 per token 0): the pre-swap oracle update squares the price and scales it
    # by the seconds since the last observation, which overflows here once an observation exists.
    return ClmmWorld(
        tick_spacing=60,
        sqrt_price_x64=sqrt_price_at_tick(300_000),
        positions=[Position(299_400, 300_600, 10**18)],
        observation_initialized=observation_initialized,
    )


def test_oracle_overflow_at_high_prices_fails_closed() -> None:
    w = _high_price_world(observation_initialized=True)
    with pytest.raises(QuoteError, match="oracle"):
        _quote(w, 10**3, True)
    ok, _, _, logs = w.swap(10**3, True, list(w.tick_arrays), with_extension=True)
    assert not ok and "panicked" in logs, logs
    # Without an observation yet the program would swap: the quote's refusal there is deliberately conservative
    # (it does not read the observation account).
    w = _high_price_world(observation_initialized=False)
    ok, taken, _, logs = w.swap(10**3, True, list(w.tick_arrays), with_extension=True)
    assert ok and taken == 10**3, logs
    with pytest.raises(QuoteError, match="oracle"):
        _quote(w, 10**3, True)
