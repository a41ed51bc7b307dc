"""`arbbot pools …`: discover, sync and quote pools (exact math) from any node."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arbbot import db
from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.chain.jsonrpc import STARTUP_RETRY
from arbbot.chain.rpc import RpcClient
from arbbot.cli.common import check_node, console, fail, settings
from arbbot.config import Settings, VenueSettings
from arbbot.db import repo
from arbbot.devnet import running
from arbbot.devnet.manifest import Manifest
from arbbot.progress import RichProgress
from arbbot.state.discovery import DiscoveredPool, RangeSizer, scan_factory
from arbbot.state.sync import sync_pools
from arbbot.state.tokens import fee_on_transfer_via_pair, read_tokens

app = typer.Typer(help="Discover, sync and quote pools with exact (wei-level) math.", no_args_is_help=True)


def _endpoint(s: Settings) -> tuple[str, list[VenueSettings], Manifest | None]:
    """RPC URL and venues: from the config, else from the running replica."""
    if s.rpc_url and s.venues:
        return s.rpc_url, s.venues, None
    rec = running.read(s.data_dir)
    if rec is None or not rec.manifest_path:
        raise fail("no rpc_url/venues configured and no replica running; run `arbbot devnet up` or set them")
    manifest = Manifest.read(Path(rec.manifest_path))
    venues = [
        VenueSettings(name=name, kind=v.kind, factory=v.factory, fee_bps=v.fee_bps if v.kind == "uniswap_v2" else 0)
        for name, v in manifest.venues.items()
    ]
    return s.rpc_url or rec.url, s.venues or venues, manifest


def _discover_and_sync(s: Settings) -> tuple[list[Pool], list[DiscoveredPool], list[str], Manifest | None, int]:
    """Discover new pools from each venue's checkpoint on, then read every pool's state at the head.

    Each discovery chunk is stored together with its checkpoint, so an interrupted run resumes where
    it stopped instead of rescanning.
    """
    url, venues, manifest = _endpoint(s)
    chain_id = check_node(url, s.chain_id, s.network)
    rpc = RpcClient(url, retry=STARTUP_RETRY)
    head = rpc.block_number()
    engine = db.connect(s.database_url or db.default_url(s.data_dir))
    sessions = db.session_factory(engine)
    with RichProgress() as progress:
        for venue in venues:
            name = f"discovery:{chain_id}:{venue.factory.lower()}"
            with sessions() as session:
                done = repo.get_checkpoint(session, name)
            start = venue.start_block if done is None else done + 1
            if done is not None:
                console.print(f"{venue.name}: resuming discovery after block {done}")
            with progress.stage(f"discover {venue.name}", total=max(1, head - start + 1)) as st:
                sizer = RangeSizer(size=s.discovery_chunk_blocks)
                for end, pools in scan_factory(
                    rpc, venue.factory, venue.kind, start, head, sizer=sizer, v2_fee_bps=venue.fee_bps,
                    on_progress=st.advance,
                ):  # fmt: skip
                    with sessions() as session:
                        repo.record_discovery_chunk(session, chain_id, name, pools, end, venue=venue.name)
        with sessions() as session:
            found = repo.discovered(session, chain_id)
        with progress.stage(f"sync {len(found)} pools at block {head}", total=1) as st:
            models, failed = sync_pools(rpc, found, head)
            with sessions.begin() as session:
                repo.save_states(session, chain_id, models, head)
                repo.set_checkpoint(session, f"state:{chain_id}", head)
            st.advance()
        with progress.stage("check tokens (metadata, fee on transfer)", total=1) as st:
            flagged = _check_tokens(rpc, models, head)
            with sessions.begin() as session:
                repo.upsert_tokens(session, chain_id, flagged.values())
            st.advance()
    engine.dispose()
    for meta in flagged.values():
        why = [
            w for w, on in (("fee on transfer", meta["fee_on_transfer"]), ("non-standard", meta["non_standard"])) if on
        ]
        if why:
            console.print(f"[yellow]flagged[/] token {meta['symbol'] or meta['address']}: {', '.join(why)}")
    return models, found, failed, manifest, head


def _check_tokens(rpc: RpcClient, models: list[Pool], head: int) -> dict[str, dict]:
    tokens = sorted({t for p in models for t in (p.token0, p.token1)})
    meta = read_tokens(rpc, tokens, hex(head))
    fot: dict[str, bool] = {}
    for p in models:  # one V2 pair per token is enough to see a transfer fee
        if isinstance(p, UniswapV2Pool) and (p.token0 not in fot or p.token1 not in fot):
            flags = fee_on_transfer_via_pair(rpc, p.address, p.reserve0, p.reserve1, hex(head))
            if flags is not None:
                fot.setdefault(p.token0, flags[0])
                fot.setdefault(p.token1, flags[1])
    return {
        t: {
            "address": t,
            "symbol": m.symbol[:64],
            "name": m.name[:128],
            "decimals": m.decimals,
            "fee_on_transfer": fot.get(t, False),
            "non_standard": m.non_standard,
        }
        for t, m in meta.items()
    }


def _symbol(manifest: Manifest | None, address: str) -> str:
    if manifest is not None:
        for t in manifest.tokens:
            if t.address.lower() == address.lower():
                return t.symbol
    return address[:8] + "…"


@app.command()
def sync() -> None:
    """Discover every pool of the configured venues and read its exact state."""
    s = settings()
    models, found, failed, _manifest, head = _discover_and_sync(s)
    v2 = sum(isinstance(p, UniswapV2Pool) for p in models)
    v3 = sum(isinstance(p, UniswapV3Pool) for p in models)
    console.print(f"block {head}: {len(found)} pools discovered, {v2} V2 + {v3} V3 synced")
    for address in failed:
        console.print(f"[yellow]skipped[/] {address}: state could not be read")


@app.command("list")
def list_pools() -> None:
    """Pools with their live state."""
    s = settings()
    models, _found, _failed, manifest, head = _discover_and_sync(s)
    table = Table(title=f"Pools at block {head}", title_justify="left")
    for col in ("kind", "address", "pair", "fee", "state"):
        table.add_column(col)
    for p in models:
        pair = f"{_symbol(manifest, p.token0)}/{_symbol(manifest, p.token1)}"
        if isinstance(p, UniswapV2Pool):
            table.add_row("V2", p.address, pair, f"{p.fee_bps} bps", f"reserves {p.reserve0} / {p.reserve1}")
        elif isinstance(p, UniswapV3Pool):
            state = f"tick {p.tick}, liquidity {p.liquidity}, {len(p.ticks)} ticks"
            table.add_row("V3", p.address, pair, f"{p.fee / 100:g} bps", state)
    console.print(table)


@app.command()
def quote(
    pool: Annotated[str, typer.Argument(help="Pool address.")],
    amount: Annotated[str, typer.Argument(help="Amount in, in whole tokens (e.g. 1.5) or raw units with --raw.")],
    token_in: Annotated[
        str | None, typer.Option(help="Input token address or replica symbol (default token0).")
    ] = None,
    raw: Annotated[bool, typer.Option(help="AMOUNT is in raw units (wei), not whole tokens.")] = False,
) -> None:
    """Exact output of swapping AMOUNT into POOL, as the contract would compute it."""
    s = settings()
    models, _found, _failed, manifest, head = _discover_and_sync(s)
    target = next((p for p in models if p.address.lower() == pool.lower()), None)
    if target is None:
        raise fail(f"pool {pool} not found among {len(models)} synced pools")
    tin = target.token0
    if token_in is not None:
        tin = manifest.token(token_in).address if manifest is not None and not token_in.startswith("0x") else token_in
    tout = target.token1 if tin.lower() == target.token0.lower() else target.token0
    decimals = {t.address.lower(): t.decimals for t in manifest.tokens} if manifest else {}
    try:
        units = int(amount) if raw else int(Decimal(amount) * 10 ** decimals.get(tin.lower(), 18))
    except (ValueError, ArithmeticError):
        raise fail(f"amount must be a number{' of raw units' if raw else ''}, got {amount!r}") from None
    try:
        out = target.quote_exact_in(tin, units)
    except (AmmError, ValueError) as exc:
        raise fail(str(exc)) from None
    shown = Decimal(out) / Decimal(10) ** decimals.get(tout.lower(), 18)
    console.print(
        f"block {head}: {units} {_symbol(manifest, tin)} -> [bold]{out}[/] {_symbol(manifest, tout)} (raw) = {shown:f}"
    )
