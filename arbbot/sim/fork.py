"""In-process fork simulation with pyrevm: state is read lazily from the node at one block.

Simulations run in the *next* block's environment (number + 1, the next base fee, the builder as
coinbase), because that is where a bundle would land. Checkpoints let one fork try many candidates.

Gas: pyrevm keeps EIP-2929 warm-access state across calls until a revert, so only the first call after
a clean checkpoint is charged exactly as a separate transaction would be. Results say so
(`gas_exact`); reads never warm anything (they run inside a checkpoint they revert). Sequences of
several transactions whose gas must be exact belong on an anvil fork.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pyrevm
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from arbbot.chain.revert import decode_revert
from arbbot.chain.rpc import RpcClient
from arbbot.errors import ArbbotError

_BALANCE_OF = keccak(text="balanceOf(address)")[:4]
# Checksumming costs a keccak per call; the same few contracts log over and over, so remember them.
_checksum = lru_cache(maxsize=65_536)(to_checksum_address)
DEFAULT_COINBASE = "0x000000000000000000000000000000000000c0DE"


class SimulationError(ArbbotError):
    """The simulation itself could not run (not a revert: that is a result)."""


@dataclass(frozen=True)
class SimLog:
    address: str
    topics: list[bytes]
    data: bytes


@dataclass(frozen=True)
class SimResult:
    success: bool
    output: bytes
    gas_used: int
    logs: list[SimLog] = field(default_factory=list)
    revert_reason: str = ""
    gas_exact: bool = True  # False: an earlier call in this checkpoint warmed state, gas is understated


def next_base_fee(base_fee: int, gas_used: int, gas_limit: int) -> int:
    """EIP-1559 base fee of the following block."""
    target = gas_limit // 2
    if target == 0 or gas_used == target:
        return base_fee
    if gas_used > target:
        return base_fee + max(1, base_fee * (gas_used - target) // target // 8)
    return base_fee - base_fee * (target - gas_used) // target // 8


class ForkSimulator:
    def __init__(self, rpc_url: str, block: int | None = None, coinbase: str = DEFAULT_COINBASE) -> None:
        rpc = RpcClient(rpc_url)
        header = rpc.call("eth_getBlockByNumber", [hex(block) if block is not None else "latest", False])
        if header is None:
            raise SimulationError(f"block {block} not found at {rpc_url}")
        self.block = int(header["number"], 16)
        gas_limit = int(header["gasLimit"], 16)
        self.base_fee = next_base_fee(
            int(header.get("baseFeePerGas") or "0x0", 16), int(header["gasUsed"], 16), gas_limit
        )
        self.coinbase = to_checksum_address(coinbase)
        try:
            self.evm = pyrevm.EVM(fork_url=rpc_url, fork_block=hex(self.block))
        except Exception as exc:  # pyrevm raises plain runtime errors for transport problems
            raise SimulationError(f"cannot fork {rpc_url} at block {self.block}: {exc}") from exc
        self._dirty = False  # has a state-changing call run since the last clean point?
        self._marks: list[tuple[pyrevm.JournalCheckpoint, bool]] = []
        self.evm.set_block_env(
            pyrevm.BlockEnv(
                number=self.block + 1,
                coinbase=self.coinbase,
                timestamp=int(header["timestamp"], 16) + 12,
                basefee=self.base_fee,
                gas_limit=gas_limit,
                prevrandao=bytes(32),
            )
        )

    def checkpoint(self) -> pyrevm.JournalCheckpoint:
        cp = self.evm.snapshot()
        self._marks.append((cp, self._dirty))
        return cp

    def revert(self, checkpoint: pyrevm.JournalCheckpoint) -> None:
        self.evm.revert(checkpoint)
        while self._marks:
            cp, dirty = self._marks.pop()
            if cp is checkpoint:
                self._dirty = dirty
                break

    def simulate(self, caller: str, to: str, data: bytes, value: int = 0, gas: int = 30_000_000) -> SimResult:
        """Run one call and undo it: exact gas whenever nothing was applied before."""
        cp = self.checkpoint()
        try:
            return self.call(caller, to, data, value, gas)
        finally:
            self.revert(cp)

    def call(self, caller: str, to: str, data: bytes, value: int = 0, gas: int = 30_000_000) -> SimResult:
        """Execute a transaction-like call, keeping its state changes (use checkpoints to undo)."""
        exact = not self._dirty
        self._dirty = True
        try:
            output = self.evm.message_call(
                caller=caller, to=to, calldata=data, value=value, gas=gas, gas_price=self.base_fee
            )
        except RuntimeError as exc:
            return SimResult(False, b"", self._gas(), [], self._reason(exc), exact)
        result = self.evm.result
        # pyrevm's Log.data is (topics, data); topics also come as hex strings on Log.topics.
        logs = [SimLog(_checksum(lg.address), list(lg.data[0]), bytes(lg.data[1])) for lg in result.logs]
        return SimResult(bool(result.is_success), bytes(output), int(result.gas_used), logs, "", exact)

    def static(self, to: str, data: bytes, caller: str = "0x0000000000000000000000000000000000000001") -> bytes:
        cp = self.evm.snapshot()  # reads must not warm slots for later calls
        try:
            return bytes(self.evm.message_call(caller=caller, to=to, calldata=data, is_static=True))
        except RuntimeError as exc:
            raise SimulationError(f"static call to {to} reverted: {self._reason(exc)}") from exc
        finally:
            self.evm.revert(cp)

    def token_balance(self, token: str, holder: str) -> int:
        out = self.static(token, _BALANCE_OF + encode(["address"], [holder]))
        return int.from_bytes(out[:32], "big")

    def set_eth_balance(self, holder: str, wei: int) -> None:
        """Give an account ETH in this fork only (e.g. a searcher key that pays gas in simulations)."""
        self.evm.set_balance(holder, wei)

    def eth_balance(self, holder: str) -> int:
        return int(self.evm.get_balance(holder))

    def _gas(self) -> int:
        result = self.evm.result
        return int(result.gas_used) if result is not None else 0

    def _reason(self, exc: RuntimeError) -> str:
        text = str(exc)
        # pyrevm reports reverts as "Revert { gas_used: .., output: 0x.. }"; decode the output if present.
        marker = "output: 0x"
        if marker in text:
            hexpart = text.split(marker, 1)[1].split()[0].rstrip("},")
            try:
                return decode_revert(bytes.fromhex(hexpart))
            except ValueError:
                return text
        return text
