"""Runs inside the benchmark-only degenbot 0.6 environment (Python 3.13, no arbbot imports): registers the
Balancer composable stable pool states handed over as JSON with degenbot's Rust core (`bpt_idx` set, StableMath
invariant version 1, the scaling factors with the rates folded in), times its exact-input and exact-output quotes
(`calculate_tokens_out_for_pair` / `calculate_tokens_in_for_pair`) on the same cases, and writes the outputs back."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

COMPOSABLE_INVARIANT = 1  # degenbot's INVARIANT_V1, the StableMath of ComposableStablePool


def main(inp: str, out: str) -> None:
    from degenbot._ffi import Bot

    job = json.loads(Path(inp).read_text())
    bot = Bot(1)
    for address, decimals in job["tokens"].items():
        bot.register_token(address, "T", "T", int(decimals), 1)
    pools = {}
    for p in job["pools"]:
        pid = bot.register_balancer_stable_pool(
            p["address"], p["vault"], p["pool_id"], p["tokens"], int(p["amp"]),
            [int(s) for s in p["scaling_factors"]], int(p["swap_fee"]), int(p["bpt_index"]), COMPOSABLE_INVARIANT,
            [int(b) for b in p["balances"]], 1,
        )  # fmt: skip
        pools[p["address"]] = bot.get_pool(pid)
    results = []
    t0 = time.perf_counter()
    for address, i, j, exact_in, amount in job["cases"]:
        pool = pools[address]
        try:
            if exact_in:
                results.append(str(pool.calculate_tokens_out_for_pair(i, j, int(amount))))
            else:
                results.append(str(pool.calculate_tokens_in_for_pair(i, j, int(amount))))
        except Exception as exc:
            results.append(f"error: {type(exc).__name__}")
    elapsed = time.perf_counter() - t0
    Path(out).write_text(
        json.dumps({"elapsed": elapsed, "results": results, "version": __import__("degenbot").__version__})
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
