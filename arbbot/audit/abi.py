"""Event and error layouts the audit decodes: ERC-20 / WETH, Uniswap V2/V3/V4 and PancakeSwap V3 swaps, flash loans and
the executor's own event and custom errors. Pure decoding, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from arbbot.chain import pool_events
from arbbot.chain.executed import EXECUTED_TOPIC_HEX
from arbbot.chain.revert import EXECUTOR_ERRORS, decode_revert


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


TRANSFER = topic("Transfer(address,address,uint256)")
WETH_DEPOSIT = topic("Deposit(address,uint256)")
WETH_WITHDRAWAL = topic("Withdrawal(address,uint256)")
# Pool and lender events: decoded only by arbbot.chain.pool_events (their one decoder); the topics are its.
V2_SWAP = pool_events.V2Swap.TOPIC
V3_SWAP = pool_events.V3Swap.TOPIC
# PancakeSwap V3: the V3 layout plus the protocol fees of each token.
PANCAKE_V3_SWAP = pool_events.PancakeV3Swap.TOPIC
# Uniswap V4: emitted by the PoolManager, the pool named by its id; amounts from the swapper's side.
V4_SWAP = pool_events.V4Swap.TOPIC
BALANCER_FLASH_LOAN = pool_events.BalancerFlashLoan.TOPIC
V3_FLASH = pool_events.V3Flash.TOPIC
AAVE_FLASH_LOAN = pool_events.AaveFlashLoan.TOPIC
EXECUTED = EXECUTED_TOPIC_HEX  # decoded only by arbbot.chain.executed
EXECUTE_SELECTOR = selector("execute(bytes)")

# The executor's errors and the one revert decoder live beside the chain helpers (arbbot.chain.revert).
__all__ = ["EXECUTOR_ERRORS", "decode_revert"]


def errors_from_abi(contract_abi: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Error signatures declared in a contract ABI (to decode the reverts of another executor build)."""
    return tuple(
        f"{e['name']}({','.join(i['type'] for i in e.get('inputs', []))})"
        for e in contract_abi
        if e.get("type") == "error"
    )


@dataclass(frozen=True)
class Log:
    address: str  # checksummed emitter
    topics: tuple[str, ...]  # 0x-prefixed lower-case hex
    data: bytes
    index: int


def parse_log(raw: Mapping[str, Any]) -> Log:
    """A JSON-RPC log object (as in a receipt) into a Log."""
    data = raw.get("data") or "0x"
    return Log(
        address=to_checksum_address(raw["address"]),
        topics=tuple(str(t).lower() for t in raw.get("topics") or ()),
        data=bytes.fromhex(data[2:]),
        index=int(raw.get("logIndex", "0x0"), 16)
        if isinstance(raw.get("logIndex"), str)
        else int(raw.get("logIndex") or 0),
    )


def topic_address(t: str) -> str:
    return to_checksum_address("0x" + t[-40:])


def words(data: bytes, types: Sequence[str]) -> tuple[Any, ...]:
    return tuple(abi_decode(list(types), data))
