"""Balancer V2 pools in the state, on the replica's real Vault and WeightedPool (v3 factory) contracts.

Discovery trusts only the configured factory; batch sync reads every pool; the store, fed each block's logs, stays
equal field by field to a fresh sync of every pool after random runs of `Vault.swap` (both kinds), multi-hop
`batchSwap`, joins, exits (proportional and single-token), swap-fee changes by the pool owner and pause / unpause
through the Authorizer; reorgs are rolled back and replayed; logs from anyone but the Vault or the pool change
nothing; a malformed log at the Vault's own address drops every view of the pool until a re-sync. An asset
manager's `PoolBalanceManaged` is booked as the Vault books it (a pool the test registers in the Vault itself).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbbot.amm.balancer_pair import BalancerPairView, pair_views, underlying_id
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.chain import pool_events as pe
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet.manifest import BalancerPoolEntry
from arbbot.state.discovery import DiscoveredPool, scan_balancer
from arbbot.state.store import PoolStore
from arbbot.state.sync import sync_pools
from arbbot.state.updater import StateUpdater, block_ref
from tests.conftest import Replica
from tests.integration.state.log_emitter import emitter_code, selector

DEADLINE = 2**63
GIVEN_IN, GIVEN_OUT = 0, 1
INT256_MAX = 2**255 - 1
UINT256_MAX = 2**256 - 1
GAS = 3_000_000
EMITTER = "0x00000000000000000000000000000000000e1171"  # code set by the test: emits the log its calldata describes


@dataclass
class Bal:
    """The replica's Balancer pools and an actor (the deployer: owner of the pools, Authorizer admin and minter of
    every replica token) holding plenty of each token, approved to the Vault."""

    r: Replica
    rpc: RpcClient
    vault: str
    authorizer: str
    actor: str
    discovered: list[DiscoveredPool]

    batching: bool = False  # inside `block`: transactions wait for its one evm_mine

    def send(self, to: str, signature: str, types: list[str], args: list[Any], value: int = 0,
             sender: str | None = None, gas: int = GAS) -> None:  # fmt: skip
        self.send_raw(to, selector(signature) + encode(types, args), value, sender, gas)

    def send_raw(self, to: str, data: bytes, value: int = 0, sender: str | None = None, gas: int = GAS) -> None:
        """Send a transaction; outside `block`, mine it at once (evm_mine returns once the block exists: automine
        does not promise that by the time eth_sendTransaction answers)."""
        tx = {"from": sender or self.actor, "to": to, "data": "0x" + data.hex(), "gas": hex(gas), "value": hex(value)}
        self.rpc.call("eth_sendTransaction", [tx])
        if not self.batching:
            raw_rpc(self.r.url, "evm_mine")

    def call(self, to: str, signature: str, types: list[str], args: list[Any], out: list[str]) -> Any:
        from eth_abi import decode

        data = "0x" + (selector(signature) + encode(types, args)).hex()
        raw = self.rpc.call("eth_call", [{"to": to, "data": data}, "latest"])
        return decode(out, bytes.fromhex(raw[2:]))

    def pool_tokens(self, pool_id: str) -> tuple[list[str], list[int]]:
        tokens, balances, _ = self.call(
            self.vault, "getPoolTokens(bytes32)", ["bytes32"], [bytes.fromhex(pool_id[2:])],
            ["address[]", "uint256[]", "uint256"],
        )  # fmt: skip
        return [to_checksum_address(t) for t in tokens], list(balances)

    def block(self, actions: list[Any]) -> None:
        """The actions in one block (automine off, mined together)."""
        self.batching = True
        try:
            for action in actions:
                action()
        finally:
            self.batching = False
        raw_rpc(self.r.url, "evm_mine")


def _weighted(r: Replica) -> list[BalancerPoolEntry]:
    """The replica's weighted pools (this file's subject; composable stable pools have their own,
    test_balancer_stable_state.py)."""
    return [p for p in r.manifest.balancer_pools if p.kind == "balancer_weighted"]


def _discover(r: Replica, rpc: RpcClient) -> list[DiscoveredPool]:
    vault = r.manifest.contracts["BalancerVault"]
    factories = {p.factory: p.kind for p in _weighted(r)}
    return [p for _, found in scan_balancer(rpc, vault, factories, 0, rpc.block_number()) for p in found]


@pytest.fixture
def bal(replica: Replica) -> Iterator[Bal]:
    raw_rpc(replica.url, "evm_setAutomine", [False])
    # Blocks one second apart from the replica's genesis time (not the wall clock), so the pools' pause window, which
    # their factory opened at build time, is still open.
    raw_rpc(replica.url, "anvil_setBlockTimestampInterval", [1])
    try:
        yield _bal(replica)
    finally:
        raw_rpc(replica.url, "anvil_removeBlockTimestampInterval")
        raw_rpc(replica.url, "evm_setAutomine", [True])


def _bal(replica: Replica) -> Bal:
    rpc = RpcClient(replica.url)
    m = replica.manifest
    b = Bal(replica, rpc, m.contracts["BalancerVault"], m.contracts["BalancerAuthorizer"], m.deployer,
            _discover(replica, rpc))  # fmt: skip
    raw_rpc(replica.url, "anvil_setBalance", [b.actor, hex(10**30)])
    for t in m.tokens:
        if t.symbol == "WETH":
            b.send(t.address, "deposit()", [], [], value=10**28)
        else:
            b.send(t.address, "mint(address,uint256)", ["address", "uint256"], [b.actor, 10**40])
        b.send(t.address, "approve(address,uint256)", ["address", "uint256"], [b.vault, UINT256_MAX])
    # The actor may pause and unpause every pool (the Authorizer's admin grants itself the pools' roles).
    for p in b.discovered:
        for fn in ("pause()", "unpause()"):
            (role,) = b.call(p.contract, "getActionId(bytes4)", ["bytes4"], [selector(fn)], ["bytes32"])
            b.send(b.authorizer, "grantRole(bytes32,address)", ["bytes32", "address"], [role, b.actor])
    return b


def _store(b: Bal, max_undo: int = 64) -> tuple[PoolStore, StateUpdater]:
    head = b.rpc.block_number()
    models, failed = sync_pools(b.rpc, b.discovered, head)
    assert failed == []
    store = PoolStore(models, block_ref(b.rpc, head), max_undo=max_undo)
    return store, StateUpdater(b.rpc, store)


def _models(views: list[Any]) -> dict[str, dict[str, Any]]:
    """Each Balancer pool's model snapshot, by pool id, from its views."""
    return {v.pool_id: v.underlying.to_dict() for v in views if isinstance(v, BalancerPairView)}


def _assert_equals_fresh_sync(b: Bal, store: PoolStore) -> None:
    """Every pool's model equals a fresh batch sync at the store's head, field by field, and every pair of the pool
    is tracked as a view over that one model."""
    assert store.head.hash == block_ref(b.rpc, store.head.number).hash
    fresh, failed = sync_pools(b.rpc, b.discovered, store.head.number)
    assert failed == []
    by_pool: dict[str, list[BalancerPairView]] = {}
    for view in fresh:
        assert isinstance(view, BalancerPairView)
        by_pool.setdefault(view.pool_id, []).append(view)
    assert len(by_pool) == len(b.discovered)
    for pool_id, views in by_pool.items():
        model = store.balancer_model(pool_id)
        assert model is not None, pool_id
        assert model.to_dict() == views[0].underlying.to_dict(), pool_id
        tracked = [store.pools[v.address] for v in views]
        assert all(isinstance(v, BalancerPairView) and v.underlying is model for v in tracked), pool_id
        # And the chain's own balances, not only the sync's reading of them.
        assert model.balances == b.pool_tokens(pool_id)[1]  # type: ignore[attr-defined]


# --- what a block can hold ---------------------------------------------------------------------------------------


def _swap(b: Bal, p: DiscoveredPool, i: int, j: int, kind: int, permille: int) -> None:
    _, balances = b.pool_tokens(p.address)
    amount = max(1, (balances[i] if kind == GIVEN_IN else balances[j]) * permille // 1000)
    single = (bytes.fromhex(p.address[2:]), kind, p.tokens[i], p.tokens[j], amount, b"")
    funds = (b.actor, False, b.actor, False)
    limit = 0 if kind == GIVEN_IN else UINT256_MAX
    b.send(b.vault, "swap((bytes32,uint8,address,address,uint256,bytes),(address,bool,address,bool),uint256,uint256)",
           ["(bytes32,uint8,address,address,uint256,bytes)", "(address,bool,address,bool)", "uint256", "uint256"],
           [single, funds, limit, DEADLINE])  # fmt: skip


def _batch_swap(b: Bal, permille: int) -> None:
    """A multi-hop GIVEN_IN batchSwap through every pool: token 0 of pool A -> a token it shares with pool B -> on."""
    a, c = b.discovered[0], b.discovered[1]
    shared = next(t for t in a.tokens if t in c.tokens)
    start = next(t for t in a.tokens if t != shared)
    end = next(t for t in c.tokens if t != shared)
    _, balances = b.pool_tokens(a.address)
    amount = max(1, balances[a.tokens.index(start)] * permille // 1000)
    assets = [start, shared, end]
    steps = [(bytes.fromhex(a.address[2:]), 0, 1, amount, b""), (bytes.fromhex(c.address[2:]), 1, 2, 0, b"")]
    b.send(b.vault,
           "batchSwap(uint8,(bytes32,uint256,uint256,uint256,bytes)[],address[],(address,bool,address,bool),"
           "int256[],uint256)",
           ["uint8", "(bytes32,uint256,uint256,uint256,bytes)[]", "address[]", "(address,bool,address,bool)",
            "int256[]", "uint256"],
           [GIVEN_IN, steps, assets, (b.actor, False, b.actor, False), [INT256_MAX] * 3, DEADLINE])  # fmt: skip


def _join(b: Bal, p: DiscoveredPool, permilles: list[int]) -> None:
    _, balances = b.pool_tokens(p.address)
    amounts = [bal * pm // 1000 for bal, pm in zip(balances, permilles, strict=False)]
    user = encode(["uint256", "uint256[]", "uint256"], [1, amounts, 0])  # EXACT_TOKENS_IN_FOR_BPT_OUT
    request = (list(p.tokens), [UINT256_MAX] * len(p.tokens), user, False)
    b.send(b.vault, "joinPool(bytes32,address,address,(address[],uint256[],bytes,bool))",
           ["bytes32", "address", "address", "(address[],uint256[],bytes,bool)"],
           [bytes.fromhex(p.address[2:]), b.actor, b.actor, request])  # fmt: skip


def _exit(b: Bal, p: DiscoveredPool, permille: int, single: int | None) -> None:
    (bpt,) = b.call(p.contract, "balanceOf(address)", ["address"], [b.actor], ["uint256"])
    amount = max(1, bpt * permille // 1000)
    if single is None:
        user = encode(["uint256", "uint256"], [1, amount])  # EXACT_BPT_IN_FOR_TOKENS_OUT
    else:
        user = encode(["uint256", "uint256", "uint256"], [0, amount, single])  # EXACT_BPT_IN_FOR_ONE_TOKEN_OUT
    request = (list(p.tokens), [0] * len(p.tokens), user, False)
    b.send(b.vault, "exitPool(bytes32,address,address,(address[],uint256[],bytes,bool))",
           ["bytes32", "address", "address", "(address[],uint256[],bytes,bool)"],
           [bytes.fromhex(p.address[2:]), b.actor, b.actor, request])  # fmt: skip


def _set_fee(b: Bal, p: DiscoveredPool, fee: int) -> None:
    b.send(p.contract, "setSwapFeePercentage(uint256)", ["uint256"], [fee])


def _pause(b: Bal, p: DiscoveredPool, paused: bool) -> None:
    b.send(p.contract, "pause()" if paused else "unpause()", [], [])


def _action(b: Bal, rng: random.Random) -> Any:
    """One random action on a random pool (some may revert: a paused pool, a too-large trade; they move nothing)."""
    p = rng.choice(b.discovered)
    n = len(p.tokens)
    i, j = rng.sample(range(n), 2)
    roll = rng.randrange(100)
    if roll < 35:
        kind, permille = rng.choice([GIVEN_IN, GIVEN_OUT]), rng.choice([1, 7, 50, 150, 280])
        return lambda: _swap(b, p, i, j, kind, permille)
    if roll < 45:
        permille = rng.choice([1, 20, 90])
        return lambda: _batch_swap(b, permille)
    if roll < 60:
        permilles = [rng.choice([0, 1, 10, 100]) for _ in range(n)]
        permilles[i] = max(permilles[i], 1)
        return lambda: _join(b, p, permilles)
    if roll < 75:
        permille, single = rng.choice([1, 10, 100]), rng.choice([None, i])
        return lambda: _exit(b, p, permille, single)
    if roll < 90:
        fee = rng.choice([10**12, 10**15, 3 * 10**15, 10**17, rng.randrange(10**12, 10**17 + 1)])
        return lambda: _set_fee(b, p, fee)
    paused = rng.random() < 0.5
    return lambda: _pause(b, p, paused)


def _balancer_logs(b: Bal, first: int, last: int) -> list[str]:
    logs = b.rpc.call("eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(last)}])
    names = {pe.BalancerSwap.TOPIC: "swap", pe.BalancerPoolBalanceChanged.TOPIC: "balance",
             pe.BalancerSwapFeeChanged.TOPIC: "fee", pe.BalancerPausedStateChanged.TOPIC: "pause"}  # fmt: skip
    return [names[e["topics"][0]] for e in logs if e["topics"] and e["topics"][0] in names]


# --- tests ---------------------------------------------------------------------------------------------------------


def test_discovery_trusts_the_configured_factory_only(bal: Bal) -> None:
    m = bal.r.manifest
    assert sorted(p.address for p in bal.discovered) == sorted(p.pool_id for p in _weighted(bal.r))
    for p in bal.discovered:
        entry = next(e for e in _weighted(bal.r) if e.pool_id == p.address)
        assert p.contract == entry.address and p.factory == entry.factory and p.vault == bal.vault
        assert list(p.tokens) == [m.token(s).address for s in entry.tokens]
    # Anyone may register a pool in the Vault (here an account of the node, with real tokens) and announce it with
    # a factory-shaped PoolCreated from its own contract: neither makes it a discovered pool.
    stranger = bal.r.w3.eth.accounts[9]
    bal.send(bal.vault, "registerPool(uint8)", ["uint8"], [0], sender=stranger)
    raw = [t.address for t in m.tokens[:2]]
    registered = bal.rpc.call("eth_getLogs", [{"address": bal.vault, "topics": [pe.BalancerPoolRegistered.TOPIC],
                                               "fromBlock": "latest"}])  # fmt: skip
    pool_id = registered[-1]["topics"][1]
    tokens = sorted(raw, key=lambda a: int(a, 16))
    bal.send(bal.vault, "registerTokens(bytes32,address[],address[])", ["bytes32", "address[]", "address[]"],
             [bytes.fromhex(pool_id[2:]), tokens, ["0x" + "00" * 20] * 2], sender=stranger)  # fmt: skip
    raw_rpc(bal.r.url, "anvil_setCode", [EMITTER, emitter_code(2)])
    topic = "0x" + keccak(text="PoolCreated(address)").hex()
    bal.send_raw(EMITTER, bytes.fromhex(topic[2:]) + encode(["address"], [stranger]) + b"\0" * 64)
    again = _discover(bal.r, bal.rpc)
    assert sorted(p.address for p in again) == sorted(p.address for p in bal.discovered)
    # With the stranger's "factory" configured, its registration is found: the filter above is the factory.
    factories = {EMITTER: "balancer_weighted", **{p.factory: p.kind for p in _weighted(bal.r)}}
    trusted = [p for _, f in scan_balancer(bal.rpc, bal.vault, factories, 0, bal.rpc.block_number()) for p in f]
    assert pool_id in {p.address for p in trusted}


def test_batch_sync_reads_every_pool_as_pair_views_over_one_model(bal: Bal) -> None:
    head = bal.rpc.block_number()
    views, failed = sync_pools(bal.rpc, bal.discovered, head)
    assert failed == []
    n_pairs = sum(len(p.tokens) * (len(p.tokens) - 1) // 2 for p in bal.discovered)
    assert len(views) == n_pairs
    for entry in _weighted(bal.r):
        mine = [v for v in views if isinstance(v, BalancerPairView) and v.pool_id == entry.pool_id]
        assert {id(v.underlying) for v in mine} == {id(mine[0].underlying)}
        model = mine[0].underlying
        assert isinstance(model, BalancerWeightedPool)
        assert list(model.weights) == entry.weights and model.swap_fee == entry.swap_fee
        assert model.balances == bal.pool_tokens(entry.pool_id)[1] and not model.paused
        assert {underlying_id(v.address) for v in mine} == {entry.pool_id.lower()}


def test_inconsistent_answers_drop_the_pool_with_a_reason(bal: Bal) -> None:
    from arbbot.state import balancer

    p = bal.discovered[0]
    head = hex(bal.rpc.block_number())
    wrong_tokens = balancer.PoolToRead(p.kind, p.address, p.contract, p.vault, tuple(reversed(p.tokens)))
    other_vault = balancer.PoolToRead(p.kind, p.address, p.contract, p.contract, p.tokens)
    not_a_pool = balancer.PoolToRead(p.kind, p.address, bal.vault, p.vault, p.tokens)
    unknown = balancer.PoolToRead("balancer_unknown", p.address, p.contract, p.vault, p.tokens)
    for bad, why in ((wrong_tokens, "registered"), (other_vault, "getPoolTokens"), (not_a_pool, "failed"),
                     (unknown, "no reader")):  # fmt: skip
        models, failed = balancer.read_pools(bal.rpc, [bad], head)
        assert models == {} and why in failed[p.address], failed


def test_random_activity_keeps_every_pool_equal_to_a_fresh_sync(bal: Bal) -> None:
    """A fixed run that must exercise every event kind, block by block."""
    store, updater = _store(bal)
    rng = random.Random(20)
    first = store.head.number + 1
    for _ in range(14):
        bal.block([_action(bal, rng) for _ in range(rng.randint(1, 4))])
        changed = updater.catch_up()
        _assert_equals_fresh_sync(bal, store)
        for key in changed:  # a Balancer event reports every pair of its pool
            pool_id = underlying_id(key)
            assert {k for k in store.pools if underlying_id(k) == pool_id} <= changed
    seen = set(_balancer_logs(bal, first, store.head.number))
    assert seen == {"swap", "balance", "fee", "pause"}, seen


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), blocks=st.integers(1, 5))
def test_hypothesis_runs_keep_the_store_exact(bal: Bal, seed: int, blocks: int) -> None:
    snap = raw_rpc(bal.r.url, "evm_snapshot")
    try:
        store, updater = _store(bal)
        rng = random.Random(seed)
        for _ in range(blocks):
            bal.block([_action(bal, rng) for _ in range(rng.randint(1, 3))])
        updater.catch_up()
        _assert_equals_fresh_sync(bal, store)
    finally:
        raw_rpc(bal.r.url, "evm_revert", [snap])


@pytest.mark.parametrize("depth", [1, 3])
def test_a_reorg_is_rolled_back_and_replayed(bal: Bal, depth: int) -> None:
    store, updater = _store(bal)
    fork_point = raw_rpc(bal.r.url, "evm_snapshot")
    rng = random.Random(depth)
    for _ in range(depth):  # the branch that will be abandoned
        bal.block([_action(bal, rng) for _ in range(3)])
    updater.catch_up()
    abandoned = store.head
    before = {pid: m.to_dict() for pid, m in store.balancer_pools().items()}
    raw_rpc(bal.r.url, "evm_revert", [fork_point])
    raw_rpc(bal.r.url, "anvil_setBlockTimestampInterval", [3])
    rng = random.Random(100 + depth)
    for _ in range(depth + 1):  # a longer, different branch
        bal.block([_action(bal, rng) for _ in range(3)])
    raw_rpc(bal.r.url, "anvil_setBlockTimestampInterval", [1])
    updater.catch_up()
    assert updater.reorgs == [depth] and store.head.hash != abandoned.hash
    _assert_equals_fresh_sync(bal, store)
    assert before != {pid: m.to_dict() for pid, m in store.balancer_pools().items()}


def test_rollback_restores_one_shared_model_per_pool(bal: Bal) -> None:
    store, updater = _store(bal)
    start = store.head.number
    before = {pid: m.to_dict() for pid, m in store.balancer_pools().items()}
    p = bal.discovered[1]
    bal.block([lambda: _swap(bal, p, 0, 1, GIVEN_IN, 50), lambda: _set_fee(bal, p, 10**16)])
    bal.block([lambda: _swap(bal, p, 2, 0, GIVEN_OUT, 20), lambda: _pause(bal, p, True)])
    changed = updater.catch_up()
    assert changed == {v.address for v in pair_views(store.balancer_model(p.address))}  # type: ignore[arg-type]
    restored = store.rollback_to(start)
    assert restored == changed
    assert {pid: m.to_dict() for pid, m in store.balancer_pools().items()} == before
    views = [store.pools[k] for k in restored]
    assert len({id(v.underlying) for v in views if isinstance(v, BalancerPairView)}) == 1


def test_logs_from_others_change_nothing(bal: Bal) -> None:
    store, updater = _store(bal)
    p = bal.discovered[0]
    before = {pid: m.to_dict() for pid, m in store.balancer_pools().items()}
    pid = bytes.fromhex(p.address[2:])

    def emit(topics: int, words: list[bytes], data: bytes) -> None:
        raw_rpc(bal.r.url, "anvil_setCode", [EMITTER, emitter_code(topics)])
        bal.send_raw(EMITTER, b"".join(words) + b"\0" * (128 - 32 * len(words)) + data)

    token = [bytes.fromhex(t[2:]).rjust(32, b"\0") for t in p.tokens]
    swap = bytes.fromhex(pe.BalancerSwap.TOPIC[2:])
    emit(4, [swap, pid, token[0], token[1]], encode(["uint256", "uint256"], [10**18, 10**18]))
    fee = bytes.fromhex(pe.BalancerSwapFeeChanged.TOPIC[2:])
    emit(1, [fee], encode(["uint256"], [10**16]))
    paused = bytes.fromhex(pe.BalancerPausedStateChanged.TOPIC[2:])
    emit(1, [paused], encode(["uint256"], [1]))
    assert updater.catch_up() == set()
    assert {pid: m.to_dict() for pid, m in store.balancer_pools().items()} == before
    assert store.skipped_logs == 0


def test_a_malformed_vault_log_drops_every_view_until_resynced(bal: Bal) -> None:
    store, updater = _store(bal)
    p = bal.discovered[1]
    keys = {k for k in store.pools if underlying_id(k) == p.address}
    assert len(keys) == 3
    code = bal.rpc.call("eth_getCode", [bal.vault, "latest"])
    raw_rpc(bal.r.url, "anvil_setCode", [bal.vault, emitter_code(4)])
    token = [bytes.fromhex(t[2:]).rjust(32, b"\0") for t in p.tokens]
    words = [bytes.fromhex(pe.BalancerSwap.TOPIC[2:]), bytes.fromhex(p.address[2:]), token[0], token[1]]
    short = b"".join(words) + encode(["uint256"], [5])  # one data word: a Swap carries two
    bal.send_raw(bal.vault, short)
    raw_rpc(bal.r.url, "anvil_setCode", [bal.vault, code])
    updater.catch_up()
    assert not keys & set(store.pools) and store.balancer_model(p.address) is None
    assert store.skipped_logs == 1
    other = bal.discovered[0]
    assert store.balancer_model(other.address) is not None  # the other pool is untouched
    bal.block([lambda: _swap(bal, p, 0, 1, GIVEN_IN, 10)])  # the dropped pool's events are ignored now
    updater.catch_up()
    views, failed = sync_pools(bal.rpc, [p], store.head.number)  # re-sync brings it back
    assert failed == []
    for v in views:
        store.add(v)
    _assert_equals_fresh_sync(bal, store)


def test_asset_manager_updates_are_booked_as_the_vault_books_them(bal: Bal) -> None:
    """`PoolBalanceManaged`: a pool the test registers itself (an account of the node acting as the pool), with an
    asset manager that reports managed gains and losses; the store's model of it follows the Vault's balances."""
    pool_account, manager = bal.r.w3.eth.accounts[8], bal.r.w3.eth.accounts[7]
    bal.send(bal.vault, "registerPool(uint8)", ["uint8"], [0], sender=pool_account)
    logs = bal.rpc.call("eth_getLogs", [{"address": bal.vault, "topics": [pe.BalancerPoolRegistered.TOPIC],
                                         "fromBlock": "latest"}])  # fmt: skip
    pool_id = logs[-1]["topics"][1]
    tokens = sorted((t.address for t in bal.r.manifest.tokens[:2]), key=lambda a: int(a, 16))
    bal.send(bal.vault, "registerTokens(bytes32,address[],address[])", ["bytes32", "address[]", "address[]"],
             [bytes.fromhex(pool_id[2:]), tokens, [manager, manager]], sender=pool_account)  # fmt: skip
    model = BalancerWeightedPool(pool_account, pool_id, bal.vault, tuple(tokens), [0, 0], (5 * 10**17,) * 2,
                                 (10**18,) * 2, 10**15)  # fmt: skip
    store = PoolStore(pair_views(model), block_ref(bal.rpc, bal.rpc.block_number()))
    updater = StateUpdater(bal.rpc, store)
    for k, amount in ((0, 1000), (1, 7 * 10**20), (0, 400), (1, 0), (0, 10**30)):
        op = (2, bytes.fromhex(pool_id[2:]), tokens[k], amount)  # UPDATE: managed balance := amount
        bal.send(bal.vault, "managePoolBalance((uint8,bytes32,address,uint256)[])",
                 ["(uint8,bytes32,address,uint256)[]"], [[op]], sender=manager)  # fmt: skip
        assert updater.catch_up() == {view.address for view in pair_views(model)}
        tracked = store.balancer_model(pool_id)
        assert tracked is not None and tracked.balances == bal.pool_tokens(pool_id)[1]  # type: ignore[attr-defined]
    assert bal.pool_tokens(pool_id)[1] == [10**30, 0]


def test_a_pause_that_lapses_without_an_event_is_seen(bal: Bal) -> None:
    """A pool's pause ends by itself when its buffer period is over: no log says so, the per-block read does."""
    store, updater = _store(bal)
    p = bal.discovered[0]
    _pause(bal, p, True)
    assert updater.catch_up() and list(store.balancer_block_calls()) == [p.address]
    (_, _, buffer_end) = bal.call(p.contract, "getPausedState()", [], [], ["bool", "uint256", "uint256"])
    raw_rpc(bal.r.url, "evm_setNextBlockTimestamp", [buffer_end + 1])
    raw_rpc(bal.r.url, "evm_mine")
    changed = updater.catch_up()
    model = store.balancer_model(p.address)
    assert model is not None and not model.paused and store.balancer_block_calls() == {}
    assert changed == {k for k in store.pools if underlying_id(k) == p.address}
    _assert_equals_fresh_sync(bal, store)
    store.rollback_to(store.head.number - 1)  # and the undo log holds the paused state before it
    assert store.balancer_model(p.address).paused  # type: ignore[union-attr]


LEGACY = (
    Path(__file__).resolve().parents[3] / "node_modules/@balancer-labs/v2-deployments/dist/tasks/20210418-weighted-pool"
)


def test_protocol_fees_paid_on_joins_and_exits_leave_the_pool(bal: Bal) -> None:
    """The Vault pays a join's or an exit's protocol fee out of the pool's balance. The replica's v3 pools pay their
    protocol fees in pool shares (their fee amounts are always zero), so this uses Balancer's first WeightedPool
    (the 2021-04-18 factory, real bytecode from `@balancer-labs/v2-deployments`), which pays them in tokens, with
    the Vault's protocol swap fee set to its 50% maximum through the Authorizer."""
    m = bal.r.manifest
    factory_code = json.loads((LEGACY / "bytecode" / "WeightedPoolFactory.json").read_text())["creationCode"]
    deploy_data = "0x" + factory_code.removeprefix("0x") + encode(["address"], [bal.vault]).hex()
    create = {"from": bal.actor, "data": deploy_data, "gas": hex(12_000_000)}
    tx = bal.rpc.call("eth_sendTransaction", [create])
    raw_rpc(bal.r.url, "evm_mine")
    factory = bal.rpc.call("eth_getTransactionReceipt", [tx])["contractAddress"]
    tokens = sorted((m.token("DAI").address, m.token("USDC").address), key=lambda a: int(a, 16))
    weights = [6 * 10**17, 4 * 10**17]
    bal.send(factory, "create(string,string,address[],uint256[],uint256,address)",
             ["string", "string", "address[]", "uint256[]", "uint256", "address"],
             ["legacy", "L", tokens, weights, 3 * 10**15, bal.actor], gas=12_000_000)  # fmt: skip
    (registered,) = bal.rpc.call("eth_getLogs", [{"address": bal.vault, "topics": [pe.BalancerPoolRegistered.TOPIC],
                                                  "fromBlock": "latest"}])  # fmt: skip
    pool_id = registered["topics"][1]
    pool = to_checksum_address("0x" + pool_id[2:42])
    pool_bytes = bytes.fromhex(pool_id[2:])
    init = (tokens, [UINT256_MAX] * 2, encode(["uint256", "uint256[]"], [0, [10**24, 10**12]]), False)
    bal.send(bal.vault, "joinPool(bytes32,address,address,(address[],uint256[],bytes,bool))",
             ["bytes32", "address", "address", "(address[],uint256[],bytes,bool)"],
             [pool_bytes, bal.actor, bal.actor, init])  # fmt: skip
    (collector,) = bal.call(bal.vault, "getProtocolFeesCollector()", [], [], ["address"])
    (role,) = bal.call(collector, "getActionId(bytes4)", ["bytes4"], [selector("setSwapFeePercentage(uint256)")],
                       ["bytes32"])  # fmt: skip
    bal.send(bal.authorizer, "grantRole(bytes32,address)", ["bytes32", "address"], [role, bal.actor])
    bal.send(collector, "setSwapFeePercentage(uint256)", ["uint256"], [5 * 10**17])
    decimals = {t.address: t.decimals for t in m.tokens}
    model = BalancerWeightedPool(pool, pool_id, bal.vault, tuple(tokens), bal.pool_tokens(pool_id)[1],
                                 tuple(weights), tuple(10**18 * 10 ** (18 - decimals[t]) for t in tokens),
                                 3 * 10**15)  # fmt: skip
    store = PoolStore(pair_views(model), block_ref(bal.rpc, bal.rpc.block_number()))
    updater = StateUpdater(bal.rpc, store)
    legacy = DiscoveredPool("balancer_weighted", factory, pool_id, tokens[0], tokens[1], 0, 0, 0,
                            tokens=tuple(tokens), contract=pool, vault=bal.vault)  # fmt: skip
    fees_paid = 0
    for step in range(6):
        for k in (0, 1):  # swaps both ways grow the invariant: the next join or exit owes protocol fees
            _swap(bal, legacy, k, 1 - k, GIVEN_IN, 100)
        if step % 2:
            _exit(bal, legacy, 50, None if step % 4 == 1 else 1)
        else:
            _join(bal, legacy, [30, 10])
        logs = bal.rpc.call("eth_getLogs", [{"address": bal.vault, "fromBlock": "latest",
                                             "topics": [pe.BalancerPoolBalanceChanged.TOPIC]}])  # fmt: skip
        (event,) = [pe.decode(e["topics"], e["data"]) for e in logs]
        assert isinstance(event, pe.BalancerPoolBalanceChanged)
        fees_paid += sum(event.protocol_fee_amounts)
        updater.catch_up()
        tracked = store.balancer_model(pool_id)
        assert tracked is not None and tracked.balances == bal.pool_tokens(pool_id)[1]  # type: ignore[attr-defined]
    assert fees_paid > 0


def test_the_searchers_store_holds_the_replicas_balancer_pools_as_views(bal: Bal) -> None:
    """What `arbbot run` builds on the replica (its manifest's known pools) and on a configured chain (venues)."""
    from arbbot.config import VenueSettings
    from arbbot.devnet.context import context_from_manifest
    from arbbot.engine.bootstrap import discover, load_store
    from arbbot.errors import ConfigError

    m = bal.r.manifest
    ctx = context_from_manifest(m, bal.r.url)
    assert ctx.known_pools is not None
    store = load_store(bal.rpc, ctx.known_pools, None, weth=ctx.tokens.get("WETH"))
    assert {p.address.lower() for p in m.pools} <= set(store.pools)  # the two-token pools as before
    _assert_equals_fresh_sync(bal, store)
    # Every Balancer pool of the replica, its composable stable pool included.
    assert sorted(store.balancer_pools()) == sorted(p.pool_id.lower() for p in m.balancer_pools)
    # Cycles run only through pools the executor has a hop for: every two-token pool; the pair views once the
    # executor trades through the Vault (until then a cycle through one could be priced but never sent).
    from arbbot.engine.bootstrap import tradable
    from arbbot.execution.route import RouteError, hop_for

    traded = tradable(store.pools)
    assert {p.address.lower() for p in m.pools} <= set(traded)
    for key, view in store.pools.items():
        if isinstance(view, BalancerPairView):
            try:
                hop_for(view, True)
                has_hop = True
            except RouteError:
                has_hop = False
            assert (key in traded) == has_hop
    # A configured chain: the factory as a venue, the Vault from the venue or the chain's default.
    factory = _weighted(bal.r)[0].factory
    venue = VenueSettings(name="balancer", kind="balancer_weighted", factory=factory, vault=bal.vault)
    head = bal.rpc.block_number()
    found = discover(bal.rpc, [venue], head)
    assert sorted(p.address for p in found) == sorted(p.address for p in bal.discovered)
    bare = VenueSettings(name="balancer", kind="balancer_weighted", factory=factory)
    assert sorted(p.address for p in discover(bal.rpc, [bare], head, bal.vault)) == sorted(
        p.address for p in bal.discovered
    )
    with pytest.raises(ConfigError, match=r"venues\.balancer\.vault: no Balancer V2 Vault"):
        discover(bal.rpc, [bare], head)
    with pytest.raises(ConfigError, match=r"venues\.balancer\.vault: no contract"):
        discover(bal.rpc, [bare], head, "0x" + "00" * 19 + "42")


def test_discovery_and_sync_through_a_node_that_limits_ranges_and_garbles_answers(bal: Bal) -> None:
    """A node that refuses log ranges over 16 blocks, rate-limits, and answers garbage or truncated bodies: the
    Balancer scan learns the limit and the batch reads are retried until exact."""
    from arbbot.chain.rpc import RetryPolicy
    from arbbot.state.discovery import RangeSizer
    from arbbot.testing.fault_proxy import FaultProxy, Faults

    faults = Faults(max_log_range=16, http_429=2, garbage=2, truncated=2)
    with FaultProxy(bal.r.url, faults) as proxy:
        rpc = RpcClient(proxy.url, retry=RetryPolicy(attempts=8, base_delay=0.001))
        head = rpc.block_number()
        sizer = RangeSizer(size=1000)
        factories = {p.factory: p.kind for p in _weighted(bal.r)}
        found = [p for _, f in scan_balancer(rpc, bal.vault, factories, 0, head, sizer=sizer) for p in f]
        assert sorted(p.address for p in found) == sorted(p.address for p in bal.discovered)
        assert sizer.shrinks >= 6
        views, failed = sync_pools(rpc, found, head)
    assert failed == []
    fresh, _ = sync_pools(bal.rpc, bal.discovered, head)
    assert _models(views) == _models(fresh) and len(_models(views)) == len(_weighted(bal.r))
    assert faults.http_429 == faults.garbage == faults.truncated == 0


def test_stable_pools_are_discovered_and_read_and_a_kind_without_a_reader_left_out(
    bal: Bal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replica's composable stable pool: its factory's pools are found with every Vault token (its own BPT
    among them, as the manifest's known pools list it) and batch sync reads them alongside the weighted pools; a
    kind with no reader registered is left out with the reason, never guessing a model."""
    from arbbot.amm.balancer_stable import BalancerComposableStablePool
    from arbbot.devnet.context import known_pools
    from arbbot.state import balancer

    m = bal.r.manifest
    stable = [p for p in m.balancer_pools if p.kind == "balancer_composable_stable"]
    assert stable, "the default scenario has a composable stable pool"
    factories = {p.factory: p.kind for p in m.balancer_pools}
    head = bal.rpc.block_number()
    found = [p for _, f in scan_balancer(bal.rpc, bal.vault, factories, 0, head) for p in f]
    known = {p.address: p for p in known_pools(m) if p.kind.startswith("balancer_")}
    assert {p.address: p.tokens for p in found} == {a: p.tokens for a, p in known.items()}
    for entry in stable:
        (p,) = [p for p in found if p.address == entry.pool_id]
        assert p.kind == "balancer_composable_stable" and p.tokens[entry.bpt_index or 0] == entry.address
        assert list(p.tokens) == bal.pool_tokens(entry.pool_id)[0]
    views, failed = sync_pools(bal.rpc, found, head)
    assert failed == []
    models = _models(views)
    assert len(models) == len(m.balancer_pools)
    for entry in stable:
        assert models[entry.pool_id]["kind"] == BalancerComposableStablePool.kind
        assert models[entry.pool_id]["bpt_index"] == entry.bpt_index
    monkeypatch.delitem(balancer.KINDS, "balancer_composable_stable")
    views, failed = sync_pools(bal.rpc, found, head)
    assert sorted(failed) == sorted(e.pool_id for e in stable)
    assert len(_models(views)) == len(_weighted(bal.r))
    _, reasons = balancer.read_pools(
        bal.rpc,
        [
            balancer.PoolToRead(p.kind, p.address, p.contract, p.vault, p.tokens)
            for p in found
            if p.kind == "balancer_composable_stable"
        ],
        hex(head),
    )
    assert all("no reader" in why for why in reasons.values()) and len(reasons) == len(stable)
