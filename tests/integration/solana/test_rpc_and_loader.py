"""Solana RPC client and pool loader against the local JSON-RPC test double (LiteSVM bank over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from arbbot.chain.rpc import RetryPolicy
from arbbot.solana.errors import (
    AccountLayoutError,
    SolanaTransportError,
    StaleBlockhash,
    UnknownPoolProgram,
)
from arbbot.solana.layouts.raydium import decode_raydium_amm_v4
from arbbot.solana.loader import VenuePrograms, discover_pools, load_pools
from arbbot.solana.programs import (
    LOOKUP_TABLE_PROGRAM,
    ORCA_TOKEN_SWAP_V2,
    RAYDIUM_AMM_V4,
    TOKEN_PROGRAM,
)
from arbbot.solana.quote.constant_product import raydium_swap_base_in_out, token_swap_constant_product_out
from arbbot.solana.routes import find_routes, route_out
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.accounts import RaydiumFields, pack_lookup_table, pack_raydium, pack_token_account
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.world import World, build_world
from arbbot.solana.venues import RaydiumPool, TokenSwapPool, WhirlpoolPool

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)


@pytest.fixture
def node() -> Iterator[tuple[World, LocalSolanaRpc, SolanaRpc]]:
    world = build_world()
    with LocalSolanaRpc(world.chain) as server:
        rpc = SolanaRpc(server.url, timeout=5, retry=FAST)
        try:
            yield world, server, rpc
        finally:
            rpc.close()


def test_discover_decodes_every_venue_and_quotes_exactly(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, server, rpc = node
    result = discover_pools(rpc)
    assert result.skipped == []
    by_type = {type(p): p for p in result.pools}
    assert set(by_type) == {TokenSwapPool, RaydiumPool, WhirlpoolPool}
    ts, ray, wp = by_type[TokenSwapPool], by_type[RaydiumPool], by_type[WhirlpoolPool]
    assert (ts.address, ray.address, wp.address) == (world.token_swap, world.raydium, world.whirlpool)
    assert (ts.reserve_a, ts.reserve_b) == (10**12, 105 * 10**10)  # read from the vault token accounts
    assert len(wp.tick_arrays) == 5  # every array around the current tick, read in one batch
    assert "getProgramAccounts" in server.faults.seen_methods
    x = 10**9
    assert ts.quote(world.mint_a, x) == token_swap_constant_product_out(
        x, 10**12, 105 * 10**10, (25, 10_000), (5, 10_000)
    )
    assert ray.quote(world.mint_b, x) == raydium_swap_base_in_out(x, 10**12, 10**12, 25, 10_000)
    # the whirlpool at price 1 with a 0.3% fee, well inside its range
    assert 996_000_000 < wp.quote(world.mint_a, x) < 997_000_000


def test_routes_from_live_state(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, _, rpc = node
    pools = discover_pools(rpc).pools
    routes = find_routes(pools, [world.mint_a], max_input=10**11)
    assert [type(h.pool) for h in routes[0].hops] == [TokenSwapPool, RaydiumPool]
    assert routes[0].amount_out == route_out(routes[0].hops, routes[0].amount_in) > routes[0].amount_in


def test_load_given_pools_and_bad_accounts(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, _, rpc = node
    (ray,) = load_pools(rpc, [world.raydium]).pools
    assert isinstance(ray, RaydiumPool) and ray.mint_a == world.mint_a
    with pytest.raises(UnknownPoolProgram, match=f"account {world.owner_a} is owned by {TOKEN_PROGRAM}"):
        load_pools(rpc, [world.owner_a])
    missing = Pubkey.new_unique()
    with pytest.raises(AccountLayoutError, match=f"pool {missing} does not exist"):
        load_pools(rpc, [missing])
    # a pool whose vault is not a token account: named, with the size found
    assert isinstance(ray, RaydiumPool)
    world.chain.set_account(ray.state.coin_vault, TOKEN_PROGRAM, pack_token_account(world.mint_a, ray.address, 1)[:100])
    with pytest.raises(AccountLayoutError, match=f"token account {ray.state.coin_vault}: data is 100 bytes"):
        load_pools(rpc, [world.raydium])


def test_many_accounts_are_fetched_in_chunks_of_100(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, server, rpc = node
    keys = [Pubkey.new_unique() for _ in range(230)] + [world.owner_a]
    before = server.faults.seen_methods.count("getMultipleAccounts")
    accounts = rpc.get_multiple_accounts(keys)
    assert server.faults.seen_methods.count("getMultipleAccounts") - before == 3
    assert accounts[:230] == [None] * 230 and accounts[230] is not None and accounts[230].owner == TOKEN_PROGRAM


def test_rate_limit_backoff_and_garbage(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, server, rpc = node
    server.faults.http_429 = 2
    assert rpc.get_account(world.owner_a) is not None  # retried past two 429s
    server.faults.http_429 = 5
    with pytest.raises(SolanaTransportError, match="failed after 3 attempts: HTTP 429"):
        rpc.get_latest_blockhash()
    server.faults.garbage = 5
    with pytest.raises(SolanaTransportError, match="non-JSON body"):
        rpc.get_account(world.owner_a)


def test_send_with_a_stale_blockhash_is_refused(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, _, rpc = node
    blockhash, _ = rpc.get_latest_blockhash()
    dest = Keypair().pubkey()
    ix = transfer(TransferParams(from_pubkey=world.owner.pubkey(), to_pubkey=dest, lamports=1_000_000))
    tx = VersionedTransaction(MessageV0.try_compile(world.owner.pubkey(), [ix], [], blockhash), [world.owner])
    world.chain.new_blockhash()
    with pytest.raises(StaleBlockhash, match="Blockhash not found"):
        rpc.send_transaction(tx)
    assert world.chain.get_account(dest) is None
    fresh, _ = rpc.get_latest_blockhash()
    tx = VersionedTransaction(MessageV0.try_compile(world.owner.pubkey(), [ix], [], fresh), [world.owner])
    assert rpc.send_transaction(tx) == str(tx.signatures[0])
    assert world.chain.get_account(dest).lamports == 1_000_000  # type: ignore[union-attr]


def test_simulate_reports_success_and_stale_blockhash(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, _, rpc = node
    blockhash, _ = rpc.get_latest_blockhash()
    ix = transfer(TransferParams(from_pubkey=world.owner.pubkey(), to_pubkey=Keypair().pubkey(), lamports=5_000))
    tx = VersionedTransaction(MessageV0.try_compile(world.owner.pubkey(), [ix], [], blockhash), [world.owner])
    result = rpc.simulate(tx)
    assert result["err"] is None and result["unitsConsumed"] > 0
    assert any("11111111111111111111111111111111 success" in line for line in result["logs"])
    world.chain.new_blockhash()
    with pytest.raises(StaleBlockhash, match="BlockhashNotFound"):
        rpc.simulate(tx)


def test_lookup_table_is_read_from_its_account(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    world, _, rpc = node
    table_key, addresses = Pubkey.new_unique(), [Pubkey.new_unique() for _ in range(40)]
    world.chain.set_account(table_key, LOOKUP_TABLE_PROGRAM, pack_lookup_table(addresses, world.owner.pubkey()))
    table = rpc.get_address_lookup_table(table_key)
    assert table.key == table_key and list(table.addresses) == addresses
    with pytest.raises(AccountLayoutError, match=f"lookup table {world.owner_a}: owner is {TOKEN_PROGRAM}"):
        rpc.get_address_lookup_table(world.owner_a)


def test_only_pinned_venue_programs_are_read(node: tuple[World, LocalSolanaRpc, SolanaRpc]) -> None:
    """arb_executor refuses unpinned venues, so the searcher never reads (or routes through) their pools."""
    world, server, rpc = node
    fork_only = discover_pools(rpc, VenuePrograms(token_swap=(ORCA_TOKEN_SWAP_V2,)))
    assert world.token_swap not in {p.address for p in fork_only.pools}  # the world's pool is SPL's
    rogue = Pubkey.new_unique()
    for programs, message in (
        (VenuePrograms(token_swap=(rogue,)), f"token-swap program {rogue} is not pinned by arb_executor"),
        (VenuePrograms(raydium_amm_v4=rogue), f"Raydium AMM v4 program {rogue} is not {RAYDIUM_AMM_V4}"),
        (VenuePrograms(whirlpool=rogue), f"Whirlpool program {rogue} is not"),
    ):
        calls = len(server.faults.seen_methods)
        with pytest.raises(UnknownPoolProgram, match=message):
            discover_pools(rpc, programs)
        with pytest.raises(UnknownPoolProgram, match=message):
            load_pools(rpc, [world.token_swap], programs)
        assert len(server.faults.seen_methods) == calls  # refused before asking the node anything


def test_raydium_pool_of_an_unpinned_market_program_can_quote_but_not_swap(
    node: tuple[World, LocalSolanaRpc, SolanaRpc],
) -> None:
    world, _, rpc = node
    acc = world.chain.get_account(world.raydium)
    assert acc is not None
    state = decode_raydium_amm_v4(bytes(acc.data), world.raydium, RAYDIUM_AMM_V4)
    rogue = Pubkey.new_unique()
    fields = RaydiumFields(
        state.coin_vault, state.pc_vault, state.coin_vault_mint, state.pc_vault_mint, nonce=state.nonce,
        open_orders=state.open_orders, market=state.market, market_program=rogue, target_orders=state.target_orders,
    )  # fmt: skip
    world.chain.set_account(world.raydium, RAYDIUM_AMM_V4, pack_raydium(fields))
    result = load_pools(rpc, [world.raydium])
    (ray,) = result.pools
    assert isinstance(ray, RaydiumPool) and ray.market is None
    assert result.skipped == [
        f"{world.raydium}: market program {rogue} is not pinned by arb_executor (pool can quote, not swap)"
    ]
    assert ray.quote(world.mint_a, 10**6) > 0


@pytest.mark.parametrize("commitment", ["confirmed", "processed"])
def test_every_read_simulation_and_preflight_is_at_the_clients_commitment(
    node: tuple[World, LocalSolanaRpc, SolanaRpc], commitment: str
) -> None:
    """A node's default is `finalized`, about 13 s behind: pools read or simulated there are old news."""
    world, server, default_rpc = node
    rpc = SolanaRpc(server.url, timeout=5, retry=FAST, commitment=commitment)
    try:
        before = len(server.faults.seen_methods)
        rpc.get_multiple_accounts([world.owner_a])
        rpc.get_program_accounts(TOKEN_PROGRAM, data_size=165)
        blockhash, _ = rpc.get_latest_blockhash()
        rpc.get_slot()
        rpc.get_balance(world.owner.pubkey())
        ix = transfer(TransferParams(from_pubkey=world.owner.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10**6))
        tx = VersionedTransaction(MessageV0.try_compile(world.owner.pubkey(), [ix], [], blockhash), [world.owner])
        rpc.simulate(tx)
        rpc.send_transaction(tx)
    finally:
        rpc.close()
    calls = list(zip(server.faults.seen_methods[before:], server.faults.seen_params[before:], strict=True))
    levels = {m: next(v for p in params if isinstance(p, dict) for k, v in p.items() if "ommitment" in k)
              for m, params in calls}  # fmt: skip
    assert levels == dict.fromkeys(
        ["getMultipleAccounts", "getProgramAccounts", "getLatestBlockhash", "getSlot", "getBalance",
         "simulateTransaction", "sendTransaction"], commitment,
    )  # fmt: skip
    assert default_rpc.commitment == "confirmed"


def test_an_unknown_commitment_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^commitment: 'latest' is not one of processed, confirmed, finalized$"):
        SolanaRpc("http://127.0.0.1:1", commitment="latest")
