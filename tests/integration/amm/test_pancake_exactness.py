"""The PancakeSwap V3 model (the V3 loop with PancakeSwap's parameters) equals the deployed PancakeV3Pool
to the wei.

Each case runs the real pool's `swap` (V3SwapProbe answers `pancakeV3SwapCallback` by reverting with the
result) and the model's swap on the same state, over pools of all four PancakeSwap fee tiers with many
positions; the draws and edge cases are the V3 suite's. State read by the batch reader (with PancakeV3Pool's
own storage layout) and followed through PancakeSwap's Swap / Mint / Burn events stays equal to the chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from web3.contract import Contract
from web3.logs import DISCARD

from arbbot.amm.errors import AmmError
from arbbot.amm.pancakeswap_v3 import PANCAKE_V3_FEE_TIERS, PancakeSwapV3Pool
from arbbot.amm.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from arbbot.chain.addresses import pancake_v3_pool_address
from arbbot.devnet import artifacts
from arbbot.devnet.compiler import compile_files
from arbbot.devnet.compiler import replica_contracts as compile_replica
from arbbot.state import lens
from arbbot.state.events import PANCAKE_SWAP
from arbbot.state.models import v3_model
from arbbot.state.store import PoolStore
from arbbot.state.updater import StateUpdater, block_ref
from tests.integration.amm.conftest import ExactReplica

EXAMPLES = 2000
PROBE_GAS = 1_000_000_000
PROBE_SOURCE = Path(__file__).resolve().parents[3] / "contracts" / "src" / "testing" / "V3SwapProbe.sol"


@pytest.fixture(scope="module")
def probe(exact_replica_v4: ExactReplica) -> Contract:
    art = compile_files([PROBE_SOURCE])["V3SwapProbe"]
    w3 = exact_replica_v4.w3
    tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor().transact({"from": w3.eth.accounts[0]})
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=art.abi)


def _models(r: ExactReplica) -> list[PancakeSwapV3Pool]:
    pools = [p for p in r.manifest.pools if p.kind == "pancakeswap_v3"]
    snaps = lens.read_v3(r.rpc, [p.address for p in pools], "latest", lens.PANCAKE_V3_BITMAP_SLOT)
    t = r.manifest.token
    out = []
    for p in pools:
        model = v3_model(p.address, t(p.token0).address, t(p.token1).address, p.fee, snaps[p.address], p.kind)
        assert isinstance(model, PancakeSwapV3Pool)
        out.append(model)
    return out


_MODEL_CACHE: dict[int, list[PancakeSwapV3Pool]] = {}


def _cached_models(r: ExactReplica) -> list[PancakeSwapV3Pool]:
    if id(r) not in _MODEL_CACHE:
        _MODEL_CACHE[id(r)] = _models(r)
    return _MODEL_CACHE[id(r)]


def _amounts() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=100).flatmap(
        lambda e: st.integers(min_value=max(1, 1 << e), max_value=(1 << (e + 1)) - 1)
    )


def test_every_tier_is_in_the_suite_and_addresses_are_computed_off_chain(exact_replica_v4: ExactReplica) -> None:
    m = exact_replica_v4.manifest
    models = _cached_models(exact_replica_v4)
    assert sorted(p.fee for p in models) == sorted(PANCAKE_V3_FEE_TIERS)
    assert all(p.tick_spacing == PANCAKE_V3_FEE_TIERS[p.fee] for p in models)
    deployer = m.venues["pancakeswap_v3"].deployer
    for p in models:
        assert pancake_v3_pool_address(deployer, p.token0, p.token1, p.fee) == p.address
        assert len(p.ticks) >= 10  # many positions: swaps cross ticks


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool_index=st.integers(min_value=0, max_value=3),
    zero_for_one=st.booleans(),
    exact_in=st.booleans(),
    amount=_amounts(),
    limit_ticks=st.one_of(st.none(), st.integers(min_value=-50, max_value=3000)),
)
@example(pool_index=0, zero_for_one=True, exact_in=True, amount=1, limit_ticks=None)  # 1 wei
@example(pool_index=1, zero_for_one=False, exact_in=True, amount=1_099_511_627_776, limit_ticks=None)  # drains
@example(pool_index=3, zero_for_one=False, exact_in=True, amount=2**100, limit_ticks=None)  # far beyond reserves
@example(pool_index=1, zero_for_one=True, exact_in=False, amount=1, limit_ticks=None)  # 1 wei out
@example(pool_index=2, zero_for_one=False, exact_in=False, amount=2**90, limit_ticks=None)  # more than it holds
@example(pool_index=1, zero_for_one=True, exact_in=True, amount=10**30, limit_ticks=7)  # stops at a price limit
@example(pool_index=2, zero_for_one=True, exact_in=True, amount=10**18, limit_ticks=-5)  # limit on the wrong side
def test_pancake_swaps_equal_the_deployed_pool(
    exact_replica_v4: ExactReplica,
    probe: Contract,
    pool_index: int,
    zero_for_one: bool,
    exact_in: bool,
    amount: int,
    limit_ticks: int | None,
) -> None:
    pool = _cached_models(exact_replica_v4)[pool_index]
    if limit_ticks is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    else:
        target = pool.tick - limit_ticks if zero_for_one else pool.tick + limit_ticks
        limit = get_sqrt_ratio_at_tick(max(-887272, min(887272, target)))
    specified = amount if exact_in else -amount
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


def test_state_follows_pancake_swaps_mints_and_burns(fresh_v4_state: ExactReplica) -> None:
    """Swaps through PancakeSwap's SwapRouter and a position minted and burned through its position
    manager, followed from their logs by the updater: the model equals a fresh batch read of the pool."""
    r = fresh_v4_state
    w3, m = r.w3, r.manifest
    entry = next(p for p in m.pools if p.kind == "pancakeswap_v3" and p.fee == 500)
    model = next(p for p in _models(r) if p.address == entry.address)
    store = PoolStore([model], block_ref(r.rpc, "latest"))
    updater = StateUpdater(r.rpc, store)
    trader = w3.eth.accounts[4]
    router = w3.eth.contract(address=m.contracts["PancakeSwapRouter"], abi=artifacts.load("PancakeSwapRouter").abi)
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    usdc = w3.eth.contract(address=m.token("USDC").address, abi=compile_replica()["ReplicaToken"].abi)
    weth.functions.deposit().transact({"from": trader, "value": 400 * 10**18})
    usdc.functions.mint(trader, 10**12).transact({"from": m.deployer})
    for token in (weth, usdc):
        token.functions.approve(router.address, 2**256 - 1).transact({"from": trader})
    crossed = 0
    for amount, token_in, token_out in (
        (120 * 10**18, weth.address, usdc.address),
        (150_000 * 10**6, usdc.address, weth.address),
        (1, weth.address, usdc.address),
    ):
        crossed += model.swap(token_in == model.token0, amount).ticks_crossed
        params = (token_in, token_out, 500, trader, 2**63, amount, 0, 0)
        receipt = w3.eth.wait_for_transaction_receipt(
            router.functions.exactInputSingle(params).transact({"from": trader})
        )
        assert receipt["status"] == 1
        assert any("0x" + lg["topics"][0].hex().removeprefix("0x") == PANCAKE_SWAP for lg in receipt["logs"])
        updater.catch_up(receipt["blockNumber"])
    assert crossed >= 2
    _assert_same(r, store, entry.address)
    npm_name = "PancakeNonfungiblePositionManager"
    npm = w3.eth.contract(address=m.contracts[npm_name], abi=artifacts.load(npm_name).abi)
    owner = m.deployer
    for token in (weth, usdc):
        token.functions.approve(npm.address, 2**256 - 1).transact({"from": owner})
    weth.functions.deposit().transact({"from": owner, "value": 50 * 10**18})
    usdc.functions.mint(owner, 10**12).transact({"from": owner})
    tracked = store.get(entry.address)
    assert isinstance(tracked, PancakeSwapV3Pool)
    lower, upper = (tracked.tick // 10 - 37) * 10, (tracked.tick // 10 + 55) * 10
    params = (tracked.token0, tracked.token1, 500, lower, upper, 10**18, 10**10, 0, 0, owner, 2**63)
    receipt = w3.eth.wait_for_transaction_receipt(npm.functions.mint(params).transact({"from": owner}))
    assert receipt["status"] == 1
    updater.catch_up(receipt["blockNumber"])
    _assert_same(r, store, entry.address)
    token_id = npm.events.IncreaseLiquidity().process_receipt(receipt, errors=DISCARD)[0]["args"]["tokenId"]
    liquidity = npm.functions.positions(token_id).call()[7]
    receipt = w3.eth.wait_for_transaction_receipt(
        npm.functions.decreaseLiquidity((token_id, liquidity // 3, 0, 0, 2**63)).transact({"from": owner})
    )
    assert receipt["status"] == 1
    updater.catch_up(receipt["blockNumber"])
    _assert_same(r, store, entry.address)


def _assert_same(r: ExactReplica, store: PoolStore, address: str) -> None:
    tracked = store.get(address)
    assert isinstance(tracked, PancakeSwapV3Pool)
    snap = lens.read_v3(r.rpc, [address], "latest", lens.PANCAKE_V3_BITMAP_SLOT)[address]
    assert snap is not None
    assert (tracked.sqrt_price_x96, tracked.tick, tracked.liquidity) == (snap.sqrt_price_x96, snap.tick, snap.liquidity)
    assert tracked.bitmap == snap.bitmap
    assert {t: (i.liquidity_gross, i.liquidity_net) for t, i in tracked.ticks.items()} == snap.ticks
