"""Audit modes (hashes, block range, all trades of an executor), bad input reported per transaction
while the others are audited, and audited trades and bundles stored in the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbbot import db
from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.audit.bundle_log import BundleLog
from arbbot.audit.chain import ChainReader
from arbbot.audit.errors import AuditError
from arbbot.audit.store import save_trades, simulated_from_db
from arbbot.chain.rpc import RpcClient
from arbbot.db import crud
from arbbot.db.schemas import TradeRecord
from arbbot.devnet import artifacts
from tests.conftest import Replica
from tests.integration.audit import trades


def test_bad_input_is_reported_and_the_other_trades_are_audited(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    executor = trades.deploy(replica)
    route, profit = trades.profitable_route(replica)
    good = trades.send(replica, executor, route, profit)
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    not_ours = "0x" + bytes(weth.functions.transfer(w3.eth.accounts[2], 1).transact({"from": w3.eth.accounts[0]})).hex()
    # A view sent as a transaction: it succeeds and emits nothing (every admin action emits an event).
    no_logs = executor.functions.paused().transact({"from": w3.eth.accounts[0]})
    no_logs_hash = "0x" + bytes(no_logs).hex()
    admin = executor.functions.withdrawETH(w3.eth.accounts[0], 0).transact({"from": w3.eth.accounts[0]})
    admin_hash = "0x" + bytes(admin).hex()
    unknown = "0x" + "ab" * 32
    for sent in (not_ours, no_logs_hash, admin_hash):  # mined before the audit reads them (automine is not instant)
        w3.eth.wait_for_transaction_receipt(sent, timeout=30)
    auditor = Auditor(RpcClient(replica.url), AuditOptions(executors=(executor.address,)))
    result = auditor.audit_hashes([unknown, "0x1234", not_ours, no_logs_hash, admin_hash, good.tx_hash])
    assert [t.tx_hash for t in result.trades] == [good.tx_hash]
    messages = {p.tx_hash: p.message for p in result.problems}
    assert "unknown to the node" in messages[unknown]
    assert "tx_hash: not a transaction hash" in messages["0x1234"] and "'0x1234'" in messages["0x1234"]
    assert f"not ours: sent to {weth.address}" in messages[not_ours]
    assert "receipt has no logs" in messages[no_logs_hash]
    assert "not a trade: calls 0x4782f779" in messages[admin_hash]
    setter = executor.functions.setCaller(w3.eth.accounts[5], True).transact({"from": w3.eth.accounts[0]})
    w3.eth.wait_for_transaction_receipt(setter, timeout=30)
    admin = auditor.audit_hashes(["0x" + bytes(setter).hex()]).problems[0].message
    assert "not a trade: calls 0x" in admin and "not execute(bytes)" in admin
    # Without a list of executors, a call that is not execute(bytes) is not ours either.
    loose = Auditor(RpcClient(replica.url)).audit_hashes([not_ours])
    assert "not execute(bytes)" in loose.problems[0].message
    # A token without symbol() (here: the Vault) is unknown; the audit then names it by address.
    reader = ChainReader(RpcClient(replica.url))
    head = w3.eth.block_number
    assert reader.symbol(m.contracts["BalancerVault"], head) is None and reader.symbol(weth.address, head) == "WETH"
    assert reader.pool_tokens(weth.address, head) is None  # not a pool: its swaps could not be read
    with pytest.raises(AuditError, match="executor: not an address: 'nope'"):
        Auditor(RpcClient(replica.url), AuditOptions(executors=("nope",)))


def test_block_range_and_all_trades_of_an_executor(replica: Replica) -> None:
    executor = trades.deploy(replica)
    other = trades.deploy(replica)
    first = replica.w3.eth.block_number
    route, profit = trades.profitable_route(replica)
    a = trades.send(replica, executor, route, profit)
    b = trades.send(replica, executor, trades.losing_route(replica), 0)
    c = trades.send(replica, other, trades.losing_route(replica), 0)
    w3 = replica.w3
    executor.functions.setCaller(w3.eth.accounts[5], True).transact({"from": w3.eth.accounts[0]})  # not a trade
    head = w3.eth.block_number
    auditor = Auditor(RpcClient(replica.url))
    in_range = auditor.audit_range(first, head, [executor.address])
    assert [t.tx_hash for t in in_range.trades] == [a.tx_hash, b.tx_hash]
    assert [t.status for t in in_range.trades] == ["success", "reverted"] and in_range.problems == []
    everything = auditor.audit_executor(other.address)
    assert [t.tx_hash for t in everything.trades] == [c.tx_hash]
    with pytest.raises(AuditError, match=r"to_block: \d+ is beyond the chain head"):
        auditor.audit_range(first, head + 10, [executor.address])
    with pytest.raises(AuditError, match="executor: no contract at"):
        auditor.audit_executor("0x" + "00" * 19 + "01")


def test_trades_and_bundles_are_stored_with_simulated_vs_realized(replica: Replica, tmp_path: Path) -> None:
    executor = trades.deploy(replica)
    route, profit = trades.profitable_route(replica)
    sent = trades.send(replica, executor, route, profit)
    lost = trades.send(replica, executor, trades.losing_route(replica), 0)
    engine = db.connect(f"sqlite:///{tmp_path / 'arbbot.db'}")
    sessions = db.session_factory(engine)
    chain_id = replica.manifest.chain_id
    # What the searcher does when it sends: the bundle log (and the bundles table), the pending trade.
    log = BundleLog(tmp_path / "bundles.jsonl", sessions=sessions)
    log.sent(
        uuid="b-1",
        chain_id=chain_id,
        builders=["https://builder.example/?apikey=SECRET"],
        target_blocks=[sent.receipt["blockNumber"]],
        tx_hashes=[sent.tx_hash],
        simulated_profit=profit - 5,
    )
    with sessions.begin() as s:
        crud.upsert_trades(
            s,
            [
                TradeRecord(
                    chain_id=chain_id, tx_hash=sent.tx_hash, bundle_uuid="b-1", executor=executor.address, profit=0
                )
            ],
        )
    auditor = Auditor(RpcClient(replica.url), simulated=simulated_from_db(sessions, chain_id))
    result = auditor.audit_hashes([sent.tx_hash, lost.tx_hash])
    win, loss = result.trades
    assert (win.bundle_uuid, win.simulated_profit, win.simulated_diff) == ("b-1", profit - 5, 5)
    assert save_trades(sessions, result.trades) == []
    with sessions() as s:
        stored = crud.get_trade(s, chain_id, sent.tx_hash)
        bundle = crud.get_bundle(s, "b-1")
        reverted = crud.get_trade(s, chain_id, lost.tx_hash)
    assert stored is not None and bundle is not None and reverted is not None
    assert (stored.profit, stored.gas_cost, stored.builder_payment, stored.status) == (
        profit,
        win.gas_cost,
        0,
        "success",
    )
    assert stored.bundle_uuid == "b-1" and [h.pool for h in stored.route] == [h.pool.lower() for h in route.hops]
    assert stored.tokens_in == {k.lower(): v for k, v in win.tokens_in.items()}
    assert stored.created_at is not None and stored.updated_at is not None and stored.updated_at > stored.created_at
    assert (bundle.landed, bundle.landed_block, bundle.realized_profit) == (True, win.block_number, profit)
    assert bundle.builders == ["https://builder.example/"]  # the API key never reaches the log or the table
    assert (reverted.status, reverted.profit, reverted.gas_cost) == ("reverted", 0, loss.gas_cost)
    assert reverted.revert_reason is not None and reverted.revert_reason.startswith("Unprofitable(")
    assert "SECRET" not in (tmp_path / "bundles.jsonl").read_text()
    engine.dispose()
