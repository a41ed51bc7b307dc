"""What the demo shows while it runs (a live panel) and when it ends (the audit and the PnL check)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from arbbot.audit.render import table as trades_table
from arbbot.demo.run import DemoRun
from arbbot.engine.counters import SearcherEvent

ETH = 10**18
SOL = 10**9


def eth(wei: int) -> str:
    """Wei as a signed ETH figure with six decimals, for the demo's display only (a float: not exact)."""
    return f"{wei / ETH:+.6f} ETH"


class LiveView:
    """Blocks, opportunities, bundles sent/landed and PnL, updated as the searcher reports them."""

    def __init__(self, console: Console, rounds: int) -> None:
        self.console = console
        self.rounds = rounds
        self.stage = "starting"
        self.round = 0
        self.block = 0
        self.counts = {"found": 0, "simulated": 0, "sent": 0, "landed": 0, "missed": 0, "dropped": 0, "errors": 0}
        self.pnl = 0
        self.console_at = ""  # where the operator console is, once it serves
        self.last: list[str] = []
        self.live = Live(self._render(), console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._render())
        self.live.__exit__(None, None, None)

    def progress(self, what: str, data: dict) -> None:
        """Show a demo stage, round or new block (the demo's `progress` callback)."""
        if what == "stage":
            self.stage = data["text"]
        elif what == "round":
            self.round = data["n"]
            self.stage = f"round {data['n']}/{self.rounds}: " + (
                f"{data['swaps']} public user swaps" if data["kind"] == "public" else
                f"{'private' if data['kind'] == 'mev-share' else 'pending'} {data['pool']} swap"
                + (" -> backrun bundle" if data.get("backrun") else "")
            )  # fmt: skip
        elif what == "block":
            self.block = data["number"]
        elif what == "console":
            self.console_at = console_line(data["url"], data["user"], data["login_file"])
        self.live.update(self._render())

    def on_event(self, e: SearcherEvent) -> None:
        """Count a searcher event and show the last few sends, landings and errors (the searcher's event hook)."""
        if e.kind in self.counts:
            self.counts[e.kind] += 1
        if e.kind == "error":
            self.counts["errors"] += 1
        if e.kind == "landed":
            self.pnl += int(e.data.get("net", 0))
            self._note(f"landed in block {e.data.get('block')}: net {eth(int(e.data.get('net', 0)))}")
        elif e.kind == "sent":
            kind = e.data.get("kind", "?")
            self._note(f"{kind} bundle sent, expected net {eth(int(e.data.get('net', 0)))}")
        elif e.kind == "error":
            self._note(f"[yellow]{e.data.get('where')}: {e.data.get('error')}[/]")
        self.live.update(self._render())

    def _note(self, line: str) -> None:
        self.last = [*self.last[-4:], line]

    def _render(self) -> Group:
        t = Table.grid(padding=(0, 2))
        t.add_row("stage", self.stage)
        t.add_row("head block", str(self.block or "-"))
        t.add_row("opportunities", f"found {self.counts['found']}  simulated {self.counts['simulated']}  "
                                   f"dropped {self.counts['dropped']}")  # fmt: skip
        t.add_row(
            "bundles", f"sent {self.counts['sent']}  landed {self.counts['landed']}  missed {self.counts['missed']}"
        )
        t.add_row("realized PnL", eth(self.pnl))
        if self.console_at:
            t.add_row("console", self.console_at)
        return Group(t, *(Text.from_markup(f"  {line}") for line in self.last))


def console_line(url: str, user: str, login_file: object) -> str:
    """Where the demo's console is and how to log in (the password's location, never the password)."""
    where = f"password in {login_file}" if login_file else "password: $ARBBOT_CONSOLE_PASSWORD"
    return f"{url} (viewer {user!r}, {where})"


def summary(console: Console, run: DemoRun) -> None:
    """Print the closing audit: the trades table, audit problems, blocks and landings, and whether the audited PnL
    equals the owner's balance change; then the Solana loop's result if it ran.
    """
    c = run.closing
    console.rule("audit")
    console.print(trades_table(c.trades))
    for p in c.problems:
        console.print(f"[yellow]audit problem:[/] {p}")
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(run.landed_by_kind.items())) or "none"
    console.print(f"blocks {run.first_block}..{run.last_block}; trades audited: {len(c.trades)}; "
                  f"bundles landed: {run.counters['landed']} ({kinds})")  # fmt: skip
    if run.v4_trades:
        console.print(f"trades through Uniswap V4 pools: {run.v4_trades}")
    if run.balancer_trades:
        console.print(f"trades through Balancer V2 pools: {run.balancer_trades}")
    verdict = "[bold green]equal[/]" if c.reconciled else "[bold red]DIFFERENT[/]"
    console.print(
        f"realized PnL (audit): {eth(c.audited_net)}; owner's balance change: {eth(c.owner_change)}: {verdict}"
    )
    console.print(f"HTML report: {c.report.resolve()}")
    if run.solana is not None:
        solana_summary(console, run)


def solana_summary(console: Console, run: DemoRun) -> None:
    """Print the Solana loop's route, bundle (compute limit, priority fee, tip) and whether its realized profit equals
    the owner's SOL and wSOL change.
    """
    loop = run.solana
    assert loop is not None
    a = loop.attempt
    console.rule("solana")
    hops = " → ".join(f"{h.pool.venue.name.lower()} {str(h.pool.address)[:8]}…" for h in a.route.hops)
    console.print(f"route: {hops}; in {a.route.amount_in / SOL:.4f} SOL, quoted profit {a.route.profit / SOL:.6f} SOL")
    console.print(f"bundle {a.status}: compute limit {a.cu_limit:,} (simulated {a.units_simulated:,} units), "
                  f"priority {a.cu_price:,} µlamports/CU, tip {a.tip:,} lamports")  # fmt: skip
    landing = a.landing
    if landing is not None:
        verdict = "[bold green]equal[/]" if loop.reconciled else "[bold red]DIFFERENT[/]"
        console.print(
            f"realized (journal): {(landing.profit - landing.fee) / SOL:+.9f} SOL after the fee; "
            f"owner's SOL + wSOL change: {(loop.sol_after - loop.sol_before) / SOL:+.9f} SOL: {verdict}"
        )
