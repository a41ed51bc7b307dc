"""In-process fork simulation with pyrevm: state is prefetched through the node transport, the rest read lazily.

Simulations run in the *next* block's environment (number + 1, the next base fee, the builder as
coinbase), because that is where a bundle would land. Checkpoints let one fork try many candidates.

Gas: pyrevm keeps EIP-2929 warm-access state across calls until a revert, so only the first call after
a clean checkpoint is charged exactly as a separate transaction would be. Results say so
(`gas_exact`); reads never warm anything (they run inside a checkpoint they revert). Sequences of
several transactions whose gas must be exact belong on an anvil fork.

Reads: see `arbbot.sim.fork_reads`. A read that failed after its retries raises `ForkReadError` (the
simulation has no result), never a failed `SimResult`: a revert is a result, a missing state is not.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyrevm
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from arbbot.chain.jsonrpc import CHAIN, block_gone
from arbbot.chain.revert import decode_revert
from arbbot.errors import ArbbotError
from arbbot.sim.fork_reads import ForkReadError, ForkReads
from arbbot.sim.read_proxy import MARKER

_BALANCE_OF = keccak(text="balanceOf(address)")[:4]
# Checksumming costs a keccak per call; the same few contracts log over and over, so remember them.
_checksum = lru_cache(maxsize=65_536)(to_checksum_address)
DEFAULT_COINBASE = "0x000000000000000000000000000000000000c0DE"
# A null header for a block the caller has seen is asked again: a node behind a load balancer may lag its peers
# by a block, and one null answer does not prove a reorg. Pauses double from the first.
HEADER_ATTEMPTS = 4
HEADER_PAUSE = 0.05
_MARKED = re.compile(re.escape(MARKER) + r"\|([A-Za-z_]+)\|([a-z_]+)\|([^\"'\\|]*)")


def read_failure(exc: BaseException) -> ForkReadError | None:
    """The fork read failure inside a pyrevm error, if it is one (not a revert or a halt)."""
    text = str(exc)
    if not text.startswith("Database("):
        return None
    found = _MARKED.search(text)
    if found is not None:
        return ForkReadError(found.group(1), found.group(2), found.group(3).strip())
    # Read straight from a node (no read proxy): the client's error text is all there is.
    if block_gone(text):
        return ForkReadError("fork read", CHAIN, "the forked block is gone from the node (a reorg)")
    for needle, kind in (("Too Many Requests", "http_status"), ("Connect", "connection"), ("timed out", "timeout"),
                         ("SerdeJson", "malformed"), ("EOF", "truncated")):  # fmt: skip
        if needle in text:
            return ForkReadError("fork read", kind, needle)
    return ForkReadError("fork read", "connection", text[:160])


class SimulationError(ArbbotError):
    """The simulation itself could not run (not a revert: that is a result)."""


class BlockGone(SimulationError, LookupError):
    """The block to fork is not on the node (any more): the chain reorganised under us."""


@dataclass(frozen=True)
class SimLog:
    """A log emitted during a simulated call: emitting address (checksummed), raw 32-byte topics and data."""

    address: str
    topics: list[bytes]
    data: bytes


@dataclass(frozen=True)
class SimResult:
    """The outcome of one simulated call: success, return data, gas used, logs and the decoded revert reason.

    `gas_exact` is `False` when an earlier call since the checkpoint warmed state, so `gas_used` understates.
    """

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
    """One fork at one block. `reads` is shared by the forks of a searcher (default: a private one that reads
    misses straight from the node, for tools and tests that fork once)."""

    def __init__(
        self, rpc_url: str, block: int | None = None, coinbase: str = DEFAULT_COINBASE, reads: ForkReads | None = None
    ) -> None:
        self._own_reads = reads is None
        self.reads = reads or ForkReads(rpc_url, miss_proxy=False)
        header = self._header(block)
        self.block = int(header["number"], 16)
        self.block_tag = hex(self.block)
        gas_limit = int(header["gasLimit"], 16)
        self.base_fee = next_base_fee(
            int(header.get("baseFeePerGas") or "0x0", 16), int(header["gasUsed"], 16), gas_limit
        )
        self.coinbase = to_checksum_address(coinbase)
        fork_url = self.reads.fork_url(f"{self.block}-{header['hash'][2:18]}")
        try:
            self.evm = pyrevm.EVM(fork_url=fork_url, fork_block=self.block_tag)
        except Exception as exc:  # pyrevm raises plain runtime errors for transport problems
            raise SimulationError(f"cannot fork at block {self.block}: {exc}") from exc
        self._accounts: set[str] = set()  # written by prefetch (lower-case)
        self._slots: set[tuple[str, int]] = set()
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

    def _header(self, block: int | None) -> dict[str, Any]:
        """The header the fork starts from; BlockGone if the node answers null every time it is asked."""
        tag = hex(block) if block is not None else "latest"
        for attempt in range(HEADER_ATTEMPTS):
            header: dict[str, Any] | None = self.reads.call("eth_getBlockByNumber", [tag, False])
            if header is not None:
                return header
            if attempt + 1 < HEADER_ATTEMPTS:
                time.sleep(HEADER_PAUSE * 2**attempt)  # back-off: the node may catch up
        raise BlockGone(f"block {block} not found at {self.reads.rpc.shown_url} ({HEADER_ATTEMPTS} asks)")

    def close(self) -> None:
        """Close the read transport if this simulator created it (a shared one is left open)."""
        if self._own_reads:
            self.reads.close()

    def prefetch(self, txs: Sequence[tuple[str, str, bytes, int, int]]) -> None:
        """Read ahead what these (caller, to, data, value, gas) transactions touch, in two batches.

        Only accounts and slots not already in the fork are read; accounts the fork already holds in its
        journal (set by this process) are left alone. Raises ForkReadError if the node cannot be read.
        """
        calls = [{"from": c, "to": t, "data": "0x" + d.hex(), "value": hex(v), "gas": hex(g)} for c, t, d, v, g in txs]
        hinted = self.reads.access_lists(calls, self.block_tag)
        for c, t, *_ in txs:
            hinted.setdefault(c.lower(), set())
            hinted.setdefault(t.lower(), set())
        hinted.setdefault(self.coinbase.lower(), set())
        journal = {a.lower() for a in self.evm.journal_state}
        accounts = [a for a in hinted if a not in self._accounts and a not in journal]
        slots = [(a, s) for a, ss in hinted.items() for s in ss if (a, s) not in self._slots and a not in journal]
        if not accounts and not slots:
            return
        state = self.reads.state(accounts, slots, self.block_tag)
        for a, acct in state.accounts.items():
            # pyrevm's stub omits the balance keyword its AccountInfo takes.
            info = pyrevm.AccountInfo(balance=acct.balance, nonce=acct.nonce, code_hash=acct.code_hash,  # type: ignore[call-arg]
                                      code=acct.code or None)  # fmt: skip
            self.evm.insert_account_info(_checksum(a), info)  # a cold account: written to the fork's database
            self._accounts.add(a)
        for (a, slot), value in state.storage.items():
            if a not in self._accounts:  # its account info first, or pyrevm reads it from the fork URL
                continue
            # On a cold account pyrevm writes the slot to the database, then loads the account into the
            # journal (warm, and any further write would be a journaled SSTORE): undo the load each time.
            cp = self.evm.snapshot()
            try:
                self.evm.insert_account_storage(_checksum(a), slot, value)
            finally:
                self.evm.revert(cp)
            self._slots.add((a, slot))

    def checkpoint(self) -> pyrevm.JournalCheckpoint:
        """Take a journal checkpoint; `revert` to it undoes every call made since."""
        cp = self.evm.snapshot()
        self._marks.append((cp, self._dirty))
        return cp

    def revert(self, checkpoint: pyrevm.JournalCheckpoint) -> None:
        """Undo every state change since `checkpoint` (and forget later checkpoints)."""
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

    def quote(self, caller: str, to: str, data: bytes, gas: int = 5_000_000, prefetch: bool = True) -> SimResult:
        """Run one call at gas price zero and undo it: a quote through a contract that writes state (a quoter
        that unlocks the PoolManager and reverts inside) needs no funded caller and leaves no trace.

        `prefetch`: read what the call touches in two batches first (else every cold slot is one read)."""
        if prefetch:
            self.prefetch([(caller, to, data, 0, gas)])
        cp = self.checkpoint()
        try:
            return self.call(caller, to, data, 0, gas, gas_price=0)
        finally:
            self.revert(cp)

    def call(
        self, caller: str, to: str, data: bytes, value: int = 0, gas: int = 30_000_000, gas_price: int | None = None
    ) -> SimResult:
        """Execute a transaction-like call, keeping its state changes (use checkpoints to undo)."""
        exact = not self._dirty
        self._dirty = True
        price = self.base_fee if gas_price is None else gas_price
        try:
            output = self.evm.message_call(caller=caller, to=to, calldata=data, value=value, gas=gas, gas_price=price)
        except RuntimeError as exc:
            failed = read_failure(exc)
            if failed is not None:
                raise failed from None
            return SimResult(False, b"", self._gas(), [], self._reason(exc), exact)
        result = self.evm.result
        if result is None:  # an output without its execution result: no gas, no logs, nothing to trust
            raise SimulationError(f"call to {to}: pyrevm returned no execution result")
        # pyrevm's Log.data is (topics, data); topics also come as hex strings on Log.topics.
        logs = [SimLog(_checksum(lg.address), list(lg.data[0]), bytes(lg.data[1])) for lg in result.logs]
        return SimResult(bool(result.is_success), bytes(output), int(result.gas_used), logs, "", exact)

    def static(self, to: str, data: bytes, caller: str = "0x0000000000000000000000000000000000000001") -> bytes:
        """A read-only call's return data; the fork's state, warm slots included, is left as it was.

        Raises `SimulationError` if the call reverts and `ForkReadError` if the node cannot be read.
        """
        cp = self.evm.snapshot()  # reads must not warm slots for later calls
        try:
            return bytes(self.evm.message_call(caller=caller, to=to, calldata=data, is_static=True))
        except RuntimeError as exc:
            failed = read_failure(exc)
            if failed is not None:
                raise failed from None
            raise SimulationError(f"static call to {to} reverted: {self._reason(exc)}") from exc
        finally:
            self.evm.revert(cp)

    def token_balance(self, token: str, holder: str) -> int:
        """`holder`'s ERC-20 balance of `token` in the fork (raw units), read through `balanceOf`."""
        out = self.static(token, _BALANCE_OF + encode(["address"], [holder]))
        return int.from_bytes(out[:32], "big")

    def set_eth_balance(self, holder: str, wei: int) -> None:
        """Give an account ETH in this fork only (e.g. a searcher key that pays gas in simulations)."""
        self.evm.set_balance(holder, wei)

    def eth_balance(self, holder: str) -> int:
        """`holder`'s ETH balance in the fork, in wei."""
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
