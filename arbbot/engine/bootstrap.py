"""Cold start of the searcher: discover pools (or take them from a replica manifest) and read their state."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from arbbot.chain.rpc import RpcClient
from arbbot.config import VenueSettings
from arbbot.devnet.context import universal_router_extras
from arbbot.devnet.manifest import Manifest
from arbbot.state.discovery import DiscoveredPool, scan_factory
from arbbot.state.store import BlockRef, PoolStore
from arbbot.state.sync import sync_pools
from arbbot.state.updater import block_ref
from arbbot.strategy.backrun import PoolDirectory, Router

log = logging.getLogger(__name__)


def discovered_from_manifest(manifest: Manifest) -> list[DiscoveredPool]:
    token = manifest.token  # "ETH" (a V4 pool's native side) is the zero address
    out = []
    for p in manifest.pools:
        venue = manifest.venues[p.venue]
        out.append(
            DiscoveredPool(
                p.kind, venue.factory, p.address, token(p.token0).address, token(p.token1).address, p.fee,
                p.tick_spacing, 0, p.hooks,
            )
        )  # fmt: skip
    return out


def routers_from_manifest(manifest: Manifest) -> list[Router]:
    kinds = {
        "uniswap_v2": "uniswap_v2_router02",
        "uniswap_v3": "uniswap_v3_swaprouter",
        "pancakeswap_v3": "uniswap_v3_swaprouter",  # same calldata; its pools come from its own factory
        "uniswap_v4": "universal_router_v2",  # V4_SWAP through the PoolManager (the venue's "factory")
    }
    out = [Router(kinds[v.kind], v.router, v.factory, **universal_router_extras(manifest, v.kind))
           for v in manifest.venues.values()]  # fmt: skip
    swap_router = manifest.contracts.get("SwapRouter")
    v3 = [v for v in manifest.venues.values() if v.kind == "uniswap_v3"]
    if swap_router and v3 and all(r.address.lower() != swap_router.lower() for r in out):
        out.append(Router("uniswap_v3_swaprouter", swap_router, v3[0].factory))
    return out


def discover(rpc: RpcClient, venues: Sequence[VenueSettings], head: int) -> list[DiscoveredPool]:
    found: list[DiscoveredPool] = []
    for venue in venues:
        for _end, pools in scan_factory(
            rpc, venue.factory, venue.kind, venue.start_block, head, v2_fee_bps=venue.fee_bps
        ):
            found.extend(pools)
    return found


def load_store(
    rpc: RpcClient, pools: Sequence[DiscoveredPool], block: int | None = None, weth: str | None = None
) -> PoolStore:
    """Every pool's exact state at `block` (default: head), in a store positioned at that block.

    `weth`: the chain's WETH, which routes trade for a V4 pool's native ether (without it, those are skipped)."""
    ref = block_ref(rpc, block if block is not None else "latest")
    models, failed = sync_pools(rpc, pools, ref.number, weth)
    if failed:
        log.warning("%d pools could not be read and are not tracked", len(failed))
    return PoolStore(models, BlockRef(ref.number, ref.hash, ref.parent_hash))


def directory_for(pools: Iterable[DiscoveredPool]) -> PoolDirectory:
    return PoolDirectory((p.factory, p.token0, p.token1, p.fee, p.address) for p in pools if p.kind != "uniswap_v4")
