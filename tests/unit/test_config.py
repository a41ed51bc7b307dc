"""Config: precedence and clear errors for malformed files, unknown networks and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbbot.config import load_settings
from arbbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("ARBBOT_NETWORK", "ARBBOT_CONFIG", "ARBBOT_DATA_DIR", "ARBBOT_LOG_LEVEL", "ARBBOT_RPC_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = ROOT / "arbbot.example.toml"
    s = load_settings(example)
    assert s.network == "replica" and s.chain_id == 31337
    text = example.read_text()
    for key in (
        "network",
        "rpc_url",
        "data_dir",
        "log_level",
        "scenario",
        "port",
        "fork_url",
        "fork_block_number",
    ):
        assert key in text, key


def test_defaults_without_a_file() -> None:
    s = load_settings()
    assert s.devnet.scenario == "default" and s.devnet.port == 0


def test_unknown_network_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('network = "moonnet"\n')
    with pytest.raises(ConfigError, match=r"network: .*unknown network 'moonnet'"):
        load_settings(cfg)


@pytest.mark.parametrize("name", ["holesky", "goerli"])
def test_retired_network_names_its_replacements(tmp_path: Path, name: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'network = "{name}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert f"network: Value error, network {name!r} is retired" in message
    assert "hoodi (chain id 560048)" in message and "sepolia (chain id 11155111)" in message


def test_networks_offered() -> None:
    for name, chain_id in (("mainnet", 1), ("sepolia", 11155111), ("hoodi", 560048), ("replica", 31337)):
        assert load_settings(network=name).chain_id == chain_id
    assert load_settings().network is None  # default: whatever chain the node answers


def test_malformed_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("network = \n")
    with pytest.raises(ConfigError, match=f"malformed config file {cfg}"):
        load_settings(cfg)


def test_bad_nested_value(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[devnet]\nport = 70000\n")
    with pytest.raises(ConfigError, match=r"devnet\.port: .* \(got 70000\)"):
        load_settings(cfg)


def test_unknown_key_rejected(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("privte_key = 'x'\n")
    with pytest.raises(ConfigError, match="privte_key: Extra inputs are not permitted"):
        load_settings(cfg)


def test_env_beats_file_and_flags_beat_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('network = "sepolia"\nlog_level = "debug"\n')
    monkeypatch.setenv("ARBBOT_NETWORK", "hoodi")
    assert load_settings(cfg).network == "hoodi" and load_settings(cfg).chain_id == 560048
    assert load_settings(cfg, network="mainnet").network == "mainnet"
    assert load_settings(cfg).log_level == "DEBUG"


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('bribe_policy = "learned"', r"searcher: .*bribe_model: required with bribe_policy = \"learned\""),
        ("bribe_floor_bps = 7000\nbribe_ceiling_bps = 6000", r"searcher: .*bribe_floor_bps 7000 is above bribe_"),
        ('bribe_policy = "guess"', r"searcher\.bribe_policy: .*'static' or 'learned'"),
    ],
)
def test_bribe_policy_settings_are_checked(tmp_path: Path, body: str, message: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[searcher]\n{body}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg)
