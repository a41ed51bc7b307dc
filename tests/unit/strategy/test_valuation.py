"""ETH valuation of a token amount: which pool is the source, what it says, when it refuses.

The oracle is written here independently: depth from the pool's raw state, the V2 output from
UniswapV2Library's formula, and a full-range V3 pool's output from exact rational arithmetic on the
constant-liquidity curve (the contract rounds in the pool's favour, so the model may be below the exact
real value by at most a few wei, never above)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm.base import Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v3.tick_math import get_sqrt_ratio_at_tick
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.strategy.valuation import deepest_pool, eth_value, weth_depth

Q96 = 1 << 96
LOW_WETH = "0x1000000000000000000000000000000000000001"  # sorts before TOKEN: WETH is token0
HIGH_WETH = "0xf000000000000000000000000000000000000001"  # sorts after TOKEN: WETH is token1
TOKEN = "0x8000000000000000000000000000000000000008"
OTHER = "0x9000000000000000000000000000000000000009"
FULL = (-887220, 887220)  # full range at tick spacing 60


def _addr(i: int) -> str:
    return "0x" + f"{0xA0 + i:02x}" * 20


def _sorted(weth: str, token: str) -> tuple[str, str]:
    return (weth, token) if int(weth, 16) < int(token, 16) else (token, weth)


def _v2(i: int, weth: str, weth_reserve: int, token_reserve: int, token: str = TOKEN) -> UniswapV2Pool:
    t0, t1 = _sorted(weth, token)
    r0, r1 = (weth_reserve, token_reserve) if t0 == weth else (token_reserve, weth_reserve)
    return UniswapV2Pool(_addr(i), t0, t1, r0, r1)


def _v3(i: int, weth: str, liquidity: int, tick: int) -> UniswapV3Pool:
    t0, t1 = _sorted(weth, TOKEN)
    return UniswapV3Pool.from_positions([(*FULL, liquidity)], get_sqrt_ratio_at_tick(tick), 3000, _addr(i), t0, t1)


def _oracle_depth(pool: Pool, weth: str) -> int:
    if isinstance(pool, UniswapV2Pool):
        return pool.reserve0 if pool.token0 == weth else pool.reserve1
    assert isinstance(pool, UniswapV3Pool)
    sqrt_p = Fraction(pool.sqrt_price_x96, Q96)  # sqrt(token1 per token0)
    virtual = Fraction(pool.liquidity) / sqrt_p if pool.token0 == weth else Fraction(pool.liquidity) * sqrt_p
    return int(virtual)  # floor


def _oracle_v2_out(pool: UniswapV2Pool, amount: int) -> int:
    r_in, r_out = (pool.reserve0, pool.reserve1) if pool.token0 == TOKEN else (pool.reserve1, pool.reserve0)
    with_fee = amount * 997
    return with_fee * r_out // (r_in * 1000 + with_fee)


def _real_v3_out(pool: UniswapV3Pool, amount: int) -> tuple[Fraction, Fraction, bool]:
    """Exact real output on one liquidity range (no boundary reached) after the contract's fee (taken from
    the input, rounded in the pool's favour), and how far the contract's integer steps may fall below it:
    the swap loop takes one step per tick-bitmap word it walks, each output floored twice (< 2 wei), plus
    one unit of sqrt-price rounding, plus one unit of input at the starting price for each step (a step that
    ends on its target rounds the input it needs up, and the unit it did not need is not swapped). Third:
    whether the price stays inside the full range (else the pool cannot take the whole amount)."""
    x = Fraction(amount * (1_000_000 - pool.fee) // 1_000_000)
    liq, s = Fraction(pool.liquidity), Fraction(pool.sqrt_price_x96, Q96)
    s_new = 1 / (1 / s + x / liq) if pool.token0 == TOKEN else s + x / liq  # 1/sqrtP or sqrtP moves by x/L
    out = liq * (s - s_new) if pool.token0 == TOKEN else liq * (1 / s - 1 / s_new)
    ticks = abs(math.log(float(s_new) / float(s)) * 2 / math.log(1.0001))
    steps = int(ticks) // (256 * pool.tick_spacing) + 3
    lo, hi = (Fraction(get_sqrt_ratio_at_tick(t), Q96) for t in FULL)
    unit_in = s**2 if pool.token0 == TOKEN else 1 / s**2  # output per unit of input at the best (starting) price
    return out, steps * (2 + unit_in) + liq / (Q96 * min(s, s_new) ** 2) + liq / Q96, lo < s_new < hi


pool_specs = st.lists(
    st.tuples(
        st.sampled_from(["v2", "v3"]),
        st.integers(10**15, 10**28),  # V2 WETH reserve / V3 liquidity
        st.integers(10**6, 10**28),  # V2 token reserve
        st.integers(-100_000, 100_000),  # V3 tick
    ),
    min_size=0,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    specs=pool_specs,
    weth=st.sampled_from([LOW_WETH, HIGH_WETH]),
    excluded=st.sets(st.integers(0, 5), max_size=3),
    amount=st.integers(0, 10**24),
    min_depth=st.integers(0, 10**25),
)
def test_value_comes_from_the_deepest_trusted_pool_outside_the_cycle(
    specs: list[tuple[str, int, int, int]], weth: str, excluded: set[int], amount: int, min_depth: int
) -> None:
    pools: list[Pool] = [
        _v2(i, weth, a, b) if kind == "v2" else _v3(i, weth, a, tick) for i, (kind, a, b, tick) in enumerate(specs)
    ]
    pools.append(_v2(9, weth, 10**30, 10**30, OTHER))  # deepest of all, but another token: never the source
    exclude = [_addr(i).upper().replace("0X", "0x") for i in excluded]  # any case
    got = eth_value(amount, TOKEN, weth, pools, exclude=exclude, min_depth=min_depth)
    candidates = [(p, _oracle_depth(p, weth)) for i, p in enumerate(pools[:-1]) if i not in excluded]
    candidates = [(p, d) for p, d in candidates if d > 0]
    if not candidates:
        assert got is None
        return
    best, depth = max(candidates, key=lambda pd: (pd[1], -int(pd[0].address, 16)))
    if depth < min_depth:
        assert got is None
        return
    if isinstance(best, UniswapV2Pool):
        assert got is not None and got.pool == best.address and got.depth == depth
        if amount == 0:
            assert got.wei == 0
        else:
            assert got.wei == _oracle_v2_out(best, amount)
        return
    assert isinstance(best, UniswapV3Pool)
    real, slack, fills = _real_v3_out(best, amount) if amount else (Fraction(0), Fraction(0), True)
    if got is None:
        # Refused only when the amount would push the price past the full range (the pool cannot take it).
        assert not fills
        return
    assert fills
    assert got.pool == best.address and got.depth == depth
    assert got.wei <= real and real - got.wei <= slack  # rounded in the pool's favour, never above the real value


@settings(max_examples=200, deadline=None)
@given(
    reserves=st.tuples(st.integers(10**18, 10**27), st.integers(10**6, 10**27)),
    a=st.integers(0, 10**22),
    b=st.integers(0, 10**22),
)
def test_value_is_monotone_and_never_above_spot(reserves: tuple[int, int], a: int, b: int) -> None:
    """A larger amount is never worth less; the quote never beats the spot price (fee and impact included)."""
    pool = _v2(0, LOW_WETH, *reserves)
    lo, hi = sorted((a, b))
    v_lo = eth_value(lo, TOKEN, LOW_WETH, [pool], min_depth=0)
    v_hi = eth_value(hi, TOKEN, LOW_WETH, [pool], min_depth=0)
    assert v_lo is not None and v_hi is not None
    assert v_lo.wei <= v_hi.wei
    assert Fraction(v_hi.wei) <= Fraction(hi * reserves[0], reserves[1])


def test_weth_is_worth_itself_and_needs_no_pool() -> None:
    v = eth_value(123, LOW_WETH.upper().replace("0X", "0x"), LOW_WETH, [])
    assert v is not None and v.wei == 123


def test_refusals() -> None:
    deep = _v2(0, LOW_WETH, 50 * 10**18, 150_000 * 10**6)
    thin = _v2(1, LOW_WETH, 10**18, 3_000 * 10**6)
    # No pool, only the cycle's own pool, or only a thin one: no valuation, so no trade.
    assert eth_value(10**6, TOKEN, LOW_WETH, []) is None
    assert eth_value(10**6, TOKEN, LOW_WETH, [deep], exclude=[deep.address]) is None
    assert eth_value(10**6, TOKEN, LOW_WETH, [thin, deep], exclude=[deep.address]) is None  # 1 ETH < 10 ETH
    v = eth_value(10**6, TOKEN, LOW_WETH, [thin, deep])
    assert v is not None and v.pool == deep.address
    with pytest.raises(ValueError, match="amount"):
        eth_value(-1, TOKEN, LOW_WETH, [deep])
    # An amount larger than the pool can pay out is refused, not valued at a made-up price.
    v3 = _v3(2, LOW_WETH, 10**20, 0)
    assert eth_value(10**40, TOKEN, LOW_WETH, [v3], min_depth=0) is None


def test_hooked_or_dynamic_fee_v4_pools_are_never_a_source() -> None:
    t0, t1 = _sorted(LOW_WETH, TOKEN)
    sqrt_p = get_sqrt_ratio_at_tick(0)

    def v4(hooks: str, fee: int) -> UniswapV4Pool:
        return UniswapV4Pool("0x" + "ab" * 32, t0, t1, fee, 60, hooks, sqrt_p, 0, 10**24, 3000)

    hooked = v4("0x00000000000000000000000000000000000000c0", 3000)  # beforeSwap + afterSwap flags
    dynamic = v4("0x" + "00" * 20, 0x800000)
    plain = v4("0x" + "00" * 20, 3000)
    assert deepest_pool([hooked], TOKEN, LOW_WETH) is None
    assert deepest_pool([dynamic], TOKEN, LOW_WETH) is None
    found = deepest_pool([plain, hooked, dynamic], TOKEN, LOW_WETH)
    assert found is not None and found[0] is plain and found[1] == weth_depth(plain, LOW_WETH) > 0
