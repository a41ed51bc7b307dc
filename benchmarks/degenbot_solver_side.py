"""Runs inside the benchmark-only degenbot 0.6 environment (Python 3.13, no arbbot imports): registers the
pool states handed over as JSON with degenbot's Rust core, solves every cycle with its ArbitrageEngine,
and writes back the per-type solve time and each profitable cycle's optimal input and profit.

Timing: one engine per pair type holds that type's cycles; `solve_all_paths` is timed over repeated
rounds (a new block number each round) and divided by the number of cycles; the median round is kept.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

V2_FACTORY = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
V3_FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984"


def _register_v3(bot, p: dict) -> int:  # type: ignore[no-untyped-def]
    ticks = {int(t): (int(g), int(n), 1) for t, (g, n) in p["ticks"].items()}
    args = (p["token0"], p["token1"], p["fee"], p["tick_spacing"], V3_FACTORY, int(p["sqrt_price_x96"]),
            int(p["liquidity"]), p["tick"], ticks, 1, "tracked")  # fmt: skip
    try:
        return bot.register_v3_pool(p["address"], *args)
    except ValueError as exc:
        # degenbot checks the address against CREATE2 of the factory it is given: use the one it computes.
        if "computed=" not in str(exc):
            raise
        return bot.register_v3_pool(str(exc).split("computed=")[1].strip(), *args)


def main(inp: str, out: str) -> None:
    from degenbot._ffi import ArbitrageEngine, Bot

    job = json.loads(Path(inp).read_text())
    rounds = int(job["rounds"])
    result: dict[str, object] = {"version": __import__("degenbot").__version__, "types": {}, "cycles": {}}
    for pair_type, cycles in job["cycles"].items():
        bot = Bot(1)
        for t in job["tokens"]:
            bot.register_token(t, "T", "T", 18, 1)
        ids: dict[str, int] = {}
        for key, p in job["pools"].items():
            if not any(key in c["pools"] for c in cycles):
                continue
            if p["kind"] == "uniswap_v2":
                g = 10_000 - int(p["fee_bps"])
                ids[key] = bot.register_v2_pool_test_only(
                    "0x" + f"{len(ids) + 1:040x}", p["token0"], p["token1"], int(p["reserve0"]), int(p["reserve1"]),
                    g, 10_000, g, 10_000, V2_FACTORY, 1, "uniswap-v2", False, None,
                )  # fmt: skip
            else:
                ids[key] = _register_v3(bot, p)
        engine = ArbitrageEngine(bot)
        engine.set_profit_thresholds(0)
        path_of: dict[int, str] = {}
        for c in cycles:
            pid, _new = engine.register_path([(ids[k], z) for k, z in zip(c["pools"], c["zero_for_one"], strict=True)])
            path_of[pid] = c["id"]
        per_cycle = []
        for r in range(rounds):
            t0 = time.perf_counter()
            engine.solve_all_paths(2 + r)
            per_cycle.append((time.perf_counter() - t0) / len(cycles))
        results, _block = engine.latest_results()
        for entry in results:
            pid, amount_in, profit = entry[0], entry[1], entry[2]
            if pid in path_of and int(profit) > 0:
                result["cycles"][path_of[pid]] = [str(amount_in), str(profit)]  # type: ignore[index]
        result["types"][pair_type] = {"median_s": statistics.median(per_cycle), "rounds": per_cycle}  # type: ignore[index]
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
