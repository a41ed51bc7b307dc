"""Balancer V2 composable stable pools in the state, on the exactness replica's five real ComposableStablePool (v3
factory) contracts, rate providers and Vault.

The store, fed each block's logs and its per-block reads (the block timestamp, every rate provider's rate), stays
equal field by field to a fresh batch sync of every pool after every block of a random run: `Vault.swap` both ways,
swaps to and from the BPT, multi-hop `batchSwap`, joins and exits, swap-fee changes, pauses, amplification ramps
started and stopped, rate providers' rates moved, rate caches refreshed by hand, cache durations changed and time
jumps past the caches' expiry. After every block each pair view's quote equals the Vault's own `queryBatchSwap` at
that block, or both refuse. Reorgs of depth 1 and 3 are rolled back and replayed; logs from anyone but the pool, and
malformed logs at the pool, change nothing or drop the pool; a rate provider that stops answering makes the pool
refuse to quote on an expired cache.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import to_checksum_address

from arbbot.amm.balancer_pair import BalancerPairView
from arbbot.amm.balancer_stable import BalancerComposableStablePool
from arbbot.amm.errors import AmmError, ContractRevert
from arbbot.chain import pool_events as pe
from arbbot.chain.anvil import AnvilNode
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.devnet import snapshot
from arbbot.devnet.manifest import Manifest
from arbbot.state import balancer
from arbbot.state.discovery import DiscoveredPool, scan_balancer
from arbbot.state.store import PoolStore
from arbbot.state.sync import sync_pools
from arbbot.state.updater import StateUpdater, block_ref
from tests.integration.state.log_emitter import emitter_code, selector

pytestmark = pytest.mark.replica

SCENARIO = str(Path(__file__).resolve().parents[2] / "data" / "exactness.toml")
DEADLINE = 2**63
GIVEN_IN, GIVEN_OUT = 0, 1
INT256_MAX = 2**255 - 1
UINT256_MAX = 2**256 - 1
GAS = 5_000_000
HOUR, DAY = 3600, 86400
EMITTER = "0x00000000000000000000000000000000000e1172"  # code set by the test: emits the log its calldata describes
SWAP_SIG = "swap((bytes32,uint8,address,address,uint256,bytes),(address,bool,address,bool),uint256,uint256)"
QUERY_SIG = "queryBatchSwap(uint8,(bytes32,uint256,uint256,uint256,bytes)[],address[],(address,bool,address,bool))"
BATCH_SIG = (
    "batchSwap(uint8,(bytes32,uint256,uint256,uint256,bytes)[],address[],(address,bool,address,bool),int256[],uint256)"
)


def _args(signature: str) -> list[str]:
    inner = signature[signature.index("(") + 1 : -1]
    out, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return [*out, cur] if cur else out


@dataclass
class Node:
    node: AnvilNode
    manifest: Manifest


@pytest.fixture(scope="module")
def exact_node() -> Iterator[Node]:
    node, manifest = snapshot.start(SCENARIO)
    try:
        yield Node(node, manifest)
    finally:
        node.stop()


@dataclass
class Pool:
    """A stable pool as the test drives it: discovery's record and its rate providers (by token index)."""

    p: DiscoveredPool
    bpt_index: int
    providers: dict[int, str]

    @property
    def main(self) -> list[int]:
        return [k for k in range(len(self.p.tokens)) if k != self.bpt_index]


@dataclass
class Bench:
    """The exactness replica with automine off; the deployer (owner of every pool and rate provider, Authorizer admin,
    minter of every token) holds plenty of each token, approved to the Vault, and may pause every pool."""

    url: str
    rpc: RpcClient
    vault: str
    authorizer: str
    actor: str
    pools: list[Pool]
    batching: bool = False

    def send(self, to: str, signature: str, args: list[Any], value: int = 0, gas: int = GAS) -> None:
        self.send_raw(to, selector(signature) + encode(_args(signature), args), value, gas)

    def send_raw(self, to: str, data: bytes, value: int = 0, gas: int = GAS) -> None:
        tx = {"from": self.actor, "to": to, "data": "0x" + data.hex(), "gas": hex(gas), "value": hex(value)}
        self.rpc.call("eth_sendTransaction", [tx])
        if not self.batching:
            raw_rpc(self.url, "evm_mine")

    def call(self, to: str, signature: str, args: list[Any], out: list[str], block: str = "latest") -> Any:
        data = "0x" + (selector(signature) + encode(_args(signature), args)).hex()
        raw = self.rpc.call("eth_call", [{"to": to, "data": data}, block])
        return decode(out, bytes.fromhex(raw[2:]))

    def balances(self, p: Pool) -> list[int]:
        _, balances, _ = self.call(self.vault, "getPoolTokens(bytes32)", [bytes.fromhex(p.p.address[2:])],
                                   ["address[]", "uint256[]", "uint256"])  # fmt: skip
        return list(balances)

    def now(self) -> int:
        return int(self.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def block(self, actions: list[Any], jump: int = 1) -> None:
        """The actions in one block (automine off, mined together), `jump` seconds after the last."""
        self.batching = True
        try:
            for action in actions:
                action()
        finally:
            self.batching = False
        raw_rpc(self.url, "evm_setNextBlockTimestamp", [self.now() + jump])
        raw_rpc(self.url, "evm_mine")


@pytest.fixture
def bench(exact_node: Node) -> Iterator[Bench]:
    url = exact_node.node.url
    snap_id = raw_rpc(url, "evm_snapshot")
    raw_rpc(url, "evm_setAutomine", [False])
    try:
        yield _bench(url, exact_node.manifest)
    finally:
        raw_rpc(url, "evm_setAutomine", [True])
        raw_rpc(url, "evm_revert", [snap_id])


def _bench(url: str, m: Manifest) -> Bench:
    rpc = RpcClient(url)
    vault = m.contracts["BalancerVault"]
    entries = [e for e in m.balancer_pools if e.kind == "balancer_composable_stable"]
    assert len(entries) == 5, "tests/data/exactness.toml lists five composable stable pools"
    factories = {e.factory: e.kind for e in entries}
    found = [p for _, f in scan_balancer(rpc, vault, factories, 0, rpc.block_number()) for p in f]
    b = Bench(url, rpc, vault, m.contracts["BalancerAuthorizer"], m.deployer, [])
    for p in sorted(found, key=lambda p: p.address):
        (bpt,) = b.call(p.contract, "getBptIndex()", [], ["uint256"])
        (providers,) = b.call(p.contract, "getRateProviders()", [], ["address[]"])
        b.pools.append(Pool(p, bpt, {k: to_checksum_address(a) for k, a in enumerate(providers) if int(a, 16)}))
    assert len(b.pools) == 5 and sum(bool(p.providers) for p in b.pools) >= 3
    raw_rpc(url, "anvil_setBalance", [b.actor, hex(10**30)])
    for t in m.tokens:
        if t.symbol == "WETH":
            b.send(t.address, "deposit()", [], value=10**28)
        else:
            b.send(t.address, "mint(address,uint256)", [b.actor, 2**200])
        b.send(t.address, "approve(address,uint256)", [vault, UINT256_MAX])
    for p in b.pools:
        for fn in ("pause()", "unpause()"):
            (role,) = b.call(p.p.contract, "getActionId(bytes4)", [selector(fn)], ["bytes32"])
            b.send(b.authorizer, "grantRole(bytes32,address)", [role, b.actor])
    return b


def _store(b: Bench) -> tuple[PoolStore, StateUpdater]:
    head = b.rpc.block_number()
    models, failed = sync_pools(b.rpc, [p.p for p in b.pools], head)
    assert failed == []
    store = PoolStore(models, block_ref(b.rpc, head), max_undo=64)
    return store, StateUpdater(b.rpc, store)


# --- what a block can hold ---------------------------------------------------------------------------------------


def _pid(p: Pool) -> bytes:
    return bytes.fromhex(p.p.address[2:])


def _swap(b: Bench, p: Pool, i: int, j: int, kind: int, permille: int) -> None:
    balances = b.balances(p)
    amount = max(1, (balances[i] if kind == GIVEN_IN else balances[j]) * permille // 1000)
    if p.bpt_index in (i, j):  # the BPT's Vault balance is the premint: size BPT swaps on a main token instead
        k = j if i == p.bpt_index else i
        amount = max(1, balances[k] * permille // 1000)
    single = (_pid(p), kind, p.p.tokens[i], p.p.tokens[j], amount, b"")
    limit = 0 if kind == GIVEN_IN else UINT256_MAX
    b.send(b.vault, SWAP_SIG, [single, (b.actor, False, b.actor, False), limit, DEADLINE])


def _batch_swap(b: Bench, a: Pool, c: Pool, permille: int) -> None:
    """A two-hop GIVEN_IN batchSwap: a main token of pool `a` -> a main token it shares with `c` -> another of `c`."""
    shared = [t for k, t in enumerate(a.p.tokens) if k != a.bpt_index and t in c.p.tokens]
    if not shared:
        return
    mid = shared[0]
    start = next(t for k, t in enumerate(a.p.tokens) if k != a.bpt_index and t != mid)
    end = next(t for k, t in enumerate(c.p.tokens) if k != c.bpt_index and t != mid)
    amount = max(1, b.balances(a)[a.p.tokens.index(start)] * permille // 1000)
    steps = [(_pid(a), 0, 1, amount, b""), (_pid(c), 1, 2, 0, b"")]
    funds = (b.actor, False, b.actor, False)
    b.send(b.vault, BATCH_SIG, [GIVEN_IN, steps, [start, mid, end], funds, [INT256_MAX] * 3, DEADLINE])


def _join(b: Bench, p: Pool, permilles: list[int]) -> None:
    balances = b.balances(p)
    amounts = [balances[k] * pm // 1000 for k, pm in zip(p.main, permilles, strict=False)]
    user = encode(["uint256", "uint256[]", "uint256"], [1, amounts, 0])  # EXACT_TOKENS_IN_FOR_BPT_OUT
    request = (list(p.p.tokens), [UINT256_MAX] * len(p.p.tokens), user, False)
    b.send(b.vault, "joinPool(bytes32,address,address,(address[],uint256[],bytes,bool))",
           [_pid(p), b.actor, b.actor, request])  # fmt: skip


def _exit(b: Bench, p: Pool, permille: int, single: int | None) -> None:
    (bpt,) = b.call(p.p.contract, "balanceOf(address)", [b.actor], ["uint256"])
    amount = max(1, bpt * permille // 1000)
    if single is None:
        user = encode(["uint256", "uint256"], [2, amount])  # EXACT_BPT_IN_FOR_ALL_TOKENS_OUT
    else:
        user = encode(["uint256", "uint256", "uint256"], [0, amount, single])  # EXACT_BPT_IN_FOR_ONE_TOKEN_OUT
    request = (list(p.p.tokens), [0] * len(p.p.tokens), user, False)
    b.send(b.vault, "exitPool(bytes32,address,address,(address[],uint256[],bytes,bool))",
           [_pid(p), b.actor, b.actor, request])  # fmt: skip


def _ramp(b: Bench, p: Pool, factor_pct: int, days: int) -> None:
    value, _, precision = b.call(p.p.contract, "getAmplificationParameter()", [], ["uint256", "bool", "uint256"])
    raw = value // precision
    end = min(5000, max(1, raw * factor_pct // 100))
    b.send(p.p.contract, "startAmplificationParameterUpdate(uint256,uint256)", [end, b.now() + days * DAY + 10])


def _action(b: Bench, rng: random.Random) -> Any:
    """One random action on a random pool (some may revert: a paused pool, a too-large trade; they move nothing)."""
    p = rng.choice(b.pools)
    i, j = rng.sample(p.main, 2)
    roll = rng.randrange(100)
    if roll < 30:
        kind, permille = rng.choice([GIVEN_IN, GIVEN_OUT]), rng.choice([1, 7, 50, 150, 280])
        return lambda: _swap(b, p, i, j, kind, permille)
    if roll < 38:  # to or from the BPT: a join or exit through the swap
        kind, permille = rng.choice([GIVEN_IN, GIVEN_OUT]), rng.choice([1, 10, 60])
        pair = (i, p.bpt_index) if rng.random() < 0.5 else (p.bpt_index, j)
        return lambda: _swap(b, p, pair[0], pair[1], kind, permille)
    if roll < 44:
        a, c = rng.sample(b.pools, 2)
        permille = rng.choice([1, 20, 90])
        return lambda: _batch_swap(b, a, c, permille)
    if roll < 52:
        permilles = [rng.choice([0, 1, 10, 100]) for _ in p.main]
        permilles[0] = max(permilles[0], 1)
        return lambda: _join(b, p, permilles)
    if roll < 60:
        permille, single = rng.choice([1, 10, 100]), rng.choice([None, i])
        return lambda: _exit(b, p, permille, single)
    if roll < 66:
        fee = rng.choice([10**12, 10**15, 3 * 10**15, 10**17, rng.randrange(10**12, 10**17 + 1)])
        return lambda: b.send(p.p.contract, "setSwapFeePercentage(uint256)", [fee])
    if roll < 72:
        paused = rng.random() < 0.5
        return lambda: b.send(p.p.contract, "pause()" if paused else "unpause()", [])
    if roll < 78:
        pct, days = rng.choice([50, 70, 150, 200]), rng.choice([1, 2])
        return lambda: _ramp(b, p, pct, days)
    if roll < 81:
        return lambda: b.send(p.p.contract, "stopAmplificationParameterUpdate()", [])
    with_rate = [q for q in b.pools if q.providers]
    q = rng.choice(with_rate)
    k = rng.choice(sorted(q.providers))
    if roll < 92:
        rate = rng.choice([10**18, 10**18 + 1, 1_050_000_000_000_000_000, 1_200_000_000_000_000_000, 4 * 10**22])
        rate = rate * rng.randrange(95, 106) // 100
        return lambda: b.send(q.providers[k], "setRate(uint256)", [rate])
    if roll < 96:
        return lambda: b.send(q.p.contract, "updateTokenRateCache(address)", [q.p.tokens[k]])
    duration = rng.choice([0, 60, HOUR, DAY])
    return lambda: b.send(q.p.contract, "setTokenRateCacheDuration(address,uint256)", [q.p.tokens[k], duration])


# --- what the store must equal -------------------------------------------------------------------------------------


def _assert_equals_fresh_sync(b: Bench, store: PoolStore) -> None:
    """Every pool's model equals a fresh batch sync at the store's head, field by field, and the Vault's balances."""
    head = store.head
    assert head.hash == block_ref(b.rpc, head.number).hash
    fresh, failed = sync_pools(b.rpc, [p.p for p in b.pools], head.number)
    assert failed == []
    by_pool = {v.pool_id: v.underlying for v in fresh if isinstance(v, BalancerPairView)}
    assert len(by_pool) == len(b.pools)
    for p in b.pools:
        model = store.balancer_model(p.p.address)
        assert model is not None, p.p.address
        assert model.to_dict() == by_pool[p.p.address].to_dict(), p.p.address
        assert model.balances == b.balances(p)  # type: ignore[attr-defined]


def _query(b: Bench, p: Pool, kind: int, token_in: str, token_out: str, amount: int, block: int) -> int | None:
    """What the Vault's queryBatchSwap answers at `block` (the amount out, or in), None when it reverts."""
    step = (_pid(p), 0, 1, amount, b"")
    data = "0x" + (selector(QUERY_SIG) + encode(_args(QUERY_SIG), [kind, [step], [token_in, token_out],
                                                                 (b.actor, False, b.actor, False)])).hex()  # fmt: skip
    try:
        raw = b.rpc.call("eth_call", [{"from": b.actor, "to": b.vault, "data": data, "gas": hex(GAS)}, hex(block)])
    except RpcError:  # the Vault refusing (a revert, or a halt in a rate provider) is an answer: the model must refuse
        return None
    (deltas,) = decode(["int256[]"], bytes.fromhex(raw[2:]))
    return -deltas[1] if kind == GIVEN_IN else deltas[0]


def _assert_quotes_equal_the_vault(b: Bench, store: PoolStore, rng: random.Random) -> int:
    """Each pair view of each pool quotes what `queryBatchSwap` answers at the store's head (exact in and out, a few
    sizes), or both refuse; returns how many quotes were compared."""
    compared = 0
    for p in b.pools:
        model = store.balancer_model(p.p.address)
        assert isinstance(model, BalancerComposableStablePool)
        for key in [k for k, v in store.pools.items() if isinstance(v, BalancerPairView) and v.pool_id == p.p.address]:
            view = store.pools[key]
            assert isinstance(view, BalancerPairView)
            t_in, t_out = view.tokens if rng.random() < 0.5 else view.tokens[::-1]
            kind = rng.choice([GIVEN_IN, GIVEN_OUT])
            side = model.balances[model.index(t_in if kind == GIVEN_IN else t_out)]
            amount = max(1, side * rng.choice([1, 30, 300]) // 10_000)
            try:
                quoted: int | None = (
                    view.quote_exact_in(t_in, amount) if kind == GIVEN_IN else view.quote_exact_out(t_in, amount)
                )
            except ContractRevert:
                quoted = None
            assert quoted == _query(b, p, kind, t_in, t_out, amount, store.head.number), (key, kind, amount)
            compared += 1
    return compared


# --- tests ---------------------------------------------------------------------------------------------------------


def test_sync_reads_every_stable_pool_with_its_rates_and_ramp(bench: Bench) -> None:
    store, _ = _store(bench)
    models = store.balancer_pools()
    assert len(models) == 5
    stamp = int(bench.rpc.call("eth_getBlockByNumber", [hex(store.head.number), False])["timestamp"], 16)
    for p in bench.pools:
        m = models[p.p.address]
        assert isinstance(m, BalancerComposableStablePool)
        assert m.timestamp == stamp and m.bpt_index == p.bpt_index
        assert [k for k, c in enumerate(m.rate_caches) if c is not None] == sorted(p.providers)
        assert all(c is None or c.provider_rate is not None for c in m.rate_caches)
        (value, _, _) = bench.call(p.p.contract, "getAmplificationParameter()", [], ["uint256", "bool", "uint256"])
        assert m.amplification == value
    _assert_quotes_equal_the_vault(bench, store, random.Random(0))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_activity_keeps_every_pool_equal_to_a_fresh_sync_and_to_the_vault(bench: Bench, seed: int) -> None:
    store, updater = _store(bench)
    rng = random.Random(seed)
    compared = 0
    for _ in range(14):
        jump = rng.choice([1, 1, 12, 61, HOUR + 1, 5 * HOUR, DAY // 2])
        bench.block([_action(bench, rng) for _ in range(rng.randint(1, 4))], jump)
        updater.catch_up()
        _assert_equals_fresh_sync(bench, store)
        compared += _assert_quotes_equal_the_vault(bench, store, rng)
    assert compared > 14 * 5
    assert store.skipped_logs == 0


def test_every_kind_of_event_is_booked(bench: Bench) -> None:
    """One block each: a ramp, its stop, a rate move and cache refresh, a duration change, a BPT swap each way."""
    store, updater = _store(bench)
    p = next(q for q in bench.pools if len(q.providers) >= 1 and len(q.main) >= 2)
    k = sorted(p.providers)[0]
    a, c = p.main[0], p.main[1]
    blocks: list[tuple[list[Any], int]] = [
        ([lambda: _ramp(bench, p, 200, 2)], 1),
        ([lambda: _swap(bench, p, a, c, GIVEN_IN, 10)], HOUR),
        ([lambda: bench.send(p.p.contract, "stopAmplificationParameterUpdate()", [])], 1),
        ([lambda: bench.send(p.providers[k], "setRate(uint256)", [1_100_000_000_000_000_000])], 1),
        ([lambda: bench.send(p.p.contract, "updateTokenRateCache(address)", [p.p.tokens[k]])], 1),
        ([lambda: bench.send(p.p.contract, "setTokenRateCacheDuration(address,uint256)", [p.p.tokens[k], 60])], 1),
        ([lambda: bench.send(p.providers[k], "setRate(uint256)", [1_200_000_000_000_000_000])], 120),
        ([lambda: _swap(bench, p, a, p.bpt_index, GIVEN_IN, 20)], 1),
        ([lambda: _swap(bench, p, p.bpt_index, c, GIVEN_OUT, 20)], 1),
    ]
    rng = random.Random(7)
    first = bench.rpc.block_number() + 1
    for actions, jump in blocks:
        bench.block(actions, jump)
        updater.catch_up()
        _assert_equals_fresh_sync(bench, store)
        _assert_quotes_equal_the_vault(bench, store, rng)
    logs = bench.rpc.call("eth_getLogs", [{"fromBlock": hex(first), "toBlock": "latest", "address": p.p.contract}])
    seen = {e["topics"][0] for e in logs}
    for cls in (pe.BalancerAmpUpdateStarted, pe.BalancerAmpUpdateStopped, pe.BalancerTokenRateCacheUpdated,
                pe.BalancerTokenRateProviderSet):  # fmt: skip
        assert cls.TOPIC in seen, cls.__name__
    assert store.skipped_logs == 0


@pytest.mark.parametrize("depth", [1, 3])
def test_a_reorg_is_rolled_back_and_replayed(bench: Bench, depth: int) -> None:
    store, updater = _store(bench)
    fork_point = raw_rpc(bench.url, "evm_snapshot")
    rng = random.Random(depth)
    for _ in range(depth):  # the branch that will be abandoned
        bench.block([_action(bench, rng) for _ in range(3)], HOUR)
    updater.catch_up()
    abandoned = store.head
    before = {pid: m.to_dict() for pid, m in store.balancer_pools().items()}
    raw_rpc(bench.url, "evm_revert", [fork_point])
    rng = random.Random(100 + depth)
    for _ in range(depth + 1):  # a longer, different branch
        bench.block([_action(bench, rng) for _ in range(3)], 7)
    updater.catch_up()
    assert updater.reorgs == [depth] and store.head.hash != abandoned.hash
    _assert_equals_fresh_sync(bench, store)
    _assert_quotes_equal_the_vault(bench, store, rng)
    assert before != {pid: m.to_dict() for pid, m in store.balancer_pools().items()}


def test_foreign_and_malformed_pool_logs(bench: Bench) -> None:
    """The stable pools' own events from another contract change nothing; a malformed one at the pool's own address
    drops every view of that pool (never guessed), the others untouched."""
    store, updater = _store(bench)
    p = next(q for q in bench.pools if q.providers)
    k = sorted(p.providers)[0]
    before = {pid: m.to_dict() for pid, m in store.balancer_pools().items()}

    def emit(at: str, topics: list[bytes], data: bytes) -> None:
        code = bench.rpc.call("eth_getCode", [at, "latest"])
        raw_rpc(bench.url, "anvil_setCode", [at, emitter_code(len(topics))])
        bench.send_raw(at, b"".join(topics) + b"\0" * (128 - 32 * len(topics)) + data)
        raw_rpc(bench.url, "anvil_setCode", [at, code])

    def word(x: int) -> bytes:
        return x.to_bytes(32, "big")

    started = bytes.fromhex(pe.BalancerAmpUpdateStarted.TOPIC[2:])
    cache = bytes.fromhex(pe.BalancerTokenRateCacheUpdated.TOPIC[2:])
    provider = bytes.fromhex(pe.BalancerTokenRateProviderSet.TOPIC[2:])
    emit(EMITTER, [started], encode(["uint256"] * 4, [5000, 5000000, 0, 1]))
    emit(EMITTER, [cache, word(k)], encode(["uint256"], [7]))
    emit(EMITTER, [provider, word(k), bytes.fromhex(p.providers[k][2:]).rjust(32, b"\0")], encode(["uint256"], [1]))
    assert updater.catch_up() == set()
    stamps = {pid: m["timestamp"] for pid, m in before.items()}
    after = {pid: m.to_dict() for pid, m in store.balancer_pools().items()}
    assert {pid: {**m, "timestamp": stamps[pid]} for pid, m in after.items()} == before
    assert store.skipped_logs == 0
    emit(p.p.contract, [cache, word(k)], encode(["uint256"], [7])[:31])  # one byte short
    updater.catch_up()
    assert store.balancer_model(p.p.address) is None and store.skipped_logs == 1
    assert not any(isinstance(v, BalancerPairView) and v.pool_id == p.p.address for v in store.pools.values())
    assert len(store.balancer_pools()) == 4


def test_a_rate_cache_naming_a_token_without_a_provider_drops_the_pool(bench: Bench) -> None:
    store, updater = _store(bench)
    p = next(q for q in bench.pools if q.providers and len(q.providers) < len(q.main))
    k = next(x for x in p.main if x not in p.providers)
    code = bench.rpc.call("eth_getCode", [p.p.contract, "latest"])
    raw_rpc(bench.url, "anvil_setCode", [p.p.contract, emitter_code(2)])
    topic = bytes.fromhex(pe.BalancerTokenRateCacheUpdated.TOPIC[2:])
    bench.send_raw(p.p.contract, topic + k.to_bytes(32, "big") + b"\0" * 64 + encode(["uint256"], [10**18]))
    raw_rpc(bench.url, "anvil_setCode", [p.p.contract, code])
    updater.catch_up()
    assert store.balancer_model(p.p.address) is None


def test_a_provider_that_stops_answering_makes_the_pool_refuse_on_an_expired_cache(bench: Bench) -> None:
    store, updater = _store(bench)
    p = next(q for q in bench.pools if q.providers)
    k = sorted(p.providers)[0]
    bench.block([lambda: bench.send(p.p.contract, "setTokenRateCacheDuration(address,uint256)", [p.p.tokens[k], 60])])
    updater.catch_up()
    raw_rpc(bench.url, "anvil_setCode", [p.providers[k], "0x60006000fd"])  # REVERT(0, 0)
    bench.block([], 600)  # the cache expires: the next swap would ask the provider
    updater.catch_up()
    model = store.balancer_model(p.p.address)
    assert isinstance(model, BalancerComposableStablePool)
    cache = model.rate_caches[k]
    assert cache is not None and cache.provider_rate is None and p.p.tokens[k] in model.due_rate_reads()
    a, c = p.main[0], p.main[1]
    with pytest.raises(AmmError, match="provider's rate is needed"):
        model.quote_exact_in(p.p.tokens[a], p.p.tokens[c], 10**6)
    assert _query(bench, p, GIVEN_IN, p.p.tokens[a], p.p.tokens[c], 10**6, store.head.number) is None


def test_inconsistent_answers_drop_the_pool_with_a_reason(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool whose Vault tokens are not the registered ones, or whose amplification storage does not give its
    reported amplification, is left out with the reason."""
    head = hex(bench.rpc.block_number())
    p = bench.pools[0]
    good = balancer.PoolToRead(p.p.kind, p.p.address, p.p.contract, p.p.vault, p.p.tokens)
    wrong_tokens = balancer.PoolToRead(p.p.kind, p.p.address, p.p.contract, p.p.vault, tuple(reversed(p.p.tokens)))
    models, failed = balancer.read_pools(bench.rpc, [good], head)
    assert list(models) == [p.p.address] and failed == {}
    _, failed = balancer.read_pools(bench.rpc, [wrong_tokens], head)
    assert "the Vault holds tokens" in failed[p.p.address]
    # A pool version whose amplification data sit in another slot: what the reader finds there cannot reproduce
    # the reported amplification, so the pool is refused, never quoted on a misread ramp.
    kind = balancer.KINDS[p.p.kind]
    moved = dataclasses.replace(balancer.AMP_DATA, slot=balancer.AMP_DATA_SLOT - 1)
    calls = tuple(moved if c is balancer.AMP_DATA else c for c in kind.calls)
    monkeypatch.setitem(balancer.KINDS, p.p.kind, dataclasses.replace(kind, calls=calls))
    _, failed = balancer.read_pools(bench.rpc, [good], head)
    assert "amplification data" in failed[p.p.address]
