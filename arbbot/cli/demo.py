"""`arbbot demo`: the whole loop on the local mainnet replica, ending with the audit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arbbot.cli.common import console, fail, settings

if TYPE_CHECKING:
    from arbbot.demo.console import DemoConsole


def register(app: typer.Typer) -> None:
    """Add `demo` to the root app."""

    @app.command("demo")
    def demo(
        seed: Annotated[int, typer.Option(help="Seed of the users' swaps (same seed, same run).")] = 20261124,
        rounds: Annotated[int, typer.Option(help="Rounds of user traffic (one or two blocks each).", min=1)] = 12,
        backrun_every: Annotated[
            int, typer.Option(help="Every Nth round holds a big swap pending for a backrun (0: never).", min=0)
        ] = 3,
        out: Annotated[Path | None, typer.Option(help="Where the report, database and logs go.")] = None,
        scenario: Annotated[
            str, typer.Option(help="Replica scenario: v4 (with Uniswap V4 and PancakeSwap V3) or default.")
        ] = "v4",
        solana: Annotated[
            bool, typer.Option(help="End with the Solana loop on the local node (needs cargo the first time).")
        ] = True,
        serve_console: Annotated[
            bool, typer.Option("--console/--no-console", help="Serve the operator console while the demo runs.")
        ] = True,
        console_port: Annotated[
            int, typer.Option(help="The console's port on 127.0.0.1 (0: a free one).", min=0, max=65535)
        ] = 0,
        hold: Annotated[
            bool, typer.Option(help="Keep the console serving the run's trades and bundles after it, until Ctrl-C.")
        ] = False,
    ) -> None:
        """Replica -> executor -> local builder -> live searcher -> seeded traffic -> audit and HTML report."""
        from arbbot.demo.run import DemoConfig, run
        from arbbot.demo.view import LiveView, summary
        from arbbot.devnet.scenario import resolve
        from arbbot.paths import checkout

        if serve_console and console_port:
            from arbbot.demo.console import check_port

            check_port(console_port)  # a taken port is one error line, before the replica starts
        resolve(scenario)  # an unknown name is one error line before the live panel starts
        checkout("the demo (it builds the replica and the local Solana node)")  # so is a plain install
        s = settings()
        from arbbot.cli.searcher import control_token

        cfg = DemoConfig(seed=seed, rounds=rounds, backrun_every=backrun_every, out_dir=out or s.data_dir / "demo",
                         scenario=scenario, solana=solana, control=s.control, control_token=control_token(s),
                         control_dir=s.data_dir, console=serve_console, console_port=console_port)  # fmt: skip
        from arbbot.solana.errors import SolanaError

        try:
            with LiveView(console, rounds) as view:
                result = run(cfg, view.progress, view.on_event)
        except SolanaError as exc:
            raise fail(f"solana: {exc} (--no-solana skips the Solana loop)") from None
        try:
            summary(console, result)
            if not result.closing.reconciled:
                raise fail("the audited PnL does not equal the owner's balance change")
            if result.solana is not None and not result.solana.reconciled:
                raise fail("solana: the journaled profit does not equal the owner's balance change")
            if result.console is not None and hold:
                _hold(result.console)
            elif result.console is not None:
                console.print(f"console: served at {result.console.url} during the run (--hold keeps it serving)",
                              highlight=False)  # fmt: skip
        finally:
            if result.console is not None:
                result.console.stop()


def _hold(served: DemoConsole) -> None:
    """Keep serving until Ctrl-C (the searcher has stopped: its trades, bundles and pools stay browsable)."""
    import threading

    from arbbot.demo.view import console_line

    console.print(f"console: {console_line(served.url, served.user, served.login_file)}; Ctrl-C stops it",
                  highlight=False)  # fmt: skip
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("console stopped", highlight=False)
