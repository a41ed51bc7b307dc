"""The bundle lifecycle on the replica, through the local builder (a test double of a real builder that
implements eth_callBundle and eth_cancelBundle per the Flashbots spec): a preflight at the builder before
each send, and a newer plan superseding an older bundle that is then withdrawn, journaled to the database."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from arbbot import db
from arbbot.audit.bundle_log import BundleLog
from arbbot.db import crud
from arbbot.devnet.executor import deploy_executor
from arbbot.engine.journal import Journal
from arbbot.execution.dry_run import DryRunExecutor
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call


def test_a_newer_plan_supersedes_the_older_bundle_which_is_withdrawn_and_journaled(
    replica: Replica, tmp_path: Path
) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    engine = db.connect(f"sqlite:///{tmp_path / 'journal.db'}")
    sessions = db.session_factory(engine)

    def swap(account: int, eth_in: int) -> None:
        """A public swap mined by the node itself (not through the builder): moves the head on."""
        tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[account], eth_in))
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            # Two target blocks per bundle: the first bundle still targets a block when the second is made.
            rig = build_searcher(replica.url, w3, m, builder.url, contract, preflight=True, blocks_ahead=2)
            rig.searcher.journal = Journal(BundleLog(tmp_path / "bundles.jsonl", sessions=sessions), 31337, sessions)
            async with rig.fanout:
                swap(5, 300 * 10**18)
                first = await rig.searcher.process_block()
                assert len(first) == 1 and rig.searcher.counters.sent == 1
                old = rig.searcher.results[0]
                n = w3.eth.block_number
                assert old.target_blocks == (n + 1, n + 2)
                # The preflight ran at the builder and passed, then the bundle was sent for both blocks.
                methods = [(a.method, a.accepted, a.target_block) for a in old.attempts]
                assert methods == [
                    ("eth_callBundle", True, n + 1), ("eth_sendBundle", True, n + 1), ("eth_sendBundle", True, n + 2),
                ]  # fmt: skip
                assert len(builder.pending_bundles(n + 2)) == 1

                # Block n+1 comes without our bundle and moves the same pools further: a newer plan.
                swap(6, 50 * 10**18)
                second = await rig.searcher.process_block()
                assert len(second) == 1 and rig.searcher.counters.sent == 2
                new = rig.searcher.results[1]
                assert new.target_blocks == (n + 2, n + 3)
                await rig.executor.settle()  # the withdrawal of the old bundle has been answered
                pending = [b.bundle_hash for b in builder.pending_bundles(n + 2)]
                assert pending == [new.bundle_hash], "the superseded bundle is still at the builder"

                built = await builder.build_block()
                assert built.number == n + 2 and built.included == [new.bundle_hash], built.dropped
                await rig.searcher.process_block()
                c = rig.searcher.counters
                assert c.landed == 1 and c.missed == 1
            await rig.node.close()

        with sessions() as session:
            old_row = crud.get_bundle(session, old.uuid)
            new_row = crud.get_bundle(session, new.uuid)
            subs = crud.list_submissions(session, bundle_uuid=old.uuid)
        assert old_row is not None and new_row is not None
        assert old_row.status == "missed" and not old_row.landed
        assert old_row.miss_reason == f"superseded by bundle {new.uuid}; withdrawn at local"
        assert new_row.landed and new_row.landed_block == n + 2
        cancels = [s for s in subs if s.method == "eth_cancelBundle"]
        # Withdrawn for each block it still targeted at the builder that had accepted it.
        assert sorted(s.target_block for s in cancels) == [n + 1, n + 2] and all(s.accepted for s in cancels)

    asyncio.run(scenario())
    engine.dispose()


def test_a_bundle_that_fails_at_the_builder_is_not_sent_there(replica: Replica) -> None:
    """The builder's own eth_callBundle decides, not our simulation: here the owner pauses the executor after
    the plan was made, so the builder's preflight shows our transaction failing and it is not sent."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, preflight=True)
            async with rig.fanout:
                tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 300 * 10**18))
                assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
                rig.searcher.executor = DryRunExecutor()  # make the plan, send nothing yet
                [plan] = await rig.searcher.process_block()
                pause = contract.functions.pause().transact({"from": w3.eth.accounts[0]})
                assert w3.eth.wait_for_transaction_receipt(pause)["status"] == 1
                plan = replace(plan, target_block=w3.eth.block_number + 1)
                result = await rig.executor.submit(plan)
                assert not result.sent and result.reason == "no builder accepted the bundle"
                [pre] = result.attempts
                assert pre.method == "eth_callBundle" and not pre.accepted
                assert (pre.error or "").startswith(f"preflight: tx {result.tx_hash} fails at this builder")
                assert "execution reverted" in (pre.error or "")
                assert builder.pending_bundles() == []

                # Unpaused, the same plan passes the preflight and is sent.
                unpause = contract.functions.unpause().transact({"from": w3.eth.accounts[0]})
                assert w3.eth.wait_for_transaction_receipt(unpause)["status"] == 1
                plan = replace(plan, target_block=w3.eth.block_number + 1)
                result = await rig.executor.submit(plan)
                assert result.sent and [a.method for a in result.attempts] == ["eth_callBundle", "eth_sendBundle"]
                assert [b.bundle_hash for b in builder.pending_bundles()] == [result.bundle_hash]
            await rig.executor.settle()
            await rig.node.close()

    asyncio.run(scenario())
