"""MEV-Share backruns: hints -> candidates -> guarded backrun -> `mev_sendBundle` referencing the victim.

Simulation choice: the victim is private, so the block's fork cannot contain it and the backrun cannot be
fork-simulated after it. Where the matchmaker offers `mev_simBundle`, each bundle is simulated there first and
not sent if it fails. Either way every backrun is protected on chain: its route carries minProfit = the
smallest gross profit that still nets `min_profit_wei` after the builder's share and gas charged at a gas
*bound* (not a measurement), and its gas limit is that same bound. A candidate on an "exact" hint (the
post-state stated by a Sync or V3 Swap log) demands its whole quoted gross profit: the quote is wei-exact,
so any shortfall means the premise is wrong. If the hint's assumption is wrong (the
victim smaller, other direction, other pool state), or gas runs over the bound, the backrun reverts; the
bundle says `canRevert: false`, so the matchmaker/builder leaves it out: nothing is paid. What the
candidate's exact quote promises is what the journal records as the expected profit.
"""

from __future__ import annotations

import logging
import os
import time
import uuid as uuid_lib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arbbot.chain.executed import executed_in
from arbbot.collectors.mev_share import Hint, HintStream
from arbbot.execution.bundles.errors import EndpointError, EndpointRpcError
from arbbot.execution.bundles.mev_share import MevShareClient, Refund, send_bundle_params
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from arbbot.execution.plan import BuilderAttempt, Landed, Missed, SubmitResult, TradePlan
from arbbot.sim.candidate import CandidateSim, Executed, execute_calldata
from arbbot.sim.fork import next_base_fee
from arbbot.strategy.costs import builder_payment, cold_access_bound, max_fee_per_gas, min_gross_for, net_profit
from arbbot.strategy.hints import HintCandidate, HintStrategy

if TYPE_CHECKING:
    from arbbot.config import SearcherSettings
    from arbbot.engine.factory import Wiring
    from arbbot.engine.searcher import Searcher
    from arbbot.state.discovery import DiscoveredPool
    from arbbot.strategy.arbitrage import CycleArbitrage
    from arbbot.strategy.backrun import Router

log = logging.getLogger(__name__)

# Gas bound of a guarded backrun (limit and cost basis), plus every slot and account cold. Measured on the
# replica after a 200 WETH victim: 233,474 gas for a V3 (0.3%) + V2 cycle, 353,541 for a V3 (0.05%) + V2 one
# that crosses many ticks; a V3 hop's gas grows with the ticks it crosses, hence the margin. A backrun that
# needs more runs out of gas and reverts: the bundle is dropped, nothing is paid.
GAS_BOUND_BASE, GAS_BOUND_PER_HOP = 150_000, 150_000


def gas_bound(hops: int) -> int:
    """The gas limit (and cost basis) of a guarded backrun of `hops` hops, every slot and account taken as cold."""
    return GAS_BOUND_BASE + GAS_BOUND_PER_HOP * hops + cold_access_bound(hops)


@dataclass(frozen=True)
class MevSharePlan:
    """A MEV-Share backrun sent: the hint it answered, the plan and what the submission returned."""

    hint: HintCandidate
    plan: TradePlan
    result: SubmitResult


class MevShareBackrunner:
    """Turns hints into `mev_sendBundle` backruns for one searcher (its store, params, fork and journal)."""

    def __init__(
        self,
        searcher: Searcher,
        strategy: HintStrategy,
        client: MevShareClient,
        signer: TransactionSigner | None,
        *,
        max_block_span: int = 0,
        refund_percent: int | None = None,
        bundles_per_hint: int = 4,
        simulate: bool = True,
    ) -> None:
        self.searcher = searcher
        self.strategy = strategy
        self.client = client
        self.signer = signer
        self.max_block_span = max_block_span
        self.refund_percent = refund_percent
        self.bundles_per_hint = bundles_per_hint
        self.simulate = simulate  # ask mev_simBundle first, while the endpoint offers it
        self.simulated = 0
        self.sent: list[MevSharePlan] = []
        self.outstanding: list[MevSharePlan] = []  # sent, outcome not known yet
        self.outcomes: list[Landed | Missed] = []
        searcher.on_head.append(self.on_block)
        self.hints_seen = 0

    async def process_hint(self, hint: Hint) -> list[MevSharePlan]:
        """Send the hint's best candidates (alternatives: one nonce, so at most one can land). Never raises."""
        s = self.searcher
        self.hints_seen += 1
        try:
            found = self.strategy.candidates(
                hint.hash, hint.logs, [t.to for t in hint.txs], s.store.pools,
                s.params.max_candidates, s.params.size_top,
            )  # fmt: skip
        except Exception as exc:  # a hint the strategy cannot model never stops the searcher
            s._error("mev-share strategy", exc)
            return []
        if not found:
            return []
        s.counters.opportunities_found += len(found)
        s._count("found", "mev_share", len(found))
        out: list[MevSharePlan] = []
        async with s._trade_lock:  # one nonce and one fork with the other strategies
            s.apply_control()  # under the lock: never while another strategy's plan is being judged
            if s.held_back("mev_share", len(found)):
                return []
            try:
                head = await s.node.call("eth_getBlockByNumber", ["latest", False])
                who = self.signer.address if self.signer is not None else s.params.caller
                nonce = int(await s.node.call("eth_getTransactionCount", [who, "latest"]), 16)
                number = int(head["number"], 16)
                base = next_base_fee(int(head.get("baseFeePerGas") or "0x0", 16), int(head["gasUsed"], 16),
                                     int(head["gasLimit"], 16))  # fmt: skip
            except Exception as exc:  # node down or a garbled answer: this hint is not traded
                s._error("mev-share node", exc)
                return []
            for hc in found[: self.bundles_per_hint]:
                if self.signer is None:  # dry run: found and judged, never signed or sent
                    s._emit("dry-run", kind="mev_share", reason=hc.assumption, gross=hc.candidate.gross_profit)
                    continue
                sent = await self._send(hc, hint.hash, number + 1, base, nonce)
                if sent is not None:
                    out.append(sent)
        return out

    async def _send(self, hc: HintCandidate, victim: str, block: int, base_fee: int, nonce: int) -> MevSharePlan | None:
        s, p, c = self.searcher, self.searcher.params, hc.candidate
        fee = max_fee_per_gas(base_fee, p.blocks_ahead + self.max_block_span, p.priority_fee)
        gas = gas_bound(len(c.hops))
        guard = min_gross_for(max(p.min_profit_wei, 1), gas, fee, p.bribe_share_bps)
        if guard is None or guard > c.gross_profit or fee > p.fee_cap or gas > p.max_gas:
            guard = None
        elif hc.assumption == "exact":
            # The hint stated the post-state and the quote is wei-exact: any shortfall means the premise or the
            # model is wrong, so the backrun demands exactly what was quoted.
            guard = c.gross_profit
        if guard is None:
            s._reject("mev_share", c, f"gross {c.gross_profit} cannot pay gas bound {gas} at {fee} and the share "
                      f"({hc.assumption})")  # fmt: skip
            return None
        try:
            route = s._route(c, guard)
            calldata = execute_calldata(route)
            fees = Fees(fee, p.priority_fee)
            assert self.signer is not None
            tx = self.signer.sign(to=p.executor, nonce=nonce, gas=gas, fees=fees, data=calldata)
            refund = (Refund(0, self.refund_percent),) if self.refund_percent else ()
            params = send_bundle_params(victim, tx.raw, block, max_block=block + self.max_block_span, refund=refund)
        except Exception as exc:
            s._error("mev-share bundle", exc)
            return None
        if s.held_back("mev_share", 1):  # the bundle would go to the matchmaker with our signed transaction
            return None
        if self.simulate and not await self._sim_passes(hc, params):
            return None
        payment = builder_payment(c.gross_profit, p.bribe_share_bps)
        plan = TradePlan(
            kind="backrun", candidate=c, executor=p.executor, calldata=calldata, gas_limit=gas, max_fee_per_gas=fee,
            priority_fee=p.priority_fee, target_block=block, blocks=1 + self.max_block_span,
            sim=CandidateSim(True, gas, False, Executed(c.token, c.amount_in, c.gross_profit - payment, payment),
                             f"not fork-simulated (private victim): guarded by minProfit {guard}; {hc.assumption}"),
            expected_net=net_profit(c.gross_profit, gas, fee, p.bribe_share_bps), pre_hashes=(victim,),
        )  # fmt: skip
        # The last moment before it leaves: a switch thrown while it was simulated still holds.
        if s.held_back("mev_share", 1):
            return None
        # Disabled like a builder when the control state names it as one.
        why_not = s.control.send_refusal(self.client.name) if self.client.name in s.control.builders else None
        if why_not is not None:
            s._emit("not-sent", kind="mev_share", reason=why_not)
            return None
        started = time.perf_counter()
        try:
            answer = await self.client.send_bundle(params)
            ms = (time.perf_counter() - started) * 1e3
            attempt = BuilderAttempt(self.client.name, "mev_sendBundle", True, ms, block)
            blocks = tuple(range(block, block + 1 + self.max_block_span))
            result = SubmitResult(
                True, f"sent to {self.client.name} ({hc.assumption})", answer.bundle_hash, tx.hash,
                (self.client.name,), str(uuid_lib.uuid4()), blocks, (victim, tx.hash), (attempt,),
            )  # fmt: skip
        except EndpointError as exc:
            s._error("mev-share submission", exc)
            attempt = BuilderAttempt(self.client.name, "mev_sendBundle", False, (time.perf_counter() - started) * 1e3,
                                     block, str(exc)[:300])  # fmt: skip
            result = SubmitResult(False, str(exc)[:300], None, tx.hash, (), str(uuid_lib.uuid4()), (block,),
                                  (victim, tx.hash), (attempt,))  # fmt: skip
        s._journal(lambda j: j.sent(plan, result))
        if result.sent:
            s.counters.sent += 1
            s._count("sent", "mev_share")
        s._emit("sent" if result.sent else "rejected", kind="mev_share", reason=result.reason, net=plan.expected_net,
                tx=tx.hash, builders=list(result.accepted_by))  # fmt: skip
        sent = MevSharePlan(hc, plan, result)
        self.sent.append(sent)
        if result.sent:
            self.outstanding.append(sent)
        return sent

    async def on_block(self, head: int) -> None:
        """Record which sent backruns landed (receipt on chain) and which missed (past their maxBlock, or an
        alternative with the same nonce landed). Never raises."""
        s = self.searcher
        keep: list[MevSharePlan] = []
        landed_nonces: set[str] = set()
        found: list[tuple[MevSharePlan, dict[str, Any] | None]] = []
        for item in self.outstanding:
            try:
                receipt = await s.node.call("eth_getTransactionReceipt", [item.result.tx_hash])
            except Exception as exc:  # a node fault: ask again next block
                s._error("mev-share inclusion tracking", exc)
                keep.append(item)
                continue
            found.append((item, receipt if isinstance(receipt, dict) else None))
            if isinstance(receipt, dict):
                landed_nonces.add(item.plan.pre_hashes[0])
        for item, receipt in found:
            last = item.plan.target_block + item.plan.blocks - 1
            outcome: Landed | Missed | None = None
            if receipt is not None:
                try:
                    net, block = _realized(receipt, item.plan.executor), int(receipt["blockNumber"], 16)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a garbled receipt: ask again
                    s._error("mev-share inclusion tracking", exc)
                    keep.append(item)
                    continue
                outcome = Landed(item.plan, block, self.client.name, net, str(item.result.tx_hash))
                s.counters.landed += 1
                s.counters.realized_pnl_wei += net
                s._count("landed", "mev_share")
                s._emit("landed", kind="mev_share", block=outcome.block_number, builder=self.client.name, net=net,
                        tx=outcome.tx_hash)  # fmt: skip
            elif item.plan.pre_hashes[0] in landed_nonces:
                outcome = Missed(item.plan, "superseded", "an alternative backrun of the same victim landed",
                                 tx_hash=item.result.tx_hash)  # fmt: skip
            elif head >= last:
                outcome = Missed(item.plan, "missed", f"not included by block {last} (maxBlock)",
                                 tx_hash=item.result.tx_hash)  # fmt: skip
                s.counters.missed += 1
                s._emit("missed", status="missed", reason=outcome.reason)
            if outcome is None:
                keep.append(item)
            else:
                self.outcomes.append(outcome)
                s._journal_outcome(outcome)
        self.outstanding = keep

    async def _sim_passes(self, hc: HintCandidate, params: dict[str, Any]) -> bool:
        """False only when the matchmaker simulated the bundle and it failed; an endpoint without
        mev_simBundle (or one that cannot answer) leaves the on-chain guard as the protection."""
        s = self.searcher
        try:
            answer = await self.client.sim_bundle(params)
        except EndpointRpcError as exc:
            if exc.code == -32601 or "does not exist" in exc.message or "not found" in exc.message.lower():
                self.simulate = False  # not offered here: do not ask again
                log.info("%s offers no mev_simBundle: backruns are protected by their minProfit guard only",
                         self.client.name)  # fmt: skip
            else:
                s._error("mev-share simulation", exc)
            return True
        except EndpointError as exc:
            s._error("mev-share simulation", exc)
            return True
        self.simulated += 1
        s.counters.simulated += 1
        if answer.get("success") is True:
            return True
        s._reject("mev_share", hc.candidate, f"mev_simBundle: {str(answer.get('error'))[:200]} ({hc.assumption})")
        return False

    async def run(self, stream: HintStream) -> None:
        """Consume hints until the stream is stopped (the stream itself reconnects)."""
        async for hint in stream.hints():
            await self.process_hint(hint)

    def attach(self, stream: HintStream) -> None:
        """Run alongside the searcher's own collectors (started and stopped with `Searcher.run`)."""

        async def source() -> None:
            try:
                await self.run(stream)
            finally:
                stream.stop()

        self.searcher.sources.append(source)


def attach_mev_share(
    wiring: Wiring,
    cfg: SearcherSettings,
    arbitrage: CycleArbitrage,
    routers: Sequence[Router],
    discovered: Sequence[DiscoveredPool],
    *,
    key: str | None,
    chain_id: int,
    reputation_env: str,
) -> MevShareBackrunner:
    """Wire MEV-Share into a built searcher: hints from `cfg.mev_share`, bundles to `cfg.mev_share_api` (or the
    same URL). Without `key` (a dry run) candidates are found and reported, never signed or sent."""
    assert cfg.mev_share is not None
    # A router hint names no pool: the pools of the router's factory are the ones it may touch.
    router_pools = {
        r.address: [p.address for p in discovered if p.factory.lower() == r.factory.lower()] for r in routers
    }
    strategy = HintStrategy(arbitrage, ladder=cfg.mev_share_ladder_wei, router_pools=router_pools)
    rep_key = os.environ.get(reputation_env)
    client = MevShareClient(
        cfg.mev_share_api or cfg.mev_share, FlashbotsSigner(rep_key) if rep_key else FlashbotsSigner.random()
    )
    wiring.closers.append(client.close)
    signer = TransactionSigner(key, chain_id) if key else None
    runner = MevShareBackrunner(wiring.searcher, strategy, client, signer, refund_percent=cfg.mev_share_refund_percent)
    runner.attach(HintStream(cfg.mev_share))
    return runner


def _realized(receipt: dict[str, Any], executor: str) -> int:
    """Executed profit (after the builder payment) minus the gas the receipt says was paid."""
    paid = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    event = executed_in(receipt.get("logs") or [], executor) if int(receipt.get("status", "0x0"), 16) == 1 else None
    profit = event.profit if event is not None else 0
    return profit - paid
