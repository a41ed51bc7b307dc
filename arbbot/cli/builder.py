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
