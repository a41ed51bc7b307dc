"""Uniswap V3 SwapRouter (and forks with its ABI), including one swap inside `multicall` (pure)."""

from __future__ import annotations

from eth_abi import decode
from eth_utils import to_checksum_address

from arbbot.strategy.mempool.common import selector, v3_path
from arbbot.strategy.mempool.types import PendingSwap, SwapLeg

KIND = "uniswap_v3_swaprouter"
_IN_SINGLE = selector("exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))")
_IN = selector("exactInput((bytes,address,uint256,uint256,uint256))")
_OUT_SINGLE = selector("exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))")
_OUT = selector("exactOutput((bytes,address,uint256,uint256,uint256))")
_MULTICALL = selector("multicall(bytes[])")


def decode_swaprouter(data: bytes, nested: bool = False) -> PendingSwap | None:
    """The swap a SwapRouter call makes (`exactInput`/`exactOutput` and their single-pool forms, or one of them inside
    `multicall`); `None` for anything else.

    An `exactOutput` path is reversed so the legs run from the input token.
    """
    sel, body = data[:4], data[4:]
    if sel in (_IN_SINGLE, _OUT_SINGLE):
        ((tin, tout, fee, _r, deadline, amount, limit, _sqrt),) = decode(
            ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"], body
        )
        leg = SwapLeg(to_checksum_address(tin), to_checksum_address(tout), int(fee))
        return PendingSwap(KIND, sel == _IN_SINGLE, int(amount), int(limit), (leg,), int(deadline))
    if sel in (_IN, _OUT):
        ((path, _r, deadline, amount, limit),) = decode(["(bytes,address,uint256,uint256,uint256)"], body)
        legs = v3_path(bytes(path))
        if legs is None:
            return None
        if sel == _OUT:  # exactOutput's path runs from tokenOut back to tokenIn
            legs = tuple(SwapLeg(g.token_out, g.token_in, g.fee) for g in reversed(legs))
        return PendingSwap(KIND, sel == _IN, int(amount), int(limit), legs, int(deadline))
    if sel == _MULTICALL and not nested:
        (calls,) = decode(["bytes[]"], body)
        swaps = [s for c in calls if (s := decode_swaprouter(bytes(c), nested=True)) is not None]
        return swaps[0] if len(swaps) == 1 else None  # several swaps in one call: not modelled
    return None
