"""The bundle client end to end against LocalBuilder over a REAL anvil node.

Every scenario starts its own anvil (stopped by PID on exit by AnvilNode) with `--order fifo`, the mode in
which anvil keeps submission order inside a block; one test checks what happens under the default
fee ordering. Block production is driven explicitly with `build_block`, so nothing waits on timers.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from arbbot.chain.anvil import AnvilNode, dev_key, pid_alive
from arbbot.execution.bundles import (
    BundleClient,
    EndpointRpcError,
    Fees,
    FlashbotsSigner,
    InclusionStatus,
    InclusionTracker,
    JsonRpcClient,
    SignedTx,
    TransactionSigner,
    bundle_hash,
)
from arbbot.execution.bundles.fanout import BuilderEndpoint, BundleFanout
from arbbot.execution.bundles.signing import HEADER
from arbbot.testing.local_builder import LocalBuilder, LocalBuilderError

T = TypeVar("T")
CHAIN_ID = 31337
GWEI = 10**9
REVERTER = "0x00000000000000000000000000000000000000b1"  # reverts with the bytes "nope"
REVERTER_CODE = "0x636e6f70656000526004601cfd"
PAYER = "0x00000000000000000000000000000000000000c2"  # forwards msg.value to block.coinbase
PAYER_CODE = "0x600060006000600034415af100"

DEV_KEYS = [dev_key(i) for i in range(3)]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnvilNode]:
    with AnvilNode(log_path=tmp_path / "anvil.log", extra_args=["--order", "fifo"]) as n:
        pid = n.pid
        yield n
    assert not pid_alive(pid)


@dataclass
class Env:
    node: JsonRpcClient
    builder: LocalBuilder
    client: BundleClient
    tracker: InclusionTracker
    signers: list[TransactionSigner]
    reputation: FlashbotsSigner

    async def head(self) -> int:
        return int(await self.node.call("eth_blockNumber"), 16)

    async def transfer(self, i: int, to: int | str, value: int, tip: int = GWEI, nonce: int | None = None) -> SignedTx:
        s = self.signers[i]
        dest = self.signers[to].address if isinstance(to, int) else to
        fees = Fees(50 * GWEI, tip)
        if nonce is not None:
            return s.sign(to=dest, nonce=nonce, gas=21000, fees=fees, value=value)
        return await s.sign_next(to=dest, gas=21000, fees=fees, value=value)

    async def call_contract(self, i: int, to: str, value: int = 0, nonce: int | None = None) -> SignedTx:
        s = self.signers[i]
        fees = Fees(50 * GWEI, GWEI)
        if nonce is not None:
            return s.sign(to=to, nonce=nonce, gas=100_000, fees=fees, value=value)
        return await s.sign_next(to=to, gas=100_000, fees=fees, value=value)

    async def receipt(self, tx: SignedTx) -> dict[str, Any] | None:
        return await self.node.call("eth_getTransactionReceipt", [tx.hash])

    async def mined_receipt(self, tx: SignedTx, timeout: float = 10.0) -> dict[str, Any]:
        """Poll (bounded) for the receipt of a tx sent to the automining node: it is mined just after the send."""
        deadline = time.monotonic() + timeout
        while (rc := await self.receipt(tx)) is None:
            assert time.monotonic() < deadline, f"{tx.hash} not mined within {timeout}s"
            await asyncio.sleep(0.01)
        return rc


def scenario(node_url: str, body: Callable[[Env], Awaitable[T]], **builder_kw: Any) -> T:
    async def run() -> T:
        async with (
            JsonRpcClient(node_url, name="node") as rpc,
            LocalBuilder(node_url, **builder_kw) as builder,
        ):
            await rpc.call("anvil_setCode", [REVERTER, REVERTER_CODE])
            await rpc.call("anvil_setCode", [PAYER, PAYER_CODE])
            reputation = FlashbotsSigner.random()
            async with BundleClient(builder.url, name="local", signer=reputation, timeout=30) as client:
                env = Env(
                    node=rpc,
                    builder=builder,
                    client=client,
                    tracker=InclusionTracker(rpc, coinbase_names={builder.coinbase: "local"}),
                    signers=[TransactionSigner(k, CHAIN_ID, rpc=rpc) for k in DEV_KEYS],
                    reputation=reputation,
                )
                return await body(env)

    return asyncio.run(run())


def test_dev_keys_match_anvil_account_0() -> None:
    assert DEV_KEYS[0] == "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def test_call_bundle_two_transfers(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        balance_before = await env.node.call("eth_getBalance", [env.signers[1].address, "latest"])
        t1 = await env.transfer(0, 1, 10**18, tip=2 * GWEI)
        t2 = await env.transfer(1, 2, 1, tip=1 * GWEI)
        sim = await env.client.call_bundle([t1, t2], head + 1)

        assert sim.bundle_hash == bundle_hash([t1, t2])
        assert sim.state_block_number == head
        assert sim.total_gas_used == 42000 and [r.gas_used for r in sim.results] == [21000, 21000]
        assert [r.tx_hash for r in sim.results] == [t1.hash, t2.hash]
        assert [r.from_address for r in sim.results] == [env.signers[0].address, env.signers[1].address]
        assert [r.to_address for r in sim.results] == [env.signers[1].address, env.signers[2].address]
        assert [r.gas_fees for r in sim.results] == [21000 * 2 * GWEI, 21000 * GWEI]  # priority fee only
        assert [r.gas_price for r in sim.results] == [2 * GWEI, GWEI]
        assert all(r.eth_sent_to_coinbase == 0 and r.value == "0x" and not r.reverted for r in sim.results)
        assert sim.coinbase_diff == sim.gas_fees == 63000 * GWEI
        assert sim.bundle_gas_price == 63000 * GWEI // 42000

        # Simulation leaves no trace on the node.
        assert await env.head() == head
        assert await env.node.call("eth_getBalance", [env.signers[1].address, "latest"]) == balance_before
        assert await env.receipt(t1) is None
        assert await env.node.call("anvil_getAutomine") is True
        assert int(await env.node.call("eth_getTransactionCount", [env.signers[0].address, "latest"]), 16) == 0

    scenario(node.url, body)


def test_call_bundle_with_transactions_waiting_in_the_pool(node: AnvilNode) -> None:
    """A block producer's pool is not empty: the simulation runs on the head state without them, and they
    are still waiting (pending and queued) afterwards."""

    async def body(env: Env) -> None:
        await env.node.call("evm_setAutomine", [False])
        head = await env.head()
        waiting = await env.transfer(2, 1, 5, nonce=0)
        gapped = await env.transfer(2, 1, 6, nonce=2)  # nonce gap: queued
        for tx in (waiting, gapped):
            await env.node.call("eth_sendRawTransaction", [tx.raw])
        ours = await env.transfer(0, 1, 10**18)
        sim = await env.client.call_bundle([ours], head + 1)
        assert [r.tx_hash for r in sim.results] == [ours.hash] and not sim.results[0].reverted
        assert sim.total_gas_used == 21000  # nothing from the pool ran with it
        assert await env.head() == head
        content = await env.node.call("txpool_content")
        pooled = {
            tx["hash"] for section in ("pending", "queued") for txs in content[section].values() for tx in txs.values()
        }
        assert pooled == {waiting.hash, gapped.hash}
        await env.node.call("evm_setAutomine", [True])

    scenario(node.url, body)


def test_a_trial_block_does_not_eat_the_pool(node: AnvilNode) -> None:
    """Transactions reaching the pool while the builder tries blocks (every bundle of a build is tried on
    the head and rolled back) are neither mined into a trial nor lost with its rollback."""

    async def body(env: Env) -> None:
        await env.node.call("evm_setAutomine", [False])
        head = await env.head()
        waiting = await env.transfer(2, 1, 5, nonce=0)
        gapped = await env.transfer(2, 1, 6, nonce=2)  # nonce gap: queued
        for tx in (waiting, gapped):
            await env.node.call("eth_sendRawTransaction", [tx.raw])
        ours = await env.transfer(0, 1, 10**18)
        receipts = await env.builder.trial_receipts([ours.raw])
        assert set(receipts) == {ours.hash}
        assert await env.head() == head and await env.receipt(ours) is None and await env.receipt(waiting) is None
        content = await env.node.call("txpool_content")
        sections = {
            section: {tx["hash"] for txs in content[section].values() for tx in txs.values()}
            for section in ("pending", "queued")
        }
        assert sections == {"pending": {waiting.hash}, "queued": {gapped.hash}}
        assert await env.node.call("anvil_getAutomine") is False
        await env.node.call("evm_mine")
        assert (await env.receipt(waiting) or {}).get("status") == "0x1"
        await env.node.call("evm_setAutomine", [True])

    scenario(node.url, body)


def test_call_bundle_coinbase_payment_revert_and_errors(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        pay = await env.call_contract(0, PAYER, value=10**16)
        rev = await env.call_contract(0, REVERTER)
        sim = await env.client.call_bundle([pay, rev], head + 1)
        p, r = sim.results
        assert p.eth_sent_to_coinbase == 10**16 and p.coinbase_diff == 10**16 + p.gas_fees
        assert p.gas_fees == p.gas_used * GWEI and p.gas_price == p.coinbase_diff // p.gas_used
        assert r.error == "execution reverted" and r.revert == "nope" and r.value is None
        assert r.eth_sent_to_coinbase == 0 and r.coinbase_diff == r.gas_fees == r.gas_used * GWEI
        assert sim.first_revert is r and sim.eth_sent_to_coinbase == 10**16
        assert sim.coinbase_diff == p.coinbase_diff + r.coinbase_diff

        # Simulating with another coinbase sends the payment there; the builder's own coinbase is untouched.
        other = "0x00000000000000000000000000000000000000ee"
        sim_other = await env.client.call_bundle([pay], head + 1, coinbase=other)
        assert sim_other.eth_sent_to_coinbase == 10**16
        assert await env.node.call("eth_coinbase") == "0x0000000000000000000000000000000000000000"

        # A tx the node refuses fails the whole call (spec A3), naming the tx.
        stale = await env.transfer(1, 0, 1, nonce=5)
        with pytest.raises(EndpointRpcError, match=f"local eth_callBundle: error -32000: err: .*txhash {stale.hash}"):
            await env.client.call_bundle([pay, stale], head + 1)
        with pytest.raises(EndpointRpcError, match="unable to decode bundle"):
            await env.client.call_bundle(["0x02deadbeef"], head + 1)
        with pytest.raises(EndpointRpcError, match="simulates on the head only"):
            await env.client.call_bundle([pay], head + 1, state_block_number=head + 5)
        assert await env.node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}

    scenario(node.url, body)


def test_send_bundle_lands_atomically_in_its_target_block_only(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        t1 = await env.transfer(0, 1, 10**18)
        t2 = await env.transfer(1, 2, 5 * 10**17)
        t3 = await env.transfer(0, 2, 1)
        sent = await env.client.send_bundle([t1, t2, t3], head + 2)
        assert sent.bundle_hash == bundle_hash([t1, t2, t3])

        early = await env.builder.build_block(head + 1)  # not the target: must not include it
        assert early.included == [] and await env.receipt(t1) is None
        assert (await env.tracker.check([t1.hash, t2.hash, t3.hash], [head + 2])).status is InclusionStatus.PENDING
        with pytest.raises(LocalBuilderError, match="only build the next block"):
            await env.builder.build_block(head + 5)

        built = await env.builder.build_block(head + 2)
        assert built.included == [sent.bundle_hash]
        receipts = [await env.receipt(t) for t in (t1, t2, t3)]
        assert [int(rc["blockNumber"], 16) for rc in receipts] == [head + 2] * 3
        assert [int(rc["transactionIndex"], 16) for rc in receipts] == [0, 1, 2]
        assert all(rc["status"] == "0x1" for rc in receipts)
        block = await env.node.call("eth_getBlockByNumber", [hex(head + 2), False])
        assert block["transactions"] == [t1.hash, t2.hash, t3.hash]
        assert block["miner"].lower() == env.builder.coinbase.lower() == built.coinbase.lower()

        landed = await env.tracker.check([t1.hash, t2.hash, t3.hash], [head + 2])
        assert landed.status is InclusionStatus.LANDED and landed.block_number == head + 2
        assert landed.builder == "local" and landed.block_hash == built.hash
        assert await env.node.call("anvil_getAutomine") is True
        assert await env.node.call("eth_coinbase") == "0x0000000000000000000000000000000000000000"

        # A bundle whose target block is produced by someone else never lands later.
        late = await env.transfer(2, 0, 7)
        await env.client.send_bundle([late], head + 3)
        await env.node.call("evm_mine")  # block head+3 from another "builder"
        after = await env.builder.build_block()
        assert after.number == head + 4 and after.included == [] and env.builder.pending_bundles() == []
        assert await env.receipt(late) is None
        missed = await env.tracker.check([late.hash], [head + 3])
        assert missed.status is InclusionStatus.MISSED

    scenario(node.url, body)


def test_reverting_tx_drops_the_bundle_unless_allowed(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        pay = await env.transfer(0, 1, 10**18, nonce=0)
        rev = await env.call_contract(0, REVERTER, nonce=1)
        first = await env.client.send_bundle([pay, rev], head + 1)
        built = await env.builder.build_block()
        assert built.included == []
        assert "reverted and is not in revertingTxHashes" in built.dropped[first.bundle_hash]
        assert await env.receipt(pay) is None and await env.receipt(rev) is None  # atomic: nothing of it

        allowed = await env.client.send_bundle([pay, rev], head + 2, reverting_tx_hashes=[rev.hash])
        built = await env.builder.build_block()
        assert built.included == [allowed.bundle_hash]
        pay_rc, rev_rc = await env.receipt(pay), await env.receipt(rev)
        assert pay_rc is not None and rev_rc is not None
        assert (pay_rc["status"], rev_rc["status"]) == ("0x1", "0x0")
        landed = await env.tracker.check([pay.hash, rev.hash], [head + 2])
        assert landed.landed and landed.reverted == (rev.hash,)

    scenario(node.url, body)


def test_timestamps_and_competing_bundles(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head_block = await env.node.call("eth_getBlockByNumber", ["latest", False])
        head, ts = int(head_block["number"], 16), int(head_block["timestamp"], 16) + 12
        cheap = await env.transfer(0, 1, 1, tip=1 * GWEI, nonce=0)
        rich = await env.transfer(0, 2, 1, tip=3 * GWEI, nonce=0)  # same sender and nonce: they conflict
        too_late = await env.transfer(1, 2, 1, nonce=0)
        b_cheap = await env.client.send_bundle([cheap], head + 1)
        b_rich = await env.client.send_bundle([rich], head + 1, min_timestamp=ts, max_timestamp=ts)
        b_late = await env.client.send_bundle([too_late], head + 1, max_timestamp=ts - 1)
        built = await env.builder.build_block(timestamp=ts)
        assert built.included == [b_rich.bundle_hash]  # higher bundle gas price goes first
        assert "nonce" in built.dropped[b_cheap.bundle_hash]
        assert "outside" in built.dropped[b_late.bundle_hash]
        assert await env.receipt(cheap) is None and await env.receipt(too_late) is None
        block = await env.node.call("eth_getBlockByNumber", [hex(head + 1), False])
        assert int(block["timestamp"], 16) == ts and block["transactions"] == [rich.hash]

    scenario(node.url, body)


def test_bad_auth_is_rejected(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        tx = await env.transfer(0, 1, 1)
        async with BundleClient(env.builder.url, name="local", signer=None) as unsigned:
            with pytest.raises(EndpointRpcError) as info:
                await unsigned.send_bundle([tx], head + 1)
        assert info.value.http_status == 403 and info.value.code == -32600
        assert "signature is required" in str(info.value)

        payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle", "params": [{}]}).encode()
        forged = env.reputation.sign(payload + b" ")  # signed over other bytes
        async with (
            aiohttp.ClientSession() as http,
            http.post(env.builder.url, data=payload, headers={HEADER: forged}) as resp,
        ):
            status, answer = resp.status, await resp.json()
        assert status == 403 and answer["error"]["code"] == -32600
        assert answer["error"]["message"] == f"error in signature check {env.reputation.address}"
        assert env.builder.bundles == {}

        ok = await env.client.send_bundle([tx], head + 1)  # the properly signed client is accepted
        (stored,) = env.builder.pending_bundles(head + 1)
        assert stored.bundle_hash == ok.bundle_hash and stored.signer == env.reputation.address

    scenario(node.url, body)


def test_unsigned_allowed_in_permissive_mode(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        tx = await env.transfer(0, 1, 1)
        async with BundleClient(env.builder.url, signer=None) as unsigned:
            res = await unsigned.send_bundle([tx], await env.head() + 1)
        assert env.builder.pending_bundles()[0].signer is None and res.bundle_hash == bundle_hash([tx])

    scenario(node.url, body, require_signature=False)


def test_replacement_and_cancel(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        u, v = uuid.uuid4(), uuid.uuid4()
        first = await env.transfer(0, 1, 1, nonce=0)
        second = await env.transfer(0, 1, 2, nonce=0)  # same nonce: a replacement
        await env.client.send_bundle([first], head + 1, replacement_uuid=u)
        b2 = await env.client.send_bundle([second], head + 1, replacement_uuid=u)
        assert [b.bundle_hash for b in env.builder.pending_bundles(head + 1)] == [b2.bundle_hash]

        # The key is (uuid, signer): another searcher's bundle with the same uuid does not replace ours.
        other_identity = FlashbotsSigner.random()
        async with BundleClient(env.builder.url, signer=other_identity) as other:
            foreign = await env.transfer(1, 0, 1, nonce=0)
            await other.send_bundle([foreign], head + 2, replacement_uuid=u)
        assert len(env.builder.pending_bundles()) == 2

        built = await env.builder.build_block()
        assert built.included == [b2.bundle_hash]
        assert await env.receipt(second) is not None and await env.receipt(first) is None

        third = await env.transfer(0, 2, 3, nonce=1)
        b3 = await env.client.send_bundle([third], head + 2, replacement_uuid=v)
        assert await env.client.cancel_bundle(v) == [b3.bundle_hash]
        assert await env.client.cancel_bundle(v) == []  # already gone
        fourth = await env.transfer(0, 2, 4, nonce=1)
        await env.client.send_bundle([fourth], head + 2, replacement_uuid=v)
        await env.client.send_bundle([], head + 2, replacement_uuid=v)  # empty txs + uuid = cancel
        assert [b.signer for b in env.builder.pending_bundles(head + 2)] == [other_identity.address]
        built = await env.builder.build_block()
        assert await env.receipt(third) is None and await env.receipt(fourth) is None
        assert await env.receipt(foreign) is not None  # the other searcher's bundle was unaffected
        assert len(built.included) == 1

    scenario(node.url, body)


def test_threaded_builder_for_sync_callers_and_tracker_wait(node: AnvilNode) -> None:
    reputation = FlashbotsSigner.random()
    with LocalBuilder(node.url) as builder:  # runs in a background thread
        url = builder.url

        async def submit() -> tuple[list[str], int]:
            async with JsonRpcClient(node.url) as rpc, BundleClient(url, signer=reputation) as client:
                signer = TransactionSigner(DEV_KEYS[0], CHAIN_ID, rpc=rpc)
                txs = await signer.sign_many(
                    [{"to": signer.address, "gas": 21000, "fees": Fees(50 * GWEI, GWEI), "value": i} for i in (1, 2)]
                )
                target = int(await rpc.call("eth_blockNumber"), 16) + 1
                await client.send_bundle(txs, target)
                return [t.hash for t in txs], target

        hashes, target = asyncio.run(submit())
        built = builder.build_block_sync()
        assert built.number == target and len(built.tx_hashes) == 2

        async def track() -> Any:
            async with JsonRpcClient(node.url) as rpc:
                tracker = InclusionTracker(rpc, coinbase_names={builder.coinbase: "local"})
                return await tracker.wait(hashes, [target], poll_interval=0.05, timeout=10)

        result = asyncio.run(track())
    assert result.status is InclusionStatus.LANDED and result.block_number == target and result.builder == "local"
    assert builder.port is None  # stopped with the context


def test_fanout_to_two_local_builders(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        head = await env.head()
        async with LocalBuilder(node.url, coinbase="0x00000000000000000000000000000000000b0b02") as second:
            tx = await env.transfer(0, 1, 1)
            builders = [
                BuilderEndpoint("local", env.builder.url),
                BuilderEndpoint("second", second.url),
                BuilderEndpoint("dead", "http://127.0.0.1:9"),
            ]
            async with BundleFanout(builders, signer=env.reputation, timeout=5) as fan:
                report = await fan.send([tx], first_block=head + 1, blocks=2, replacement_uuid=uuid.uuid4())
            assert sorted(o.builder for o in report.succeeded) == ["local", "local", "second", "second"]
            assert {o.builder for o in report.failed} == {"dead"}
            assert all(o.error_type == "EndpointUnreachable" for o in report.failed)
            built = await second.build_block()
            assert built.tx_hashes == [tx.hash]
            tracker = InclusionTracker(
                env.node, coinbase_names={env.builder.coinbase: "local", second.coinbase: "second"}
            )
            landed = await tracker.check([tx.hash], report.target_blocks)
            assert landed.landed and landed.builder == "second" and landed.block_number == head + 1

    scenario(node.url, body)


def test_nonce_manager_resyncs_against_anvil(node: AnvilNode) -> None:
    async def body(env: Env) -> None:
        managed = env.signers[0]
        first = await managed.send(env.node, to=env.signers[1].address, gas=21000, fees=Fees(50 * GWEI, GWEI))
        assert first.nonce == 0
        # Someone else uses nonce 1 with the same key behind the manager's back.
        outsider = TransactionSigner(DEV_KEYS[0], CHAIN_ID)
        stolen = outsider.sign(to=env.signers[2].address, nonce=1, gas=21000, fees=Fees(50 * GWEI, GWEI))
        await env.node.call("eth_sendRawTransaction", [stolen.raw])
        await env.mined_receipt(stolen)
        again = await managed.send(env.node, to=env.signers[1].address, gas=21000, fees=Fees(50 * GWEI, GWEI))
        assert again.nonce == 2 and managed.nonces is not None and managed.nonces.resyncs == 1
        assert (await env.mined_receipt(again))["status"] == "0x1"

    scenario(node.url, body)


def test_fee_ordered_node_reordering_is_detected(tmp_path: Path) -> None:
    """Under anvil's default fee ordering a multi-sender bundle may be reordered; the builder leaves it out."""
    with AnvilNode(log_path=tmp_path / "anvil.log") as fees_node:

        async def body(env: Env) -> None:
            head = await env.head()
            dest = env.signers[2].address
            # anvil ranks by fee cap; a later tx with a higher cap jumps ahead of an earlier one.
            low = env.signers[0].sign(to=dest, nonce=0, gas=21000, fees=Fees(20 * GWEI, GWEI), value=1)
            high = env.signers[1].sign(to=dest, nonce=0, gas=21000, fees=Fees(60 * GWEI, 5 * GWEI), value=1)
            sent = await env.client.send_bundle([low, high], head + 1)
            built = await env.builder.build_block()
            assert built.included == [] and "contiguous and in order" in built.dropped[sent.bundle_hash]
            assert await env.receipt(low) is None

        scenario(fees_node.url, body)
