"""The [searcher] config section: defaults, presets, and errors that name the key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbbot.chain.presets import HOODI, MAINNET, SEPOLIA
from arbbot.config import load_settings
from arbbot.engine.context import ChainContext
from arbbot.engine.factory import builder_endpoints, resolve_token
from arbbot.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("ARBBOT_CONFIG", "ARBBOT_SEARCHER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_safe() -> None:
    s = load_settings().searcher
    assert s.base_tokens == ["WETH"] and s.max_hops == 3 and s.executor is None
    assert [b.url for b in builder_endpoints(s)] == ["https://relay.flashbots.net"]


def test_file_values_and_presets(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[searcher]\nmin_profit_wei = 5\nbribe_share_bps = 8000\nmax_hops = 4\n"
        'builders = [{name = "titan"}, {name = "mine", url = "http://127.0.0.1:9999"}]\n'
    )
    s = load_settings(cfg).searcher
    assert (s.min_profit_wei, s.bribe_share_bps, s.max_hops) == (5, 8000, 4)
    assert [(b.name, b.url) for b in builder_endpoints(s)] == [
        ("titan", "https://rpc.titanbuilder.xyz"), ("mine", "http://127.0.0.1:9999"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("bribe_share_bps = 10001", "searcher.bribe_share_bps"),
        ("max_hops = 5", "searcher.max_hops"),
        ('executor = "0x12"', "searcher.executor"),
        ("base_tokens = []", "searcher.base_tokens"),
        ('builders = [{name = "x", url = "ftp://nope"}]', "searcher.builders.0.url"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, body: str, where: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[searcher]\n{body}\n")
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_settings(cfg)


def test_unknown_preset_and_token_are_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[searcher]\nbuilders = [{name = "nosuch"}]\n')
    with pytest.raises(ConfigError, match="unknown preset 'nosuch'"):
        builder_endpoints(load_settings(cfg).searcher)
    mainnet = ChainContext("http://127.0.0.1:1", 1, "mainnet", tokens=dict(MAINNET.tokens))
    with pytest.raises(ConfigError, match=r"searcher\.base_tokens: 'PEPE' is not a known token on mainnet"):
        resolve_token("PEPE", mainnet)
    assert resolve_token("weth", mainnet) == MAINNET.tokens["WETH"]
    address = "0x" + "ab" * 20
    assert resolve_token(address, mainnet).lower() == address  # an address is taken as given (checksummed)


def test_weth_resolves_per_chain_and_a_chain_without_one_says_what_to_set() -> None:
    for preset in (MAINNET, SEPOLIA):
        ctx = ChainContext("http://127.0.0.1:1", preset.chain_id, preset.name, tokens=dict(preset.tokens))
        assert resolve_token("WETH", ctx) == preset.weth
    assert MAINNET.weth != SEPOLIA.weth  # never mainnet WETH on another chain
    hoodi = ChainContext("http://127.0.0.1:1", HOODI.chain_id, HOODI.name, tokens=dict(HOODI.tokens))
    with pytest.raises(ConfigError, match=r"'WETH' is not a known token on hoodi .* give its address instead"):
        resolve_token("WETH", hoodi)
    unknown = ChainContext("http://127.0.0.1:1", 1234, "chain 1234")
    with pytest.raises(ConfigError, match="'WETH' is not a known token on chain 1234"):
        resolve_token("WETH", unknown)


def test_sepolia_builders_come_from_the_sepolia_presets() -> None:
    s = load_settings().searcher
    assert [b.url for b in builder_endpoints(s, SEPOLIA.chain_id)] == ["https://relay-sepolia.flashbots.net"]


def test_builder_dialects_from_config(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[searcher]\nbuilders = [\n"
        '  {name = "titan"}, {name = "bloxroute"},\n'
        '  {name = "eu-titan", url = "https://eu.rpc.titanbuilder.xyz", dialect = "titan"},\n'
        '  {name = "mine", url = "http://127.0.0.1:9999"},\n'
        '  {name = "relay", url = "http://127.0.0.1:9998", auth_env = "MY_RELAY_TOKEN"},\n'
        "]\n"
    )
    got = {b.name: (b.dialect, b.auth_env) for b in builder_endpoints(load_settings(cfg).searcher)}
    assert got == {
        "titan": ("titan", None), "bloxroute": ("bloxroute", "ARBBOT_BLOXROUTE_AUTH"),
        "eu-titan": ("titan", None), "mine": ("generic", None), "relay": ("generic", "MY_RELAY_TOKEN"),
    }  # fmt: skip


def test_unknown_dialect_and_bad_auth_env_are_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[searcher]\nbuilders = [{name = "x", url = "http://127.0.0.1:1", dialect = "klingon"}]\n')
    with pytest.raises(ConfigError, match="x has unknown dialect 'klingon'"):
        builder_endpoints(load_settings(cfg).searcher)
    cfg.write_text('[searcher]\nbuilders = [{name = "x", url = "http://127.0.0.1:1", auth_env = "lower-case"}]\n')
    with pytest.raises(ConfigError, match=r"searcher\.builders\.0\.auth_env"):
        load_settings(cfg)
