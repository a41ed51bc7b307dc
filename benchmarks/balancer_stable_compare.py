"""Balancer V2 composable stable pool quote speed, side by side with degenbot on the same pool states.

The states are the composable stable pools of tests/data/exactness.toml (made by the real
ComposableStablePoolFactory v3 on the replica, read back from the Vault, the pools and their rate providers).
Both sides quote the same cases between the pools' non-BPT tokens, exact input and exact output, from 1 raw unit
to 120% of the balance on the given side; their outputs are compared (a refusal counts as equal when both refuse).
degenbot runs in its own environment (`make bench` creates it) and is given the pools' current scaling factors
(rates folded in); arbbot's model is built from the rate caches and providers and refreshes nothing here (no
cache has expired at the snapshot's time).
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

from arbbot.amm.balancer_stable import ZERO_ADDRESS, BalancerComposableStablePool, RateCache
from arbbot.amm.errors import AmmError
from arbbot.devnet import artifacts, compiler, snapshot
from arbbot.devnet.manifest import Manifest
from arbbot.progress import LogProgress

SECTION = "Balancer composable stable pool quotes"
NOTE = (
    "The composable stable pools of tests/data/exactness.toml on the replica (2 to 5 tokens, amplification 1 to"
    " 5000, 6/8/18 decimals, rate-provided tokens, tiny, huge and very imbalanced balances), read back from the"
    " chain, quoted by arbbot's pure-Python model and by degenbot's Rust core on the same states and cases. Every"
    " refusal of arbbot's is one the exactness suite (tests/integration/amm/test_balancer_stable_exactness.py)"
    " proves the Vault makes with the same BAL# code. arbbot's model computes a pool's invariant once per state and"
    " reuses it for every quote on that state (the cases here quote unchanged states). Times include the load of"
    " other jobs on the machine (the load average is in the figure); the ratio is the comparison."
)
SCENARIO = str(Path(__file__).resolve().parents[1] / "tests" / "data" / "exactness.toml")
CASES = 20_000
ROUNDS = 3


def models(w3: Web3, manifest: Manifest) -> list[BalancerComposableStablePool]:
    """Every composable stable pool of the manifest as the model, synced from the chain at the latest block."""
    vault = w3.eth.contract(address=manifest.contracts["BalancerVault"], abi=artifacts.load("BalancerVault").abi)
    pool_abi = artifacts.load("BalancerComposableStablePool").abi
    erc20 = compiler.replica_contracts()["ReplicaToken"].abi
    provider_abi = compiler.replica_contracts()["ReplicaRateProvider"].abi
    now = w3.eth.get_block("latest")["timestamp"]
    out = []
    for entry in manifest.balancer_pools:
        if entry.kind != "balancer_composable_stable":
            continue
        pool = w3.eth.contract(address=entry.address, abi=pool_abi)
        tokens, balances, _ = vault.functions.getPoolTokens(entry.pool_id).call()
        bpt = pool.functions.getBptIndex().call()
        providers = list(pool.functions.getRateProviders().call())
        caches: list[RateCache | None] = []
        for t, p in zip(tokens, providers, strict=True):
            if p == ZERO_ADDRESS:
                caches.append(None)
                continue
            rate, _old, duration, expires = pool.functions.getTokenRateCache(t).call()
            live = w3.eth.contract(address=p, abi=provider_abi).functions.getRate().call()
            caches.append(RateCache(rate, duration, expires, live))
        decimals = [
            18 if k == bpt else w3.eth.contract(address=t, abi=erc20).functions.decimals().call()
            for k, t in enumerate(tokens)
        ]
        amp, updating, _ = pool.functions.getAmplificationParameter().call()
        assert not updating, "the benchmark pools do not ramp"
        out.append(
            BalancerComposableStablePool(
                entry.address, entry.pool_id, vault.address, tuple(tokens), list(balances), bpt,
                tuple(10**18 * 10 ** (18 - d) for d in decimals), tuple(providers), caches, amp, amp, 0, 0,
                pool.functions.getSwapFeePercentage().call(), now,
            )
        )  # fmt: skip
        assert out[-1].scaling_factors() == tuple(pool.functions.getScalingFactors().call())
    return out


def _cases(pools: list[BalancerComposableStablePool]) -> list[tuple[int, int, int, bool, int]]:
    rng = random.Random(21)
    cases = []
    for _ in range(CASES):
        k = rng.randrange(len(pools))
        m = pools[k]
        i, j = rng.sample([x for x in range(len(m.tokens)) if x != m.bpt_index], 2)
        exact_in = rng.random() < 0.5
        side = m.balances[i] if exact_in else m.balances[j]
        # Log-uniform-ish from 1 unit to 120% of the balance: typical trades and a share the pool cannot fill.
        amount = max(1, int(side * 1.2 * rng.random() ** 8))
        cases.append((k, i, j, exact_in, amount))
    return cases


def _quote(m: BalancerComposableStablePool, i: int, j: int, exact_in: bool, amount: int) -> str:
    try:
        if exact_in:
            return str(m.quote_exact_in(m.tokens[i], m.tokens[j], amount))
        return str(m.quote_exact_out(m.tokens[i], m.tokens[j], amount))
    except AmmError as exc:
        return f"error: {str(exc).split(':')[0]}"


def run() -> list[dict[str, str]]:
    """One row: arbbot's model against degenbot's on the same states and cases (skipped without degenbot)."""
    python = os.environ.get("ARBBOT_DEGENBOT_PYTHON")
    if not python or not Path(python).is_file():
        return [{"benchmark": "Balancer stable quotes vs degenbot",
                 "figure": "skipped: degenbot environment not set up", "baseline": "run through `make bench`",
                 "ratio": "-"}]  # fmt: skip
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        pools = models(w3, manifest)
        return _compare(w3, manifest, pools, python)
    finally:
        node.stop()


def _vault_answer(w3: Web3, manifest: Manifest, m: BalancerComposableStablePool, case: tuple[int, ...]) -> str:
    """What `Vault.queryBatchSwap` answers for one case on the replica: the amount, or the revert's BAL# code."""
    _k, i, j, exact_in, amount = case
    vault = w3.eth.contract(address=manifest.contracts["BalancerVault"], abi=artifacts.load("BalancerVault").abi)
    step = (m.pool_id, 0, 1, amount, b"")
    funds = (manifest.deployer, False, manifest.deployer, False)
    try:
        deltas = vault.functions.queryBatchSwap(0 if exact_in else 1, [step], [m.tokens[i], m.tokens[j]], funds).call()
    except Exception as exc:  # a revert: keep its BAL# code
        text = str(exc)
        return "error: " + text[text.index("BAL#") : text.index("BAL#") + 7] if "BAL#" in text else f"error: {text}"
    return str(-deltas[1] if exact_in else deltas[0])


def _compare(
    w3: Web3, manifest: Manifest, pools: list[BalancerComposableStablePool], python: str
) -> list[dict[str, str]]:
    decimals = {t.address: t.decimals for t in manifest.tokens}
    for m in pools:
        decimals[m.address] = 18
    cases = _cases(pools)
    ours: list[str] = []
    t_ours = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        ours = [_quote(pools[k], i, j, e, a) for k, i, j, e, a in cases]
        t_ours.append(time.perf_counter() - t0)
    job = {
        "tokens": decimals,
        "pools": [
            {
                "address": m.address, "vault": m.vault, "pool_id": m.pool_id, "tokens": list(m.tokens),
                "amp": m.amplification, "scaling_factors": [str(s) for s in m.scaling_factors()],
                "swap_fee": str(m.swap_fee), "bpt_index": m.bpt_index, "balances": [str(b) for b in m.balances],
            }
            for m in pools
        ],
        "cases": [(pools[k].address, i, j, e, str(a)) for k, i, j, e, a in cases],
    }  # fmt: skip
    theirs_t = []
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(job))
        side = Path(__file__).with_name("degenbot_balancer_stable_side.py")
        for _ in range(ROUNDS):
            subprocess.run([python, str(side), str(inp), str(out)], check=True, cwd=tmp, timeout=1800)
            theirs = json.loads(out.read_text())
            theirs_t.append(theirs["elapsed"])
    t_o, t_t = sorted(t_ours)[ROUNDS // 2], sorted(theirs_t)[ROUNDS // 2]
    pairs = list(zip(ours, theirs["results"], strict=True))
    both_refuse = sum(a.startswith("error") and b.startswith("error") for a, b in pairs)
    equal = sum(a == b for a, b in pairs if not a.startswith("error")) + both_refuse
    refused = Counter(a[7:] for a in ours if a.startswith("error"))
    differ = Counter(
        f"arbbot refuses ({a[7:]}), degenbot quotes" if a.startswith("error")
        else "degenbot refuses, arbbot quotes" if b.startswith("error")
        else "both quote, amounts differ"
        for a, b in pairs
        if a != b and not (a.startswith("error") and b.startswith("error"))
    )  # fmt: skip
    shown = "; ".join(f"{n:,} where {what}" for what, n in sorted(differ.items()))
    # Every case where the two differ is put to the Vault itself (queryBatchSwap on the replica).
    disputed = [n for n, (a, b) in enumerate(pairs) if a != b and not (a.startswith("error") and b.startswith("error"))]
    vault_says = [_vault_answer(w3, manifest, pools[cases[n][0]], cases[n]) for n in disputed]
    sides = Counter(
        "arbbot" if v == pairs[n][0] else "degenbot" if v == pairs[n][1] else "neither"
        for n, v in zip(disputed, vault_says, strict=True)
    )
    if disputed:
        shown += "; the Vault's queryBatchSwap on those: " + ", ".join(
            f"{what}'s answer {n:,}" for what, n in sorted(sides.items())
        )
    load = os.getloadavg()[0]
    return [
        {
            "benchmark": f"Balancer composable stable quotes, Python model, {CASES:,} cases on {len(pools)} pools"
            " (2-5 tokens, exact in and out, 1 unit to 120% of the balance)",
            "figure": f"{CASES / t_o:,.0f} quotes/s (median of {ROUNDS}); {sum(refused.values()):,} refused ("
            + ", ".join(f"{code} x{n:,}" for code, n in sorted(refused.items()))
            + f"); load average {load:.1f}",
            "baseline": f"degenbot {theirs['version']} (Rust core, calculate_tokens_out/in_for_pair) on the same"
            f" states: {CASES / t_t:,.0f} quotes/s; same answer in {equal:,}/{CASES:,}"
            + (f"; {shown}" if shown else ""),
            "ratio": f"{t_t / t_o:.2f}x degenbot's rate",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
