"""`arbbot solana …`: list pools, quote a swap, search routes and send the best one (--live) as a Jito bundle.

solders, solana-py and anchorpy are imported inside the commands: `--help` does not pay for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arbbot.cli.common import console, fail

if TYPE_CHECKING:
    from solders.keypair import Keypair
    from solders.pubkey import Pubkey

    from arbbot.solana.fees import SolPrice
    from arbbot.solana.loader import LoadResult
    from arbbot.solana.venues import VenuePool

DEFAULT_KEYPAIR_ENV = "ARBBOT_SOLANA_KEYPAIR"  # arbbot.solana.keys.DEFAULT_KEYPAIR_ENV (checked by a test)

app = typer.Typer(help="Solana: pools, quotes, and the route searcher.", no_args_is_help=True)

RpcUrl = Annotated[str, typer.Option("--rpc-url", envvar="ARBBOT_SOLANA_RPC_URL", help="Solana JSON-RPC URL.")]
Pools = Annotated[
    list[str] | None, typer.Option("--pool", help="Pool address to load (repeatable); default: discover all.")
]
TokenSwapPrograms = Annotated[
    list[str] | None,
    typer.Option("--token-swap-program", help="token-swap program id (repeatable, for forks); default: SPL's."),
]


def _pubkey(value: str, what: str) -> Pubkey:
    from solders.pubkey import Pubkey

    try:
        return Pubkey.from_string(value)
    except ValueError:
        raise fail(f"{what}: {value!r} is not a base58 public key") from None


def _sol_price(value: str) -> SolPrice:
    from arbbot.solana.fees import SolPrice

    base_units, _, lamports = value.partition(":")
    try:
        return SolPrice(int(base_units), int(lamports))
    except ValueError:
        raise fail(f"--sol-price: {value!r} is not BASE_UNITS:LAMPORTS with lamports > 0") from None


def _load(rpc_url: str, pools: list[str] | None, token_swap: list[str] | None) -> LoadResult:
    from arbbot.solana.errors import SolanaError
    from arbbot.solana.loader import VenuePrograms, discover_pools, load_pools
    from arbbot.solana.programs import SPL_TOKEN_SWAP
    from arbbot.solana.rpc import SolanaRpc

    programs = VenuePrograms(
        token_swap=tuple(_pubkey(p, "--token-swap-program") for p in token_swap) if token_swap else (SPL_TOKEN_SWAP,)
    )
    rpc = SolanaRpc(rpc_url)
    try:
        if pools:
            return load_pools(rpc, [_pubkey(p, "--pool") for p in pools], programs)
        return discover_pools(rpc, programs)
    except SolanaError as exc:
        raise fail(str(exc)) from None
    finally:
        rpc.close()


def _depth(pool: VenuePool) -> str:
    from arbbot.solana.venues import RaydiumPool, TokenSwapPool, WhirlpoolPool

    if isinstance(pool, TokenSwapPool):
        return f"{pool.reserve_a} / {pool.reserve_b}"
    if isinstance(pool, RaydiumPool):
        coin, pc = pool.reserves()
        return f"{coin} / {pc}"
    if isinstance(pool, WhirlpoolPool):
        return f"L={pool.state.liquidity} tick={pool.state.tick_current_index}"
    from arbbot.solana.pools.raydium_clmm import RaydiumClmmPool

    if isinstance(pool, RaydiumClmmPool):
        return f"L={pool.state.liquidity} tick={pool.state.tick_current}"
    from arbbot.solana.pools.meteora_dlmm import MeteoraDlmmPool
    from arbbot.solana.pools.raydium_cpmm import RaydiumCpmmPool

    if isinstance(pool, RaydiumCpmmPool):
        return f"{pool.vault_0_amount - pool.state.owed(0)} / {pool.vault_1_amount - pool.state.owed(1)}"
    if isinstance(pool, MeteoraDlmmPool):
        return f"bin={pool.state.active_id} step={pool.state.bin_step}bp"
    return "?"


def _fee(pool: VenuePool) -> str:
    from arbbot.solana.venues import RaydiumPool, TokenSwapPool, WhirlpoolPool

    if isinstance(pool, TokenSwapPool):
        f = pool.state.fees
        owner = f"{f.owner_trade_fee_numerator}/{f.owner_trade_fee_denominator}"
        return f"{f.trade_fee_numerator}/{f.trade_fee_denominator} + {owner}"
    if isinstance(pool, RaydiumPool):
        return f"{pool.state.swap_fee_numerator}/{pool.state.swap_fee_denominator}"
    if isinstance(pool, WhirlpoolPool):
        return f"{pool.state.fee_rate}/1000000"
    from arbbot.solana.pools.raydium_clmm import RaydiumClmmPool

    if isinstance(pool, RaydiumClmmPool):
        return f"{pool.config.trade_fee_rate}/1000000"
    from arbbot.solana.pools.meteora_dlmm import MeteoraDlmmPool
    from arbbot.solana.pools.raydium_cpmm import RaydiumCpmmPool
    from arbbot.solana.quote.meteora_dlmm import base_fee_rate

    if isinstance(pool, RaydiumCpmmPool):
        return f"{pool.config.trade_fee_rate}/1000000"
    if isinstance(pool, MeteoraDlmmPool):
        return f"{base_fee_rate(pool.state)}/1000000000 + variable"
    return "?"


@app.command("pools")
def pools_cmd(
    rpc_url: RpcUrl,
    pool: Pools = None,
    token_swap_program: TokenSwapPrograms = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per pool.")] = False,
) -> None:
    """List the pools of the supported venues (SPL token-swap, Raydium AMM v4, Orca Whirlpool)."""
    result = _load(rpc_url, pool, token_swap_program)
    if as_json:
        for p in result.pools:
            row = {"address": str(p.address), "venue": p.venue.name.lower(), "mint_a": str(p.mint_a)}
            row |= {"mint_b": str(p.mint_b), "depth": _depth(p), "fee": _fee(p)}
            print(json.dumps(row))
    else:
        from rich.table import Table

        table = Table("pool", "venue", "mint A", "mint B", "depth", "fee")
        for p in result.pools:
            table.add_row(str(p.address), p.venue.name.lower(), str(p.mint_a), str(p.mint_b), _depth(p), _fee(p))
        console.print(table)
        console.print(f"{len(result.pools)} pools")
    for reason in result.skipped:
        console.print(f"[yellow]skipped[/] {reason}", highlight=False, soft_wrap=True)


@app.command("quote")
def quote_cmd(
    pool: Annotated[str, typer.Argument(help="Pool address.")],
    amount: Annotated[str, typer.Argument(help="Exact input, in base units (integer).")],
    rpc_url: RpcUrl,
    mint_in: Annotated[str, typer.Option("--mint-in", help="Mint of the input token.")],
    token_swap_program: TokenSwapPrograms = None,
) -> None:
    """Exact output of one swap, computed with the venue program's own integer arithmetic."""
    from arbbot.solana.errors import SolanaError

    try:
        amount_in = int(amount)
    except ValueError:
        raise fail(f"amount: {amount!r} is not an integer number of base units") from None
    if amount_in <= 0:
        raise fail(f"amount: must be positive, got {amount_in}")
    mint = _pubkey(mint_in, "--mint-in")
    (p,) = _load(rpc_url, [pool], token_swap_program).pools
    try:
        out = p.quote(mint, amount_in)
    except SolanaError as exc:
        raise fail(str(exc)) from None
    print(f"{amount_in} {mint} -> {out} {p.mint_out(mint)}")


@app.command("run")
def run_cmd(
    rpc_url: RpcUrl,
    base: Annotated[list[str], typer.Option("--base", help="Mint a route starts and ends in (repeatable).")],
    max_input: Annotated[int, typer.Option("--max-input", help="Largest input to consider, base units.")],
    live: Annotated[
        bool, typer.Option("--live/--dry-run", help="Send the best route as a Jito bundle (default: dry run).")
    ] = False,
    block_engine_url: Annotated[
        str | None,
        typer.Option(
            "--block-engine-url", envvar="ARBBOT_JITO_URL", help="Jito bundles endpoint (.../api/v1/bundles)."
        ),
    ] = None,
    pool: Pools = None,
    token_swap_program: TokenSwapPrograms = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Owner of the token accounts, for a dry run without a key.")
    ] = None,
    keypair: Annotated[
        Path | None, typer.Option("--keypair", help="solana-keygen keypair file of the signing key.")
    ] = None,
    keypair_env: Annotated[
        str, typer.Option(help="Environment variable holding the signing key (when --keypair is not given).")
    ] = DEFAULT_KEYPAIR_ENV,
    idl: Annotated[
        Path | None, typer.Option(help="arb_executor IDL (Anchor >= 0.30 format; default: the committed one).")
    ] = None,
    max_hops: Annotated[int, typer.Option(help="Longest route, in hops (2..4).")] = 3,
    min_profit: Annotated[
        int, typer.Option(help="Smallest profit worth a transaction after its fees and tip, base units (>= 1).")
    ] = 1,
    cu_price_percentile: Annotated[
        int, typer.Option(help="Priority fee: this percentile of recent fees on the route's accounts.")
    ] = 75,
    min_cu_price: Annotated[int, typer.Option(help="Lowest priority fee, micro-lamports per CU.")] = 0,
    max_cu_price: Annotated[int, typer.Option(help="Highest priority fee, micro-lamports per CU.")] = 1_000_000,
    tip_share_bps: Annotated[int, typer.Option(help="Tip: share of the profit left after fees, bps.")] = 5_000,
    min_tip: Annotated[int, typer.Option(help="Lowest tip, lamports (the block engine's minimum).")] = 1_000,
    max_tip: Annotated[int, typer.Option(help="Highest tip, lamports.")] = 100_000_000,
    wrap: Annotated[int, typer.Option(help="Lamports to wrap into the owner's wrapped-SOL account first.")] = 0,
    sol_price: Annotated[
        str | None,
        typer.Option(
            help="BASE_UNITS:LAMPORTS, what that many base units buy in SOL, for a base that is not wrapped SOL "
            "(default: from the route's own base/WSOL pool)."
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="How many routes to print.")] = 5,
    lookup_table: Annotated[
        list[str] | None, typer.Option("--lookup-table", help="Address lookup table to use if needed (repeatable).")
    ] = None,
    lookup_table_keypair: Annotated[
        Path | None,
        typer.Option(help="Keypair file of the lookup-table authority (not the signing key): creates and extends."),
    ] = None,
    state_dir: Annotated[Path, typer.Option(help="Lookup tables made here, the bundle log.")] = Path(".arbbot"),
    db_url: Annotated[
        str | None, typer.Option("--db-url", envvar="ARBBOT_DB_URL", help="Database for the journal (live runs).")
    ] = None,
) -> None:
    """Search cycles through the base mints on current pool state and build the best one; with --live, send it
    as a Jito bundle (compute limit from simulation, priority fee from recent fees, tip sized to the profit)."""
    from solders.keypair import Keypair

    from arbbot.audit.bundle_log import BundleLog
    from arbbot.solana.errors import SolanaError
    from arbbot.solana.fees import TipPolicy
    from arbbot.solana.idl import ARB_EXECUTOR_IDL
    from arbbot.solana.instruction import ArbExecutor
    from arbbot.solana.jito import JitoClient
    from arbbot.solana.journal import SolanaJournal, chain_id_for_genesis
    from arbbot.solana.keys import keypair_from_file, load_keypair
    from arbbot.solana.live import LiveConfig
    from arbbot.solana.loader import VenuePrograms
    from arbbot.solana.priority import PriorityPolicy
    from arbbot.solana.programs import SPL_TOKEN_SWAP
    from arbbot.solana.rpc import SolanaRpc
    from arbbot.solana.searcher import RunSettings, run_once

    idl = idl or ARB_EXECUTOR_IDL
    if max_input <= 0:
        raise fail(f"--max-input: must be positive, got {max_input}")
    if not 2 <= max_hops <= 4:
        raise fail(f"--max-hops: must be 2..4, got {max_hops}")
    if min_profit < 1:
        raise fail(f"--min-profit: must be at least 1, got {min_profit}")
    if wrap < 0:
        raise fail(f"--wrap: must not be negative, got {wrap}")
    if live and not block_engine_url:
        raise fail("--block-engine-url: required with --live (or set ARBBOT_JITO_URL)")
    try:
        priority = PriorityPolicy(cu_price_percentile, min_cu_price, max_cu_price)
        tip_policy = TipPolicy(tip_share_bps, min_tip, max_tip)
    except ValueError as exc:
        raise fail(str(exc)) from None
    price = _sol_price(sol_price) if sol_price is not None else None
    bases = [_pubkey(b, "--base") for b in base]
    tables = [_pubkey(t, "--lookup-table") for t in lookup_table or []]
    try:
        key = load_keypair(keypair, keypair_env)
        authority = keypair_from_file(lookup_table_keypair) if lookup_table_keypair else None
    except SolanaError as exc:
        raise fail(str(exc)) from None
    if owner is not None:
        owner_key: Keypair | Pubkey = _pubkey(owner, "--owner")
        if live and (key is None or key.pubkey() != owner_key):
            raise fail("--owner: a live run signs with the owner's key; give --keypair (or the env var) of that owner")
    elif key is not None:
        owner_key = key
    elif live:
        raise fail(f"no signing key: pass --keypair or set {keypair_env}")
    else:
        owner_key = Keypair().pubkey()  # a dry run with no owner prices routes for a placeholder owner
    programs = VenuePrograms(
        token_swap=tuple(_pubkey(p, "--token-swap-program") for p in token_swap_program)
        if token_swap_program
        else (SPL_TOKEN_SWAP,)
    )
    settings = RunSettings(
        bases=bases, max_input=max_input, max_hops=max_hops, min_net_profit=min_profit,
        pools=[_pubkey(p, "--pool") for p in pool or []], programs=programs,
        live=LiveConfig(priority=priority, tip=tip_policy, min_net_profit=min_profit), wrap_lamports=wrap,
        lookup_tables=tables, table_store=state_dir / "solana-lookup-tables.json", table_authority=authority,
        sol_price=price,
    )  # fmt: skip
    rpc = SolanaRpc(rpc_url)
    jito = JitoClient(block_engine_url) if live and block_engine_url else None
    engine = None
    try:
        program = ArbExecutor.load(idl)
        journal = None
        if live:
            from arbbot.db.engine import connect, session_factory

            engine = connect(db_url, data_dir=state_dir)
            sessions = session_factory(engine)
            chain_id = chain_id_for_genesis(rpc.get_genesis_hash())
            journal = SolanaJournal(BundleLog(state_dir / "solana-bundles.jsonl", sessions), sessions, chain_id)
        result = run_once(rpc, program, owner_key, settings, jito=jito, journal=journal, echo=_say)
    except SolanaError as exc:
        raise fail(str(exc)) from None
    finally:
        rpc.close()
        if jito is not None:
            jito.close()
        if engine is not None:
            engine.dispose()
    console.print(f"{len(result.pools.pools)} pools, {len(result.routes)} profitable routes")
    for r in result.routes[:top]:
        path = " -> ".join(f"{h.pool.venue.name.lower()}:{h.pool.address}" for h in r.hops)
        console.print(
            f"in {r.amount_in} out {r.amount_out} profit {r.profit} via {path}", highlight=False, soft_wrap=True
        )
    if result.best is None:
        if result.refusal:
            raise fail(result.refusal)
        return
    a = result.attempt
    console.print(f"fees {result.fees}; on-chain min_profit {result.on_chain_min}", highlight=False, soft_wrap=True)
    if a is None:
        console.print(
            f"dry run: transaction {result.tx_size} bytes, {result.lookup_tables_used} lookup tables, "
            f"on-chain min_profit {result.on_chain_min} (at the lowest tip), program {program.program_id}; not sent",
            highlight=False,
        )
        return
    console.print(
        f"compute: {a.units_simulated} units simulated -> limit {a.cu_limit} at {a.cu_price} micro-lamports/CU; "
        f"tip {a.tip} lamports; on-chain min_profit {a.min_profit}; {a.tx_size} bytes",
        highlight=False,
        soft_wrap=True,
    )
    if a.status == "refused":
        raise fail(f"not sent: {a.reason}")
    console.print(f"bundle {a.bundle_id}: {a.status}" + (f" ({a.reason})" if a.reason else ""), highlight=False)
    if a.landing is not None:
        land = a.landing
        console.print(
            f"landed in slot {land.slot}: route +{land.token_delta}, tip {land.tip}, fee {land.fee}, "
            f"profit after tip {land.profit}",
            highlight=False,
        )
    if a.status not in ("landed",):
        raise typer.Exit(1)


def _say(line: str) -> None:
    console.print(line, highlight=False, soft_wrap=True)
