"""A composable stable pool's batch-read answers become a model only when every one is well formed and consistent:
the node's answers are ABI-encoded here with eth_abi as a node would return them, then spoiled one way at a time
(a revert, a BPT index out of range, lengths that do not fit, an amplification word that does not give the reported
amplification, a scaling factor that is no decimals factor at the cached rate, a rate cache out of range, no block
timestamp); each is refused with a reason naming it. A provider that does not answer leaves its rate unknown (the
pool then refuses to quote on that token's expired cache). The pool's own events are booked only on a stable pool,
at their block's timestamp, for a token with the rate provider it was read with."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode

from arbbot.amm.balancer_stable import BalancerComposableStablePool
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.amm.errors import AmmError
from arbbot.chain.rpc import RpcError
from arbbot.state import balancer
from arbbot.state.events import BalancerAmpEvent, BalancerRateCacheEvent, BalancerRateDurationEvent

POOL = "0x" + "0c" * 20
VAULT = "0x" + "ba" * 20
POOL_ID = POOL + "0000" + "00" * 9 + "07"
USDC, WSTETH = "0x" + "a1" * 20, "0x" + "b2" * 20
TOKENS = (POOL, USDC, WSTETH)  # the BPT first, as the v3 factory sorts them here
PROVIDER = "0x" + "77" * 20
ZERO = "0x" + "00" * 20
KIND = balancer.KINDS["balancer_composable_stable"]
TO_READ = balancer.PoolToRead("balancer_composable_stable", POOL_ID, POOL, VAULT, TOKENS)
NOW = 1_700_000_000
RATE = 1_150_000_000_000_000_000


def _hex(types: list[str], values: list[Any]) -> str:
    return "0x" + encode(types, values).hex()


def _amp_word(start: int, end: int, start_time: int, end_time: int) -> str:
    return "0x" + (start | end << 64 | start_time << 128 | end_time << 192).to_bytes(32, "big").hex()


def _answers(**spoil: Any) -> tuple[list[object], list[object]]:
    """The node's answers: `getPoolTokens` and the kind's calls, then the second round (the WSTETH cache and its
    provider's rate), with the named ones replaced."""
    good: dict[str, object] = {
        "tokens": _hex(["address[]", "uint256[]", "uint256"], [list(TOKENS), [2**111, 10**12, 10**21], 9]),
        "bpt_index": _hex(["uint256"], [0]),
        "scaling": _hex(["uint256[]"], [[10**18, 10**30, RATE]]),
        "rate_providers": _hex(["address[]"], [[ZERO, ZERO, PROVIDER]]),
        "swap_fee": _hex(["uint256"], [4 * 10**14]),
        "paused": _hex(["bool", "uint256", "uint256"], [False, 1, 2]),
        "amp": _hex(["uint256", "bool", "uint256"], [200_000, False, 1000]),
        "amp_data": _amp_word(100_000, 200_000, NOW - 2 * 86_400, NOW - 86_400),
        "cache:2": _hex(["uint256"] * 4, [RATE, RATE, 3600, NOW + 100]),
        "rate:2": _hex(["uint256"], [RATE + 5]),
    }
    good.update(spoil)
    first = [good["tokens"], *(good[c.name] for c in KIND.calls)]
    # The second round asks what the first named (a cache and a rate per provider), each answered like token 2's.
    read = balancer._first_read(TO_READ, first, KIND, NOW)
    assert KIND.more_calls is not None
    more = KIND.more_calls(read)
    return first, [good.get(c.name, good[c.name.split(":")[0] + ":2"]) for c in more]


def _build(timestamp: int | None = NOW, **spoil: Any) -> BalancerComposableStablePool:
    first, second = _answers(**spoil)
    model = balancer._build(TO_READ, first, KIND, timestamp, second)
    assert isinstance(model, BalancerComposableStablePool)
    return model


def test_good_answers_build_the_model() -> None:
    model = _build()
    assert model.bpt_index == 0 and model.timestamp == NOW and model.swap_fee == 4 * 10**14
    assert model.decimal_factors == (10**18, 10**30, 10**18)
    assert (model.amp_start, model.amp_end, model.amp_start_time, model.amp_end_time) == (
        100_000, 200_000, NOW - 2 * 86_400, NOW - 86_400,
    )  # fmt: skip
    assert model.amplification == 200_000
    assert model.rate_caches[0] is None and model.rate_caches[1] is None
    cache = model.rate_caches[2]
    assert cache is not None and (cache.rate, cache.duration, cache.expires, cache.provider_rate) == (
        RATE, 3600, NOW + 100, RATE + 5,
    )  # fmt: skip
    # A ramp in progress: the stored ramp gives the reported value at the block's timestamp.
    ramping = _build(
        amp=_hex(["uint256", "bool", "uint256"], [150_000, True, 1000]),
        amp_data=_amp_word(100_000, 200_000, NOW - 100, NOW + 100),
    )
    assert ramping.amplification == 150_000


def test_a_provider_that_does_not_answer_leaves_the_rate_unknown() -> None:
    model = _build(**{"rate:2": RpcError("eth_call", 3, "execution reverted")})
    cache = model.rate_caches[2]
    assert cache is not None and cache.provider_rate is None
    model.timestamp = NOW + 101  # the cache expired: the next swap would ask the provider
    with pytest.raises(AmmError, match="provider's rate is needed"):
        model.quote_exact_in(USDC, WSTETH, 10**6)


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        ({"bpt_index": RpcError("eth_call", 3, "execution reverted")}, "getBptIndex.*failed"),
        ({"bpt_index": _hex(["uint256"], [3])}, "BPT index 3"),
        ({"bpt_index": _hex(["uint256"], [1])}, "bpt_index"),
        ({"scaling": _hex(["uint256[]"], [[10**18, 10**30]])}, "2 scaling factors"),
        ({"rate_providers": _hex(["address[]"], [[ZERO, PROVIDER]])}, "2 rate providers"),
        ({"rate_providers": _hex(["address[]"], [[PROVIDER, ZERO, PROVIDER]])}, "the BPT .* has rate provider"),
        ({"amp": _hex(["uint256", "bool", "uint256"], [200_000, False, 100])}, "precision"),
        ({"amp": _hex(["uint256", "bool", "uint256"], [200_001, False, 1000])}, "amplification data"),
        ({"amp": _hex(["uint256", "bool", "uint256"], [200_000, True, 1000])}, "amplification data"),
        ({"amp_data": _amp_word(100_000, 200_000, NOW + 10, NOW + 20)}, "amplification data"),
        ({"amp_data": "0x"}, "malformed"),
        ({"scaling": _hex(["uint256[]"], [[10**18, 10**30 + 1, RATE]])}, "no decimals factor"),
        ({"scaling": _hex(["uint256[]"], [[10**18, 10**30, RATE + 1]])}, "no decimals factor"),
        ({"cache:2": _hex(["uint256"] * 4, [0, 0, 3600, NOW])}, "rate cache"),
        ({"cache:2": _hex(["uint256"] * 4, [2**96, 0, 3600, NOW])}, "rate cache"),
        ({"cache:2": RpcError("eth_call", 3, "execution reverted")}, "getTokenRateCache.*failed"),
        ({"swap_fee": _hex(["uint256"], [10**17 + 1])}, "swap fee"),
        ({"tokens": _hex(["address[]", "uint256[]", "uint256"], [[USDC, POOL, WSTETH], [1, 2, 3], 0])}, "registered"),
    ],
)
def test_spoiled_answers_are_refused_with_a_reason(spoil: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        _build(**spoil)


def test_no_block_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        _build(timestamp=None)


def test_the_pools_own_events_are_booked_at_their_blocks_timestamp() -> None:
    model = _build()
    balancer.apply_event(model, BalancerAmpEvent(200_000, 400_000, NOW + 10, NOW + 10 + 86_400), NOW + 10)
    assert (model.amp_start, model.amp_end, model.amp_end_time) == (200_000, 400_000, NOW + 10 + 86_400)
    balancer.apply_event(model, BalancerAmpEvent(250_000, 250_000, 0, 0, stopped=True), NOW + 20)
    assert (model.amp_start, model.amp_end, model.amp_start_time, model.amp_end_time) == (
        250_000, 250_000, NOW + 20, NOW + 20,
    )  # fmt: skip
    balancer.apply_event(model, BalancerRateCacheEvent(2, RATE + 7), NOW + 30)
    cache = model.rate_caches[2]
    assert cache is not None and (cache.rate, cache.expires) == (RATE + 7, NOW + 30 + 3600)
    balancer.apply_event(model, BalancerRateDurationEvent(2, PROVIDER, 60), NOW + 30)
    cache = model.rate_caches[2]
    assert cache is not None and (cache.rate, cache.duration, cache.expires) == (RATE + 7, 60, NOW + 90)


@pytest.mark.parametrize(
    ("event", "timestamp", "why"),
    [
        (BalancerRateCacheEvent(1, RATE), NOW, "no rate cache"),  # USDC has no provider
        (BalancerRateCacheEvent(3, RATE), NOW, "token index 3"),
        (BalancerRateCacheEvent(2, 2**96), NOW, "rate update"),
        (BalancerRateDurationEvent(2, "0x" + "78" * 20, 60), NOW, "rate provider"),
        (BalancerRateDurationEvent(1, PROVIDER, 60), NOW, "rate provider"),
        (BalancerAmpEvent(0, 200_000, NOW, NOW + 1), NOW, "amp update"),
        (BalancerAmpEvent(200_000, 200_000, NOW + 5, NOW), NOW, "amp update"),
        (BalancerRateCacheEvent(2, RATE), None, "timestamp"),
    ],
)
def test_events_that_cannot_be_this_pools_are_refused_and_change_nothing(
    event: Any, timestamp: int | None, why: str
) -> None:
    model = _build()
    before = model.to_dict()
    with pytest.raises(balancer.BalancerStateError, match=why):
        balancer.apply_event(model, event, timestamp)
    assert model.to_dict() == before


def test_a_stable_pools_event_on_a_weighted_pool_is_refused() -> None:
    weighted = BalancerWeightedPool(
        POOL, POOL_ID, VAULT, (USDC, WSTETH), [10**12, 10**21], (5 * 10**17, 5 * 10**17), (10**30, 10**18), 10**15
    )
    with pytest.raises(balancer.BalancerStateError, match="balancer_weighted"):
        balancer.apply_event(weighted, BalancerRateCacheEvent(0, RATE), NOW)


def test_the_block_reads_move_the_provider_rate_and_time() -> None:
    model = _build()
    calls = KIND.block_calls(model)
    assert [(c.name, c.to) for c in calls] == [("rate:2", PROVIDER)]
    KIND.book(model, {"rate:2": (RATE + 9,)})
    cache = model.rate_caches[2]
    assert cache is not None and cache.provider_rate == RATE + 9
    KIND.book(model, {})  # the provider did not answer: unknown, never the old answer
    cache = model.rate_caches[2]
    assert cache is not None and cache.provider_rate is None
    assert KIND.at_time is not None
    assert KIND.at_time(model, NOW + 50) is False  # nothing a quote depends on moved
    assert KIND.at_time(model, NOW + 101) is True  # the cache expired
    assert model.timestamp == NOW + 101
