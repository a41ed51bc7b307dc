"""The V4 model equals the deployed PoolManager to the wei.

Each case runs PoolManager.swap inside `unlock` (through V4SwapProbe, whose callback reverts with the
caller's BalanceDelta and the pool's post-swap price, tick and liquidity) and the model's swap on the
same state. Hypothesis draws pools of every shape in tests/data/exactness_v4.toml (fees 0 to 100%,
spacings 1 to 200, native ether, the protocol fee at its cap, a dynamic-fee hook), directions, exact-in
and exact-out amounts from 1 wei to far beyond what the pool holds, and price limits on either side;
amounts, final price, tick and liquidity must all match, and where the PoolManager reverts the model
must refuse too. The pool whose hook returns deltas is shown to be off the math and refused by it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_abi import encode
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from web3.contract import Contract
from web3.logs import DISCARD

from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from arbbot.amm.uniswap_v4.hooks import swap_pricing
from arbbot.amm.uniswap_v4.pool import SimulationOnly, UniswapV4Pool
from arbbot.devnet import artifacts
from arbbot.devnet.compiler import compile_files
from arbbot.devnet.compiler import replica_contracts as compile_replica
from arbbot.devnet.universal_router import v4_exact_in_single
from arbbot.devnet.v4 import MINT_POSITION, PERMIT2_ABI, POOL_KEY, SETTLE_PAIR, pool_key_of
from arbbot.state import lens
from arbbot.state.events import STATE_TOPICS
from arbbot.state.models import v4_model
from arbbot.state.store import PoolStore
from arbbot.state.updater import StateUpdater, block_ref
from tests.integration.amm.conftest import ExactReplica

EXAMPLES = 2000
PROBE_GAS = 1_000_000_000
PROBE_SOURCE = Path(__file__).resolve().parents[3] / "contracts" / "src" / "testing" / "V4SwapProbe.sol"
MATH_POOLS = 8  # v4_pools[0..7] of the scenario are priced by math; [8] has a delta-returning hook
SKIM_POOL = 8


@pytest.fixture(scope="module")
def probe(exact_replica_v4: ExactReplica) -> Contract:
    art = compile_files([PROBE_SOURCE])["V4SwapProbe"]
    w3 = exact_replica_v4.w3
    tx = (
        w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        .constructor(exact_replica_v4.manifest.contracts["PoolManager"])
        .transact({"from": w3.eth.accounts[0]})
    )
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=art.abi)


def _entries(r: ExactReplica) -> list:
    return [p for p in r.manifest.pools if p.kind == "uniswap_v4"]


def _models(r: ExactReplica) -> list[UniswapV4Pool]:
    m = r.manifest
    manager = m.contracts["PoolManager"]
    entries = _entries(r)
    snaps = lens.read_v4(r.rpc, manager, [(p.address, p.tick_spacing) for p in entries])
    out = []
    for p in entries:
        key = pool_key_of(m, p)
        model = v4_model(
            p.address, manager, key.currency0, key.currency1, p.fee, p.tick_spacing, p.hooks, snaps[p.address],
            m.token("WETH").address,
        )  # fmt: skip
        assert model is not None
        out.append(model)
    return out


_MODEL_CACHE: dict[int, list[UniswapV4Pool]] = {}


def _cached_models(r: ExactReplica) -> list[UniswapV4Pool]:
    # Hypothesis runs thousands of examples against one unchanged chain state: read it once.
    if id(r) not in _MODEL_CACHE:
        _MODEL_CACHE[id(r)] = _models(r)
    return _MODEL_CACHE[id(r)]


def _amounts() -> st.SearchStrategy[int]:
    # Log-uniform from 1 wei to 2^100: tiny, typical and far beyond any pool's reserves.
    return st.integers(min_value=0, max_value=100).flatmap(
        lambda e: st.integers(min_value=max(1, 1 << e), max_value=(1 << (e + 1)) - 1)
    )


def _probe(r: ExactReplica, probe: Contract, index: int, zero_for_one: bool, specified: int, limit: int) -> tuple:
    key = pool_key_of(r.manifest, _entries(r)[index])
    return probe.functions.probe(key.as_tuple(), zero_for_one, specified, limit).call({"gas": PROBE_GAS})


def _assert_equal(model: UniswapV4Pool, chain: tuple, zero_for_one: bool, specified: int, limit: int) -> None:
    ok, a0, a1, sqrt_p, tick, liquidity, _reason = chain
    try:
        result = model.swap(zero_for_one, specified, limit)
    except AmmError as exc:
        assert not ok, f"model refused ({exc}) but the PoolManager swapped"
        return
    assert ok, "the PoolManager reverted where the model swapped"
    assert (result.amount0, result.amount1) == (a0, a1)
    assert (result.sqrt_price_x96, result.tick, result.liquidity) == (sqrt_p, tick, liquidity)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool_index=st.integers(min_value=0, max_value=MATH_POOLS - 1),
    zero_for_one=st.booleans(),
    exact_in=st.booleans(),
    amount=_amounts(),
    limit_ticks=st.one_of(st.none(), st.integers(min_value=-50, max_value=3000)),
)
# A fixed regression set: edge cases that must always be checked.
@example(pool_index=0, zero_for_one=True, exact_in=True, amount=1, limit_ticks=None)  # 1 wei
@example(pool_index=0, zero_for_one=False, exact_in=True, amount=2**80, limit_ticks=None)  # drains to MAX
@example(pool_index=3, zero_for_one=False, exact_in=True, amount=2**100, limit_ticks=None)  # far beyond reserves
@example(pool_index=1, zero_for_one=True, exact_in=False, amount=1, limit_ticks=None)  # 1 wei out
@example(pool_index=2, zero_for_one=False, exact_in=False, amount=2**90, limit_ticks=None)  # more than it holds
@example(pool_index=1, zero_for_one=True, exact_in=True, amount=10**30, limit_ticks=7)  # stops at a price limit
@example(pool_index=2, zero_for_one=True, exact_in=True, amount=10**18, limit_ticks=-5)  # limit on the wrong side
@example(pool_index=5, zero_for_one=True, exact_in=True, amount=10**18, limit_ticks=None)  # protocol fee at cap
@example(pool_index=5, zero_for_one=False, exact_in=False, amount=10**6, limit_ticks=None)
@example(pool_index=6, zero_for_one=True, exact_in=True, amount=10**21, limit_ticks=None)  # no LP fee
@example(pool_index=7, zero_for_one=True, exact_in=True, amount=10**8, limit_ticks=None)  # 100% fee: all fee
@example(pool_index=7, zero_for_one=False, exact_in=False, amount=10**4, limit_ticks=None)  # 100% fee, exact out
@example(pool_index=4, zero_for_one=False, exact_in=True, amount=5 * 10**9, limit_ticks=None)  # dynamic fee
@example(pool_index=2, zero_for_one=True, exact_in=True, amount=2**127, limit_ticks=None)  # beyond int128
def test_v4_swaps_equal_the_pool_manager(
    exact_replica_v4: ExactReplica,
    probe: Contract,
    pool_index: int,
    zero_for_one: bool,
    exact_in: bool,
    amount: int,
    limit_ticks: int | None,
) -> None:
    model = _cached_models(exact_replica_v4)[pool_index]
    if limit_ticks is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    else:  # some ticks away in the swap's direction (negative: on the wrong side, which must revert)
        target = model.tick - limit_ticks if zero_for_one else model.tick + limit_ticks
        limit = get_sqrt_ratio_at_tick(max(-887272, min(887272, target)))
    specified = -amount if exact_in else amount
    chain = _probe(exact_replica_v4, probe, pool_index, zero_for_one, specified, limit)
    _assert_equal(model, chain, zero_for_one, specified, limit)


def test_limits_at_the_bounds_and_zero_amounts_revert_in_both(exact_replica_v4: ExactReplica, probe: Contract) -> None:
    model = _cached_models(exact_replica_v4)[0]
    for zero_for_one, limit in ((True, MIN_SQRT_RATIO), (False, MAX_SQRT_RATIO)):
        chain = _probe(exact_replica_v4, probe, 0, zero_for_one, -(10**18), limit)
        assert not chain[0], "the PoolManager refuses a limit at the price bound"
        _assert_equal(model, chain, zero_for_one, -(10**18), limit)
    assert not _probe(exact_replica_v4, probe, 0, True, 0, MIN_SQRT_RATIO + 1)[0]
    with pytest.raises(AmmError, match="SwapAmountCannotBeZero"):
        model.swap(True, 0)


def test_the_delta_returning_hook_is_simulated_not_priced_by_math(
    exact_replica_v4: ExactReplica, probe: Contract
) -> None:
    """What the swapper gets from the skim pool is not the pool math's: the model refuses to quote it."""
    model = _cached_models(exact_replica_v4)[SKIM_POOL]
    assert swap_pricing(model.hooks) == "simulation" and model.pricing == "simulation"
    amount = 10**17
    chain = _probe(exact_replica_v4, probe, SKIM_POOL, True, -amount, MIN_SQRT_RATIO + 1)
    assert chain[0]
    math = model.swap(True, -amount)
    assert chain[1] == math.amount0 == -amount  # the input is the math's
    assert 0 < chain[2] < math.amount1  # the hook kept part of the output the curve gives
    assert chain[2] == math.amount1 - math.amount1 * 5000 // 1_000_000
    with pytest.raises(SimulationOnly):
        model.quote_exact_in(model.token0, amount)
    with pytest.raises(SimulationOnly):
        model.quote_exact_out(model.token0, 10**6)
    for i, m in enumerate(_cached_models(exact_replica_v4)[:MATH_POOLS]):
        assert m.pricing == "math", f"pool {i} should be priced by math"


def test_dynamic_fee_set_by_the_hook_is_read_per_block(fresh_v4_state: ExactReplica, probe: Contract) -> None:
    """The keeper moves the LP fee (no event); the block's fee read brings the model to the new fee."""
    r = fresh_v4_state
    m, w3 = r.manifest, r.w3
    entry = _entries(r)[4]
    model = _models(r)[4]
    assert model.dynamic_fee and model.lp_fee == 2500
    hook = w3.eth.contract(address=entry.hooks, abi=compile_replica()["DynamicFeeHook"].abi)
    store = _store(r, [model])
    start = store.head.number
    receipt = w3.eth.wait_for_transaction_receipt(
        hook.functions.setFee(pool_key_of(m, entry).as_tuple(), 7777).transact({"from": m.deployer})
    )
    block = block_ref(r.rpc, receipt["blockNumber"])
    assert r.rpc.call("eth_getLogs", [{"blockHash": block.hash, "topics": [list(STATE_TOPICS)]}]) == []
    updater = StateUpdater(r.rpc, store)
    changed = updater.catch_up(receipt["blockNumber"])  # nothing announces the new fee: it is read
    assert changed == {entry.address.lower()}
    tracked = store.get(entry.address)
    assert isinstance(tracked, UniswapV4Pool) and tracked.lp_fee == 7777
    for zero_for_one in (True, False):
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        chain = _probe(r, probe, 4, zero_for_one, -(10**16 if zero_for_one else 10**7), limit)
        _assert_equal(tracked, chain, zero_for_one, -(10**16 if zero_for_one else 10**7), limit)
    store.rollback_to(start)
    restored = store.get(entry.address)
    assert isinstance(restored, UniswapV4Pool) and restored.lp_fee == 2500  # a reorg undoes the fee read


def test_state_follows_swaps_and_liquidity_through_the_periphery(fresh_v4_state: ExactReplica) -> None:
    """Real swaps through UniversalRouter (V4_SWAP, native ether and ERC-20 in) and a position minted and
    burned through the PositionManager, applied to a store from their logs: the models stay equal to the
    PoolManager's storage, crossing ticks on the way."""
    r = fresh_v4_state
    m, w3 = r.manifest, r.w3
    trader = w3.eth.accounts[3]
    models = _models(r)
    entries = _entries(r)
    store = _store(r, models)
    router = w3.eth.contract(address=m.contracts["UniversalRouter"], abi=artifacts.load("UniversalRouter").abi)
    permit2 = w3.eth.contract(address=m.contracts["Permit2"], abi=PERMIT2_ABI)
    usdc = w3.eth.contract(address=m.token("USDC").address, abi=compile_replica()["ReplicaToken"].abi)
    usdc.functions.mint(trader, 10**13).transact({"from": m.deployer})
    usdc.functions.approve(permit2.address, 2**256 - 1).transact({"from": trader})
    permit2.functions.approve(usdc.address, router.address, 2**160 - 1, 2**48 - 1).transact({"from": trader})
    crossed = 0
    for index, zero_for_one, amount in ((0, True, 150 * 10**18), (0, False, 400_000 * 10**6), (5, True, 40 * 10**18)):
        key = pool_key_of(m, entries[index])
        predicted = models[index].swap(zero_for_one, -amount)
        crossed += predicted.ticks_crossed
        call = v4_exact_in_single(key, zero_for_one, amount, 0)
        receipt = w3.eth.wait_for_transaction_receipt(
            router.functions.execute(call.commands, call.inputs, 2**63).transact(
                {"from": trader, "value": call.value, "gas": 3_000_000}
            )
        )
        assert receipt["status"] == 1
        _apply_receipt_block(r, store, receipt)
    assert crossed >= 2  # the swaps really crossed initialized ticks
    _assert_store_matches_chain(r, store, [0, 5])
    # A position minted, then partly burned, through the PositionManager.
    entry, model = entries[1], store.get(entries[1].address)
    assert isinstance(model, UniswapV4Pool)
    posm = w3.eth.contract(address=m.contracts["PositionManager"], abi=artifacts.load("PositionManager").abi)
    owner = m.deployer
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    wbtc = w3.eth.contract(address=m.token("WBTC").address, abi=compile_replica()["ReplicaToken"].abi)
    weth.functions.deposit().transact({"from": owner, "value": 100 * 10**18})
    wbtc.functions.mint(owner, 10**10).transact({"from": owner})
    for token in (weth, wbtc):
        token.functions.approve(permit2.address, 2**256 - 1).transact({"from": owner})
        permit2.functions.approve(token.address, posm.address, 2**160 - 1, 2**48 - 1).transact({"from": owner})
    lower = (model.tick // 60 - 7) * 60
    upper = (model.tick // 60 + 16) * 60

    key = pool_key_of(m, entry).as_tuple()
    mint = encode(
        [POOL_KEY, "int24", "int24", "uint256", "uint128", "uint128", "address", "bytes"],
        [key, lower, upper, 10**15, 2**127, 2**127, owner, b""],
    )
    data = encode(
        ["bytes", "bytes[]"], [bytes([MINT_POSITION, SETTLE_PAIR]), [mint, encode(["address", "address"], key[:2])]]
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        posm.functions.modifyLiquidities(data, 2**63).transact({"from": owner})
    )
    assert receipt["status"] == 1
    _apply_receipt_block(r, store, receipt)
    token_id = posm.functions.nextTokenId().call() - 1
    decrease = encode(["uint256", "uint256", "uint128", "uint128", "bytes"], [token_id, 4 * 10**14, 0, 0, b""])
    take = encode(["address", "address", "address"], [key[0], key[1], owner])
    data = encode(["bytes", "bytes[]"], [bytes([0x01, 0x11]), [decrease, take]])  # DECREASE_LIQUIDITY, TAKE_PAIR
    receipt = w3.eth.wait_for_transaction_receipt(
        posm.functions.modifyLiquidities(data, 2**63).transact({"from": owner})
    )
    assert receipt["status"] == 1
    events = [lg for lg in receipt["logs"] if lg["topics"][0].hex().endswith(STATE_TOPICS[6][2:])]
    assert events, "the burn emitted ModifyLiquidity"
    _apply_receipt_block(r, store, receipt)
    _assert_store_matches_chain(r, store, [1])


def _apply_receipt_block(r: ExactReplica, store: PoolStore, receipt: dict) -> None:
    """The store follows the chain up to the receipt's block the way the searcher does (logs by block hash)."""
    StateUpdater(r.rpc, store).catch_up(receipt["blockNumber"])


def _store(r: ExactReplica, models: list) -> PoolStore:
    head = block_ref(r.rpc, "latest")
    return PoolStore(models, head)


def _assert_store_matches_chain(r: ExactReplica, store: PoolStore, indexes: list[int]) -> None:
    fresh = _models(r)
    for i in indexes:
        tracked = store.get(fresh[i].address)
        assert isinstance(tracked, UniswapV4Pool)
        assert (tracked.sqrt_price_x96, tracked.tick, tracked.liquidity) == (
            fresh[i].sqrt_price_x96, fresh[i].tick, fresh[i].liquidity,
        )  # fmt: skip
        assert tracked.bitmap == fresh[i].bitmap
        assert {t: (x.liquidity_gross, x.liquidity_net) for t, x in tracked.ticks.items()} == {
            t: (x.liquidity_gross, x.liquidity_net) for t, x in fresh[i].ticks.items()
        }


def test_protocol_fee_update_is_followed_from_its_event(fresh_v4_state: ExactReplica, probe: Contract) -> None:
    r = fresh_v4_state
    m, w3 = r.manifest, r.w3
    entry, model = _entries(r)[1], _models(r)[1]
    pm = w3.eth.contract(address=m.contracts["PoolManager"], abi=artifacts.load("PoolManager").abi)
    store = _store(r, [model])
    owner = {"from": m.deployer}
    w3.eth.wait_for_transaction_receipt(pm.functions.setProtocolFeeController(m.deployer).transact(owner))
    receipt = w3.eth.wait_for_transaction_receipt(
        pm.functions.setProtocolFee(pool_key_of(m, entry).as_tuple(), 250 | (900 << 12)).transact(owner)
    )
    assert pm.events.ProtocolFeeUpdated().process_receipt(receipt, errors=DISCARD)
    _apply_receipt_block(r, store, receipt)
    tracked = store.get(entry.address)
    assert isinstance(tracked, UniswapV4Pool) and tracked.protocol_fee == 250 | (900 << 12)
    for zero_for_one in (True, False):
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        for specified in (-(10**18), 10**6):
            _assert_equal(tracked, _probe(r, probe, 1, zero_for_one, specified, limit), zero_for_one, specified, limit)
