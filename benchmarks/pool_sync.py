"""Cold sync of every pool on the large replica: batch reader contracts vs one eth_call per pool."""

from __future__ import annotations

import random
import time

from eth_abi import decode, encode
from eth_utils import keccak

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.progress import LogProgress
from arbbot.state import lens

SCENARIO = "large"
_GET_RESERVES = "0x" + keccak(text="getReserves()")[:4].hex()
_SLOT0 = "0x" + keccak(text="slot0()")[:4].hex()
_LIQUIDITY = "0x" + keccak(text="liquidity()")[:4].hex()
_TICK_SPACING = "0x" + keccak(text="tickSpacing()")[:4].hex()
_TICK_BITMAP = "0x" + keccak(text="tickBitmap(int16)")[:4].hex()
_TICKS = "0x" + keccak(text="ticks(int24)")[:4].hex()
NAIVE_V3_SAMPLE = 12  # the per-item V3 baseline takes ~1 s per pool, so it runs on a seeded sample


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


def _naive_v3_full(rpc: RpcClient, pools: list[str]) -> int:
    """Everything a quote needs, one eth_call per item: slot0, liquidity, every bitmap word, every tick."""
    calls = 0
    for pool in pools:
        rpc.call("eth_call", [{"to": pool, "data": _SLOT0}, "latest"])
        rpc.call("eth_call", [{"to": pool, "data": _LIQUIDITY}, "latest"])
        spacing = int(rpc.call("eth_call", [{"to": pool, "data": _TICK_SPACING}, "latest"]), 16)
        lo, hi = lens.word_range(spacing)
        calls += 3
        for word_pos in range(lo, hi + 1):
            word = int(
                rpc.call(
                    "eth_call", [{"to": pool, "data": _TICK_BITMAP + encode(["int16"], [word_pos]).hex()}, "latest"]
                ),
                16,
            )
            calls += 1
            bit = 0
            while word:
                if word & 1:
                    tick = ((word_pos << 8) + bit) * spacing
                    rpc.call("eth_call", [{"to": pool, "data": _TICKS + encode(["int24"], [tick]).hex()}, "latest"])
                    calls += 1
                word >>= 1
                bit += 1
    return calls


def run() -> list[dict[str, str]]:
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        rpc = RpcClient(node.url)
        v2 = [p.address for p in manifest.pools if p.kind == "uniswap_v2"]
        v3 = [p.address for p in manifest.pools if p.kind == "uniswap_v3"]
        lens.readers()  # load the shipped readers once, outside the timing

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
        sample = random.Random(7).sample(v3, NAIVE_V3_SAMPLE)
        t0 = time.perf_counter()
        _naive_v3_full(rpc, sample)
        t_naive_v3_full = (time.perf_counter() - t0) / NAIVE_V3_SAMPLE * len(v3)
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
            "baseline": (
                f"one eth_call per item (slot0, liquidity, each bitmap word, each tick): {t_naive_v3_full:.0f} s"
                f" (per-pool time on a seeded sample of {NAIVE_V3_SAMPLE} pools x {len(v3)});"
                f" slot0 + liquidity alone: {t_naive_v3:.2f} s"
            ),
            "ratio": f"{t_naive_v3_full / t_fast_v3:.0f}x faster",
        },
        {
            "benchmark": f"cold sync, all {total:,} pools",
            "figure": f"{t_full:.2f} s, {total / t_full:,.0f} pools/s",
            "baseline": f"{t_naive_v2 + t_naive_v3_full:.0f} s (one eth_call per item, V3 extrapolated as above)",
            "ratio": f"{(t_naive_v2 + t_naive_v3_full) / t_full:.0f}x faster",
        },
    ]
