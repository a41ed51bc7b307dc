"""Balancer V2 weighted-pool quote speed, side by side with degenbot on the same pool states.

The states are the weighted pools of tests/data/exactness.toml (made by the real WeightedPoolFactory on the
replica, read back from the Vault and the pools). Both sides quote the same cases, exact input and exact
output, from 1 raw unit to past the pools' 30% limits; their outputs are compared (a refusal counts as
equal when both refuse). degenbot runs in its own environment (`make bench` creates it).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from web3 import HTTPProvider, Web3

from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.amm.errors import AmmError
from arbbot.devnet import artifacts, snapshot
from arbbot.progress import LogProgress

SCENARIO = str(Path(__file__).resolve().parents[1] / "tests" / "data" / "exactness.toml")
CASES = 20_000
ROUNDS = 3


def _models(w3: Web3, manifest) -> list[BalancerWeightedPool]:  # type: ignore[no-untyped-def]
    vault = w3.eth.contract(address=manifest.contracts["BalancerVault"], abi=artifacts.load("BalancerVault").abi)
    pool_abi = artifacts.load("BalancerWeightedPool").abi
    out = []
    for entry in manifest.balancer_pools:
        if entry.kind != "balancer_weighted":
            continue
        pool = w3.eth.contract(address=entry.address, abi=pool_abi)
        tokens, balances, _ = vault.functions.getPoolTokens(entry.pool_id).call()
        out.append(
            BalancerWeightedPool(
                entry.address, entry.pool_id, vault.address, tuple(tokens), list(balances),
                tuple(pool.functions.getNormalizedWeights().call()), tuple(pool.functions.getScalingFactors().call()),
                pool.functions.getSwapFeePercentage().call(),
            )
        )  # fmt: skip
    return out


def _cases(models: list[BalancerWeightedPool]) -> list[tuple[int, int, int, bool, int]]:
    rng = random.Random(20)
    cases = []
    for _ in range(CASES):
        k = rng.randrange(len(models))
        m = models[k]
        i, j = rng.sample(range(len(m.tokens)), 2)
        exact_in = rng.random() < 0.5
        side = m.balances[i] if exact_in else m.balances[j]
        # Log-uniform from 1 unit to 40% of the balance: typical trades and a share past the 30% limits.
        amount = max(1, int(side * 0.4 * rng.random() ** 8))
        cases.append((k, i, j, exact_in, amount))
    return cases


def _quote(m: BalancerWeightedPool, i: int, j: int, exact_in: bool, amount: int) -> str:
    try:
        if exact_in:
            return str(m.quote_exact_in(m.tokens[i], m.tokens[j], amount))
        return str(m.quote_exact_out(m.tokens[i], m.tokens[j], amount))
    except AmmError as exc:
        return f"error: {str(exc).split(':')[0]}"


def run() -> list[dict[str, str]]:
    python = os.environ.get("ARBBOT_DEGENBOT_PYTHON")
    if not python or not Path(python).is_file():
        return [{"benchmark": "Balancer weighted quotes vs degenbot",
                 "figure": "skipped: degenbot environment not set up", "baseline": "run through `make bench`",
                 "ratio": "-"}]  # fmt: skip
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        models = _models(Web3(HTTPProvider(node.url, request_kwargs={"timeout": 60})), manifest)
        decimals = {
            manifest.token(s).address: manifest.token(s).decimals
            for p in manifest.balancer_pools
            if p.kind == "balancer_weighted"
            for s in p.tokens
        }
    finally:
        node.stop()
    cases = _cases(models)
    ours: list[str] = []
    t_ours = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        ours = [_quote(models[k], i, j, e, a) for k, i, j, e, a in cases]
        t_ours.append(time.perf_counter() - t0)
    job = {
        "tokens": decimals,
        "pools": [m.to_dict() for m in models],
        "cases": [(models[k].address, i, j, e, str(a)) for k, i, j, e, a in cases],
    }
    theirs_t = []
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(job))
        side = Path(__file__).with_name("degenbot_balancer_side.py")
        for _ in range(ROUNDS):
            subprocess.run([python, str(side), str(inp), str(out)], check=True, cwd=tmp, timeout=1800)
            theirs = json.loads(out.read_text())
            theirs_t.append(theirs["elapsed"])
    t_o, t_t = sorted(t_ours)[ROUNDS // 2], sorted(theirs_t)[ROUNDS // 2]
    pairs = list(zip(ours, theirs["results"], strict=True))
    both_refuse = sum(a.startswith("error") and b.startswith("error") for a, b in pairs)
    equal = sum(a == b for a, b in pairs if not a.startswith("error")) + both_refuse
    refused = sum(a.startswith("error") for a in ours)
    # Where the answers differ, what arbbot said (the exactness suite proves each refusal is the Vault's).
    differ = Counter(
        a if a.startswith("error") else "a different amount"
        for a, b in pairs
        if a != b and not (a.startswith("error") and b.startswith("error"))
    )
    shown = ", ".join(
        f"{n:,} where arbbot refuses ({r[7:]}) and degenbot quotes" if r.startswith("error") else f"{n:,} differ"
        for r, n in sorted(differ.items())
    )
    return [
        {
            "benchmark": f"Balancer weighted quotes, Python model, {CASES:,} cases on {len(models)} pools"
            " (2-4 tokens, exact in and out, 1 unit to 40% of the balance)",
            "figure": f"{CASES / t_o:,.0f} quotes/s (median of {ROUNDS}); {refused:,} refused"
            " (past the 30% limits or the Vault's 112-bit balances)",
            "baseline": f"degenbot {theirs['version']} (Rust core, calculate_tokens_out/in_for_pair) on the same"
            f" states: {CASES / t_t:,.0f} quotes/s; same answer in {equal:,}/{CASES:,}"
            + (f"; {shown}" if shown else ""),
            "ratio": f"{t_t / t_o:.2f}x degenbot's rate",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
