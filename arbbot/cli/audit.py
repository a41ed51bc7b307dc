"""`arbbot audit` (our trades, from receipts and traces) and `arbbot report` (table, CSV, JSON, HTML).

The audit and report machinery (node client, database, ABI decoding) is imported inside the commands,
so that `--help` and the other commands do not pay for it.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arbbot.cli.common import console, err_console, fail, settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from arbbot.amm.base import Pool
    from arbbot.chain.rpc import RpcClient
    from arbbot.config import Settings
    from arbbot.devnet.manifest import Manifest
    from arbbot.units import TokenInfo

FORMATS = ("table", "csv", "json", "html")


def _rpc_url(s: Settings, rpc_url: str | None = None) -> str:
    from arbbot.cli.endpoint import node_url

    return node_url(s, rpc_url)


def _sessions(s: Settings) -> tuple[Engine, sessionmaker[Session]]:
    from arbbot import db

    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    return engine, db.session_factory(engine)


def _manifest(s: Settings, chain_id: int) -> Manifest | None:
    """The running replica's manifest, if the replica is the chain being audited or reported."""
    from arbbot.devnet import running
    from arbbot.devnet.manifest import Manifest

    rec = running.read(s.data_dir)
    if rec is None or not rec.manifest_path or not Path(rec.manifest_path).is_file():
        return None
    manifest = Manifest.read(Path(rec.manifest_path))
    return manifest if manifest.chain_id == chain_id else None


def _venues(s: Settings, sessions: sessionmaker[Session], chain_id: int) -> dict[str, str]:
    """Pool -> venue name: from the running replica's manifest, and from the pools table (wins)."""
    from arbbot.db import crud

    out: dict[str, str] = {}
    manifest = _manifest(s, chain_id)
    if manifest is not None:
        out.update({p.address: p.venue for p in manifest.pools})
    with sessions() as session:
        out.update({p.address: p.venue for p in crud.get_pools(session, chain_id, include_state=False) if p.venue})
    return out


def _pools_at(
    s: Settings, sessions: sessionmaker[Session], chain_id: int, rpc: RpcClient
) -> Callable[[int, str], Iterable[Pool]]:
    """What values a non-WETH profit on chain: the known pools (the running replica's manifest and the pools
    table) trading the token, read at the block asked for."""
    from arbbot.db import crud
    from arbbot.devnet.context import known_pools
    from arbbot.engine.bootstrap import load_store
    from arbbot.state.discovery import DiscoveredPool, pool_kind

    manifest = _manifest(s, chain_id)
    known = {d.address.lower(): d for d in (known_pools(manifest) if manifest else [])}
    with sessions() as session:
        for p in crud.get_pools(session, chain_id, include_state=False):
            if p.kind in ("uniswap_v2", "uniswap_v3"):
                known[p.address.lower()] = DiscoveredPool(
                    pool_kind(p.kind), p.factory, p.address, p.token0, p.token1, p.fee, p.tick_spacing, p.created_block
                )

    def pools_at(block: int, token: str) -> Iterable[Pool]:
        t = token.lower()
        trading = [d for d in known.values() if t in (d.token0.lower(), d.token1.lower())]
        return load_store(rpc, trading, block).pools.values() if trading else []

    return pools_at


def _tokens(s: Settings, sessions: sessionmaker[Session], chain_id: int) -> dict[str, TokenInfo]:
    """Symbols and decimals: the tokens table, and the running replica's manifest for the rest."""
    from arbbot.db import crud
    from arbbot.units import TokenInfo

    manifest = _manifest(s, chain_id)
    out = {t.address.lower(): TokenInfo(t.symbol, t.decimals) for t in manifest.tokens} if manifest else {}
    with sessions() as session:
        stored = crud.get_tokens(session, chain_id)
    out |= {a: TokenInfo(t.symbol, t.decimals) for a, t in stored.items() if t.symbol or a not in out}
    return out


def audit(
    tx_hashes: Annotated[list[str] | None, typer.Argument(help="Transaction hashes to audit.")] = None,
    executor: Annotated[
        list[str] | None, typer.Option("--executor", "-e", help="Our executor address (repeatable).")
    ] = None,
    from_block: Annotated[int | None, typer.Option(help="First block of a range audit.")] = None,
    to_block: Annotated[int | None, typer.Option(help="Last block of a range audit (default: head).")] = None,
    trace: Annotated[bool, typer.Option(help="Use debug_traceTransaction where the node has it.")] = True,
    missed: Annotated[
        bool,
        typer.Option(
            "--missed",
            help="Attribute missed bundles instead: who traded their pools first in a target block, and what it paid "
            "the builder (stored with each bundle; learned from by `arbbot learn`).",
        ),
    ] = False,
    store: Annotated[bool, typer.Option(help="Store audited trades in the database.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (amounts as decimal strings).")] = False,
    rpc_url: Annotated[
        str | None, typer.Option(help="Node to read (default: rpc_url, else the running replica).")
    ] = None,
) -> None:
    """Audit trades: given transactions, a block range (with --executor), or every trade of --executor."""
    from arbbot.audit import render
    from arbbot.audit.auditor import AuditOptions, Auditor
    from arbbot.audit.errors import AuditError
    from arbbot.audit.store import save_trades, simulated_from_db
    from arbbot.audit.types import AuditResult
    from arbbot.chain.rpc import RpcClient

    s = settings()
    executors = tuple(executor or ())
    rpc = RpcClient(_rpc_url(s, rpc_url))
    if missed:
        if tx_hashes or executors or from_block is not None:
            raise fail("--missed: give no transaction hashes, --executor or --from-block (it looks at every miss)")
        _attribute_misses(s, rpc, trace, as_json)
        return
    engine, sessions = _sessions(s)
    try:
        chain_id = int(rpc.call("eth_chainId"), 16)
        options = AuditOptions(executors=executors, trace=trace, venues=_venues(s, sessions, chain_id),
                               pools_at=_pools_at(s, sessions, chain_id, rpc))  # fmt: skip
        auditor = Auditor(rpc, options, simulated=simulated_from_db(sessions, chain_id))
        if tx_hashes:
            result = auditor.audit_hashes(tx_hashes)
        elif from_block is not None:
            result = auditor.audit_range(from_block, rpc.block_number() if to_block is None else to_block)
        elif executors:
            result = AuditResult()
            for e in executors:
                part = auditor.audit_executor(e, to_block=to_block)
                result.trades += part.trades
                result.problems += part.problems
        else:
            raise fail("give transaction hashes, --from-block with --executor, or --executor alone (all its trades)")
        if store and result.trades:
            result.problems += save_trades(sessions, result.trades)
        tokens = _tokens(s, sessions, chain_id)
    except AuditError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    if as_json:
        print(render.to_json(result), end="")
    else:
        console.print(render.table(result.trades, tokens, console.width))
        if store:
            console.print(f"{len(result.trades)} trade(s) audited and stored")
    for p in result.problems:
        err_console.print(f"[yellow]not audited:[/] {p.message}", highlight=False, soft_wrap=True)
    if result.problems:
        raise typer.Exit(1)


def _attribute_misses(s: Settings, rpc: RpcClient, trace: bool, as_json: bool) -> None:
    import json

    from arbbot.audit.chain import ChainReader
    from arbbot.audit.misses import attribute_misses
    from arbbot.chain.rpc import RpcError

    engine, sessions = _sessions(s)
    try:
        chain = ChainReader(rpc, trace=trace)
        done = attribute_misses(chain, sessions, chain.chain_id)
    except RpcError as exc:
        raise fail(f"rpc_url: {exc}") from None
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({"taken": done.taken, "unexplained": done.unexplained,
                          "later": [{"uuid": u, "why": w} for u, w in done.later]}))  # fmt: skip
    else:
        console.print(f"{done.taken} missed bundle(s) attributed to a taker, {done.unexplained} with no other "
                      f"transaction on their pools, {len(done.later)} left for later")  # fmt: skip
        if chain.trace_supported is False and done.taken:
            err_console.print(f"[yellow]payments are lower bounds:[/] {chain.trace_unsupported_reason}")
        for uuid, why in done.later:
            err_console.print(f"later: {uuid}: {why}", highlight=False, soft_wrap=True)


def _chain_id(s: Settings, given: int | None, rpc_url: str | None = None) -> int:
    from arbbot.cli.endpoint import chain_id_of

    if given is not None:
        return given
    return chain_id_of(_rpc_url(s, rpc_url), timeout=5)  # a ConfigError names the node that did not answer


def report(
    since: Annotated[str | None, typer.Option(help="Start: YYYY-MM-DD, ISO time (UTC) or block number.")] = None,
    until: Annotated[str | None, typer.Option(help="End: YYYY-MM-DD (whole day), ISO time or block number.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json or html.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")] = None,
    chain_id: Annotated[int | None, typer.Option(help="Chain (default: ask the node).")] = None,
    daily_summary: Annotated[
        bool, typer.Option("--daily", help="The previous UTC day's summary (HTML, JSON, CSV) into --out-dir.")
    ] = False,
    day: Annotated[str | None, typer.Option(help="With --daily: this day (YYYY-MM-DD) instead.")] = None,
    schedule: Annotated[bool, typer.Option(help="With --daily: keep running, one summary every day.")] = False,
    out_dir: Annotated[Path | None, typer.Option(help="Daily summaries (default: <data_dir>/reports).")] = None,
    rpc_url: Annotated[
        str | None, typer.Option(help="Node to read (default: rpc_url, else the running replica).")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="HTML only: add this landing model's evaluation (calibration, backtest; `arbbot learn`)."),
    ] = None,
) -> None:
    """Report audited trades and bundles over a window: table, CSV, JSON or a self-contained HTML file."""
    from arbbot.reports.build import build
    from arbbot.reports.table import report as report_table
    from arbbot.reports.window import make_window

    s = settings()
    if fmt not in FORMATS:
        raise fail(f"--format: one of {', '.join(FORMATS)}, got {fmt!r}")
    if model is not None and (fmt != "html" or daily_summary):
        raise fail(f"--model: goes into the HTML report only (--format html), got --format {fmt}")
    cid = _chain_id(s, chain_id, rpc_url)
    engine, sessions = _sessions(s)
    try:
        tokens = _tokens(s, sessions, cid)
        if daily_summary:
            _daily(sessions, cid, day, schedule, out_dir or s.data_dir / "reports", tokens)
            return
        try:
            window = make_window(since, until)
        except ValueError as exc:
            raise fail(str(exc)) from None
        rep = build(sessions, cid, window, tokens)
    finally:
        engine.dispose()
    if model is not None:
        from arbbot.cli.learn import evaluation
        from arbbot.learn.report import section

        ev, m = evaluation(s, model)
        rep.sections.append(section(ev, m.meta))
    if fmt == "table":
        if out is not None:
            raise fail("--out: the table goes to the terminal; use --format csv, json or html for a file")
        console.print(report_table(rep.rows, rep.summary, f"{rep.title} · chain {cid}", rep.tokens, console.width))
    elif out is None:
        print(rep.render(fmt), end="")
    else:
        rep.write(fmt, out)
        console.print(f"{rep.title}: {len(rep.rows)} trade(s) written to {out}")


def _daily(
    sessions: sessionmaker[Session], chain_id: int, day: str | None, schedule: bool, out_dir: Path,
    tokens: dict[str, TokenInfo],
) -> None:  # fmt: skip
    from arbbot.reports import daily

    if schedule:
        console.print(f"daily summaries into {out_dir} at {daily.RUN_AT.strftime('%H:%M')} UTC; Ctrl-C stops")
        stop = threading.Event()
        try:
            daily.run_schedule(
                sessions,
                chain_id,
                out_dir,
                stop,
                on_written=lambda ps: console.print(f"written {ps[0]}"),
                tokens=tokens,
            )
        except KeyboardInterrupt:
            stop.set()
        return
    try:
        which = date.fromisoformat(day) if day else daily.previous_day(datetime.now(UTC))
    except ValueError:
        raise fail(f"--day: not a date (YYYY-MM-DD): {day!r}") from None
    for path in daily.write_daily(sessions, chain_id, which, out_dir, tokens):
        console.print(f"written {path}")


def register(app: typer.Typer) -> None:
    """Add the audit commands to the root app."""
    app.command("audit")(audit)
    app.command("report")(report)
