"""`arbbot run`: the searcher. Dry run by default (simulate and log); `--live` signs and sends bundles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from arbbot.chain.anvil import AnvilNode
from arbbot.cli.common import check_node, console, fail, settings
from arbbot.config import SearcherSettings, Settings, VenueSettings
from arbbot.devnet import running
from arbbot.devnet.manifest import Manifest
from arbbot.engine.counters import SearcherEvent
from arbbot.engine.factory import build
from arbbot.metrics import Metrics

log = logging.getLogger("arbbot.run")


def _endpoint(s: Settings) -> tuple[str, list[VenueSettings], Manifest | None]:
    if s.rpc_url and s.venues:
        return s.rpc_url, s.venues, None
    rec = running.read(s.data_dir)
    if rec is None or not rec.manifest_path:
        raise fail("no rpc_url/venues configured and no replica running; run `arbbot devnet up` or set them")
    return s.rpc_url or rec.url, s.venues, Manifest.read(Path(rec.manifest_path))


def _log_event(event: SearcherEvent) -> None:
    if event.kind == "block":
        log.debug("block %s: %s pools changed", event.data.get("number"), event.data.get("changed"))
    elif event.kind == "error":
        return  # the searcher has logged it (once)
    else:
        log.info("%s %s", event.kind, {k: v for k, v in event.data.items() if k != "kind"})


async def _run(
    s: Settings, *, live: bool, rpc_url: str, chain_id: int, venues: list[VenueSettings],
    manifest: Manifest | None, max_blocks: int | None, metrics_port: int | None,
) -> dict[str, int]:  # fmt: skip
    metrics = Metrics()
    if metrics_port is not None:
        server, port = metrics.serve(metrics_port)
        console.print(f"metrics on http://127.0.0.1:{port}/metrics")
    wiring = await build(
        s.searcher, rpc_url=rpc_url, chain_id=chain_id, live=live, manifest=manifest, venues=venues,
        metrics=metrics, on_event=_log_event,
    )  # fmt: skip
    searcher = wiring.searcher
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, searcher.stop)
    if max_blocks is not None:
        hook = searcher.on_event

        def stop_after(event: SearcherEvent) -> None:
            if hook is not None:
                hook(event)
            if event.kind == "block" and searcher.counters.blocks_processed >= max_blocks:
                searcher.stop()

        searcher.on_event = stop_after
    mode = "LIVE: bundles are signed and sent" if live else "dry run: simulate and log, nothing is sent"
    console.print(
        f"searcher on {rpc_url} ({mode}); {len(searcher.store)} pools, {len(searcher.arbitrage)} cycles, "
        f"executor {searcher.params.executor}"
    )
    try:
        await searcher.run()
    finally:
        await wiring.aclose()
        if metrics_port is not None:
            server.shutdown()
    return searcher.counters.snapshot()


def register(app: typer.Typer) -> None:
    """Add the searcher's commands to the root app."""

    @app.command("run")
    def run(
        live: Annotated[bool, typer.Option("--live/--dry-run", help="Send bundles (--live) or only simulate.")] = False,
        fork_url: Annotated[
            str | None, typer.Option(help="Run on a local anvil fork of this node (e.g. a mainnet archive URL).")
        ] = None,
        executor: Annotated[str | None, typer.Option(help="Deployed ArbExecutor address.")] = None,
        key_env: Annotated[
            str | None, typer.Option(help="Environment variable holding the transaction key (never logged).")
        ] = None,
        simulator: Annotated[
            str | None, typer.Option(help="pyrevm (in-process fork, default) or anvil (an anvil fork of the node).")
        ] = None,
        max_blocks: Annotated[int | None, typer.Option(help="Stop after this many blocks.", min=1)] = None,
        metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus /metrics on this port.")] = None,
    ) -> None:
        """Watch blocks and the mempool, find cycles and backruns, prove them on a fork, bundle them."""
        s = settings()
        updates: dict[str, object] = {}
        if executor is not None:
            updates["executor"] = executor
        if key_env is not None:
            updates["key_env"] = key_env
        if simulator is not None:
            updates["simulator"] = simulator
        if updates:
            try:
                searcher_cfg = SearcherSettings.model_validate({**s.searcher.model_dump(), **updates})
            except ValidationError as exc:
                err = exc.errors()[0]
                raise fail(f"--{err['loc'][0]}: {err['msg']} (got {err.get('input')!r})") from None
            s = s.model_copy(update={"searcher": searcher_cfg})
        node: AnvilNode | None = None
        if fork_url is not None:
            if not s.venues:
                raise fail("--fork-url needs the venues to scan in the config ([[venues]])")
            node = AnvilNode(fork_url=fork_url).start()
            rpc_url, venues, manifest = node.url, list(s.venues), None
        else:
            rpc_url, venues, manifest = _endpoint(s)
        try:
            # Our own anvil fork is a dev chain whatever it forks; any other node must be the configured network's.
            chain_id = check_node(rpc_url, None if node is not None else s.chain_id, s.network)
            counters = asyncio.run(
                _run(s, live=live, rpc_url=rpc_url, chain_id=chain_id, venues=venues, manifest=manifest,
                     max_blocks=max_blocks, metrics_port=metrics_port)
            )  # fmt: skip
        finally:
            if node is not None:
                node.stop()
        console.print(" ".join(f"{k}={v}" for k, v in counters.items()))
