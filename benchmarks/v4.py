"""Uniswap V4 goals: executor gas of V4 cycles and of the cheapest capital, and V4 quote speed beside V3.

Executor gas is measured as benchmarks/executor_gas.py does (same helpers, same steady state, each cycle
sized at its exact optimum; overhead = executor transaction gas - the bare swaps):

- 2-hop V2->V2 on the cheapest capital, on the default replica (the route of the executor_gas row): every
  free source the searcher may choose for the route (`arbbot.execution.capital.options`) is run, the
  least gas among those that succeed is kept (`capital.cheapest`, what the searcher does), and it is
  compared with the bare swaps and with the naive Router02 executor on a Balancer flash loan.
- V4->V2 and V4->V3 on PoolManager capital, on the v4 replica (hookless native-ether/USDC pool, then the
  Uniswap V2 or V3 WETH/USDC pool). No router executor exists for a V4 hop to compare with, so the
  baseline is the bare swaps themselves: the V4 swap through the PoolManager's unlock/swap/settle/take
  (contracts/test/baseline/BareV4Swapper.sol, native ether wrapped as the cycle's other venue trades WETH),
  then the V2 pair.swap or V3 pool.swap, one transaction per step as in executor_gas.

Quote speed: arbbot's UniswapV4Pool model against its UniswapV3Pool model built from the same state (the
V4 pool's sqrt price, tick, liquidity, tick table and bitmap, same fee and tick spacing), on the same
seeded amounts in both directions, rounds interleaved; the median round rate of each is reported.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3.contract import Contract

from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.compiler import compile_files
from arbbot.devnet.context import known_pools
from arbbot.devnet.manifest import Manifest, PoolEntry
from arbbot.engine.bootstrap import load_store
from arbbot.execution.capital import CapitalOption, CapitalSources, Measured, cheapest, options
from arbbot.execution.route import Capital, Hop, Route, encode, hop_for
from arbbot.progress import LogProgress
from arbbot.strategy.sizing import bracketed_optimum
from benchmarks import executor_gas
from benchmarks.executor_gas import BASE_TX, ROOT, Leg

OVERHEAD_GOAL = 15_000
RATIO_GOAL = 0.75
QUOTE_GOAL = 1.2  # V4 quote time within 1.2x the V3 model's
QUOTE_CASES = 2_000
QUOTE_ROUNDS = 5


@dataclass(frozen=True)
class CapitalRun:
    name: str
    chosen: Measured
    tried: list[Measured]
    bare: int
    naive: int
    balancer: int  # the same route on a Balancer flash loan (the executor_gas row), same run


@dataclass(frozen=True)
class V4Run:
    name: str
    executor: int
    bare: int
    bare_v4: int  # of which the V4 step alone (unlock, swap, settle, take), without its 21,000 base


# --- 2-hop V2->V2 on the cheapest capital ---------------------------------------------------------


def _optimum(bench: executor_gas._Bench, legs: Sequence[Leg]) -> int:
    start = legs[0].token_in
    amount, profit = bracketed_optimum(
        lambda x: bench._outs(legs, x)[-1] - x, max_input=10**30, min_input=10 ** (bench.m.token(start).decimals - 3)
    )
    if profit <= 0:
        raise RuntimeError("the cycle is not profitable on this replica")
    return amount


def _dust(bench: executor_gas._Bench, symbols: set[str], holders: Sequence[str]) -> None:
    """Steady state, as in executor_gas: every account involved holds a little of every cycle token."""
    for sym in symbols:
        for holder in holders:
            bench._give(sym, holder, 1)


def measure_cheapest_capital() -> CapitalRun:
    node, m = snapshot.start("default", progress=LogProgress())
    try:
        bench = executor_gas._Bench(node.url, m)
        name, legs = executor_gas.cases(m)[0]
        amount = _optimum(bench, legs)
        outs = bench._outs(legs, amount)
        t = m.token
        hops = tuple(
            Hop(leg.pool.address, t(leg.token_out).address, False, leg.token_in == leg.pool.token0) for leg in legs
        )
        start = t(legs[0].token_in).address
        vault = m.contracts["BalancerVault"]
        sources = CapitalSources(balancer_vault=vault)  # the default replica has no PoolManager
        tried: list[Measured] = []
        snap = bench._snapshot()
        try:
            holders = (bench.executor.address, bench.naive.address, bench.swapper.address, bench.owner)
            _dust(bench, {leg.token_in for leg in legs}, holders)

            def run(option: CapitalOption) -> Measured:
                inner = bench._snapshot()
                try:
                    route = encode(Route(option.capital, option.lender, start, amount, 0, 0, hops))
                    gas = bench._tx(bench.executor.functions.execute(route))
                    result = Measured(option, True, gas)
                except RuntimeError as exc:
                    result = Measured(option, False, 0, str(exc))
                finally:
                    bench._revert(inner)
                tried.append(result)
                return result

            chosen = cheapest(options(hops, sources), run)
            if chosen is None:
                raise RuntimeError(f"{name}: no capital source ran the route: {tried}")
            balancer = next((r.gas for r in tried if r.option.capital == Capital.BALANCER and r.success), 0)
            inner = bench._snapshot()
            naive = bench._tx(bench.naive.functions.execute(bench._plan(legs, amount)))
            bench._revert(inner)
            bare = bench._bare(legs, amount, outs)
        finally:
            bench._revert(snap)
        return CapitalRun(name, chosen, tried, bare, naive, balancer)
    finally:
        node.stop()


# --- V4 cycles on PoolManager capital -------------------------------------------------------------


def _entry(m: Manifest, kind: str, **match: object) -> PoolEntry:
    return next(p for p in m.pools if p.kind == kind and all(getattr(p, k) == v for k, v in match.items()))


class _V4Bench:
    def __init__(self, url: str, m: Manifest) -> None:
        self.base = executor_gas._Bench(url, m)
        self.m = m
        weth = m.token("WETH").address
        self.store = load_store(RpcClient(url), known_pools(m), weth=weth)
        art = compile_files([ROOT / "contracts" / "test" / "baseline" / "BareV4Swapper.sol"])["BareV4Swapper"]
        self.v4swapper: Contract = self.base._deploy(art, m.contracts["PoolManager"], weth)
        self.pair_abi = artifacts.load("UniswapV2Pair").abi

    def _model(self, entry: PoolEntry) -> Any:
        return self.store.pools[entry.address.lower()]

    def _outs(self, pools: Sequence[Any], tokens: Sequence[str], amount: int) -> list[int]:
        outs, x = [], amount
        for pool, token in zip(pools, tokens, strict=True):
            x = pool.quote_exact_in(token, x)
            outs.append(x)
        return outs

    def _profit(self, pools: Sequence[Any], tokens: Sequence[str], amount: int) -> int:
        """The cycle's profit for `amount` in; -amount (nothing out) where a pool cannot trade it."""
        try:
            return self._outs(pools, tokens, amount)[-1] - amount
        except AmmError:
            return -amount

    def measure(self, name: str, v4: PoolEntry, other: PoolEntry) -> V4Run:
        b, m = self.base, self.m
        weth, usdc = m.token("WETH").address, m.token("USDC").address
        pools = [self._model(v4), self._model(other)]
        best: tuple[int, int, str] | None = None
        for start, mid in ((usdc, weth), (weth, usdc)):  # the V4 hop first, in whichever direction pays
            decimals = 6 if start == usdc else 18
            amount, profit = bracketed_optimum(
                lambda x, s=start, t=mid: self._profit(pools, (s, t), x),
                max_input=10**30,
                min_input=10 ** (decimals - 3),
            )
            if profit > 0 and (best is None or profit > best[1]):
                best = (amount, profit, start)
        if best is None:
            raise RuntimeError(f"{name}: the cycle is not profitable on this replica")
        amount, _, start = best
        mid = weth if start == usdc else usdc
        start_sym, mid_sym = ("USDC", "WETH") if start == usdc else ("WETH", "USDC")
        outs = self._outs(pools, (start, mid), amount)
        zfo_v4 = start.lower() == pools[0].token0.lower()
        zfo_other = mid.lower() == pools[1].token0.lower()
        hops = (hop_for(pools[0], zfo_v4), hop_for(pools[1], zfo_other))
        route = encode(Route(Capital.POOL_MANAGER, m.contracts["PoolManager"], start, amount, 0, 0, hops))
        snap = b._snapshot()
        try:
            holders = (b.executor.address, self.v4swapper.address, b.swapper.address, b.owner)
            _dust(b, {start_sym, mid_sym}, holders)
            inner = b._snapshot()
            executor = b._tx(b.executor.functions.execute(route))
            b._revert(inner)
            b._give(start_sym, self.v4swapper.address, amount)  # setup, not measured
            t = m.token
            key = (t(v4.token0).address, t(v4.token1).address, v4.fee, v4.tick_spacing, v4.hooks)
            v3 = other.kind == "uniswap_v3"
            to = b.swapper.address if v3 else other.address
            bare_v4 = b._tx(self.v4swapper.functions.swap(key, zfo_v4, amount, to)) - BASE_TX
            if v3:
                call = b.swapper.functions.swap(other.address, zfo_other, outs[0], mid, b.owner)
            else:
                pair = b.w3.eth.contract(address=other.address, abi=self.pair_abi)
                out = outs[1]
                call = pair.functions.swap(0 if zfo_other else out, out if zfo_other else 0, b.owner, b"")
            bare = BASE_TX + bare_v4 + b._tx(call) - BASE_TX
        finally:
            b._revert(snap)
        return V4Run(name, executor, bare, bare_v4)


def measure_v4_cycles() -> list[V4Run]:
    node, m = snapshot.start("v4", progress=LogProgress())
    try:
        bench = _V4Bench(node.url, m)
        v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
        v2 = _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC")
        v3 = _entry(m, "uniswap_v3", token0="WETH", token1="USDC", fee=500)
        return [bench.measure("2-hop V4->V2", v4, v2), bench.measure("2-hop V4->V3", v4, v3)]
    finally:
        node.stop()


# --- quote speed --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRun:
    v4_rate: float
    v3_rate: float
    cases: int
    equal: int
    ticks: int


def _v3_twin(v4: UniswapV4Pool) -> UniswapV3Pool:
    """The V3 model on the V4 pool's liquidity shape: same price, tick, liquidity, ticks, fee, spacing."""
    return UniswapV3Pool(
        address="0x" + "00" * 19 + "03",
        token0=v4.token0,
        token1=v4.token1,
        fee=v4.lp_fee,
        tick_spacing=v4.tick_spacing,
        sqrt_price_x96=v4.sqrt_price_x96,
        tick=v4.tick,
        liquidity=v4.liquidity,
        ticks=dict(v4.ticks),
        bitmap=dict(v4.bitmap),
    )


def _quote_all(pool: Any, cases: Sequence[tuple[str, int]]) -> list[int | None]:
    out: list[int | None] = []
    for token, amount in cases:
        try:
            out.append(pool.quote_exact_in(token, amount))
        except Exception:  # a drained pool: both models refuse the same amounts
            out.append(None)
    return out


def measure_quotes() -> QuoteRun:
    node, m = snapshot.start("v4", progress=LogProgress())
    try:
        weth = m.token("WETH").address
        store = load_store(RpcClient(node.url), known_pools(m), weth=weth)
        entry = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
        v4 = store.pools[entry.address.lower()]
    finally:
        node.stop()
    assert isinstance(v4, UniswapV4Pool) and v4.protocol_fee == 0
    v3 = _v3_twin(v4)
    rng = random.Random(20261205)
    cases = [
        (v4.token0, int(10 ** rng.uniform(3, 20))) if i % 2 else (v4.token1, int(10 ** rng.uniform(3, 11)))
        for i in range(QUOTE_CASES)
    ]
    equal = sum(a == b for a, b in zip(_quote_all(v4, cases), _quote_all(v3, cases), strict=True))
    v4_rates, v3_rates = [], []
    for _ in range(QUOTE_ROUNDS):
        for pool, rates in ((v4, v4_rates), (v3, v3_rates)):
            t0 = time.perf_counter()
            _quote_all(pool, cases)
            rates.append(len(cases) / (time.perf_counter() - t0))
    return QuoteRun(statistics.median(v4_rates), statistics.median(v3_rates), len(cases), equal, len(v4.ticks))


# --- rows ---------------------------------------------------------------------------------------------


def run() -> list[dict[str, str]]:
    rows = []
    c = measure_cheapest_capital()
    overhead, ratio = c.chosen.gas - c.bare, c.chosen.gas / c.naive
    tried = ", ".join(f"{r.option.capital.name} {r.gas:,}" if r.success else f"{r.option.capital.name} reverted"
                      for r in c.tried)  # fmt: skip
    rows.append(
        {
            "benchmark": f"executor gas, {c.name} cycle on the cheapest capital ({c.chosen.option.capital.name})",
            "figure": (
                f"{c.chosen.gas:,} gas; overhead {overhead:,} over the bare swaps ({c.bare:,}); "
                f"every source run: {tried}"
            ),
            "baseline": (
                f"naive Router02 executor on a Balancer flash loan: {c.naive:,} gas; "
                f"this executor on a Balancer flash loan: {c.balancer:,} (same run)"
            ),
            "ratio": (
                f"{ratio:.2f}x naive (goal <= {RATIO_GOAL}x: {'met' if ratio <= RATIO_GOAL else 'missed'}); "
                f"overhead goal <= {OVERHEAD_GOAL:,}: {'met' if overhead <= OVERHEAD_GOAL else 'missed'}"
            ),
        }
    )
    for r in measure_v4_cycles():
        overhead = r.executor - r.bare
        rows.append(
            {
                "benchmark": f"executor gas, {r.name} cycle on PoolManager capital (v4 replica)",
                "figure": (
                    f"{r.executor:,} gas; overhead {overhead:,} over the bare swaps (negative: the executor nets "
                    "the V4 input against the next hop's output paid straight into the PoolManager)"
                    if overhead < 0
                    else f"{r.executor:,} gas; overhead {overhead:,} over the bare swaps"
                ),
                "baseline": (
                    f"bare swaps: {r.bare:,} gas, of which the V4 swap through unlock/swap/settle/take "
                    f"{r.bare_v4:,} (no router executor has a V4 hop to compare with)"
                ),
                "ratio": (
                    f"{r.executor / r.bare:.2f}x the bare swaps; overhead "
                    f"{'within' if overhead <= OVERHEAD_GOAL else 'over'} {OVERHEAD_GOAL:,}"
                ),
            }
        )
    q = measure_quotes()
    slowdown = q.v3_rate / q.v4_rate
    rows.append(
        {
            "benchmark": (
                f"V4 exact-input quotes vs the V3 model, same liquidity shape ({q.cases:,} cases, "
                f"{q.ticks} initialized ticks, both directions, amounts 1e3..1e20)"
            ),
            "figure": f"UniswapV4Pool: {q.v4_rate:,.0f} quotes/s (median of {QUOTE_ROUNDS} rounds)",
            "baseline": (
                f"UniswapV3Pool on the same price, liquidity and ticks: {q.v3_rate:,.0f} quotes/s, "
                f"interleaved; same output in {q.equal:,}/{q.cases:,}"
            ),
            "ratio": (
                f"V4 takes {slowdown:.2f}x the V3 time (goal <= {QUOTE_GOAL}x: "
                f"{'met' if slowdown <= QUOTE_GOAL else 'missed'})"
            ),
        }
    )
    return rows
