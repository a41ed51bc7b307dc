"""The audit reproduces known trades on the replica to the wei: profit, gas, builder payment, net PnL,
route and revert reason, from call traces and, on a node without them, from receipts and balance deltas."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbbot import db
from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.audit.store import save_trades
from arbbot.audit.types import TradeAudit
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.execution.route import Capital, Route, encode
from arbbot.strategy.sizing import bracketed_optimum
from arbbot.testing.fault_proxy import FaultProxy, Faults
from tests.conftest import Replica
from tests.integration.audit import trades


def _eth_balance(r: Replica, who: str, block: int) -> int:
    return r.w3.eth.get_balance(who, block_identifier=block)


def _check_profitable(r: Replica, sent: trades.Sent, a: TradeAudit, builder_bps: int) -> None:
    """Every figure against what the chain itself says (balances before and after the block)."""
    m, n = r.manifest, sent.receipt["blockNumber"]
    weth = m.token("WETH").address
    payment = sent.expected_profit * builder_bps // 10_000
    executor_gain = trades.weth_balance(r, a.executor, n) - trades.weth_balance(r, a.executor, n - 1)
    sender_cost = _eth_balance(r, a.sender, n - 1) - _eth_balance(r, a.sender, n)
    assert a.status == "success"
    assert a.profit_by_token == {weth: sent.expected_profit - payment}  # USDC goes pool to pool
    assert a.profit_eth == executor_gain == sent.expected_profit - payment
    assert a.gas_cost == sender_cost == sent.receipt["gasUsed"] * sent.receipt["effectiveGasPrice"]
    assert a.builder_payment == payment
    assert a.gross_profit_eth == sent.expected_profit
    assert a.net_pnl == executor_gain - sender_cost
    assert a.executed is not None and (a.executed.profit, a.executed.builder_payment) == (a.profit_eth, payment)
    assert [s.pool for s in a.route] == [h.pool for h in sent.route.hops]
    assert a.route[0].amount_in == sent.route.amount_in
    assert a.route[-1].amount_out - sent.route.amount_in == sent.expected_profit
    assert [(f.protocol, f.token, f.amount, f.fee) for f in a.flash_loans] == [
        ("balancer", weth, sent.route.amount_in, 0)
    ]
    # In: the loan and the last swap's output; out: the first swap's input and the repayment (+ unwrap).
    assert a.tokens_in[weth] == sent.route.amount_in + a.route[-1].amount_out
    assert a.tokens_out[weth] == 2 * sent.route.amount_in + payment
    assert a.symbols[weth] == "WETH"
    assert a.revert_reason is None


@pytest.mark.parametrize("legs", ["v2-v2", "v3-v2"])
def test_profitable_trade_without_builder_payment(replica: Replica, legs: str) -> None:
    executor = trades.deploy(replica)
    route, profit = trades.profitable_route(replica, legs)
    sent = trades.send(replica, executor, route, profit)
    a = Auditor(RpcClient(replica.url), AuditOptions(executors=(executor.address,))).audit_tx(sent.tx_hash)
    assert a.traced and a.builder_payment_source == "trace"
    _check_profitable(replica, sent, a, 0)
    assert [s.kind for s in a.route] == (["uniswap_v2"] * 2 if legs == "v2-v2" else ["uniswap_v3", "uniswap_v2"])
    assert a.notes == []


def test_profitable_trade_with_builder_payment(replica: Replica) -> None:
    executor = trades.deploy(replica)
    route, profit = trades.profitable_route(replica, "v2-v2", builder_bps=2500)
    raw_rpc(replica.url, "anvil_setCoinbase", [trades.COINBASE])
    sent = trades.send(replica, executor, route, profit, tip=3)  # a tip too: not to be counted as payment
    n = sent.receipt["blockNumber"]
    a = Auditor(RpcClient(replica.url)).audit_tx(sent.tx_hash)
    _check_profitable(replica, sent, a, 2500)
    coinbase_gain = _eth_balance(replica, trades.COINBASE, n) - _eth_balance(replica, trades.COINBASE, n - 1)
    assert coinbase_gain == a.builder_payment + 3 * sent.receipt["gasUsed"]


def test_unprofitable_trade_reverts_and_is_reported_with_its_reason(replica: Replica) -> None:
    executor = trades.deploy(replica)
    sent = trades.send(replica, executor, trades.losing_route(replica), 0)
    assert sent.receipt["status"] == 0
    n = sent.receipt["blockNumber"]
    a = Auditor(RpcClient(replica.url)).audit_tx(sent.tx_hash)
    assert a.status == "reverted"
    assert a.revert_reason is not None and a.revert_reason.startswith("Unprofitable(")
    assert a.profit_eth == 0 and a.route == [] and a.builder_payment == 0
    sender_cost = _eth_balance(replica, a.sender, n - 1) - _eth_balance(replica, a.sender, n)
    assert a.gas_cost == sender_cost > 0
    assert a.net_pnl == -sender_cost


def test_without_traces_the_same_figures_come_from_balance_deltas(replica: Replica) -> None:
    executor = trades.deploy(replica)
    raw_rpc(replica.url, "anvil_setCoinbase", [trades.COINBASE])
    route, profit = trades.profitable_route(replica, "v2-v2", builder_bps=1000)
    paid = trades.send(replica, executor, route, profit, tip=2)
    lost = trades.send(replica, executor, trades.losing_route(replica), 0)
    with FaultProxy(replica.url, Faults(unavailable=("debug_",))) as node:
        result = Auditor(RpcClient(node.url)).audit_hashes([paid.tx_hash, lost.tx_hash])
        assert node.faults.refused == ["debug_traceTransaction"]  # asked once, then remembered
    assert result.problems == []
    win, loss = result.trades
    assert not win.traced and win.builder_payment_source == "coinbase_delta"
    _check_profitable(replica, paid, win, 1000)
    assert any("no debug_traceTransaction" in note for note in win.notes)
    assert loss.revert_reason is not None and loss.revert_reason.startswith("Unprofitable(")
    assert any("replayed on the state of block" in note for note in loss.notes)
    traced = Auditor(RpcClient(replica.url)).audit_hashes([paid.tx_hash, lost.tx_hash]).trades
    for a, b in zip(traced, result.trades, strict=True):
        assert (a.profit_eth, a.gas_cost, a.builder_payment, a.net_pnl, a.revert_reason) == (
            b.profit_eth,
            b.gas_cost,
            b.builder_payment,
            b.net_pnl,
            b.revert_reason,
        )


def test_a_token_without_an_eth_price_is_named_and_not_stored_as_eth(replica: Replica, tmp_path: Path) -> None:
    m = replica.manifest
    executor = trades.deploy(replica)
    usdc, weth = m.token("USDC").address, m.token("WETH").address
    pools = [trades.pool_model(replica, v, "WETH", "USDC", 30) for v in ("sushiswap", "uniswap_v2")]
    amount, profit = bracketed_optimum(lambda x: trades.predict(pools, usdc, x) - x, max_input=10**14, min_input=10**6)
    assert profit > 0
    hops = (trades.hop(pools[0], usdc, False), trades.hop(pools[1], weth, False))
    route = Route(Capital.BALANCER, m.contracts["BalancerVault"], usdc, amount, 0, 0, hops)
    sent = trades.send(replica, executor, route, profit)
    assert sent.receipt["status"] == 1
    a = Auditor(RpcClient(replica.url)).audit_tx(sent.tx_hash)
    assert a.profit_by_token == {usdc: profit} and a.profit_eth is None and a.net_pnl is None
    assert f"token {usdc} has no ETH price: profit in ETH unknown" in a.notes
    engine = db.connect(f"sqlite:///{tmp_path / 'a.db'}")
    problems = save_trades(db.session_factory(engine), [a])
    engine.dispose()
    assert [p.message for p in problems] == [f"tx {sent.tx_hash}: profit not valued in ETH, not stored"]
    # With a price for the token (wei per units), the same trade is valued exactly.
    priced = Auditor(RpcClient(replica.url), AuditOptions(prices={usdc: (10**18, 3000 * 10**6)})).audit_tx(sent.tx_hash)
    assert priced.profit_eth == profit * 10**18 // (3000 * 10**6)


def test_other_custom_errors_are_decoded_with_their_arguments(replica: Replica) -> None:
    executor = trades.deploy(replica)
    stranger = replica.w3.eth.accounts[3]
    route, _ = trades.profitable_route(replica)
    tx = executor.functions.execute(encode(route)).transact({"from": stranger, "gas": 500_000})
    h = "0x" + bytes(tx).hex()
    assert replica.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    traced = Auditor(RpcClient(replica.url)).audit_tx(h)
    assert traced.revert_reason == f"NotCaller({stranger})"
    assert traced.sender == stranger and traced.net_pnl == -traced.gas_cost
    with FaultProxy(replica.url, Faults(unavailable=("debug_",))) as node:
        replayed = Auditor(RpcClient(node.url)).audit_tx(h)
    assert replayed.revert_reason == f"NotCaller({stranger})"
