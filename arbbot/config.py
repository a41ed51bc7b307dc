"""Configuration: one source of truth for every key and its default.

Precedence (highest first): command-line flags, ARBBOT_* environment variables, the TOML config file
(`--config PATH`, else ARBBOT_CONFIG, else ./arbbot.toml if present), defaults below.
See arbbot.example.toml for every key explained.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from arbbot.errors import ConfigError

# Known networks: name -> chain id. "replica" is the local mainnet replica.
NETWORKS: dict[str, int] = {
    "replica": 31337,
    "mainnet": 1,
    "sepolia": 11155111,
    "holesky": 17000,
}


class DevnetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str = "default"
    port: int = Field(default=0, ge=0, le=65535)  # 0 = pick a free port at start
    fork_url: str | None = None
    fork_block_number: int | None = Field(default=None, ge=0)


class VenueSettings(BaseModel):
    """A DEX factory to discover pools from (on the replica these come from its manifest)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Literal["uniswap_v2", "uniswap_v3"]
    factory: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    fee_bps: int = Field(default=30, ge=0, le=10_000)  # V2 forks: the pair's swap fee
    start_block: int = Field(default=0, ge=0)  # the factory's deployment block: scanning starts here


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARBBOT_", env_nested_delimiter="__", extra="forbid")

    network: str = "replica"
    rpc_url: str | None = None  # None on the replica: taken from the running devnet
    data_dir: Path = Path(".arbbot")
    log_level: str = "INFO"
    devnet: DevnetSettings = DevnetSettings()
    venues: list[VenueSettings] = Field(default_factory=list)
    database_url: str | None = None  # None: SQLite file <data_dir>/arbbot.db
    discovery_chunk_blocks: int = Field(default=5_000, ge=1, le=1_000_000)  # first getLogs range; adapts

    @field_validator("network")
    @classmethod
    def _known_network(cls, v: str) -> str:
        if v not in NETWORKS:
            raise ValueError(f"unknown network {v!r}; known: {', '.join(NETWORKS)}")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        up = v.upper()
        if up not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"log_level must be DEBUG, INFO, WARNING or ERROR, got {v!r}")
        return up

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @property
    def chain_id(self) -> int:
        return NETWORKS[self.network]


def _config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    env = os.environ.get("ARBBOT_CONFIG")
    if env:
        if not Path(env).is_file():
            raise ConfigError(f"config file not found: ARBBOT_CONFIG={env}")
        return Path(env)
    default = Path("arbbot.toml")
    return default if default.is_file() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings; any problem becomes a ConfigError naming the file, key and value."""
    path = _config_path(config_file)
    file_data: dict[str, Any] = {}
    if path is not None:
        try:
            file_data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"malformed config file {path}: {exc}") from exc
    # Environment beats the file: drop file keys that the environment sets.
    for key in list(file_data):
        if f"ARBBOT_{key.upper()}" in os.environ:
            file_data.pop(key)
    data = {**file_data, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return Settings(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
        src = f"config {path}" if path else "config"
        raise ConfigError(f"{src}: {where}: {err['msg']}{shown}") from None
