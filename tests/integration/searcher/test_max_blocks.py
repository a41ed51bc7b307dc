"""`Searcher.max_blocks` (what `arbbot run --max-blocks` sets) ends `run` only once its last block is processed in
full: that block's cycles are searched and judged before the run returns, never cut short at its block event."""

from __future__ import annotations

import asyncio

from arbbot.amm.balancer_pair import underlying_id
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.capital import CapitalSources
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call


def test_the_last_block_is_traded_before_the_run_ends(replica: Replica) -> None:
    w3, m, url = replica.w3, replica.manifest, replica.url
    contract = deploy_executor(w3, m)
    bal = next(b for b in m.balancer_pools if set(b.tokens) == {"WETH", "DAI"}).pool_id.lower()
    v2 = next(p for p in m.pools_for("WETH", "DAI") if p.kind == "uniswap_v2" and p.venue == "uniswap_v2")

    def traded(p) -> bool:  # type: ignore[no-untyped-def]
        return p.address.lower() == v2.address.lower() or underlying_id(p.address) == bal

    async def main() -> None:
        async with LocalBuilder(url) as builder:
            sources = CapitalSources(balancer_vault=m.contracts["BalancerVault"], own_balance=True)
            rig = build_searcher(url, w3, m, builder.url, contract, capital_sources=sources, pool_filter=traded)
            events: list[str] = []
            rig.searcher.on_event = lambda e: events.append(e.kind)
            rig.searcher.max_blocks = 1
            async with rig.fanout:
                run = asyncio.create_task(rig.searcher.run(use_ws=False, poll_interval=0.05))
                # One block that opens a cycle: WETH made cheap on the V2 pair by a user's swap.
                tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 80 * 10**18, "DAI"))
                assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
                await asyncio.wait_for(run, timeout=120)
            await rig.node.close()
            c = rig.searcher.counters
            assert c.blocks_processed == 1 and c.errors == 0, c
            # The block's cycles were searched, and what was found simulated and judged, before the run ended.
            assert c.opportunities_found >= 1 and c.simulated >= 1, c
            assert events[0] == "block" and events[1] == "found", events
            # The update's last word ("updated", after its trading) came before the run ended.
            assert events[-1] == "updated" and events[-2] in ("dropped", "rejected", "dry-run", "sent"), events

    asyncio.run(main())
