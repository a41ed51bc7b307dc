"""The searcher: collectors -> strategies -> simulation -> executor, one update at a time.

A library object. `process_block` and `process_pending` handle one message each and never raise for
a bad message, a node or builder problem, or a failed simulation: they log, count and return. `run()`
feeds them from the block and pending-transaction collectors until `stop()`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from eth_utils import to_checksum_address

from arbbot.amm.balancer_pair import underlying_id
from arbbot.chain.jsonrpc import PER_BLOCK_HEDGE, PER_BLOCK_RETRY, PER_BLOCK_TIMEOUT, describe, failure_kind
from arbbot.chain.rpc import RpcClient
from arbbot.collectors.blocks import BlockCollector
from arbbot.collectors.pending import PendingTxCollector
from arbbot.collectors.types import NewBlock, PendingTx
from arbbot.engine.control import Change, ControlState
from arbbot.engine.control_api import export_metrics
from arbbot.engine.counters import Counters, SearcherEvent
from arbbot.engine.heads import newest
from arbbot.engine.journal import Journal
from arbbot.engine.pace import Pace
from arbbot.execution import capital as capital_choice
from arbbot.execution.bundles.rpc import RpcCaller
from arbbot.execution.capital import CapitalOption, CapitalSources
from arbbot.execution.plan import Executor, Landed, Missed, SubmitResult, TradePlan
from arbbot.execution.route import ZERO_ADDRESS, Capital, Route, RouteError, decode, encode, hop_for
from arbbot.metrics import Metrics
from arbbot.sim.candidate import CandidateSim, CandidateSimulator, PreTx, execute_calldata
from arbbot.sim.fork import ForkSimulator
from arbbot.sim.v4_quotes import simulated_view
from arbbot.state.store import PoolStore
from arbbot.state.updater import StateUpdater
from arbbot.strategy import batch
from arbbot.strategy.arbitrage import Candidate, CycleArbitrage
from arbbot.strategy.backrun import BackrunStrategy
from arbbot.strategy.bribe import Bid, BidContext, BribePolicy, clamp
from arbbot.strategy.costs import (
    Verdict,
    attached_bribe,
    cold_access_bound,
    judge,
    judge_valued,
    max_fee_per_gas,
    min_gross_for,
    min_token_profit,
)
from arbbot.strategy.valuation import DEFAULT_MIN_DEPTH, EthValue, eth_value

log = logging.getLogger(__name__)
T = TypeVar("T")

GAS_HEADROOM = 1.2  # gas limit over the simulated gas: a limit only, never what the trade is charged
# Below any route the executor can run (21,000 intrinsic + a token swap per hop, each well over 30,000):
# a candidate whose gross cannot pay this much gas is never simulated.
GAS_FLOOR_BASE, GAS_FLOOR_PER_HOP = 21_000, 30_000
LANDING_WINDOW = 50  # outcomes behind the recent landing rate a bid is made with
CALLDATA_SLACK = 256  # the guard's 16 bytes cost at most 16 * 12 more gas than the zero guard


@dataclass(frozen=True)
class SearcherParams:
    """How the searcher trades: its executor and sender, capital source, bribe share and profit floor, and limits."""

    executor: str  # the deployed ArbExecutor
    caller: str  # the address that sends our transactions (owner or an approved caller)
    capital: Capital = Capital.BALANCER
    lender: str = "0xBA12222222228d8Ba445958a75a0704d566BF2C8"
    bribe_share_bps: int = 9_000
    min_profit_wei: int = 0
    max_gas: int = 1_000_000
    fee_cap: int = 500 * 10**9
    priority_fee: int = 0
    blocks_ahead: int = 1
    max_candidates: int = 3
    size_top: int | None = 16  # cycles sized per update, best marginal rate first (None: all)
    # Trades of one update sent together in one bundle (pool-disjoint, each simulated in its position).
    # 1: the first candidate that passes is the trade, and no further candidate is simulated.
    max_trades_per_bundle: int = 1
    # When set, each route runs on the cheapest free capital among these, by simulated gas (capital and
    # lender above are then unused).
    capital_sources: CapitalSources | None = None
    # When set, V4 pools whose hook can change swap amounts are priced by simulating them through this V4Quoter
    # in the block's fork (pyrevm simulators only); otherwise cycles through them are never priced.
    v4_quoter: str | None = None
    # The chain's WETH. When set, a cycle in any other token is judged, bribed (ETH attached to the call)
    # and audited at the ETH value of its profit in the deepest trusted WETH pool outside the cycle
    # (strategy/valuation.py), refused when there is none with `valuation_min_depth` wei of WETH.
    weth: str | None = None
    valuation_min_depth: int = DEFAULT_MIN_DEPTH
    # Proposes the builder's share per opportunity (None: `bribe_share_bps` for every one), clamped to
    # [bribe_floor_bps, bribe_ceiling_bps]; the judge still refuses whatever the share leaves unprofitable.
    bribe_policy: BribePolicy | None = None
    bribe_floor_bps: int = 0
    bribe_ceiling_bps: int = 10_000


class Searcher:
    """The searcher loop (see the module docstring): one block or pending transaction at a time, from detection through
    simulation to submission, never raising for a bad message or a failing node, builder or simulation."""

    def __init__(
        self,
        *,
        rpc_url: str,
        store: PoolStore,
        arbitrage: CycleArbitrage,
        params: SearcherParams,
        executor: Executor,
        simulator_factory: Callable[[int], CandidateSimulator],
        node: RpcCaller,
        backrun: BackrunStrategy | None = None,
        metrics: Metrics | None = None,
        on_event: Callable[[SearcherEvent], None] | None = None,
        backoff: float = 1.0,
        journal: Journal | None = None,
        sim_timeout: float = 10.0,
        control: ControlState | None = None,
    ) -> None:
        self.rpc_url = rpc_url
        self.store = store
        self._observer = metrics.observe_transport if metrics is not None else None  # node faults by class
        rpc = RpcClient(rpc_url, PER_BLOCK_TIMEOUT, PER_BLOCK_RETRY, max_bytes=8 * 2**20, observer=self._observer,
                        hedge_after=PER_BLOCK_HEDGE)  # fmt: skip
        self.updater = StateUpdater(rpc, store)
        self.arbitrage = arbitrage
        self.backrun = backrun
        self.params = params
        self.executor = executor
        self.simulator_factory = simulator_factory
        self.node = node
        self.metrics = metrics
        self.on_event = on_event
        self.journal = journal
        self.counters = Counters()
        self.pace = Pace()  # processed heads over time: blocks/s and lag for the control API
        self.backoff = backoff
        self.sim_timeout = sim_timeout
        self._sim: CandidateSimulator | None = None
        # The next block's fork is prepared while the strategy runs (reads from the node, off the loop).
        self._sim_prep: concurrent.futures.Future[CandidateSimulator] | None = None
        self._stop = asyncio.Event()
        # `run` ends once this many blocks are processed, each in full (its trading too), never mid-block.
        self.max_blocks: int | None = None
        self._trade_lock = asyncio.Lock()
        self.plans: list[TradePlan] = []  # judged and handed to the executor, in order
        self.results: list[SubmitResult] = []  # what the executor did with each plan
        # Extra order-flow sources run by `run()` alongside blocks and pending txs (e.g. MEV-Share hints).
        self.sources: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.on_head: list[Callable[[int], Coroutine[Any, Any, None]]] = []  # each new head, after bundle tracking
        self._bundle_of: dict[int, str] = {}  # id(plan) -> its bundle's uuid, until its outcome is known
        self._bundle_open: dict[str, int] = {}  # bundle uuid -> its trades whose outcome is not known yet
        self._bundle_counted: set[str] = set()  # bundles already counted landed or missed
        fanout = getattr(executor, "fanout", None)
        names = [b.name for b in getattr(fanout, "builders", ())]
        # The operator's switches; without a control API they stay as configured (every builder enabled).
        self.control = control or ControlState(
            bribe_share_bps=params.bribe_share_bps, min_profit_wei=params.min_profit_wei, builders=names
        )
        self._control_generation = -1
        self._outcomes: deque[bool] = deque(maxlen=LANDING_WINDOW)  # recent bundles: landed or missed
        self._loop: asyncio.AbstractEventLoop | None = None  # where bundles are sent from (their withdrawals too)
        if metrics is not None:
            self.control.listeners.append(export_metrics(self.control, metrics))
        self.control.listeners.append(self._on_control)
        if fanout is not None and getattr(fanout, "gate", None) is None:
            # Checked by the fan-out right before each request leaves: a switch thrown mid-update still holds.
            fanout.gate = self.control.send_refusal

    # ---------------------------------------------------------------- reporting

    def _emit(self, event: str, **data: Any) -> None:
        if self.on_event is not None:
            try:
                self.on_event(SearcherEvent(event, data))
            except Exception:  # a broken progress hook must not stop the searcher
                log.exception("progress hook failed on %s", event)

    def _on_control(self, change: Change) -> None:
        self._emit("control", what=change.what, old=change.old, new=change.new, actor=change.actor,
                   generation=change.generation)  # fmt: skip
        if change.what == "killed" and change.new is True and change.old is not True:
            self._withdraw_in_flight("kill switch engaged")

    def _withdraw_in_flight(self, why: str) -> None:
        """Withdraw the bundles already sent (the kill switch stops what is in flight, not only what is next), on
        the loop they were sent from, whichever thread threw the switch."""
        withdraw = getattr(self.executor, "withdraw_all", None)
        loop = self._loop
        if withdraw is None or loop is None or loop.is_closed():
            return  # nothing was ever sent from a loop: nothing is in flight

        def now() -> None:
            n = withdraw(why)
            if n:
                log.warning("%s: withdrawing %d bundle(s) in flight at the builders that accepted them", why, n)
                self._emit("withdrawing", count=n, why=why)

        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            now()
        else:
            loop.call_soon_threadsafe(now)

    def apply_control(self) -> None:
        """Take the operator's bribe share and minimum profit into the params, when they changed since the
        last update (the judge and the on-chain guard then use them; the limits kept them within the config's)."""
        bribe, min_profit, generation = self.control.params()
        if generation == self._control_generation:
            return
        self._control_generation = generation
        if (bribe, min_profit) != (self.params.bribe_share_bps, self.params.min_profit_wei):
            self.params = replace(self.params, bribe_share_bps=bribe, min_profit_wei=min_profit)
            log.info("control: bribe share %d bps, minimum profit %d wei from this update on", bribe, min_profit)

    def held_back(self, kind: str, n: int) -> bool:
        """Whether `n` opportunities of `kind` must not be traded now (paused, or the kill switch engaged);
        they are counted as skipped and reported."""
        if self.control.paused_for(kind):
            self.counters.skipped_paused += n
            self._count("paused", kind, n)
            self._emit("paused", kind=kind, count=n)
            return True
        if (why := self.control.send_refusal()) is not None:
            self.counters.not_sent_killed += n
            self._count("killed", kind, n)
            self._emit("killed", kind=kind, count=n, reason=why)
            return True
        return False

    def _journal(self, write: Callable[[Journal], None]) -> None:
        if self.journal is None:
            return
        try:
            write(self.journal)
        except Exception as exc:  # the audit trail failing must not stop trading; it is counted and logged
            self._error("bundle journal", exc)

    def _journal_outcome(self, o: Landed | Missed) -> None:
        self._journal(lambda j: j.outcome(o))

    def _count(self, outcome: str, strategy: str, n: int = 1) -> None:
        if self.metrics is not None and n:
            self.metrics.opportunities.labels(outcome=outcome, strategy=strategy).inc(n)

    def _error(self, where: str, exc: BaseException) -> None:
        """Count, classify and log an error, once; the progress hook is told but does not log it again."""
        self.counters.errors += 1
        kind = failure_kind(exc)
        text = describe(exc)  # never empty ("TimeoutError: " says nothing)
        text = text if len(text) <= 300 else text[:300] + "…"  # some libraries put whole states in messages
        log.warning("%s failed [%s]: %s: %s", where, kind, type(exc).__name__, text)
        if self.metrics is not None:
            self.metrics.searcher_errors.labels(where=where, kind=kind).inc()
        self._emit("error", where=where, kind=kind, error=f"{type(exc).__name__}: {text}")

    def _skipped(self, block: NewBlock, n: int) -> None:
        self.counters.blocks_skipped += n
        if self.metrics is not None:
            self.metrics.blocks_skipped.inc(n)
        log.info("skipped %d stale block(s) %d-%d: trading on the newest head %d (their logs are still applied)",
                 n, block.number - n, block.number - 1, block.number)  # fmt: skip
        self._emit("skipped", count=n, head=block.number)

    # ---------------------------------------------------------------- one block

    async def process_block(self, block: NewBlock | None = None) -> list[TradePlan]:
        """Apply the chain up to `block` (default: head), check outstanding bundles, trade on what changed."""
        started = time.perf_counter()
        try:
            target, target_hash = (block.number, block.hash) if block is not None else (None, None)
            changed = await asyncio.to_thread(self.updater.catch_up, target, target_hash)
        except Exception as exc:  # node down, slow, garbage, reorg deeper than the undo log
            self._error("state update", exc)
            return []
        self.counters.blocks_processed += 1
        self._sim = None  # a new block: a new fork, prepared once and reused by every candidate of the block
        self._sim_prep = self._prepare_fork(self.store.head.number)
        if self.metrics is not None:
            self.metrics.blocks_processed.inc()
            self.metrics.stage_latency.labels(stage="state_update").observe(time.perf_counter() - started)
        head = self.store.head.number
        self.pace.block(head, self.store.head.timestamp, time.time())
        self._emit("block", number=head, changed=len(changed))
        retry = await self._track(head)
        for hook in self.on_head:
            try:
                await hook(head)
            except Exception as exc:  # another strategy's bookkeeping failing must not stop this block
                self._error("head hook", exc)
        t0 = time.perf_counter()
        # Pools of a bundle that missed are priced again even if nothing moved them: the gap may still be there.
        candidates = await self._cycles(changed | retry)
        if self.metrics is not None:
            self.metrics.stage_latency.labels(stage="strategy").observe(time.perf_counter() - t0)
        sent_before = self.counters.sent
        plans = await self._trade("cycle", candidates, ())
        self._emit("updated", number=head, hash=self.store.head.hash, candidates=len(candidates),
                   sent=self.counters.sent - sent_before)  # fmt: skip
        return plans

    async def _cycles(self, changed: set[str]) -> list[Candidate]:
        """Candidates among the cycles through `changed`, with hooked V4 pools priced in the block's fork."""
        p = self.params
        pools = self.store.pools
        hooked = p.v4_quoter is not None and any(getattr(m, "pricing", "math") == "simulation" for m in pools.values())
        if not hooked:
            return self.arbitrage.on_update(changed, pools, p.max_candidates, p.size_top)
        assert p.v4_quoter is not None
        quoter = p.v4_quoter

        def price() -> list[Candidate]:
            fork = getattr(self._simulator(), "fork", None)
            view = simulated_view(pools, fork, quoter) if isinstance(fork, ForkSimulator) else pools
            return self.arbitrage.on_update(changed, view, p.max_candidates, p.size_top)

        # Quotes share the fork (and its reads from the node) with simulations: one at a time, bounded in time.
        async with self._trade_lock:
            try:
                return await _in_daemon_thread(price, self.sim_timeout)
            except Exception as exc:  # the fork could not be read: this block trades on math-priced pools only
                self._sim = None
                self._error("simulated pricing", exc)
        return self.arbitrage.on_update(changed, pools, p.max_candidates, p.size_top)

    async def _track(self, head: int) -> set[str]:
        """Record landed and missed bundles; returns the pools of cycle trades that missed."""
        retry: set[str] = set()
        try:
            outcomes = await self.executor.on_block(head)
        except Exception as exc:
            self._error("inclusion tracking", exc)
            return retry
        for o in outcomes:
            self._journal_outcome(o)
            self._bundle_outcome(o)
            strategy = o.plan.kind
            if isinstance(o, Landed):
                self.counters.landed += 1
                self._outcomes.append(True)
                self.counters.realized_pnl_wei += o.realized_net
                self._count("landed", strategy)
                if self.metrics is not None:
                    self.metrics.pnl_wei.set(self.counters.realized_pnl_wei)
                self._emit("landed", kind=strategy, block=o.block_number, builder=o.builder, net=o.realized_net,
                           tx=o.tx_hash)  # fmt: skip
            else:
                self.counters.missed += 1
                self._outcomes.append(False)
                if o.plan.kind == "cycle":
                    retry.update(p.lower() for p in o.plan.candidate.pools)
                self._emit("missed", status=o.status, reason=o.reason, kind=strategy, tx=o.tx_hash,
                           block=head)  # fmt: skip
        return retry

    def _bundle_outcome(self, o: Landed | Missed) -> None:
        """Count a bundle landed or missed once, on the first outcome of its trades (they share its fate)."""
        bundle = self._bundle_of.pop(id(o.plan), None)
        if bundle is None or bundle not in self._bundle_open:
            return
        left = self._bundle_open[bundle]
        if bundle not in self._bundle_counted:
            self._bundle_counted.add(bundle)
            if isinstance(o, Landed):
                self.counters.bundles_landed += 1
                if self.metrics is not None and o.builder:
                    self.metrics.bundles_landed.labels(builder=o.builder).inc()
            else:
                self.counters.bundles_missed += 1
        self._bundle_open[bundle] = left - 1
        if left - 1 <= 0:
            del self._bundle_open[bundle]
            self._bundle_counted.discard(bundle)

    # ---------------------------------------------------------------- one pending transaction

    async def process_pending(self, ptx: PendingTx) -> list[TradePlan]:
        """Backrun a pending swap, if it is one we can model and it opens a profitable cycle."""
        self.counters.pending_seen += 1
        if self.backrun is None:
            return []
        try:
            swap = self.backrun.decode(ptx.tx)
            if swap is None:
                return []
            self.counters.swaps_decoded += 1
            _effect, candidates = self.backrun.candidates(
                swap, str(ptx.tx["to"]), self.store.pools, self.params.max_candidates, self.params.size_top
            )
            if not candidates:
                return []
            raw = await self.node.call("eth_getRawTransactionByHash", [ptx.hash])
            if raw is None:  # mined, replaced or dropped since it was seen: the ordinary fate of a pending tx
                self.counters.pending_gone += 1
                log.debug("pending %s left the mempool before it could be backrun", ptx.hash)
                return []
            if not isinstance(raw, str) or not raw.startswith("0x"):
                raise LookupError(f"no raw transaction for {ptx.hash}: the node answered {str(raw)[:80]!r}")
            tx = ptx.tx
            pre = PreTx(
                sender=to_checksum_address(tx["from"]),
                to=to_checksum_address(tx["to"]),
                data=bytes.fromhex(str(tx.get("input", "0x"))[2:]),
                value=_quantity(tx.get("value", 0)),
                gas=_quantity(tx.get("gas", 30_000_000)),
                raw=raw,
            )
        except Exception as exc:  # one bad pending message never stops the searcher
            self._error("pending transaction", exc)
            return []
        return await self._trade("backrun", candidates, (pre,))

    # ---------------------------------------------------------------- simulate, judge, hand over

    def _prepare_fork(self, block: int) -> concurrent.futures.Future[CandidateSimulator]:
        """Start building the block's fork in a daemon thread (a node that hangs cannot block exit)."""
        future: concurrent.futures.Future[CandidateSimulator] = concurrent.futures.Future()

        def work() -> None:
            try:
                future.set_result(self.simulator_factory(block))
            except BaseException as exc:  # handed to whoever simulates first, like a direct call would
                future.set_exception(exc)

        threading.Thread(target=work, name="searcher-fork", daemon=True).start()
        return future

    def _simulator(self) -> CandidateSimulator:
        if self._sim is None or self._sim.block != self.store.head.number:
            prep, self._sim_prep = self._sim_prep, None
            sim = prep.result() if prep is not None else None  # the caller's timeout bounds this wait
            if sim is None or sim.block != self.store.head.number:
                sim = self.simulator_factory(self.store.head.number)
            self._sim = sim
        return self._sim

    def _route(
        self, c: Candidate, min_profit: int, option: CapitalOption | None = None, share_bps: int | None = None
    ) -> bytes:
        hops = tuple(hop_for(self._model(h.pool), h.zero_for_one) for h in c.hops)
        p = self.params
        cap, lender = (option.capital, option.lender) if option is not None else (p.capital, p.lender)
        share = p.bribe_share_bps if share_bps is None else share_bps
        share = 0 if self._valued(c) else share  # a non-WETH route pays with attached ETH
        return encode(Route(cap, lender, c.token, c.amount_in, min_profit, share, hops))

    def _bid(self, kind: str, c: Candidate, gross_eth: int, gas: int, fee: int, base_fee: int) -> Bid:
        """The builder's share for this opportunity: the policy's proposal within [floor, ceiling], or the
        operator's static share without a policy (or when the policy fails: logged, counted)."""
        p = self.params
        fanout = getattr(self.executor, "fanout", None)
        builders = sum(1 for b in getattr(fanout, "builders", ()) if self.control.send_refusal(b.name) is None)
        ctx = BidContext(
            kind=kind, gross_wei=gross_eth, gas=gas, max_fee_per_gas=fee, base_fee=base_fee,
            pool_kinds=tuple(self._model(h.pool).kind for h in c.hops), builders=max(1, builders),
            recent_landing_rate=self._landing_rate(),
        )  # fmt: skip
        policy = p.bribe_policy
        if policy is None:
            return Bid("static", p.bribe_share_bps, ctx)
        try:
            proposed = policy.share_bps(ctx)
        except Exception as exc:  # a broken policy costs this opportunity its tuning, never the searcher
            self._fallback(f"policy {policy.name} failed: {exc}")
            return Bid("static", clamp(p.bribe_share_bps, p.bribe_floor_bps, p.bribe_ceiling_bps), ctx)
        why = getattr(policy, "last_fallback", None)
        if why:  # the policy could not bid here: the operator's static share, as it stands now
            self._fallback(str(why))
            return Bid("static", clamp(p.bribe_share_bps, p.bribe_floor_bps, p.bribe_ceiling_bps), ctx)
        return Bid(policy.name, clamp(int(proposed), p.bribe_floor_bps, p.bribe_ceiling_bps), ctx)

    def _fallback(self, why: str) -> None:
        """The bribe policy fell back to the static share: said in the log and in metrics."""
        reason = why.split(":", 1)[0][:60]
        log.info("bribe: static share (%s)", why)
        if self.metrics is not None:
            self.metrics.bribe_fallbacks.labels(reason=reason).inc()

    def _landing_rate(self) -> float:
        """Landed / (landed + missed) over our recent outcomes (0.5 before any)."""
        seen = self._outcomes
        return sum(seen) / len(seen) if seen else 0.5

    def _unfundable(self, c: Candidate) -> str | None:
        """Why the configured capital cannot run `c` (a Balancer hop in the Vault's own flash loan, say), or None."""
        try:
            self._route(c, 0)
        except RouteError as exc:
            return f"capital {self.params.capital.name} cannot run this route: {exc}"
        return None

    def _valued(self, c: Candidate) -> bool:
        """Whether `c`'s profit is in a token other than WETH (and so valued in ETH)."""
        return self.params.weth is not None and c.token.lower() != self.params.weth.lower()

    def _valuation(self, c: Candidate, amount: int) -> EthValue | None:
        """`amount` of `c`'s token in ETH at the head block, never priced by a pool `c` trades through."""
        p = self.params
        assert p.weth is not None
        return eth_value(amount, c.token, p.weth, self.store.pools.values(), exclude=c.pools,
                         min_depth=p.valuation_min_depth)  # fmt: skip

    def _model(self, pool: str) -> Any:
        model = self.store.get(pool)
        if model is None:
            raise ValueError(f"pool {pool} is no longer tracked")
        return model

    def _capital(
        self, sim: CandidateSimulator, c: Candidate, pre: tuple[PreTx, ...], value: int = 0
    ) -> tuple[CapitalOption | None, CandidateSim]:
        """The capital to run `c` on and its probe simulation: the configured one, or, with capital sources
        set, the cheapest by simulated gas among those whose run shows the modelled profit."""
        p = self.params
        if p.capital_sources is None:
            return None, sim.run(p.executor, p.caller, self._route(c, 0), pre, p.max_gas, value)
        hops = tuple(hop_for(self._model(h.pool), h.zero_for_one) for h in c.hops)
        runs: dict[CapitalOption, CandidateSim] = {}

        def measure(option: CapitalOption) -> capital_choice.Measured:
            run = sim.run(p.executor, p.caller, self._route(c, 0, option), pre, p.max_gas, value)
            runs[option] = run
            ok = run.success and run.gross_profit == c.gross_profit
            return capital_choice.Measured(option, ok, run.gas_used, run.reason)

        best = capital_choice.cheapest(capital_choice.options(hops, p.capital_sources), measure)
        if best is None:
            failed = next(iter(runs.values()), CandidateSim(False, 0, False, None, "no capital source can run it"))
            return None, failed
        return best.option, runs[best.option]

    async def _trade(self, kind: str, candidates: Sequence[Candidate], pre: tuple[PreTx, ...]) -> list[TradePlan]:
        # Blocks and pending transactions arrive concurrently; they share one fork and one nonce, so
        # simulating and sending is one at a time.
        async with self._trade_lock:
            return await self._trade_locked(kind, candidates, pre)

    async def _trade_locked(
        self, kind: str, candidates: Sequence[Candidate], pre: tuple[PreTx, ...]
    ) -> list[TradePlan]:
        self.counters.opportunities_found += len(candidates)
        self._count("found", kind, len(candidates))
        self.apply_control()
        if candidates and self.held_back(kind, len(candidates)):
            return []
        judged: list[TradePlan] = []
        for c in candidates:
            self._emit("found", kind=kind, token=c.token, amount_in=c.amount_in, gross=c.gross_profit, hops=len(c.hops))
            try:
                plan = await _in_daemon_thread(lambda c=c: self._plan(kind, c, pre), self.sim_timeout)  # type: ignore[misc]
            except TimeoutError:
                # A fork that cannot read its node may never return: abandon it (and its thread), go on.
                self._sim = None
                self._error("simulation", TimeoutError(f"no result within {self.sim_timeout:g}s (node slow or down?)"))
                break
            except Exception as exc:  # the fork could not be read (node down, stale block): next update
                self._error("simulation", exc)
                continue
            if plan is not None:
                judged.append(plan)
                if self.params.max_trades_per_bundle <= 1:
                    break  # candidates come best first: the first that passes is the trade
        if not judged:
            return []
        if len(judged) == 1:
            return await self._send(kind, judged)
        # Each plan was judged alone, right after `pre`. The compatible set worth the most goes out as one
        # bundle, and only as simulated there: each trade after the ones before it.
        try:
            chosen = await _in_daemon_thread(lambda: self._together(kind, judged, pre), self.sim_timeout)
        except Exception as exc:  # the fork failed mid-way: the best single trade, simulated alone, still stands
            if isinstance(exc, TimeoutError):
                self._sim = None
            self._error("simulation", exc)
            chosen = [max(judged, key=lambda p: p.expected_net)]
        return await self._send(kind, chosen)

    async def _send(self, kind: str, plans: list[TradePlan]) -> list[TradePlan]:
        """Hand the plans to the executor: one plan alone, several as one bundle in the simulated order."""
        # A switch thrown while they were simulated holds (the fan-out checks the kill switch again per request).
        if self.held_back(kind, len(plans)):
            return []
        self._loop = asyncio.get_running_loop()
        submit_batch = getattr(self.executor, "submit_batch", None)
        if len(plans) > 1 and submit_batch is None:
            plans = plans[:1]  # the first ran right after `pre`, as it would alone: its simulation holds
        try:
            if submit_batch is None or len(plans) == 1:
                results = [await self.executor.submit(plans[0])]
            else:
                results = await submit_batch(plans)
        except Exception as exc:
            self._error("submission", exc)
            await asyncio.sleep(0)
            return []
        self.plans.extend(plans)
        self.results.extend(results)
        self._journal(lambda j: j.sent_batch(plans, results))
        if results[0].sent:
            self.counters.bundles_sent += 1
            for plan in plans:
                self._bundle_of[id(plan)] = results[0].uuid or ""
            self._bundle_open[results[0].uuid or ""] = len(plans)
        if len(plans) > 1 and results[0].sent:
            self.counters.multi_trade_bundles += 1
            if self.metrics is not None:
                self.metrics.multi_trade_bundles.inc()
        for i, (plan, result) in enumerate(zip(plans, results, strict=True)):
            if result.sent:
                self.counters.sent += 1
                self._count("sent", kind)
            self._emit("sent" if result.sent else "dry-run", kind=kind, reason=result.reason, net=plan.expected_net,
                       tx=result.tx_hash, builders=list(result.accepted_by), position=i,
                       bundle_trades=len(plans), uuid=result.uuid, target_block=plan.target_block)  # fmt: skip
        return plans

    def _together(self, kind: str, plans: list[TradePlan], pre: tuple[PreTx, ...]) -> list[TradePlan]:
        """The compatible plans of greatest total expected net, re-judged in sequence on one fork."""
        items = [self._item(p) for p in plans]
        balances = self._own_balances(items)
        chosen = [plans[i] for i in batch.choose(items, balances)]
        chosen.sort(key=lambda p: -p.expected_net)  # best first: it runs exactly as it was judged alone
        chosen = chosen[: max(self.params.max_trades_per_bundle, 1)]
        for p in plans:
            if not any(p is q for q in chosen):
                self.counters.not_chosen += 1
                self._count("not_chosen", kind)
                self._emit("not-chosen", kind=kind, net=p.expected_net, reason="conflicts with a better set of trades")
        return self._sequence(kind, chosen, pre)

    def _sequence(self, kind: str, plans: list[TradePlan], pre: tuple[PreTx, ...]) -> list[TradePlan]:
        """Simulate `plans` one after another on one fork, each judged in its position; the first that no longer
        passes is dropped and the rest simulated again, until all pass. Returns the plans as simulated."""
        p = self.params
        plans = list(plans)
        while len(plans) > 1:
            sim = self._simulator()
            routes = [_route_of(x) for x in plans]
            runs = sim.run_sequence(p.executor, p.caller, routes, pre, p.max_gas, [x.value for x in plans])
            placed: list[TradePlan] = []
            for i, (plan, run) in enumerate(zip(plans, runs, strict=True)):
                again = self._in_position(kind, plan, run, i)
                if again is None:
                    del plans[i]
                    break
                placed.append(again)
            else:
                return placed
        return plans

    def _in_position(self, kind: str, plan: TradePlan, run: CandidateSim, position: int) -> TradePlan | None:
        """`plan` judged again on its run after the trades before it in the bundle (None: not sendable there)."""
        p, c = self.params, plan.candidate
        where = f"after {position} trade(s) before it in the bundle"
        if not run.success or run.gross_profit != c.gross_profit:
            reason = run.reason if not run.success else f"model {c.gross_profit} != simulation {run.gross_profit}"
            self.counters.dropped_in_sequence += 1
            self._count("dropped", kind)
            self._emit("dropped", kind=kind, reason=f"{where}: {reason}")
            return None
        share = plan.bid.share_bps if plan.bid is not None else None
        verdict = self._verdict(c, run, plan.max_fee_per_gas, plan.value, share)
        if not verdict.send:
            self.counters.dropped_in_sequence += 1
            self._reject(kind, c, f"{where}: {verdict.reason}")
            return None
        gas_limit = min(p.max_gas, max(plan.gas_limit, _gas_limit(run, len(c.hops))))
        return replace(plan, sim=run, expected_net=verdict.net_profit, gas_limit=gas_limit)

    def _item(self, plan: TradePlan) -> batch.Item:
        route = _route_of_plan(plan)
        own = {route.token.lower(): route.amount_in} if route.capital == Capital.OWN else {}
        lender = route.lender.lower()
        borrows = frozenset() if route.capital == Capital.OWN or lender == ZERO_ADDRESS.lower() else frozenset({lender})
        # Views of one Balancer pool share its balances: they conflict as one pool (`underlying_id`).
        touches = frozenset(underlying_id(x) for x in plan.candidate.pools)
        return batch.Item(plan.expected_net, touches, own, borrows)

    def _own_balances(self, items: Sequence[batch.Item]) -> dict[str, int] | None:
        """The executor's balance of each token that trades take from it (None when the fork cannot say)."""
        tokens = {t for it in items for t in it.own}
        if not tokens:
            return {}
        fork = getattr(self._simulator(), "fork", None)
        if not isinstance(fork, ForkSimulator):
            return None
        return {t: fork.token_balance(to_checksum_address(t), self.params.executor) for t in tokens}

    def _plan(self, kind: str, c: Candidate, pre: tuple[PreTx, ...]) -> TradePlan | None:
        """Simulate, then judge: returns a plan only if the simulation shows profit after all costs."""
        p = self.params
        started = time.perf_counter()
        sim = self._simulator()
        fee = max_fee_per_gas(sim.base_fee, p.blocks_ahead, p.priority_fee)
        # A non-WETH profit is judged at its ETH value; the builder's share of that value is ETH attached to
        # the call (paid by the executor only if the route succeeds), so the route itself carries no share.
        valued = self._valued(c)
        worth = self._worth(c) if valued else None
        gross_eth = worth(c.gross_profit) if worth is not None else c.gross_profit
        if gross_eth is None:
            self._reject(kind, c, f"no trusted ETH valuation of {c.token} (no deep WETH pool outside the cycle)")
            return None
        if p.capital_sources is None and (why := self._unfundable(c)) is not None:
            self._reject(kind, c, why)
            return None
        # Before the gas is known the share is not chosen yet: the lowest one it can be decides what is worth a
        # simulation (the judge decides on the chosen share after it).
        lowest = p.bribe_share_bps if p.bribe_policy is None else p.bribe_floor_bps
        share = 0 if valued else lowest
        bribe = attached_bribe(gross_eth, lowest) if valued else 0
        floor = min_gross_for(
            max(p.min_profit_wei, 1) + bribe, GAS_FLOOR_BASE + GAS_FLOOR_PER_HOP * len(c.hops), fee, share
        )
        if floor is None or gross_eth < floor:
            self._reject(
                kind, c, f"gross {c.gross_profit} cannot pay the gas floor at {fee} and the share: not simulated"
            )
            return None
        # First run without a guard, for the gas (and the cheapest capital); then the real route, guarded on
        # chain by minProfit.
        option, probe = self._capital(sim, c, pre, bribe)
        self.counters.simulated += 1
        self._count("simulated", kind)
        if not self._agrees(kind, c, probe):
            return None
        slack = CALLDATA_SLACK + _gas_allowance(probe, len(c.hops))
        bid = self._bid(kind, c, gross_eth, probe.gas_used + slack, fee, sim.base_fee)
        if self.metrics is not None:
            self.metrics.bribe_share_bps.labels(policy=bid.policy).set(bid.share_bps)
        bribe = attached_bribe(gross_eth, bid.share_bps) if valued else 0
        if worth is not None:
            # The token profit whose ETH value pays the attached bribe, the gas and the minimum.
            need = bribe + (probe.gas_used + slack) * fee + max(p.min_profit_wei, 1)
            guard = min_token_profit(need, c.gross_profit, worth)
        else:
            guard = min_gross_for(max(p.min_profit_wei, 1), probe.gas_used + slack, fee, bid.share_bps)
        if guard is None or guard > c.gross_profit:
            self._reject(kind, c, f"gross {c.gross_profit} cannot pay gas {probe.gas_used} at {fee} and the share")
            return None
        route = self._route(c, guard, option, bid.share_bps)
        final = sim.run(p.executor, p.caller, route, pre, p.max_gas, bribe)
        if not self._agrees(kind, c, final):
            return None
        verdict = self._verdict(c, final, fee, bribe, bid.share_bps)
        if self.metrics is not None:
            self.metrics.stage_latency.labels(stage="simulation").observe(time.perf_counter() - started)
        if not verdict.send:
            self._reject(kind, c, verdict.reason)
            return None
        gas_limit = min(p.max_gas, _gas_limit(final, len(c.hops)))
        self._emit("simulated", kind=kind, gas=final.gas_used, net=verdict.net_profit, gross=final.gross_profit)
        return TradePlan(
            kind=kind,  # type: ignore[arg-type]
            candidate=c,
            executor=p.executor,
            calldata=execute_calldata(route),
            gas_limit=gas_limit,
            max_fee_per_gas=fee,
            priority_fee=p.priority_fee,
            target_block=sim.block + 1,
            blocks=p.blocks_ahead,
            sim=final,
            expected_net=verdict.net_profit,
            pre_raw=tuple(t.raw for t in pre if t.raw),
            pre_hashes=tuple(_hash(t.raw) for t in pre if t.raw),
            value=bribe,
            valuation=self._valuation(c, c.gross_profit) if valued else None,
            bid=bid,
        )

    def _worth(self, c: Candidate) -> Callable[[int], int | None]:
        """ETH value (wei) of an amount of `c`'s token, or None; non-decreasing in the amount."""

        def worth(amount: int) -> int | None:
            v = self._valuation(c, amount)
            return None if v is None else v.wei

        return worth

    def _verdict(
        self, c: Candidate, run: CandidateSim, fee: int, bribe: int = 0, share_bps: int | None = None
    ) -> Verdict:
        """The judge on one simulated run (alone or in its bundle position): gas charged with what the run
        may understate where it is not exact; a non-WETH profit at its ETH value, with the attached bribe."""
        p = self.params
        gas_charged = run.gas_used + _gas_allowance(run, len(c.hops))
        if self._valued(c):
            worth = self._worth(c)
            return judge_valued(
                sim_success=run.success, sim_gross_profit=run.gross_profit, model_gross_profit=c.gross_profit,
                gross_eth=worth(run.gross_profit) if run.gross_profit is not None else None, bribe=bribe,
                gas_charged=gas_charged, fee_per_gas=fee, min_profit=p.min_profit_wei, max_gas=p.max_gas,
                fee_cap=p.fee_cap,
            )  # fmt: skip
        return judge(
            sim_success=run.success, sim_gross_profit=run.gross_profit, model_gross_profit=c.gross_profit,
            gas_charged=gas_charged, fee_per_gas=fee,
            share_bps=p.bribe_share_bps if share_bps is None else share_bps, min_profit=p.min_profit_wei,
            max_gas=p.max_gas, fee_cap=p.fee_cap,
        )  # fmt: skip

    def _agrees(self, kind: str, c: Candidate, sim: CandidateSim) -> bool:
        if not sim.success:
            self.counters.sim_failed += 1
            self._count("dropped", kind)
            self._emit("dropped", kind=kind, reason=sim.reason)
            return False
        if sim.gross_profit != c.gross_profit:
            self.counters.sim_disagreed += 1
            self._count("dropped", kind)
            self._emit("dropped", kind=kind, reason=f"model {c.gross_profit} != simulation {sim.gross_profit}")
            return False
        return True

    def _reject(self, kind: str, c: Candidate, reason: str) -> None:
        self.counters.rejected += 1
        self._count("rejected", kind)
        self._emit("rejected", kind=kind, reason=reason, gross=c.gross_profit)

    # ---------------------------------------------------------------- the loop

    def stop(self) -> None:
        """Ask `run` to end after the update in hand."""
        self._stop.set()

    def in_flight(self) -> int:
        """Bundles sent whose outcome is not known yet."""
        return len(getattr(self.executor, "outstanding", ()))

    async def drain(
        self,
        *,
        max_blocks: int,
        timeout: float,
        poll_interval: float = 0.5,
        cancelled: Callable[[], bool] | None = None,
    ) -> int:
        """After the loop stopped: follow the head without trading until every bundle in flight has landed
        or missed (at most `max_blocks` new blocks, `timeout` seconds), so a run's journal and counters
        account for everything it sent. Returns how many are still unresolved."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last = self.store.head.number
        seen = 0
        while self.in_flight() and seen < max_blocks and loop.time() < deadline:
            if cancelled is not None and cancelled():
                break
            try:
                head = int(await self.node.call("eth_blockNumber"), 16)
            except Exception as exc:  # a node fault while draining: try again until the deadline
                self._error("inclusion tracking", exc)
                head = last
            if head > last:
                seen += head - last
                last = head
                await self._track(head)
            else:
                await asyncio.sleep(poll_interval)  # the chain's pace: nothing to do until the next block
        return self.in_flight()

    async def run(self, *, use_ws: bool = True, poll_interval: float = 0.5) -> None:
        """Consume new blocks and pending transactions until `stop()`."""
        self._stop.clear()
        blocks = BlockCollector(self.rpc_url, use_ws=use_ws, poll_interval=poll_interval,
                                start_after=self.store.head.number, observer=self._observer)  # fmt: skip
        tasks = [asyncio.create_task(self._consume_blocks(blocks))]
        if self.backrun is not None:
            pending = PendingTxCollector(self.rpc_url, use_ws=use_ws, poll_interval=poll_interval,
                                         observer=self._observer)  # fmt: skip
            tasks.append(asyncio.create_task(self._consume_pending(pending)))
        tasks.extend(asyncio.create_task(source()) for source in self.sources)
        stopper = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (stopper, *tasks):
                t.cancel()
            for t in (stopper, *tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t

    async def _consume_blocks(self, collector: BlockCollector) -> None:
        while not self._stop.is_set():
            try:
                # A slow node or a slow block leaves newer heads waiting: trade on the newest, say how many waited.
                async for block, skipped in newest(collector.stream()):
                    if skipped:
                        self._skipped(block, skipped)
                    await self.process_block(block)
                    if self.max_blocks is not None and self.counters.blocks_processed >= self.max_blocks:
                        self.stop()
                        return
                    if self.store.head.number < block.number:
                        # It vanished or could not be read: the chain's blocks after the store's head are handed
                        # out again (the same block re-mined keeps its hash; nothing else would announce it).
                        collector.rewind(self.store.head.number)
                    if self._stop.is_set():
                        return
            except Exception as exc:  # the collector itself failed (node down): back off and resubscribe
                self._error("block collector", exc)
                await asyncio.sleep(self.backoff)

    async def _consume_pending(self, collector: PendingTxCollector) -> None:
        while not self._stop.is_set():
            try:
                async for ptx in collector.stream():
                    await self.process_pending(ptx)
                    if self._stop.is_set():
                        return
            except Exception as exc:
                self._error("pending collector", exc)
                await asyncio.sleep(self.backoff)


async def _in_daemon_thread(fn: Callable[[], T], timeout: float) -> T:
    """Run fn in a daemon thread and wait at most `timeout`: a hung call cannot block the loop or process exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, exc: BaseException | None) -> None:
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (fn(), None)
        except BaseException as exc:  # handed to the awaiting coroutine, not lost in the thread
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name="searcher-sim", daemon=True).start()
    return await asyncio.wait_for(future, timeout)


def _quantity(value: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    raise ValueError(f"not a quantity: {value!r}")


def _route_of_plan(plan: TradePlan) -> Route:
    return decode(_route_of(plan))


def _gas_allowance(run: CandidateSim, hops: int) -> int:
    """Gas to add to a run's gas_used for what it may understate: nothing when exact; otherwise the larger of the
    per-hop cold-access allowance and the bound from what earlier calls in the same fork spent."""
    return 0 if run.gas_exact else max(cold_access_bound(hops), run.gas_uncertainty)


def _gas_limit(run: CandidateSim, hops: int) -> int:
    """The transaction's gas limit: the simulated gas with headroom, plus at least the cold-access allowance."""
    return int(run.gas_used * GAS_HEADROOM) + 10_000 + max(cold_access_bound(hops), _gas_allowance(run, hops))


def _route_of(plan: TradePlan) -> bytes:
    """The route inside execute(bytes route) calldata (the plan's own encoding, read back)."""
    data = plan.calldata
    length = int.from_bytes(data[36:68], "big")
    return bytes(data[68 : 68 + length])


def _hash(raw: str) -> str:
    from arbbot.execution.bundles.transactions import tx_hash

    return tx_hash(raw)
