"""Cycle solving side by side with degenbot 0.6's ArbitrageEngine on the same cycles and pool states.

The cycles are 2-pool WETH cycles from the 5,503-pool replica (chain-true V2 reserves and V3 price,
liquidity, bitmap and ticks), one pool of each pair dislocated by a seeded swap applied to its model so
that some cycles pay and some do not (the replica has one V3 pool per pair, so a V3-V3 cycle is a V3
pool against a moved copy of itself). Both sides get identical states (handed to degenbot as JSON).
Per-cycle solve time is the median over repeated rounds (the machine is shared and noisy); profits are
compared cycle by cycle, and degenbot's chosen input is re-quoted with arbbot's exact models.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.devnet.context import known_pools
from arbbot.engine.bootstrap import load_store
from arbbot.progress import LogProgress
from arbbot.solver import Hop, native, quote_cycle, solve

SCENARIO = "large"
PER_TYPE = 64  # cycles per pair type (both directions of 32 dislocated pairs)
ROUNDS = 7
PYTHON_ROUNDS = 3  # the pure-Python path, timed beside the compiled one (slower: fewer rounds)
TYPES = ("V2-V2", "V2-V3", "V3-V3")


def _pool_json(p: UniswapV2Pool | UniswapV3Pool) -> dict[str, object]:
    d = p.to_dict()
    d["token0"], d["token1"] = p.token0, p.token1
    return d


def _reserve_in(p: UniswapV2Pool | UniswapV3Pool, token_in: str) -> int:
    zero_for_one = token_in == p.token0
    if isinstance(p, UniswapV2Pool):
        return p.reserve0 if zero_for_one else p.reserve1
    q96 = 1 << 96
    return p.liquidity * q96 // p.sqrt_price_x96 if zero_for_one else p.liquidity * p.sqrt_price_x96 // q96


def build_cycles(pools: dict[str, UniswapV2Pool | UniswapV3Pool], weth: str, seed: int = 15) -> dict:
    """Seeded 2-pool cycles per pair type, with one pool of each pair moved by a swap (on a copy)."""
    rng = random.Random(seed)
    by_token: dict[str, list[str]] = defaultdict(list)
    for address, p in sorted(pools.items()):
        if weth.lower() in (p.token0.lower(), p.token1.lower()):
            other = p.token1 if p.token0.lower() == weth.lower() else p.token0
            by_token[other.lower()].append(address)
    pairs: dict[str, list[tuple[str, str]]] = {t: [] for t in TYPES}
    for addresses in by_token.values():
        for i, a in enumerate(addresses):
            for b in addresses[i + 1 :]:
                kinds = sorted("V2" if isinstance(pools[x], UniswapV2Pool) else "V3" for x in (a, b))
                pairs["-".join(kinds)].append((a, b))
            # The replica has one V3 pool per pair: a V3-V3 cycle pairs a V3 pool with a moved copy of
            # itself (same ticks, a different price), as two fee tiers of one pair would be.
            pairs["V3-V3"].extend((a, a) for a in addresses if isinstance(pools[a], UniswapV3Pool))
    states: dict[str, UniswapV2Pool | UniswapV3Pool] = {}
    cycles: dict[str, list[dict]] = {t: [] for t in TYPES}
    for pair_type in TYPES:
        chosen = rng.sample(pairs[pair_type], min(PER_TYPE // 2, len(pairs[pair_type])))
        for n, (a, b) in enumerate(chosen):
            moved = pools[a].copy()
            weth_in = moved.token0 if moved.token0.lower() == weth.lower() else moved.token1
            token_in = weth_in if rng.random() < 0.5 else (moved.token1 if weth_in == moved.token0 else moved.token0)
            # A swap of 0.1%..5% of the pool's (virtual) reserve of the input token: a dislocation of the
            # size blocks make, not a pool drained to its price limit.
            share = rng.uniform(0.001, 0.05)
            with contextlib.suppress(Exception):  # a swap the pool cannot take leaves the state as it was
                moved.apply_swap(token_in, max(1, int(_reserve_in(moved, token_in) * share)))
            key_a, key_b = f"{a}#{pair_type}{n}", b
            states[key_a], states[key_b] = moved, pools[b]
            for first, second in ((key_a, key_b), (key_b, key_a)):
                p1, p2 = states[first], states[second]
                z1 = p1.token0.lower() == weth.lower()
                z2 = p2.token0.lower() != weth.lower()
                cycles[pair_type].append(
                    {"id": f"{pair_type}:{first}>{second}", "pools": [first, second], "zero_for_one": [z1, z2]}
                )
    return {"pools": states, "cycles": cycles}


def _route(states: dict, cycle: dict) -> list[Hop]:
    return [Hop(states[k], z) for k, z in zip(cycle["pools"], cycle["zero_for_one"], strict=True)]


def _time_solves(states: dict, cycles: dict, mode: str) -> tuple[dict, dict, dict]:
    """(answers, mean seconds per cycle per type, median cycle's seconds per type) for one solver path."""
    before = os.environ.get("ARBBOT_NATIVE")
    os.environ["ARBBOT_NATIVE"] = "1" if mode == "compiled" else "0"
    try:
        ours: dict[str, tuple[int, int] | None] = {}
        times: dict[str, float] = {}
        medians: dict[str, float] = {}
        for pair_type in TYPES:
            routes = [_route(states, c) for c in cycles[pair_type]]
            rounds = []
            per_cycle: dict[str, list[float]] = defaultdict(list)
            for _ in range(ROUNDS if mode == "compiled" else PYTHON_ROUNDS):
                t0 = time.perf_counter()
                for c, route in zip(cycles[pair_type], routes, strict=True):
                    t1 = time.perf_counter()
                    s = solve(route)
                    per_cycle[c["id"]].append(time.perf_counter() - t1)
                    ours[c["id"]] = None if s is None else (s.amount_in, s.profit)
                rounds.append((time.perf_counter() - t0) / len(routes))
            times[pair_type] = statistics.median(rounds)
            medians[pair_type] = statistics.median(statistics.median(v) for v in per_cycle.values())
    finally:
        if before is None:
            os.environ.pop("ARBBOT_NATIVE", None)
        else:
            os.environ["ARBBOT_NATIVE"] = before
    return ours, times, medians


def run() -> list[dict[str, str]]:
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        store = load_store(RpcClient(node.url), known_pools(manifest))
    finally:
        node.stop()
    weth = manifest.token("WETH").address
    built = build_cycles(store.pools, weth)  # type: ignore[arg-type]
    states, cycles = built["pools"], built["cycles"]

    # The compiled solver (the default when installed), then the pure-Python path on the same cycles.
    modes = ["compiled", "python"] if native.loaded() else ["python"]
    results = {mode: _time_solves(states, cycles, mode) for mode in modes}
    ours, times, medians = results[modes[0]]

    python = os.environ.get("ARBBOT_DEGENBOT_PYTHON")
    theirs: dict | None = None
    if python and Path(python).is_file():
        job = {
            "rounds": ROUNDS,
            "tokens": sorted({t for p in states.values() for t in (p.token0, p.token1)}),
            "pools": {k: _pool_json(p) for k, p in states.items()},
            "cycles": cycles,
        }
        with tempfile.TemporaryDirectory() as tmp:
            inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
            inp.write_text(json.dumps(job))
            side = Path(__file__).with_name("degenbot_solver_side.py")
            subprocess.run([python, str(side), str(inp), str(out)], check=True, cwd=tmp, timeout=1800)
            theirs = json.loads(out.read_text())
    python_path = results.get("python") if len(modes) > 1 else None
    return _rows(states, cycles, ours, times, medians, theirs, modes[0], python_path)


def _rows(
    states: dict,
    cycles: dict,
    ours: dict,
    times: dict,
    medians: dict,
    theirs: dict | None,
    mode: str,
    python_path: tuple[dict, dict, dict] | None,
) -> list[dict[str, str]]:
    rows = []
    total = sum(len(v) for v in cycles.values())
    found_ours = sum(1 for v in ours.values() if v is not None)
    for pair_type in TYPES:
        n = len(cycles[pair_type])
        mine = times[pair_type] * 1e3
        if theirs is None:
            baseline, ratio = "degenbot environment not set up (run through `make bench`)", "-"
        else:
            t = theirs["types"][pair_type]["median_s"] * 1e3
            baseline = f"degenbot {theirs['version']} ArbitrageEngine: {t:.3f} ms per cycle"
            ratio = f"{t / mine:.2f}x degenbot's speed" + (" (goal met)" if mine <= t else " (goal missed)")
        if python_path is not None:
            _, py_times, py_medians = python_path
            same = sum(python_path[0][c["id"]] == ours[c["id"]] for c in cycles[pair_type])
            baseline += (
                f"; arbbot's pure-Python path: {py_times[pair_type] * 1e3:.3f} ms per cycle, median cycle"
                f" {py_medians[pair_type] * 1e3:.3f} ms ({PYTHON_ROUNDS} rounds), same (input, profit) on {same}/{n}"
            )
        rows.append(
            {
                "benchmark": f"cycle solve, {pair_type} ({n} cycles, exact integer optimum, {mode} path)",
                "figure": f"{mine:.3f} ms per cycle (mean over the cycles, median of {ROUNDS} rounds);"
                f" the median cycle {medians[pair_type] * 1e3:.3f} ms",
                "baseline": baseline,
                "ratio": ratio,
            }
        )
    if theirs is not None:
        found_theirs = len(theirs["cycles"])
        better = equal = worse = 0
        worse_ids = []
        for pair_type in TYPES:
            for c in cycles[pair_type]:
                cid = c["id"]
                mine = ours[cid][1] if ours.get(cid) else 0
                other = theirs["cycles"].get(cid)
                if other is None:
                    if mine > 0:
                        better += 1
                    continue
                route = _route(states, c)
                amount = int(other[0])
                out = quote_cycle(route, amount)
                exact_theirs = (out - amount) if out is not None else 0
                if mine > exact_theirs:
                    better += 1
                elif mine == exact_theirs:
                    equal += 1
                else:
                    worse += 1
                    worse_ids.append(cid)
        rows.append(
            {
                "benchmark": f"profitable cycles found ({total} cycles, all types)",
                "figure": f"{found_ours} (arbbot)",
                "baseline": f"{found_theirs} (degenbot {theirs['version']})",
                "ratio": f"{found_ours - found_theirs:+d}"
                + (" (goal met)" if found_ours >= found_theirs else " (goal missed)"),
            }
        )
        rows.append(
            {
                "benchmark": "profit at the optimum, cycle by cycle (degenbot's input re-quoted with exact models)",
                "figure": f"arbbot higher on {better}, equal on {equal}, lower on {worse}",
                "baseline": "degenbot's chosen input on the same state",
                "ratio": "goal met" if worse == 0 else f"goal missed on {worse}: {', '.join(worse_ids[:3])}",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
