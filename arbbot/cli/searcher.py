"""`arbbot run`: the searcher. Dry run by default (simulate and log); `--live` signs and sends bundles.

`--fork-url URL` is the evaluation path: a dry run that reads every new block of that node and simulates
on a fork of it moved to each new head; with no `--executor` the executor is placed in the fork only.
Every run journals what it sends (bundle log + database), so `arbbot report` covers it.
The engine (web3, pyrevm, SQLAlchemy) is imported inside the command: `--help` does not pay for it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from arbbot.cli.common import console, fail, settings
from arbbot.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from arbbot.config import Settings
    from arbbot.engine.context import ChainContext
    from arbbot.engine.counters import SearcherEvent
    from arbbot.engine.journal import Journal

log = logging.getLogger("arbbot.run")


def _log_event(event: SearcherEvent) -> None:
    if event.kind in ("updated", "control"):
        return  # a block's summary is logged per block by the status view; a change by the control state
    if event.kind == "block":
        log.debug("block %s: %s pools changed", event.data.get("number"), event.data.get("changed"))
    elif event.kind == "error":
        return  # the searcher logged it already, once
    else:
        log.info("%s %s", event.kind, dict(event.data))


def check_metrics_port(port: int | None) -> None:
    """A port in range and free on 127.0.0.1, else a one-line error (before anything starts)."""
    if port is None:
        return
    if not 1 <= port <= 65535:
        raise ConfigError(f"--metrics-port: {port} is out of range (1..65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            reason = "in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or "unavailable")
            raise ConfigError(f"--metrics-port: {port} is {reason}") from None


def control_token(s: Settings) -> str | None:
    """The control API's bearer token when `[control]` is enabled (None when it is not); a one-line error when
    the variable that should hold it is unset. The token itself is never printed or logged."""
    import os

    if not s.control.enabled:
        return None
    token = os.environ.get(s.control.token_env, "")
    if not token.strip():
        raise ConfigError(f"control.token_env: {s.control.token_env} is not set; the control API needs a bearer token")
    return token


def _journal(s: Settings, chain_id: int) -> tuple[Journal, Engine]:
    """Bundle log + database rows for every bundle this run sends (what `arbbot report` reads)."""
    from arbbot import db
    from arbbot.audit.bundle_log import BundleLog
    from arbbot.engine.journal import Journal

    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    sessions = db.session_factory(engine)
    return Journal(BundleLog(s.data_dir / "bundles.jsonl", sessions=sessions), chain_id, sessions), engine


async def _run(
    s: Settings, ctx: ChainContext, *, live: bool, max_blocks: int | None, metrics_port: int | None,
    executor_code: bytes | None, token: str | None = None,
) -> tuple[dict[str, int], bool]:  # fmt: skip
    import asyncio

    from arbbot.cli.status import StatusView
    from arbbot.engine.factory import build
    from arbbot.metrics import Metrics

    metrics = Metrics()
    server = None
    if metrics_port is not None:
        server, port = metrics.serve(metrics_port)
        console.print(f"metrics on http://127.0.0.1:{port}/metrics")
    journal, engine = _journal(s, ctx.chain_id)
    view = StatusView(s.data_dir, ctx, live=live, console=console)
    interrupted = False
    try:
        wiring = await build(
            s.searcher, ctx, live=live, metrics=metrics, on_event=view.chain(_log_event), journal=journal,
            executor_code=executor_code, on_status=lambda text: console.print(text), control=s.control,
        )  # fmt: skip
        searcher = wiring.searcher
        view.attach(searcher)
        if token is not None:
            from arbbot.engine.control_api import ControlServer

            api = ControlServer(searcher, token, host=s.control.host, port=s.control.port, data_dir=s.data_dir)
            try:
                url = await api.start()
            except OSError as exc:
                await wiring.aclose()
                why = exc.strerror or exc
                raise ConfigError(f"control.listen: cannot listen on {s.control.listen} ({why})") from None
            wiring.closers.append(api.stop)  # closed first: no change arrives while the rest shuts down
            console.print(f"control API on {url} (written to {s.data_dir / 'control.json'})")
        if live and journal.sessions is not None:
            from arbbot.engine.journal import db_auditor

            journal.auditor = db_auditor(ctx.url, searcher.params.executor, ctx.chain_id, journal.sessions)
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            nonlocal interrupted
            interrupted = True
            searcher.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, on_signal)
        # Stop once the last block is processed in full: stopping at its "block" event (before its cycles are
        # searched and traded) would cut that block's trading short, depending on timing.
        searcher.max_blocks = max_blocks
        mode = "LIVE: bundles are signed and sent" if live else "dry run: simulate and log, nothing is sent"
        console.print(
            f"searcher on {ctx.name} ({mode}); {len(searcher.store)} pools, {len(searcher.arbitrage)} cycles, "
            f"executor {searcher.params.executor}"
        )
        try:
            with view:
                await searcher.run()
                if live and not interrupted and searcher.in_flight():
                    # A normal end (--max-blocks): what was sent still lands or misses; wait for it.
                    n = searcher.in_flight()
                    console.print(f"waiting for {n} bundle(s) in flight to land or miss (no new trades)")
                    left = await searcher.drain(
                        max_blocks=searcher.params.blocks_ahead + 2, timeout=120.0, cancelled=lambda: interrupted
                    )
                    if left:
                        console.print(f"{left} bundle(s) still unresolved; `arbbot audit` will find them if they land")
        finally:
            await wiring.aclose()
        return searcher.counters.snapshot(), interrupted
    finally:
        view.close()
        engine.dispose()
        if server is not None:
            server.shutdown()


def register(app: typer.Typer) -> None:
    """Add the searcher's commands to the root app."""

    @app.command("run")
    def run(
        live: Annotated[bool, typer.Option("--live/--dry-run", help="Send bundles (--live) or only simulate.")] = False,
        rpc_url: Annotated[str | None, typer.Option(help="Node to read and trade on (default: rpc_url).")] = None,
        fork_url: Annotated[
            str | None,
            typer.Option(help="Dry run on a fork of this node that follows its head (nothing is sent)."),
        ] = None,
        executor: Annotated[
            str | None, typer.Option(help="Deployed ArbExecutor (dry run without one: placed in the fork).")
        ] = None,
        key_env: Annotated[
            str | None, typer.Option(help="Environment variable holding the transaction key (never logged).")
        ] = None,
        simulator: Annotated[
            str | None, typer.Option(help="pyrevm (in-process fork, default) or anvil (an anvil fork of the node).")
        ] = None,
        max_blocks: Annotated[int | None, typer.Option(help="Stop after this many blocks.", min=1)] = None,
        metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus /metrics on this port.")] = None,
        mev_share: Annotated[
            str | None,
            typer.Option("--mev-share", help="MEV-Share hint stream URL: backrun private transactions by their hints."),
        ] = None,
    ) -> None:
        """Watch blocks and the mempool, find cycles and backruns, prove them on a fork, bundle them."""
        import asyncio

        from pydantic import ValidationError

        from arbbot.config import SearcherSettings

        s = settings()
        if fork_url is not None and live:
            raise fail("--fork-url is a dry run on a fork; to send bundles use --live with --rpc-url")
        if fork_url is not None and rpc_url is not None:
            raise fail("give --rpc-url or --fork-url, not both")
        check_metrics_port(metrics_port)
        token = control_token(s)
        updates: dict[str, object] = {}
        if executor is not None:
            updates["executor"] = executor
        if key_env is not None:
            updates["key_env"] = key_env
        if simulator is not None:
            updates["simulator"] = simulator
        if mev_share is not None:
            updates["mev_share"] = mev_share
        if updates:
            try:
                searcher_cfg = SearcherSettings.model_validate({**s.searcher.model_dump(exclude_unset=True), **updates})
            except ValidationError as exc:
                err = exc.errors()[0]
                raise fail(
                    f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']} (got {err.get('input')!r})"
                ) from None
            s = s.model_copy(update={"searcher": searcher_cfg})
        from arbbot.cli.endpoint import resolve

        ctx = resolve(s, fork_url or rpc_url, field="--fork-url" if fork_url is not None else "--rpc-url")
        executor_code = None
        if s.searcher.executor is None and not live:
            from arbbot.devnet.executor import executor_creation_code

            executor_code = executor_creation_code()
        job = _run(s, ctx, live=live, max_blocks=max_blocks, metrics_port=metrics_port, executor_code=executor_code,
                   token=token)  # fmt: skip
        counters, interrupted = asyncio.run(job)
        console.print(
            " ".join(f"{k}={v}" for k, v in counters.items()), soft_wrap=True, highlight=False
        )  # one line, for scripts
        if interrupted:
            raise typer.Exit(130)
