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
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from arbbot.chain.jsonrpc import STARTUP_RETRY
from arbbot.chain.presets import SEPOLIA
from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.config import ControlSettings, SearcherSettings
from arbbot.engine.bootstrap import directory_for, discover, load_store, tradable
from arbbot.engine.context import ChainContext, require_contracts
from arbbot.engine.control import ControlState, limits_from
from arbbot.engine.counters import SearcherEvent
from arbbot.engine.journal import Journal
from arbbot.engine.searcher import Searcher, SearcherParams
from arbbot.errors import ConfigError
from arbbot.execution.bundles import FlashbotsSigner, JsonRpcClient, TransactionSigner
from arbbot.execution.bundles.dialects import DIALECTS
from arbbot.execution.bundles.errors import EndpointError, EndpointTimeout, EndpointUnreachable
from arbbot.execution.bundles.fanout import BUILDER_PRESETS, SEPOLIA_PRESETS, BuilderEndpoint, BundleFanout
from arbbot.execution.bundles.inclusion import InclusionTracker
from arbbot.execution.capital import CapitalSources
from arbbot.execution.dry_run import DryRunExecutor
from arbbot.execution.plan import Executor
from arbbot.execution.route import Capital
from arbbot.execution.submit import BundleExecutor
from arbbot.metrics import Metrics
from arbbot.sim.anvil_fork import AnvilForkSimulator
from arbbot.sim.candidate import CandidateSimulator, PyrevmCandidateSimulator
from arbbot.sim.fork_reads import ForkReads
from arbbot.sim.placed import PLACED_OWNER, Placement, placed_executor
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.backrun import BackrunStrategy, Router
from arbbot.strategy.bribe import BribePolicy, StaticShare

log = logging.getLogger(__name__)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def builder_endpoints(cfg: SearcherSettings, chain_id: int = 1) -> list[BuilderEndpoint]:
    """The configured builders: a name alone is a preset of the chain (mainnet or Sepolia), else give a url."""
    table = SEPOLIA_PRESETS if chain_id == SEPOLIA.chain_id else BUILDER_PRESETS
    out = []
    for b in cfg.builders:
        if b.dialect is not None and b.dialect not in DIALECTS:
            known = ", ".join(sorted(DIALECTS))
            raise ConfigError(f"searcher.builders: {b.name} has unknown dialect {b.dialect!r}; known: {known}")
        if b.url is not None:
            endpoint = BuilderEndpoint(
                b.name, b.url, call_bundle=True, cancel="endpoint", dialect=b.dialect or "generic"
            )
        elif b.name in table:
            endpoint = table[b.name]
        else:
            known = ", ".join(sorted(table))
            raise ConfigError(f"searcher.builders: unknown preset {b.name!r} and no url; presets: {known}")
        if b.call_bundle is not None:
            endpoint = replace(endpoint, call_bundle=b.call_bundle)
        if b.cancel is not None:
            endpoint = replace(endpoint, cancel=b.cancel)
        if b.dialect is not None:
            endpoint = replace(endpoint, dialect=b.dialect)
        if b.auth_env is not None:
            endpoint = replace(endpoint, auth_env=b.auth_env)
        out.append(endpoint)
    return out


def resolve_token(value: str, ctx: ChainContext) -> str:
    """A token given by symbol or address as a checksummed address of this chain; ConfigError if it is unknown."""
    return ctx.token(value)


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


async def check_builders(endpoints: Sequence[BuilderEndpoint], timeout: float = 5.0) -> set[str]:
    """One line per builder whose host does not resolve, an error if none does (nothing could ever be sent);
    the names of the ones that do not."""

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
    return {b.name for b, _ in bad}


def executor_owner(rpc: RpcClient, executor: str) -> str:
    """The owner of the ArbExecutor at `executor`; ConfigError if no executor answers `owner()` there."""
    out = _view(rpc, executor, "owner()")
    if out is None:
        raise ConfigError(f"searcher.executor: {executor} does not answer owner(); is ArbExecutor deployed there?")
    return to_checksum_address(decode(["address"], out)[0])


def check_caller(rpc: RpcClient, executor: str, caller: str) -> None:
    """The key that signs is the executor's owner or an approved caller (read on chain), else a ConfigError."""
    owner = executor_owner(rpc, executor)
    if owner.lower() == caller.lower():
        return
    data = "0x" + keccak(text="isCaller(address)")[:4].hex() + caller.lower().removeprefix("0x").rjust(64, "0")
    out = rpc.call("eth_call", [{"to": executor, "data": data}, "latest"])
    if isinstance(out, str) and len(out) >= 66 and int(out[2:66], 16) == 1:
        return
    raise ConfigError(
        f"key: {caller} is neither the owner ({owner}) of executor {executor} nor an approved caller; "
        "the owner approves it with `ape run callers --executor EXECUTOR --add ADDRESS`"
    )


def check_executor_limits(
    rpc: RpcClient, executor: str, bribe_share_bps: int, live: bool, field: str = "searcher.bribe_share_bps"
) -> None:
    """The on-chain limits a route must respect: the owner's builder-share cap (on the highest share `field`
    allows) and the pause switch."""
    cap = _view(rpc, executor, "maxBuilderShareBps()")
    if cap is None:
        log.warning("executor %s has no builder-share cap (a build before the hostile-caller fixes); "
                    "redeploy it: any approved caller can pay the whole profit to a builder", executor)  # fmt: skip
    else:
        limit = decode(["uint256"], cap)[0]
        if bribe_share_bps > limit:
            raise ConfigError(
                f"{field}: {bribe_share_bps} is above the executor's cap of {limit} bps; "
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
    """A built searcher and what must be closed when it stops (sessions, clients), in reverse order of creation."""

    searcher: Searcher
    closers: list[Callable[[], object]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close everything the searcher holds, newest first, awaiting the closers that are coroutines."""
        for close in reversed(self.closers):
            result = close()
            if hasattr(result, "__await__"):
                await result


async def build(
    cfg: SearcherSettings,
    ctx: ChainContext,
    *,
    live: bool,
    metrics: Metrics | None = None,
    on_event: Callable[[SearcherEvent], None] | None = None,
    coinbase: str | None = None,
    key: str | None = None,
    journal: Journal | None = None,
    executor_code: bytes | None = None,
    on_status: Callable[[str], None] | None = None,
    control: ControlSettings | None = None,
) -> Wiring:
    """A ready Searcher on the chain `ctx` describes. Live mode needs the key (`key`, else the variable named
    by cfg.key_env) and a deployed executor; a dry run without `cfg.executor` simulates through an executor
    placed in the fork only (`executor_code`: its creation bytecode). `control`: the limits the operator's changes
    must keep within (default: no change allowed)."""
    say = on_status or (lambda text: log.info("%s", text))
    observer = metrics.observe_transport if metrics is not None else None
    rpc = RpcClient(ctx.url, retry=STARTUP_RETRY, observer=observer)
    key = key or os.environ.get(cfg.key_env)
    endpoints: list[BuilderEndpoint] = []
    unresolved: set[str] = set()
    if live:  # what the config alone can tell, before any chain read
        if not key:
            raise ConfigError(f"--live needs the transaction key in the environment variable {cfg.key_env}")
        endpoints = builder_endpoints(cfg, ctx.chain_id)
        unresolved = await check_builders(endpoints)
    # What the chain must offer first: venues (or known pools) and the base tokens.
    if ctx.known_pools is None and not ctx.venues:
        raise ConfigError(
            f"venues: {ctx.name} (chain id {ctx.chain_id}) has no preset venues; "
            "configure [[venues]] (name, kind, factory, start_block)"
        )
    bases = [ctx.token(t) for t in cfg.base_tokens]
    require_contracts(rpc, {f"searcher.base_tokens ({t})": a for t, a in zip(cfg.base_tokens, bases, strict=True)},
                      ctx.name)  # fmt: skip
    placement: Placement | None = None
    if cfg.executor is None:
        if live:
            raise ConfigError(
                "searcher.executor: not set; deploy ArbExecutor (ape run deploy) and pass --executor ADDRESS"
            )
        if executor_code is None:
            raise ConfigError("searcher.executor: not set, and no executor bytecode to place in the fork")
        placement = placed_executor(executor_code, ctx.token("WETH", "WETH (for the placed executor)"))
        executor_address = placement.address
        say(f"no executor deployed: simulating through one placed in the fork at {executor_address} "
            "(it exists only in the simulation; nothing is deployed or sent)")  # fmt: skip
    else:
        executor_address = to_checksum_address(cfg.executor)
        require_contracts(rpc, {"searcher.executor": executor_address}, ctx.name)
        check_executor_limits(rpc, executor_address, cfg.bribe_share_bps, live)
        if cfg.bribe_policy != "static":  # a learned bid may reach the ceiling: the executor must allow it
            check_executor_limits(rpc, executor_address, cfg.bribe_ceiling_bps, live, "searcher.bribe_ceiling_bps")
        if control is not None and control.bribe_share_bps_max is not None:
            # An operator may raise the share up to this at run time: the chain must accept it too.
            check_executor_limits(rpc, executor_address, control.bribe_share_bps_max, live,
                                  "control.bribe_share_bps_max")  # fmt: skip
    head = rpc.block_number()
    if ctx.known_pools is not None:
        discovered = list(ctx.known_pools)
    else:
        vault = cfg.balancer_vault if "balancer_vault" in cfg.model_fields_set else ctx.balancer_vault
        discovered = discover(rpc, ctx.venues, head, vault)
    store = load_store(rpc, discovered, head, weth=ctx.tokens.get("WETH"))
    # With one fixed capital, only pools it can run a hop through (never a Balancer pool on the Vault's own loan).
    fixed = None if cfg.capital == "cheapest" else Capital.BALANCER if cfg.capital == "balancer" else Capital.OWN
    arbitrage = CycleArbitrage(tradable(store.pools, fixed), bases, max_hops=cfg.max_hops)
    weth = ctx.tokens.get("WETH")
    routers = [Router(r.kind, r.address, r.factory, r.v2_factory, r.v3_factory, r.weth or weth)
               for r in (cfg.routers or ctx.routers)]  # fmt: skip
    backrun = BackrunStrategy(arbitrage, routers, directory_for(discovered)) if routers else None
    lender = cfg.balancer_vault if "balancer_vault" in cfg.model_fields_set else ctx.balancer_vault
    if cfg.capital in ("balancer", "cheapest"):
        if lender is None:
            raise ConfigError(
                f'searcher.balancer_vault: no Balancer V2 Vault known on {ctx.name}; set it, or capital = "own"'
            )
        require_contracts(rpc, {"searcher.balancer_vault": lender}, ctx.name)
    pool_manager = cfg.pool_manager or ctx.pool_manager
    v4_quoter = cfg.v4_quoter or ctx.v4_quoter
    v4 = {f"searcher.{name}": a for name, a in (("pool_manager", pool_manager), ("v4_quoter", v4_quoter)) if a}
    if v4:
        require_contracts(rpc, v4, ctx.name)
    node = JsonRpcClient.for_node(ctx.url)
    wiring = Wiring(searcher=None)  # type: ignore[arg-type]
    wiring.closers.append(node.close)
    executor: Executor
    if live:
        assert key is not None
        signer = TransactionSigner(key, ctx.chain_id, rpc=node)
        check_caller(rpc, executor_address, signer.address)
        rep_key = os.environ.get(cfg.reputation_key_env)
        reputation = FlashbotsSigner(rep_key) if rep_key else FlashbotsSigner.random()
        for problem in await unreachable([e for e in endpoints if e.name not in unresolved]):
            log.warning("%s", problem)
        fanout = BundleFanout(endpoints, signer=reputation, preflight=cfg.preflight)
        await fanout.__aenter__()
        wiring.closers.append(lambda: fanout.__aexit__(None, None, None))
        wiring.closers.append(lambda: executor.close())  # runs first: lets builders still answering finish
        names = {b.coinbase: b.name for b in cfg.builders if b.coinbase}
        tracker = InclusionTracker(node, coinbase_names=names)
        executor = BundleExecutor(signer, fanout, node, metrics=metrics, tracker=tracker)
        caller = signer.address
    else:
        executor = DryRunExecutor()
        if placement is not None:
            caller = PLACED_OWNER
        else:
            caller = TransactionSigner(key, ctx.chain_id).address if key else executor_owner(rpc, executor_address)
    params = SearcherParams(
        executor=executor_address, caller=caller,
        capital=Capital.BALANCER if cfg.capital == "balancer" else Capital.OWN, lender=lender or ZERO_ADDRESS,
        bribe_share_bps=cfg.bribe_share_bps, min_profit_wei=cfg.min_profit_wei, max_gas=cfg.max_gas,
        fee_cap=cfg.max_fee_per_gas_wei, priority_fee=cfg.priority_fee_wei, blocks_ahead=cfg.blocks_ahead,
        max_candidates=cfg.max_candidates, size_top=cfg.size_top, max_trades_per_bundle=cfg.max_trades_per_bundle,
        capital_sources=CapitalSources(pool_manager=pool_manager, balancer_vault=lender)
        if cfg.capital == "cheapest" else None,
        v4_quoter=v4_quoter if cfg.simulator == "pyrevm" else None,  # quotes run in the in-process fork
        weth=ctx.tokens.get("WETH"),  # a cycle in any other base token is judged at its profit's ETH value
        bribe_policy=_bribe_policy(cfg), bribe_floor_bps=cfg.bribe_floor_bps, bribe_ceiling_bps=cfg.bribe_ceiling_bps,
    )  # fmt: skip
    factory: Callable[[int], CandidateSimulator]
    if cfg.simulator == "anvil":
        anvil = AnvilForkSimulator(ctx.url, coinbase=coinbase)
        wiring.closers.append(anvil.close)
        factory = anvil.at
    else:
        # One set of fork reads for every block's fork: prefetch through the transport, misses via the read proxy.
        reads = ForkReads(ctx.url, observer=observer)
        wiring.closers.append(reads.close)
        await asyncio.to_thread(reads.start)
        factory = lambda block: PyrevmCandidateSimulator(ctx.url, block, coinbase=coinbase, reads=reads)  # noqa: E731
    if placement is not None:
        factory = _placing(factory, placement)
    bounds = control.model_dump() if control is not None else {}
    try:
        state = ControlState(
            bribe_share_bps=cfg.bribe_share_bps, min_profit_wei=cfg.min_profit_wei,
            limits=limits_from(cfg.bribe_share_bps, cfg.min_profit_wei, bounds),
            builders=[e.name for e in endpoints] if live else [b.name for b in cfg.builders],
        )  # fmt: skip
    except ValueError as exc:  # limits that leave out the configured value (a caller's settings, not the file's)
        raise ConfigError(f"control: {exc}") from None
    wiring.searcher = Searcher(
        rpc_url=ctx.url, store=store, arbitrage=arbitrage, params=params, executor=executor,
        simulator_factory=factory, node=node, backrun=backrun, metrics=metrics, on_event=on_event, journal=journal,
        control=state,
    )  # fmt: skip
    if cfg.mev_share is not None:
        from arbbot.engine.mev_share import attach_mev_share

        attach_mev_share(wiring, cfg, arbitrage, routers, discovered, key=key if live else None,
                         chain_id=ctx.chain_id, reputation_env=cfg.reputation_key_env)  # fmt: skip
    return wiring


PROBE_MAX_BYTES = 64 * 1024  # a reachability probe needs the answer to begin, not to be whole


async def unreachable(endpoints: list[BuilderEndpoint], timeout: float = 3.0) -> list[str]:
    """One line per builder that cannot be reached now (sending still goes on: it may come back).

    Any HTTP answer, an error included, means the builder is there; only a timeout or a failed connection counts."""
    from arbbot.chain.urls import public_url

    async def probe(e: BuilderEndpoint) -> str | None:
        async with JsonRpcClient(e.url, name=e.name, timeout=timeout, max_bytes=PROBE_MAX_BYTES) as client:
            try:
                await client.call("web3_clientVersion", [])
            except (EndpointTimeout, EndpointUnreachable) as exc:
                return f"builder {e.name} ({public_url(e.url)}) is unreachable now: {exc.detail[:120]}"
            except EndpointError:
                pass  # it answered
        return None

    results = await asyncio.gather(*(probe(e) for e in endpoints))
    return [r for r in results if r]


def _placing(factory: Callable[[int], CandidateSimulator], placement: Placement) -> Callable[[int], CandidateSimulator]:
    def make(block: int) -> CandidateSimulator:
        sim = factory(block)
        sim.place(placement)
        return sim

    return make


def _bribe_policy(cfg: SearcherSettings) -> BribePolicy | None:
    """The configured bribe policy (None: the static share). A learned model that does not load leaves the policy
    falling back to the static share, said in the log, never stopping the searcher."""
    if cfg.bribe_policy == "static" or cfg.bribe_model is None:
        return None
    from arbbot.learn.policy import LearnedShare

    return LearnedShare.from_dir(cfg.bribe_model, StaticShare(cfg.bribe_share_bps), cfg.bribe_floor_bps,
                                 cfg.bribe_ceiling_bps, max(cfg.min_profit_wei, 1))  # fmt: skip
