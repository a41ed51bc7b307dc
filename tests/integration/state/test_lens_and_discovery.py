"""Batch reads and factory discovery against the real replica bytecode."""

from __future__ import annotations

import pytest

from arbbot.chain.rpc import RetryPolicy, RpcClient, RpcTransportError
from arbbot.devnet import artifacts
from arbbot.state import lens
from arbbot.state.discovery import RangeSizer, scan_factory
from arbbot.testing.fault_proxy import FaultProxy, Faults
from tests.conftest import Replica

DEAD = "0x000000000000000000000000000000000000dEaD"


def test_v2_batch_read_equals_get_reserves(replica: Replica) -> None:
    rpc = RpcClient(replica.url)
    pairs = [p.address for p in replica.manifest.pools if p.kind == "uniswap_v2"]
    got = lens.read_v2(rpc, [*pairs, DEAD])
    assert got[DEAD] is None  # a non-pair never fails the batch
    abi = artifacts.load("UniswapV2Pair").abi
    for pair in pairs:
        r0, r1, ts = replica.w3.eth.contract(address=pair, abi=abi).functions.getReserves().call()
        assert got[pair] == lens.V2Reserves(r0, r1, ts)
    assert rpc.requests_sent == 1


@pytest.mark.parametrize("state_override", [True, False], ids=["slot-reads", "getter-calls"])
def test_v3_batch_read_equals_the_pool_getters(
    replica: Replica, state_override: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rpc = RpcClient(replica.url)
    assert lens.supports_state_override(rpc)  # anvil honours eth_call state overrides
    if not state_override:  # a node without overrides takes the tickBitmap() path
        monkeypatch.setattr(lens, "supports_state_override", lambda *_: False)
    pools = [p.address for p in replica.manifest.pools if p.kind == "uniswap_v3"]
    got = lens.read_v3(rpc, [*pools, DEAD])
    assert got[DEAD] is None
    abi = artifacts.load("UniswapV3Pool").abi
    for address in pools:
        snap = got[address]
        assert snap is not None
        c = replica.w3.eth.contract(address=address, abi=abi)
        slot0 = c.functions.slot0().call()
        assert (snap.sqrt_price_x96, snap.tick) == (slot0[0], slot0[1])
        assert snap.liquidity == c.functions.liquidity().call()
        assert snap.tick_spacing == c.functions.tickSpacing().call()
        lo, hi = lens.word_range(snap.tick_spacing)
        for word_pos in range(lo, hi + 1):  # every word, zero or not, must agree
            assert snap.bitmap.get(word_pos, 0) == c.functions.tickBitmap(word_pos).call()
        assert len(snap.ticks) >= 4
        for tick, (gross, net) in snap.ticks.items():
            info = c.functions.ticks(tick).call()
            assert (gross, net) == (info[0], info[1])
            assert info[7]  # initialized


def test_discovery_finds_every_manifest_pool(replica: Replica) -> None:
    rpc = RpcClient(replica.url)
    head = rpc.block_number()
    m = replica.manifest
    found = {}
    for venue, entry in m.venues.items():
        ends = [
            end
            for end, pools in scan_factory(rpc, entry.factory, entry.kind, 0, head, sizer=RangeSizer(size=7))
            for _ in [found.update({p.address: (venue, p) for p in pools})]
        ]
        assert ends == sorted(set(ends)) and ends[-1] == head  # chunks in block order, up to the head
    assert set(found) == {p.address for p in m.pools}
    for pool in m.pools:
        venue, d = found[pool.address]
        assert venue == pool.venue
        assert (d.token0, d.token1) == (m.token(pool.token0).address, m.token(pool.token1).address)
        if pool.kind == "uniswap_v3":
            assert (d.fee, d.tick_spacing) == (pool.fee, pool.tick_spacing)


def test_discovery_shrinks_ranges_the_node_refuses_and_survives_flaky_transport(replica: Replica) -> None:
    m = replica.manifest
    v2 = m.venues["uniswap_v2"]
    faults = Faults(max_log_range=16, http_429=2, garbage=1, truncated=1)
    with FaultProxy(replica.url, faults) as proxy:
        rpc = RpcClient(proxy.url, retry=RetryPolicy(attempts=6, base_delay=0.001))
        head = rpc.block_number()
        sizer = RangeSizer(size=1000)
        found = [p for _, pools in scan_factory(rpc, v2.factory, "uniswap_v2", 0, head, sizer=sizer) for p in pools]
    assert {p.address for p in found} == {p.address for p in m.pools if p.venue == "uniswap_v2"}
    assert sizer.shrinks >= 6  # 1000 -> 15 blocks: it learned the node's limit
    assert faults.http_429 == faults.garbage == faults.truncated == 0  # every fault was hit and survived


def test_transport_failure_after_retries_is_a_clear_error(replica: Replica) -> None:
    with FaultProxy(replica.url, Faults(http_429=10)) as proxy:
        rpc = RpcClient(proxy.url, retry=RetryPolicy(attempts=3, base_delay=0.001))
        with pytest.raises(RpcTransportError, match=r"eth_blockNumber .* failed after 3 attempts: HTTP 429"):
            rpc.block_number()


def test_range_sizer_shrinks_and_grows() -> None:
    s = RangeSizer(size=1000, minimum=1, maximum=4000)
    s.shrink()
    assert s.size == 500
    s.grow()
    s.grow()
    s.grow()
    assert s.size == 4000


def test_slow_answers_time_out_and_are_retried(replica: Replica) -> None:
    # The first two answers take longer than the client waits; the third comes in time.
    with FaultProxy(replica.url, Faults(delay_s=1.0, delay_count=2)) as proxy:
        rpc = RpcClient(proxy.url, timeout=0.3, retry=RetryPolicy(attempts=4, base_delay=0.001))
        pairs = [p.address for p in replica.manifest.pools if p.kind == "uniswap_v2"]
        got = lens.read_v2(rpc, pairs)
    assert all(r is not None and r.reserve0 > 0 for r in got.values())
    assert rpc.requests_sent == 3


def test_garbage_and_truncated_bodies_are_retried_for_batch_reads(replica: Replica) -> None:
    with FaultProxy(replica.url, Faults(garbage=1, truncated=1, http_503=1)) as proxy:
        rpc = RpcClient(proxy.url, retry=RetryPolicy(attempts=5, base_delay=0.001))
        states = lens.read_v3(rpc, [p.address for p in replica.manifest.pools if p.kind == "uniswap_v3"])
    assert all(s is not None and s.ticks for s in states.values())
