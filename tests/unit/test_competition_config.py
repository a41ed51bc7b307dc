"""Competition files: every shipped one loads; a bad field is one line naming it and its value; the arrival draws
and the arrival order are fixed by the seed."""

from __future__ import annotations

import pytest

from arbbot.errors import ConfigError
from arbbot.strategy.bribe import BidContext, NoisyShare, ProfitScaledShare, StaticShare
from arbbot.testing.competition import arrival_order, arrives, competitor_seed
from arbbot.testing.competition_config import builtin_names, load, parse


def _one(competitor: str) -> str:
    return f"[competition]\ncompetitors = [{competitor}]"


def test_the_shipped_competition_builds_its_three_policies() -> None:
    assert "default" in builtin_names()
    spec = load("default")
    policies = [c.policy.build(competitor_seed(7, c)) for c in spec.competitors]
    assert [type(p) for p in policies] == [StaticShare, ProfitScaledShare, NoisyShare]
    assert [c.arrival_bps for c in spec.competitors] == [7_000, 5_000, 6_000]
    ctx = BidContext("cycle", 10**17, 200_000, 10**9, 10**9, ("uniswap_v2", "sushiswap"))
    assert policies[0].share_bps(ctx) == 9_000
    assert 5_000 < policies[1].share_bps(ctx) < 9_500
    assert 7_000 <= policies[2].share_bps(ctx) <= 9_000


@pytest.mark.parametrize(
    ("competitor", "expected"),
    [
        ('{ name = "a", policy = { kind = "static", share_bps = 12000 } }',
         "competition.competitors.0.policy.static.share_bps: Input should be less than or equal to 10000 (got 12000)"),
        ('{ name = "a", arrival_bps = -1, policy = { kind = "static", share_bps = 1 } }',
         "competition.competitors.0.arrival_bps: Input should be greater than or equal to 0 (got -1)"),
        ('{ name = "a", policy = { kind = "bogus" } }', "'bogus'"),
        ('{ name = "a b", policy = { kind = "static", share_bps = 1 } }', "competition.competitors.0.name"),
        ('{ name = "a", policy = { kind = "noisy", share_bps = 1, noise_bps = 2 }, colour = 1 }', "colour"),
    ],
)  # fmt: skip
def test_a_bad_field_is_one_line_naming_it(competitor: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(_one(competitor), "competition x.toml")
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("competition x.toml: ")


def test_names_are_unique_and_scaled_bounds_ordered() -> None:
    same = '{ name = "a", policy = { kind = "static", share_bps = 1 } }'
    with pytest.raises(ConfigError, match="'a' is used twice"):
        parse(f"[competition]\ncompetitors = [{same}, {same}]")
    scaled = ('{ name = "s", policy = { kind = "profit_scaled", low_bps = 1, high_bps = 2, low_gross_eth = "1", '
              'high_gross_eth = "0.5" } }')  # fmt: skip
    with pytest.raises(ConfigError, match="high_gross_eth must be above"):
        parse(_one(scaled))


def test_arrivals_are_drawn_from_the_seed_at_the_configured_rate() -> None:
    (c,) = parse(
        _one('{ name = "a", arrival_bps = 2500, seed = 9, policy = { kind = "static", share_bps = 1 } }')
    ).competitors
    draws = [arrives(1, c, b) for b in range(4_000)]
    assert draws == [arrives(1, c, b) for b in range(4_000)]  # the same every time
    assert 0.2 < sum(draws) / len(draws) < 0.3
    assert draws != [arrives(2, c, b) for b in range(4_000)]  # another run seed, other draws
    never = c.model_copy(update={"arrival_bps": 0})
    always = c.model_copy(update={"arrival_bps": 10_000})
    assert not any(arrives(1, never, b) for b in range(500)) and all(arrives(1, always, b) for b in range(500))


def test_the_arrival_order_is_a_seeded_permutation() -> None:
    names = ["arbbot", "a", "b", "c"]
    orders = [arrival_order(3, b, names) for b in range(50)]
    assert all(sorted(o) == sorted(names) for o in orders)
    assert orders == [arrival_order(3, b, names) for b in range(50)]
    assert len({tuple(o) for o in orders}) > 1
