"""Wire a Searcher from settings: pools, strategies, simulator, and the dry-run or bundle executor.

Used by `arbbot run` and by anyone driving the engine as a library. Keys come from environment
variables named in the config and stay inside the signers (never logged or stored).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from eth_abi import decode
from eth_utils import is_address, keccak, to_checksum_address

from arbbot.chain.jsonrpc import STARTUP_RETRY
from arbbot.chain.rpc import RpcClient
from arbbot.config import SearcherSettings, VenueSettings
from arbbot.devnet.manifest import Manifest
from arbbot.engine.bootstrap import directory_for, discover, discovered_from_manifest, load_store, routers_from_manifest
from arbbot.engine.counters import SearcherEvent
from arbbot.engine.journal import Journal
from arbbot.engine.searcher import Searcher, SearcherParams
from arbbot.errors import ConfigError
from arbbot.execution.bundles import FlashbotsSigner, JsonRpcClient, TransactionSigner
from arbbot.execution.bundles.fanout import BUILDER_PRESETS, BuilderEndpoint, BundleFanout
from arbbot.execution.bundles.inclusion import InclusionTracker
from arbbot.execution.dry_run import DryRunExecutor
from arbbot.execution.plan import Executor
from arbbot.execution.route import Capital
from arbbot.execution.submit import BundleExecutor
from arbbot.metrics import Metrics
from arbbot.sim.anvil_fork import AnvilForkSimulator
from arbbot.sim.candidate import CandidateSimulator, PyrevmCandidateSimulator
from arbbot.sim.fork_reads import ForkReads
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.backrun import BackrunStrategy, Router


def builder_endpoints(cfg: SearcherSettings) -> list[BuilderEndpoint]:
    out = []
    for b in cfg.builders:
        if b.url is not None:
            out.append(BuilderEndpoint(b.name, b.url))
        elif b.name in BUILDER_PRESETS:
            out.append(BUILDER_PRESETS[b.name])
        else:
            known = ", ".join(sorted(BUILDER_PRESETS))
            raise ConfigError(f"searcher.builders: unknown preset {b.name!r} and no url; presets: {known}")
    return out


log = logging.getLogger(__name__)


def _resolve(url: str) -> str | None:
    """None if the builder's host resolves, else why not."""
    parts = urlsplit(url)
    try:
        socket.getaddrinfo(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        return (
            f"host {parts.hostname!r} does not resolve ({exc.strerror or exc})"
            if isinstance(exc, OSError)
            else str(exc)
        )
    return None


async def check_builders(endpoints: Sequence[BuilderEndpoint], timeout: float = 5.0) -> None:
    """One line per builder whose host does not resolve; an error if none does (nothing could ever be sent)."""

    async def one(b: BuilderEndpoint) -> str | None:
        try:
            return await asyncio.wait_for(asyncio.to_thread(_resolve, b.url), timeout)
        except TimeoutError:
            return f"host {urlsplit(b.url).hostname!r} did not resolve within {timeout:g}s"

    problems = await asyncio.gather(*(one(b) for b in endpoints))
    bad = [(b, why) for b, why in zip(endpoints, problems, strict=True) if why]
    for b, why in bad:
        log.warning("builder %s: %s; sending to it will fail until it does", b.name, why)
    if bad and len(bad) == len(endpoints):
        raise ConfigError(f"searcher.builders: no builder can be reached ({bad[0][0].name}: {bad[0][1]})")


def resolve_token(value: str, manifest: Manifest | None) -> str:
    if is_address(value):
        return to_checksum_address(value)
    if manifest is not None:
        return manifest.token(value).address
    if value.upper() == "WETH":
        return "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"  # mainnet WETH9
    raise ConfigError(f"searcher.base_tokens: {value!r} is neither an address nor a replica token symbol")


def executor_owner(rpc: RpcClient, executor: str) -> str:
    out = rpc.call("eth_call", [{"to": executor, "data": "0x" + keccak(text="owner()")[:4].hex()}, "latest"])
    if not isinstance(out, str) or len(out) < 66:
        raise ConfigError(f"searcher.executor: {executor} does not answer owner(); is ArbExecutor deployed there?")
    return to_checksum_address(decode(["address"], bytes.fromhex(out[2:]))[0])


@dataclass
class Wiring:
    searcher: Searcher
    closers: list[Callable[[], object]] = field(default_factory=list)

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            result = close()
            if hasattr(result, "__await__"):
                await result  # type: ignore[misc]


async def build(
    cfg: SearcherSettings,
    *,
    rpc_url: str,
    chain_id: int,
    live: bool,
    manifest: Manifest | None = None,
    venues: Sequence[VenueSettings] = (),
    metrics: Metrics | None = None,
    on_event: Callable[[SearcherEvent], None] | None = None,
    coinbase: str | None = None,
    key: str | None = None,
    journal: Journal | None = None,
) -> Wiring:
    """A ready Searcher over the node at rpc_url. Live mode needs the key (`key`, else the variable named by
    cfg.key_env); dry-run does not."""
    if cfg.executor is None:
        raise ConfigError("searcher.executor: not set; deploy ArbExecutor and pass --executor ADDRESS")
    observer = metrics.observe_transport if metrics is not None else None
    rpc = RpcClient(rpc_url, retry=STARTUP_RETRY, observer=observer)
    head = rpc.block_number()
    discovered = discovered_from_manifest(manifest) if manifest is not None else discover(rpc, venues, head)
    store = load_store(rpc, discovered, head)
    bases = [resolve_token(t, manifest) for t in cfg.base_tokens]
    arbitrage = CycleArbitrage(store.pools, bases, max_hops=cfg.max_hops)
    routers = [Router(r.kind, r.address, r.factory) for r in cfg.routers]
    if manifest is not None and not routers:
        routers = routers_from_manifest(manifest)
    backrun = BackrunStrategy(arbitrage, routers, directory_for(discovered)) if routers else None
    node = JsonRpcClient.for_node(rpc_url)
    wiring = Wiring(searcher=None)  # type: ignore[arg-type]
    wiring.closers.append(node.close)
    key = key or os.environ.get(cfg.key_env)
    executor: Executor
    if live:
        if not key:
            raise ConfigError(f"--live needs the transaction key in the environment variable {cfg.key_env}")
        signer = TransactionSigner(key, chain_id, rpc=node)
        rep_key = os.environ.get(cfg.reputation_key_env)
        reputation = FlashbotsSigner(rep_key) if rep_key else FlashbotsSigner.random()
        endpoints = builder_endpoints(cfg)
        await check_builders(endpoints)
        fanout = BundleFanout(endpoints, signer=reputation)
        await fanout.__aenter__()
        wiring.closers.append(lambda: fanout.__aexit__(None, None, None))
        wiring.closers.append(lambda: executor.close())  # runs first: lets builders still answering finish
        names = {b.coinbase: b.name for b in cfg.builders if b.coinbase}
        tracker = InclusionTracker(node, coinbase_names=names)
        executor = BundleExecutor(signer, fanout, node, metrics=metrics, tracker=tracker)
        caller = signer.address
    else:
        executor = DryRunExecutor()
        caller = TransactionSigner(key, chain_id).address if key else executor_owner(rpc, cfg.executor)
    lender = cfg.balancer_vault
    if manifest is not None and "BalancerVault" in manifest.contracts:
        lender = manifest.contracts["BalancerVault"]
    params = SearcherParams(
        executor=to_checksum_address(cfg.executor), caller=caller,
        capital=Capital.BALANCER if cfg.capital == "balancer" else Capital.OWN, lender=lender,
        bribe_share_bps=cfg.bribe_share_bps, min_profit_wei=cfg.min_profit_wei, max_gas=cfg.max_gas,
        fee_cap=cfg.max_fee_per_gas_wei, priority_fee=cfg.priority_fee_wei, blocks_ahead=cfg.blocks_ahead,
        max_candidates=cfg.max_candidates, size_top=cfg.size_top,
    )  # fmt: skip
    factory: Callable[[int], CandidateSimulator]
    if cfg.simulator == "anvil":
        anvil = AnvilForkSimulator(rpc_url, coinbase=coinbase)
        wiring.closers.append(anvil.close)
        factory = anvil.at
    else:
        # One set of fork reads for every block's fork: prefetch through the transport, misses via the read proxy.
        reads = ForkReads(rpc_url, observer=observer)
        wiring.closers.append(reads.close)
        await asyncio.to_thread(reads.start)
        factory = lambda block: PyrevmCandidateSimulator(rpc_url, block, coinbase=coinbase, reads=reads)  # noqa: E731
    wiring.searcher = Searcher(
        rpc_url=rpc_url, store=store, arbitrage=arbitrage, params=params, executor=executor,
        simulator_factory=factory, node=node, backrun=backrun, metrics=metrics, on_event=on_event, journal=journal,
    )  # fmt: skip
    return wiring
