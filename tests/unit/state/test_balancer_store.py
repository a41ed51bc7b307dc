"""The store's bookkeeping of Balancer pools, without a node: logs built with the real ABI encoder move the one shared
model of a pool, report every pair view as changed, are taken only from the pool's own Vault (or, for its fee and
pause, from the pool contract), are saved once per block for undo, and a malformed one drops every view of the pool
until a rollback (or a re-sync) brings them back over one shared model. The balances a run of events leaves are
checked against plain integer arithmetic written here."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm.balancer_pair import BalancerPairView, pair_views
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.chain import pool_events as pe
from arbbot.state.store import BlockRef, PoolStore

VAULT = "0x" + "ba" * 20
POOL = "0x" + "0c" * 20
OTHER = "0x" + "0d" * 20
POOL_ID = "0x" + "0c" * 20 + "0001" + "00" * 9 + "05"
TOKENS = ("0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20)
START = [10**21, 5 * 10**20, 10**12]


def _model() -> BalancerWeightedPool:
    return BalancerWeightedPool(POOL, POOL_ID, VAULT, TOKENS, list(START), (4 * 10**17, 3 * 10**17, 3 * 10**17),
                                (10**18, 10**18, 10**30), 3 * 10**15)  # fmt: skip


def _store() -> tuple[PoolStore, BalancerWeightedPool]:
    model = _model()
    return PoolStore(pair_views(model), BlockRef(10, hex(10), hex(9))), model


def _block(n: int) -> BlockRef:
    return BlockRef(n, hex(n), hex(n - 1))


def _t(address: str) -> str:
    return "0x" + encode(["address"], [address]).hex()


def swap(i: int, j: int, amount_in: int, amount_out: int, emitter: str = VAULT, pool_id: str = POOL_ID) -> dict:
    return {"address": emitter, "topics": [pe.BalancerSwap.TOPIC, pool_id, _t(TOKENS[i]), _t(TOKENS[j])],
            "data": "0x" + encode(["uint256", "uint256"], [amount_in, amount_out]).hex()}  # fmt: skip


def balance_changed(deltas: list[int], fees: list[int], tokens: tuple[str, ...] = TOKENS) -> dict:
    data = encode(["address[]", "int256[]", "uint256[]"], [list(tokens), deltas, fees])
    return {"address": VAULT, "topics": [pe.BalancerPoolBalanceChanged.TOPIC, POOL_ID, _t(OTHER)],
            "data": "0x" + data.hex()}  # fmt: skip


def managed(k: int, cash: int, managed_delta: int) -> dict:
    return {"address": VAULT, "topics": [pe.BalancerPoolBalanceManaged.TOPIC, POOL_ID, _t(OTHER), _t(TOKENS[k])],
            "data": "0x" + encode(["int256", "int256"], [cash, managed_delta]).hex()}  # fmt: skip


def fee(value: int, emitter: str = POOL) -> dict:
    return {"address": emitter, "topics": [pe.BalancerSwapFeeChanged.TOPIC],
            "data": "0x" + encode(["uint256"], [value]).hex()}  # fmt: skip


def paused(flag: bool, emitter: str = POOL) -> dict:
    return {"address": emitter, "topics": [pe.BalancerPausedStateChanged.TOPIC],
            "data": "0x" + encode(["bool"], [flag]).hex()}  # fmt: skip


KEYS = {f"{POOL_ID}#0-1", f"{POOL_ID}#0-2", f"{POOL_ID}#1-2"}


def _shared(store: PoolStore) -> BalancerWeightedPool:
    views = [store.pools[k] for k in KEYS]
    assert all(isinstance(v, BalancerPairView) for v in views)
    models = {id(v.underlying) for v in views if isinstance(v, BalancerPairView)}
    assert len(models) == 1
    model = store.balancer_model(POOL_ID)
    assert isinstance(model, BalancerWeightedPool)
    return model


def test_each_event_moves_the_one_model_and_reports_every_view() -> None:
    store, model = _store()
    assert set(store.pools) == KEYS
    changed = store.apply_block(_block(11), [swap(0, 2, 1000, 7)])
    assert changed == KEYS and model.balances == [START[0] + 1000, START[1], START[2] - 7]
    # A join pays 30 of its 100 in protocol fees out of the pool; an exit of 50 pays 4 more out on top.
    assert store.apply_block(_block(12), [balance_changed([100, 0, 9], [30, 0, 0])]) == KEYS
    assert model.balances == [START[0] + 1070, START[1], START[2] + 2]
    store.apply_block(_block(13), [balance_changed([-50, -1, 0], [4, 0, 0])])
    assert model.balances == [START[0] + 1016, START[1] - 1, START[2] + 2]
    store.apply_block(_block(14), [managed(1, -(10**20), 10**20), managed(1, 0, -3)])  # cash -> managed, then a loss
    assert model.balances == [START[0] + 1016, START[1] - 4, START[2] + 2]
    store.apply_block(_block(15), [fee(10**17), paused(True)])
    assert (model.swap_fee, model.paused) == (10**17, True)
    assert _shared(store) is model


def test_only_the_vault_and_the_pool_speak_for_it() -> None:
    store, model = _store()
    before = model.to_dict()
    logs = [swap(0, 1, 10, 10, emitter=OTHER), fee(10**16, emitter=VAULT), fee(10**16, emitter=OTHER),
            paused(True, emitter=OTHER), {**balance_changed([1, 1, 1], [0, 0, 0]), "address": POOL},
            swap(0, 1, 10, 10, pool_id="0x" + "ee" * 32), {**swap(0, 1, 10, 10), "removed": True}]  # fmt: skip
    assert store.apply_block(_block(11), logs) == set()
    assert model.to_dict() == before and store.skipped_logs == 0


def test_balancer_shaped_logs_at_another_pool_change_nothing() -> None:
    pair = UniswapV2Pool("0x" + "77" * 20, TOKENS[0], TOKENS[1], 100, 200)
    model = _model()
    store = PoolStore([pair, *pair_views(model)], BlockRef(10, hex(10), hex(9)))
    assert (
        store.apply_block(_block(11), [paused(True, emitter=pair.address), fee(10**16, emitter=pair.address)]) == set()
    )
    assert store.get(pair.address) is pair and (pair.reserve0, pair.reserve1) == (100, 200)


@pytest.mark.parametrize(
    "bad",
    [
        {**swap(0, 1, 1, 1), "data": "0x" + "00" * 32},  # a Swap with one data word
        swap(0, 1, 1, START[1] + 1),  # more out than the pool holds
        swap(1, 1, 1, 1),  # one token on both sides
        balance_changed([1, 2], [0, 0], TOKENS[:2]),  # not the pool's tokens
        balance_changed([1, 2, 3], [0, 0, 0], (TOKENS[1], TOKENS[0], TOKENS[2])),  # not in the Vault's order
        balance_changed([-START[0] - 10**6, 0, 0], [0, 0, 0]),  # below zero
        balance_changed([2**112, 0, 0], [0, 0, 0]),  # past the Vault's 112 bits
        managed(2, 0, -START[2] - 1),
        fee(10**17 + 1),  # above the pool's maximum
        fee(10**12 - 1),
        {"address": VAULT, "topics": [pe.BalancerTokensRegistered.TOPIC, POOL_ID],
         "data": "0x" + encode(["address[]", "address[]"], [[OTHER], [OTHER]]).hex()},
        {"address": VAULT, "topics": [pe.BalancerTokensDeregistered.TOPIC, POOL_ID],
         "data": "0x" + encode(["address[]"], [[TOKENS[0]]]).hex()},
        {**paused(True), "data": "0x" + "00" * 31 + "02"},
    ],
)  # fmt: skip
def test_an_unreadable_event_drops_every_view_and_a_rollback_restores_them(bad: dict[str, Any]) -> None:
    store, model = _store()
    store.apply_block(_block(11), [swap(0, 1, 500, 200)])
    after_11 = model.to_dict()
    changed = store.apply_block(_block(12), [swap(0, 1, 5, 2), bad, swap(0, 1, 5, 2)])
    assert changed == KEYS  # the first swap changed it; then the pool went
    assert not KEYS & set(store.pools) and store.balancer_model(POOL_ID) is None and store.skipped_logs == 1
    assert store.apply_block(_block(13), [swap(0, 1, 5, 2)]) == set()  # gone until re-synced
    assert store.rollback_to(11) == KEYS
    assert _shared(store).to_dict() == after_11
    assert store.rollback_to(10) == KEYS
    assert _shared(store).to_dict() == _model().to_dict()


def test_undo_keeps_the_state_before_the_block_once_per_pool() -> None:
    store, model = _store()
    store.apply_block(_block(11), [swap(0, 1, 100, 40), fee(10**16), swap(1, 0, 40, 90), paused(True)])
    store.apply_block(_block(12), [swap(0, 2, 7, 1)])
    assert store.rollback_to(10) == KEYS
    restored = _shared(store)
    assert restored.to_dict() == _model().to_dict() and restored is not model


def test_a_lapsed_pause_read_at_the_block_end_is_applied_and_undone() -> None:
    store, model = _store()
    store.apply_block(_block(11), [paused(True)])
    assert store.paused_balancer_pools() == {POOL_ID: POOL}
    assert store.apply_block(_block(12), [], balancer_paused={POOL_ID: True}) == set()  # no change, no report
    assert store.apply_block(_block(13), [], balancer_paused={POOL_ID: False}) == KEYS
    assert not model.paused and store.paused_balancer_pools() == {}
    store.rollback_to(12)
    assert _shared(store).paused


def test_views_of_one_pool_must_share_one_model() -> None:
    store, _ = _store()
    with pytest.raises(ValueError, match="share one model"):
        store.add(BalancerPairView(_model(), 0, 1))
    fresh = _model()
    store2 = PoolStore([], BlockRef(10, hex(10), hex(9)))
    for view in pair_views(fresh):
        store2.add(view)
    assert store2.balancer_model(POOL_ID) is fresh and set(store2.pools) == KEYS


_events = st.one_of(
    st.tuples(st.just("swap"), st.sampled_from([(0, 1), (1, 0), (0, 2), (2, 1)]), st.integers(0, 10**20),
              st.integers(0, 10**11)),
    st.tuples(st.just("join"), st.lists(st.integers(0, 10**20), min_size=3, max_size=3),
              st.lists(st.integers(0, 10**9), min_size=3, max_size=3)),
    st.tuples(st.just("exit"), st.lists(st.integers(0, 10**11), min_size=3, max_size=3),
              st.lists(st.integers(0, 10**9), min_size=3, max_size=3)),
    st.tuples(st.just("managed"), st.integers(0, 2), st.integers(-(10**11), 10**11), st.integers(-(10**11), 10**11)),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(blocks=st.lists(st.lists(_events, min_size=1, max_size=4), min_size=1, max_size=5), back=st.integers(0, 5))
def test_runs_of_events_equal_plain_arithmetic_and_roll_back(blocks: list[list[Any]], back: int) -> None:
    store, _ = _store()
    expected = [list(START)]
    for n, events in enumerate(blocks, start=11):
        balances = list(expected[-1])
        logs = []
        for ev in events:
            if ev[0] == "swap":
                (i, j), amount_in, amount_out = ev[1], ev[2], ev[3]
                amount_out = min(amount_out, balances[j])
                balances[i] += amount_in
                balances[j] -= amount_out
                logs.append(swap(i, j, amount_in, amount_out))
            elif ev[0] in ("join", "exit"):
                sign = 1 if ev[0] == "join" else -1
                amounts = [min(a, b) if sign < 0 else a for a, b in zip(ev[1], balances, strict=True)]
                fees = [min(f, b + sign * a) for f, a, b in zip(ev[2], amounts, balances, strict=True)]
                balances = [b + sign * a - f for b, a, f in zip(balances, amounts, fees, strict=True)]
                logs.append(balance_changed([sign * a for a in amounts], fees))
            else:
                k, cash, managed_delta = ev[1], ev[2], ev[3]
                if balances[k] + cash + managed_delta < 0:
                    cash = -balances[k] - managed_delta
                balances[k] += cash + managed_delta
                logs.append(managed(k, cash, managed_delta))
        assert store.apply_block(_block(n), logs) == KEYS
        assert _shared(store).balances == balances
        expected.append(balances)
    target = max(10, 10 + len(blocks) - back)
    store.rollback_to(target)
    assert _shared(store).balances == expected[target - 10]
