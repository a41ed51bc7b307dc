"""A soak of the live searcher on the replica, behind the fault proxy: the harness of `make soak` and its CI test.

The replica (anvil with the default scenario) is the chain; seeded users trade on it through the real routers
at one block per `block_time`: a public swap (a block of its own), then a block built by the local builder
(a test double of a real builder) from the bundles it holds, and every `backrun_every` ticks a swap held in the
mempool for a backrun. The searcher runs as `arbbot run --live` wires it, reading the chain only through the
fault proxy (in its own process) at `fault_rate` faulty answers and frames of every class, over WebSocket or
HTTP polling; the builder and the driver talk to the node directly.

Measured: blocks mined / processed / skipped to the head, simulations, errors by class, lag behind the head
(sampled just before each new block), RSS start and end, what was sent, and at the end whether every pool's
state equals a fresh sync of the same block read straight from the node.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, dev_key
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.config import BuilderSettings, SearcherSettings
from arbbot.devnet import snapshot
from arbbot.devnet.context import context_from_manifest, known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.devnet.traffic import Traffic, scenario_prices
from arbbot.engine.factory import build
from arbbot.engine.searcher import Searcher
from arbbot.metrics import Metrics
from arbbot.state import balancer as balancer_state
from arbbot.state.discovery import BALANCER_KINDS
from arbbot.state.sync import sync_pools
from arbbot.testing.fault_proxy import HTTP_CLASSES, WS_CLASSES, FaultProxyProcess
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder, LocalBuilderError


@dataclass(frozen=True)
class SoakConfig:
    """How a soak runs: `blocks` ticks of `block_time` seconds, `fault_rate` the probability that an answer or frame of
    the fault proxy is faulty (every class drawn), `use_ws` a WebSocket head subscription rather than HTTP polling,
    `seed` for the traffic and the faults.

    `slow_range` (seconds) and `huge_bytes` size the proxy's slow and huge faults; `out_dir`, when given, receives
    the node's log.
    """

    blocks: int = 200
    fault_rate: float = 0.0
    use_ws: bool = True
    seed: int = 20261205
    block_time: float = 1.0
    backrun_every: int = 5  # every Nth public tick holds its swap pending for a backrun
    slow_range: tuple[float, float] = (2.0, 10.0)
    huge_bytes: int = 50 * 2**20
    catch_up_s: float = 15.0  # after the last block, how long the searcher may take to reach the head
    out_dir: Path | None = None

    @property
    def label(self) -> str:
        """A short human label of the run, such as "10% faults, WebSocket"."""
        return f"{self.fault_rate:.0%} faults, {'WebSocket' if self.use_ws else 'HTTP polling'}"


@dataclass
class SoakResult:
    """What a soak measured (see the module docstring); the soak's pass criteria are read from these fields.

    Lags are in blocks behind the node's head; RSS figures in MB; `mismatched` names the pools whose state differed
    from a fresh sync at the end (or why the head could not be compared).
    """

    config: SoakConfig
    blocks_mined: int = 0
    blocks_processed: int = 0
    blocks_skipped: int = 0
    simulations: int = 0  # simulations that read their state and ran to a result
    sim_errors: int = 0  # simulations that could not (errors, counted by class below)
    errors_by_kind: dict[str, int] = field(default_factory=dict)  # searcher errors
    errors_by_where: dict[str, int] = field(default_factory=dict)
    sim_errors_by_kind: dict[str, int] = field(default_factory=dict)
    node_faults: dict[str, int] = field(default_factory=dict)  # failed attempts the transport saw, by class
    injected: dict[str, int] = field(default_factory=dict)  # what the fault proxy broke, by class
    lags: list[int] = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    pools_checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    sent: int = 0
    landed: int = 0
    sent_without_success: int = 0  # plans whose simulation did not succeed (must be 0)
    unproven_sends: list[str] = field(default_factory=list)  # what each of those was, for the report
    still_running: bool = False
    reorgs: int = 0
    duration_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=dict)  # seconds spent per pipeline stage (sum)
    loop_stalls: list[float] = field(default_factory=list)  # event-loop stalls over 0.25 s (seconds each)
    builder_pauses: int = 0
    rss_samples: list[float] = field(default_factory=list)  # MB, every 20 blocks: growth or a plateau

    @property
    def state_exact(self) -> bool:
        """True when at least one pool was compared at the end and none differed from a fresh sync."""
        return self.pools_checked > 0 and not self.mismatched

    @property
    def unaccounted(self) -> int:
        """Blocks neither traded on nor explicitly skipped (a state update that failed; caught up later)."""
        return max(0, self.blocks_mined - self.blocks_processed - self.blocks_skipped)

    @property
    def sim_success_rate(self) -> float:
        """Simulations that ran to a result, of those attempted."""
        tried = self.simulations + self.sim_errors
        return self.simulations / tried if tried else 1.0

    @property
    def node_sim_failures(self) -> int:
        """Simulations lost to the node's faults (not to a block that vanished under the fork)."""
        return sum(v for k, v in self.sim_errors_by_kind.items() if k != "chain")

    @property
    def lag_p90(self) -> float:
        """The 90th percentile of the searcher's lag behind the head, in blocks (0 with no samples)."""
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        return float(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))])

    def lag_within(self, blocks: int) -> float:
        """The fraction of lag samples at most `blocks` behind the head (1.0 with no samples)."""
        return sum(1 for lag in self.lags if lag <= blocks) / len(self.lags) if self.lags else 1.0

    @property
    def lag_max(self) -> int:
        """The largest lag sampled, in blocks."""
        return max(self.lags, default=0)

    @property
    def lag_p50(self) -> float:
        """The median lag, in blocks (0 with no samples)."""
        return statistics.median(self.lags) if self.lags else 0.0


def rss_mb() -> float:
    """This process's resident set size in MB, from /proc/self/status (0.0 where that is not available)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _samples(metrics: Metrics, name: str) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for fam in metrics.registry.collect() for s in fam.samples if s.name == name]


def _by(metrics: Metrics, name: str, label: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for labels, value in _samples(metrics, name):
        if value:
            out[labels[label]] = out.get(labels[label], 0) + int(value)
    return out


async def _to_thread(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


class _Driver:
    """The chain's clock: one block per tick, public swaps, built blocks, held swaps for backruns."""

    def __init__(self, node_url: str, w3: Web3, manifest: Manifest, traffic: Traffic, builder: LocalBuilder) -> None:
        self.url, self.w3, self.manifest, self.traffic, self.builder = node_url, w3, manifest, traffic, builder
        self.victims = 0
        self.pool_waits = 0

    def head(self) -> int:
        return int(str(raw_rpc(self.url, "eth_blockNumber")), 16)

    def _public(self) -> None:
        for s in self.traffic.next_swaps(1):
            h = self.w3.eth.send_raw_transaction(s.raw_tx)
            self.w3.eth.wait_for_transaction_receipt(h, timeout=30)

    async def public(self) -> None:
        await _to_thread(self._public)

    async def built(self) -> None:
        await self._build()

    async def _build(self) -> None:
        # The local builder refuses to build over a non-empty mempool; a transaction still on its way to an
        # automined block is that for a moment, so the build is tried again shortly.
        for attempt in range(20):
            try:
                await self.builder.build_block()
                return
            except LocalBuilderError as exc:
                if "txpool is not empty" not in str(exc) or attempt == 19:
                    raise
                self.pool_waits += 1
                await asyncio.sleep(0.05)  # the automined block is being produced

    async def held(self, window: float) -> None:
        """A big swap held pending for `window` seconds; built into the block with a backrun bundle if one came."""
        m, t = self.manifest, self.traffic
        v2 = [p for p in m.pools if p.kind == "uniswap_v2" and "WETH" in (p.token0, p.token1)]
        v2 = [p for p in v2 if not any(m.token(s).fee_on_transfer_bps for s in (p.token0, p.token1))]
        pool = v2[self.victims % len(v2)]
        token = pool.token1 if pool.token0 == "WETH" else pool.token0
        user = t.accounts[self.victims % len(t.accounts)].key.to_0x_hex()
        self.victims += 1
        victim = t.swap(user, pool, "WETH", token, t.amount_for("WETH", Decimal(150)))
        lock = self.builder.node_lock()  # the builder's builds save and restore automine under it
        async with lock:
            await _to_thread(raw_rpc, self.url, "evm_setAutomine", [False])
        try:
            await _to_thread(self.w3.eth.send_raw_transaction, victim.raw_tx)
            await asyncio.sleep(window)  # the searcher's chance to see it pending: the scenario's clock
            ours = [b for b in self.builder.pending_bundles() if victim.tx_hash.lower() in b.tx_hashes]
            if ours:
                # The local builder serves bundles only: the public copy leaves the pool, the bundle brings it back.
                async with lock:
                    await _to_thread(raw_rpc, self.url, "anvil_dropTransaction", [victim.tx_hash])
                await self._build()
            else:
                async with lock:
                    await _to_thread(raw_rpc, self.url, "evm_mine")
        finally:
            async with lock:
                await _to_thread(raw_rpc, self.url, "evm_setAutomine", [True])
        receipt = await _to_thread(raw_rpc, self.url, "eth_getTransactionReceipt", [victim.tx_hash])
        if receipt is None:  # the bundle was not built after all: the user's swap still happens, publicly
            await _to_thread(self.w3.eth.send_raw_transaction, victim.raw_tx)


async def run_soak(cfg: SoakConfig) -> SoakResult:
    """Run one soak on a fresh replica from the default snapshot and return its measurements.

    Starts anvil, the fault proxy (a child process) and the local builder, and stops all of them, by PID, whatever
    happens.
    """
    result = SoakResult(cfg)
    snap = snapshot.ensure("default")
    log_path = (cfg.out_dir / "anvil.log") if cfg.out_dir else None
    # fifo: the node keeps a bundle's transactions of different senders in bundle order.
    node = AnvilNode(load_state=snap.state_path, log_path=log_path, extra_args=["--order", "fifo"]).start()
    proxy: FaultProxyProcess | None = None
    started = time.monotonic()
    try:
        manifest = snap.manifest
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        key = dev_key(0)
        owner = Account.from_key(key).address
        traffic = Traffic(w3, manifest, scenario_prices(manifest), seed=cfg.seed, users=4, min_eth=Decimal(20),
                          max_eth=Decimal(120))  # fmt: skip
        await _to_thread(traffic.fund)
        contract = await _to_thread(deploy_executor, w3, manifest, owner)
        proxy = FaultProxyProcess(
            node.url, rate=cfg.fault_rate, seed=cfg.seed, classes=list(HTTP_CLASSES), ws_classes=list(WS_CLASSES),
            slow_range=list(cfg.slow_range), huge_bytes=cfg.huge_bytes,
        ).start()  # fmt: skip
        metrics = Metrics()
        async with LocalBuilder(node.url) as builder:
            settings = SearcherSettings(
                builders=[BuilderSettings(name="local", url=builder.url, coinbase=LOCAL_BUILDER_COINBASE)],
                executor=contract.address, bribe_share_bps=5_000, max_hops=3,
            )  # fmt: skip
            ctx = context_from_manifest(manifest, proxy.url)  # the searcher reads only through the faulty proxy
            wiring = await build(settings, ctx, live=True, metrics=metrics, coinbase=LOCAL_BUILDER_COINBASE,
                                 key=key)  # fmt: skip
            searcher = wiring.searcher
            try:
                await _drive(cfg, result, searcher, _Driver(node.url, w3, manifest, traffic, builder), metrics)
            finally:
                searcher.stop()
                await wiring.aclose()
            result.rss_end_mb = rss_mb()
        _check_state(result, node.url, manifest, searcher)
        result.injected = {k: v for k, v in proxy.faults()["injected"].items() if v}
    finally:
        if proxy is not None:
            proxy.stop()
        node.stop()
    result.duration_s = time.monotonic() - started
    return result


async def _drive(cfg: SoakConfig, result: SoakResult, searcher: Searcher, drv: _Driver, metrics: Metrics) -> None:
    start_head = drv.head()
    task = asyncio.create_task(searcher.run(use_ws=cfg.use_ws, poll_interval=0.25))
    watch = asyncio.create_task(_watch_loop(result.loop_stalls))
    result.rss_start_mb = rss_mb()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        public_ticks = 0
        for i in range(cfg.blocks):
            await asyncio.sleep(max(0.0, t0 + i * cfg.block_time - loop.time()))  # the chain's cadence
            if i:
                result.lags.append(max(0, drv.head() - searcher.store.head.number))
            if i % 20 == 0:
                result.rss_samples.append(round(rss_mb(), 1))
            if task.done():
                break
            if i % 2 == 1:
                await drv.built()
                continue
            public_ticks += 1
            if cfg.backrun_every and public_ticks % cfg.backrun_every == 0:
                await drv.held(cfg.block_time * 0.6)
            else:
                await drv.public()
        # The searcher gets a bounded time to reach the last block; how long it took shows in the lag.
        end = loop.time() + cfg.catch_up_s
        while loop.time() < end and searcher.store.head.number < drv.head() and not task.done():
            await asyncio.sleep(0.1)  # polling a condition with a deadline, not a fixed wait
        result.lags.append(max(0, drv.head() - searcher.store.head.number))
        result.still_running = not task.done()
    finally:
        searcher.stop()
        watch.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
    c = searcher.counters
    result.builder_pauses = sum(int(v) for _, v in _samples(metrics, "arbbot_builder_backoffs_total"))
    result.blocks_mined = drv.head() - start_head
    result.blocks_processed, result.blocks_skipped = c.blocks_processed, c.blocks_skipped
    result.simulations, result.sent, result.landed = c.simulated, c.sent, c.landed
    result.errors_by_kind = _by(metrics, "arbbot_searcher_errors_total", "kind")
    result.errors_by_where = _by(metrics, "arbbot_searcher_errors_total", "where")
    result.sim_errors = result.errors_by_where.get("simulation", 0)
    for labels, value in _samples(metrics, "arbbot_searcher_errors_total"):
        if value and labels["where"] == "simulation":
            result.sim_errors_by_kind[labels["kind"]] = int(value)
    result.node_faults = _by(metrics, "arbbot_node_faults_total", "kind")
    result.reorgs = len(searcher.updater.reorgs)
    result.stage_s = {
        labels["stage"]: round(value, 2)
        for labels, value in _samples(metrics, "arbbot_stage_latency_seconds_sum") if value
    }  # fmt: skip
    unproven = [
        f"{p.kind} for block {p.target_block}: sim success {p.sim.success}, executed {p.sim.executed is not None}, "
        f"net {p.expected_net}, {r.reason}"
        for p, r in zip(searcher.plans, searcher.results, strict=True)
        if r.sent and not (p.sim.success and p.sim.executed is not None and p.expected_net > 0)
    ]  # fmt: skip
    result.sent_without_success = len(unproven)
    result.unproven_sends = unproven


async def _watch_loop(stalls: list[float], every: float = 0.05) -> None:
    """Record how late the event loop wakes up: a stall means something blocked every coroutine."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(every)  # the probe's own period
        late = loop.time() - before - every
        if late > 0.25:
            stalls.append(round(late, 2))


def _check_state(result: SoakResult, node_url: str, manifest: Manifest, searcher: Searcher) -> None:
    """Every pool of the searcher's store equals a fresh sync of the same block, read straight from the node."""
    store = searcher.store
    rpc = RpcClient(node_url)
    canonical = rpc.call("eth_getBlockByNumber", [hex(store.head.number), False])
    if canonical is None or canonical["hash"].lower() != store.head.hash.lower():
        result.mismatched.append(f"head {store.head.number} {store.head.hash} is not on the chain")
        return
    # A Balancer pool kind with no state reader is never tracked (the store logs why): nothing to compare.
    tracked = [p for p in known_pools(manifest) if p.kind not in BALANCER_KINDS or p.kind in balancer_state.KINDS]
    fresh, failed = sync_pools(rpc, tracked, store.head.number)
    result.mismatched.extend(f"unreadable {p}" for p in failed)
    for pool in fresh:
        result.pools_checked += 1
        mine = store.get(pool.address)
        if mine is None or mine.to_dict() != pool.to_dict():
            result.mismatched.append(pool.address)


def run(cfg: SoakConfig) -> SoakResult:
    """`run_soak` for synchronous callers (`make soak`): runs it in a new event loop."""
    return asyncio.run(run_soak(cfg))
