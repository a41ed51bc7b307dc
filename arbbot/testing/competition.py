"""Competition on the replica: seeded competing searchers in the local builder's auctions (a synthetic model of
a competitor population, for testing and for making a bidding history to learn from).

Each competitor is a real searcher of this package, wired as `arbbot run --live` wires one (`engine.factory.build`),
with its own key (anvil's public dev mnemonic, accounts from `FIRST_COMPETITOR_ACCOUNT` on, funded with
anvil_setBalance: the replica only), its own ArbExecutor and its own bribe policy (competition_config). All of them
and arbbot's own searcher send to the same `LocalBuilder`, which orders bundles by what they pay per gas and leaves
out a bundle whose transaction reverts after the ones before it: for one dislocation, the highest payer lands and
the others revert on their executor's minimum-profit guard and are left out.

The driver (`run_competition`) is the chain's clock, as the demo is: each round, seeded user swaps are mined (the
dislocations); every searcher processes the new head in a seeded arrival order; the builder builds the next block.

Latency: for each block, a competitor's bundle reaches the builder before the build with chance
`arrival_bps / 10,000`, drawn from (run seed, competitor seed, name, block) — the same draw every run. A competitor
that is late for a block still follows the chain (its state and outcomes), but is paused for that block, so it sends
nothing for it. arbbot's own searcher is always on time.

What it does not model: competitors run this package's own strategy and simulator (the same routes, found the same
way); no private order flow, no other builders, no bundle merging beyond the local builder's greedy order, no
relays, no arrival times within a block other than the arrival order.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3

from arbbot.audit.bundle_log import BundleLog
from arbbot.audit.chain import ChainReader
from arbbot.audit.misses import attribute_misses
from arbbot.chain.anvil import AnvilNode, dev_key
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.config import BuilderSettings, SearcherSettings
from arbbot.db import crud
from arbbot.db import engine as db_engine
from arbbot.devnet import snapshot
from arbbot.devnet.context import context_from_manifest
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.devnet.traffic import Traffic, scenario_prices
from arbbot.engine.factory import Wiring, build
from arbbot.engine.journal import Journal
from arbbot.engine.searcher import Searcher
from arbbot.errors import DevnetError
from arbbot.execution.plan import TradePlan
from arbbot.metrics import Metrics
from arbbot.strategy.bribe import BPS, BribePolicy
from arbbot.testing.competition_config import CompetitionSpec, CompetitorSpec
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder

ARBBOT = "arbbot"  # arbbot's own searcher, in the results
OWNER_ACCOUNT = 0  # arbbot's own key, as in the demo
FIRST_COMPETITOR_ACCOUNT = 20  # past the accounts the demo, the tests and the users take (0..9)
COMPETITOR_FUNDS_WEI = 100 * 10**18  # gas money for each competitor (anvil_setBalance)

Progress = Callable[[str], None]
LATENCY_ACTORS = ("latency", "competition")  # the driver's own pauses: not operator changes


class _DriverPauses(logging.Filter):
    """Leaves out of the log the control changes the driver makes (a late competitor paused for one block), which
    the control state otherwise logs as an operator's change."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.args, tuple) and any(a in LATENCY_ACTORS for a in record.args))


def _draw(*parts: object) -> int:
    """A 64-bit number fixed by `parts` (same parts, same number, on every machine)."""
    return int.from_bytes(hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()[:8], "big")


def competitor_seed(run_seed: int, spec: CompetitorSpec) -> int:
    """The seed of a competitor's own draws (its noise) in a run: its file seed mixed with the run's."""
    return _draw("seed", run_seed, spec.seed, spec.name)


def arrives(run_seed: int, spec: CompetitorSpec, block: int) -> bool:
    """Whether the competitor's bundle for `block` reaches the builder before it builds (see the module docstring)."""
    return _draw("arrival", run_seed, spec.seed, spec.name, block) % BPS < spec.arrival_bps


def arrival_order(run_seed: int, block: int, names: list[str]) -> list[str]:
    """The order in which the searchers see the head before `block` and send (it breaks the builder's ties)."""
    order = list(names)
    random.Random(_draw("order", run_seed, block)).shuffle(order)
    return order


@dataclass(frozen=True)
class SentBid:
    """A bundle a searcher sent for a round's block: its share, the expected gross, and the pools it trades."""

    share_bps: int
    gross_wei: int
    pools: tuple[str, ...]


@dataclass
class RoundResult:
    """One round: the block built, who sent what for it, who was late, who landed and what the builder was paid."""

    round: int
    block: int
    order: list[str]
    bids: dict[str, SentBid] = field(default_factory=dict)
    late: list[str] = field(default_factory=list)
    winners: list[str] = field(default_factory=list)  # searchers with a transaction in the block, in block order
    winner_txs: list[str] = field(default_factory=list)  # their transactions' hashes, in the same order
    builder_paid_wei: int = 0  # the builder coinbase's balance change over the block

    def line(self) -> str:
        """One progress line for this round."""
        bids = ", ".join(f"{n} {b.share_bps}" for n, b in self.bids.items()) or "none"
        late = f"; late: {', '.join(self.late)}" if self.late else ""
        won = ", ".join(self.winners) or "nobody"
        return f"round {self.round}: block {self.block}, bids (bps) {bids}{late}; won: {won}"

    def to_json(self) -> dict[str, object]:
        """As written to rounds.json."""
        return {
            "round": self.round, "block": self.block, "order": self.order, "late": self.late,
            "winners": self.winners, "winner_txs": self.winner_txs, "builder_paid_wei": str(self.builder_paid_wei),
            "bids": {n: {"share_bps": b.share_bps, "gross_wei": str(b.gross_wei), "pools": list(b.pools)}
                     for n, b in self.bids.items()},
        }  # fmt: skip


@dataclass(frozen=True)
class JournaledBundle:
    """One of arbbot's bundles as its journal ended it."""

    target_block: int
    status: str
    landed: bool
    share_bps: int | None
    policy: str | None
    lost_to: dict[str, object] | None = None  # a miss: who took it and what it paid (arbbot.audit.outbid)


@dataclass
class CompetitionResult:
    """What a run left: the rounds, arbbot's journaled bundles, and where its database and bundle log are."""

    rounds: list[RoundResult]
    journal: list[JournaledBundle]
    db_url: str
    bundle_log: Path
    addresses: dict[str, str]  # searcher name -> the address that signs its transactions
    sent: dict[str, int] = field(default_factory=dict)  # searcher name -> bundles it sent over the run


@dataclass(frozen=True)
class CompetitionConfig:
    """A run: the competition, the rounds and seed, arbbot's own bribe policy and share bounds, the user traffic
    and where the database and logs go."""

    competition: CompetitionSpec
    policy: BribePolicy
    out_dir: Path
    rounds: int = 10
    seed: int = 1
    floor_bps: int = 0
    ceiling_bps: int = BPS
    swaps_per_round: int = 2
    min_swap_eth: Decimal = Decimal(20)
    max_swap_eth: Decimal = Decimal(120)


def competitor_key(index: int) -> str:
    """The dev key of competitor `index` (public dev mnemonic: the replica only, never real money)."""
    return dev_key(FIRST_COMPETITOR_ACCOUNT + index)


def _deploy_for(w3: Web3, url: str, manifest: Manifest, address: str) -> str:
    """Fund `address` and deploy an ArbExecutor it owns (anvil impersonation: the replica only)."""
    raw_rpc(url, "anvil_setBalance", [address, hex(COMPETITOR_FUNDS_WEI)])
    raw_rpc(url, "anvil_impersonateAccount", [address])
    try:
        return str(deploy_executor(w3, manifest, address).address)
    finally:
        raw_rpc(url, "anvil_stopImpersonatingAccount", [address])


async def _searcher(
    manifest: Manifest, url: str, builder_url: str, executor: str, key: str, policy: BribePolicy,
    floor_bps: int, ceiling_bps: int, journal: Journal | None,
) -> Wiring:  # fmt: skip
    """A live searcher wired as `arbbot run --live` wires it, sending to the local builder, bidding by `policy`."""
    cfg = SearcherSettings(
        builders=[BuilderSettings(name="local", url=builder_url, coinbase=LOCAL_BUILDER_COINBASE)],
        executor=executor, max_hops=3, capital="balancer",
    )  # fmt: skip
    wiring = await build(cfg, context_from_manifest(manifest, url), live=True, metrics=Metrics(),
                         coinbase=LOCAL_BUILDER_COINBASE, key=key, journal=journal)  # fmt: skip
    s = wiring.searcher
    s.params = replace(s.params, bribe_policy=policy, bribe_floor_bps=floor_bps, bribe_ceiling_bps=ceiling_bps)
    return wiring


def _bid(plans: list[TradePlan]) -> SentBid | None:
    if not plans or plans[0].bid is None:
        return None
    p = plans[0]
    assert p.bid is not None
    return SentBid(p.bid.share_bps, p.candidate.gross_profit, tuple(a.lower() for a in p.candidate.pools))


async def _settle(s: Searcher) -> None:
    """Every request about bundles in flight answered before the build (the same seed, the same blocks)."""
    settle = getattr(s.executor, "settle", None)
    if settle is not None:
        await settle()


async def run_competition(cfg: CompetitionConfig, progress: Progress | None = None) -> CompetitionResult:
    """Run `cfg.rounds` rounds on a replica node started from the competition's scenario snapshot (stopped by PID
    at the end, whatever happens): see the module docstring. arbbot's bundles are journaled in
    `out_dir/arbbot.db` (and `out_dir/bundles.jsonl`); each ends landed or missed with its bid."""
    say = progress or (lambda _text: None)
    if cfg.rounds < 1:
        raise DevnetError(f"rounds: need at least 1, got {cfg.rounds}")
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    say(f"replica: loading the {cfg.competition.scenario} snapshot")
    snap = snapshot.ensure(cfg.competition.scenario)
    # fifo: the node keeps a bundle's transactions of different senders in bundle order.
    node = AnvilNode(load_state=snap.state_path, log_path=cfg.out_dir / "anvil.log", extra_args=["--order", "fifo"])
    node.start()
    quiet = _DriverPauses()
    control_log = logging.getLogger("arbbot.engine.control")
    control_log.addFilter(quiet)
    try:
        return await _run(cfg, node.url, snap.manifest, say)
    finally:
        control_log.removeFilter(quiet)
        node.stop()


async def _run(cfg: CompetitionConfig, url: str, manifest: Manifest, say: Progress) -> CompetitionResult:
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    chain_id = w3.eth.chain_id
    say("users: wrapping ETH, buying tokens, approving the routers")
    traffic = Traffic(w3, manifest, scenario_prices(manifest), seed=cfg.seed, users=4, min_eth=cfg.min_swap_eth,
                      max_eth=cfg.max_swap_eth, balancer=True, within_holdings=True)  # fmt: skip
    traffic.fund()
    say(f"executors: arbbot's and {len(cfg.competition.competitors)} competitors'")
    own_key = dev_key(OWNER_ACCOUNT)
    keys = {ARBBOT: own_key} | {c.name: competitor_key(i) for i, c in enumerate(cfg.competition.competitors)}
    addresses = {n: str(Account.from_key(k).address) for n, k in keys.items()}
    executors = {ARBBOT: str(deploy_executor(w3, manifest, addresses[ARBBOT]).address)}
    for c in cfg.competition.competitors:
        executors[c.name] = _deploy_for(w3, url, manifest, addresses[c.name])
    db_path, log_path = cfg.out_dir / "arbbot.db", cfg.out_dir / "bundles.jsonl"
    db_path.unlink(missing_ok=True)
    log_path.unlink(missing_ok=True)
    db_url = f"sqlite:///{db_path}"
    engine = db_engine.connect(db_url)
    sessions = db_engine.session_factory(engine)
    journal = Journal(BundleLog(log_path, sessions=sessions), chain_id, sessions)
    specs = {c.name: c for c in cfg.competition.competitors}
    by_address = {a.lower(): n for n, a in addresses.items()}
    rounds: list[RoundResult] = []
    sent: dict[str, int] = {}
    wirings: dict[str, Wiring] = {}
    try:
        async with LocalBuilder(url) as builder:
            say(f"searchers: arbbot and {', '.join(specs)}, bundles to the local builder at {builder.url}")
            wirings[ARBBOT] = await _searcher(manifest, url, builder.url, executors[ARBBOT], own_key, cfg.policy,
                                              cfg.floor_bps, cfg.ceiling_bps, journal)  # fmt: skip
            for i, c in enumerate(cfg.competition.competitors):
                policy = c.policy.build(competitor_seed(cfg.seed, c))
                wirings[c.name] = await _searcher(manifest, url, builder.url, executors[c.name],
                                                  competitor_key(i), policy, 0, BPS, None)  # fmt: skip
            searchers = {n: w.searcher for n, w in wirings.items()}
            for i in range(cfg.rounds):
                r = await _round(i, cfg, w3, traffic, searchers, specs, builder, by_address)
                rounds.append(r)
                say(r.line())
            # The last block's outcomes, with nothing new sent (paused: a bundle sent now would never be built).
            for s in searchers.values():
                s.control.pause(actor="competition")
                await s.process_block()
            sent = {n: s.counters.bundles_sent for n, s in searchers.items()}
    finally:
        for w in reversed(list(wirings.values())):
            await w.aclose()
        try:
            # Who took each missed opportunity, read from the chain as `arbbot audit --missed` does.
            attribute_misses(ChainReader(RpcClient(url)), sessions, chain_id)
            with sessions() as db:
                rows = sorted(crud.list_bundles(db, chain_id), key=lambda b: (min(b.target_blocks or [0]), b.uuid))
                journaled = [
                    JournaledBundle(min(b.target_blocks or [0]), b.status, b.landed,
                                    (b.bid or {}).get("share_bps"), (b.bid or {}).get("policy"), b.lost_to)
                    for b in rows
                ]  # fmt: skip
        finally:
            engine.dispose()
    return CompetitionResult(rounds, journaled, db_url, log_path, addresses, sent)


async def _round(
    i: int,
    cfg: CompetitionConfig,
    w3: Web3,
    traffic: Traffic,
    searchers: dict[str, Searcher],
    specs: dict[str, CompetitorSpec],
    builder: LocalBuilder,
    by_address: dict[str, str],
) -> RoundResult:
    """User swaps mined at once; every searcher trades on the new head in arrival order; the builder builds."""
    for swap in traffic.next_swaps(cfg.swaps_per_round):
        # A user swap may revert (a pool's own limits): it is mined all the same and moves nothing.
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(swap.raw_tx), timeout=30)
    block = w3.eth.block_number + 1
    result = RoundResult(round=i + 1, block=block, order=arrival_order(cfg.seed, block, list(searchers)))
    for name in result.order:
        s = searchers[name]
        late = name in specs and not arrives(cfg.seed, specs[name], block)
        if late:
            result.late.append(name)
            s.control.pause(actor="latency")
        try:
            bid = _bid(await s.process_block())
        finally:
            if late:
                s.control.resume(actor="latency")
        if bid is not None:
            result.bids[name] = bid
    for s in searchers.values():
        await _settle(s)
    built = await builder.build_block()
    if built.number != block:
        raise DevnetError(f"the builder built block {built.number}, expected {block}")
    txs = w3.eth.get_block(block, full_transactions=True)["transactions"]
    ours = [
        (by_address.get(str(tx["from"]).lower()), tx["hash"].to_0x_hex()) for tx in txs if not isinstance(tx, bytes)
    ]
    result.winners = [n for n, _ in ours if n is not None]
    result.winner_txs = [h for n, h in ours if n is not None]
    result.builder_paid_wei = w3.eth.get_balance(LOCAL_BUILDER_COINBASE, block) - w3.eth.get_balance(
        LOCAL_BUILDER_COINBASE, block - 1
    )
    return result
