"""Uniswap V2 Router02 (and forks with its ABI): one swap per transaction (pure)."""

from __future__ import annotations

from eth_abi import decode

from arbbot.strategy.mempool.common import legs_from_path, selector
from arbbot.strategy.mempool.types import PendingSwap

KIND = "uniswap_v2_router02"
_FIVE = ["uint256", "uint256", "address[]", "address", "uint256"]
_ETH_IN = ["uint256", "address[]", "address", "uint256"]
# selector -> (argument types, exact_in, takes ETH as value)
_SWAPS: dict[bytes, tuple[list[str], bool, bool]] = {
    selector("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"): (_FIVE, True, False),
    selector("swapTokensForExactTokens(uint256,uint256,address[],address,uint256)"): (_FIVE, False, False),
    selector("swapExactETHForTokens(uint256,address[],address,uint256)"): (_ETH_IN, True, True),
    selector("swapTokensForExactETH(uint256,uint256,address[],address,uint256)"): (_FIVE, False, False),
    selector("swapExactTokensForETH(uint256,uint256,address[],address,uint256)"): (_FIVE, True, False),
    selector("swapETHForExactTokens(uint256,address[],address,uint256)"): (_ETH_IN, False, True),
}


def decode_router02(data: bytes, value: int) -> PendingSwap | None:
    """The swap a Router02 call makes, with the ETH `value` as input (or input cap) for the ETH-in functions.

    `None` for a selector that is not a swap or a path shorter than two tokens; malformed arguments raise (the
    caller, `decode_swap`, turns that into `None`).
    """
    spec = _SWAPS.get(data[:4])
    if spec is None:
        return None
    types, exact_in, eth_in = spec
    args = decode(types, data[4:])
    if eth_in:  # the ETH sent is the input (exact-in) or the input cap (exact-out)
        amount_or_out, path, _to, deadline = args
        amount, limit = (value, amount_or_out) if exact_in else (amount_or_out, value)
    else:
        amount, limit, path, _to, deadline = args
    if len(path) < 2:
        return None
    return PendingSwap(KIND, exact_in, int(amount), int(limit), legs_from_path(path), int(deadline))
