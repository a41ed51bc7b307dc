"""The V3 model equals the deployed UniswapV3Pool to the wei.

Each case runs the real pool's `swap` (through V3SwapProbe, which reverts in the callback with the
result) and the model's swap on the same state. Hypothesis draws pools of every fee tier, directions,
exact-in and exact-out amounts from 1 wei to far beyond what the pool holds, and price limits on
either side; amounts, final price, tick and liquidity must all match, and where the pool reverts the
model must refuse too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from web3.contract import Contract
from web3.logs import DISCARD

from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from arbbot.devnet import artifacts
from arbbot.devnet.compiler import compile_files
from arbbot.devnet.compiler import replica_contracts as compile_replica
from arbbot.state import lens
from arbbot.state.models import v3_model
from tests.integration.amm.conftest import ExactReplica

EXAMPLES = 2000
PROBE_GAS = 1_000_000_000
PROBE_SOURCE = Path(__file__).resolve().parents[3] / "contracts" / "src" / "testing" / "V3SwapProbe.sol"


@pytest.fixture(scope="module")
def probe(exact_replica: ExactReplica) -> Contract:
    art = compile_files([PROBE_SOURCE])["V3SwapProbe"]
    w3 = exact_replica.w3
    tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor().transact({"from": w3.eth.accounts[0]})
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=art.abi)


def _models(r: ExactReplica) -> list:
    pools = [p for p in r.manifest.pools if p.kind == "uniswap_v3"]
    snaps = lens.read_v3(r.rpc, [p.address for p in pools])
    return [
        v3_model(
            p.address, r.manifest.token(p.token0).address, r.manifest.token(p.token1).address, p.fee, snaps[p.address]
        )
        for p in pools
    ]


def _amounts() -> st.SearchStrategy[int]:
    # Log-uniform from 1 wei to 2^100: tiny, typical and far beyond any pool's reserves.
    return st.integers(min_value=0, max_value=100).flatmap(
        lambda e: st.integers(min_value=max(1, 1 << e), max_value=(1 << (e + 1)) - 1)
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool_index=st.integers(min_value=0, max_value=3),
    zero_for_one=st.booleans(),
    exact_in=st.booleans(),
    amount=_amounts(),
    limit_ticks=st.one_of(st.none(), st.integers(min_value=-50, max_value=3000)),
)
# A fixed regression set: edge cases that must always be checked.
@example(pool_index=0, zero_for_one=True, exact_in=True, amount=1, limit_ticks=None)  # 1 wei
@example(pool_index=0, zero_for_one=False, exact_in=True, amount=1_099_511_627_776, limit_ticks=None)  # drains to MAX
@example(pool_index=3, zero_for_one=False, exact_in=True, amount=2**100, limit_ticks=None)  # far beyond reserves
@example(pool_index=1, zero_for_one=True, exact_in=False, amount=1, limit_ticks=None)  # 1 wei out
@example(pool_index=2, zero_for_one=False, exact_in=False, amount=2**90, limit_ticks=None)  # more than it holds
@example(pool_index=1, zero_for_one=True, exact_in=True, amount=10**30, limit_ticks=7)  # stops at a price limit
@example(pool_index=2, zero_for_one=True, exact_in=True, amount=10**18, limit_ticks=-5)  # limit on the wrong side
def test_v3_swaps_equal_the_deployed_pool(
    exact_replica: ExactReplica,
    probe: Contract,
    pool_index: int,
    zero_for_one: bool,
    exact_in: bool,
    amount: int,
    limit_ticks: int | None,
) -> None:
    pool = _cached_models(exact_replica)[pool_index]
    if limit_ticks is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    else:  # some ticks away in the swap's direction (negative: on the wrong side, which must revert)
        target = pool.tick - limit_ticks if zero_for_one else pool.tick + limit_ticks
        limit = get_sqrt_ratio_at_tick(max(-887272, min(887272, target)))
    specified = amount if exact_in else -amount
    # Gas far above a block's: a swap walking thousands of empty bitmap words to the price bound needs
    # more than 30M gas; the math, not the block limit, is what is compared here.
    ok, a0, a1, sqrt_p, tick, liquidity, _reason = probe.functions.probe(
        pool.address, zero_for_one, specified, limit
    ).call({"gas": PROBE_GAS})
    try:
        result = pool.swap(zero_for_one, specified, limit)
    except AmmError as exc:
        assert not ok, f"model refused ({exc}) but the pool swapped"
        return
    assert ok, "the pool reverted where the model swapped"
    assert (result.amount0, result.amount1) == (a0, a1)
    assert (result.sqrt_price_x96, result.tick, result.liquidity) == (sqrt_p, tick, liquidity)


_MODEL_CACHE: dict[int, list] = {}


def _cached_models(r: ExactReplica) -> list:
    # Hypothesis runs thousands of examples against one unchanged chain state: read it once.
    key = id(r)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE[key] = _models(r)
    return _MODEL_CACHE[key]


def test_state_follows_real_swaps_through_the_router(fresh_state: ExactReplica) -> None:
    """Real swaps in both directions, crossing ticks: the model's post-swap state equals the chain's."""
    r = fresh_state
    w3, m = r.w3, r.manifest
    trader = w3.eth.accounts[2]
    router = w3.eth.contract(address=m.contracts["SwapRouter"], abi=artifacts.load("SwapRouter").abi)
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    pool_entry = next(p for p in m.pools if p.kind == "uniswap_v3" and p.fee == 500)
    model = next(p for p in _models(r) if p.address == pool_entry.address)
    usdc = m.token("USDC").address
    erc20 = w3.eth.contract(address=usdc, abi=artifacts.load("WETH9").abi)  # same ERC-20 surface
    weth.functions.deposit().transact({"from": trader, "value": 400 * 10**18})
    weth.functions.approve(router.address, 2**256 - 1).transact({"from": trader})
    erc20.functions.approve(router.address, 2**256 - 1).transact({"from": trader})
    pool_abi = artifacts.load("UniswapV3Pool").abi
    chain_pool = w3.eth.contract(address=pool_entry.address, abi=pool_abi)
    crossed_any = 0
    for amount, token_in, token_out in [
        (150 * 10**18, weth.address, usdc),
        (90_000 * 10**6, usdc, weth.address),
        (37 * 10**18, weth.address, usdc),
        (1, weth.address, usdc),
    ]:
        zero_for_one = token_in == model.token0
        predicted = model.swap(zero_for_one, amount)
        out = model.apply_swap(token_in, amount)
        crossed_any += predicted.ticks_crossed
        before = w3.eth.contract(address=token_out, abi=artifacts.load("WETH9").abi).functions.balanceOf(trader).call()
        params = (token_in, token_out, 500, trader, 2**63, amount, 0, 0)
        assert (
            w3.eth.wait_for_transaction_receipt(router.functions.exactInputSingle(params).transact({"from": trader}))[
                "status"
            ]
            == 1
        )
        after = w3.eth.contract(address=token_out, abi=artifacts.load("WETH9").abi).functions.balanceOf(trader).call()
        assert after - before == out
        slot0 = chain_pool.functions.slot0().call()
        assert (model.sqrt_price_x96, model.tick, model.liquidity) == (
            slot0[0],
            slot0[1],
            chain_pool.functions.liquidity().call(),
        )
    assert crossed_any >= 2  # the sequence really crossed initialized ticks


def test_mint_and_burn_events_keep_the_model_equal_to_the_pool(fresh_state: ExactReplica) -> None:
    """A real mint and burn through the position manager, applied to the model as events."""
    r = fresh_state
    w3, m = r.w3, r.manifest
    entry = next(p for p in m.pools if p.kind == "uniswap_v3" and p.fee == 3000)
    model = next(p for p in _models(r) if p.address == entry.address)
    npm = w3.eth.contract(
        address=m.contracts["NonfungiblePositionManager"], abi=artifacts.load("NonfungiblePositionManager").abi
    )
    owner = m.deployer
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    wbtc = w3.eth.contract(address=m.token("WBTC").address, abi=compile_replica()["ReplicaToken"].abi)
    weth.functions.deposit().transact({"from": owner, "value": 100 * 10**18})
    wbtc.functions.mint(owner, 10**10).transact({"from": owner})
    for token in (weth, wbtc):
        token.functions.approve(npm.address, 2**256 - 1).transact({"from": owner})
    lower = (model.tick // 60 - 7) * 60  # a fresh range around the price: new ticks, bits flipped
    upper = (model.tick // 60 + 3) * 60 + 60 * 13
    params = (model.token0, model.token1, 3000, lower, upper, 10**8, 10 * 10**18, 0, 0, owner, 2**63)
    receipt = w3.eth.wait_for_transaction_receipt(npm.functions.mint(params).transact({"from": owner}))
    pool_c = w3.eth.contract(address=entry.address, abi=artifacts.load("UniswapV3Pool").abi)
    minted = pool_c.events.Mint().process_receipt(receipt, errors=DISCARD)[0]["args"]
    model.apply_liquidity_change(minted["tickLower"], minted["tickUpper"], minted["amount"])
    _assert_same(r, model)
    token_id = npm.events.IncreaseLiquidity().process_receipt(receipt, errors=DISCARD)[0]["args"]["tokenId"]
    half = minted["amount"] // 2
    receipt = w3.eth.wait_for_transaction_receipt(
        npm.functions.decreaseLiquidity((token_id, half, 0, 0, 2**63)).transact({"from": owner})
    )
    burned = pool_c.events.Burn().process_receipt(receipt, errors=DISCARD)[0]["args"]
    model.apply_liquidity_change(burned["tickLower"], burned["tickUpper"], -burned["amount"])
    _assert_same(r, model)


def _assert_same(r: ExactReplica, model) -> None:
    snap = lens.read_v3(r.rpc, [model.address])[model.address]
    assert snap is not None
    assert (model.sqrt_price_x96, model.tick, model.liquidity) == (snap.sqrt_price_x96, snap.tick, snap.liquidity)
    assert model.bitmap == snap.bitmap
    assert {t: (i.liquidity_gross, i.liquidity_net) for t, i in model.ticks.items()} == snap.ticks
