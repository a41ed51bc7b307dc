"""The demo: the whole loop on the local mainnet replica, deterministic for a seed.

Replica from its snapshot -> ArbExecutor deployed -> the local builder (a test double of a real builder)
-> the searcher in live mode, wired exactly as `arbbot run --live` wires it -> seeded user swaps through
the real routers, some public (mined at once: cycles to arbitrage) and some pending (backrun candidates)
-> the builder builds each next block from the bundles it holds -> one private swap known only through
MEV-Share hints (the matchmaker is a test double too), backrun with mev_sendBundle -> the audit of every trade.

The demo is the chain's clock: it mines user swaps, lets the searcher see the head, then has the local
builder produce the next block, so the run is the same every time for the same seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account import Account
from web3 import HTTPProvider, Web3

from arbbot.audit.bundle_log import BundleLog
from arbbot.chain.anvil import AnvilNode, dev_key
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.collectors.mev_share import HintStream
from arbbot.collectors.types import PendingTx
from arbbot.config import BuilderSettings, ControlSettings, SearcherSettings
from arbbot.db import engine as db_engine
from arbbot.demo.closing import Closing, audit_and_report
from arbbot.devnet import snapshot
from arbbot.devnet.context import context_from_manifest
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest, PoolEntry
from arbbot.devnet.traffic import ERC20_ABI, Traffic, scenario_prices
from arbbot.engine.counters import SearcherEvent
from arbbot.engine.factory import build
from arbbot.engine.journal import Journal
from arbbot.engine.mev_share import MevShareBackrunner
from arbbot.engine.searcher import Searcher
from arbbot.errors import DevnetError
from arbbot.execution.bundles import FlashbotsSigner, JsonRpcClient, TransactionSigner
from arbbot.execution.bundles.mev_share import MevShareClient
from arbbot.metrics import Metrics
from arbbot.solana.demo import LoopResult, run_local_loop
from arbbot.solana.testing.node import node_binary
from arbbot.strategy.hints import HintStrategy
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from arbbot.testing.matchmaker import Matchmaker

if TYPE_CHECKING:  # the console (and its web stack) loads only when the demo serves it
    from arbbot.demo.console import DemoConsole

SCENARIO = "v4"  # V2, V3, PancakeSwap V3 and Uniswap V4 (hookless, dynamic-fee hook, delta-returning hook)


@dataclass(frozen=True)
class DemoConfig:
    """How the demo runs: the seed and scenario, the number of rounds and how many of them hold a swap pending for a
    backrun, the size of user swaps in ETH, the searcher's bribe share, where its files go, and whether the MEV-Share
    round and the Solana loop follow.
    """

    seed: int = 20261124
    scenario: str = SCENARIO
    rounds: int = 12
    backrun_every: int = 3  # every Nth round the user swap is held pending for a backrun
    swaps_per_round: int = 2
    out_dir: Path = Path(".arbbot/demo")
    bribe_share_bps: int = 5_000
    min_swap_eth: Decimal = Decimal(20)  # public user swaps: worth between these
    max_swap_eth: Decimal = Decimal(120)
    victim_eth: Decimal = Decimal(150)  # the pending swaps held for backruns
    mev_share: bool = True  # a last round: a private swap known only through MEV-Share hints, backrun
    solana: bool = True  # then the Solana loop: local node, a dislocation, a Jito bundle landed and audited
    # The searcher's control API (README, "Control API"), served while the searcher runs when a token is given.
    control: ControlSettings | None = None
    control_token: str | None = None
    control_dir: Path | None = None  # where control.json goes (default: out_dir)
    # The operator console on 127.0.0.1 (port 0: a free one), attached to the control API (with a token for this run
    # when none is given); it keeps serving the run's database after the run until the caller stops it.
    console: bool = False
    console_port: int = 0


@dataclass
class Wealth:
    """The owner's position: the executor's WETH (profit accrues there) plus the owner's ETH (pays gas)."""

    executor_weth: int
    owner_eth: int

    @property
    def total(self) -> int:
        """The owner's total position in wei: executor WETH plus owner ETH."""
        return self.executor_weth + self.owner_eth


@dataclass
class DemoRun:
    """What the run left for the audit step: where to look and what the owner's wealth did."""

    node_url: str
    chain_id: int
    manifest: Manifest
    executor: str
    owner: str
    first_block: int
    last_block: int
    before: Wealth
    after: Wealth
    counters: dict[str, int]
    db_url: str
    bundle_log: Path
    closing: Closing
    console: DemoConsole | None = None  # still serving: the caller stops it
    landed_by_kind: dict[str, int] = field(default_factory=dict)  # "cycle" / "backrun" -> bundles landed
    v4_trades: int = 0  # audited trades with a Uniswap V4 hop
    balancer_trades: int = 0  # audited trades with a Balancer V2 hop
    rounds: list[str] = field(default_factory=list)
    solana: LoopResult | None = None


Progress = Callable[[str, dict], None]  # (what, data): the view decides how to show it


def owner_key() -> str:
    """Dev account 0 of anvil's public mnemonic: the replica's owner and searcher key (never for real money)."""
    return dev_key(0)


def wealth(w3: Web3, manifest: Manifest, executor: str, owner: str) -> Wealth:
    """Read the owner's position at the latest block: the executor's WETH balance and the owner's ETH, in wei."""
    weth = w3.eth.contract(address=Web3.to_checksum_address(manifest.token("WETH").address), abi=ERC20_ABI)
    return Wealth(
        int(weth.functions.balanceOf(executor).call()), int(w3.eth.get_balance(Web3.to_checksum_address(owner)))
    )


def _victim_pool(manifest: Manifest, n: int) -> PoolEntry:
    """V2 WETH pools in turn: the swaps Router02 users send most, and the ones backruns can undo."""
    v2 = [p for p in manifest.pools if p.kind == "uniswap_v2" and "WETH" in (p.token0, p.token1)]
    v2 = [p for p in v2 if not any(manifest.token(s).fee_on_transfer_bps for s in (p.token0, p.token1))]
    return v2[n % len(v2)]


async def run_demo(cfg: DemoConfig, progress: Progress, on_event: Callable[[SearcherEvent], None]) -> DemoRun:
    """Run the whole demo (see the module docstring) on a replica node started from the scenario's snapshot, reporting
    stages and rounds to `progress` and the searcher's events to `on_event`.

    The node is stopped by PID when the run ends, whatever happens; returns what the run left for the audit step,
    with its closing audit done.
    """
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    progress("stage", {"text": "replica: loading the snapshot"})
    snap = snapshot.ensure(cfg.scenario)
    # fifo: the node keeps a bundle's transactions of different senders in bundle order.
    node = AnvilNode(load_state=snap.state_path, log_path=cfg.out_dir / "anvil.log", extra_args=["--order", "fifo"])
    node.start()
    started: list[DemoConsole] = []  # a console outlives the run only when the run succeeds
    try:
        return await _run(cfg, node, snap.manifest, progress, on_event, started)
    except BaseException:
        for c in started:
            c.stop()
        raise
    finally:
        node.stop()


async def _run(
    cfg: DemoConfig,
    node: AnvilNode,
    manifest: Manifest,
    progress: Progress,
    on_event: Callable[[SearcherEvent], None],
    started: list[DemoConsole],
) -> DemoRun:
    landed: dict[str, int] = {}
    console: DemoConsole | None = None

    def count(e: SearcherEvent) -> None:
        if e.kind == "landed":
            kind = str(e.data.get("kind", "?"))
            landed[kind] = landed.get(kind, 0) + 1
        on_event(e)

    w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30}))
    chain_id = w3.eth.chain_id
    key = owner_key()
    owner = Account.from_key(key).address
    progress("stage", {"text": "users: wrapping ETH, buying tokens, approving the routers"})
    traffic = Traffic(w3, manifest, scenario_prices(manifest), seed=cfg.seed, users=4, min_eth=cfg.min_swap_eth,
                      max_eth=cfg.max_swap_eth, balancer=True)  # fmt: skip
    traffic.fund()
    progress("stage", {"text": "deploying ArbExecutor"})
    contract = deploy_executor(w3, manifest, owner)
    db_path = cfg.out_dir / "arbbot.db"
    db_path.unlink(missing_ok=True)
    db_url = f"sqlite:///{db_path}"
    engine = db_engine.connect(db_url)
    sessions = db_engine.session_factory(engine)
    log_path = cfg.out_dir / "bundles.jsonl"
    log_path.unlink(missing_ok=True)
    journal = Journal(BundleLog(log_path, sessions=sessions), chain_id, sessions)
    before = wealth(w3, manifest, contract.address, owner)
    first_block = w3.eth.block_number + 1
    rounds: list[str] = []
    async with LocalBuilder(node.url) as builder, Matchmaker(builder) as matchmaker:
        searcher_cfg = SearcherSettings(
            builders=[BuilderSettings(name="local", url=builder.url, coinbase=LOCAL_BUILDER_COINBASE)],
            executor=contract.address,
            bribe_share_bps=cfg.bribe_share_bps, max_hops=3,
            # With a V4 PoolManager on the chain, each route runs on the free capital with the least gas.
            capital="cheapest" if "PoolManager" in manifest.contracts else "balancer",
        )  # fmt: skip
        progress("stage", {"text": f"searcher: live, bundles to the local builder at {builder.url}"})
        wiring = await build(
            searcher_cfg, context_from_manifest(manifest, node.url), live=True, metrics=Metrics(),
            on_event=count, coinbase=LOCAL_BUILDER_COINBASE, key=key, journal=journal, control=cfg.control,
        )  # fmt: skip
        searcher = wiring.searcher
        try:
            token = cfg.control_token or (secrets.token_urlsafe(32) if cfg.console else None)
            if token:
                from arbbot.engine.control_api import ControlServer

                listen = cfg.control or ControlSettings()
                api = ControlServer(searcher, token, host=listen.host, port=listen.port,
                                    data_dir=cfg.control_dir or cfg.out_dir)  # fmt: skip
                url = await api.start()
                wiring.closers.append(api.stop)  # closed first
                progress("stage", {"text": f"control API on {url}"})
                if cfg.console:
                    console = _console(cfg, db_url, url, token, searcher_cfg)
                    started.append(console)
                    progress("console", {"url": console.url, "user": console.user, "login_file": console.login_file})
            for i in range(cfg.rounds):
                if cfg.backrun_every and i % cfg.backrun_every == cfg.backrun_every - 1:
                    held = await _backrun_round(
                        i, cfg.victim_eth, w3, node.url, manifest, traffic, searcher, builder, progress
                    )
                    rounds.append(held)
                else:
                    rounds.append(await _public_round(i, cfg, w3, traffic, searcher, builder, progress))
            if cfg.mev_share:
                rounds.append(await _mev_share_round(
                    cfg.rounds, cfg.victim_eth, w3, manifest, traffic, searcher, matchmaker, key, progress
                ))  # fmt: skip
            await searcher.process_block()  # outcomes of the last block
        finally:
            await wiring.aclose()
    after = wealth(w3, manifest, contract.address, owner)
    engine.dispose()
    progress("stage", {"text": "audit: every trade of the executor, from receipts and traces"})
    closing = audit_and_report(node.url, chain_id, manifest, contract.address, first_block,
                               after.total - before.total, db_url, cfg.out_dir)  # fmt: skip
    solana = await asyncio.to_thread(_solana_loop, cfg, db_url, progress) if cfg.solana else None
    return DemoRun(
        node_url=node.url, chain_id=chain_id, manifest=manifest, executor=contract.address, owner=owner,
        first_block=first_block, last_block=w3.eth.block_number, before=before, after=after,
        counters=searcher.counters.snapshot(), db_url=db_url, bundle_log=log_path, rounds=rounds, closing=closing,
        landed_by_kind=landed, v4_trades=sum(any(s.kind == "uniswap_v4" for s in t.route) for t in closing.trades),
        balancer_trades=sum(any(s.kind.startswith("balancer") for s in t.route) for t in closing.trades),
        solana=solana, console=console,
    )  # fmt: skip


def _console(cfg: DemoConfig, db_url: str, control_url: str, token: str, searcher: SearcherSettings) -> DemoConsole:
    """The console beside the demo; its configuration page shows the demo's own settings."""
    from arbbot.demo.console import start

    view = {"demo": {"seed": cfg.seed, "scenario": cfg.scenario, "rounds": cfg.rounds},
            "searcher": searcher.model_dump(mode="json")}  # fmt: skip
    return start(db_url, control_url, token, cfg.out_dir, port=cfg.console_port, view=view)


def _solana_loop(cfg: DemoConfig, db_url: str, progress: Progress) -> LoopResult:
    """The Solana side on the local node: `arbbot solana run --live`'s path to the block-engine double, on
    two pools run by the real Raydium CPMM build, through a Token-2022 mint with a transfer fee; journaled
    into the same database (under the local cluster's chain id)."""
    progress("stage", {"text": "solana: building the local node (first run only)"})
    node_binary()
    progress("stage", {"text": "solana: local node, two Raydium CPMM pools 3% apart, route -> Jito bundle"})
    engine = db_engine.connect(db_url)
    try:
        log_path = cfg.out_dir / "solana-bundles.jsonl"
        log_path.unlink(missing_ok=True)
        return run_local_loop(
            sessions=db_engine.session_factory(engine), log_path=log_path, seed=cfg.seed, market="cpmm-token-2022",
            echo=lambda line: progress("stage", {"text": f"solana: {line}"[:160]}),
        )  # fmt: skip
    finally:
        engine.dispose()


async def _settled(searcher: Searcher) -> None:
    """Every request about bundles still in flight (sends, preflights, withdrawals of superseded bundles) has
    its answer before the builder builds: a slot is long enough for that on a real chain, and the same seed
    then gives the same blocks."""
    settle = getattr(searcher.executor, "settle", None)
    if settle is not None:
        await settle()


async def _public_round(
    i: int, cfg: DemoConfig, w3: Web3, traffic: Traffic, searcher: Searcher, builder: LocalBuilder, progress: Progress
) -> str:
    """User swaps mined at once; the searcher trades on the new head; the builder builds the next block."""
    swaps = traffic.next_swaps(cfg.swaps_per_round)
    for s in swaps:
        h = w3.eth.send_raw_transaction(s.raw_tx)
        w3.eth.wait_for_transaction_receipt(h, timeout=30)
    progress("round", {"n": i + 1, "kind": "public", "swaps": len(swaps)})
    await searcher.process_block()
    await _settled(searcher)
    built = await builder.build_block()
    progress("block", {"number": built.number, "bundles": len(built.included)})
    await searcher.process_block()
    return f"round {i + 1}: {len(swaps)} public swaps, block {built.number} with {len(built.included)} bundle(s)"


async def _backrun_round(
    i: int,
    victim_eth: Decimal,
    w3: Web3,
    url: str,
    manifest: Manifest,
    traffic: Traffic,
    searcher: Searcher,
    builder: LocalBuilder,
    progress: Progress,
) -> str:
    """A big user swap held in the mempool: the searcher sees it pending and bundles [victim, backrun]."""
    await searcher.process_block()
    pool = _victim_pool(manifest, i)
    token = pool.token1 if pool.token0 == "WETH" else pool.token0
    user = traffic.accounts[i % len(traffic.accounts)].key.to_0x_hex()
    victim = traffic.swap(user, pool, "WETH", token, traffic.amount_for("WETH", victim_eth))
    raw_rpc(url, "evm_setAutomine", [False])
    try:
        w3.eth.send_raw_transaction(victim.raw_tx)
        tx = raw_rpc(url, "eth_getTransactionByHash", [victim.tx_hash])
        if not isinstance(tx, dict):
            raise DevnetError(f"eth_getTransactionByHash: the node does not hold the victim {victim.tx_hash}")
        sent_before = searcher.counters.sent
        await searcher.process_pending(PendingTx(victim.tx_hash, tx))
        backrun = searcher.counters.sent > sent_before
        if backrun:
            # The local builder serves bundles only: the public copy leaves the pool; the victim reaches the
            # block inside our bundle, right before our transaction.
            raw_rpc(url, "anvil_dropTransaction", [victim.tx_hash])
        else:
            raw_rpc(url, "evm_mine")  # nobody backran it: it is mined on its own
    finally:
        raw_rpc(url, "evm_setAutomine", [True])
    progress("round", {"n": i + 1, "kind": "pending", "backrun": backrun, "pool": pool.venue})
    await _settled(searcher)
    built = await builder.build_block()
    progress("block", {"number": built.number, "bundles": len(built.included)})
    await searcher.process_block()
    what = "backrun bundle" if backrun else "no backrun"
    return f"round {i + 1}: pending {pool.venue} swap, {what}, block {built.number}"


async def _mev_share_round(
    i: int,
    victim_eth: Decimal,
    w3: Web3,
    manifest: Manifest,
    traffic: Traffic,
    searcher: Searcher,
    matchmaker: Matchmaker,
    key: str,
    progress: Progress,
) -> str:
    """A big user swap sent privately to the MEV-Share matchmaker (a test double): the searcher learns of it
    only from the hint stream (its logs), backruns it with mev_sendBundle, and the matchmaker has the local
    builder build [victim, backrun]."""
    await searcher.process_block()
    pool = _victim_pool(manifest, i)
    token = pool.token1 if pool.token0 == "WETH" else pool.token0
    user = traffic.accounts[i % len(traffic.accounts)].key.to_0x_hex()
    victim = traffic.swap(user, pool, "WETH", token, traffic.amount_for("WETH", victim_eth))
    stream = HintStream(matchmaker.stream_url)
    async with JsonRpcClient(matchmaker.url, name="user", signer=FlashbotsSigner.random()) as wallet:
        params = {"tx": "0x" + victim.raw_tx.hex(), "preferences": {"privacy": {"hints": ["hash", "logs"]}}}
        await wallet.call("eth_sendPrivateTransaction", [params])
    async with contextlib.aclosing(stream.hints()) as hints:
        hint = await anext(hints)
    stream.stop()
    async with MevShareClient(matchmaker.url, FlashbotsSigner.random()) as client:
        runner = MevShareBackrunner(searcher, HintStrategy(searcher.arbitrage), client,
                                    TransactionSigner(key, w3.eth.chain_id))  # fmt: skip
        sent = await runner.process_hint(hint)
        progress("round", {"n": i + 1, "kind": "mev-share", "backrun": bool(sent), "pool": pool.venue})
        built = await matchmaker.build_block()
        progress("block", {"number": built.number, "bundles": len(built.included)})
        await searcher.process_block()  # the backrun's outcome, journaled
    merged = matchmaker.merged[-1] if matchmaker.merged else None
    what = "backrun merged" if merged is not None and merged.backrun else "no backrun"
    return f"round {i + 1}: private {pool.venue} swap seen through MEV-Share hints, {what}, block {built.number}"


def run(cfg: DemoConfig, progress: Progress, on_event: Callable[[SearcherEvent], None]) -> DemoRun:
    """`run_demo` for synchronous callers: runs it in a new event loop."""
    return asyncio.run(run_demo(cfg, progress, on_event))
