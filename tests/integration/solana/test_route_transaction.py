"""A found route as one signed v0 transaction: budget, execute_route (anchorpy), tip; lookup tables when needed;
`min_profit` set to what landing the transaction costs, and routes that do not clear it refused."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from functools import partial

import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.pubkey import Pubkey

from arbbot.solana.bundle import route_transaction
from arbbot.solana.errors import FeeFloorError, JitoError, RouteTooLarge
from arbbot.solana.fees import SolPrice
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.loader import discover_pools, load_pools
from arbbot.solana.programs import COMPUTE_BUDGET_PROGRAM, RAYDIUM_AMM_V4, SPL_TOKEN_SWAP
from arbbot.solana.routes import Route, RouteHop, find_routes
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.world import World, add_raydium, add_whirlpool, build_world
from arbbot.solana.transaction import PACKET_DATA_SIZE
from arbbot.solana.venues import VenuePool

pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")
TIP = Pubkey.new_unique()


@pytest.fixture
def found() -> Iterator[tuple[World, ArbExecutor, list[VenuePool], Route]]:
    world = build_world()
    with LocalSolanaRpc(world.chain) as server:
        rpc = SolanaRpc(server.url)
        pools = discover_pools(rpc).pools
        rpc.close()
    (best, *_) = find_routes(pools, [world.mint_a], max_input=10**11)
    yield world, ArbExecutor.load(), pools, best  # the program's committed IDL


def _reload(world: World, addresses: list[Pubkey]) -> list[VenuePool]:
    with LocalSolanaRpc(world.chain) as server:
        rpc = SolanaRpc(server.url)
        pools = load_pools(rpc, addresses).pools
        rpc.close()
    return pools


def _accounts(world: World) -> dict[Pubkey, Pubkey]:
    return {world.mint_a: world.owner_a, world.mint_b: world.owner_b}


# 3 base units of A buy 2 lamports.
PRICE = SolPrice(3, 2)


def test_two_hop_route_fits_without_tables(found: tuple[World, ArbExecutor, list[VenuePool], Route]) -> None:
    world, program, _, route = found
    tx, built = route_transaction(
        program, route, world.owner, _accounts(world), sol_price=PRICE, min_net_profit=7,
        blockhash=world.chain.latest_blockhash(), cu_limit=300_000, cu_price=10_000, tip=(TIP, 10_000),
    )  # fmt: skip
    assert all(tx.verify_with_results()) and len(bytes(tx)) == built.size <= PACKET_DATA_SIZE
    assert built.lookup_tables_used == 0
    msg = tx.message
    keys = list(msg.account_keys)
    programs = [keys[ix.program_id_index] for ix in msg.instructions]
    assert programs[:2] == [COMPUTE_BUDGET_PROGRAM] * 2 and programs[2] == program.program_id
    arb = msg.instructions[2]
    amount_in, min_profit, n = struct.unpack_from("<QQI", bytes(arb.data), 8)
    # One signature (5_000) + ceil(300_000 CU x 10_000 / 10^6) = 3_000 + tip 10_000 = 18_000 lamports,
    # x 3/2 = 27_000 units of A, + the minimum net 7.
    assert msg.header.num_required_signatures == 1
    assert (amount_in, min_profit, n) == (route.amount_in, 27_007, 2)
    assert bytes(arb.data)[28:] == bytes([0, 11, 1, 1, 18, 0])  # token-swap A->B (11 accounts), Raydium B->A (18)
    metas = [keys[i] for i in arb.accounts]
    assert metas[:2] == [world.owner.pubkey(), world.owner_a]
    assert metas[3] == SPL_TOKEN_SWAP and metas[3 + 11] == RAYDIUM_AMM_V4  # each block starts with its program
    ray = metas[3 + 11 : 3 + 11 + 18]
    assert ray[2] == world.raydium and ray[-3:] == [world.owner_b, world.owner_a, world.owner.pubkey()]
    assert TIP in keys  # the tip account is a static key


def test_route_too_large_without_tables_fits_with_one(found: tuple[World, ArbExecutor, list[VenuePool], Route]) -> None:
    world, program, _, _ = found
    a, b = world.mint_a, world.mint_b
    extra = [add_whirlpool(world.chain, a, b, 10**12), add_whirlpool(world.chain, a, b, 10**12)]
    extra.append(add_raydium(world.chain, a, b, (10**12, 10**12)))
    ts, wp1, wp2, ray = _reload(world, [world.token_swap, *extra])
    # four distinct pools, A -> B -> A -> B -> A: more accounts than a plain transaction holds
    hops = (RouteHop(ts, a, b), RouteHop(wp1, b, a), RouteHop(wp2, a, b), RouteHop(ray, b, a))
    long_route = Route(a, hops, 10**9, 10**9 + 10**6)
    kwargs = {
        "sol_price": PRICE, "blockhash": world.chain.latest_blockhash(), "cu_limit": 600_000, "cu_price": 1,
        "tip": (TIP, 10_000),
    }  # fmt: skip
    with pytest.raises(RouteTooLarge, match="no address lookup table was given"):
        route_transaction(program, long_route, world.owner, _accounts(world), **kwargs)  # type: ignore[arg-type]
    pool_keys = {
        m.pubkey
        for h in hops
        for m in h.pool.hop_accounts(h.mint_in, world.owner.pubkey(), world.owner_a, world.owner_b)
    }
    pool_keys -= {world.owner.pubkey()}
    table = AddressLookupTableAccount(Pubkey.new_unique(), sorted(pool_keys, key=bytes))
    tx, built = route_transaction(program, long_route, world.owner, _accounts(world), lookup_tables=[table], **kwargs)  # type: ignore[arg-type]
    assert built.lookup_tables_used == 1 and built.size <= PACKET_DATA_SIZE
    assert all(tx.verify_with_results())
    with_tip = AddressLookupTableAccount(Pubkey.new_unique(), [*table.addresses, TIP])
    with pytest.raises(JitoError, match=f"tip account {TIP} is in lookup table"):
        route_transaction(program, long_route, world.owner, _accounts(world), lookup_tables=[with_tip], **kwargs)  # type: ignore[arg-type]


def test_route_that_does_not_pay_for_itself_is_refused(
    found: tuple[World, ArbExecutor, list[VenuePool], Route],
) -> None:
    world, program, _, route = found
    common = {
        "blockhash": world.chain.latest_blockhash(), "cu_limit": 400_000, "cu_price": 1_000_000, "tip": (TIP, 100_000)
    }  # fmt: skip
    build = partial(route_transaction, program, route, world.owner, _accounts(world))
    # 5_000 + 400_000 + tip 100_000 = 505_000 lamports; at a price where that costs exactly the profit,
    # the route would land for nothing: refused, as is anything dearer.
    fees = 505_000
    for price in (SolPrice(route.profit, fees), SolPrice(route.profit * 2, fees)):
        with pytest.raises(FeeFloorError) as err:
            build(sol_price=price, **common)  # type: ignore[arg-type]
        floor = price.base_for(fees)
        assert f"route profit {route.profit} of {world.mint_a} does not clear fees {floor} + minimum net 1" in str(
            err.value
        )
        assert "ceil(400000 CU x 1000000 micro-lamports / 10^6) = 400000" in str(err.value)
    # One lamport's worth cheaper and it clears, with exactly the profit as its on-chain minimum.
    cheaper = SolPrice(route.profit - 1, fees)
    tx, _ = build(sol_price=cheaper, **common)  # type: ignore[arg-type]
    arb = tx.message.instructions[2]
    assert struct.unpack_from("<Q", bytes(arb.data), 16)[0] == route.profit
    # A base that is not wrapped SOL, with no price and no SOL pool in the route: refused.
    with pytest.raises(FeeFloorError, match=f"route base {world.mint_a} is not wrapped SOL and no SOL price"):
        build(**common)  # type: ignore[arg-type]
