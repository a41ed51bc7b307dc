"""`arbbot pools …`: discover, sync and quote pools (exact math) from any node.

Pools and their states live in the database. Each command discovers only the blocks after the
discovery checkpoint, and re-reads only the states that are stale: pools whose stored state is behind
the head and that a Sync/Swap/Mint/Burn log touched since (`pools sync --full` re-reads everything).
The node client, database and pool math are imported inside the commands (fast `--help`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arbbot.cli.common import console, fail, settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from arbbot.amm.base import Pool
    from arbbot.chain.rpc import RpcClient
    from arbbot.config import Settings, VenueSettings
    from arbbot.db.schemas import PoolRecord
    from arbbot.devnet.manifest import Manifest
    from arbbot.progress import Progress
    from arbbot.units import TokenInfo

app = typer.Typer(help="Discover, sync and quote pools with exact (wei-level) math.", no_args_is_help=True)

# Past this many blocks behind, re-reading every stale pool is cheaper than scanning its logs.
MAX_LOG_GAP = 10_000


@dataclass
class _Node:
    """What every pools command works with: the node at one head block, and the database."""

    rpc: RpcClient
    chain_id: int
    head: int
    head_hash: str
    venues: list[VenueSettings]
    manifest: Manifest | None
    engine: Engine
    sessions: sessionmaker[Session]
    discovery_chunk: int


@dataclass
class _Synced:
    models: list[Pool] = field(default_factory=list)
    reread: int = 0  # states read from the node this time
    unchanged: int = 0  # behind the head, but no log touched them: stored state still exact
    fresh: int = 0  # stored at the head already
    venues: dict[str, str] = field(default_factory=dict)  # pool (lower-case) -> venue name
    failed: list[str] = field(default_factory=list)
    reason: str = ""  # why every state was re-read, if it was


def _connect(s: Settings, rpc_url: str | None = None) -> _Node:
    """The node (--rpc-url, rpc_url, else the running replica), its chain and venues (the config's, else
    the chain's preset or the replica's manifest), the head, and the database."""
    from arbbot import db
    from arbbot.chain.rpc import RpcClient
    from arbbot.cli.endpoint import resolve_with_manifest

    ctx, manifest = resolve_with_manifest(s, rpc_url)
    if not ctx.venues:
        raise fail(
            f"venues: {ctx.name} (chain id {ctx.chain_id}) has no preset venues; "
            "configure [[venues]] (name, kind, factory, start_block)"
        )
    venues, chain_id = list(ctx.venues), ctx.chain_id
    rpc = RpcClient(ctx.url)
    block = rpc.call("eth_getBlockByNumber", ["latest", False])
    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    return _Node(
        rpc, chain_id, int(block["number"], 16), block["hash"], list(venues), manifest, engine,
        db.session_factory(engine), s.discovery_chunk_blocks,
    )  # fmt: skip


def _discover(n: _Node, progress: Progress) -> None:
    """New pools from each venue's checkpoint on; nothing to do (and no request) when it is at the head.

    Each discovery chunk is stored together with its checkpoint, so an interrupted run resumes where
    it stopped instead of rescanning."""
    from arbbot.db import repo
    from arbbot.state.discovery import RangeSizer, scan_factory

    for venue in n.venues:
        if venue.kind.startswith("balancer_"):
            # N-token pools have no row in the two-token pools table; the searcher discovers and tracks them.
            console.print(f"{venue.name}: Balancer pools are tracked by `arbbot run`, not listed here")
            continue
        name = f"discovery:{n.chain_id}:{venue.factory.lower()}"
        with n.sessions() as session:
            done = repo.get_checkpoint(session, name)
        start = venue.start_block if done is None else done + 1
        if start > n.head:
            continue
        if done is not None:
            console.print(f"{venue.name}: resuming discovery after block {done}")
        with progress.stage(f"discover {venue.name}", total=max(1, n.head - start + 1)) as st:
            sizer = RangeSizer(size=n.discovery_chunk)
            for end, pools in scan_factory(
                n.rpc, venue.factory, venue.kind, start, n.head, sizer=sizer, v2_fee_bps=venue.fee_bps,
                on_progress=st.advance,
            ):  # fmt: skip
                with n.sessions() as session:
                    repo.record_discovery_chunk(session, n.chain_id, name, pools, end, venue=venue.name)


def _history_changed(n: _Node, session: Session) -> str:
    """Why no stored state can be trusted (the chain under them changed), or '' if they can."""
    from arbbot.db import crud

    mark = crud.get_checkpoint(session, f"state:{n.chain_id}")
    if mark is None:
        return ""
    if not mark.block_hash:
        return "stored states carry no block hash"
    if mark.block > n.head:
        return f"stored states are from block {mark.block}, above the node's head {n.head}"
    if mark.block == n.head:
        same = mark.block_hash.lower() == n.head_hash.lower()
    else:
        block = n.rpc.call("eth_getBlockByNumber", [hex(mark.block), False])
        same = block is not None and str(block["hash"]).lower() == mark.block_hash.lower()
    return "" if same else f"block {mark.block} is not the one the stored states were read at (chain changed)"


def _sync(n: _Node, progress: Progress, addresses: list[str] | None = None, full: bool = False) -> _Synced:
    """Models of the pools (all, or `addresses`) at the head: stored states where still exact, the
    rest read from the node. What was read is stored with its block."""
    from eth_utils import to_checksum_address

    from arbbot.amm.base import from_dict
    from arbbot.db import crud, repo
    from arbbot.db.schemas import PoolState
    from arbbot.state.discovery import DiscoveredPool
    from arbbot.state.stale import touched_since
    from arbbot.state.sync import sync_pools

    out = _Synced()
    with n.sessions() as session:
        records = crud.get_pools(session, n.chain_id, addresses=addresses)
        out.reason = "--full" if full else _history_changed(n, session)
    fresh: dict[str, Pool] = {}
    behind: dict[str, int] = {}
    to_read: list[PoolRecord] = []
    for r in records:
        if out.reason or r.state is None or r.state_block is None or r.state_block > n.head:
            to_read.append(r)
        elif r.state_block == n.head:
            fresh[r.address] = from_dict(r.state)
        else:
            behind[r.address] = r.state_block
    if behind and n.head - min(behind.values()) > MAX_LOG_GAP:
        touched = set(behind)
    elif behind:
        with progress.stage(f"check {len(behind)} stored states for changes", total=1) as st:
            touched = touched_since(n.rpc, behind, n.head)
            st.advance()
    else:
        touched = set()
    by_address = {r.address: r for r in records}
    to_read += [by_address[a] for a in sorted(touched)]
    unchanged = [by_address[a] for a in behind if a not in touched]
    read: list[Pool] = []
    if to_read:
        cs = to_checksum_address
        pools = [
            DiscoveredPool(
                "uniswap_v3" if r.kind == "uniswap_v3" else "uniswap_v2", cs(r.factory), cs(r.address), cs(r.token0),
                cs(r.token1), r.fee, r.tick_spacing, r.created_block,
            )
            for r in to_read
        ]  # fmt: skip
        with progress.stage(f"read {len(pools)} pool states at block {n.head}", total=1) as st:
            read, out.failed = sync_pools(n.rpc, pools, n.head)
            st.advance()
    with n.sessions.begin() as session:
        repo.save_states(session, n.chain_id, read, n.head)
        # Untouched since their block: the same state is exact at the head, so later runs start from here.
        crud.save_pool_states(
            session,
            [PoolState(chain_id=n.chain_id, address=r.address, state=r.state or {}, block=n.head) for r in unchanged],
            only_newer=False,
        )
        if addresses is None or not out.reason:
            crud.set_checkpoint(session, f"state:{n.chain_id}", n.head, n.head_hash)
    models = {**fresh, **{r.address: from_dict(r.state) for r in unchanged if r.state is not None}}
    models |= {p.address.lower(): p for p in read}
    out.models = [models[r.address] for r in records if r.address in models]
    out.venues = {r.address: r.venue for r in records if r.venue}
    out.reread, out.unchanged, out.fresh = len(read) + len(out.failed), len(unchanged), len(fresh)
    return out


def _token_flags(rpc: RpcClient, models: list[Pool], tokens: list[str], head: int) -> list[dict[str, Any]]:
    """Metadata and quirk flags of `tokens`, read at `head`."""
    from arbbot.amm.uniswap_v2 import UniswapV2Pool
    from arbbot.state.tokens import fee_on_transfer_via_pair, read_tokens

    wanted = {t.lower() for t in tokens}
    meta = read_tokens(rpc, sorted(tokens), hex(head))
    fot: dict[str, bool] = {}
    for p in models:  # one V2 pair per token is enough to see a transfer fee
        pair = {p.token0.lower(), p.token1.lower()}
        if isinstance(p, UniswapV2Pool) and pair & wanted and not pair <= set(fot):
            flags = fee_on_transfer_via_pair(rpc, p.address, p.reserve0, p.reserve1, hex(head))
            if flags is not None:
                fot.setdefault(p.token0.lower(), flags[0])
                fot.setdefault(p.token1.lower(), flags[1])
    return [
        {
            "address": t,
            "symbol": m.symbol[:64],
            "name": m.name[:128],
            "decimals": m.decimals,
            "fee_on_transfer": fot.get(t.lower(), False),
            "non_standard": m.non_standard,
        }
        for t, m in meta.items()
    ]


def _tokens(n: _Node, models: list[Pool], full: bool = False) -> tuple[dict[str, TokenInfo], list[str]]:
    """Symbols and decimals of the pools' tokens, and warnings for flagged ones. Tokens not yet in the
    database (every token with `full`) are read from the node and stored."""
    from arbbot.db import crud, repo
    from arbbot.units import TokenInfo

    wanted = sorted({t for p in models for t in (p.token0, p.token1)}, key=str.lower)
    with n.sessions() as session:
        known = crud.get_tokens(session, n.chain_id, wanted)
    missing = wanted if full else [t for t in wanted if t.lower() not in known]
    if missing:
        flagged = _token_flags(n.rpc, models, missing, n.head)
        with n.sessions.begin() as session:
            repo.upsert_tokens(session, n.chain_id, flagged)
        with n.sessions() as session:
            known = crud.get_tokens(session, n.chain_id, wanted)
    out: dict[str, TokenInfo] = {}
    if n.manifest is not None:
        out |= {t.address.lower(): TokenInfo(t.symbol, t.decimals) for t in n.manifest.tokens}
    out |= {a: TokenInfo(t.symbol, t.decimals) for a, t in known.items() if t.symbol or a not in out}
    warnings = []
    for t in known.values():
        why = [w for w, on in (("fee on transfer", t.fee_on_transfer), ("non-standard", t.non_standard)) if on]
        if why:
            warnings.append(f"flagged token {t.symbol or t.address}: {', '.join(why)}")
    return out, warnings


def _report_sync(n: _Node, synced: _Synced) -> None:
    if synced.reason:
        console.print(f"re-read every pool state ({synced.reason})", highlight=False)
    for address in synced.failed:
        console.print(f"[yellow]skipped[/] {address}: state could not be read")


@app.command()
def sync(
    full: Annotated[bool, typer.Option(help="Re-read every pool's state and token, not only the stale ones.")] = False,
    rpc_url: Annotated[
        str | None, typer.Option(help="Node to read (default: rpc_url, else the running replica).")
    ] = None,
) -> None:
    """Discover new pools of the configured venues and bring every pool's exact state to the head."""
    from arbbot.amm.uniswap_v2 import UniswapV2Pool
    from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
    from arbbot.progress import RichProgress

    n = _connect(settings(), rpc_url)
    try:
        with RichProgress() as progress:
            _discover(n, progress)
            synced = _sync(n, progress, full=full)
            _, warnings = _tokens(n, synced.models, full=full)
    finally:
        n.engine.dispose()
    _report_sync(n, synced)
    for w in warnings:
        console.print(f"[yellow]{w}[/]", highlight=False)
    v2 = sum(isinstance(p, UniswapV2Pool) for p in synced.models)
    v3 = sum(isinstance(p, UniswapV3Pool) for p in synced.models)
    console.print(
        f"block {n.head}: {len(synced.models) + len(synced.failed)} pools discovered, {v2} V2 + {v3} V3 synced "
        f"({synced.reread} read from the node, {synced.unchanged} unchanged since their stored block)",
        highlight=False,
    )


def _price(p: Pool, tokens: dict[str, TokenInfo]) -> str:
    """1 token0 = x token1, from the V3 pool's sqrt price (display only: 6 significant digits)."""
    from arbbot.units import symbol

    d0, d1 = (tokens.get(t.lower()) for t in (p.token0, p.token1))
    if d0 is None or d1 is None or d0.decimals is None or d1.decimals is None:
        return ""
    raw = Decimal(p.sqrt_price_x96) ** 2 / Decimal(2) ** 192  # type: ignore[attr-defined]
    price = raw.scaleb(d0.decimals - d1.decimals)
    return f"1 {symbol(p.token0, tokens)} = {price:,.6g} {symbol(p.token1, tokens)}\n"


def _pool_rows(models: list[Pool], tokens: dict[str, TokenInfo], venues: dict[str, str]) -> list[list[str]]:
    """address, pair (kind and fee), state: one fact per line, so lines wrap between facts."""
    from arbbot.amm.uniswap_v2 import UniswapV2Pool
    from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
    from arbbot.units import amount, symbol

    def depth(raw: int, token: str) -> str:
        info = tokens.get(token.lower())
        if info is None or info.decimals is None:
            return f"{raw:,} {symbol(token, tokens)} (raw)"
        return f"{amount(raw, info.decimals, places=2)} {symbol(token, tokens)}"

    rows = []
    for p in models:
        pair = f"{symbol(p.token0, tokens)}/{symbol(p.token1, tokens)}"
        venue = venues.get(p.address.lower(), "")
        pair += f"\n{venue}" if venue else ""
        if isinstance(p, UniswapV2Pool):
            state = f"{depth(p.reserve0, p.token0)}\n{depth(p.reserve1, p.token1)}"
            rows.append([p.address, f"{pair}\nV2 {p.fee_bps} bps", state])
        elif isinstance(p, UniswapV3Pool):
            state = f"{_price(p, tokens)}tick {p.tick}, {len(p.ticks)} ticks"
            rows.append([p.address, f"{pair}\nV3 {p.fee / 100:g} bps", state])
    return rows


@app.command("list")
def list_pools(
    rpc_url: Annotated[
        str | None, typer.Option(help="Node to read (default: rpc_url, else the running replica).")
    ] = None,
) -> None:
    """Pools with their exact state at the head (stored states, re-read only where stale)."""
    from arbbot.progress import RichProgress
    from arbbot.reports.fit import Col, fit

    n = _connect(settings(), rpc_url)
    try:
        with RichProgress() as progress:
            _discover(n, progress)
            synced = _sync(n, progress)
            tokens, _warnings = _tokens(n, synced.models)
    finally:
        n.engine.dispose()
    _report_sync(n, synced)
    cols = [Col("address", nowrap=True, keep=3), Col("pool", keep=2), Col("state", keep=1)]
    rows = _pool_rows(synced.models, tokens, synced.venues)
    console.print(fit(cols, rows, console.width, title=f"Pools at block {n.head}"))
    console.print(
        f"{len(synced.models)} pools; {synced.reread} state(s) read from the node, {synced.unchanged} unchanged "
        f"since their stored block, {synced.fresh} stored at the head already",
        highlight=False,
    )


def _units(amount: str, decimals: int | None, raw: bool, token: str) -> int:
    if raw or decimals is None:
        try:
            units = int(amount)
        except ValueError:
            what = "raw units" if raw else f"raw units ({token} has no known decimals)"
            raise fail(f"amount must be a number of {what}, got {amount!r}") from None
    else:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise fail(f"amount must be a number, got {amount!r}") from None
        if not value.is_finite():
            raise fail(f"amount must be a number, got {amount!r}")
        scaled = value.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            raise fail(f"amount: {amount} has more than {decimals} decimals, the precision of {token}")
        units = int(scaled)
    if units <= 0:
        raise fail(f"amount must be positive, got {amount!r}")
    return units


@app.command()
def quote(
    pool: Annotated[str, typer.Argument(help="Pool address.")],
    amount: Annotated[str, typer.Argument(help="Amount in, in whole tokens (e.g. 1.5) or raw units with --raw.")],
    token_in: Annotated[str | None, typer.Option(help="Input token: address or symbol (default token0).")] = None,
    raw: Annotated[bool, typer.Option(help="AMOUNT is in raw units (wei), not whole tokens.")] = False,
    rpc_url: Annotated[
        str | None, typer.Option(help="Node to read (default: rpc_url, else the running replica).")
    ] = None,
) -> None:
    """Exact output of swapping AMOUNT into POOL, as the contract would compute it (only this pool's
    state is brought to the head)."""
    from arbbot.amm.errors import AmmError
    from arbbot.db import crud
    from arbbot.progress import RichProgress
    from arbbot.units import amount as fmt_amount
    from arbbot.units import symbol

    n = _connect(settings(), rpc_url)
    try:
        with RichProgress() as progress:
            with n.sessions() as session:
                known = crud.get_pools(session, n.chain_id, addresses=[pool], include_state=False)
            if not known:
                _discover(n, progress)
            synced = _sync(n, progress, addresses=[pool])
            if not synced.models:
                with n.sessions() as session:
                    count = len(crud.get_pools(session, n.chain_id, include_state=False))
                unreadable = " (its state could not be read)" if synced.failed else ""
                raise fail(f"pool {pool} not found among {count} discovered pools{unreadable}")
            target = synced.models[0]
            tokens, _warnings = _tokens(n, [target])
    finally:
        n.engine.dispose()
    pair = {target.token0.lower(): target.token0, target.token1.lower(): target.token1}
    if token_in is None:
        tin = target.token0
    elif token_in.lower() in pair:
        tin = pair[token_in.lower()]
    else:
        by_symbol = [a for a in pair if tokens.get(a) is not None and tokens[a].symbol == token_in]
        if len(by_symbol) != 1:
            names = ", ".join(f"{symbol(a, tokens)} ({pair[a]})" for a in pair)
            raise fail(f"--token-in: {token_in!r} is not a token of pool {target.address}: {names}")
        tin = pair[by_symbol[0]]
    tout = target.token1 if tin == target.token0 else target.token0
    info_in, info_out = tokens.get(tin.lower()), tokens.get(tout.lower())
    dec_in = info_in.decimals if info_in else None
    dec_out = info_out.decimals if info_out else None
    units = _units(amount, dec_in, raw, symbol(tin, tokens))
    try:
        out = target.quote_exact_in(tin, units)
    except (AmmError, ValueError) as exc:
        raise fail(str(exc)) from None
    shown_in = "" if dec_in is None else f" = {fmt_amount(units, dec_in, places=None)} {symbol(tin, tokens)}"
    shown_out = "" if dec_out is None else f" = {fmt_amount(out, dec_out, places=None)} {symbol(tout, tokens)}"
    console.print(
        f"block {n.head}: {units} {symbol(tin, tokens)} (raw){shown_in} -> [bold]{out}[/] {symbol(tout, tokens)} "
        f"(raw){shown_out}",
        highlight=False,
        soft_wrap=True,
    )
