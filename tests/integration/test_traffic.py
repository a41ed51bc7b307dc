"""Seeded user traffic: real Router02 / SwapRouter swaps that land and move exactly the amounts signed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arbbot.chain.anvil import rpc
from arbbot.devnet.traffic import ERC20_ABI, BalancerLeg, Traffic, _settled, scenario_prices, send_all
from arbbot.errors import DevnetError
from tests.conftest import Replica


def _traffic(r: Replica, seed: int = 7) -> Traffic:
    return Traffic(r.w3, r.manifest, scenario_prices(r.manifest), seed=seed, users=2)


@pytest.mark.replica
def test_swaps_land_and_move_exact_amounts(replica: Replica) -> None:
    t = _traffic(replica)
    t.fund()
    swaps = t.next_swaps(6)
    assert {s.pool.kind for s in swaps} <= {"uniswap_v2", "uniswap_v3"}
    for s in swaps:
        token_in = replica.w3.eth.contract(address=replica.manifest.token(s.token_in).address, abi=ERC20_ABI)
        before = token_in.functions.balanceOf(s.sender).call()
        (h,) = send_all(replica.w3, [s])
        assert h == s.tx_hash
        assert replica.w3.eth.wait_for_transaction_receipt(h, timeout=10)["status"] == 1
        assert token_in.functions.balanceOf(s.sender).call() == before - s.amount_in


@pytest.mark.replica
def test_same_seed_same_swaps(replica: Replica) -> None:
    snap = rpc(replica.url, "evm_snapshot")
    a = _traffic(replica, seed=3)
    a.fund()
    first = [s.raw_tx for s in a.next_swaps(4)]
    rpc(replica.url, "evm_revert", [snap])
    b = _traffic(replica, seed=3)
    b.fund()
    assert [s.raw_tx for s in b.next_swaps(4)] == first


def test_bad_parameters_are_named(replica_session: Replica) -> None:
    with pytest.raises(DevnetError, match="users: need at least 1, got 0"):
        Traffic(replica_session.w3, replica_session.manifest, {}, seed=1, users=0)
    t = Traffic(replica_session.w3, replica_session.manifest, {}, seed=1, users=1)
    with pytest.raises(DevnetError, match="prices_eth: no positive price"):
        t.next_swaps(1)


@pytest.mark.replica
def test_a_receipt_from_a_rolled_back_block_is_not_trusted(replica: Replica) -> None:
    """A builder's trial block shows a receipt for a moment and is rolled back: traffic waits for a block built
    on the receipt's block (or, on an automining node, for the block being the chain's) before it moves on."""
    w3 = replica.w3
    t = _traffic(replica)
    t.fund()
    (swap,) = t.next_swaps(1)
    rpc(replica.url, "evm_setAutomine", [False])
    try:
        send_all(w3, [swap])
        snap = rpc(replica.url, "evm_snapshot")
        rpc(replica.url, "evm_mine")
        trial = w3.eth.get_transaction_receipt(swap.tx_hash)
        assert not _settled(w3, trial)  # the head: a trial until something is built on it
        rpc(replica.url, "evm_revert", [snap])
        assert not _settled(w3, trial)  # its block is gone
        rpc(replica.url, "anvil_dropAllTransactions")
        send_all(w3, [swap])
        rpc(replica.url, "evm_mine")
        real = w3.eth.get_transaction_receipt(swap.tx_hash)
        assert not _settled(w3, real)
        rpc(replica.url, "evm_mine")
        assert _settled(w3, real)
    finally:
        rpc(replica.url, "evm_setAutomine", [True])
    assert _settled(w3, real)
    (again,) = t.next_swaps(1)
    (h,) = send_all(w3, [again])
    assert _settled(w3, w3.eth.wait_for_transaction_receipt(h, timeout=10))  # automine: its block is final


@pytest.mark.replica
def test_balancer_traffic_trades_every_pair_through_the_vault(replica: Replica) -> None:
    """With `balancer=True` users also swap through the real Vault, on every pair of each Balancer pool; each swap
    lands and moves exactly the amount signed in, and what the pool paid out arrives. Off by default: the same seed
    then signs the same swaps as before."""
    m = replica.manifest
    assert m.balancer_pools, "the default replica has Balancer pools"
    off = _traffic(replica, seed=11)
    assert off.legs == off.pools and not any(isinstance(leg, BalancerLeg) for leg in off.legs)
    plain = [s.raw_tx for s in off.next_swaps(3)]
    rpc_snap = rpc(replica.url, "evm_snapshot")
    t = Traffic(replica.w3, m, scenario_prices(m), seed=11, users=2, balancer=True)
    legs = [leg for leg in t.legs if isinstance(leg, BalancerLeg)]
    pairs = {(leg.entry.pool_id, leg.token0, leg.token1) for leg in legs}
    expected = {(e.pool_id, a, b) for e in m.balancer_pools for n, a in enumerate(e.tokens) for b in e.tokens[n + 1 :]}
    assert pairs == expected
    t.fund()
    for leg in legs:
        for token_in, token_out in ((leg.token0, leg.token1), (leg.token1, leg.token0)):
            user = t.accounts[0]
            s = t.swap(user.key.to_0x_hex(), leg, token_in, token_out, t.amount_for(token_in, Decimal(1)))
            tin = replica.w3.eth.contract(address=m.token(token_in).address, abi=ERC20_ABI)
            tout = replica.w3.eth.contract(address=m.token(token_out).address, abi=ERC20_ABI)
            before_in, before_out = (
                tin.functions.balanceOf(user.address).call(),
                tout.functions.balanceOf(user.address).call(),
            )
            (h,) = send_all(replica.w3, [s])
            assert replica.w3.eth.wait_for_transaction_receipt(h, timeout=10)["status"] == 1
            assert tin.functions.balanceOf(user.address).call() == before_in - s.amount_in
            assert tout.functions.balanceOf(user.address).call() > before_out
    rpc(replica.url, "evm_revert", [rpc_snap])
    assert [s.raw_tx for s in _traffic(replica, seed=11).next_swaps(3)] == plain


@pytest.mark.replica
def test_within_holdings_every_swap_is_one_its_user_can_pay(replica: Replica) -> None:
    """Swaps far larger than what users hold: without the option most would revert (the user lacks the input);
    with it, each is sized to the signer's holding when signed, and every one lands paying exactly its amount."""
    snap = rpc(replica.url, "evm_snapshot")
    try:
        prices = scenario_prices(replica.manifest)
        big = dict(min_eth=Decimal(2_000), max_eth=Decimal(4_000))
        t = Traffic(replica.w3, replica.manifest, prices, seed=11, users=2, within_holdings=True, **big)
        t.fund(eth_per_token=Decimal(100))
        plain = Traffic(replica.w3, replica.manifest, prices, seed=11, users=2, **big)
        drawn = plain.next_swaps(8)  # the same seed's draws, unsized
        held = []
        for _ in range(8):
            (s,) = t.next_swaps(1)
            token_in = replica.w3.eth.contract(address=replica.manifest.token(s.token_in).address, abi=ERC20_ABI)
            before = token_in.functions.balanceOf(s.sender).call()
            assert 0 < s.amount_in <= before
            (h,) = send_all(replica.w3, [s])
            assert replica.w3.eth.wait_for_transaction_receipt(h, timeout=10)["status"] == 1
            assert token_in.functions.balanceOf(s.sender).call() == before - s.amount_in
            held.append(s)
        assert [s.amount_in for s in held] != [s.amount_in for s in drawn]  # the sizing did change something
    finally:
        assert rpc(replica.url, "evm_revert", [snap]) is True
