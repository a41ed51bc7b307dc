"""Pending-swap decoding for V2 Router02 and V3 SwapRouter calldata; garbage is None, never an exception."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from arbbot.strategy.mempool import PendingSwap, decode_swap

ROUTER2 = "0x" + "11" * 20
ROUTER3 = "0x" + "22" * 20
ROUTERS = {ROUTER2: "uniswap_v2_router02", ROUTER3: "uniswap_v3_swaprouter"}
A, B, C = ("0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40)
TO = "0x" + "d" * 40


def _one(tx: dict, routers: dict[str, str] = ROUTERS) -> PendingSwap | None:
    """The single swap Router02 and SwapRouter calls make (they decode to a one-swap tuple)."""
    swaps = decode_swap(tx, routers)
    if swaps is None:
        return None
    assert len(swaps) == 1
    return swaps[0]


def _call(sig: str, types: list[str], args: list[object]) -> str:
    return "0x" + (keccak(text=sig)[:4] + encode(types, args)).hex()


def test_v2_exact_tokens_for_tokens() -> None:
    data = _call(
        "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
        ["uint256", "uint256", "address[]", "address", "uint256"], [10**18, 5, [A, B, C], TO, 99],
    )  # fmt: skip
    swap = _one({"to": ROUTER2, "input": data, "value": "0x0"}, ROUTERS)
    assert swap is not None and swap.exact_in and swap.amount == 10**18 and swap.limit == 5
    assert [(leg.token_in.lower(), leg.token_out.lower()) for leg in swap.legs] == [(A, B), (B, C)]


def test_v2_eth_in_takes_the_value() -> None:
    data = _call("swapExactETHForTokens(uint256,address[],address,uint256)",
                 ["uint256", "address[]", "address", "uint256"], [7, [A, B], TO, 99])  # fmt: skip
    swap = _one({"to": ROUTER2.upper().replace("0X", "0x"), "input": data, "value": hex(3 * 10**18)}, ROUTERS)
    assert swap is not None and swap.exact_in and swap.amount == 3 * 10**18 and swap.limit == 7
    data = _call("swapETHForExactTokens(uint256,address[],address,uint256)",
                 ["uint256", "address[]", "address", "uint256"], [500, [A, B], TO, 99])  # fmt: skip
    swap = _one({"to": ROUTER2, "input": data, "value": hex(10**18)}, ROUTERS)
    assert swap is not None and not swap.exact_in and swap.amount == 500 and swap.limit == 10**18


def test_v3_single_and_path_and_exact_output_reversed() -> None:
    single = _call(
        "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
        ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"], [(A, B, 500, TO, 99, 10**6, 1, 0)],
    )  # fmt: skip
    swap = _one({"to": ROUTER3, "input": single}, ROUTERS)
    assert swap is not None and swap.legs[0].fee == 500 and swap.amount == 10**6
    path = bytes.fromhex(A[2:]) + (3000).to_bytes(3, "big") + bytes.fromhex(B[2:]) + (500).to_bytes(3, "big")
    path += bytes.fromhex(C[2:])
    out = _call("exactOutput((bytes,address,uint256,uint256,uint256))",
                ["(bytes,address,uint256,uint256,uint256)"], [(path, TO, 99, 42, 10**9)])  # fmt: skip
    swap = _one({"to": ROUTER3, "input": out}, ROUTERS)
    assert swap is not None and not swap.exact_in and swap.amount == 42 and swap.limit == 10**9
    # exactOutput's path is written output-first: the swap runs C -> B (fee 500) -> A (fee 3000).
    assert [(leg.token_in.lower(), leg.token_out.lower(), leg.fee) for leg in swap.legs] == [
        (C, B, 500), (B, A, 3000),
    ]  # fmt: skip
    multicall = _call("multicall(bytes[])", ["bytes[]"], [[bytes.fromhex(single[2:])]])
    assert decode_swap({"to": ROUTER3, "input": multicall}, ROUTERS) == decode_swap(
        {"to": ROUTER3, "input": single}, ROUTERS
    )


def test_other_targets_and_unknown_selectors_are_ignored() -> None:
    assert decode_swap({"to": TO, "input": "0x12345678"}, ROUTERS) is None
    assert decode_swap({"to": ROUTER2, "input": "0x12345678"}, ROUTERS) is None
    assert decode_swap({"to": None, "input": "0x"}, ROUTERS) is None
    assert decode_swap({"to": ROUTER2, "input": "0xzz"}, ROUTERS) is None


@given(st.binary(max_size=400), st.sampled_from([ROUTER2, ROUTER3]))
def test_garbage_calldata_never_raises(data: bytes, router: str) -> None:
    selectors = [keccak(text="swapExactTokensForTokens(uint256,uint256,address[],address,uint256)")[:4],
                 keccak(text="exactInput((bytes,address,uint256,uint256,uint256))")[:4], b""]  # fmt: skip
    for sel in selectors:
        decode_swap({"to": router, "input": "0x" + (sel + data).hex(), "value": "0x1"}, ROUTERS)
