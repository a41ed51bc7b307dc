"""Configuration: one source of truth for every key and its default.

Precedence (highest first): command-line flags, ARBBOT_* environment variables, the TOML config file
(`--config PATH`, else ARBBOT_CONFIG, else ./arbbot.toml if present), defaults below.
See arbbot.example.toml for every key explained.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from arbbot.chain.presets import BY_NAME, RETIRED, retired_message
from arbbot.chain.urls import check_rpc_url, public_url
from arbbot.errors import ConfigError

# Known networks: name -> chain id. "replica" is the local mainnet replica.
NETWORKS: dict[str, int] = {"replica": 31337, **{name: p.chain_id for name, p in BY_NAME.items()}}


class DevnetSettings(BaseModel):
    """The `[devnet]` section: which replica scenario to run and, optionally, a node to fork from.

    `port` 0 picks a free port at start; `fork_url`/`fork_block_number` fork an existing chain instead of an
    empty one.
    """

    model_config = ConfigDict(extra="forbid")
    scenario: str = "default"
    port: int = Field(default=0, ge=0, le=65535)  # 0 = pick a free port at start
    fork_url: str | None = None
    fork_block_number: int | None = Field(default=None, ge=0)


class VenueSettings(BaseModel):
    """A DEX factory to discover pools from (on the replica these come from its manifest)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    # uniswap_v4: factory = PoolManager; balancer_weighted: a Balancer V2 pool factory whose pools are trusted
    kind: Literal["uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4", "balancer_weighted"]
    factory: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    fee_bps: int = Field(default=30, ge=0, le=10_000)  # V2 forks: the pair's swap fee
    start_block: int = Field(default=0, ge=0)  # the factory's deployment block: scanning starts here
    # Balancer only: the Vault its pools register in (None: the chain's Balancer Vault, searcher.balancer_vault)
    vault: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")

    @field_validator("vault")
    @classmethod
    def _balancer_only(cls, v: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if v is not None and kind is not None and not str(kind).startswith("balancer_"):
            raise ValueError(f"vault is for Balancer venues only (this venue's kind is {kind})")
        return v


_ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class BuilderSettings(BaseModel):
    """A bundle endpoint: a well-known preset by name (see arbbot.execution.bundles.BUILDER_PRESETS) or a URL."""

    model_config = ConfigDict(extra="forbid")
    name: str
    url: str | None = None  # None: the preset of that name
    coinbase: str | None = Field(default=None, pattern=_ADDRESS)  # its blocks' fee recipient: names who landed us
    # Capabilities (None: the preset's; a builder given by url is assumed to speak the Flashbots API, and one
    # that answers eth_callBundle with "method not found" is not asked again).
    call_bundle: bool | None = None  # answers eth_callBundle (the preflight)
    cancel: Literal["endpoint", "empty_bundle", "none"] | None = None  # how a sent bundle is withdrawn
    # The request shape it accepts (arbbot.execution.bundles.dialects.DIALECTS; None: the preset's, or
    # "generic" for a url: the Flashbots relay fields every builder reads, nothing builder-specific).
    # Checked against the dialect table when the builders are set up.
    dialect: str | None = Field(default=None, min_length=1, max_length=40)
    # An environment variable holding its Authorization header (bloXroute); the value is never stored.
    auth_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")

    @field_validator("url")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"builder url must start with http:// or https://, got {public_url(v)!r}")
        if v is not None:
            try:
                check_rpc_url(v, "url")
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return v


class RouterSettings(BaseModel):
    """A swap router whose pending transactions the backrun strategy decodes."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal[
        "uniswap_v2_router02",
        "uniswap_v3_swaprouter",
        "universal_router_v1_2",
        "universal_router_v2",
        "universal_router",  # the older name of universal_router_v2
    ]
    address: str = Field(pattern=_ADDRESS)
    factory: str = Field(pattern=_ADDRESS)  # pools the router trades through (universal routers: the V4 PoolManager)
    v2_factory: str | None = Field(default=None, pattern=_ADDRESS)  # universal routers: their V2 and V3 pools
    v3_factory: str | None = Field(default=None, pattern=_ADDRESS)
    weth: str | None = Field(default=None, pattern=_ADDRESS)  # universal routers' WRAP/UNWRAP (default: the chain's)


class SearcherSettings(BaseModel):
    """`arbbot run`: what to look for, what it may cost, and where bundles go."""

    model_config = ConfigDict(extra="forbid")
    builders: list[BuilderSettings] = Field(default_factory=lambda: [BuilderSettings(name="flashbots")])
    preflight: bool = True  # eth_callBundle at each builder that supports it before sending there
    base_tokens: list[str] = Field(default_factory=lambda: ["WETH"])  # symbols (replica) or addresses
    min_profit_wei: int = Field(default=0, ge=0)  # net of gas, loan fee and builder payment
    bribe_share_bps: int = Field(default=9_000, ge=0, le=10_000)  # share of gross profit paid to the builder
    max_gas: int = Field(default=1_000_000, ge=21_000, le=30_000_000)  # gas limit cap per transaction
    max_fee_per_gas_wei: int = Field(default=500 * 10**9, ge=1)  # never pay more per gas than this
    priority_fee_wei: int = Field(default=0, ge=0)  # tip per gas on top of the base fee
    max_hops: int = Field(default=3, ge=2, le=4)
    blocks_ahead: int = Field(default=1, ge=1, le=25)  # target blocks per bundle
    max_candidates: int = Field(default=3, ge=1, le=100)  # simulated per update, best first
    max_trades_per_bundle: int = Field(default=1, ge=1, le=10)  # pool-disjoint trades of one update per bundle
    size_top: int = Field(default=16, ge=1, le=100_000)  # cycles sized per update, best marginal rate first
    executor: str | None = Field(default=None, pattern=_ADDRESS)  # the deployed ArbExecutor
    # "cheapest": per route, the free source with the least simulated gas (its own V2 pairs, the V4
    # PoolManager when pool_manager is set, the Balancer Vault).
    capital: Literal["balancer", "own", "cheapest"] = "balancer"
    balancer_vault: str = Field(default="0xBA12222222228d8Ba445958a75a0704d566BF2C8", pattern=_ADDRESS)
    pool_manager: str | None = Field(default=None, pattern=_ADDRESS)  # Uniswap V4 PoolManager (capital, V4 hops)
    # Uniswap V4 V4Quoter: V4 pools whose hook can change swap amounts are priced by simulating them through it
    # (unset: such pools are never traded; the pool math never prices them).
    v4_quoter: str | None = Field(default=None, pattern=_ADDRESS)
    key_env: str = "ARBBOT_SEARCHER_KEY"  # env var holding the transaction key (never logged)
    reputation_key_env: str = "ARBBOT_REPUTATION_KEY"  # env var for X-Flashbots-Signature; unset: random
    simulator: Literal["pyrevm", "anvil"] = "pyrevm"
    routers: list[RouterSettings] = Field(default_factory=list)
    # MEV-Share: the hint event stream (e.g. https://mev-share.flashbots.net) and the bundle API taking
    # mev_sendBundle (e.g. https://relay.flashbots.net; unset: the stream's URL). Unset: no MEV-Share.
    mev_share: str | None = None
    mev_share_api: str | None = None
    mev_share_ladder_wei: list[int] = Field(default_factory=lambda: [10**17, 10**18, 10**19, 10**20])
    mev_share_refund_percent: int | None = Field(default=None, ge=1, le=99)  # validity.refund for the victim
    # "learned": each opportunity's share from the landing model in `bribe_model` (a directory written by
    # `arbbot learn fit`), within [bribe_floor_bps, bribe_ceiling_bps]; the static share when the model is
    # missing or the context is outside its training range (said in logs and metrics).
    bribe_policy: Literal["static", "learned"] = "static"
    bribe_model: Path | None = None
    bribe_floor_bps: int = Field(default=0, ge=0, le=10_000)
    bribe_ceiling_bps: int = Field(default=10_000, ge=0, le=10_000)

    @model_validator(mode="after")
    def _bribe_bounds(self) -> SearcherSettings:
        if self.bribe_floor_bps > self.bribe_ceiling_bps:
            raise ValueError(
                f"bribe_floor_bps {self.bribe_floor_bps} is above bribe_ceiling_bps {self.bribe_ceiling_bps}"
            )
        if self.bribe_policy == "learned" and self.bribe_model is None:
            raise ValueError('bribe_model: required with bribe_policy = "learned" (a directory from arbbot learn fit)')
        return self

    @field_validator("mev_share", "mev_share_api")
    @classmethod
    def _mev_share_http(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v

    @field_validator("mev_share_ladder_wei")
    @classmethod
    def _ladder(cls, v: list[int]) -> list[int]:
        if not v or any(x <= 0 for x in v):
            raise ValueError("must list at least one positive victim size in wei")
        return v

    @field_validator("base_tokens")
    @classmethod
    def _some_base(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("base_tokens must name at least one token")
        return v


class ConsoleSettings(BaseModel):
    """`arbbot console`: login throttling, session lifetimes, audit retention and where the searcher's control
    API is (unset `control_url`: read from `<data_dir>/control.json`, written by the running searcher)."""

    model_config = ConfigDict(extra="forbid")
    lockout_attempts: int = Field(default=5, ge=1, le=1000)  # failed logins in a row before the account locks
    lockout_seconds: int = Field(default=900, ge=1)  # how long a lock lasts (an admin can unlock sooner)
    throttle_failures: int = Field(default=20, ge=1)  # failed logins from one address within the window...
    throttle_window_seconds: int = Field(default=300, ge=1)  # ...before that address is refused for a while
    session_idle_seconds: int = Field(default=900, ge=30)  # a session unused this long ends
    session_absolute_seconds: int = Field(default=12 * 3600, ge=60)  # a session ends this long after login
    audit_retention_days: int = Field(default=365, ge=1)  # `arbbot console audit-purge` deletes older rows
    control_url: str | None = None  # e.g. http://127.0.0.1:8555
    control_token_env: str = "ARBBOT_CONTROL_TOKEN"  # env var holding the control API's bearer token
    # env var holding the key (64 hex characters) that seals TOTP keys at rest; `console serve` needs it
    key_env: str = Field(default="ARBBOT_CONSOLE_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$")

    @field_validator("control_url")
    @classmethod
    def _control_http(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v


class ControlSettings(BaseModel):
    """The `[control]` section: the searcher's local control API (`arbbot run`) and the limits it may set.

    Unset limits are the configured `searcher` value: no change that way unless the config widens it.
    """

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    listen: str = "127.0.0.1:0"  # host:port; port 0 = chosen at start, written to <data_dir>/control.json
    allow_remote: bool = False  # needed to listen on anything but loopback
    token_env: str = Field(default="ARBBOT_CONTROL_TOKEN", pattern=r"^[A-Z_][A-Z0-9_]*$")  # bearer token's env var
    bribe_share_bps_min: int | None = Field(default=None, ge=0, le=10_000)
    bribe_share_bps_max: int | None = Field(default=None, ge=0, le=10_000)
    min_profit_wei_min: int | None = Field(default=None, ge=0)
    min_profit_wei_max: int | None = Field(default=None, ge=0)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"listen must be host:port with a port 0..65535, got {v!r}")
        return v

    @property
    def host(self) -> str:
        """The address to bind (brackets of an IPv6 literal removed)."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """The port to bind (0: chosen at start)."""
        return int(self.listen.rpartition(":")[2])

    @model_validator(mode="after")
    def _consistent(self) -> ControlSettings:
        if not self.allow_remote and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(f"listen: {self.listen!r} is not loopback; set allow_remote = true to expose it")
        for name in ("bribe_share_bps", "min_profit_wei"):
            lo, hi = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{name}_min {lo} is above {name}_max {hi}")
        return self


class Settings(BaseSettings):
    """Every setting, validated: from the TOML file and `ARBBOT_*` environment variables (nested with `__`).

    Unknown keys are rejected. `network`, when set, names the chain the node must answer as (see `chain_id`).
    """

    model_config = SettingsConfigDict(env_prefix="ARBBOT_", env_nested_delimiter="__", extra="forbid")

    network: str | None = None  # None: whatever chain the node answers; set, the node must answer its chain id
    rpc_url: str | None = None  # None on the replica: taken from the running devnet
    data_dir: Path = Path(".arbbot")
    log_level: str = "INFO"
    devnet: DevnetSettings = DevnetSettings()
    venues: list[VenueSettings] = Field(default_factory=list)
    database_url: str | None = None  # None: SQLite file <data_dir>/arbbot.db
    discovery_chunk_blocks: int = Field(default=5_000, ge=1, le=1_000_000)  # first getLogs range; adapts
    searcher: SearcherSettings = SearcherSettings()
    console: ConsoleSettings = ConsoleSettings()
    control: ControlSettings = ControlSettings()

    @model_validator(mode="after")
    def _control_limits(self) -> Settings:
        """The configured bribe share and minimum profit lie within the control limits that are set."""
        c, s = self.control, self.searcher
        for name, value in (("bribe_share_bps", s.bribe_share_bps), ("min_profit_wei", s.min_profit_wei)):
            lo, hi = getattr(c, f"{name}_min"), getattr(c, f"{name}_max")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise ValueError(f"control.{name}_min/max: [{lo}, {hi}] leaves out searcher.{name} = {value}")
        return self

    @field_validator("rpc_url")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                check_rpc_url(v)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return v

    @field_validator("network")
    @classmethod
    def _known_network(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v in RETIRED.values():
            raise ValueError(retired_message(v))
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
        """Only constructor values and environment variables: no `.env` or secrets-directory sources."""
        return (init_settings, env_settings)

    @property
    def chain_id(self) -> int | None:
        """The chain id of the configured `network`, or `None` when no network is set (any chain is accepted)."""
        return None if self.network is None else NETWORKS[self.network]


# ARBBOT_* variables that are not settings but are read by name: keys, tool paths, the config path.
OTHER_ENV = frozenset(
    {
        "ARBBOT_CONFIG", "ARBBOT_ROOT", "ARBBOT_CACHE_DIR", "ARBBOT_ANVIL", "ARBBOT_PRIVATE_KEY",
        "ARBBOT_APE_ACCOUNT", "ARBBOT_SEARCHER_KEY", "ARBBOT_REPUTATION_KEY", "ARBBOT_SOLANA_KEYPAIR",
        "ARBBOT_SOLANA_RPC_URL", "ARBBOT_DEGENBOT_PYTHON", "ARBBOT_CONTROL_TOKEN", "ARBBOT_CONSOLE_PASSWORD",
        "ARBBOT_CONSOLE_KEY", "ARBBOT_CONSOLE_NEW_KEY",
    }
)  # fmt: skip


def unknown_env(environ: Mapping[str, str], also_known: Collection[str] = frozenset()) -> list[str]:
    """ARBBOT_* variables that are neither a setting (ARBBOT_<KEY>, ARBBOT_<SECTION>__<KEY>) nor one read by
    name: most likely typos, which would otherwise be ignored without a word."""
    top = {name.upper() for name in Settings.model_fields}
    nested = {
        name.upper(): {k.upper() for k in sub.model_fields}
        for name, field_info in Settings.model_fields.items()
        if isinstance(sub := field_info.annotation, type) and issubclass(sub, BaseModel)
    }
    out = []
    for var in environ:
        if not var.startswith("ARBBOT_") or var in OTHER_ENV or var in also_known:
            continue
        key = var.removeprefix("ARBBOT_")
        section, sep, rest = key.partition("__")
        if (not sep and key in top) or (sep and section in nested and rest.split("__")[0] in nested[section]):
            continue
        out.append(var)
    return sorted(out)


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
