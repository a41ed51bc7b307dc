"""One pass of the Solana searcher: pools -> routes -> the owner's accounts -> lookup tables -> a dry run, or
the live send of the best route (arbbot.solana.live). Used by `arbbot solana run` and the local demo."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.solana.errors import FeeFloorError, RouteTooLarge, SolanaError
from arbbot.solana.fees import SolPrice, TxCost, required_min_profit, route_sol_price
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.jito import JitoClient
from arbbot.solana.journal import SolanaJournal
from arbbot.solana.keys import associated_token_address
from arbbot.solana.live import Attempt, LiveConfig, execute_route
from arbbot.solana.loader import LoadResult, VenuePrograms, discover_pools, load_pools
from arbbot.solana.lookup_tables import EXTEND_BATCH, TableStore, create_table, extend_table, missing_addresses
from arbbot.solana.programs import COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM
from arbbot.solana.routes import Route, find_routes
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.token_accounts import TOKEN_PROGRAMS, setup_instructions
from arbbot.solana.transaction import budget_instructions, compile_message, tip_instruction


@dataclass(frozen=True)
class RunSettings:
    """What one searcher run looks for and how far it may go.

    `bases` are the mints a cycle starts and ends in; `max_input` bounds the route size in raw base units and
    `min_net_profit` is the floor left after every fee, in the same units. `pools` names pools to load (empty:
    discover every pool of `programs`); `wrap_lamports` is wrapped into wrapped SOL when the owner's accounts are
    set up. Lookup tables come from `lookup_tables` and `table_store` and are created by `table_authority`.
    `sol_price` overrides the price of SOL in the base token that is otherwise read from the route's own pools.
    """

    bases: Sequence[Pubkey]
    max_input: int
    max_hops: int = 3
    min_net_profit: int = 1
    pools: Sequence[Pubkey] = ()
    programs: VenuePrograms = field(default_factory=VenuePrograms)
    live: LiveConfig = field(default_factory=LiveConfig)
    wrap_lamports: int = 0
    lookup_tables: Sequence[Pubkey] = ()
    table_store: Path | None = None
    table_authority: Keypair | None = None  # creates/extends tables; never the hot key's role
    sol_price: SolPrice | None = None
    confirm_timeout: float = 30.0


@dataclass
class RunResult:
    """What a searcher run found and did: the pools, the routes, the best route that clears the fee floor.

    `on_chain_min` is the `min_profit` set on chain for `best`; `refusal` says why a route was refused at the
    fee floor; `attempt` is set when a bundle was sent.
    """

    pools: LoadResult
    routes: list[Route]
    best: Route | None = None
    on_chain_min: int = 0
    created_accounts: list[Pubkey] = field(default_factory=list)
    setup_signature: str | None = None
    tables_created: list[Pubkey] = field(default_factory=list)
    tx_size: int = 0
    lookup_tables_used: int = 0
    attempt: Attempt | None = None
    refusal: str = ""
    fees: str = ""  # the first-pass cost, described


def _confirm(rpc: SolanaRpc, signature: str, timeout: float, sleep: Callable[[float], None]) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = rpc.signature_statuses([signature])[0]
        if status is not None:
            if status.get("err") is not None:
                raise SolanaError(f"transaction {signature} failed: {status['err']}")
            return
        if time.monotonic() >= deadline:
            raise SolanaError(f"transaction {signature} not confirmed after {timeout:g}s")
        sleep(0.4)


def _send(
    rpc: SolanaRpc,
    payer: Keypair,
    signers: list[Keypair],
    ixs: list[Instruction],
    timeout: float,
    sleep: Callable[[float], None],
) -> str:
    blockhash, _ = rpc.get_latest_blockhash()
    msg = MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash)
    tx = VersionedTransaction(msg, signers)
    signature = rpc.send_transaction(tx)
    _confirm(rpc, signature, timeout, sleep)
    return signature


def _tables(rpc: SolanaRpc, keys: Sequence[Pubkey]) -> list[AddressLookupTableAccount]:
    return [rpc.get_address_lookup_table(k) for k in dict.fromkeys(keys)]


def mint_token_programs(rpc: SolanaRpc, mints: list[Pubkey]) -> dict[Pubkey, Pubkey]:
    """Each mint's token program, read from the chain (the mint account's owner): SPL Token or Token-2022.
    A mint that is missing or owned by anything else stops the run before anything is created."""
    out: dict[Pubkey, Pubkey] = {}
    for mint, acc in zip(mints, rpc.get_multiple_accounts(mints), strict=True):
        if acc is None:
            raise SolanaError(f"mint {mint}: no such account")
        if acc.owner not in TOKEN_PROGRAMS:
            raise SolanaError(f"mint {mint}: owned by {acc.owner}, neither SPL Token nor Token-2022")
        out[mint] = acc.owner
    return out


def run_once(
    rpc: SolanaRpc,
    program: ArbExecutor,
    owner: Keypair | Pubkey,
    settings: RunSettings,
    *,
    jito: JitoClient | None = None,
    journal: SolanaJournal | None = None,
    echo: Callable[[str], None] = lambda _s: None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Find routes and build the best one; with `jito` (and a keypair) also create what is missing and
    send it. A dry run (no `jito`) sends nothing and creates nothing: it says what it would do."""
    live = jito is not None
    if live and not isinstance(owner, Keypair):
        raise SolanaError("a live run needs the owner's keypair")
    owner_key = owner.pubkey() if isinstance(owner, Keypair) else owner
    loaded = (
        load_pools(rpc, settings.pools, settings.programs) if settings.pools else discover_pools(rpc, settings.programs)
    )
    routes = find_routes(loaded.pools, settings.bases, settings.max_input, max_hops=settings.max_hops)
    result = RunResult(loaded, routes)
    if not routes:
        return result
    # First pass on the fee floor with a generous limit and the lowest tip that lands; live re-sizes both.
    cost = TxCost(1, 400_000, settings.live.priority.min_price, settings.live.tip.min_tip)
    result.fees = cost.describe()
    for r in routes:
        try:
            price = settings.sol_price or route_sol_price(r, cost.lamports)
            result.on_chain_min = required_min_profit(r, cost, price, settings.min_net_profit)
        except FeeFloorError as exc:
            result.refusal = result.refusal or str(exc)
            continue
        result.best = r
        break
    best = result.best
    if best is None:
        return result

    # The owner's token accounts: associated accounts, created idempotently when missing.
    mints = list(dict.fromkeys(m for h in best.hops for m in (h.mint_in, h.mint_out)))
    programs = mint_token_programs(rpc, mints)
    accounts = {m: associated_token_address(owner_key, m, programs[m]) for m in mints}
    existing = rpc.get_multiple_accounts(list(accounts.values()))
    missing = {m for m, acc in zip(mints, existing, strict=True) if acc is None}
    result.created_accounts = [accounts[m] for m in mints if m in missing]
    setup = setup_instructions(owner_key, owner_key, mints, missing, settings.wrap_lamports, programs)
    if setup and live:
        assert isinstance(owner, Keypair)
        result.setup_signature = _send(rpc, owner, [owner], setup, settings.confirm_timeout, sleep)
        echo(f"setup: {len(setup)} instruction(s) landed ({len(missing)} account(s) created)")
    elif setup:
        echo(f"dry run: would create {len(missing)} token account(s) and wrap {settings.wrap_lamports} lamports")

    # Lookup tables: the ones given and the ones we made before; a new or extended one only if needed.
    known = list(settings.lookup_tables)
    store = TableStore(settings.table_store) if settings.table_store else None
    if store is not None:
        known += store.load()
    tables = _tables(rpc, known)
    ix = program.route_instruction(best, owner_key, accounts, result.on_chain_min)
    tips = jito.tip_accounts() if jito is not None else []
    blockhash, _ = rpc.get_latest_blockhash()
    draft = [*budget_instructions(400_000, 0), ix]
    if tips:
        draft.append(tip_instruction(owner_key, tips[0], settings.live.tip.min_tip))
    try:
        built = compile_message(owner_key, draft, blockhash, tables)
    except RouteTooLarge:
        authority = settings.table_authority
        if not live or authority is None or store is None:
            raise
        assert isinstance(owner, Keypair)
        # Static keys stay out: signers, invoked programs, tip accounts.
        exclude = {owner_key, authority.pubkey(), program.program_id, COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, *tips}
        wanted = missing_addresses((m.pubkey for m in ix.accounts), (t.addresses for t in tables), exclude)
        slot = rpc.get_slot()
        create, table = create_table(authority.pubkey(), owner_key, slot - 1)
        _send(rpc, owner, [owner, authority], [create], settings.confirm_timeout, sleep)
        for i in range(0, len(wanted), EXTEND_BATCH):
            ext = extend_table(table, authority.pubkey(), owner_key, wanted[i : i + EXTEND_BATCH])
            _send(rpc, owner, [owner, authority], [ext], settings.confirm_timeout, sleep)
        store.add(table)
        result.tables_created.append(table)
        # Extended addresses are usable from the next slot on.
        last = rpc.get_slot()
        while rpc.get_slot() <= last:
            sleep(0.4)
        tables = _tables(rpc, [*known, table])
        built = compile_message(owner_key, draft, blockhash, tables)
    result.tx_size, result.lookup_tables_used = built.size, built.lookup_tables_used
    if not live:
        return result
    assert isinstance(owner, Keypair) and jito is not None
    price = settings.sol_price or route_sol_price(best, cost.lamports)
    floor = 0
    try:
        floor = jito.tip_floor()
    except SolanaError as exc:
        echo(f"tip floor unavailable ({exc}); the configured minimum tip applies")
    result.attempt = execute_route(
        rpc=rpc, jito=jito, program=program, route=best, owner=owner, token_accounts=accounts,
        config=settings.live, lookup_tables=tables, sol_price=price, tip_floor=floor, journal=journal, sleep=sleep,
    )  # fmt: skip
    return result
