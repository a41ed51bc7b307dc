"""Audit our trades: one transaction, a block range, or everything an executor ever ran.

Each trade's figures come from its receipt (logs, gas) and, where the node offers it, its call trace
(builder payment, revert data). Without traces the builder payment is the coinbase balance delta over
the block and the revert reason a replay on the parent block; the trade's notes say so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from eth_abi import decode as abi_decode
from eth_utils import is_address, to_checksum_address

from arbbot.amm.base import Pool
from arbbot.audit import abi, accounting, decode
from arbbot.audit.chain import ChainReader
from arbbot.audit.errors import AuditError, TradeProblem
from arbbot.audit.types import AuditProblem, AuditResult, TokenValuation, TradeAudit
from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.execution import route as route_codec
from arbbot.metrics import Metrics
from arbbot.strategy.valuation import DEFAULT_MIN_DEPTH, eth_value

_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
# tx hash -> (bundle uuid, simulated profit in wei) for trades our searcher sent
SimulatedLookup = Callable[[str], tuple[str | None, int | None] | None]
# (block, token) -> the pool models (exact state at that block) trading `token`, one of which may value it
PoolsAt = Callable[[int, str], Iterable[Pool]]


@dataclass
class AuditOptions:
    """What an audit looks at and how it values: our executors, call traces, venue names, fixed token prices (wei per
    units), and the on-chain valuation of other tokens."""

    executors: tuple[str, ...] = ()  # ours; empty: any contract called through execute(bytes)
    trace: bool = True  # use debug_traceTransaction where the node has it
    venues: Mapping[str, str] = field(default_factory=dict)  # pool -> venue name, for reports
    prices: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # token -> (wei, per units)
    # When set, a token without a fixed price is valued on chain: the deepest trusted WETH pool outside the
    # route, on the state of the trade's parent block (strategy/valuation.py).
    pools_at: PoolsAt | None = None
    valuation_min_depth: int = DEFAULT_MIN_DEPTH
    error_signatures: tuple[str, ...] = abi.EXECUTOR_ERRORS


def check_address(value: str, name: str) -> str:
    """`value` as a checksummed address; AuditError naming `name` if it is not one."""
    if not isinstance(value, str) or not is_address(value):
        raise AuditError(f"{name}: not an address: {value!r}")
    return to_checksum_address(value)


class Auditor:
    """Audits landed trades from the chain alone: what each transaction moved, borrowed, paid and kept, to the wei,
    reading receipts, blocks and (where the node has them) call traces; nothing the searcher reported is trusted."""

    def __init__(
        self,
        rpc: RpcClient,
        options: AuditOptions | None = None,
        *,
        simulated: SimulatedLookup | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.options = options or AuditOptions()
        self.executors = {check_address(e, "executor").lower() for e in self.options.executors}
        self.chain = ChainReader(rpc, trace=self.options.trace)
        self.simulated = simulated
        self.metrics = metrics
        # Pool contracts by checksummed address; a Uniswap V4 pool is an id inside its PoolManager (lower-case).
        venues = self.options.venues.items()
        self.venues = {to_checksum_address(k) if is_address(k) else k.lower(): v for k, v in venues}

    # --- modes -----------------------------------------------------------------------------------

    def audit_hashes(self, hashes: Iterable[str]) -> AuditResult:
        """Audit each transaction by hash; a transaction that cannot be audited becomes a problem in the result."""
        result = AuditResult()
        for h in hashes:
            self._one(h, result)
        return result

    def audit_range(self, from_block: int, to_block: int, executors: Iterable[str] | None = None) -> AuditResult:
        """Every transaction sent to one of `executors` (default: the auditor's) in the inclusive range."""
        targets = {check_address(e, "executor").lower() for e in (executors or ())} or self.executors
        if not targets:
            raise AuditError("executor: a block range audit needs at least one executor address")
        head = self.chain.head()
        if from_block < 0 or to_block < from_block:
            raise AuditError(f"block range: from {from_block} to {to_block} is empty or negative")
        if to_block > head:
            raise AuditError(f"to_block: {to_block} is beyond the chain head {head}")
        result = AuditResult()
        for start in range(from_block, to_block + 1, 200):
            numbers = list(range(start, min(start + 200, to_block + 1)))
            for block in self.chain.blocks(numbers):
                for tx in block["transactions"]:
                    calls_execute = str(tx.get("input") or "")[:10].lower() == abi.EXECUTE_SELECTOR
                    # Administrative calls to the executor (setCaller, withdraw) are not trades: skipped.
                    if (tx.get("to") or "").lower() in targets and calls_execute:
                        self._one(tx["hash"], result, known_tx=tx)
        return result

    def audit_executor(self, executor: str, from_block: int | None = None, to_block: int | None = None) -> AuditResult:
        """All trades of `executor`: from its deployment block (found by bisection) to the head."""
        address = check_address(executor, "executor")
        head = self.chain.head()
        end = head if to_block is None else to_block
        if not self.chain.code(address, end):
            raise AuditError(f"executor: no contract at {address} (block {end})")
        start = self._deployment_block(address, end) if from_block is None else from_block
        return self.audit_range(start, end, [address])

    def _deployment_block(self, address: str, head: int) -> int:
        lo, hi = 0, head  # code exists at hi; find the first block where it does
        while lo < hi:
            mid = (lo + hi) // 2
            if self.chain.code(address, mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    # --- one transaction -------------------------------------------------------------------------

    def _one(self, tx_hash: str, result: AuditResult, known_tx: dict | None = None) -> None:
        started = time.perf_counter()
        try:
            trade = self.audit_tx(tx_hash, known_tx)
        except TradeProblem as exc:
            result.problems.append(AuditProblem(tx_hash if isinstance(tx_hash, str) else None, str(exc)))
            return
        except RpcError as exc:
            result.problems.append(AuditProblem(tx_hash, f"tx {tx_hash}: node error: {exc}"))
            return
        result.trades.append(trade)
        if self.metrics is not None:
            observe(self.metrics, trade, time.perf_counter() - started)

    def audit_tx(self, tx_hash: str, known_tx: dict | None = None) -> TradeAudit:
        """The audit of one transaction (`known_tx`: its object, if already read); TradeProblem saying why when it
        cannot be audited
        (unknown, pending, not a call of our executor's `execute`, no receipt or logs)."""
        if not isinstance(tx_hash, str) or not _HASH.match(tx_hash):
            raise TradeProblem(f"tx_hash: not a transaction hash (0x and 64 hex digits): {tx_hash!r}")
        h = tx_hash.lower()
        tx = known_tx or self.chain.transaction(h)
        if tx is None:
            raise TradeProblem(f"tx {h}: unknown to the node (never sent, dropped, or on another chain)")
        if tx.get("blockNumber") is None:
            raise TradeProblem(f"tx {h}: still pending, not in a block yet")
        to = tx.get("to")
        if not to:
            raise TradeProblem(f"tx {h}: a contract creation, not a trade")
        executor = to_checksum_address(to)
        if self.executors and executor.lower() not in self.executors:
            raise TradeProblem(f"tx {h}: not ours: sent to {executor}, which is not one of our executors")
        receipt = self.chain.receipt(h)
        if receipt is None:
            raise TradeProblem(f"tx {h}: no receipt (the node has the transaction but not its receipt)")
        ok = int(receipt["status"], 16) == 1
        logs = [abi.parse_log(raw) for raw in receipt.get("logs") or ()]
        if ok and not logs:
            raise TradeProblem(f"tx {h}: receipt has no logs: nothing to audit (a trade always emits Executed)")
        data = tx.get("input") or tx.get("data") or "0x"
        if data[:10].lower() != abi.EXECUTE_SELECTOR:
            if self.executors:  # our executor, but an administrative call (setCaller, withdraw, ...)
                raise TradeProblem(f"tx {h}: not a trade: calls {data[:10]} on {executor}, not execute(bytes)")
            raise TradeProblem(f"tx {h}: not ours: calls {data[:10]} on {executor}, not execute(bytes)")
        block_number = int(tx["blockNumber"], 16)
        block = self.chain.block(block_number)
        gas_used, price = int(receipt["gasUsed"], 16), int(receipt["effectiveGasPrice"], 16)
        trade = TradeAudit(
            chain_id=self.chain.chain_id, tx_hash=h, block_number=block_number,
            block_timestamp=int(block["timestamp"], 16), executor=executor,
            sender=to_checksum_address(tx["from"]), status="success" if ok else "reverted",
            gas_used=gas_used, effective_gas_price=price, gas_cost=gas_used * price,
            attached=int(str(tx.get("value") or "0x0"), 16),
        )  # fmt: skip
        route = trade.requested = self._route(data, trade)
        frame = self._trace(h, trade)
        weth = self.chain.weth_of(executor, block_number)
        if weth is None:
            trade.notes.append(f"executor {executor} has no weth(): WETH wraps not counted, no ETH valuation")
        self._flows(logs, weth, block_number, trade, route)
        self._builder_payment(frame, block, trade)
        if not ok:
            self._revert_reason(frame, tx, block_number, trade)
        trade.net_pnl = None if trade.profit_eth is None else trade.profit_eth - trade.attached - trade.gas_cost
        self._simulated(trade)
        return trade

    def _route(self, data: str, trade: TradeAudit) -> route_codec.Route | None:
        try:
            payload = abi_decode(["bytes"], bytes.fromhex(data[10:]))[0]
            return route_codec.decode(payload)
        except Exception as exc:  # a route this version cannot read: the logs still tell the story
            trade.notes.append(f"route in calldata not decodable ({exc}); rebuilt from logs only")
            return None

    def _trace(self, h: str, trade: TradeAudit) -> dict | None:
        try:
            frame = self.chain.trace(h)
        except RpcError as exc:
            trade.notes.append(f"call trace failed ({exc.message}); using receipts and balance deltas")
            return None
        if frame is None:
            trade.notes.append(f"no call trace: {self.chain.trace_unsupported_reason}; using balance deltas")
        trade.traced = frame is not None
        return frame

    def _flows(
        self, logs: list[abi.Log], weth: str | None, block: int, trade: TradeAudit, route: route_codec.Route | None
    ) -> None:
        pool_tokens: dict[str, tuple[str, str]] = {}
        for pool in decode.swap_pools(logs):
            pair = self.chain.pool_tokens(pool, block)
            if pair is None:
                trade.notes.append(f"pool {pool}: no token0()/token1(); its swap is left out of the route")
            else:
                pool_tokens[pool] = pair
        contract_swaps = ((abi.V2_SWAP,), (abi.V3_SWAP,), (abi.PANCAKE_V3_SWAP,))
        known = [log for log in logs if log.address in pool_tokens or log.topics[:1] not in contract_swaps]
        v4 = accounting.v4_pools(route, weth) if route is not None else {}
        for pool_id in decode.v4_swap_ids(logs):
            if pool_id not in v4:
                trade.notes.append(f"V4 pool {pool_id}: not in the route; its swap is left out of the route")
        balancer = accounting.balancer_pools(route) if route is not None else {}
        for pool_id in decode.balancer_swap_ids(logs):
            if pool_id not in balancer:
                trade.notes.append(f"Balancer pool {pool_id}: not in the route; its swap is left out of the route")
        legs = decode.swaps(known, pool_tokens, self.venues, v4, balancer)
        trade.route = accounting.in_route_order(route, legs) if route is not None else legs
        trade.flash_loans = decode.flash_loans(logs, trade.executor, pool_tokens)
        trade.executed = decode.executed(logs, trade.executor)
        received, sent = accounting.flows(decode.transfers(logs, weth), trade.executor)
        trade.tokens_in, trade.tokens_out = received, sent
        trade.profit_by_token = accounting.net_by_token(received, sent)
        if route is not None and trade.status == "success":
            trade.notes.extend(accounting.route_mismatches(route, trade.route, weth))
        tokens = {*trade.profit_by_token, *(s.token_in for s in trade.route), *(s.token_out for s in trade.route)}
        if route is not None:
            tokens.add(route.token)
        for token in sorted(tokens):
            sym = self.chain.symbol(token, block)
            dec = self.chain.decimals(token, block)
            if sym is not None:
                trade.symbols[token] = sym
            if dec is not None:
                trade.decimals[token] = dec
            if sym is None or dec is None:
                absent = " and ".join(w for w, v in (("symbol()", sym), ("decimals()", dec)) if v is None)
                trade.notes.append(f"token {token} has no {absent}: its amounts are shown in raw units")
        value, missing = accounting.value_in_eth(trade.profit_by_token, weth, self.options.prices)
        if missing and weth is not None and self.options.pools_at is not None:
            value, missing = self._value_on_chain(missing, weth, block, trade, route)
        for token in missing:
            trade.notes.append(f"token {token} has no ETH price: profit in ETH unknown")
        trade.profit_eth = value
        ex = trade.executed
        if ex is not None:
            booked = trade.profit_by_token.get(ex.token, 0)
            if booked != ex.profit:
                trade.notes.append(f"Executed event says profit {ex.profit}, transfers say {booked} of {ex.token}")

    def _value_on_chain(
        self, tokens: list[str], weth: str, block: int, trade: TradeAudit, route: route_codec.Route | None
    ) -> tuple[int | None, list[str]]:
        """Value `tokens`' profit at the parent block's on-chain price; the rest as `value_in_eth` does."""
        assert self.options.pools_at is not None
        at = block - 1
        # Never priced by a pool the trade went through: the trade itself moved it.
        exclude = {s.pool for s in trade.route} | ({h.pool for h in route.hops} if route is not None else set())
        prices = dict(self.options.prices)
        missing = []
        for token in tokens:
            amount = trade.profit_by_token[token]
            pools = list(self.options.pools_at(at, token))
            v = eth_value(abs(amount), token, weth, pools, exclude=exclude, min_depth=self.options.valuation_min_depth)
            if v is None:
                missing.append(token)
                continue
            wei = v.wei if amount >= 0 else -v.wei
            trade.valuations.append(TokenValuation(token, amount, wei, v.pool, at, v.depth))
            trade.notes.append(
                f"profit {amount} of {token} valued at {wei} wei of ETH: its sale through {v.pool} "
                f"(WETH depth {v.depth}) on the state of block {at}"
            )
            prices[token] = (abs(wei), abs(amount)) if amount else (0, 1)
        if missing:
            return None, missing
        # The valued amounts are exact by construction (wei for exactly this amount): sum them as prices.
        value, left = accounting.value_in_eth(trade.profit_by_token, weth, prices)
        return value, left

    def _builder_payment(self, frame: dict | None, block: dict, trade: TradeAudit) -> None:
        coinbase = to_checksum_address(block["miner"])
        if trade.status != "success":
            trade.builder_payment, trade.builder_payment_source = 0, "trace" if frame is not None else "none"
            return
        if frame is not None:
            trade.builder_payment = accounting.coinbase_payments(frame, coinbase)
            trade.builder_payment_source = "trace"
        else:
            n = trade.block_number
            delta = self.chain.balance(coinbase, n) - self.chain.balance(coinbase, n - 1)
            base_fee = int(block.get("baseFeePerGas") or "0x0", 16)
            trade.builder_payment = delta - accounting.priority_fees(self.chain.block_receipts(n), base_fee)
            trade.builder_payment_source = "coinbase_delta"
            others = len(block["transactions"]) - 1
            if others:
                trade.notes.append(
                    f"builder payment is the coinbase balance delta over block {n}: direct payments by its "
                    f"{others} other transaction(s) would be counted too"
                )
        ex = trade.executed
        if ex is not None and ex.builder_payment != trade.builder_payment:
            trade.notes.append(
                f"Executed event says builder payment {ex.builder_payment}, "
                f"{trade.builder_payment_source} says {trade.builder_payment}"
            )

    def _revert_reason(self, frame: dict | None, tx: dict, block: int, trade: TradeAudit) -> None:
        sigs = self.options.error_signatures
        if frame is not None:
            output = frame.get("output")
            if output and output != "0x":
                trade.revert_reason = abi.decode_revert(output, sigs)
            else:
                trade.revert_reason = str(frame.get("error") or "reverted without data")
            return
        data = self.chain.replay_revert(tx, block - 1)
        if data is None:
            trade.revert_reason = "reverted, but a replay on the parent block succeeds (state changed within the block)"
        else:
            trade.revert_reason = abi.decode_revert(data, sigs)
            trade.notes.append(f"revert reason replayed on the state of block {block - 1}")

    def _simulated(self, trade: TradeAudit) -> None:
        if self.simulated is None:
            return
        found = self.simulated(trade.tx_hash)
        if found is None:
            return
        trade.bundle_uuid, trade.simulated_profit = found
        if trade.simulated_profit is not None and trade.profit_eth is not None:
            trade.simulated_diff = trade.profit_eth - trade.simulated_profit


def observe(metrics: Metrics, trade: TradeAudit, seconds: float) -> None:
    """Count an audited trade into the audit, gas and builder-payment metrics."""
    metrics.stage_latency.labels(stage="audit").observe(seconds)
    metrics.trades_audited.labels(status=trade.status).inc()
    metrics.gas_spent_wei.inc(trade.gas_cost)
    if trade.builder_payment > 0:
        metrics.builder_paid_wei.inc(trade.builder_payment)
    if trade.net_pnl is not None:
        metrics.audited_pnl_wei.inc(trade.net_pnl)
