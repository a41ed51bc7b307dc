"""MEV-Share end to end on the replica: a private transaction known only through the matchmaker's hints is
backrun with `mev_sendBundle` and lands after it; a hint the strategy mis-sizes costs nothing.

The matchmaker is a test double (arbbot/testing/matchmaker.py) in front of the local builder double; the
node, the executor, the pools and the victim's router are the real contracts on the replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from arbbot.audit.bundle_log import BundleLog
from arbbot.chain.anvil import dev_key
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.collectors.mev_share import Hint, HintStream
from arbbot.devnet import artifacts
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.journal import Journal
from arbbot.engine.mev_share import MevShareBackrunner
from arbbot.execution.bundles import FlashbotsSigner, JsonRpcClient, TransactionSigner
from arbbot.execution.bundles.mev_share import MevShareClient
from arbbot.execution.plan import Landed, Missed
from arbbot.strategy.costs import builder_payment
from arbbot.strategy.hints import HintStrategy
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from arbbot.testing.matchmaker import Matchmaker
from tests.integration.searcher.harness import DEADLINE, OWNER_KEY, build_searcher, fifo_node, router_call, weth_balance

VICTIM = 6


@pytest.fixture
def fifo_replica(tmp_path: Path) -> Iterator[tuple[str, Manifest]]:
    """Its own replica node with `--order fifo` (victim and backrun come from different senders)."""
    with fifo_node("default", tmp_path) as node:
        yield node


def _v3_call(w3: Web3, m: Manifest, trader: str, eth_in: int) -> dict:
    """SwapRouter.exactInputSingle: ETH in (wrapped by the router), USDC out, on the 0.05% pool."""
    router = w3.eth.contract(address=m.contracts["SwapRouter"], abi=artifacts.load("SwapRouter").abi)
    params = (m.token("WETH").address, m.token("USDC").address, 500, trader, DEADLINE, eth_in, 0, 0)
    data = router.encode_abi("exactInputSingle", args=[params])
    return {"from": trader, "to": router.address, "data": data, "value": eth_in, "gas": 1_000_000}


def _signed_victim(w3: Web3, m: Manifest, venue: str, eth_in: int) -> tuple[str, str]:
    account = Account.from_key(dev_key(VICTIM))
    call = (
        _v3_call(w3, m, account.address, eth_in)
        if venue == "v3"
        else router_call(w3, m, venue, account.address, eth_in)
    )
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tx = {
        "type": 2, "chainId": w3.eth.chain_id, "nonce": w3.eth.get_transaction_count(account.address),
        "to": call["to"], "data": call["data"], "value": call["value"], "gas": call["gas"],
        "maxFeePerGas": 2 * base + 10**9, "maxPriorityFeePerGas": 10**9,
    }  # fmt: skip
    signed = account.sign_transaction(tx)
    return signed.raw_transaction.to_0x_hex(), signed.hash.to_0x_hex()


async def _send_private(mm_url: str, raw: str, hints: list[str]) -> str:
    async with JsonRpcClient(mm_url, name="user", signer=FlashbotsSigner.random()) as user:
        params = {"tx": raw, "preferences": {"privacy": {"hints": hints}}}
        return str(await user.call("eth_sendPrivateTransaction", [params]))


async def _next_hint(stream: HintStream) -> Hint:
    async with contextlib.aclosing(stream.hints()) as hints:
        async for hint in hints:
            return hint
    raise AssertionError("the stream ended without a hint")


def _run(url: str, m: Manifest, scenario, offer_sim: bool = True, refund_key: str | None = None) -> None:  # type: ignore[no-untyped-def]
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)

    async def main() -> None:
        async with (
            LocalBuilder(url) as builder,
            Matchmaker(builder, ping_interval=0.2, offer_sim=offer_sim, refund_key=refund_key) as mm,
        ):
            rig = build_searcher(url, w3, m, builder.url, contract)
            async with rig.fanout, MevShareClient(mm.url, FlashbotsSigner.random()) as client:
                await rig.searcher.process_block()
                signer = TransactionSigner(OWNER_KEY, w3.eth.chain_id)
                await scenario(w3, rig, mm, builder, client, signer, contract)
            await rig.node.close()

    asyncio.run(main())


@pytest.mark.parametrize(("venue", "eth_in"), [("sushiswap", 200 * 10**18), ("v3", 150 * 10**18)],
                         ids=["v2-sync-log", "v3-swap-log"])  # fmt: skip
def test_private_swap_known_by_its_logs_is_backrun_and_lands_right_after_it(
    fifo_replica: tuple[str, Manifest], venue: str, eth_in: int, tmp_path: Path
) -> None:
    """The logs hint states the pool's post-state (a V2 Sync, a V3 Swap with price, liquidity and tick): the
    backrun is sized on it exactly and the executor keeps exactly the quoted profit."""
    url, m = fifo_replica

    async def scenario(w3, rig, mm, builder, client, signer, contract) -> None:  # type: ignore[no-untyped-def]
        owner = w3.eth.accounts[0]
        stream = HintStream(mm.stream_url, backoff=0.05)
        raw, victim_hash = _signed_victim(w3, m, venue, eth_in)
        assert await _send_private(mm.url, raw, ["hash", "logs"]) == victim_hash
        hint = await asyncio.wait_for(_next_hint(stream), 30)
        stream.stop()
        # Known only through the hint: not in the node's pool, not on chain; the hint shows logs, no tx fields.
        assert raw_rpc(url, "eth_getTransactionByHash", [victim_hash]) is None
        assert hint.hash == victim_hash and hint.logs and not hint.txs
        rig.searcher.journal = Journal(BundleLog(tmp_path / "bundles.jsonl"), w3.eth.chain_id)
        runner = MevShareBackrunner(rig.searcher, HintStrategy(rig.searcher.arbitrage), client, signer)
        sent = await runner.process_hint(hint)
        assert sent and sent[0].result.sent, rig.searcher.counters
        assert runner.simulated == len(sent)  # each passed mev_simBundle at the matchmaker before it was sent
        assert all(s.hint.assumption == "exact" and s.plan.pre_hashes == (victim_hash,) for s in sent)
        weth0, eth0 = weth_balance(w3, m, contract.address), w3.eth.get_balance(owner)
        cb0 = w3.eth.get_balance(LOCAL_BUILDER_COINBASE)
        built = await mm.build_block()
        # The alternatives share one nonce: the matchmaker merges the best that does not revert after the victim.
        assert len(built.included) == 1 and mm.merged[-1].victim == victim_hash, mm.merged
        best = next(s for s in sent if s.result.tx_hash == mm.merged[-1].backrun)
        assert best.hint.assumption == "exact"
        c = best.plan.candidate
        assert c.gross_profit == max(s.plan.candidate.gross_profit for s in sent)  # the best alternative won
        ours = w3.eth.get_transaction_receipt(best.result.tx_hash)
        theirs = w3.eth.get_transaction_receipt(victim_hash)
        assert theirs["status"] == 1 and ours["status"] == 1
        assert ours["blockNumber"] == theirs["blockNumber"] == built.number
        assert ours["transactionIndex"] == theirs["transactionIndex"] + 1
        # The executor keeps exactly the quoted profit after the builder's share; gas is what the receipt says.
        payment = builder_payment(c.gross_profit, rig.searcher.params.bribe_share_bps)
        assert weth_balance(w3, m, contract.address) - weth0 == c.gross_profit - payment > 0
        gas_paid = ours["gasUsed"] * ours["effectiveGasPrice"]
        assert eth0 - w3.eth.get_balance(owner) == gas_paid
        assert ours["gasUsed"] <= best.plan.gas_limit
        assert w3.eth.get_balance(LOCAL_BUILDER_COINBASE) - cb0 >= payment
        # The refund (MEV-Share's default 90% of what the backrun paid the coinbase) goes to the victim's sender
        # in the same block, right after the backrun.
        merged = mm.merged[-1]
        assert built.tx_hashes == [victim_hash, best.result.tx_hash, merged.refund_tx]
        paid = payment + ours["gasUsed"] * (ours["effectiveGasPrice"] - w3.eth.get_block(built.number)["baseFeePerGas"])
        refund = w3.eth.get_transaction(merged.refund_tx)
        assert merged.refund == refund["value"] == paid * 90 // 100 > 0
        assert refund["to"] == Account.from_key(dev_key(VICTIM)).address
        assert w3.eth.get_transaction_receipt(merged.refund_tx)["status"] == 1
        assert c.gross_profit - payment - gas_paid >= best.plan.expected_net
        # The next head: the landed backrun is recorded with its realized net, its alternatives as superseded.
        await rig.searcher.process_block()
        landed = [o for o in runner.outcomes if isinstance(o, Landed)]
        assert len(landed) == 1 and landed[0].tx_hash == best.result.tx_hash and runner.outstanding == []
        assert landed[0].realized_net == c.gross_profit - payment - gas_paid == rig.searcher.counters.realized_pnl_wei
        assert {o.status for o in runner.outcomes if isinstance(o, Missed)} <= {"superseded"}
        assert len(runner.outcomes) == len(sent)
        records = [json.loads(line) for line in (tmp_path / "bundles.jsonl").read_text().splitlines()]
        # (the new head may also bring a cycle trade through the local builder: not this test's subject)
        sends = [r for r in records if r["event"] == "sent" and r["builders"] == ["mev-share"]]
        assert len(sends) == len(sent) and all(r["strategy"] == "backrun" for r in sends)
        ours = next(r for r in sends if r["tx_hashes"] == [victim_hash, best.result.tx_hash])
        assert int(ours["simulated_profit"]) == c.gross_profit - payment
        outcome = next(r for r in records if r["event"] != "sent" and r["uuid"] == ours["uuid"])
        assert outcome["landed"] is True and int(outcome["x_realized_net"]) == landed[0].realized_net

    _run(url, m, scenario, refund_key=dev_key(9))


@pytest.mark.parametrize("offer_sim", [False, True], ids=["guard-only", "mev_simBundle"])
def test_a_mis_sized_hint_costs_nothing_and_the_victim_still_lands(
    fifo_replica: tuple[str, Manifest], offer_sim: bool
) -> None:
    """Without mev_simBundle the backruns are sent and fail their minProfit guard at the matchmaker; with it
    they fail the simulation and are never sent. Either way nothing is paid and the victim lands alone."""
    url, m = fifo_replica

    async def scenario(w3, rig, mm, builder, client, signer, contract) -> None:  # type: ignore[no-untyped-def]
        owner = w3.eth.accounts[0]
        router = m.venues["sushiswap"].router
        pool = next(p.address for p in m.pools_for("WETH", "USDC") if p.venue == "sushiswap")
        # Only the router is shown: the strategy guesses the pool and sizes the victim on a ladder far above
        # the real swap (0.01 ETH), in both directions.
        strategy = HintStrategy(
            rig.searcher.arbitrage, ladder=(100 * 10**18, 300 * 10**18), router_pools={router: [pool]}
        )
        stream = HintStream(mm.stream_url, backoff=0.05)
        raw, victim_hash = _signed_victim(w3, m, "sushiswap", 10**16)
        await _send_private(mm.url, raw, ["hash", "contract_address", "function_selector"])
        hint = await asyncio.wait_for(_next_hint(stream), 30)
        stream.stop()
        assert hint.hash == victim_hash and not hint.logs and hint.txs[0].to == router.lower()
        runner = MevShareBackrunner(rig.searcher, strategy, client, signer, bundles_per_hint=4)
        sent = await runner.process_hint(hint)
        found = rig.searcher.counters.opportunities_found
        assert found >= 2  # the ladder did propose backruns (both directions)
        if offer_sim:
            assert sent == [] and runner.simulated == min(found, 4) and rig.searcher.counters.rejected >= 1
            assert not any(method == "mev_sendBundle" for method, _, _ in mm.requests)
        else:
            assert sent and all(s.result.sent for s in sent) and runner.simulated == 0
            assert all(s.hint.assumption.startswith("ladder:") for s in sent)
        weth0, eth0 = weth_balance(w3, m, contract.address), w3.eth.get_balance(owner)
        built = await mm.build_block()
        # Every backrun fails its minProfit guard after the real (small) victim: none merged, none mined.
        assert mm.merged[-1].backrun is None and set(mm.merged[-1].rejected) == {s.result.tx_hash for s in sent}
        assert built.tx_hashes == [victim_hash]
        assert w3.eth.get_transaction_receipt(victim_hash)["status"] == 1
        for s in sent:
            assert raw_rpc(url, "eth_getTransactionByHash", [s.result.tx_hash]) is None
        assert weth_balance(w3, m, contract.address) == weth0 and w3.eth.get_balance(owner) == eth0

    _run(url, m, scenario, offer_sim)


def test_a_searcher_built_with_mev_share_configured_backruns_from_its_own_hint_stream(
    fifo_replica: tuple[str, Manifest],
) -> None:
    """The wiring `arbbot run --live --mev-share URL` uses: the factory attaches the hint stream to the
    searcher's run loop, and a private swap is backrun without the test handing anything over."""
    from arbbot.config import BuilderSettings, SearcherSettings
    from arbbot.devnet.context import context_from_manifest
    from arbbot.engine.counters import SearcherEvent
    from arbbot.engine.factory import build

    url, m = fifo_replica
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)

    async def main() -> None:
        sent = asyncio.Event()
        events: list[SearcherEvent] = []

        def on_event(e: SearcherEvent) -> None:
            events.append(e)
            if e.kind == "sent" and e.data.get("kind") == "mev_share":
                sent.set()

        async with LocalBuilder(url) as builder, Matchmaker(builder, ping_interval=0.2) as mm:
            cfg = SearcherSettings(
                executor=contract.address, builders=[BuilderSettings(name="local", url=builder.url)],
                mev_share=mm.url, bribe_share_bps=5_000, preflight=False,
            )  # fmt: skip
            wiring = await build(cfg, context_from_manifest(m, url), live=True, key=OWNER_KEY,
                                 coinbase=LOCAL_BUILDER_COINBASE, on_event=on_event)  # fmt: skip
            searcher = wiring.searcher
            assert len(searcher.sources) == 1
            run = asyncio.create_task(searcher.run(use_ws=False, poll_interval=0.2))
            try:
                raw, victim_hash = _signed_victim(w3, m, "sushiswap", 200 * 10**18)
                await _send_private(mm.url, raw, ["hash", "logs"])
                await asyncio.wait_for(sent.wait(), 60)
                built = await mm.build_block()
                assert mm.merged[-1].victim == victim_hash and mm.merged[-1].backrun is not None, mm.merged
                assert built.tx_hashes == [victim_hash, mm.merged[-1].backrun]
                assert w3.eth.get_transaction_receipt(mm.merged[-1].backrun)["status"] == 1
            finally:
                searcher.stop()
                await run
                await wiring.aclose()
        errors = [e for e in events if e.kind == "error"]
        assert not errors, errors

    asyncio.run(main())


def test_the_matchmaker_refuses_what_the_protocol_forbids(fifo_replica: tuple[str, Manifest]) -> None:
    from arbbot.execution.bundles.errors import EndpointHttpError, EndpointRpcError
    from arbbot.execution.bundles.mev_share import send_bundle_params

    url, m = fifo_replica
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    # A freshly loaded state: anvil refuses a next-block timestamp until one block is mined on it.
    raw_rpc(url, "evm_mine")

    async def main() -> None:
        async with LocalBuilder(url) as builder, Matchmaker(builder) as mm:
            raw, victim_hash = _signed_victim(w3, m, "sushiswap", 10**16)
            other_raw, _ = _signed_victim(w3, m, "uniswap_v2", 10**16)
            async with JsonRpcClient(mm.url, name="mm", signer=FlashbotsSigner.random()) as rpc:
                # A backrun of a transaction the matchmaker does not hold.
                with pytest.raises(EndpointRpcError, match="unknown transaction"):
                    await rpc.call("mev_sendBundle", [send_bundle_params(victim_hash, other_raw, 10**6)])
                assert await _send_private(mm.url, raw, ["hash"]) == victim_hash
                ok = send_bundle_params(victim_hash, other_raw, 10**6)
                bad = [
                    ({**ok, "version": "v0.2"}, "version"),
                    ({**ok, "body": [*ok["body"], {"tx": other_raw, "canRevert": False}]}, "one backrun"),
                    ({**ok, "body": [ok["body"][0], {"tx": other_raw, "canRevert": True}]}, "canRevert"),
                    ({**ok, "body": [ok["body"][0], {"tx": "0x1234", "canRevert": False}]}, "body"),
                    ({**ok, "inclusion": {"block": "0x10", "maxBlock": "0x100"}}, "maxBlock"),
                ]
                for params, needle in bad:
                    with pytest.raises(EndpointRpcError, match=needle):
                        await rpc.call("mev_sendBundle", [params])
                assert (await rpc.call("mev_sendBundle", [ok]))["bundleHash"].startswith("0x")
                with pytest.raises(EndpointRpcError, match=r"privacy\.hints"):
                    await rpc.call(
                        "eth_sendPrivateTransaction", [{"tx": raw, "preferences": {"privacy": {"hints": ["x"]}}}]
                    )
            async with JsonRpcClient(mm.url, name="anon") as anon:  # unsigned
                with pytest.raises((EndpointRpcError, EndpointHttpError), match="signature"):
                    await anon.call("mev_sendBundle", [ok])
            # Only what the sender allowed: hash alone, no logs, no tx fields.
            assert mm.events and json.loads(mm.events[-1][1]) == {"hash": victim_hash, "logs": None, "txs": None}
            # A client coming back with Last-Event-ID gets only what it missed.
            second = await _send_private(mm.url, other_raw, ["hash", "contract_address"])
            stream = HintStream(mm.stream_url)
            stream.last_event_id = str(mm.events[-2][0])
            hint = await asyncio.wait_for(_next_hint(stream), 30)
            stream.stop()
            assert hint.hash == second and hint.txs[0].to == m.venues["uniswap_v2"].router.lower()

    asyncio.run(main())
