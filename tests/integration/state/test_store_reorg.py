"""Per-block updates from logs keep the store equal to a fresh sync, through reorgs of depth 1..5."""

from __future__ import annotations

import pytest
from web3 import Web3

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts
from arbbot.state.discovery import scan_factory
from arbbot.state.store import PoolStore, ReorgTooDeep
from arbbot.state.sync import sync_pools
from arbbot.state.updater import StateUpdater, block_ref
from tests.conftest import Replica

DEADLINE = 2**63


def _discover(r: Replica, rpc: RpcClient, head: int) -> list:
    found = []
    for entry in r.manifest.venues.values():
        for _, pools in scan_factory(rpc, entry.factory, entry.kind, 0, head):
            found.extend(pools)
    return found


def _store(r: Replica, max_undo: int = 64) -> tuple[PoolStore, StateUpdater, RpcClient, list]:
    rpc = RpcClient(r.url)
    head = rpc.block_number()
    discovered = _discover(r, rpc, head)
    models, failed = sync_pools(rpc, discovered, head)
    assert not failed
    store = PoolStore(models, block_ref(rpc, head), max_undo=max_undo)
    return store, StateUpdater(rpc, store), rpc, discovered


def _assert_equal_to_fresh_sync(store: PoolStore, rpc: RpcClient, discovered: list) -> None:
    fresh, _ = sync_pools(rpc, discovered, store.head.number)
    assert store.head.hash == block_ref(rpc, store.head.number).hash
    for pool in fresh:
        assert store.get(pool.address).to_dict() == pool.to_dict(), pool.address


def _trade(r: Replica, trader: str, seed: int) -> None:
    """One block of activity: V2 swaps on both venues and a V3 swap that crosses ticks."""
    w3, m = r.w3, r.manifest
    raw_rpc(r.url, "evm_setAutomine", [False])
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    for venue in ("uniswap_v2", "sushiswap"):
        router = w3.eth.contract(address=m.venues[venue].router, abi=artifacts.load("UniswapV2Router02").abi)
        # DAI/WETH exists only on uniswap_v2 in the default scenario.
        path = [weth, m.token("DAI").address] if seed % 2 and venue == "uniswap_v2" else [weth, usdc]
        router.functions.swapExactETHForTokens(0, path, trader, DEADLINE).transact(
            {"from": trader, "value": Web3.to_wei(1 + seed, "ether")}
        )
    swap_router = w3.eth.contract(address=m.contracts["SwapRouter"], abi=artifacts.load("SwapRouter").abi)
    params = (weth, usdc, 500, trader, DEADLINE, Web3.to_wei(40 + 7 * seed, "ether"), 0, 0)
    swap_router.functions.exactInputSingle(params).transact({"from": trader, "value": params[5]})
    raw_rpc(r.url, "evm_mine")
    raw_rpc(r.url, "evm_setAutomine", [True])


def test_logs_keep_the_store_exact(replica: Replica) -> None:
    store, updater, rpc, discovered = _store(replica)
    trader = replica.w3.eth.accounts[5]
    for seed in range(4):
        _trade(replica, trader, seed)
    changed = updater.catch_up()
    assert len(changed) >= 4
    _assert_equal_to_fresh_sync(store, rpc, discovered)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_reorg_is_rolled_back_and_replayed(replica: Replica, depth: int) -> None:
    store, updater, rpc, discovered = _store(replica)
    fork_point = raw_rpc(replica.url, "evm_snapshot")
    trader = replica.w3.eth.accounts[6]
    for seed in range(depth):  # the branch that will be abandoned
        _trade(replica, trader, seed)
    updater.catch_up()
    abandoned_head = store.head
    raw_rpc(replica.url, "evm_revert", [fork_point])
    raw_rpc(replica.url, "anvil_setBlockTimestampInterval", [3])  # the new branch's blocks hash differently
    for seed in range(depth + 1):  # a longer, different branch
        _trade(replica, replica.w3.eth.accounts[7], seed + 10)
    raw_rpc(replica.url, "anvil_removeBlockTimestampInterval")
    updater.catch_up()
    assert updater.reorgs == [depth]
    assert store.head.hash != abandoned_head.hash
    _assert_equal_to_fresh_sync(store, rpc, discovered)


def test_reorg_deeper_than_the_undo_window_is_refused(replica: Replica) -> None:
    _, updater, _, _ = _store(replica, max_undo=2)
    fork_point = raw_rpc(replica.url, "evm_snapshot")
    for seed in range(3):
        _trade(replica, replica.w3.eth.accounts[8], seed)
    updater.catch_up()
    raw_rpc(replica.url, "evm_revert", [fork_point])
    raw_rpc(replica.url, "anvil_setBlockTimestampInterval", [5])
    for seed in range(4):
        _trade(replica, replica.w3.eth.accounts[9], seed)
    raw_rpc(replica.url, "anvil_removeBlockTimestampInterval")
    with pytest.raises(ReorgTooDeep):
        updater.catch_up()


def test_malformed_log_drops_the_pool_instead_of_guessing() -> None:
    from arbbot.state.events import SYNC
    from arbbot.state.store import BlockRef

    pool = UniswapV2Pool("0xAa00000000000000000000000000000000000001", "0xt0", "0xt1", 100, 200)
    store = PoolStore([pool], BlockRef(10, "0xa", "0x9"))
    truncated = {"address": pool.address, "topics": [SYNC], "data": "0x" + "00" * 40}
    assert store.apply_block(BlockRef(11, "0xb", "0xa"), [truncated]) == set()
    assert store.get(pool.address) is None and store.skipped_logs == 1
    store.rollback_to(10)
    assert store.get(pool.address) == pool  # undo brings it back


def test_a_block_replaced_at_the_store_head_is_rolled_back_when_announced(replica: Replica) -> None:
    """A same-height replacement announces no new height: the announced hash alone shows the store is stale."""
    store, updater, rpc, discovered = _store(replica)
    fork_point = raw_rpc(replica.url, "evm_snapshot")
    _trade(replica, replica.w3.eth.accounts[6], 1)
    updater.catch_up()
    replaced = store.head
    raw_rpc(replica.url, "evm_revert", [fork_point])
    raw_rpc(replica.url, "anvil_setBlockTimestampInterval", [5])
    _trade(replica, replica.w3.eth.accounts[7], 2)  # same height, other trades
    raw_rpc(replica.url, "anvil_removeBlockTimestampInterval")
    now = block_ref(rpc, replaced.number)
    assert now.hash != replaced.hash
    assert updater.catch_up(replaced.number) == set()  # by height alone nothing is new
    assert store.head.hash == replaced.hash
    changed = updater.catch_up(now.number, now.hash)
    assert changed
    assert updater.reorgs == [1]
    _assert_equal_to_fresh_sync(store, rpc, discovered)


def test_an_announced_hash_the_store_already_has_changes_nothing(replica: Replica) -> None:
    store, updater, _, _ = _store(replica)
    _trade(replica, replica.w3.eth.accounts[6], 3)
    updater.catch_up()
    head = store.head
    assert updater.catch_up(head.number, head.hash.upper().replace("0X", "0x")) == set()
    assert updater.reorgs == []
    assert store.head == head
