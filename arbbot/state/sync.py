"""Cold sync: discovered pools -> exact models, read in batches at one block."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from arbbot.amm.balancer_pair import pair_views
from arbbot.amm.base import Pool
from arbbot.chain.rpc import RpcClient
from arbbot.state import balancer, lens
from arbbot.state.discovery import BALANCER_KINDS, DiscoveredPool
from arbbot.state.models import v2_model, v3_model, v4_model


def sync_pools(
    rpc: RpcClient, pools: Sequence[DiscoveredPool], block: int, weth: str | None = None
) -> tuple[list[Pool], list[str]]:
    """Models of every pool at `block`; also the addresses that could not be read (skipped, not guessed).

    `weth`: the chain's WETH, which routes trade for a V4 pool's native ether (without it such pools are
    skipped). A Balancer pool comes back as its pair views (`arbbot.amm.balancer_pair`), all over one model; a
    pool that could not be read is reported by its pool id."""
    tag = hex(block)
    v2 = [p for p in pools if p.kind == "uniswap_v2"]
    models: list[Pool] = []
    failed: list[str] = []
    reserves = lens.read_v2(rpc, [p.address for p in v2], tag) if v2 else {}
    for p in v2:
        r = reserves.get(p.address)
        if r is None:
            failed.append(p.address)
        else:
            models.append(v2_model(p.address, p.token0, p.token1, r, p.fee))
    for kind, slot in (("uniswap_v3", lens.UNISWAP_V3_BITMAP_SLOT), ("pancakeswap_v3", lens.PANCAKE_V3_BITMAP_SLOT)):
        clmm = [p for p in pools if p.kind == kind]
        states = lens.read_v3(rpc, [p.address for p in clmm], tag, slot) if clmm else {}
        for p in clmm:
            s = states.get(p.address)
            if s is None:
                failed.append(p.address)
            else:
                models.append(v3_model(p.address, p.token0, p.token1, p.fee, s, kind))
    by_manager: dict[str, list[DiscoveredPool]] = defaultdict(list)
    for p in pools:
        if p.kind == "uniswap_v4":
            by_manager[p.factory].append(p)
    for manager, group in by_manager.items():
        snaps = lens.read_v4(rpc, manager, [(p.address, p.tick_spacing) for p in group], tag)
        for p in group:
            snap = snaps.get(p.address)
            model = None
            if snap is not None:
                model = v4_model(p.address, manager, p.token0, p.token1, p.fee, p.tick_spacing, p.hooks, snap, weth)
            if model is None:
                failed.append(p.address)
            else:
                models.append(model)
    bal = [p for p in pools if p.kind in BALANCER_KINDS]
    if bal:
        to_read = [balancer.PoolToRead(p.kind, p.address.lower(), p.contract, p.vault, p.tokens) for p in bal]
        read, _ = balancer.read_pools(rpc, to_read, tag)
        for p in bal:
            found = read.get(p.address.lower())
            if found is None:
                failed.append(p.address)
            else:
                models.extend(pair_views(found))
    return models, failed
