"""UniversalRouter 2.x V4 swaps: the calldata the replica's traffic sends decodes back into the swap, pool
ids agree with the off-chain PoolKey hash, and what is not modelled is refused (None), never guessed."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from arbbot.chain.addresses import v4_pool_id as chain_pool_id
from arbbot.devnet.universal_router import PoolKey, v4_exact_in, v4_exact_in_single
from arbbot.strategy.mempool import decode_swap, v4_pool_id

UR = "0x" + "7a" * 20
ETH, USDC, DAI = "0x" + "00" * 20, "0x" + "a0" * 20, "0x" + "d1" * 20
HOOKS = "0x" + "00" * 18 + "10" + "00"
EXECUTE = keccak(text="execute(bytes,bytes[],uint256)")[:4]


def _tx(commands: bytes, inputs: list[bytes], value: int = 0, deadline: int = 2**40) -> dict:
    data = EXECUTE + encode(["bytes", "bytes[]", "uint256"], [commands, inputs, deadline])
    return {"to": UR, "input": "0x" + data.hex(), "value": value}


def test_exact_in_single_round_trips_with_its_pool_id() -> None:
    key = PoolKey(ETH, USDC, 500, 10, HOOKS)
    for zero_for_one, (tin, tout) in ((True, (ETH, USDC)), (False, (USDC, ETH))):
        call = v4_exact_in_single(key, zero_for_one, 5 * 10**18, 123)
        swap = decode_swap(_tx(call.commands, call.inputs, call.value), {UR: "universal_router"})
        assert swap is not None and swap.exact_in and swap.amount == 5 * 10**18 and swap.limit == 123
        (leg,) = swap.legs
        assert (leg.token_in.lower(), leg.token_out.lower(), leg.fee) == (tin, tout, 500)
        assert leg.pool_id == chain_pool_id(ETH, USDC, 500, 10, HOOKS) == v4_pool_id(USDC, ETH, 500, 10, HOOKS)
        assert swap.deadline == 2**40


def test_exact_in_multi_hop_names_every_pool() -> None:
    path = [(USDC, 500, 10, HOOKS), (DAI, 100, 1, ETH)]
    call = v4_exact_in(ETH, path, 10**18, 7)
    swap = decode_swap(_tx(call.commands, call.inputs, call.value), {UR: "universal_router"})
    assert swap is not None and [(g.token_in.lower(), g.token_out.lower()) for g in swap.legs] == [
        (ETH, USDC), (USDC, DAI),
    ]  # fmt: skip
    assert [g.pool_id for g in swap.legs] == [
        chain_pool_id(ETH, USDC, 500, 10, HOOKS), chain_pool_id(USDC, DAI, 100, 1, ETH),
    ]  # fmt: skip


def test_what_is_not_modelled_is_refused() -> None:
    call = v4_exact_in_single(PoolKey(ETH, USDC, 500, 10), True, 10**18, 0)
    routers = {UR: "universal_router"}
    assert decode_swap(_tx(call.commands * 2, call.inputs * 2), routers) is None  # two swaps in one call
    v3_swap = bytes([0x00])  # V3_SWAP_EXACT_IN through the router: other pools' state would move
    assert decode_swap(_tx(call.commands + v3_swap, [*call.inputs, b"\x00" * 32]), routers) is None
    open_delta = v4_exact_in_single(PoolKey(ETH, USDC, 500, 10), True, 0, 0)  # amount 0: "whatever is owed"
    assert decode_swap(_tx(open_delta.commands, open_delta.inputs), routers) is None
    assert decode_swap(_tx(bytes([0x10]), [b"\x01\x02"]), routers) is None  # garbage plan
    assert decode_swap({"to": UR, "input": "0xdeadbeef"}, routers) is None
    wrapped = bytes([0x10 | 0x80])  # allow-revert flag: still the V4 swap
    assert decode_swap(_tx(wrapped, call.inputs), routers) is not None
