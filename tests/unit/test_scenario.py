"""Scenario files: validation errors name the file, the field and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbbot.devnet import scenario
from arbbot.errors import ScenarioError

BASE = """
name = "t"
seed = 1
v2_venues = ["uniswap_v2"]
[[tokens]]
symbol = "USDC"
decimals = 6
price_eth = "0.0003"
[[v2_pools]]
venue = "uniswap_v2"
tokens = ["WETH", "USDC"]
depth_eth = 10
"""


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return str(path)


def test_builtin_default_loads() -> None:
    sc, raw = scenario.load("default")
    assert sc.name == "default"
    assert {t.decimals for t in sc.tokens} >= {6, 8, 18}
    assert any(t.fee_on_transfer_bps for t in sc.tokens)
    assert {p.fee for p in sc.v3_pools} >= {500, 3000}
    assert len(set(sc.v2_venues)) >= 2
    assert raw.startswith(b"#")


def test_valid_file_loads(tmp_path: Path) -> None:
    sc, _ = scenario.load(_write(tmp_path, BASE))
    assert sc.v2_pools[0].tokens == ("WETH", "USDC")


def test_unknown_scenario_lists_builtins() -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'; built-in: .*default"):
        scenario.load("nope")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        scenario.load(str(tmp_path / "missing.toml"))


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "name = [unclosed")
    with pytest.raises(ScenarioError, match=f"malformed scenario file {path}"):
        scenario.load(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('venue = "uniswap_v2"', 'venue = "curve"'), r"v2_pools\[0\]\.venue: unknown venue 'curve'"),
        (('tokens = ["WETH", "USDC"]', 'tokens = ["WETH", "XYZ"]'), r"unknown token 'XYZ'"),
        (("depth_eth = 10", "depth_eth = -5"), r"v2_pools\.0\.depth_eth: .*greater than 0 \(got -5\)"),
        (("decimals = 6", "decimals = 99"), r"tokens\.0\.decimals: .* \(got 99\)"),
        (('price_eth = "0.0003"', 'price_eth = "abc"'), r"price_eth must be a decimal number, got 'abc'"),
        (("seed = 1", "seed = 1\nbogus = 2"), r"bogus: Extra inputs are not permitted"),
        (('tokens = ["WETH", "USDC"]', 'tokens = ["USDC", "USDC"]'), r"two different tokens"),
    ],
)
def test_invalid_fields_are_named(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = _write(tmp_path, BASE.replace(*edit))
    with pytest.raises(ScenarioError, match=message):
        scenario.load(path)


WEIGHTED = """
[[balancer_weighted_pools]]
tokens = ["WETH", "USDC"]
weights = ["0.8", "0.2"]
swap_fee = "0.003"
depth_eth = 10
"""


def test_a_weighted_pool_spec_loads_with_exact_weights_and_fee(tmp_path: Path) -> None:
    sc, _ = scenario.load(_write(tmp_path, BASE + WEIGHTED))
    (pool,) = sc.balancer_weighted_pools
    assert pool.weights_wad == [8 * 10**17, 2 * 10**17] and pool.swap_fee_wad == 3 * 10**15
    big = WEIGHTED.replace("depth_eth = 10", 'amounts = ["1", "1000000000000000000000000000000000"]')
    assert scenario.load(_write(tmp_path, BASE + big))[0].balancer_weighted_pools[0].amounts == [
        "1",
        "1000000000000000000000000000000000",
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('weights = ["0.8", "0.2"]', 'weights = ["0.8", "0.3"]'), r"sum to exactly 1"),
        (('weights = ["0.8", "0.2"]', 'weights = ["0.995", "0.005"]'), r"at least 0.01"),
        (('weights = ["0.8", "0.2"]', 'weights = ["1"]'), r"1 weights for 2 tokens"),
        (('swap_fee = "0.003"', 'swap_fee = "0.2"'), r"swap_fee: 0.2 must be between"),
        (('tokens = ["WETH", "USDC"]', 'tokens = ["WETH", "XYZ"]'), r"balancer_weighted_pools\[0\]\.tokens: unknown"),
        (("depth_eth = 10", 'depth_eth = 10\namounts = ["1", "2"]'), r"exactly one of depth_eth and amounts"),
        (("depth_eth = 10", 'amounts = ["1", "-2"]'), r"amounts must be positive whole numbers"),
    ],
)
def test_invalid_weighted_pools_are_named(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario.load(_write(tmp_path, BASE + WEIGHTED.replace(*edit)))


STABLE = """
[[balancer_stable_pools]]
tokens = ["WETH", "USDC"]
amp = 200
swap_fee = "0.0004"
depth_eth = 10
rates = { WETH = "1.05" }
rate_cache_duration = 600
"""


def test_a_stable_pool_spec_loads_with_exact_fee_and_rates(tmp_path: Path) -> None:
    sc, _ = scenario.load(_write(tmp_path, BASE + STABLE))
    (pool,) = sc.balancer_stable_pools
    assert (pool.amp, pool.swap_fee_wad, pool.rate_cache_duration) == (200, 4 * 10**14, 600)
    assert pool.rate_wad("WETH") == 105 * 10**16 and pool.rate_wad("USDC") is None
    assert scenario.load("default")[0].balancer_stable_pools[0].tokens == ["USDC", "DAI"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("amp = 200", "amp = 5001"), r"balancer_stable_pools\.0\.amp: .*less than or equal to 5000 \(got 5001\)"),
        (("amp = 200", "amp = 0"), r"balancer_stable_pools\.0\.amp: .*greater than or equal to 1 \(got 0\)"),
        (('swap_fee = "0.0004"', 'swap_fee = "0.2"'), r"swap_fee: 0.2 must be between"),
        (('tokens = ["WETH", "USDC"]', 'tokens = ["WETH", "XYZ"]'), r"balancer_stable_pools\[0\]\.tokens: unknown"),
        (('tokens = ["WETH", "USDC"]', 'tokens = ["WETH", "WETH"]'), r"tokens: a token appears twice"),
        (('tokens = ["WETH", "USDC"]', 'tokens = ["WETH"]'), r"balancer_stable_pools\.0\.tokens: .*at least 2"),
        (("depth_eth = 10", 'depth_eth = 10\namounts = ["1", "2"]'), r"exactly one of depth_eth and amounts"),
        (("depth_eth = 10", 'amounts = ["1"]'), r"amounts: 1 amounts for 2 tokens"),
        (('rates = { WETH = "1.05" }', 'rates = { DAI = "1.05" }'), r"rates: DAI is not one of the pool's tokens"),
        (('rates = { WETH = "1.05" }', 'rates = { WETH = "-1" }'), r"rates.WETH must be a positive number"),
        (('rates = { WETH = "1.05" }', 'rates = { WETH = "100000000000" }'), r"rates.WETH: .* below 2\^96"),
        (("rate_cache_duration = 600", "rate_cache_duration = -1"), r"rate_cache_duration: .*greater than or equal"),
    ],
)
def test_invalid_stable_pools_are_named(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario.load(_write(tmp_path, BASE + STABLE.replace(*edit)))


def test_only_a_token_with_a_rate_can_be_yield_exempt(tmp_path: Path) -> None:
    ok = STABLE + 'yield_exempt = ["WETH"]\n'
    assert scenario.load(_write(tmp_path, BASE + ok))[0].balancer_stable_pools[0].yield_exempt == ["WETH"]
    with pytest.raises(ScenarioError, match=r"yield_exempt: USDC has no rate"):
        scenario.load(_write(tmp_path, BASE + STABLE + 'yield_exempt = ["USDC"]\n'))
