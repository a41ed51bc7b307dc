"""Bundle executor: sign our transaction, fan the bundle out to the configured builders, track inclusion.

Builders that are down, slow, answer garbage or reject are recorded per builder and never stop the
others; a 'nonce too low' answer resyncs the nonce from the node. `submit` returns once a builder has
accepted (plus a short grace for the others) or all have answered: the slowest builder never holds up the
next block; its outcome is recorded (metrics, log) when it comes. Whether a bundle landed is checked on
every new block; realized PnL comes from the mined receipt, not from the simulation.

Lifecycle: with the fan-out's preflight on, each builder that answers eth_callBundle simulates the bundle
first and gets it only if nothing in it fails there. Every bundle spends our key's next nonce, so two
outstanding bundles exclude each other; a newer plan supersedes an older one that still targets its
blocks when it was made on a newer head, or on the same head with a higher expected net. The older one is
then withdrawn at each builder that accepted it, in that builder's way (eth_cancelBundle, or an empty
bundle under its uuid); it is still tracked, since a withdrawal can arrive too late, and reported missed
as superseded unless it lands after all.

Several trades of one update go out as one bundle (`submit_batch`): consecutive nonces in the simulated
order, each transaction with its own minProfit guard. Builders include a bundle whole or not at all, so a
trade never runs in a position other than the one simulated; separate bundles on consecutive nonces would
depend on each other's inclusion without the builder knowing. Each trade is tracked, landed or missed,
on its own transaction; supersession and withdrawal act on the whole bundle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from arbbot.chain.executed import executed_in
from arbbot.execution.bundles.errors import BundleError
from arbbot.execution.bundles.fanout import BundleFanout, FanoutHandle, FanoutReport, SubmissionOutcome
from arbbot.execution.bundles.inclusion import InclusionStatus, InclusionTracker
from arbbot.execution.bundles.rpc import RpcCaller, is_nonce_too_low
from arbbot.execution.bundles.transactions import Fees, SignedTx, TransactionSigner
from arbbot.execution.plan import BuilderAttempt, Landed, Missed, SubmitResult, TradePlan
from arbbot.metrics import Metrics

log = logging.getLogger(__name__)

SETTLE_S = 0.05  # after the first acceptance, how long the other builders get before submit returns


@dataclass
class _Outstanding:
    plan: TradePlan
    tx: SignedTx
    report: FanoutReport
    hashes: list[str]
    uuid: str = ""
    handle: FanoutHandle | None = None
    superseded_by: str | None = None  # the uuid of the bundle that replaced it
    withdrawn: str | None = None  # why it was withdrawn without a replacement (the kill switch)
    withdrawals: list[SubmissionOutcome] = field(default_factory=list)


def supersedes(new: TradePlan, old: TradePlan) -> bool:
    """Whether `new` replaces `old`: it targets a block `old` still targets, and it was made on a newer head
    (the old simulation is stale) or on the same head with a higher expected net."""
    old_last = old.target_block + old.blocks - 1
    overlaps = new.target_block <= old_last and old.target_block <= new.target_block + new.blocks - 1
    if not overlaps:
        return False
    return new.target_block > old.target_block or (
        new.target_block == old.target_block and new.expected_net > old.expected_net
    )


def _attempt(o: SubmissionOutcome) -> BuilderAttempt:
    return BuilderAttempt(o.builder, o.method, o.ok, round(o.latency_s * 1000, 3), o.block_number, o.error,
                          o.received_ms, o.dialect, o.kind)  # fmt: skip


def _int(v: object) -> int:
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return int(v, 16)
    raise ValueError(f"not a quantity: {v!r}")


class BundleExecutor:
    """Sends plans as bundles to many builders at once and follows them to landed or missed.

    Each plan becomes one signed transaction (after any victim transaction) fanned out through `fanout` for
    its target blocks; nonces come from the node. Builder outcomes feed `metrics` and the audit records.
    """

    name = "bundle"

    def __init__(
        self,
        signer: TransactionSigner,
        fanout: BundleFanout,
        node: RpcCaller,
        *,
        metrics: Metrics | None = None,
        tracker: InclusionTracker | None = None,
        settle: float = SETTLE_S,
    ) -> None:
        if signer.nonces is None:
            raise ValueError("signer needs an rpc for nonces (TransactionSigner(..., rpc=node))")
        self.signer = signer
        self.fanout = fanout
        self.node = node
        self.metrics = metrics
        self.tracker = tracker or InclusionTracker(node)
        self.settle_s = settle
        self.outstanding: list[_Outstanding] = []
        self.reports: list[FanoutReport] = []
        self._recording: set[asyncio.Future[None]] = set()
        if metrics is not None and fanout.on_health is None:
            fanout.on_health = self._health

    def _health(self, builder: str, paused: bool, why: str) -> None:
        if self.metrics is not None:
            self.metrics.builder_backed_off.labels(builder=builder).set(1 if paused else 0)
            if paused:
                self.metrics.builder_backoffs.labels(builder=builder).inc()

    def _record(self, o: SubmissionOutcome) -> None:
        local = o.kind in ("refused", "rate_limited")  # decided here: no request, nothing said of the builder
        if self.metrics is not None:
            if local:
                self.metrics.bundles_not_sent.labels(builder=o.builder, kind=o.kind).inc()
            elif o.kind != "backed_off":
                self.metrics.builder_latency.labels(builder=o.builder).observe(o.latency_s)
            if o.ok:
                if o.method == "eth_sendBundle":
                    self.metrics.bundles_sent.labels(builder=o.builder).inc()
            elif o.kind == "rejected":
                self.metrics.preflight_rejected.labels(builder=o.builder).inc()
            elif not local:
                self.metrics.builder_errors.labels(builder=o.builder).inc()
                self.metrics.builder_failures.labels(builder=o.builder, kind=o.kind or "internal").inc()
        if not o.ok:
            level = (
                logging.DEBUG if o.kind == "backed_off"
                else logging.INFO if o.kind in ("rejected", "refused", "rate_limited")
                else logging.WARNING
            )  # fmt: skip
            log.log(level, "builder %s %s failed [%s]: %s", o.builder, o.method, o.kind, o.error)

    async def _record_all(self, handle: FanoutHandle) -> None:
        report = await handle.wait_all()
        for o in report.outcomes:
            self._record(o)
        if any(o.error and is_nonce_too_low(o.error) for o in report.failed):
            with contextlib.suppress(BundleError):
                await self.signer.nonces.resync()  # type: ignore[union-attr]

    def _track_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)

    async def _withdraw(self, group: Sequence[_Outstanding], *, superseded: bool = True) -> None:
        """Withdraw a bundle (all its trades) at the builders that accepted it (each in its own dialect): a
        superseded one, or every one in flight when the kill switch is engaged."""
        old = group[0]
        await self._wait_sent(old)
        if not old.report.replacement_uuids:
            return
        try:
            report = await self.fanout.cancel(old.report, dialects=True)
        except Exception as exc:  # a failed withdrawal of a superseded bundle costs nothing: both spend one nonce
            log.warning("withdrawing bundle %s failed: %s", old.uuid, exc)
            return
        for o in report.outcomes:
            self._record(o)
        for item in group:
            item.withdrawals.extend(report.outcomes)
        if self.metrics is not None and superseded:
            self.metrics.bundles_superseded.inc()

    def withdraw_all(self, why: str) -> int:
        """Withdraw every bundle still in flight (not superseded, not withdrawn yet) at the builders that accepted
        it, in the background; the number of bundles. Must run on the loop the bundles were sent from. A bundle
        a builder had already sealed into a block may still land: its outcome says so."""
        groups: dict[str, list[_Outstanding]] = {}
        for item in self.outstanding:
            if item.superseded_by is None and item.withdrawn is None:
                groups.setdefault(item.uuid, []).append(item)
        for group in groups.values():
            for item in group:
                item.withdrawn = why
            self._track_task(self._withdraw(group, superseded=False))
        return len(groups)

    async def _wait_sent(self, item: _Outstanding) -> None:
        """Until every builder has answered the send (a withdrawal must not overtake it)."""
        if item.handle is None:
            return
        # Each request is bounded by the fan-out's timeout (a preflight and a send per builder).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(item.handle.wait_all()), self.fanout.timeout * 2 + 1.0)

    async def settle(self) -> None:
        """Wait until every builder of every bundle sent so far has answered (or timed out) and is recorded."""
        while self._recording:
            await asyncio.gather(*list(self._recording), return_exceptions=True)

    async def _sign(self, plans: Sequence[TradePlan]) -> list[SignedTx]:
        """Our transactions of one bundle, on consecutive nonces in bundle order."""
        assert self.signer.nonces is not None
        # Bundles that missed left the local counter ahead of the chain: take the node's count each time.
        nonce = await self.signer.nonces.resync()
        return [
            self.signer.sign(
                to=plan.executor,
                nonce=nonce + i,
                gas=plan.gas_limit,
                data=plan.calldata,
                value=plan.value,
                fees=Fees(plan.max_fee_per_gas, plan.priority_fee),
            )
            for i, plan in enumerate(plans)
        ]

    async def submit(self, plan: TradePlan) -> SubmitResult:
        """Send one plan as its own bundle (see `submit_batch`)."""
        return (await self.submit_batch([plan]))[0]

    async def submit_batch(self, plans: Sequence[TradePlan]) -> list[SubmitResult]:
        """One bundle: the plans' shared pre-transactions (a victim), then our trades in the given order, each its
        own transaction with its own on-chain minProfit guard. The plans must have been simulated in exactly
        this order after exactly these pre-transactions; a bundle lands whole or not at all, so no trade runs
        in a position other than the simulated one."""
        if not plans:
            return []
        first = plans[0]
        for i, p in enumerate(plans[1:], start=1):
            same = (p.pre_raw, p.target_block, p.blocks, p.executor) == (
                first.pre_raw, first.target_block, first.blocks, first.executor,
            )  # fmt: skip
            if not same:
                raise ValueError(f"plans[{i}]: a bundle's trades share pre-transactions, target blocks and executor")
        try:
            signed = await self._sign(plans)
        except BundleError as exc:
            return [SubmitResult(False, f"cannot sign: {exc}") for _ in plans]
        txs = [*first.pre_raw, *(tx.raw for tx in signed)]
        bundle_uuid = uuid.uuid4()
        handle = self.fanout.start(
            txs, first_block=first.target_block, blocks=first.blocks, replacement_uuid=bundle_uuid
        )
        report = handle.report
        self.reports.append(report)
        self._track_task(self._record_all(handle))
        await handle.first_accepted(self.settle_s)
        accepted = tuple(dict.fromkeys(o.builder for o in report.succeeded))
        attempts = tuple(_attempt(o) for o in report.outcomes)
        hashes = [*first.pre_hashes, *(tx.hash for tx in signed)]
        if not accepted:
            return [
                SubmitResult(False, "no builder accepted the bundle", tx_hash=tx.hash, uuid=str(bundle_uuid),
                             target_blocks=tuple(report.target_blocks), tx_hashes=tuple(hashes), attempts=attempts)
                for tx in signed
            ]  # fmt: skip
        # Any two bundles spend the same nonce: a newer one replaces older ones on the batch's total.
        total = replace(first, expected_net=sum(p.expected_net for p in plans))
        superseded: dict[str, list[_Outstanding]] = {}
        for old in self.outstanding:
            if old.superseded_by is None:
                superseded.setdefault(old.uuid, []).append(old)
        for group in superseded.values():
            old_total = replace(group[0].plan, expected_net=sum(o.plan.expected_net for o in group))
            if supersedes(total, old_total):
                for old in group:
                    old.superseded_by = str(bundle_uuid)
                self._track_task(self._withdraw(group))
        for plan, tx in zip(plans, signed, strict=True):
            self.outstanding.append(_Outstanding(plan, tx, report, hashes, str(bundle_uuid), handle))
        bundle_hash = next((o.bundle_hash for o in report.succeeded if o.bundle_hash), None)
        return [
            SubmitResult(True, "sent", bundle_hash, tx.hash, accepted, str(bundle_uuid),
                         tuple(report.target_blocks), tuple(hashes), attempts)
            for tx in signed
        ]  # fmt: skip

    async def on_block(self, head: int) -> list[Landed | Missed]:
        """Check every outstanding bundle whose target block `head` has reached.

        Returns those that landed (with the realized net from the receipt) or were missed, superseded or
        conflicted; pending ones stay outstanding, as do ones whose check failed (retried next block).
        """
        done: list[Landed | Missed] = []
        keep: list[_Outstanding] = []
        for item in self.outstanding:
            if head < item.plan.target_block:
                keep.append(item)
                continue
            try:
                result = await self.tracker.check(item.hashes, item.report.target_blocks)
            except (BundleError, ValueError) as exc:
                log.warning("inclusion check of %s failed: %s", item.tx.hash, exc)
                keep.append(item)
                continue
            if result.status is InclusionStatus.PENDING:
                keep.append(item)
            elif result.status is InclusionStatus.LANDED and result.block_number is not None:
                net = await self._realized(item)
                done.append(Landed(item.plan, result.block_number, result.builder, net, item.tx.hash))
            elif item.superseded_by is None and item.withdrawn is not None:
                at = sorted({o.builder for o in item.withdrawals if o.ok})
                reason = item.withdrawn + (f"; withdrawn at {', '.join(at)}" if at else "; no builder confirmed it")
                attempts = tuple(_attempt(o) for o in item.withdrawals)
                done.append(Missed(item.plan, "withdrawn", reason, attempts, item.tx.hash))
            elif item.superseded_by is not None:
                withdrawn = sorted({o.builder for o in item.withdrawals if o.ok})
                reason = f"superseded by bundle {item.superseded_by}" + (
                    f"; withdrawn at {', '.join(withdrawn)}" if withdrawn else ""
                )
                attempts = tuple(_attempt(o) for o in item.withdrawals)
                done.append(Missed(item.plan, "superseded", reason, attempts, item.tx.hash))
            else:
                done.append(Missed(item.plan, str(result.status), result.reason, tx_hash=item.tx.hash))
        self.outstanding = keep
        return done

    async def _realized(self, item: _Outstanding) -> int:
        """Executed profit (after the builder payment, in ETH) minus the gas the receipt says we paid."""
        receipt = await self.node.call("eth_getTransactionReceipt", [item.tx.hash])
        if not isinstance(receipt, dict):
            return 0
        paid = _int(receipt["gasUsed"]) * _int(receipt["effectiveGasPrice"])
        event = executed_in(receipt.get("logs") or [], item.plan.executor)
        profit = event.profit if event is not None else 0
        v = item.plan.valuation
        if v is None:
            return profit - paid
        # A non-WETH profit: in ETH at the price it was judged at (the audit values it on chain, exactly);
        # the ETH attached for the builder came from our sender.
        worth = v.wei if profit == v.amount else (profit * v.wei // v.amount if v.amount else 0)
        return worth - item.plan.value - paid

    async def close(self) -> None:
        """Let builders still answering finish (each within the fan-out's timeout) so their outcomes are recorded."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.settle(), self.fanout.timeout + 1.0)
        for fut in list(self._recording):
            fut.cancel()
