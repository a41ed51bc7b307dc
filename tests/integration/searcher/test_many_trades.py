"""Several trades of one update in one bundle, on the replica through the local builder (a test double of a
real builder): two independent dislocations in one block both land in the same block, audited to the wei;
trades that share a pool are never sent together; a trade that fails after the one before it is dropped."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import Web3

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.chain.executed import executed_in
from arbbot.db import crud
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.counters import SearcherEvent
from arbbot.engine.journal import Journal, db_auditor
from arbbot.execution.dry_run import DryRunExecutor
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call, weth_balance


def _dislocate(w3: Web3, m: Manifest, swaps: list[tuple[str, str, int]]) -> int:
    """Public swaps (venue, token bought with ETH, ETH in), all mined by the node in one block; its number."""
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        hashes = [
            w3.eth.send_transaction(router_call(w3, m, venue, w3.eth.accounts[5 + i], eth_in, symbol))
            for i, (venue, symbol, eth_in) in enumerate(swaps)
        ]
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    receipts = [w3.eth.get_transaction_receipt(h) for h in hashes]
    assert all(r["status"] == 1 for r in receipts)
    assert len({r["blockNumber"] for r in receipts}) == 1
    return int(receipts[0]["blockNumber"])


def _executed_profit(receipt: dict, executor: str) -> int:
    event = executed_in(receipt["logs"], executor)
    assert event is not None, "no Executed event"
    return event.profit


def test_two_independent_dislocations_in_one_block_both_land_in_one_block_audited_to_the_wei(
    replica: Replica, tmp_path: Path
) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    engine = db.connect(f"sqlite:///{tmp_path / 'journal.db'}")
    sessions = db.session_factory(engine)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, max_candidates=6, max_trades_per_bundle=4)
            auditor = db_auditor(replica.url, contract.address, 31337, sessions)
            rig.searcher.journal = Journal(BundleLog(tmp_path / "bundles.jsonl", sessions=sessions), 31337, sessions,
                                           auditor)  # fmt: skip
            async with rig.fanout:
                # Two dislocations in one block: WETH/USDC on Uniswap V2 and WBTC/WETH on SushiSwap.
                _dislocate(w3, m, [("uniswap_v2", "USDC", 300 * 10**18), ("sushiswap", "WBTC", 300 * 10**18)])
                nonce = w3.eth.get_transaction_count(rig.searcher.params.caller)
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert len(plans) == 2 and c.sent == 2 and c.multi_trade_bundles == 1, (c, rig.executor.reports)
                assert c.bundles_sent == 1
                a, b = plans
                pools_a, pools_b = {p.lower() for p in a.candidate.pools}, {p.lower() for p in b.candidate.pools}
                assert not pools_a & pools_b
                assert a.expected_net >= b.expected_net > 0  # the better trade first
                usdc, wbtc = m.token("USDC").address.lower(), m.token("WBTC").address.lower()
                tokens = {t.lower() for p in plans for h in p.candidate.hops for t in (h.token_in, h.token_out)}
                assert {usdc, wbtc} <= tokens
                r1, r2 = rig.searcher.results
                assert r1.uuid == r2.uuid and r1.tx_hashes == r2.tx_hashes == (r1.tx_hash, r2.tx_hash)
                [stored] = builder.pending_bundles()
                assert stored.tx_hashes == [r1.tx_hash, r2.tx_hash]
                assert {Account.recover_transaction(t) for t in stored.txs} == {rig.searcher.params.caller}

                weth0 = weth_balance(w3, m, contract.address)
                built = await builder.build_block()
                assert built.included == [stored.bundle_hash], built.dropped
                await rig.searcher.process_block()
                assert c.landed == 2 and c.missed == 0
                assert (c.bundles_landed, c.bundles_missed) == (1, 0)  # one bundle, two trades
                receipts = [w3.eth.get_transaction_receipt(h) for h in (r1.tx_hash, r2.tx_hash)]
                assert {rc["blockNumber"] for rc in receipts} == {built.number}
                assert receipts[1]["transactionIndex"] == receipts[0]["transactionIndex"] + 1
                # Consecutive nonces from the node's count, in the simulated order.
                assert [w3.eth.get_transaction(h)["nonce"] for h in (r1.tx_hash, r2.tx_hash)] == [nonce, nonce + 1]
                for plan, rc in zip(plans, receipts, strict=True):
                    assert rc["status"] == 1
                    assert _executed_profit(rc, contract.address) == plan.sim.executed.profit  # to the wei
                assert receipts[0]["gasUsed"] == a.sim.gas_used  # the first ran exactly as simulated
                weth1 = weth_balance(w3, m, contract.address)
                assert weth1 - weth0 == a.sim.executed.profit + b.sim.executed.profit
                assert c.realized_pnl_wei == sum(
                    _executed_profit(rc, contract.address) - rc["gasUsed"] * rc["effectiveGasPrice"] for rc in receipts
                )
                # The second's simulated gas (after the first, warm slots) plus the cold-access bound covers it.
                assert b.expected_net <= c.realized_pnl_wei - (
                    _executed_profit(receipts[0], contract.address)
                    - receipts[0]["gasUsed"] * receipts[0]["effectiveGasPrice"]
                )
            await rig.node.close()

        with sessions() as s:
            bundle = crud.get_bundle(s, r1.uuid)
            trades = crud.list_trades(s, 31337, bundle_uuid=r1.uuid)
        assert bundle is not None and bundle.landed and bundle.landed_block == built.number
        assert bundle.simulated_profit == a.sim.executed.profit + b.sim.executed.profit
        assert bundle.realized_profit == bundle.simulated_profit
        assert [t.tx_hash for t in trades] == [r1.tx_hash.lower(), r2.tx_hash.lower()]
        for t, plan in zip(trades, plans, strict=True):
            assert (t.status, t.profit, t.builder_payment) == (
                "success", plan.sim.executed.profit, plan.sim.executed.builder_payment,
            )  # fmt: skip
            assert t.block_number == built.number

    asyncio.run(scenario())
    engine.dispose()


def _nonce(raw: str) -> int:
    return int(TypedTransaction.from_bytes(HexBytes(raw)).as_dict()["nonce"])


def test_trades_through_one_pool_are_never_sent_together_only_the_better_one_goes(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    events: list[SearcherEvent] = []

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, max_candidates=6, max_trades_per_bundle=4)
            rig.searcher.on_event = events.append
            async with rig.fanout:
                # One dislocation: every cycle it opens runs through the Uniswap V2 WETH/USDC pair.
                _dislocate(w3, m, [("uniswap_v2", "USDC", 300 * 10**18)])
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                judged = [int(e.data["net"]) for e in events if e.kind == "simulated"]
                assert len(judged) >= 2, "the scenario must offer several trades that pass alone"
                assert len(plans) == 1 and c.sent == 1 and c.multi_trade_bundles == 0
                assert c.not_chosen == len(judged) - 1
                assert plans[0].expected_net == max(judged)
                [stored] = builder.pending_bundles()
                assert stored.tx_hashes == [rig.searcher.results[0].tx_hash]
                # Trades of one bundle share its pre-transactions and blocks: anything else is refused unsent.
                late = replace(plans[0], target_block=plans[0].target_block + 1)
                with pytest.raises(ValueError, match=r"plans\[1\]: a bundle's trades share"):
                    await rig.executor.submit_batch([plans[0], late])
                assert await rig.executor.submit_batch([]) == []
                assert len(builder.pending_bundles()) == 1
            await rig.node.close()

    asyncio.run(scenario())


def test_a_trade_that_fails_after_the_one_before_it_is_dropped_and_the_rest_resimulated(replica: Replica) -> None:
    """Two trades through one pool, each profitable alone, put in sequence on purpose (the choice would never
    pair them): after the first the second no longer shows its profit, so only the first remains."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    events: list[SearcherEvent] = []

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, max_candidates=6, max_trades_per_bundle=4)
            rig.searcher.on_event = events.append
            rig.searcher.executor = DryRunExecutor()
            async with rig.fanout:
                _dislocate(w3, m, [("uniswap_v2", "USDC", 300 * 10**18)])
                s = rig.searcher
                changed = s.updater.catch_up(None)
                candidates = s.arbitrage.on_update(changed, s.store.pools, 6, None)
                plans = [p for c in candidates if (p := s._plan("cycle", c, ())) is not None]
                assert len(plans) >= 2
                first, second = plans[0], plans[1]
                assert set(first.candidate.pools) & set(second.candidate.pools)
                kept = s._sequence("cycle", [first, second], ())
                assert kept == [first]  # the first, as simulated alone (it ran first, so the same)
                assert s.counters.dropped_in_sequence == 1
                why = [e.data["reason"] for e in events if e.kind in ("dropped", "rejected")]
                assert why and why[-1].startswith("after 1 trade(s) before it in the bundle: ")
                # Reversed, the other one is kept: each is judged on its own position.
                events.clear()
                assert s._sequence("cycle", [second, first], ()) == [second]
                assert s.counters.dropped_in_sequence == 2
            await rig.node.close()

    asyncio.run(scenario())


def test_a_two_trade_bundle_is_preflighted_superseded_whole_and_withdrawn_and_the_nonces_follow_the_node(
    replica: Replica, tmp_path: Path
) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    engine = db.connect(f"sqlite:///{tmp_path / 'journal.db'}")
    sessions = db.session_factory(engine)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, max_candidates=6, max_trades_per_bundle=4,
                                 preflight=True,
                                 blocks_ahead=2)  # fmt: skip
            rig.searcher.journal = Journal(BundleLog(tmp_path / "bundles.jsonl", sessions=sessions), 31337, sessions)
            async with rig.fanout:
                n = _dislocate(w3, m, [("uniswap_v2", "USDC", 300 * 10**18), ("sushiswap", "WBTC", 300 * 10**18)])
                nonce = w3.eth.get_transaction_count(rig.searcher.params.caller)
                first = await rig.searcher.process_block()
                assert len(first) == 2 and rig.searcher.counters.multi_trade_bundles == 1
                old = rig.searcher.results[0]
                # The builder simulated the whole two-trade bundle before taking it.
                assert [(a.method, a.accepted) for a in old.attempts][:2] == [
                    ("eth_callBundle", True), ("eth_sendBundle", True),
                ]  # fmt: skip
                [stored] = builder.pending_bundles(n + 2)
                assert [_nonce(t) for t in stored.txs] == [nonce, nonce + 1]

                # Block n+1 comes without our bundle and moves the USDC pools further: a newer bundle.
                _dislocate(w3, m, [("uniswap_v2", "USDC", 50 * 10**18)])
                second = await rig.searcher.process_block()
                assert second and rig.searcher.counters.sent == 2 + len(second)
                new = rig.searcher.results[2]
                assert new.uuid != old.uuid
                await rig.executor.settle()
                [pending] = builder.pending_bundles(n + 2)
                assert pending.bundle_hash == new.bundle_hash, "the superseded bundle is still at the builder"
                assert _nonce(pending.txs[0]) == nonce  # the chain's count did not move: same nonces again

                built = await builder.build_block()
                assert built.number == n + 2 and built.included == [new.bundle_hash], built.dropped
                await rig.searcher.process_block()
                c = rig.searcher.counters
                assert c.landed == len(second) and c.missed == 2  # both trades of the old bundle
                assert (c.bundles_landed, c.bundles_missed) == (1, 1)
            await rig.node.close()

        with sessions() as s:
            old_row = crud.get_bundle(s, old.uuid)
            cancels = [x for x in crud.list_submissions(s, bundle_uuid=old.uuid) if x.method == "eth_cancelBundle"]
        assert old_row is not None and old_row.status == "missed"
        assert old_row.miss_reason == f"superseded by bundle {new.uuid}; withdrawn at local"
        # Withdrawn once per block it still targeted, not once per trade.
        assert sorted(x.target_block for x in cancels) == [n + 1, n + 2] and all(x.accepted for x in cancels)

    asyncio.run(scenario())
    engine.dispose()
