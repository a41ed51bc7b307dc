"""`LearnedShare` with a model fitted on the synthetic history: the bid stays within [floor, ceiling] and is never
unprofitable, and every fallback says why."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbbot.learn.policy import LearnedShare
from arbbot.strategy.bribe import BidContext, StaticShare
from tests.integration.learn import history
from tests.integration.learn.conftest import Fitted

contexts = st.builds(
    BidContext,
    kind=st.sampled_from(("cycle", "backrun", "mev_share")),
    gross_wei=st.integers(0, 10**19),
    gas=st.integers(0, 1_000_000),
    max_fee_per_gas=st.integers(0, 10 * 10**9),
    base_fee=st.integers(0, 10 * 10**9),
    pool_kinds=st.lists(st.sampled_from(("uniswap_v2", "uniswap_v3", "uniswap_v4", "balancer_weighted")), min_size=1,
                        max_size=4).map(tuple),
    recent_landing_rate=st.sampled_from((0.5, 0.0, 1.0)),
)  # fmt: skip
# Contexts inside the training range, so that the model (not a fallback) bids most of the time.
in_range = st.builds(
    BidContext,
    kind=st.sampled_from(("cycle", "backrun")),
    gross_wei=st.integers(2 * 10**16, 5 * 10**17),
    gas=st.integers(150_000, 400_000),
    max_fee_per_gas=st.integers(1, 5).map(lambda g: g * 10**9),
    base_fee=st.just(0),
    pool_kinds=st.lists(st.sampled_from(("uniswap_v2", "uniswap_v3")), min_size=2, max_size=3).map(tuple),
).map(lambda c: replace(c, base_fee=c.max_fee_per_gas // 2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ctx=st.one_of(contexts, in_range),
    floor=st.integers(0, 10_000),
    width=st.integers(0, 10_000),
    min_profit=st.integers(1, 10**17),
    static=st.integers(0, 10_000),
)
def test_the_bid_stays_within_floor_and_ceiling_and_profitable(
    fitted: Fitted, ctx: BidContext, floor: int, width: int, min_profit: int, static: int
) -> None:
    ceiling = min(10_000, floor + width)
    policy = LearnedShare(fitted.model, StaticShare(static), floor, ceiling, min_profit)
    share = policy.share_bps(ctx)
    assert floor <= share <= ceiling
    if policy.last_fallback is None:
        assert ctx.net_at(share) >= min_profit > 0 and share in history.GRID
    else:
        assert share == min(ceiling, max(floor, static))
        assert sum(policy.fallbacks.values()) == 1 and policy.fallbacks[policy.last_fallback] == 1


def _ctx(**changes: object) -> BidContext:
    base = BidContext(kind="backrun", gross_wei=10**17, gas=200_000, max_fee_per_gas=2 * 10**9, base_fee=10**9,
                      pool_kinds=("uniswap_v2", "uniswap_v3"))  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_in_range_the_model_bids_more_where_competition_is_fiercer(fitted: Fitted) -> None:
    policy = LearnedShare(fitted.model, StaticShare(4000), 1000, 9000)
    backrun, cycle = policy.share_bps(_ctx()), policy.share_bps(_ctx(kind="cycle"))
    assert policy.last_fallback is None and policy.fallbacks == {}
    # Ground truth: the competitor's mean is 5,000 bps higher against backruns.
    assert backrun >= cycle + 3000


def test_each_fallback_is_named_and_counted(fitted: Fitted, tmp_path: Path) -> None:
    policy = LearnedShare(fitted.model, StaticShare(12_000), 1000, 9000)
    assert policy.share_bps(_ctx(gross_wei=10**20)) == 9000 and policy.last_fallback == "out_of_range"
    assert policy.share_bps(_ctx(builders=3)) == 9000 and policy.last_fallback == "out_of_range"
    expensive = LearnedShare(fitted.model, StaticShare(2500), 1000, 9000, min_profit=10**18)
    assert expensive.share_bps(_ctx()) == 2500 and expensive.last_fallback == "unprofitable"
    narrow = LearnedShare(fitted.model, StaticShare(2500), 9100, 9900)
    assert narrow.share_bps(_ctx()) == 9100 and narrow.last_fallback == "no_candidate"
    assert policy.share_bps(_ctx()) in history.GRID and policy.last_fallback is None
    assert policy.fallbacks == {"out_of_range": 2}
    missing = LearnedShare.from_dir(tmp_path / "nothing-here", StaticShare(3000), 1000, 9000)
    assert missing.model is None and missing.load_error == "meta.json: cannot be read (No such file or directory)"
    assert missing.share_bps(_ctx()) == 3000 and missing.share_bps(_ctx()) == 3000
    assert missing.last_fallback == "no_model" and missing.fallbacks == {"no_model": 2}
    assert LearnedShare.from_dir(fitted.dir / "model", StaticShare(3000), 1000, 9000).model is not None
