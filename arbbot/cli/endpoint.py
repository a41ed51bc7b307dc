"""Which node a command talks to and what chain that is: `--rpc-url`, else `rpc_url` from the config,
else the running replica; then the chain's preset (or the replica's manifest, also through a fork),
overridden by the config's [[venues]] and [searcher] routers and vault."""

from __future__ import annotations

from dataclasses import replace

from arbbot.chain.jsonrpc import STARTUP_RETRY
from arbbot.chain.presets import VenuePreset, check_not_retired, preset_for
from arbbot.chain.rpc import RpcClient, RpcError, RpcTransportError
from arbbot.chain.urls import check_rpc_url, public_url
from arbbot.config import NETWORKS, RouterSettings, Settings, VenueSettings
from arbbot.devnet import running
from arbbot.devnet.context import context_from_manifest, find_replica
from arbbot.devnet.manifest import Manifest
from arbbot.engine.context import ChainContext
from arbbot.errors import ConfigError


def node_url(s: Settings, rpc_url: str | None = None, field: str = "--rpc-url") -> str:
    """The URL a command should use, checked; a one-line error naming what to set when there is none."""
    if rpc_url is not None:
        return check_rpc_url(rpc_url, field)
    if s.rpc_url:
        return check_rpc_url(s.rpc_url, "rpc_url")
    rec = running.read(s.data_dir)
    if rec is None:
        raise ConfigError(
            "rpc_url: not set and no replica running; pass --rpc-url URL, set rpc_url in the config, "
            "or start the replica with `arbbot devnet up`"
        )
    return rec.url


def chain_id_of(url: str, timeout: float = 10.0) -> int:
    """The chain id the node at `url` answers, retrying while it starts.

    ConfigError naming `rpc_url` if it cannot tell, or if the id is a retired network."""
    # Patient: a node that is still starting (or briefly overloaded) is not a configuration error.
    rpc = RpcClient(url, timeout=timeout, retry=STARTUP_RETRY)
    try:
        answer = rpc.call("eth_chainId")
        chain_id = int(answer, 16)
    except (RpcError, RpcTransportError) as exc:
        raise ConfigError(f"rpc_url: cannot read the chain id from {public_url(url)}: {_short(exc)}") from None
    except (TypeError, ValueError):
        raise ConfigError(f"rpc_url: {public_url(url)} answered eth_chainId with {str(answer)[:40]!r}") from None
    finally:
        rpc.close()
    check_not_retired(chain_id)
    return chain_id


def _short(exc: Exception) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= 160 else text[:160] + "…"


def resolve(s: Settings, rpc_url: str | None = None, field: str = "--rpc-url") -> ChainContext:
    """The chain the command runs on, with everything the config does not say filled from presets."""
    ctx, _ = resolve_with_manifest(s, rpc_url, field)
    return ctx


def resolve_with_manifest(
    s: Settings, rpc_url: str | None = None, field: str = "--rpc-url"
) -> tuple[ChainContext, Manifest | None]:
    """`resolve`, and the replica manifest when the node is (a fork of) the replica."""
    url = node_url(s, rpc_url, field)
    chain_id = chain_id_of(url)
    if s.network is not None and NETWORKS[s.network] != chain_id:
        raise ConfigError(
            f"network: the config says {s.network!r} (chain id {NETWORKS[s.network]}) but {public_url(url)} "
            f"answers chain id {chain_id}"
        )
    manifest = find_replica(RpcClient(url), chain_id, s.data_dir)
    if manifest is not None:
        ctx = context_from_manifest(manifest, url)
    else:
        preset = preset_for(chain_id)
        if preset is None:
            ctx = ChainContext(url=url, chain_id=chain_id, name=f"chain {chain_id}")
        else:
            ctx = ChainContext(
                url=url,
                chain_id=chain_id,
                name=preset.name,
                venues=[_venue(v) for v in preset.venues],
                tokens={k.upper(): v for k, v in preset.tokens.items()},
                routers=[
                    RouterSettings(
                        kind=r.kind,
                        address=r.address,
                        factory=r.factory,
                        v2_factory=r.v2_factory,
                        v3_factory=r.v3_factory,
                    )
                    for r in preset.routers
                ],
                balancer_vault=preset.balancer_vault,
                notes=preset.notes,
            )
    if s.venues:  # the config's venues replace the preset's (and a replica's known pools: scan them)
        ctx = replace(ctx, venues=list(s.venues), known_pools=None)
    if s.searcher.routers:
        ctx = replace(ctx, routers=list(s.searcher.routers))
    return ctx, manifest


def _venue(v: VenuePreset) -> VenueSettings:
    return VenueSettings(name=v.name, kind=v.kind, factory=v.factory, fee_bps=v.fee_bps, start_block=v.start_block)
