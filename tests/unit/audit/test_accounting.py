"""Trade accounting: flows, per-token profit, ETH valuation, coinbase payments from a call trace."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from arbbot.audit import accounting
from arbbot.audit.types import Swap, Transfer
from arbbot.execution.route import Capital, Hop, Route

WETH, USDC, EXEC, POOL, OTHER = ("0x" + c * 40 for c in "abcde")
ZERO = "0x" + "00" * 20


def test_flows_and_net_by_token() -> None:
    ts = [
        Transfer(WETH, POOL, EXEC, 100, 0),
        Transfer(WETH, EXEC, POOL, 60, 1),
        Transfer(USDC, EXEC, OTHER, 5, 2),
        Transfer(WETH, EXEC, EXEC, 999, 3),  # to itself: moves nothing
        Transfer(WETH, OTHER, POOL, 7, 4),  # not ours
    ]
    received, sent = accounting.flows(ts, EXEC.upper().replace("0X", "0x"))
    assert received == {WETH: 100} and sent == {WETH: 60, USDC: 5}
    assert accounting.net_by_token(received, sent) == {USDC: -5, WETH: 40}


def test_value_in_eth_is_exact_or_says_what_is_missing() -> None:
    assert accounting.value_in_eth({WETH: 10**30 + 1}, WETH) == (10**30 + 1, [])
    # 3000 USDC (6 decimals) per ETH, as (wei, per units); one unit is 333333333.33 wei, cut toward zero.
    price = {USDC: (10**18, 3000 * 10**6)}
    assert accounting.value_in_eth({WETH: 5, USDC: 3000 * 10**6 + 1}, WETH, price) == (10**18 + 333333333 + 5, [])
    assert accounting.value_in_eth({USDC: -1}, WETH, price) == (-333333333, [])
    assert accounting.value_in_eth({WETH: 5, USDC: 7}, WETH) == (None, [USDC])
    assert accounting.value_in_eth({USDC: 0}, None) == (0, [])


def test_coinbase_payments_skip_failed_frames() -> None:
    cb = "0x" + "c0de".rjust(40, "0")
    cb_upper = "0x" + cb[2:].upper()
    frame = {
        "type": "CALL",
        "to": EXEC,
        "value": "0x0",
        "calls": [
            {"type": "CALL", "to": cb, "value": "0x64"},
            {"type": "STATICCALL", "to": cb, "value": "0x5"},
            {
                "type": "CALL",
                "to": OTHER,
                "error": "execution reverted",
                "calls": [{"type": "CALL", "to": cb, "value": "0x1000"}],
            },
            {"type": "DELEGATECALL", "to": OTHER, "calls": [{"type": "CALL", "to": cb_upper, "value": "0x1"}]},
        ],
    }
    assert accounting.coinbase_payments(frame, cb) == 101
    assert accounting.coinbase_payments({**frame, "error": "out of gas"}, cb) == 0


def test_priority_fees() -> None:
    receipts = [{"effectiveGasPrice": hex(12), "gasUsed": hex(100)}, {"effectiveGasPrice": hex(10), "gasUsed": hex(7)}]
    assert accounting.priority_fees(receipts, 10) == 200


def test_route_mismatches() -> None:
    route = Route(
        Capital.BALANCER, OTHER, WETH, 100, 0, 0, (Hop(POOL, USDC, False, True), Hop(OTHER, WETH, True, False))
    )
    legs = [
        Swap(POOL, "uniswap_v2", WETH, USDC, 100, 5, OTHER, 0),
        Swap(OTHER, "uniswap_v3", USDC, WETH, 5, 101, EXEC, 1),
    ]
    assert accounting.route_mismatches(route, legs) == []
    wrong = [Swap(OTHER, "uniswap_v2", WETH, USDC, 90, 5, OTHER, 0), legs[1]]
    notes = accounting.route_mismatches(route, wrong)
    assert any("hop 0: route pool" in n for n in notes) and any("first swap took 90" in n for n in notes)
    assert accounting.route_mismatches(route, legs[:1]) == ["route asked for 2 hops, 1 swaps happened"]


def _pool_id(c0: str, c1: str, fee: int, spacing: int, hooks: str) -> str:
    """keccak256(abi.encode(PoolKey)), written out here rather than taken from the code under test."""
    return (
        "0x" + keccak(encode(["address", "address", "uint24", "int24", "address"], [c0, c1, fee, spacing, hooks])).hex()
    )


def test_v4_hops_are_named_by_pool_id_with_native_ether_as_weth() -> None:
    hooks = "0x" + "00" * 18 + "10c0"
    native = Hop(ZERO, USDC, False, True, 30, True, True, 500, 10)  # WETH (as ether) -> USDC, hookless
    hooked = Hop(hooks, WETH, False, False, 30, True, False, 3000, 60)  # USDC -> WETH (the ERC-20)
    route = Route(Capital.POOL_MANAGER, OTHER, WETH, 100, 0, 0, (native, hooked))
    native_id = _pool_id(ZERO, USDC, 500, 10, ZERO)
    hooked_id = _pool_id(WETH, USDC, 3000, 60, hooks)  # 0xaa.. < 0xbb..
    assert accounting.v4_pools(route, WETH) == {native_id: (WETH, USDC), hooked_id: (WETH, USDC)}
    legs = [
        Swap(native_id, "uniswap_v4", WETH, USDC, 100, 5, EXEC, 0),
        Swap(hooked_id, "uniswap_v4", USDC, WETH, 5, 101, EXEC, 1),
    ]
    assert accounting.route_mismatches(route, legs, WETH) == []
    assert accounting.route_mismatches(route, legs[::-1], WETH)[0].startswith(f"hop 0: route pool {native_id}")
    assert accounting.v4_pools(route, None) == {hooked_id: (WETH, USDC)}  # native side unknown without WETH


def test_first_hop_flash_swap_logs_its_swap_last() -> None:
    route = Route(
        Capital.FIRST_HOP, ZERO, WETH, 100, 0, 0, (Hop(POOL, USDC, False, True), Hop(OTHER, WETH, False, False))
    )
    logged = [
        Swap(OTHER, "uniswap_v2", USDC, WETH, 5, 101, EXEC, 0),
        Swap(POOL, "uniswap_v2", WETH, USDC, 100, 5, OTHER, 1),
    ]
    ordered = accounting.in_route_order(route, logged)
    assert ordered == logged[::-1] and accounting.route_mismatches(route, ordered) == []
    balancer = Route(Capital.BALANCER, OTHER, WETH, 100, 0, 0, route.hops)
    assert accounting.in_route_order(balancer, logged) == logged


def test_balancer_hops_are_named_by_pool_id_and_their_vault() -> None:
    pool_id = "0x" + "AB" * 32
    bal = Hop(OTHER, USDC, False, True, balancer=True, pool_id="0x" + "ab" * 32)  # OTHER: the Vault
    route = Route(Capital.OWN, ZERO, WETH, 100, 0, 0, (bal, Hop(POOL, WETH, False, False)))
    assert accounting.balancer_pools(route) == {pool_id.lower(): OTHER}
    legs = [
        Swap(pool_id.lower(), "balancer_v2", WETH, USDC, 100, 5, ZERO, 0),
        Swap(POOL, "uniswap_v2", USDC, WETH, 5, 101, EXEC, 1),
    ]
    assert accounting.route_mismatches(route, legs) == []
    wrong = [Swap("0x" + "cd" * 32, "balancer_v2", WETH, USDC, 100, 5, ZERO, 0), legs[1]]
    expected = f"hop 0: route pool {pool_id.lower()}, swap in {wrong[0].pool}"
    assert accounting.route_mismatches(route, wrong) == [expected]
    assert accounting.balancer_pools(Route(Capital.OWN, ZERO, WETH, 1, 0, 0, route.hops[1:] * 2)) == {}
