"""Runs inside the benchmark-only degenbot environment (no arbbot imports): times degenbot's V3 quotes
on pool states handed over as JSON, against the same running node, and writes the outputs back."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from web3 import Web3


def main(inp: str, out: str) -> None:
    job = json.loads(Path(inp).read_text())
    from degenbot.config import connection_manager
    from degenbot.uniswap.v3_liquidity_pool import UniswapV3Pool

    w3 = Web3(Web3.HTTPProvider(job["url"]))
    connection_manager.register_web3(w3)
    connection_manager.set_default_chain(w3.eth.chain_id)
    pools = {}
    for p in job["pools"]:
        bitmap = {int(w): {"bitmap": int(v), "block": job["block"]} for w, v in p["bitmap"].items()}
        ticks = {
            int(t): {"liquidity_gross": int(g), "liquidity_net": int(n), "block": job["block"]}
            for t, (g, n) in p["ticks"].items()
        }
        pools[p["address"]] = UniswapV3Pool(
            p["address"],
            tick_bitmap=bitmap,
            tick_data=ticks,
            state_block=job["block"],
            verify_address=False,
            silent=True,
        )
    results = []
    t0 = time.perf_counter()
    for address, zero_for_one, amount in job["cases"]:
        pool = pools[address]
        token_in = pool.token0 if zero_for_one else pool.token1
        try:
            results.append(str(pool.calculate_tokens_out_from_tokens_in(token_in, int(amount))))
        except Exception as exc:
            results.append(f"error: {type(exc).__name__}")
    elapsed = time.perf_counter() - t0
    Path(out).write_text(json.dumps({"elapsed": elapsed, "results": results}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
