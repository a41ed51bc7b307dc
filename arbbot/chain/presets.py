"""Known chains, by chain id: WETH and well-known tokens, the DEX factories worth scanning (with the block
each was deployed in, where scanning starts), the routers whose pending swaps the backrun strategy
decodes, and the Balancer V2 Vault. Pure data; the config overrides any of it.

Sources: Uniswap's deployment pages (v2 and v3, mainnet and Sepolia), the eth-clients repositories for
chain ids (Hoodi 560048, launched 2025-03-17; Holesky 17000, retired after the Fusaka upgrade).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from arbbot.errors import ConfigError

PoolKind = Literal["uniswap_v2", "uniswap_v3"]
RouterKind = Literal["uniswap_v2_router02", "uniswap_v3_swaprouter", "universal_router_v1_2", "universal_router_v2"]


@dataclass(frozen=True)
class VenuePreset:
    """A DEX venue on a known chain: its factory and where discovery starts scanning."""

    name: str
    kind: PoolKind
    factory: str
    start_block: int  # the factory's deployment block: discovery starts here
    fee_bps: int = 30  # V2 forks: the pair's swap fee (unused for V3)


@dataclass(frozen=True)
class RouterPreset:
    """A swap router on a known chain whose pending transactions the backrun strategy decodes."""

    kind: RouterKind
    address: str
    factory: str  # pools the router trades through come from this factory (universal routers: the PoolManager)
    v2_factory: str | None = None  # universal routers: where their V2 and V3 legs' pools come from
    v3_factory: str | None = None


@dataclass(frozen=True)
class ChainPreset:
    """What arbbot knows about a chain by id: its tokens, venues, routers and the flash-loan and V4 contracts."""

    chain_id: int
    name: str
    testnet: bool
    tokens: Mapping[str, str]  # symbol -> address; "WETH" is the chain's canonical WETH when it has one
    venues: tuple[VenuePreset, ...] = ()
    routers: tuple[RouterPreset, ...] = ()
    balancer_vault: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def weth(self) -> str | None:
        """The chain's canonical WETH, if it has one."""
        return self.tokens.get("WETH")


_UNI_V2 = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
_SUSHI_V2 = "0xC0AEe478e3658e2610c5F7A4A2E1777cE9e4f2Ac"
_UNI_V3 = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
_V4_POOL_MANAGER = "0x000000000004444c5dc75cB358380D2e3dE08A90"
_SEPOLIA_V2 = "0xF62c03E08ada871A0bEb309762E260a7a6a880E6"

MAINNET = ChainPreset(
    chain_id=1,
    name="mainnet",
    testnet=False,
    tokens=MappingProxyType(
        {
            "WETH": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "USDC": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "USDT": "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            "DAI": "0x6B175474E89094C44Da98b954EedeAC495271d0F",
            "WBTC": "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
        }
    ),
    venues=(
        VenuePreset("uniswap_v2", "uniswap_v2", _UNI_V2, 10_000_835),
        VenuePreset("sushiswap", "uniswap_v2", _SUSHI_V2, 10_794_229),
        VenuePreset("uniswap_v3", "uniswap_v3", _UNI_V3, 12_369_621),
    ),
    routers=(
        RouterPreset("uniswap_v2_router02", "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D", _UNI_V2),
        RouterPreset("uniswap_v2_router02", "0xd9e1cE17f2641f24aE83637ab66a2cca9C378B9F", _SUSHI_V2),
        RouterPreset("uniswap_v3_swaprouter", "0xE592427A0AEce9Ce5Ec7bEDa7d2A0E15dF1A864", _UNI_V3),
        # UniversalRouter "V1_2" (no V4; its factory field is unused) and v2 (V4_SWAP through the PoolManager).
        RouterPreset("universal_router_v1_2", "0x3fC91A3afd70395Cd496C647d5a6CC9D4B2b7FAD", _UNI_V2, _UNI_V2, _UNI_V3),
        RouterPreset(
            "universal_router_v2", "0x66a9893cC07D91D95644AEDD05D03f95e1dBA8Af", _V4_POOL_MANAGER, _UNI_V2, _UNI_V3
        ),
    ),
    balancer_vault="0xBA12222222228d8Ba445958a75a0704d566BF2C8",
)

SEPOLIA = ChainPreset(
    chain_id=11_155_111,
    name="sepolia",
    testnet=True,
    # The WETH9 Uniswap's Sepolia deployments use (there is no other canonical one).
    tokens=MappingProxyType({"WETH": "0xfFf9976782d46CC05630D1f6eBAb18b2324d6B14"}),
    venues=(
        # Deployment blocks are not published: discovery scans from genesis in adaptive ranges once, then
        # resumes from its checkpoint. Set start_block in the config to skip ahead.
        VenuePreset("uniswap_v2", "uniswap_v2", _SEPOLIA_V2, 0),
        VenuePreset("uniswap_v3", "uniswap_v3", "0x0227628f3F023bb0B980b67D528571c95c6DaC1c", 0),
    ),
    routers=(RouterPreset("uniswap_v2_router02", "0xeE567Fe1712Faf6149d80dA1E6934E354124CfE3", _SEPOLIA_V2),),
    notes=('no Balancer V2 Vault preset: use capital = "own" or set searcher.balancer_vault',),
)

HOODI = ChainPreset(
    chain_id=560_048,
    name="hoodi",
    testnet=True,
    tokens=MappingProxyType({}),  # no canonical WETH: deploy with --weth, name base tokens by address
    notes=("no canonical WETH and no DEX deployments known: configure [[venues]] and base_tokens by address",),
)

PRESETS: Mapping[int, ChainPreset] = MappingProxyType({p.chain_id: p for p in (MAINNET, SEPOLIA, HOODI)})
BY_NAME: Mapping[str, ChainPreset] = MappingProxyType({p.name: p for p in PRESETS.values()})

# Networks that no longer exist: refused by name and by chain id.
RETIRED: Mapping[int, str] = MappingProxyType({17_000: "holesky", 5: "goerli"})
REPLACEMENTS = "hoodi (chain id 560048) for staking and infrastructure, sepolia (chain id 11155111) for applications"


def retired_message(network: str | int) -> str:
    """The message for a retired network (by name or chain id), naming the networks to use instead."""
    name = RETIRED.get(network, str(network)) if isinstance(network, int) else network
    return f"network {name!r} is retired; use {REPLACEMENTS}"


def check_not_retired(chain_id: int) -> None:
    """Raise ConfigError if the node's chain id is a retired network."""
    if chain_id in RETIRED:
        raise ConfigError(f"the node answers chain id {chain_id}: {retired_message(chain_id)}")


def preset_for(chain_id: int) -> ChainPreset | None:
    """The chain's preset, None for an unknown chain; a retired chain is an error naming its replacements."""
    check_not_retired(chain_id)
    return PRESETS.get(chain_id)
