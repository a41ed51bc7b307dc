"""`arbbot devnet …`: the local mainnet replica.

web3 and the replica machinery are imported inside the commands: `--help` does not pay for them.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arbbot.cli.common import console, fail, settings
from arbbot.errors import DevnetError

if TYPE_CHECKING:
    from arbbot.config import Settings
    from arbbot.devnet.manifest import Manifest

app = typer.Typer(help="Run the local mainnet replica (anvil + real protocol bytecode).", no_args_is_help=True)


def show_holdings(url: str, manifest: Manifest) -> None:
    """Print the replica's contracts, tokens and pools (with live prices)."""
    from rich.table import Table
    from web3 import HTTPProvider, Web3

    from arbbot.devnet.inspect import pool_views

    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 10}))
    console.print(
        f"[bold]replica[/] scenario=[cyan]{manifest.scenario}[/] seed={manifest.seed} "
        f"chain_id={manifest.chain_id} block={w3.eth.block_number} url=[green]{url}[/]"
    )
    contracts = Table(title="Contracts", title_justify="left")
    contracts.add_column("name")
    contracts.add_column("address", style="cyan")
    for name, addr in manifest.contracts.items():
        contracts.add_row(name, addr)
    console.print(contracts)
    tokens = Table(title="Tokens", title_justify="left")
    for col in ("symbol", "decimals", "address", "notes"):
        tokens.add_column(col)
    for t in manifest.tokens:
        note = f"fee-on-transfer {t.fee_on_transfer_bps} bps" if t.fee_on_transfer_bps else ""
        tokens.add_row(t.symbol, str(t.decimals), t.address, note)
    console.print(tokens)
    pools = Table(title="Pools", title_justify="left")
    for col in ("venue", "pair", "fee", "address", "price (token1 per token0)", "tick"):
        pools.add_column(col)
    for view in pool_views(w3, manifest):
        p = view.pool
        fee = f"{p.fee / 100:.2f}%" if p.kind == "uniswap_v2" else f"{p.fee / 10_000:.2f}%"
        pools.add_row(
            p.venue,
            f"{p.token0}/{p.token1}",
            fee,
            p.address,
            f"{view.price:.6g}",
            "" if view.tick is None else str(view.tick),
        )
    console.print(pools)


@app.command()
def up(
    scenario_name: Annotated[str | None, typer.Option("--scenario", "-s", help="Built-in name or .toml path.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind on 127.0.0.1 (0 = any free port).")] = None,
    foreground: Annotated[bool, typer.Option(help="Stay attached; Ctrl-C stops the node.")] = False,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the snapshot even if a cached one exists.")] = False,
    fork_url: Annotated[str | None, typer.Option(help="Fork this RPC instead of building the replica.")] = None,
    fork_block_number: Annotated[int | None, typer.Option(help="Block to fork at (with --fork-url).")] = None,
    dump_state: Annotated[Path | None, typer.Option(help="Write the node's state here when it stops.")] = None,
    load_state: Annotated[
        Path | None, typer.Option(help="Start from this state file (from --dump-state) instead of a scenario.")
    ] = None,
) -> None:
    """Start the replica (built once, then loaded from its snapshot in well under a second)."""
    from arbbot.chain.anvil import AnvilNode
    from arbbot.devnet import running, snapshot
    from arbbot.progress import RichProgress

    devnet_over = {
        k: v
        for k, v in {
            "scenario": scenario_name,
            "port": port,
            "fork_url": fork_url,
            "fork_block_number": fork_block_number,
        }.items()
        if v is not None
    }
    s = settings()
    cfg = s.devnet.model_copy(update=devnet_over)
    if cfg.fork_block_number is not None and not cfg.fork_url:
        raise fail("--fork-block-number needs --fork-url")
    existing = running.read(s.data_dir)
    if existing is not None:
        raise fail(
            f"a devnet is already running at {existing.url} (pid {existing.pid}); run `arbbot devnet down` first"
        )
    log_path = (s.data_dir / "anvil.log").resolve()
    manifest: Manifest | None = None
    if load_state is not None and cfg.fork_url:
        raise fail("--load-state and --fork-url cannot be combined")
    # fifo: transactions of different senders stay in the order they reach the node, so a bundle a local
    # builder includes keeps its order (arbbot builder serve relies on it).
    fifo = ["--order", "fifo"]
    if load_state is not None:
        node = AnvilNode(
            port=cfg.port, log_path=log_path, load_state=load_state, dump_state=dump_state, detached=not foreground,
            extra_args=fifo,
        )  # fmt: skip
    elif cfg.fork_url:
        node = AnvilNode(
            port=cfg.port,
            log_path=log_path,
            fork_url=cfg.fork_url,
            fork_block_number=cfg.fork_block_number,
            dump_state=dump_state,
            detached=not foreground,
        )
    else:
        with RichProgress() as progress:
            snap = snapshot.ensure(cfg.scenario, progress=progress, rebuild=rebuild)
        manifest = snap.manifest
        node = AnvilNode(
            port=cfg.port,
            log_path=log_path,
            load_state=snap.state_path,
            dump_state=dump_state,
            detached=not foreground,
            extra_args=fifo,
        )
    node.start()
    manifest_path = ""
    if manifest is not None:
        manifest_path = str((s.data_dir / "manifest.json").resolve())
        manifest.write(Path(manifest_path))
    running.write(
        s.data_dir,
        running.RunningDevnet(
            pid=node.pid,
            url=node.url,
            scenario=manifest.scenario
            if manifest
            else (f"fork of {cfg.fork_url}" if cfg.fork_url else str(load_state)),
            manifest_path=manifest_path,
            log_path=str(log_path),
        ),
    )
    if manifest is not None:
        show_holdings(node.url, manifest)
    console.print(f"node pid {node.pid} listening on [green]{node.url}[/]; log {log_path}")
    if not foreground:
        console.print("stop it with [bold]arbbot devnet down[/]")
        return
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    try:
        # Blocked before the ready line: a Ctrl-C at any moment after it is taken by sigwait.
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        console.print("Ctrl-C to stop")
        signal.sigwait(stop_signals)
    finally:
        node.stop()
        running.record_path(s.data_dir).unlink(missing_ok=True)
    raise typer.Exit(130)


@app.command()
def down() -> None:
    """Stop the devnet started by `arbbot devnet up` (by its PID)."""
    from arbbot.devnet import running

    s = settings()
    stopped = running.stop(s.data_dir)
    if stopped is None:
        console.print("no devnet running")
        return
    console.print(f"stopped devnet pid {stopped.pid} ({stopped.url})")


@app.command()
def status(
    rpc_url: Annotated[str | None, typer.Option(help="A replica (or a fork of it) at this URL.")] = None,
) -> None:
    """Show the running devnet (or the replica at --rpc-url) and what it holds."""
    from arbbot.devnet import running
    from arbbot.devnet.manifest import Manifest

    s = settings()
    if rpc_url is not None:
        url, manifest = _replica_at(s, rpc_url)
        show_holdings(url, manifest)
        return
    rec = running.read(s.data_dir)
    if rec is None:
        raise fail("no devnet running; start one with `arbbot devnet up`")
    if rec.manifest_path:
        show_holdings(rec.url, Manifest.read(Path(rec.manifest_path)))
    console.print(f"node pid {rec.pid} listening on [green]{rec.url}[/]; log {rec.log_path}")


def _replica_at(s: Settings, rpc_url: str | None) -> tuple[str, Manifest]:
    """The node (--rpc-url, rpc_url or the running devnet) and its replica manifest, or a one-line error."""
    from arbbot.chain.rpc import RpcClient
    from arbbot.chain.urls import public_url
    from arbbot.cli.endpoint import chain_id_of, node_url
    from arbbot.devnet.context import find_replica

    url = node_url(s, rpc_url)
    found = find_replica(RpcClient(url), chain_id_of(url), s.data_dir)
    if found is None:
        raise fail(f"--rpc-url: {public_url(url)} is not the replica (none of the known replica snapshots matches it)")
    return url, found


@app.command()
def traffic(
    rpc_url: Annotated[str | None, typer.Option(help="The replica (default: the running devnet).")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same users and swaps.")] = 20261124,
    swaps_per_block: Annotated[int, typer.Option(min=1, max=50, help="Public user swaps sent per block.")] = 2,
    blocks: Annotated[int | None, typer.Option(min=1, help="Stop after this many blocks (default: Ctrl-C).")] = None,
    users: Annotated[int, typer.Option(min=1, max=15, help="Dev accounts trading (from account 5 on).")] = 4,
    min_eth: Annotated[float, typer.Option(help="Smallest swap, in ETH worth.")] = 20.0,
    max_eth: Annotated[float, typer.Option(help="Largest swap, in ETH worth.")] = 120.0,
    interval: Annotated[float, typer.Option(min=0.0, help="Seconds between rounds.")] = 1.0,
) -> None:
    """Seeded users swapping through the replica's real routers, every block: the dislocations (and the
    pending swaps) a searcher trades on. Works with automine or with `arbbot builder serve` making blocks."""
    import time
    from decimal import Decimal

    from web3 import HTTPProvider, Web3

    from arbbot.devnet.traffic import Traffic, confirm, scenario_prices

    s = settings()
    if not 0 < min_eth <= max_eth:
        raise fail(f"--min-eth/--max-eth: need 0 < min <= max, got {min_eth} and {max_eth}")
    url, manifest = _replica_at(s, rpc_url)
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    gen = Traffic(w3, manifest, scenario_prices(manifest), seed=seed, users=users,
                  min_eth=Decimal(str(min_eth)), max_eth=Decimal(str(max_eth)))  # fmt: skip
    console.print(f"traffic on {url}: {users} users, {swaps_per_block} swaps per block, seed {seed}; funding users")
    gen.fund()
    done = 0
    try:
        while blocks is None or done < blocks:
            swaps = gen.next_swaps(swaps_per_block)
            receipts = confirm(w3, [x.raw_tx for x in swaps], timeout=120)
            done += 1
            mined = sorted({int(r["blockNumber"]) for r in receipts})
            ok = sum(int(r["status"]) for r in receipts)
            console.print(f"round {done}: {ok}/{len(swaps)} swaps mined in block(s) {', '.join(map(str, mined))}")
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print(f"stopped after {done} rounds")
        raise typer.Exit(130) from None


@app.command()
def build(
    scenario_name: Annotated[str | None, typer.Option("--scenario", "-s", help="Built-in name or .toml path.")] = None,
) -> None:
    """Build (or rebuild) a scenario's snapshot without starting a node."""
    from arbbot.devnet import snapshot
    from arbbot.progress import RichProgress

    s = settings()
    with RichProgress() as progress:
        snap = snapshot.ensure(scenario_name or s.devnet.scenario, progress=progress, rebuild=True)
    console.print(f"snapshot {snap.key}: {snap.state_path}")


@app.command("scenarios")
def list_scenarios() -> None:
    """List the built-in scenarios."""
    from arbbot.devnet import scenario

    for name in scenario.builtin_names():
        sc, _ = scenario.load(name)
        console.print(f"[cyan]{name}[/]: {sc.description}")


__all__ = ["DevnetError", "app"]
