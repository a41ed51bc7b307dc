"""Cold sync of every pool on the large replica: batch reader contracts vs one eth_call per pool."""

from __future__ import annotations

import time

from eth_abi import decode
from eth_utils import keccak

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.progress import LogProgress
from arbbot.state import lens

SCENARIO = "large"
_GET_RESERVES = "0x" + keccak(text="getReserves()")[:4].hex()
_SLOT0 = "0x" + keccak(text="slot0()")[:4].hex()
_LIQUIDITY = "0x" + keccak(text="liquidity()")[:4].hex()


def _naive_v2(rpc: RpcClient, pairs: list[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for pair in pairs:
        raw = rpc.call("eth_call", [{"to": pair, "data": _GET_RESERVES}, "latest"])
        r0, r1, _ = decode(["uint112", "uint112", "uint32"], bytes.fromhex(raw[2:]))
        out[pair] = (r0, r1)
    return out


def _naive_v3_price(rpc: RpcClient, pools: list[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for pool in pools:
        s0 = rpc.call("eth_call", [{"to": pool, "data": _SLOT0}, "latest"])
        liq = rpc.call("eth_call", [{"to": pool, "data": _LIQUIDITY}, "latest"])
        out[pool] = (int(s0[2:66], 16), int(liq, 16))
    return out


def run() -> list[dict[str, str]]:
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        rpc = RpcClient(node.url)
        v2 = [p.address for p in manifest.pools if p.kind == "uniswap_v2"]
        v3 = [p.address for p in manifest.pools if p.kind == "uniswap_v3"]
        lens.readers()  # compile once, outside the timing

        t0 = time.perf_counter()
        fast_v2 = lens.read_v2(rpc, v2)
        t_fast_v2 = time.perf_counter() - t0
        t0 = time.perf_counter()
        naive_v2 = _naive_v2(rpc, v2)
        t_naive_v2 = time.perf_counter() - t0
        assert all((r.reserve0, r.reserve1) == naive_v2[p] for p, r in fast_v2.items() if r is not None)

        t0 = time.perf_counter()
        sent = rpc.requests_sent
        fast_v3 = lens.read_v3(rpc, v3)
        t_fast_v3 = time.perf_counter() - t0
        v3_calls = rpc.requests_sent - sent
        ticks = sum(len(s.ticks) for s in fast_v3.values() if s is not None)
        t0 = time.perf_counter()
        naive_v3 = _naive_v3_price(rpc, v3)
        t_naive_v3 = time.perf_counter() - t0
        assert all((s.sqrt_price_x96, s.liquidity) == naive_v3[p] for p, s in fast_v3.items() if s is not None)
    finally:
        node.stop()
    total = len(v2) + len(v3)
    t_full = t_fast_v2 + t_fast_v3
    return [
        {
            "benchmark": f"cold sync, {len(v2):,} V2 pools (reserves)",
            "figure": f"{t_fast_v2 * 1000:.0f} ms, {len(v2) / t_fast_v2:,.0f} pools/s",
            "baseline": f"one eth_call per pool: {t_naive_v2:.2f} s, {len(v2) / t_naive_v2:,.0f} pools/s",
            "ratio": f"{t_naive_v2 / t_fast_v2:.0f}x faster",
        },
        {
            "benchmark": f"cold sync, {len(v3)} V3 pools (price, liquidity, all bitmap words, {ticks:,} ticks)",
            "figure": f"{t_fast_v3:.2f} s in {v3_calls} calls, {len(v3) / t_fast_v3:,.0f} pools/s",
            "baseline": f"slot0 + liquidity only, one call each: {t_naive_v3:.2f} s",
            "ratio": f"{t_naive_v3 / t_fast_v3:.1f}x faster while reading far more",
        },
        {
            "benchmark": f"cold sync, all {total:,} pools",
            "figure": f"{t_full:.2f} s, {total / t_full:,.0f} pools/s",
            "baseline": f"{t_naive_v2 + t_naive_v3:.2f} s (naive, without V3 ticks)",
            "ratio": f"{(t_naive_v2 + t_naive_v3) / t_full:.0f}x faster",
        },
    ]
