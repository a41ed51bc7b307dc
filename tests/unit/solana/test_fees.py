"""The fee floor a route must clear: signature fee, priority fee and tip, valued in the route's base token."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from arbbot.solana.errors import FeeFloorError, QuoteError
from arbbot.solana.fees import (
    SolPrice,
    TxCost,
    fee_floor,
    required_min_profit,
    route_sol_price,
    sol_price_from_pool,
)
from arbbot.solana.programs import WSOL_MINT
from arbbot.solana.routes import Route, RouteHop
from tests.unit.solana._pools import raydium_pool, token_swap_pool

USDC = Pubkey.new_unique()
OTHER = Pubkey.new_unique()


def test_transaction_cost_is_signatures_priority_and_tip() -> None:
    cost = TxCost(signatures=2, cu_limit=400_000, cu_price_micro_lamports=1_000, tip_lamports=10_000)
    assert (cost.signature_fee, cost.priority_fee, cost.lamports) == (10_000, 400, 20_400)
    # The priority fee is charged on the requested limit and rounds up to a whole lamport.
    assert TxCost(1, 200_001, 3, 0).priority_fee == 1  # 600_003 micro-lamports
    assert TxCost(1, 1_400_000, 1_000_000, 0).priority_fee == 1_400_000
    assert TxCost(1, 1, 0, 0).lamports == 5_000
    assert "ceil(400000 CU x 1000 micro-lamports / 10^6) = 400" in cost.describe()
    assert cost.describe().endswith("= 20400 lamports")


@given(
    signatures=st.integers(1, 12),
    cu_limit=st.integers(1, 1_400_000),
    price=st.integers(0, 10**9),
    tip=st.integers(0, 10**10),
    per_signature=st.integers(0, 10**5),
)
def test_transaction_cost_matches_the_fee_formula(
    signatures: int, cu_limit: int, price: int, tip: int, per_signature: int
) -> None:
    cost = TxCost(signatures, cu_limit, price, tip, per_signature)
    assert cost.lamports == signatures * per_signature + ceil(Fraction(cu_limit * price, 10**6)) + tip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signatures": 0}, "signatures must be at least 1, got 0"),
        ({"cu_limit": -1}, "cu_limit must be a non-negative integer, got -1"),
        ({"tip_lamports": 1.5}, "tip_lamports must be a non-negative integer, got 1.5"),
    ],
)
def test_bad_costs_are_named(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"signatures": 1, "cu_limit": 1, "cu_price_micro_lamports": 0} | kwargs
    with pytest.raises(ValueError, match=message):
        TxCost(**args)  # type: ignore[arg-type]


def test_wrapped_sol_routes_pay_fees_one_to_one() -> None:
    cost = TxCost(1, 300_000, 10_000, 10_000)
    assert fee_floor(cost, WSOL_MINT, None) == 5_000 + 3_000 + 10_000
    # A price is irrelevant for wrapped SOL: a lamport is a base unit.
    assert fee_floor(cost, WSOL_MINT, SolPrice(7, 1)) == 18_000


def test_other_bases_need_a_price_and_round_against_the_route() -> None:
    cost = TxCost(1, 0, 0, 0)  # 5_000 lamports
    with pytest.raises(FeeFloorError, match=f"route base {USDC} is not wrapped SOL and no SOL price was given"):
        fee_floor(cost, USDC, None)
    # 150 USDC units per 1_000_000 lamports: 5_000 lamports cost 0.75 -> 1 unit.
    assert fee_floor(cost, USDC, SolPrice(150, 1_000_000)) == 1
    assert fee_floor(cost, USDC, SolPrice(150_000_000, 1_000_000_000)) == 750
    with pytest.raises(ValueError, match="lamports > 0"):
        SolPrice(1, 0)


def _route(base: Pubkey, pools: list, profit: int) -> Route:  # type: ignore[type-arg]
    hops = []
    mint = base
    for p in pools:
        out = p.mint_out(mint)
        hops.append(RouteHop(p, mint, out))
        mint = out
    return Route(base, tuple(hops), 10**9, 10**9 + profit)


def test_route_must_clear_the_floor_plus_the_minimum_net() -> None:
    pools = [token_swap_pool(WSOL_MINT, OTHER, 10**12, 10**12), raydium_pool(WSOL_MINT, OTHER, 10**12, 10**12)]
    cost = TxCost(1, 400_000, 1_000, 10_000)  # 15_400 lamports
    assert required_min_profit(_route(WSOL_MINT, pools, 15_401), cost, None) == 15_401
    assert required_min_profit(_route(WSOL_MINT, pools, 20_000), cost, None, min_net_profit=4_600) == 20_000
    for profit in (15_400, 15_000, 0, -5):
        with pytest.raises(FeeFloorError) as err:
            required_min_profit(_route(WSOL_MINT, pools, profit), cost, None)
        msg = str(err.value)
        assert "\n" not in msg
        assert f"route profit {profit} of {WSOL_MINT} does not clear fees 15400 + minimum net 1 = 15401" in msg
        assert "1 signature(s) x 5000" in msg and "tip 10000" in msg
    with pytest.raises(ValueError, match="min_net_profit must be at least 1"):
        required_min_profit(_route(WSOL_MINT, pools, 10**6), cost, None, min_net_profit=0)


def test_route_without_a_price_is_refused() -> None:
    pools = [token_swap_pool(USDC, OTHER, 10**12, 10**12), raydium_pool(USDC, OTHER, 10**12, 10**12)]
    route = _route(USDC, pools, 10**8)
    assert route_sol_price(route, 5_000) is None
    with pytest.raises(FeeFloorError, match="is not wrapped SOL and no SOL price was given"):
        required_min_profit(route, TxCost(1, 0, 0), route_sol_price(route, 5_000))


@settings(max_examples=200, deadline=None)
@given(
    reserve_base=st.integers(10**3, 10**15),
    reserve_sol=st.integers(10**3, 10**15),
    lamports=st.integers(1, 10**9),
    base_is_a=st.booleans(),
)
def test_price_from_a_pool_is_the_cheapest_input_that_buys_the_fees(
    reserve_base: int, reserve_sol: int, lamports: int, base_is_a: bool
) -> None:
    if base_is_a:
        pool = token_swap_pool(USDC, WSOL_MINT, reserve_base, reserve_sol)
    else:
        pool = token_swap_pool(WSOL_MINT, USDC, reserve_sol, reserve_base)
    try:
        price = sol_price_from_pool(pool, USDC, lamports)
    except FeeFloorError as exc:
        # Only when the pool cannot pay that much SOL for any input (fees keep ~0.3% of it back).
        assert lamports * 1000 > reserve_sol * 990 and "cannot pay" in str(exc)
        return

    def pays(amount: int) -> bool:
        try:
            return pool.quote(USDC, amount) >= lamports
        except QuoteError:  # the program would fail the swap: it buys nothing
            return False

    assert price.lamports == lamports
    assert pays(price.base_units) and not pays(price.base_units - 1)
    assert price.base_for(lamports) == price.base_units


def test_price_comes_from_the_routes_own_sol_pool() -> None:
    sol_usdc = token_swap_pool(WSOL_MINT, USDC, 10**12, 150 * 10**9)  # 1 SOL ~ 150 USDC (6 decimals)
    usdc_other = raydium_pool(USDC, OTHER, 10**12, 10**12)
    other_sol = raydium_pool(OTHER, WSOL_MINT, 10**12, 10**12)
    route = _route(USDC, [usdc_other, other_sol, sol_usdc], 10**8)  # USDC -> OTHER -> SOL -> USDC
    cost = TxCost(1, 400_000, 1_000, 10_000)  # 15_400 lamports = 2310 USDC units at the spot price
    price = route_sol_price(route, cost.lamports)
    assert price == sol_price_from_pool(sol_usdc, USDC, cost.lamports)
    assert price is not None and 2310 < price.base_units < 2320  # spot plus the 0.3% pool fee
    floor = fee_floor(cost, USDC, price)
    assert required_min_profit(route, cost, price) == floor + 1
    with pytest.raises(FeeFloorError, match=f"pool {usdc_other.address} does not pair {USDC} with wrapped SOL"):
        sol_price_from_pool(usdc_other, USDC, 1)


def test_cli_keypair_variable_matches_the_keys_module() -> None:
    from arbbot.cli.solana import DEFAULT_KEYPAIR_ENV as shown
    from arbbot.solana.keys import DEFAULT_KEYPAIR_ENV

    assert shown == DEFAULT_KEYPAIR_ENV
