"""The control plane on the replica: the control API over real HTTP (auth, validation, state, SSE) and its
switches acting on the live searcher, judged by what the local builder (a test double of a real builder)
received, never by the searcher's own counters alone."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from web3 import HTTPProvider, Web3
from web3.exceptions import TransactionNotFound

from arbbot.chain.rpc import RpcClient
from arbbot.collectors.mev_share import HintStream
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.control import ControlLimits, ControlState
from arbbot.engine.control_api import ControlServer, control_path
from arbbot.engine.counters import SearcherEvent
from arbbot.engine.factory import check_executor_limits
from arbbot.engine.mev_share import MevShareBackrunner
from arbbot.errors import ConfigError
from arbbot.execution.bundles import FlashbotsSigner, TransactionSigner
from arbbot.execution.bundles.fanout import BuilderEndpoint
from arbbot.execution.bundles.mev_share import MevShareClient
from arbbot.metrics import Metrics
from arbbot.strategy.costs import builder_payment
from arbbot.strategy.hints import HintStrategy
from arbbot.testing.local_builder import LOCAL_BUILDER_COINBASE, LocalBuilder
from arbbot.testing.matchmaker import Matchmaker
from tests.conftest import Replica
from tests.integration.searcher.harness import OWNER_KEY, Rig, build_searcher, fifo_node, router_call
from tests.integration.searcher.test_mev_share import (  # the same victim, hint and replica as the MEV-Share tests
    _next_hint,
    _send_private,
    _signed_victim,
)

TOKEN = "t0ken-for-tests-only"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Arbbot-Actor": "ana"}
WAIT_S = 60.0


@pytest.fixture
def fifo_replica(tmp_path: Path) -> Iterator[tuple[str, Manifest]]:
    """Its own replica node with `--order fifo` (victim and backrun come from different senders)."""
    with fifo_node("default", tmp_path) as node:
        yield node


def _control(builders: list[str]) -> ControlState:
    return ControlState(bribe_share_bps=5_000, min_profit_wei=0, builders=builders,
                        limits=ControlLimits((1_000, 9_000), (0, 10**18)))  # fmt: skip


def _dislocate(w3: Web3, m: Manifest, eth_in: int = 300 * 10**18) -> None:
    """A big buy of USDC on one venue, mined in its own block: a cycle opens against the other venues."""
    tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], eth_in))
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _sent_to(builder: LocalBuilder, method: str = "eth_sendBundle") -> int:
    return sum(1 for r in builder.requests if r.method == method)


@asynccontextmanager
async def _api(
    rig: Rig, data_dir: Path | None = None, keepalive: float = 15.0
) -> AsyncIterator[tuple[ControlServer, aiohttp.ClientSession]]:
    server = ControlServer(rig.searcher, TOKEN, data_dir=data_dir, keepalive=keepalive)
    await server.start()
    try:
        async with aiohttp.ClientSession(base_url=server.url) as http:
            yield server, http
    finally:
        await server.stop()


async def _post(http: aiohttp.ClientSession, path: str, body: Any, status: int = 200) -> dict[str, Any]:
    async with http.post(path, json=body, headers=AUTH) as r:
        answer = await r.json()
        assert r.status == status, answer
        return dict(answer)


async def _next_event(stream: aiohttp.ClientResponse, kind: str) -> tuple[int, dict[str, Any]]:
    """The next SSE event of `kind` (id, data), read within a deadline."""
    async with asyncio.timeout(WAIT_S):
        fields: dict[str, str] = {}
        while True:
            line = (await stream.content.readline()).decode().rstrip("\n")
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.strip()
                continue
            if fields.get("event") == kind:
                return int(fields["id"]), json.loads(fields["data"])
            fields = {}


def test_the_api_authenticates_validates_round_trips_and_streams_events(replica: Replica, tmp_path: Path) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)
    metrics = Metrics()

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            control = _control(["local"])
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=control, metrics=metrics)
            async with rig.fanout, _api(rig, tmp_path, keepalive=0.2) as (server, http):
                assert json.loads(control_path(tmp_path).read_text()) == {"url": server.url, "pid": os.getpid()}
                assert server.url is not None and server.url.startswith("http://127.0.0.1:")
                # Auth: none, wrong (same and other length), and right.
                for headers in ({}, {"Authorization": "Bearer " + "x" * len(TOKEN)}, {"Authorization": "Bearer no"},
                                {"Authorization": TOKEN}):  # fmt: skip
                    async with http.get("/v1/state", headers=headers) as r:
                        assert r.status == 401 and "token" in (await r.json())["error"]
                async with http.post("/v1/kill", json={"engaged": True}) as r:
                    assert r.status == 401
                assert not rig.searcher.control.killed  # refused requests change nothing
                async with http.get("/v1/state", headers=AUTH) as r:
                    assert r.status == 200
                    state = await r.json()
                assert state["paused"] is False and state["killed"] is False and state["generation"] == 0
                assert state["bribe_share_bps"] == 5_000 and state["min_profit_wei"] == "0"
                assert state["limits"] == {"bribe_share_bps": [1_000, 9_000], "min_profit_wei": ["0", str(10**18)]}
                assert state["builders"] == {"local": {"enabled": True}}
                assert state["strategies"] == ["cycles", "backrun", "mev_share"]
                assert state["head"]["number"] == w3.eth.block_number and state["counters"]["sent"] == 0
                # Out of limits / malformed: 400 naming the field and value; unknown builder: 404.
                for body, text in (
                    ({"bribe_share_bps": 9_001}, "bribe_share_bps: 9001 is outside the limits [1000, 9000]"),
                    ({"min_profit_wei": str(10**18 + 1)}, f"min_profit_wei: {10**18 + 1} is outside the limits"),
                    ({"min_profit_wei": "0x10"}, "min_profit_wei: must be a decimal string of wei, got '0x10'"),
                    ({"bribe": 1}, "bribe: unknown field"),
                ):
                    assert text in (await _post(http, "/v1/params", body, 400))["error"]
                assert (
                    "engaged: must be true or false, got 'yes'"
                    in (await _post(http, "/v1/kill", {"engaged": "yes"}, 400))["error"]
                )
                wrong = await _post(http, "/v1/pause", {"strategy": "arb"}, 400)
                assert "strategy: 'arb' is not one of" in wrong["error"]
                assert "builder: 'nope'" in (await _post(http, "/v1/builders/nope", {"enabled": False}, 404))["error"]
                assert (await _post(http, "/v1/state", {}, 405))["error"].startswith("POST /v1/state")
                assert rig.searcher.control.generation == 0
                # The stream: a control change, then a block.
                async with http.get("/v1/events", headers=AUTH) as stream:
                    assert stream.headers["Content-Type"].startswith("text/event-stream")
                    s = await _post(http, "/v1/params", {"bribe_share_bps": 7_000, "min_profit_wei": "123"})
                    assert s["bribe_share_bps"] == 7_000 and s["min_profit_wei"] == "123" and s["generation"] == 2
                    first, event = await _next_event(stream, "control")
                    assert event == {"what": "bribe_share_bps", "old": 5_000, "new": 7_000, "actor": "ana"}
                    second, event = await _next_event(stream, "control")
                    assert event == {"what": "min_profit_wei", "old": "0", "new": "123", "actor": "ana"}
                    assert second == first + 1
                    await rig.searcher.process_block()
                    async with http.get("/v1/state", headers=AUTH) as r:
                        pace = (await r.json())["pace"]
                    (step,) = pace["steps"]  # the searcher's own record: no browser needed to watch it
                    assert step["number"] == w3.eth.block_number and pace["blocks_per_s"] is None  # one head
                    stamp = w3.eth.get_block("latest")["timestamp"]
                    assert 0 <= pace["lag_s"] == step["lag_s"] <= time.time() - stamp + 1e-3
                    third, block = await _next_event(stream, "block")
                    assert third > second and block["number"] == w3.eth.block_number
                    assert block["hash"] == w3.eth.get_block("latest")["hash"].to_0x_hex()
                    assert block["candidates"] == 0 and block["sent"] == 0
                    async with asyncio.timeout(WAIT_S):  # a quiet stream says it is alive
                        while (await stream.content.readline()) != b": keepalive\n":
                            pass
                # The next update trades on the new parameters.
                assert (rig.searcher.params.bribe_share_bps, rig.searcher.params.min_profit_wei) == (7_000, 123)
                # Round trips of every switch.
                s = await _post(http, "/v1/pause", {})
                assert s["paused"] is True and s["generation"] == 3
                s = await _post(http, "/v1/pause", {"strategy": "backrun"})
                assert s["paused_strategies"] == ["backrun"]
                s = await _post(http, "/v1/resume", {})
                assert s["paused"] is False and s["paused_strategies"] == ["backrun"]
                s = await _post(http, "/v1/resume", {"strategy": "backrun"})
                assert s["paused_strategies"] == []
                s = await _post(http, "/v1/kill", {"engaged": True})
                assert s["killed"] is True
                assert metrics.control_killed._value.get() == 1
                s = await _post(http, "/v1/kill", {"engaged": False})
                assert s["killed"] is False
                s = await _post(http, "/v1/builders/local", {"enabled": False})
                assert s["builders"] == {"local": {"enabled": False}} and s["generation"] == 9
                async with http.get("/v1/state", headers=AUTH) as r:
                    assert (await r.json())["generation"] == 9
                # The metrics follow.
                assert metrics.control_builder_enabled.labels(builder="local")._value.get() == 0
                assert metrics.control_killed._value.get() == 0
                assert metrics.control_bribe_share_bps._value.get() == 7_000
                assert metrics.control_min_profit_wei._value.get() == 123
                assert metrics.control_changes.labels(what="killed")._value.get() == 2
            assert not control_path(tmp_path).exists()  # removed when the server stopped
            await rig.node.close()

    asyncio.run(scenario())


def test_pause_stops_every_bundle_while_opportunities_keep_coming_and_resume_lands_one(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]))
            c = rig.searcher.counters
            async with rig.fanout, _api(rig) as (_server, http):
                await rig.searcher.process_block()  # in step with the head
                await _post(http, "/v1/pause", {})
                for _ in range(3):  # the replica keeps producing opportunities
                    _dislocate(w3, m, 100 * 10**18)
                    await rig.searcher.process_block()
                assert c.opportunities_found >= 3 and c.skipped_paused == c.opportunities_found, c
                assert _sent_to(builder) == 0 and _sent_to(builder, "eth_callBundle") == 0
                assert c.sent == 0 and c.simulated == 0  # not even simulated while paused
                assert c.blocks_processed == 4  # it still followed every block
                await _post(http, "/v1/resume", {})
                _dislocate(w3, m, 100 * 10**18)
                plans = await rig.searcher.process_block()
                assert plans and c.sent == 1 and _sent_to(builder) >= 1, c
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                assert c.landed == 1
            await rig.node.close()

    asyncio.run(scenario())


def test_a_paused_strategy_is_held_back_and_the_others_trade(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]))
            c = rig.searcher.counters
            async with rig.fanout:
                await rig.searcher.process_block()
                rig.searcher.control.pause("backrun", actor="ana")
                _dislocate(w3, m)
                plans = await rig.searcher.process_block()  # cycles are not paused: it trades
                assert plans and c.sent == 1 and _sent_to(builder) >= 1
                rig.searcher.control.pause("cycles", actor="ana")
                before = _sent_to(builder)
                _dislocate(w3, m, 200 * 10**18)
                assert await rig.searcher.process_block() == []
                assert c.skipped_paused >= 1 and _sent_to(builder) == before
            await rig.node.close()

    asyncio.run(scenario())


def test_kill_switch_engaged_nothing_leaves(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]),
                                 preflight=True)  # fmt: skip
            c = rig.searcher.counters
            async with rig.fanout, _api(rig) as (_server, http):
                await rig.searcher.process_block()
                s = await _post(http, "/v1/kill", {"engaged": True})
                assert s["killed"] is True
                for _ in range(2):
                    _dislocate(w3, m, 150 * 10**18)
                    assert await rig.searcher.process_block() == []
                assert c.opportunities_found >= 2 and c.not_sent_killed == c.opportunities_found
                assert builder.requests == []  # not a preflight, not a bundle
                # Pause and resume do not lift it; only {"engaged": false} does.
                await _post(http, "/v1/pause", {})
                await _post(http, "/v1/resume", {})
                _dislocate(w3, m, 150 * 10**18)
                assert await rig.searcher.process_block() == []
                assert builder.requests == []
                await _post(http, "/v1/kill", {"engaged": False})
                _dislocate(w3, m, 150 * 10**18)
                assert await rig.searcher.process_block() and _sent_to(builder) >= 1
            await rig.node.close()

    asyncio.run(scenario())


def test_kill_switch_withdraws_the_bundles_already_in_flight(replica: Replica) -> None:
    """A bundle sent for the next block is withdrawn at the builder when the switch is thrown before that block is
    built: the block is built without it, and its outcome says why."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]))
            events: list[SearcherEvent] = []
            rig.searcher.on_event = events.append
            c = rig.searcher.counters
            async with rig.fanout, _api(rig) as (_server, http):
                await rig.searcher.process_block()
                _dislocate(w3, m)
                assert await rig.searcher.process_block() and c.sent == 1
                await rig.executor.settle()
                (held,) = builder.pending_bundles()
                ours = rig.searcher.results[-1].tx_hash
                assert ours is not None and ours in held.tx_hashes
                await _post(http, "/v1/kill", {"engaged": True})
                await rig.executor.settle()  # the withdrawal has been answered
                assert _sent_to(builder, "eth_cancelBundle") == 1
                assert builder.pending_bundles() == []
                built = await builder.build_block()
                assert built.included == []
                with pytest.raises(TransactionNotFound):  # never mined
                    w3.eth.get_transaction(ours)
                assert await rig.searcher.process_block() == []
                (missed,) = [e for e in events if e.kind == "missed"]
                assert missed.data["status"] == "withdrawn", missed.data
                assert missed.data["reason"] == "kill switch engaged; withdrawn at local"
                assert [e.data["count"] for e in events if e.kind == "withdrawing"] == [1]
                assert c.landed == 0 and c.missed == 1
                # Thrown again while engaged: nothing left to withdraw, nothing asked.
                await _post(http, "/v1/kill", {"engaged": True})
                await rig.executor.settle()
                assert _sent_to(builder, "eth_cancelBundle") == 1
            await rig.node.close()

    asyncio.run(scenario())


def _kill_on(rig: Rig, kind: str) -> None:
    """Engage the kill switch from the searcher's own progress hook when it reports `kind` (deterministic)."""
    control = rig.searcher.control

    def hook(event: SearcherEvent) -> None:
        if event.kind == kind:
            control.set_killed(True, actor="hook")

    rig.searcher.on_event = hook


def test_kill_thrown_between_simulation_and_send_stops_the_send(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]))
            c = rig.searcher.counters
            async with rig.fanout:
                await rig.searcher.process_block()
                _kill_on(rig, "simulated")  # the plan is judged profitable; the switch flips before it is sent
                _dislocate(w3, m)
                assert await rig.searcher.process_block() == []
                assert c.simulated >= 1 and c.not_sent_killed == 1 and c.sent == 0, c
                assert builder.requests == []
            await rig.node.close()

    asyncio.run(scenario())


def test_kill_thrown_as_the_fanout_starts_stops_every_request(replica: Replica) -> None:
    """The switch flips after the searcher's own check, as the fan-out starts: the fan-out's gate, asked right
    before each request leaves, still holds (preflight and sends alike)."""
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]),
                                 preflight=True)  # fmt: skip
            c = rig.searcher.counters
            start: Callable[..., Any] = rig.fanout.start

            def start_then_kill(*args: Any, **kwargs: Any) -> Any:
                handle = start(*args, **kwargs)  # the requests are scheduled, none has run yet
                rig.searcher.control.set_killed(True, actor="test")
                return handle

            rig.fanout.start = start_then_kill  # type: ignore[method-assign]
            async with rig.fanout:
                await rig.searcher.process_block()
                _dislocate(w3, m)
                await rig.searcher.process_block()
                await rig.executor.settle()
                assert builder.requests == []  # nothing reached the builder
                assert c.sent == 0 and rig.searcher.results and not rig.searcher.results[0].sent
                reasons = {a.error for a in rig.searcher.results[0].attempts}
                assert reasons == {"kill switch engaged"}, reasons
            await rig.node.close()

    asyncio.run(scenario())


def test_a_disabled_builder_receives_nothing_while_an_enabled_one_does(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder, LocalBuilder(replica.url) as other:
            extra = [BuilderEndpoint("other", other.url, call_bundle=True, cancel="endpoint")]
            rig = build_searcher(replica.url, w3, m, builder.url, contract, extra_builders=extra,
                                 control=_control(["local", "other"]), preflight=True)  # fmt: skip
            async with rig.fanout, _api(rig) as (_server, http):
                await rig.searcher.process_block()
                s = await _post(http, "/v1/builders/other", {"enabled": False})
                assert s["builders"] == {"local": {"enabled": True}, "other": {"enabled": False}}
                _dislocate(w3, m)
                assert await rig.searcher.process_block()
                await rig.executor.settle()
                assert _sent_to(builder) >= 1 and other.requests == []
                assert rig.searcher.results[0].accepted_by == ("local",)
                # Enabled again, it gets the next bundle.
                await _post(http, "/v1/builders/other", {"enabled": True})
                _dislocate(w3, m, 200 * 10**18)
                assert await rig.searcher.process_block()
                await rig.executor.settle()
                assert _sent_to(other) >= 1
            await rig.node.close()

    asyncio.run(scenario())


def test_mev_share_backruns_obey_the_kill_switch_even_when_thrown_after_the_matchmaker_simulated(
    fifo_replica: tuple[str, Manifest],
) -> None:
    """Killed: the hint's backruns are neither simulated at the matchmaker nor sent. Thrown right after the
    matchmaker's mev_simBundle answered: no mev_sendBundle leaves. Lifted: the backrun goes out."""
    url, m = fifo_replica
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    contract = deploy_executor(w3, m)

    async def main() -> None:
        async with LocalBuilder(url) as builder, Matchmaker(builder, ping_interval=0.2) as mm:
            rig = build_searcher(url, w3, m, builder.url, contract, control=_control(["local"]))
            control = rig.searcher.control
            async with rig.fanout, MevShareClient(mm.url, FlashbotsSigner.random()) as client:
                await rig.searcher.process_block()
                signer = TransactionSigner(OWNER_KEY, w3.eth.chain_id)
                runner = MevShareBackrunner(rig.searcher, HintStrategy(rig.searcher.arbitrage), client, signer)
                stream = HintStream(mm.stream_url, backoff=0.05)
                raw, victim = _signed_victim(w3, m, "sushiswap", 200 * 10**18)
                assert await _send_private(mm.url, raw, ["hash", "logs"]) == victim
                hint = await asyncio.wait_for(_next_hint(stream), 30)
                stream.stop()
                methods = lambda: [method for method, _, _ in mm.requests]  # noqa: E731
                control.set_killed(True, actor="test")
                assert await runner.process_hint(hint) == []
                assert "mev_simBundle" not in methods() and "mev_sendBundle" not in methods()
                assert rig.searcher.counters.not_sent_killed >= 1
                control.set_killed(False, actor="test")
                simulate = client.sim_bundle

                async def simulate_then_kill(params: Any) -> Any:
                    answer = await simulate(params)
                    control.set_killed(True, actor="test")
                    return answer

                client.sim_bundle = simulate_then_kill  # type: ignore[method-assign]
                assert await runner.process_hint(hint) == []
                assert "mev_simBundle" in methods() and "mev_sendBundle" not in methods()
                client.sim_bundle = simulate  # type: ignore[method-assign]
                control.set_killed(False, actor="test")
                sent = await runner.process_hint(hint)
                assert sent and sent[0].result.sent and "mev_sendBundle" in methods()
            await rig.node.close()

    asyncio.run(main())


def test_a_new_bribe_share_is_paid_on_chain_and_a_new_minimum_profit_holds_back_what_does_not_clear_it(
    replica: Replica,
) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m)

    async def scenario() -> None:
        async with LocalBuilder(replica.url) as builder:
            rig = build_searcher(replica.url, w3, m, builder.url, contract, control=_control(["local"]))
            c = rig.searcher.counters
            async with rig.fanout, _api(rig) as (_server, http):
                await rig.searcher.process_block()
                await _post(http, "/v1/params", {"bribe_share_bps": 7_000})
                _dislocate(w3, m)
                plans = await rig.searcher.process_block()  # the next update uses the new share
                assert plans and c.sent == 1
                executed = plans[0].sim.executed
                assert executed is not None
                assert executed.builder_payment == builder_payment(plans[0].candidate.gross_profit, 7_000)
                cb0 = w3.eth.get_balance(LOCAL_BUILDER_COINBASE)
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                assert c.landed == 1
                # Paid on chain at the new share (WETH unwrapped to the coinbase by the executor).
                assert w3.eth.get_balance(LOCAL_BUILDER_COINBASE) - cb0 >= executed.builder_payment
                # A minimum profit no opportunity here clears: found and judged, nothing sent.
                await _post(http, "/v1/params", {"min_profit_wei": str(10**18)})
                rejected, sent, requests = c.rejected, c.sent, _sent_to(builder)
                _dislocate(w3, m, 20 * 10**18)
                assert await rig.searcher.process_block() == []
                assert c.rejected > rejected and c.sent == sent and _sent_to(builder) == requests
            await rig.node.close()

    asyncio.run(scenario())


def test_a_bribe_share_limit_above_the_executors_cap_is_refused_at_start(replica: Replica) -> None:
    w3, m = replica.w3, replica.manifest
    contract = deploy_executor(w3, m, max_builder_share_bps=8_000)
    check_executor_limits(RpcClient(replica.url), contract.address, 8_000, True, "control.bribe_share_bps_max")
    with pytest.raises(ConfigError) as err:
        check_executor_limits(RpcClient(replica.url), contract.address, 8_001, True, "control.bribe_share_bps_max")
    assert str(err.value).startswith("control.bribe_share_bps_max: 8001 is above the executor's cap of 8000 bps")
