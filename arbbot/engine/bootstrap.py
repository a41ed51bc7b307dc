"""Cold start of the searcher: discover pools by scanning factories (or take a given list) and read their state.

A replica's pools and routers come from its manifest through `arbbot.devnet.context`; this module knows no
manifest, so a searcher on a live chain runs without the dev tooling."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from eth_utils import to_checksum_address

from arbbot.amm.base import Pool
from arbbot.chain.rpc import RpcClient
from arbbot.config import VenueSettings
from arbbot.engine.context import require_contracts
from arbbot.errors import ConfigError
from arbbot.execution.route import Capital, RouteError, hop_for
from arbbot.state.discovery import BALANCER_KINDS, DiscoveredPool, scan_balancer, scan_factory
from arbbot.state.store import PoolStore
from arbbot.state.sync import sync_pools
from arbbot.state.updater import block_ref
from arbbot.strategy.backrun import PoolDirectory

log = logging.getLogger(__name__)


def discover(
    rpc: RpcClient, venues: Sequence[VenueSettings], head: int, balancer_vault: str | None = None
) -> list[DiscoveredPool]:
    """Every pool the venues' factories created from their start blocks up to `head`, by scanning creation logs.

    Balancer venues are scanned together per Vault (the venue's `vault`, else `balancer_vault`): a pool is taken
    only when one of the configured factories created it; ConfigError when a Balancer venue has no Vault."""
    found: list[DiscoveredPool] = []
    balancer: dict[str, list[VenueSettings]] = defaultdict(list)
    for venue in venues:
        if venue.kind in BALANCER_KINDS:
            vault = venue.vault or balancer_vault
            if vault is None:
                raise ConfigError(f"venues.{venue.name}.vault: no Balancer V2 Vault known for this chain; set it")
            require_contracts(rpc, {f"venues.{venue.name}.vault": vault}, "this chain")
            balancer[vault.lower()].append(venue)
            continue
        for _end, pools in scan_factory(
            rpc, venue.factory, venue.kind, venue.start_block, head, v2_fee_bps=venue.fee_bps
        ):
            found.extend(pools)
    for vault, group in balancer.items():
        factories = {v.factory: v.kind for v in group}
        start = min(v.start_block for v in group)
        for _end, pools in scan_balancer(rpc, to_checksum_address(vault), factories, start, head):
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
        log.warning("%d pools could not be read and are not tracked: %s", len(failed), ", ".join(failed[:10]))
    return PoolStore(models, ref)  # with its timestamp: how old the head is, from the first update on


def directory_for(pools: Iterable[DiscoveredPool]) -> PoolDirectory:
    """The factory/token/fee lookup the backrun strategy uses to name a router's pools (V4 and Balancer pools, named
    by id, excluded)."""
    return PoolDirectory(
        (p.factory, p.token0, p.token1, p.fee, p.address)
        for p in pools
        if p.kind != "uniswap_v4" and p.kind not in BALANCER_KINDS
    )


def tradable(pools: Mapping[str, Pool], capital: Capital | None = None) -> dict[str, Pool]:
    """The pools the executor has a hop for, by key: what cycles may run through.

    `capital`: the one capital the searcher is configured to run every route on (None: it picks per route among
    the free sources). A pool whose hop cannot run on it is left out too: a Balancer pool when every route borrows
    from the Balancer Vault, which refuses a swap inside its own flash loan (BAL#400). A cycle through such a pool
    could be priced but never sent, and would crowd sendable ones out of each update's candidates."""
    out: dict[str, Pool] = {}
    for key, pool in pools.items():
        try:
            hop = hop_for(pool, True)
        except RouteError:
            continue
        if capital == Capital.BALANCER and hop.balancer:
            continue
        out[key] = pool
    return out
