"""`arbbot builder serve`: the local block builder (a test double of a Flashbots-style builder) as a
service over the replica, producing a block every `--block-time` seconds from the bundles it receives
and the public transactions in the node's txpool. For testing `arbbot run --live` end to end."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer

from arbbot.cli.common import console, fail, settings

app = typer.Typer(help="The local block builder over the replica (a test double of a real builder).",
                  no_args_is_help=True)  # fmt: skip


@app.command()
def serve(
    rpc_url: Annotated[str | None, typer.Option(help="The node to build on (default: the running devnet).")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0 = any free port).")] = 0,
    block_time: Annotated[float, typer.Option(min=0.1, help="Seconds between the blocks it builds.")] = 1.0,
    miss_every: Annotated[
        int, typer.Option(min=0, help="Every Nth bundle received loses its auction (0 = never).")
    ] = 0,
    unsigned: Annotated[bool, typer.Option(help="Accept bundles without X-Flashbots-Signature.")] = False,
) -> None:
    """Serve eth_sendBundle / eth_callBundle / eth_cancelBundle and produce the node's blocks."""
    from arbbot.cli.endpoint import node_url
    from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, BuiltBlock, LocalBuilder

    s = settings()
    url = node_url(s, rpc_url)
    interrupted = False

    def on_block(built: BuiltBlock | None, error: Exception | None) -> None:
        if error is not None:
            console.print(f"[yellow]block not built:[/] {error}")
            return
        assert built is not None
        dropped = "".join(f"; dropped {h[:10]}…: {why}" for h, why in built.dropped.items())
        console.print(
            f"block {built.number}: {len(built.included)} bundle(s), {len(built.public)} public tx(s){dropped}"
        )

    async def main() -> None:
        nonlocal interrupted
        stop = asyncio.Event()

        def on_signal() -> None:
            nonlocal interrupted
            interrupted = True
            stop.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, on_signal)
        try:
            builder = LocalBuilder(url, port=port, miss_every=miss_every, require_signature=not unsigned)
            await builder.start()
        except OSError as exc:
            raise fail(f"--port: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
        try:
            console.print(f"local builder on {builder.url} (coinbase {LOCAL_BUILDER_COINBASE}), a block every "
                          f"{block_time:g}s on {url}", soft_wrap=True)  # fmt: skip
            console.print(
                f'[searcher] builders = [{{ name = "local", url = "{builder.url}", '
                f'coinbase = "{LOCAL_BUILDER_COINBASE}" }}]',
                soft_wrap=True, highlight=False, markup=False,
            )  # fmt: skip
            await builder.serve(block_time, stop, on_block=on_block)
        finally:
            await builder.stop()

    asyncio.run(main())
    if interrupted:
        raise typer.Exit(130)


@app.command()
def stats(
    hours: Annotated[float | None, typer.Option(min=0, help="Only the last N hours (default: everything).")] = None,
    chain_id: Annotated[int | None, typer.Option(help="Only bundles of this chain id.")] = None,
) -> None:
    """Per-builder telemetry from the journal: sends, accepted, rejected, refused here, ack time, landed."""
    from datetime import timedelta

    from rich.table import Table

    from arbbot import db
    from arbbot.db import crud
    from arbbot.db.types import utcnow

    s = settings()
    try:
        engine = db.connect(s.database_url or db.default_url(s.data_dir))
    except Exception as exc:  # one line, no traceback; the URL may hold a password, so it is not shown
        raise fail(f"database_url: cannot open the database ({type(exc).__name__})") from None
    try:
        since = utcnow() - timedelta(hours=hours) if hours is not None else None
        with db.session_factory(engine)() as session:
            rows = crud.builder_stats(session, chain_id=chain_id, since=since)
    finally:
        engine.dispose()
    if not rows:
        console.print("no bundles recorded yet")
        return
    t = Table(box=None, padding=(0, 2))
    for col in ("builder", "sent", "accepted", "rejected", "refused here", "ack ms (median/max)",
                "receivedTimestampMs", "landed", "last error"):  # fmt: skip
        t.add_column(col, justify="left" if col in ("builder", "last error") else "right", overflow="fold")
    for r in rows:
        ack = "-" if r.ack_ms_median is None else f"{r.ack_ms_median:.1f}/{r.ack_ms_max:.1f}"
        t.add_row(r.builder, str(r.sent), str(r.accepted), str(r.rejected), str(r.refused_locally), ack,
                  str(r.received_ts), str(r.landed), (r.last_error or "")[:80])  # fmt: skip
    console.print(t)


@app.command()
def dialects() -> None:
    """The request shape each builder preset is sent (see README, "Builder dialects")."""
    from rich.table import Table

    from arbbot.execution.bundles.dialects import DIALECTS

    t = Table(box=None, padding=(0, 2))
    for col in ("dialect", "method", "uuid", "refunds", "dropping", "cancel", "builders[]", "signature", "rate limit"):
        t.add_column(col, overflow="fold")
    for d in DIALECTS.values():
        uuid = "-" if d.uuid_field is None else d.uuid_field + (" (v4)" if d.uuid_v4 else "")
        refunds = "-" if d.refund == "none" else f"{d.refund} {d.refund_range[0]}-{d.refund_range[1]}%"
        t.add_row(d.name, d.method, uuid, refunds, "yes" if d.dropping else "-", d.cancel,
                  "yes" if d.builders_field else "-", d.signature, str(d.rate_limit or "-"))  # fmt: skip
    console.print(t)
