"""Shared wiring for the searcher's end-to-end tests: a real executor, a real node, the local builder."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from arbbot.amm.base import Pool
from arbbot.chain.anvil import AnvilNode, dev_key, pid_alive
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.context import known_pools, routers_from_manifest
from arbbot.devnet.manifest import Manifest
from arbbot.engine.bootstrap import directory_for, load_store, tradable
from arbbot.engine.control import ControlState
from arbbot.engine.searcher import Searcher, SearcherParams
from arbbot.execution.bundles import FlashbotsSigner, JsonRpcClient, TransactionSigner
from arbbot.execution.bundles.fanout import BuilderEndpoint, BundleFanout
from arbbot.execution.route import Capital
from arbbot.execution.submit import BundleExecutor
from arbbot.metrics import Metrics
from arbbot.sim.candidate import PyrevmCandidateSimulator
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.strategy.backrun import BackrunStrategy
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE

DEADLINE = 2**63

OWNER_KEY = dev_key(0)


@contextmanager
def fifo_node(scenario: str, log_dir: Path) -> Iterator[tuple[str, Manifest]]:
    """A replica node of its own for `scenario` with `--order fifo` (the local builder keeps multi-sender bundles in
    order): its URL and manifest; stopped, by PID, on exit."""
    snap = snapshot.ensure(scenario)
    node = AnvilNode(load_state=snap.state_path, log_path=log_dir / "anvil.log", extra_args=["--order", "fifo"])
    node.start()
    pid = node.pid
    try:
        yield node.url, snap.manifest
    finally:
        node.stop()
    assert not pid_alive(pid)


def weth_balance(w3: Web3, manifest: Manifest, holder: str) -> int:
    weth = w3.eth.contract(address=manifest.token("WETH").address, abi=artifacts.load("WETH9").abi)
    return int(weth.functions.balanceOf(holder).call())


def router_call(w3: Web3, manifest: Manifest, venue: str, trader: str, eth_in: int, symbol: str = "USDC") -> dict:
    router = w3.eth.contract(address=manifest.venues[venue].router, abi=artifacts.load("UniswapV2Router02").abi)
    path = [manifest.token("WETH").address, manifest.token(symbol).address]
    data = router.encode_abi("swapExactETHForTokens", args=[0, path, trader, DEADLINE])
    return {"from": trader, "to": router.address, "data": data, "value": eth_in, "gas": 300_000}


@dataclass
class Rig:
    searcher: Searcher
    executor: BundleExecutor
    fanout: BundleFanout
    node: JsonRpcClient
    contract: Contract


def build_searcher(
    url: str,
    w3: Web3,
    manifest: Manifest,
    builder_url: str,
    contract: Contract,
    *,
    extra_builders: Sequence[BuilderEndpoint] = (),
    node_url: str | None = None,
    sim_url: str | None = None,
    sim_timeout: float = 30.0,
    preflight: bool = False,
    pool_filter: Callable[[Pool], bool] | None = None,
    base_tokens: Sequence[str] | None = None,
    control: ControlState | None = None,
    metrics: Metrics | None = None,
    **params: Any,
) -> Rig:
    """Everything `arbbot run --live` wires, pointed at the node and the local builder. Enter `rig.fanout`.

    `node_url` (default: url) is where the searcher reads the chain from, e.g. a fault proxy in front of it.
    `pool_filter`: the pools the strategy trades (default: every pool the store tracks).
    `base_tokens`: the tokens cycles start in (default: WETH).
    `control`: the operator's switches (default: as configured, every builder enabled).
    """
    node_url = node_url or url
    sim_url = sim_url or node_url
    discovered = known_pools(manifest)
    weth = manifest.token("WETH").address
    store = load_store(RpcClient(url), discovered, weth=weth)
    fixed = None if params.get("capital_sources") is not None else params.get("capital", Capital.BALANCER)
    traded = {k: p for k, p in tradable(store.pools, fixed).items() if pool_filter is None or pool_filter(p)}
    arbitrage = CycleArbitrage(traded, list(base_tokens or [weth]), max_hops=3)
    backrun = BackrunStrategy(arbitrage, routers_from_manifest(manifest), directory_for(discovered))
    node = JsonRpcClient(node_url, name="node", timeout=3.0)
    signer = TransactionSigner(OWNER_KEY, 31337, rpc=node)
    # The local builder speaks the whole Flashbots API (eth_callBundle, eth_cancelBundle).
    endpoints = [BuilderEndpoint("local", builder_url, call_bundle=True, cancel="endpoint"), *extra_builders]
    fanout = BundleFanout(endpoints, signer=FlashbotsSigner.random(), timeout=1.0, preflight=preflight)
    executor = BundleExecutor(signer, fanout, node)
    params = SearcherParams(
        executor=contract.address,
        **{"lender": manifest.contracts["BalancerVault"], "caller": signer.address, "bribe_share_bps": 5_000,
           "max_candidates": 2, **params},
    )  # fmt: skip
    searcher = Searcher(
        rpc_url=node_url, backoff=0.05, sim_timeout=sim_timeout, store=store, arbitrage=arbitrage, params=params,
        executor=executor, node=node, backrun=backrun, control=control, metrics=metrics,
        simulator_factory=lambda block: PyrevmCandidateSimulator(sim_url, block, coinbase=LOCAL_BUILDER_COINBASE),
    )  # fmt: skip
    return Rig(searcher, executor, fanout, node, contract)
