"""Wire a Searcher from settings: pools, strategies, simulator, and the dry-run or bundle executor.

Used by `arbbot run` and by anyone driving the engine as a library. Keys come from environment
variables named in the config and stay inside the signers (never logged or stored).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eth_abi import decode
from eth_utils import is_address, keccak, to_checksum_address

from arbbot.chain.rpc import RpcClient, RpcError
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
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.backrun import BackrunStrategy, Router

log = logging.getLogger(__name__)


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


def resolve_token(value: str, manifest: Manifest | None) -> str:
    if is_address(value):
        return to_checksum_address(value)
    if manifest is not None:
        return manifest.token(value).address
    if value.upper() == "WETH":
        return "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"  # mainnet WETH9
    raise ConfigError(f"searcher.base_tokens: {value!r} is neither an address nor a replica token symbol")


def _view(rpc: RpcClient, executor: str, signature: str) -> bytes | None:
    """A no-argument view of the executor; None when it reverts or answers nothing (an older build)."""
    data = "0x" + keccak(text=signature)[:4].hex()
    try:
        out = rpc.call("eth_call", [{"to": executor, "data": data}, "latest"])
    except RpcError:
        return None
    if not isinstance(out, str) or len(out) < 66:
        return None
    return bytes.fromhex(out[2:])


def executor_owner(rpc: RpcClient, executor: str) -> str:
    out = _view(rpc, executor, "owner()")
    if out is None:
        raise ConfigError(f"searcher.executor: {executor} does not answer owner(); is ArbExecutor deployed there?")
    return to_checksum_address(decode(["address"], out)[0])


def check_executor_limits(rpc: RpcClient, executor: str, bribe_share_bps: int, live: bool) -> None:
    """The on-chain limits a route must respect: the owner's builder-share cap and the pause switch."""
    cap = _view(rpc, executor, "maxBuilderShareBps()")
    if cap is None:
        log.warning("executor %s has no builder-share cap (a build before the hostile-caller fixes); "
                    "redeploy it: any approved caller can pay the whole profit to a builder", executor)  # fmt: skip
    else:
        limit = decode(["uint256"], cap)[0]
        if bribe_share_bps > limit:
            raise ConfigError(
                f"searcher.bribe_share_bps: {bribe_share_bps} is above the executor's cap of {limit} bps; "
                "lower it, or have the owner raise the cap (ape run admin --max-builder-share-bps N)"
            )
    paused = _view(rpc, executor, "paused()")
    if paused is not None and decode(["bool"], paused)[0]:
        if live:
            raise ConfigError(
                f"searcher.executor: {executor} is paused; its owner unpauses it (ape run admin --unpause)"
            )
        log.warning("executor %s is paused: simulations will revert with ExecutorPaused", executor)


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
    rpc = RpcClient(rpc_url)
    check_executor_limits(rpc, to_checksum_address(cfg.executor), cfg.bribe_share_bps, live)
    head = rpc.block_number()
    discovered = discovered_from_manifest(manifest) if manifest is not None else discover(rpc, venues, head)
    store = load_store(rpc, discovered, head)
    bases = [resolve_token(t, manifest) for t in cfg.base_tokens]
    arbitrage = CycleArbitrage(store.pools, bases, max_hops=cfg.max_hops)
    routers = [Router(r.kind, r.address, r.factory) for r in cfg.routers]
    if manifest is not None and not routers:
        routers = routers_from_manifest(manifest)
    backrun = BackrunStrategy(arbitrage, routers, directory_for(discovered)) if routers else None
    node = JsonRpcClient(rpc_url, name="node")
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
        fanout = BundleFanout(builder_endpoints(cfg), signer=reputation)
        await fanout.__aenter__()
        wiring.closers.append(lambda: fanout.__aexit__(None, None, None))
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
        factory = lambda block: PyrevmCandidateSimulator(rpc_url, block, coinbase=coinbase)  # noqa: E731
    wiring.searcher = Searcher(
        rpc_url=rpc_url, store=store, arbitrage=arbitrage, params=params, executor=executor,
        simulator_factory=factory, node=node, backrun=backrun, metrics=metrics, on_event=on_event, journal=journal,
    )  # fmt: skip
    return wiring
