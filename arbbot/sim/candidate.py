"""A candidate route run through the real deployed ArbExecutor on a fork of the current block.

Two backends with one interface: pyrevm in-process (default, fast) and an anvil fork (slower; every
transaction is mined in its own throwaway block, so gas is exact for any sequence). The result is
what the executor itself reported in its `Executed` event: exact profit and the builder payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pyrevm
from eth_utils import keccak

from arbbot.chain.executed import Executed as ExecutedEvent
from arbbot.chain.executed import executed_in
from arbbot.sim.fork import ForkSimulator, SimLog, SimResult
from arbbot.sim.fork_reads import ForkReads
from arbbot.sim.placed import Placement

INTRINSIC_GAS = 21_000

EXECUTE_SELECTOR = keccak(text="execute(bytes)")[:4]


def execute_calldata(route: bytes) -> bytes:
    """ABI encoding of execute(bytes route)."""
    padded = route + b"\x00" * (-len(route) % 32)
    return EXECUTE_SELECTOR + (32).to_bytes(32, "big") + len(route).to_bytes(32, "big") + padded


@dataclass(frozen=True)
class PreTx:
    """A transaction that runs before ours in the bundle (a victim's swap)."""

    sender: str
    to: str
    data: bytes
    value: int
    gas: int = 30_000_000
    raw: str | None = None  # the signed bytes, where the backend needs them


@dataclass(frozen=True)
class Executed(ExecutedEvent):
    """The executor's `Executed` event as a simulation saw it, with the ETH the call carried."""

    attached: int = 0  # ETH the call carried (the caller's, not the route's profit)

    @property
    def gross_profit(self) -> int:
        """The route's measured gain in its token: what it kept plus what the share took from it."""
        return self.profit + self.builder_payment - self.attached


@dataclass(frozen=True)
class CandidateSim:
    """The outcome of running one route through the executor on a fork.

    `gas_used` is exact when `gas_exact`; otherwise earlier calls in the same run warmed state and
    `gas_uncertainty` bounds how much `gas_used` may understate the transaction on its own. `executed` is the
    contract's own report (`None` if it did not run); `reason` says why a run failed.
    """

    success: bool
    gas_used: int
    gas_exact: bool
    executed: Executed | None = None
    reason: str = ""
    # When not gas_exact: the most gas by which gas_used may understate the transaction on its own. Earlier
    # calls in the same pyrevm checkpoint left their accounts and slots warm (and their writes not yet
    # "original"); each item they touched cost them more than it can save us, so what they spent beyond the
    # intrinsic gas bounds it. A fixed per-hop allowance did not: a V2->V3->V4 victim saved us 54,300.
    gas_uncertainty: int = 0

    @property
    def gross_profit(self) -> int | None:
        """The measured gross profit in the route's token (`None` when the executor did not report a run)."""
        return self.executed.gross_profit if self.executed is not None else None


def parse_executed(logs: Sequence[SimLog], executor: str, attached: int = 0) -> Executed | None:
    """The executor's `Executed` event among a simulation's logs (`arbbot.chain.executed` rules: a malformed one or
    another contract's is not taken), with the ETH the call carried."""
    e = executed_in(logs, executor)
    return None if e is None else Executed(e.token, e.amount_in, e.profit, e.builder_payment, attached)


class CandidateSimulator(Protocol):
    """A fork of the current block on which candidate routes are run through the deployed executor."""

    block: int  # the forked (current) block; simulations run as block + 1
    base_fee: int  # the next block's base fee

    def place(self, placement: Placement) -> None:
        """Put a contract (code, storage) and balances into this fork only."""
        ...

    def run(
        self,
        executor: str,
        caller: str,
        route: bytes,
        pre: Sequence[PreTx] = (),
        gas: int = 3_000_000,
        value: int = 0,
    ) -> CandidateSim:
        """Run `pre` then execute(route) from `caller`, carrying `value` wei; nothing is kept."""
        ...

    def run_sequence(
        self,
        executor: str,
        caller: str,
        routes: Sequence[bytes],
        pre: Sequence[PreTx] = (),
        gas: int = 3_000_000,
        values: Sequence[int] = (),
    ) -> list[CandidateSim]:
        """Run `pre`, then execute(route) from `caller` for each route in order, each on the state the earlier
        ones left (one transaction each, as in one bundle), route i carrying values[i] wei (none given: zero);
        one result per route; nothing is kept."""
        ...


class PyrevmCandidateSimulator:
    """In-process fork of one block. Without `pre`, each run is an exact, isolated transaction."""

    def __init__(
        self, rpc_url: str, block: int | None = None, coinbase: str | None = None, reads: ForkReads | None = None
    ) -> None:
        kwargs = {"coinbase": coinbase} if coinbase else {}
        self.rpc_url = rpc_url
        self.coinbase = coinbase
        self.fork = ForkSimulator(rpc_url, block, reads=reads, **kwargs)
        self.reads = reads
        self.block, self.base_fee = self.fork.block, self.fork.base_fee
        self.runs = 0

    def place(self, placement: Placement) -> None:
        """Put a contract's code, storage and ETH balances into this fork only (nothing is sent anywhere)."""
        evm = self.fork.evm
        evm.insert_account_info(placement.address, pyrevm.AccountInfo(code=placement.code))
        for slot, value in placement.storage.items():
            evm.insert_account_storage(placement.address, slot, value)
        for holder, wei in placement.balances.items():
            self.fork.set_eth_balance(holder, wei)

    def run(
        self,
        executor: str,
        caller: str,
        route: bytes,
        pre: Sequence[PreTx] = (),
        gas: int = 3_000_000,
        value: int = 0,
    ) -> CandidateSim:
        """Run `pre`, then `execute(route)` from `caller` with `value` wei attached; nothing is kept.

        Raises `ForkReadError` when the node cannot be read (a run is never judged on partial state).
        """
        return self.run_sequence(executor, caller, [route], pre, gas, [value])[0]

    def run_sequence(
        self,
        executor: str,
        caller: str,
        routes: Sequence[bytes],
        pre: Sequence[PreTx] = (),
        gas: int = 3_000_000,
        values: Sequence[int] = (),
    ) -> list[CandidateSim]:
        """Run `pre`, then each route in order on the state the earlier ones left, one result per route; nothing kept.

        If a pre-transaction reverts, every route is reported failed with that reason. After a pre-transaction
        or an earlier route, gas is not exact and `gas_uncertainty` bounds the understatement.
        """
        values = list(values) or [0] * len(routes)
        self.runs += 1
        fork = self.fork
        calls = [execute_calldata(r) for r in routes]
        try:
            # Everything these transactions will read, in two batches through the transport (ForkReadError if not).
            fork.prefetch(
                [
                    *((t.sender, t.to, t.data, t.value, t.gas) for t in pre),
                    *((caller, executor, d, v, gas) for d, v in zip(calls, values, strict=True)),
                ]
            )
            if not pre and len(calls) == 1:
                res = fork.simulate(caller, executor, calls[0], value=values[0], gas=gas)
                return [_result(res, executor, values[0])]
            cp = fork.checkpoint()
            try:
                warmed = 0  # gas the earlier calls spent beyond the intrinsic 21,000: bounds what they warmed
                for i, tx in enumerate(pre):
                    pre_res = fork.call(tx.sender, tx.to, tx.data, tx.value, tx.gas)
                    if not pre_res.success:
                        failed = CandidateSim(False, 0, False, None, f"pre-tx {i} reverts: {pre_res.revert_reason}")
                        return [failed] * len(calls)
                    warmed += max(pre_res.gas_used - INTRINSIC_GAS, 0)
                results = []
                for d, v in zip(calls, values, strict=True):
                    res = fork.call(caller, executor, d, v, gas=gas)
                    results.append(_result(res, executor, v, 0 if res.gas_exact else warmed))
                    warmed += max(res.gas_used - INTRINSIC_GAS, 0)
                return results
            finally:
                fork.revert(cp)
        finally:
            if self.reads is not None:
                self.reads.report_proxy()  # the read proxy's retries, into the metrics


def _result(res: SimResult, executor: str, value: int = 0, uncertainty: int = 0) -> CandidateSim:
    if not res.success:
        return CandidateSim(False, res.gas_used, res.gas_exact, None, res.revert_reason or "reverted", uncertainty)
    executed = parse_executed(res.logs, executor, value)
    if executed is None:
        return CandidateSim(False, res.gas_used, res.gas_exact, None, "no Executed event", uncertainty)
    return CandidateSim(True, res.gas_used, res.gas_exact, executed, "", uncertainty)
