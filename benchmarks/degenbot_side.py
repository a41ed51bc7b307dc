"""Runs inside the benchmark-only degenbot 0.6 environment (Python 3.13, no arbbot imports): registers the
V3 pool states handed over as JSON with degenbot's Rust core, times its exact-input swap simulation
(`Pool.simulate`, negative amount = exact input) on the same cases, and writes the outputs back."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from degenbot_solver_side import _register_v3  # type: ignore[import-not-found]


def main(inp: str, out: str) -> None:
    from degenbot._ffi import Bot

    job = json.loads(Path(inp).read_text())
    bot = Bot(1)
    for t in job["tokens"]:
        bot.register_token(t, "T", "T", 18, 1)
    pools = {p["address"]: bot.get_pool(_register_v3(bot, p)) for p in job["pools"]}
    results = []
    t0 = time.perf_counter()
    for address, zero_for_one, amount in job["cases"]:
        try:
            read = pools[address].simulate(zero_for_one, -int(amount), 1)
            delta = read.amount1_delta if zero_for_one else read.amount0_delta
            results.append(str(-int(delta)) if read.specified_met else "error: partial fill")
        except Exception as exc:
            results.append(f"error: {type(exc).__name__}")
    elapsed = time.perf_counter() - t0
    Path(out).write_text(
        json.dumps({"elapsed": elapsed, "results": results, "version": __import__("degenbot").__version__})
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
