"""Uniswap V4 and PancakeSwap V3 state on the replica: pools discovered from the PoolManager's Initialize
events and PancakeSwap's factory (ids and addresses equal to the off-chain computation), read in batches,
kept exact block by block from V4 Swap / ModifyLiquidity / ProtocolFeeUpdated, PancakeSwap Swap events and
per-block dynamic-fee reads, and rolled back and replayed through reorgs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import HTTPProvider, Web3

from arbbot.amm.pancakeswap_v3 import PancakeSwapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.chain.addresses import pancake_v3_pool_address, v4_pool_id
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet.compiler import replica_contracts
from arbbot.devnet.universal_router import v4_exact_in_single
from arbbot.devnet.v4 import PERMIT2_ABI, pool_key_of
from arbbot.state.discovery import scan_factory
from arbbot.state.events import V4_SWAP
from arbbot.state.store import BlockRef, PoolStore
from arbbot.state.sync import sync_pools
from arbbot.state.updater import StateUpdater, block_ref
from tests.conftest import Replica

DEADLINE = 2**63


@pytest.fixture(scope="module")
def v4_session() -> Iterator[Replica]:
    node, manifest = snapshot.start("v4")
    try:
        yield Replica(node, manifest, Web3(HTTPProvider(node.url, request_kwargs={"timeout": 30})))
    finally:
        node.stop()


@pytest.fixture
def v4_replica(v4_session: Replica) -> Iterator[Replica]:
    snap_id = raw_rpc(v4_session.url, "evm_snapshot")
    try:
        yield v4_session
    finally:
        raw_rpc(v4_session.url, "evm_revert", [snap_id])


def _discover(r: Replica, rpc: RpcClient, head: int) -> list:
    found = []
    for entry in r.manifest.venues.values():
        for _, pools in scan_factory(rpc, entry.factory, entry.kind, 0, head):
            found.extend(pools)
    return found


def test_discovery_finds_every_pool_with_ids_and_addresses_computed_off_chain(v4_replica: Replica) -> None:
    r, rpc = v4_replica, RpcClient(v4_replica.url)
    m = r.manifest
    found = {p.address.lower(): p for p in _discover(r, rpc, rpc.block_number())}
    assert {p.address.lower() for p in m.pools} == set(found)
    deployer = m.venues["pancakeswap_v3"].deployer
    for entry in m.pools:
        p = found[entry.address.lower()]
        assert p.kind == entry.kind
        if entry.kind == "uniswap_v4":
            key = pool_key_of(m, entry)
            assert (p.token0, p.token1, p.fee, p.tick_spacing, p.hooks) == key.as_tuple()
            assert p.address == v4_pool_id(*key.as_tuple()) == entry.address
            assert p.factory == m.contracts["PoolManager"]
        if entry.kind == "pancakeswap_v3":
            assert p.address == pancake_v3_pool_address(deployer, p.token0, p.token1, p.fee)
            assert p.factory == m.contracts["PancakeV3Factory"]


def test_batch_sync_reads_every_kind(v4_replica: Replica) -> None:
    r, rpc = v4_replica, RpcClient(v4_replica.url)
    head = rpc.block_number()
    discovered = _discover(r, rpc, head)
    weth = r.manifest.token("WETH").address
    models, failed = sync_pools(rpc, discovered, head, weth)
    assert failed == []
    kinds = {m.kind for m in models}
    assert kinds == {"uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4"}
    v4 = [m for m in models if isinstance(m, UniswapV4Pool)]
    native = [m for m in v4 if m.native]
    assert native and all(m.token0 == weth and m.currency0 == "0x" + "00" * 20 for m in native)
    dynamic = [m for m in v4 if m.dynamic_fee]
    assert [m.lp_fee for m in dynamic] == [2000]
    assert [m.pricing for m in v4].count("simulation") == 1  # the skim hook
    assert any(m.protocol_fee == 400 | (400 << 12) for m in v4)
    assert all(m.ticks and m.bitmap for m in models if isinstance(m, UniswapV4Pool | PancakeSwapV3Pool))
    # Without WETH no route can trade a native-ether pool: they are reported, not guessed.
    _, failed = sync_pools(rpc, discovered, head)
    assert len(failed) == len(native)


def _store(r: Replica, max_undo: int = 64) -> tuple[PoolStore, StateUpdater, RpcClient, list]:
    rpc = RpcClient(r.url)
    head = rpc.block_number()
    discovered = _discover(r, rpc, head)
    models, failed = sync_pools(rpc, discovered, head, r.manifest.token("WETH").address)
    assert not failed
    store = PoolStore(models, block_ref(rpc, head), max_undo=max_undo)
    return store, StateUpdater(rpc, store), rpc, discovered


def _assert_equal_to_fresh_sync(r: Replica, store: PoolStore, rpc: RpcClient, discovered: list) -> None:
    fresh, _ = sync_pools(rpc, discovered, store.head.number, r.manifest.token("WETH").address)
    assert store.head.hash == block_ref(rpc, store.head.number).hash
    for pool in fresh:
        tracked = store.get(pool.address)
        assert tracked is not None and tracked.to_dict() == pool.to_dict(), pool.address


def _trade(r: Replica, trader: str, seed: int) -> None:
    """One block: V4 swaps through UniversalRouter (native ether in, ERC-20 in), a PancakeSwap V3 swap and,
    every other block, the dynamic-fee hook's keeper moving the LP fee."""
    w3, m = r.w3, r.manifest
    router = w3.eth.contract(address=m.contracts["UniversalRouter"], abi=artifacts.load("UniversalRouter").abi)
    permit2 = w3.eth.contract(address=m.contracts["Permit2"], abi=PERMIT2_ABI)
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    usdc = w3.eth.contract(address=m.token("USDC").address, abi=replica_contracts()["ReplicaToken"].abi)
    cake = w3.eth.contract(address=m.contracts["PancakeSwapRouter"], abi=artifacts.load("PancakeSwapRouter").abi)
    raw_rpc(r.url, "evm_setAutomine", [False])  # everything below is one block
    gas = {"from": trader, "gas": 200_000}
    weth.functions.deposit().transact({"from": trader, "value": 50 * 10**18, "gas": 100_000})
    weth.functions.approve(permit2.address, 2**256 - 1).transact(gas)
    permit2.functions.approve(weth.address, router.address, 2**160 - 1, 2**48 - 1).transact(gas)
    weth.functions.approve(cake.address, 2**256 - 1).transact(gas)
    v4 = [p for p in m.pools if p.kind == "uniswap_v4"]
    native = next(p for p in v4 if p.token0 == "ETH" and p.hook_kind == "none" and p.token1 == "USDC")
    dynamic = next(p for p in v4 if p.hook_kind == "dynamic_fee")
    swaps = []
    for entry, zero_for_one, amount in ((native, True, (3 + seed) * 10**18), (dynamic, True, (1 + seed) * 10**18)):
        call = v4_exact_in_single(pool_key_of(m, entry), zero_for_one, amount, 0)
        swaps.append(
            router.functions.execute(call.commands, call.inputs, DEADLINE).transact(
                {"from": trader, "value": call.value, "gas": 2_000_000}
            )
        )
    params = (weth.address, usdc.address, 2500, trader, DEADLINE, (2 + seed) * 10**18, 0, 0)
    swaps.append(cake.functions.exactInputSingle(params).transact({"from": trader, "gas": 1_000_000}))
    if seed % 2 == 0:
        hook = w3.eth.contract(address=dynamic.hooks, abi=replica_contracts()["DynamicFeeHook"].abi)
        hook.functions.setFee(pool_key_of(m, dynamic).as_tuple(), 2000 + 311 * (seed + 1)).transact(
            {"from": m.deployer, "gas": 200_000}
        )
    raw_rpc(r.url, "evm_mine")
    raw_rpc(r.url, "evm_setAutomine", [True])
    receipts = [w3.eth.get_transaction_receipt(h) for h in swaps]
    assert [x["status"] for x in receipts] == [1, 1, 1] and len({x["blockNumber"] for x in receipts}) == 1


def test_logs_and_fee_reads_keep_the_store_exact(v4_replica: Replica) -> None:
    store, updater, rpc, discovered = _store(v4_replica)
    trader = v4_replica.w3.eth.accounts[5]
    for seed in range(3):
        _trade(v4_replica, trader, seed)
    changed = updater.catch_up()
    assert len(changed) >= 3
    _assert_equal_to_fresh_sync(v4_replica, store, rpc, discovered)


@pytest.mark.parametrize("depth", [1, 3])
def test_reorg_is_rolled_back_and_replayed(v4_replica: Replica, depth: int) -> None:
    store, updater, rpc, discovered = _store(v4_replica)
    fork_point = raw_rpc(v4_replica.url, "evm_snapshot")
    for seed in range(depth):  # the branch that will be abandoned
        _trade(v4_replica, v4_replica.w3.eth.accounts[6], seed)
    updater.catch_up()
    abandoned = store.head
    raw_rpc(v4_replica.url, "evm_revert", [fork_point])
    raw_rpc(v4_replica.url, "anvil_setBlockTimestampInterval", [3])
    for seed in range(depth + 1):
        _trade(v4_replica, v4_replica.w3.eth.accounts[7], seed + 5)
    raw_rpc(v4_replica.url, "anvil_removeBlockTimestampInterval")
    updater.catch_up()
    assert updater.reorgs == [depth]
    assert store.head.hash != abandoned.hash
    _assert_equal_to_fresh_sync(v4_replica, store, rpc, discovered)


def test_v4_events_from_anyone_but_the_pool_manager_are_ignored() -> None:
    """Anyone can emit a Swap event shaped like the PoolManager's with a tracked pool id: it says nothing."""
    pool_id = "0x" + "ab" * 32
    manager = "0x" + "44" * 20
    pool = UniswapV4Pool(pool_id, "0x" + "aa" * 20, "0x" + "bb" * 20, 500, 10, "0x" + "00" * 20, 1 << 96, 0, 10**18,
                         500, 0, False, manager)  # fmt: skip
    store = PoolStore([pool], BlockRef(1, "0xa", "0x9"))
    data = "0x" + "".join(f"{v % (1 << 256):064x}" for v in (-5, 5, 2 << 96, 7, 6931, 500))
    forged = {"address": "0x" + "66" * 20, "topics": [V4_SWAP, pool_id, "0x" + "00" * 32], "data": data}
    assert store.apply_block(BlockRef(2, "0xb", "0xa"), [forged]) == set()
    assert store.get(pool_id).sqrt_price_x96 == 1 << 96
    real = dict(forged, address=manager)
    assert store.apply_block(BlockRef(3, "0xc", "0xb"), [real]) == {pool_id}
    assert (store.get(pool_id).sqrt_price_x96, store.get(pool_id).liquidity, store.get(pool_id).tick) == (
        2 << 96, 7, 6931,
    )  # fmt: skip
