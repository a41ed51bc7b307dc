"""V3 exact-input quote throughput, side by side with degenbot on the same pool states.

degenbot lives in its own environment (it needs eth-abi 6); `make bench` creates it from
benchmarks/requirements-degenbot.lock. Both sides quote the same cases; their outputs are compared.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.progress import LogProgress
from arbbot.solver import native
from arbbot.state import lens
from arbbot.state.models import v3_model

SCENARIO = "large"
CASES = 3_000


def run() -> list[dict[str, str]]:
    python = os.environ.get("ARBBOT_DEGENBOT_PYTHON")
    if not python or not Path(python).is_file():
        return [{"benchmark": "V3 quotes vs degenbot", "figure": "skipped: degenbot environment not set up",
                 "baseline": "run through `make bench`", "ratio": "-"}]  # fmt: skip
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        rpc = RpcClient(node.url)
        entries = [p for p in manifest.pools if p.kind == "uniswap_v3"]
        snaps = lens.read_v3(rpc, [p.address for p in entries])
        token = manifest.token
        models = {
            p.address: v3_model(p.address, token(p.token0).address, token(p.token1).address, p.fee, snaps[p.address])
            for p in entries
            if snaps[p.address] is not None
        }
        rng = random.Random(3)
        addresses = sorted(models)
        # Typical trade sizes (raw units 1e3..1e18), not pool-draining walks.
        cases = [(rng.choice(addresses), rng.random() < 0.5, 10 ** rng.randint(3, 18)) for _ in range(CASES)]
        t0 = time.perf_counter()
        ours = []
        for address, zero_for_one, amount in cases:
            pool = models[address]
            ours.append(str(pool.quote_exact_in(pool.token0 if zero_for_one else pool.token1, amount)))
        t_ours = time.perf_counter() - t0
        # The compiled models (arbbot_native): mirrored once per pool state (as degenbot registers its
        # pools once), then quoted case by case through the Python call boundary.
        t_native = None
        native_agree = 0
        if native.loaded():
            mirrors = {a: native.mirror(models[a]) for a in addresses}
            t0 = time.perf_counter()
            got = [mirrors[a].quote_exact_in(z, amount) for a, z, amount in cases]
            t_native = time.perf_counter() - t0
            native_agree = sum(str(g) == o for g, o in zip(got, ours, strict=True))
        job = {
            "tokens": sorted({t for a in addresses for t in (models[a].token0, models[a].token1)}),
            "cases": cases,
            "pools": [
                {k: v for k, v in models[a].to_dict().items() if k != "bitmap"} | {"address": a} for a in addresses
            ],
        }
        with tempfile.TemporaryDirectory() as tmp:
            inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
            inp.write_text(json.dumps(job))
            side = Path(__file__).with_name("degenbot_side.py")
            subprocess.run([python, str(side), str(inp), str(out)], check=True, cwd=tmp, timeout=1800)
            theirs = json.loads(out.read_text())
    finally:
        node.stop()
    pairs = list(zip(ours, theirs["results"], strict=True))
    answered = [(a, b) for a, b in pairs if not b.startswith("error")]
    agree = sum(a == b for a, b in answered)
    refused = len(pairs) - len(answered)  # degenbot raises IncompleteSwap on partial fills; the pool fills them
    rows = []
    if t_native is not None:
        rows.append(
            {
                "benchmark": f"V3 exact-input quotes, compiled (arbbot_native), {CASES:,} cases on {len(models)} pools",
                "figure": f"{CASES / t_native:,.0f} quotes/s; equal to the Python model in {native_agree:,}/{CASES:,}",
                "baseline": f"degenbot {theirs['version']}: {CASES / theirs['elapsed']:,.0f} quotes/s;"
                f" arbbot's Python model: {CASES / t_ours:,.0f} quotes/s (same run)",
                "ratio": f"{theirs['elapsed'] / t_native:.2f}x degenbot's rate (goal >= 2x: "
                f"{'met' if theirs['elapsed'] / t_native >= 2 else 'missed'})",
            }
        )
    return [
        *rows,
        {
            "benchmark": f"V3 exact-input quotes, Python model, {CASES:,} cases on {len(models)} pools"
            " (amounts 1e3..1e18)",
            "figure": f"{CASES / t_ours:,.0f} quotes/s",
            "baseline": f"degenbot {theirs['version']} (Rust core, Pool.simulate) on the same states:"
            f" {CASES / theirs['elapsed']:,.0f} quotes/s;"
            f" identical output in {agree:,}/{len(answered):,} cases it answered ({refused} partial fills it refused)",
            "ratio": f"{theirs['elapsed'] / t_ours:.2f}x degenbot's rate (goal >= 2x: "
            f"{'met' if theirs['elapsed'] / t_ours >= 2 else 'missed'})",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
