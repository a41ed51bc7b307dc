"""`arbbot solana …`: list pools, quote a swap and search routes (dry run) against a Solana RPC URL.

solders, solana-py and anchorpy are imported inside the commands: `--help` does not pay for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arbbot.cli.common import console, fail

if TYPE_CHECKING:
    from solders.pubkey import Pubkey

    from arbbot.solana.loader import LoadResult
    from arbbot.solana.venues import VenuePool

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
    return "?"


@app.command("pools")
def pools_cmd(
    rpc_url: RpcUrl,
    pool: Pools = None,
    token_swap_program: TokenSwapPrograms = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per pool.")] = False,
) -> None:
    """List the pools of the supported venues (SPL token-swap, Raydium AMM v4, Orca Whirlpool)."""
    from rich.table import Table

    result = _load(rpc_url, pool, token_swap_program)
    if as_json:
        for p in result.pools:
            row = {"address": str(p.address), "venue": p.venue.name.lower(), "mint_a": str(p.mint_a)}
            row |= {"mint_b": str(p.mint_b), "depth": _depth(p), "fee": _fee(p)}
            print(json.dumps(row))
    else:
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
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Find and build, never send.")] = False,
    pool: Pools = None,
    token_swap_program: TokenSwapPrograms = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner of the token accounts (else the key's).")] = None,
    keypair_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the signing key (default ARBBOT_SOLANA_KEYPAIR).")
    ] = None,
    idl: Annotated[
        Path | None, typer.Option(help="arb_executor IDL (Anchor >= 0.30 format; default: the committed one).")
    ] = None,
    max_hops: Annotated[int, typer.Option(help="Longest route, in hops (2..4).")] = 3,
    min_profit: Annotated[int, typer.Option(help="Smallest profit worth a transaction, base units.")] = 1,
    cu_limit: Annotated[int, typer.Option(help="Compute-unit limit of the transaction.")] = 400_000,
    cu_price: Annotated[int, typer.Option(help="Priority fee, micro-lamports per compute unit.")] = 1_000,
    top: Annotated[int, typer.Option(help="How many routes to print.")] = 5,
    lookup_table: Annotated[
        list[str] | None, typer.Option("--lookup-table", help="Address lookup table to use if needed (repeatable).")
    ] = None,
) -> None:
    """Search cycles through the base mints on current pool state and build the transaction for the best one."""
    from arbbot.solana.errors import SolanaError
    from arbbot.solana.idl import ARB_EXECUTOR_IDL
    from arbbot.solana.instruction import ArbExecutor
    from arbbot.solana.keys import DEFAULT_KEYPAIR_ENV, associated_token_address, keypair_from_env
    from arbbot.solana.routes import find_routes
    from arbbot.solana.rpc import SolanaRpc
    from arbbot.solana.transaction import budget_instructions, compile_message

    keypair_env = keypair_env or DEFAULT_KEYPAIR_ENV
    idl = idl or ARB_EXECUTOR_IDL
    if not dry_run:
        raise fail("only --dry-run is supported from the command line: nothing is sent")
    if max_input <= 0:
        raise fail(f"--max-input: must be positive, got {max_input}")
    if not 2 <= max_hops <= 4:
        raise fail(f"--max-hops: must be 2..4, got {max_hops}")
    bases = [_pubkey(b, "--base") for b in base]
    tables = [_pubkey(t, "--lookup-table") for t in lookup_table or []]
    try:
        key = keypair_from_env(keypair_env)
    except SolanaError as exc:
        raise fail(str(exc)) from None
    if owner is not None:
        owner_key = _pubkey(owner, "--owner")
    elif key is not None:
        owner_key = key.pubkey()
    else:
        raise fail(f"no owner: pass --owner or set {keypair_env}")
    loaded = _load(rpc_url, pool, token_swap_program)
    routes = find_routes(loaded.pools, bases, max_input, max_hops=max_hops, min_profit=min_profit)
    console.print(f"{len(loaded.pools)} pools, {len(routes)} profitable routes")
    for r in routes[:top]:
        path = " -> ".join(f"{h.pool.venue.name.lower()}:{h.pool.address}" for h in r.hops)
        console.print(
            f"in {r.amount_in} out {r.amount_out} profit {r.profit} via {path}", highlight=False, soft_wrap=True
        )
    if not routes:
        return
    best = routes[0]
    rpc = SolanaRpc(rpc_url)
    try:
        program = ArbExecutor.load(idl)
        mints = {m for h in best.hops for m in (h.mint_in, h.mint_out)}
        accounts = {m: associated_token_address(owner_key, m) for m in mints}
        ix = program.route_instruction(best, owner_key, accounts, min_profit=min_profit)
        blockhash, _ = rpc.get_latest_blockhash()
        alts = [rpc.get_address_lookup_table(t) for t in tables]
        built = compile_message(owner_key, [*budget_instructions(cu_limit, cu_price), ix], blockhash, alts)
    except SolanaError as exc:
        raise fail(str(exc)) from None
    finally:
        rpc.close()
    console.print(
        f"dry run: transaction {built.size} bytes, {built.accounts} accounts, "
        f"{built.lookup_tables_used} lookup tables, program {program.program_id}; not sent",
        highlight=False,
    )
