"""What the engine needs to know about the chain it runs on, decided once before it starts: the node, the
chain id, the venues to discover pools from (or the pools already known), tokens by symbol, the routers
whose pending swaps it decodes and the flash-loan vault. Built by the CLI from the config, the chain's
preset (arbbot.chain.presets) or a replica manifest; plain data, so the engine never reads files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eth_utils import is_address, to_checksum_address

from arbbot.chain.rpc import RpcClient
from arbbot.config import RouterSettings, VenueSettings
from arbbot.errors import ConfigError
from arbbot.state.discovery import DiscoveredPool


@dataclass(frozen=True)
class ChainContext:
    """The chain the searcher runs on: node URL, chain id, venues, tokens, routers and the flash-loan and V4 contracts;
    `known_pools` set skips the discovery scan (a replica's manifest lists them)."""

    url: str
    chain_id: int
    name: str  # "mainnet", "replica (default)", "chain 1234"
    venues: Sequence[VenueSettings] = ()
    tokens: Mapping[str, str] = field(default_factory=dict)  # symbol (upper case) -> checksummed address
    routers: Sequence[RouterSettings] = ()
    balancer_vault: str | None = None
    pool_manager: str | None = None  # Uniswap V4
    v4_quoter: str | None = None  # Uniswap V4: prices pools whose hook can change swap amounts
    known_pools: Sequence[DiscoveredPool] | None = None  # pools already known (a replica): no discovery scan
    notes: Sequence[str] = ()

    def token(self, value: str, field_name: str = "searcher.base_tokens") -> str:
        """An address, or a symbol this chain knows; a ConfigError naming what to set otherwise."""
        if is_address(value):
            return to_checksum_address(value)
        address = self.tokens.get(value.upper())
        if address is None:
            known = ", ".join(sorted(self.tokens)) or "none"
            raise ConfigError(
                f"{field_name}: {value!r} is not a known token on {self.name} (known symbols: {known}); "
                "give its address instead"
            )
        return to_checksum_address(address)


def require_contracts(rpc: RpcClient, addresses: Mapping[str, str], chain: str) -> None:
    """Every address (by the config field that named it) has code on the node, else a ConfigError."""
    for where, address in addresses.items():
        code = rpc.call("eth_getCode", [address, "latest"])
        if not isinstance(code, str) or code in ("0x", "0x0", ""):
            raise ConfigError(f"{where}: no contract at {address} on {chain}")
