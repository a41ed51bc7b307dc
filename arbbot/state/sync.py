"""Cold sync: discovered pools -> exact models, read in batches at one block."""

from __future__ import annotations

from collections.abc import Sequence

from arbbot.amm.base import Pool
from arbbot.chain.rpc import RpcClient
from arbbot.state import lens
from arbbot.state.discovery import DiscoveredPool
from arbbot.state.models import v2_model, v3_model


def sync_pools(rpc: RpcClient, pools: Sequence[DiscoveredPool], block: int) -> tuple[list[Pool], list[str]]:
    """Models of every pool at `block`; also the addresses that could not be read (skipped, not guessed)."""
    tag = hex(block)
    v2 = [p for p in pools if p.kind == "uniswap_v2"]
    v3 = [p for p in pools if p.kind == "uniswap_v3"]
    reserves = lens.read_v2(rpc, [p.address for p in v2], tag) if v2 else {}
    states = lens.read_v3(rpc, [p.address for p in v3], tag) if v3 else {}
    models: list[Pool] = []
    failed: list[str] = []
    for p in v2:
        r = reserves.get(p.address)
        if r is None:
            failed.append(p.address)
        else:
            models.append(v2_model(p.address, p.token0, p.token1, r, p.fee))
    for p in v3:
        s = states.get(p.address)
        if s is None:
            failed.append(p.address)
        else:
            models.append(v3_model(p.address, p.token0, p.token1, p.fee, s))
    return models, failed
