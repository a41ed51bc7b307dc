"""Hint -> backrun candidates: the post-state a log states, amounts, the ladder when only the pool is known."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v3.tick_math import get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.hints import V2_SWAP, V2_SYNC, V3_SWAP, HintStrategy, effect_of_log

WETH, USDC = "0x" + "ee" * 20, "0x" + "cc" * 20
A, B = "0x" + "aa" * 20, "0x" + "bb" * 20
VICTIM = "0x" + "12" * 32


@dataclass(frozen=True)
class Log:
    address: str
    topics: tuple[str, ...]
    data: bytes


def _pools() -> dict[str, UniswapV2Pool]:
    # Same price on both pools: no gap until the victim moves one.
    return {
        A: UniswapV2Pool(address=A, token0=WETH, token1=USDC, reserve0=1000 * 10**18, reserve1=2_000_000 * 10**6),
        B: UniswapV2Pool(address=B, token0=WETH, token1=USDC, reserve0=1000 * 10**18, reserve1=2_000_000 * 10**6),
    }


def _words(*xs: int) -> bytes:
    return b"".join(x.to_bytes(32, "big") for x in xs)


def _out(amount: int, r_in: int, r_out: int) -> int:  # UniswapV2Library.getAmountOut, written out
    return amount * 997 * r_out // (r_in * 1000 + amount * 997)


def _cycle_profit(amount: int, first: tuple[int, int], second: tuple[int, int]) -> int:
    return _out(_out(amount, *first), *second) - amount


def test_nothing_moved_nothing_to_do() -> None:
    s = HintStrategy(CycleArbitrage(_pools(), [WETH], max_hops=2))
    assert s.candidates(VICTIM, [], [None], _pools()) == []


def test_a_sync_log_states_the_post_state_exactly() -> None:
    pools = _pools()
    r0, r1 = 1200 * 10**18, 1_668_000 * 10**6  # a victim sold about 200 WETH into A
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2))
    found = s.candidates(VICTIM, [Log(A, (V2_SYNC,), _words(r0, r1))], [], pools)
    assert found and all(h.assumption == "exact" and h.victim_hash == VICTIM for h in found)
    best = found[0].candidate
    # WETH is cheap on A after the victim: the cycle sells WETH on B and buys it back on A.
    assert [h.pool for h in best.hops] == [B, A]
    b = pools[B]
    expected = _cycle_profit(best.amount_in, (b.reserve0, b.reserve1), (r1, r0))
    assert best.gross_profit == expected > 0
    # Sizing is optimal against the written-out formula: one wei either way is not better.
    for d in (-1, 1):
        assert _cycle_profit(best.amount_in + d, (b.reserve0, b.reserve1), (r1, r0)) <= expected
    assert pools[A].reserve0 == 1000 * 10**18  # the live pool is untouched


def test_a_swap_log_after_the_sync_is_not_applied_twice() -> None:
    pools = _pools()
    r0, r1 = 1200 * 10**18, 1_668_000 * 10**6
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2))
    sync = Log(A, (V2_SYNC,), _words(r0, r1))
    swap = Log(A, (V2_SWAP, "0x" + "00" * 32, "0x" + "00" * 32), _words(200 * 10**18, 0, 0, 332_000 * 10**6))
    alone = s.candidates(VICTIM, [sync], [], pools)
    both = s.candidates(VICTIM, [sync, swap], [], pools)
    assert [h.candidate for h in both] == [h.candidate for h in alone]


def test_a_swap_log_alone_moves_the_pool_by_its_amounts() -> None:
    pools = _pools()
    swap = Log(A, (V2_SWAP,), _words(200 * 10**18, 0, 0, 332_000 * 10**6))
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2))
    found = s.candidates(VICTIM, [swap], [], pools)
    assert found and found[0].assumption == "amounts"
    b, c = pools[B], found[0].candidate
    moved = (1200 * 10**18, 1_668_000 * 10**6)
    assert c.gross_profit == _cycle_profit(c.amount_in, (b.reserve0, b.reserve1), (moved[1], moved[0]))


def test_logs_of_unknown_pools_and_other_events_say_nothing() -> None:
    pools = _pools()
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2))
    other = "0x" + "99" * 20
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    assert s.candidates(VICTIM, [Log(other, (V2_SYNC,), _words(1, 2)), Log(other, (transfer,), b"")], [], pools) == []


def test_unusable_sync_data_falls_back_to_the_ladder() -> None:
    pools = _pools()
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2), ladder=(50 * 10**18,))
    for data in (b"", _words(1), _words(0, 5), _words(2**112, 5), _words(1, 2) + b"\x00"):
        found = s.candidates(VICTIM, [Log(A, (V2_SYNC,), data)], [], pools)
        assert found and all(h.assumption.startswith("ladder:") for h in found), data


def test_a_pool_without_direction_is_tried_both_ways_on_each_rung() -> None:
    pools = _pools()
    ladder = (10 * 10**18, 50 * 10**18)
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2), ladder=ladder)
    found = s.candidates(VICTIM, [], [A], pools)
    assumptions = {h.assumption for h in found}
    # Smallest rung first, both directions on it before any larger one.
    rungs = [int(h.assumption.rsplit(":", 1)[1]) for h in found]
    assert rungs == sorted(rungs)
    first_rung = {h.assumption.split(":")[1] for h in found if int(h.assumption.rsplit(":", 1)[1]) == ladder[0]}
    assert first_rung == {WETH, USDC}
    # Both directions: a victim selling WETH (WETH in) and one selling USDC (USDC in), each rung.
    assert assumptions == {f"ladder:{t}:{x}" for t in (WETH, USDC) for x in ladder}
    for h in found:
        _, token_in, size = h.assumption.split(":")
        a = pools[A]
        if token_in == WETH:
            post = (a.reserve0 + int(size), a.reserve1 - _out(int(size), a.reserve0, a.reserve1))
        else:
            post = (a.reserve0 - _out(int(size), a.reserve1, a.reserve0), a.reserve1 + int(size))
        first = h.candidate.hops[0]
        b = pools[B]
        if first.pool == B:
            expected = _cycle_profit(h.candidate.amount_in, (b.reserve0, b.reserve1), (post[1], post[0]))
        else:
            expected = _cycle_profit(h.candidate.amount_in, (post[0], post[1]), (b.reserve1, b.reserve0))
        assert h.candidate.gross_profit == expected > 0


def test_a_router_reaches_the_pools_it_is_told_about_only() -> None:
    pools = _pools()
    router = "0x" + "77" * 20
    s = HintStrategy(CycleArbitrage(pools, [WETH], max_hops=2), ladder=(10**19,), router_pools={router: [B]})
    found = s.candidates(VICTIM, [], [router.upper().replace("0X", "0x")], pools)
    assert found and {h.assumption.split(":")[1] for h in found} == {WETH, USDC}
    assert s.candidates(VICTIM, [], ["0x" + "55" * 20], pools) == []


def _v3() -> UniswapV3Pool:
    price = 2**96  # tick 0; liquidity in range, no initialised ticks needed for the state itself
    return UniswapV3Pool("0x" + "33" * 20, WETH, USDC, 3000, 60, price, get_tick_at_sqrt_ratio(price), 10**21)


def _v3_swap(sqrt_price: int, liquidity: int, tick: int) -> bytes:
    return _words((-5) % 2**256, 7, sqrt_price, liquidity, tick % 2**256)


def test_a_v3_swap_log_states_price_liquidity_and_tick() -> None:
    pool = _v3()
    moved = effect_of_log(Log(pool.address, (V3_SWAP,), _v3_swap(2**96 * 11 // 10, 5 * 10**20, 1906)), pool)
    assert moved is not None and moved[1] == "exact"
    p = moved[0]
    assert (p.sqrt_price_x96, p.liquidity, p.tick) == (2**96 * 11 // 10, 5 * 10**20, 1906)
    assert (pool.sqrt_price_x96, pool.liquidity) == (2**96, 10**21)  # a copy was moved, not the live pool
    negative = effect_of_log(Log(pool.address, (V3_SWAP,), _v3_swap(2**96 * 9 // 10, 10**20, -2108)), pool)
    assert negative is not None and negative[0].tick == -2108  # int24 read as signed


@pytest.mark.parametrize(
    "data",
    [
        _v3_swap(4295128738, 10**20, 0),  # below MIN_SQRT_RATIO
        _v3_swap(2**160, 10**20, 0),  # above MAX_SQRT_RATIO
        _v3_swap(2**96, 2**128, 0),  # liquidity beyond uint128
        _v3_swap(2**96, 10**20, 887273),  # tick out of range
        _v3_swap(2**96, 10**20, 0)[:-1],  # short data
        _v3_swap(2**96 * 11 // 10, 10**20, 0),  # a tick that is not the price's
    ],
)
def test_impossible_v3_states_are_not_taken(data: bytes) -> None:
    pool = _v3()
    assert effect_of_log(Log(pool.address, (V3_SWAP,), data), pool) is None


ADDR = "0x" + "00" * 12 + "11" * 20


def test_a_v3_swap_log_with_its_topics_or_topic_0_alone_is_read_part_of_them_is_not() -> None:
    pool = _v3()
    data = _v3_swap(2**96 * 11 // 10, 5 * 10**20, 1906)
    full = effect_of_log(Log(pool.address, (V3_SWAP, ADDR, ADDR), data), pool)
    assert full is not None and full[0].tick == 1906
    assert effect_of_log(Log(pool.address, (V3_SWAP, ADDR), data), pool) is None  # one indexed topic of two
    assert effect_of_log(Log(pool.address, (V3_SWAP, ADDR, ADDR, ADDR), data), pool) is None
    dirty = "0x" + "ff" * 12 + "11" * 20  # not an address word
    assert effect_of_log(Log(pool.address, (V3_SWAP, ADDR, dirty), data), pool) is None


def test_a_v3_price_high_in_the_tick_maths_range_is_taken() -> None:
    # Near the top of TickMath's range (a genuine price of a pool whose token1 is worth next to nothing).
    pool = _v3()
    tick = 800_000
    price = get_sqrt_ratio_at_tick(tick)
    assert price > 2**150
    moved = effect_of_log(Log(pool.address, (V3_SWAP,), _v3_swap(price, 10**18, tick)), pool)
    assert moved is not None and (moved[0].sqrt_price_x96, moved[0].tick) == (price, tick)


@pytest.mark.parametrize(
    "data",
    [
        _words(1, 0, 0, 1)[:-1],  # short
        _words(1, 0, 0, 1, 0),  # a word too long
        _words(1, 0, 0),
    ],
)
def test_a_malformed_v2_swap_log_moves_nothing(data: bytes) -> None:
    pools = _pools()
    assert effect_of_log(Log(A, (V2_SWAP,), data), pools[A]) is None
    assert effect_of_log(Log(A, (V2_SWAP, ADDR), _words(1, 0, 0, 1)), pools[A]) is None  # part of the topics


def test_another_events_data_under_a_v2_topic_is_not_read() -> None:
    pools = _pools()
    # A V3 Swap's five words under the V2 Sync topic, or Sync's two under the V2 Swap topic.
    assert effect_of_log(Log(A, (V2_SYNC,), _v3_swap(2**96, 10**18, 0)), pools[A]) is None
    assert effect_of_log(Log(A, (V2_SWAP,), _words(1200 * 10**18, 1_668_000 * 10**6)), pools[A]) is None
