"""The replica as a chain the engine can run on: a manifest turned into a ChainContext, and the manifest
found for a node URL — the running devnet's, or any cached snapshot's whose contracts the node holds
(so a fork of the replica is recognised too)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from arbbot.chain.rpc import RpcClient, RpcError, RpcTransportError
from arbbot.config import RouterSettings, VenueSettings
from arbbot.devnet import running
from arbbot.devnet.manifest import Manifest
from arbbot.engine.context import ChainContext
from arbbot.errors import ArbbotError
from arbbot.paths import cache_dir
from arbbot.state.discovery import DiscoveredPool
from arbbot.strategy.backrun import Router

log = logging.getLogger(__name__)

REPLICA_CHAIN_ID = 31337
_ROUTER_KIND = {
    "uniswap_v2": "uniswap_v2_router02",
    "uniswap_v3": "uniswap_v3_swaprouter",
    "pancakeswap_v3": "uniswap_v3_swaprouter",  # the same calldata; its pools come from its own factory
    "uniswap_v4": "universal_router_v2",  # V4 legs name pools by id at the PoolManager (the venue's factory)
}


def known_pools(manifest: Manifest) -> list[DiscoveredPool]:
    """The replica's pools as discovery would have found them (so no factory scan is needed), its Balancer pools
    (by pool id, over the replica's Vault) included."""
    token = manifest.token  # "ETH" (a V4 pool's native side) is the zero address
    out = []
    for p in manifest.pools:
        venue = manifest.venues[p.venue]
        t0, t1 = token(p.token0).address, token(p.token1).address
        out.append(DiscoveredPool(p.kind, venue.factory, p.address, t0, t1, p.fee, p.tick_spacing, 0, p.hooks))
    vault = manifest.contracts.get("BalancerVault", "")
    for b in manifest.balancer_pools:
        tokens = tuple(token(s).address for s in b.tokens)
        out.append(
            DiscoveredPool(
                b.kind, b.factory, b.pool_id, tokens[0], tokens[1], 0, 0, 0, tokens=tokens, contract=b.address,
                vault=vault,
            )
        )  # fmt: skip
    return out


def universal_router_extras(manifest: Manifest, kind: str) -> dict[str, str | None]:
    """The replica's UniversalRouter also swaps through the uniswap_v2 venue and the V3 factory, and wraps WETH."""
    if kind != "uniswap_v4":
        return {}
    v2 = manifest.venues.get("uniswap_v2")
    weth = next((t.address for t in manifest.tokens if t.symbol.upper() == "WETH"), None)
    return {"v2_factory": v2.factory if v2 else None, "v3_factory": manifest.contracts.get("UniswapV3Factory"),
            "weth": weth}  # fmt: skip


def routers(manifest: Manifest) -> list[RouterSettings]:
    """The replica's routers as searcher settings: one per venue, plus the V3 SwapRouter where it is a separate
    contract."""
    out = [
        RouterSettings(kind=_ROUTER_KIND[v.kind], address=v.router, factory=v.factory,  # type: ignore[arg-type]
                       **universal_router_extras(manifest, v.kind))
        for v in manifest.venues.values()
    ]  # fmt: skip
    swap_router = manifest.contracts.get("SwapRouter")
    v3 = [v for v in manifest.venues.values() if v.kind == "uniswap_v3"]
    if swap_router and v3 and all(r.address.lower() != swap_router.lower() for r in out):
        out.append(RouterSettings(kind="uniswap_v3_swaprouter", address=swap_router, factory=v3[0].factory))
    return out


def routers_from_manifest(manifest: Manifest) -> list[Router]:
    """The replica's routers as the backrun strategy takes them (the same set as `routers`)."""
    return [Router(r.kind, r.address, r.factory, r.v2_factory, r.v3_factory, r.weth) for r in routers(manifest)]


def venues(manifest: Manifest) -> list[VenueSettings]:
    """The replica's venues as searcher settings (V2 fee in bps; V3-style venues carry theirs per pool)."""
    return [
        VenueSettings(name=name, kind=v.kind, factory=v.factory, fee_bps=v.fee_bps if v.kind == "uniswap_v2" else 0)
        for name, v in manifest.venues.items()
    ]


def context_from_manifest(manifest: Manifest, url: str) -> ChainContext:
    """The replica at `url` as the chain the engine runs on: its venues, tokens, routers, contracts and known pools."""
    return ChainContext(
        url=url,
        chain_id=manifest.chain_id,
        name=f"replica ({manifest.scenario})",
        venues=venues(manifest),
        tokens={t.symbol.upper(): t.address for t in manifest.tokens},
        routers=routers(manifest),
        balancer_vault=manifest.contracts.get("BalancerVault"),
        pool_manager=manifest.contracts.get("PoolManager"),
        v4_quoter=manifest.contracts.get("V4Quoter"),
        known_pools=known_pools(manifest),
    )


def _candidates(data_dir: Path) -> Iterator[Manifest]:
    try:
        rec = running.read(data_dir)
    except ArbbotError:
        rec = None
    if rec is not None and rec.manifest_path and Path(rec.manifest_path).is_file():
        yield Manifest.read(Path(rec.manifest_path))
    folder = cache_dir() / "replica"
    if folder.is_dir():
        for path in sorted(folder.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime, reverse=True):
            try:
                yield Manifest.read(path)
            except ArbbotError:
                continue


POOL_SAMPLE = 64


def _holds(rpc: RpcClient, manifest: Manifest) -> bool:
    """The node has the replica's contracts at their addresses: its WETH, every factory, the Vault, and a
    sample of its pools spread over the whole list, last one included. Scenarios share a deployer, so their
    WETH and factories sit at the same addresses; their pools do not."""
    addresses = [manifest.token("WETH").address, *(v.factory for v in manifest.venues.values())]
    addresses += [a for k, a in manifest.contracts.items() if k == "BalancerVault"]
    pools = [p.address for p in manifest.pools if p.address.startswith("0x") and len(p.address) == 42]
    if pools:
        step = max(1, len(pools) // POOL_SAMPLE)
        addresses += sorted({*pools[::step], pools[-1]})
    try:
        codes = rpc.batch([("eth_getCode", [a, "latest"]) for a in addresses])
    except (RpcError, RpcTransportError):
        return False
    return all(isinstance(c, str) and len(c) > 2 for c in codes)


def find_replica(rpc: RpcClient, chain_id: int, data_dir: Path) -> Manifest | None:
    """The manifest of the replica this node is (or forks), if any. The running devnet's own URL needs no
    check (its record says what it holds); any other node must hold a manifest's contracts."""
    if chain_id != REPLICA_CHAIN_ID:
        return None
    try:
        rec = running.read(data_dir)
    except ArbbotError:
        rec = None
    if rec is not None and rec.url == rpc.url and rec.manifest_path and Path(rec.manifest_path).is_file():
        return Manifest.read(Path(rec.manifest_path))
    seen: set[str] = set()
    for manifest in _candidates(data_dir):
        if manifest.snapshot_key in seen:
            continue
        seen.add(manifest.snapshot_key)
        if _holds(rpc, manifest):
            log.debug("node holds the replica %s (%s)", manifest.scenario, manifest.snapshot_key)
            return manifest
    return None
