"""The local builder's simulations are private, as a real builder's are: over a REAL anvil node, a watcher
subscribed to the node (WebSocket `newHeads` and `newPendingTransactions`) sees no head and no bundle
transaction while eth_callBundle runs and while a build tries its bundles, and exactly one new head per block
the builder builds. And eth_callBundle answers what mining the bundle on the node and rolling it back answers
(the reference below, done by the test itself with the node's own dev methods): reverts, halts, coinbase
payments, a base fee that moved, several transactions through one real Uniswap V2 pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from arbbot.chain.anvil import AnvilNode, dev_key, pid_alive
from arbbot.devnet import snapshot
from arbbot.execution.bundles import (
    EndpointRpcError,
    Fees,
    FlashbotsSigner,
    InclusionTracker,
    JsonRpcClient,
    SignedTx,
    TransactionSigner,
    bundle_hash,
)
from arbbot.sim.fork import next_base_fee
from arbbot.testing.local_builder import LocalBuilder, LocalBuilderError
from tests.integration.test_local_builder import CHAIN_ID, GWEI, PAYER, REVERTER, Env, scenario

BURNER = "0x00000000000000000000000000000000000000d3"  # loops until out of gas
BURNER_CODE = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP
INVALID = "0x00000000000000000000000000000000000000d4"  # the INVALID opcode
INVALID_CODE = "0xfe"
EXACTNESS = str(Path(__file__).resolve().parents[1] / "data" / "exactness.toml")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnvilNode]:
    with AnvilNode(log_path=tmp_path / "anvil.log", extra_args=["--order", "fifo"]) as n:
        yield n


class Watcher:
    """A client of the node over WebSocket, subscribed to new heads and new pending transactions, in the order
    the node sends them."""

    def __init__(self, http_url: str) -> None:
        self.url = "ws" + http_url.removeprefix("http")
        self.heads: list[dict[str, Any]] = []
        self.pending: list[str] = []
        self._subs: dict[str, str] = {}
        self._new = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Watcher]:
        async with aiohttp.ClientSession() as http, http.ws_connect(self.url) as ws:
            for i, kind in enumerate(("newHeads", "newPendingTransactions"), start=1):
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": i, "method": "eth_subscribe", "params": [kind]}))
                answer = json.loads((await ws.receive(timeout=10)).data)
                assert answer["id"] == i and "result" in answer, answer
                self._subs[answer["result"]] = kind
            reader = asyncio.create_task(self._read(ws))
            try:
                yield self
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            note = json.loads(msg.data)
            params = note.get("params") or {}
            kind = self._subs.get(params.get("subscription"))
            async with self._new:
                if kind == "newHeads":
                    self.heads.append(params["result"])
                elif kind == "newPendingTransactions":
                    self.pending.append(str(params["result"]).lower())
                self._new.notify_all()

    async def heads_through(self, block_hash: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every head received up to and including the one of `block_hash` (the node sends them in order)."""

        async def seen() -> None:
            async with self._new:
                await self._new.wait_for(lambda: any(h["hash"] == block_hash for h in self.heads))

        await asyncio.wait_for(seen(), timeout)
        upto = next(i for i, h in enumerate(self.heads) if h["hash"] == block_hash)
        return self.heads[: upto + 1]


def _scenario_with_watcher(node_url: str, body: Any) -> None:
    async def with_contracts(env: Env) -> None:
        await env.node.call("anvil_setCode", [BURNER, BURNER_CODE])
        await env.node.call("anvil_setCode", [INVALID, INVALID_CODE])
        async with Watcher(node_url).running() as watch:
            await body(env, watch)

    scenario(node_url, with_contracts)


def test_simulations_and_build_trials_show_no_head_and_no_transaction(node: AnvilNode) -> None:
    """eth_callBundle (a revert, a coinbase payment), a matchmaker's trial and the trials of a build with a
    dropped bundle publish nothing; each built block is exactly one new head, in order."""

    async def body(env: Env, watch: Watcher) -> None:
        head = await env.head()
        pay = await env.call_contract(0, PAYER, value=10**16)
        rev = await env.call_contract(0, REVERTER)
        never = {pay.hash, rev.hash}
        for _ in range(5):
            sim = await env.client.call_bundle([pay, rev], head + 1)
            assert sim.results[1].reverted and sim.eth_sent_to_coinbase == 10**16
        assert set(await env.builder.trial_receipts([pay.raw])) == {pay.hash}

        # A build: one bundle kept, one dropped (its revert is not allowed), one for a later block.
        kept = await env.transfer(1, 2, 1, nonce=0)
        dropped_a = await env.transfer(2, 1, 1, nonce=0)
        dropped_b = env.signers[2].sign(to=REVERTER, nonce=1, gas=100_000, fees=Fees(50 * GWEI, GWEI))
        later = await env.transfer(0, 1, 1, nonce=0)
        never |= {dropped_a.hash, dropped_b.hash}
        b_kept = await env.client.send_bundle([kept], head + 1)
        b_dropped = await env.client.send_bundle([dropped_a, dropped_b], head + 1)
        b_later = await env.client.send_bundle([later], head + 2)
        first = await env.builder.build_block()
        assert first.included == [b_kept.bundle_hash] and b_dropped.bundle_hash in first.dropped
        second = await env.builder.build_block()
        assert second.included == [b_later.bundle_hash]
        fresh = await env.transfer(1, 0, 1, nonce=1)
        never.add(fresh.hash)
        for _ in range(3):  # simulations on the new head: still nothing
            await env.client.call_bundle([fresh], head + 3)
        third = await env.builder.build_block()  # an empty block

        heads = await watch.heads_through(third.hash)
        assert [(int(h["number"], 16), h["hash"]) for h in heads] == [
            (head + 1, first.hash),
            (head + 2, second.hash),
            (head + 3, third.hash),
        ]
        assert await env.head() == head + 3
        # What was only simulated never reached the node's pool; what was built did, with its block.
        assert never.isdisjoint(watch.pending), sorted(never & set(watch.pending))
        assert {kept.hash, later.hash} <= set(watch.pending)

    _scenario_with_watcher(node.url, body)


def test_a_block_mined_by_someone_else_is_followed(node: AnvilNode) -> None:
    """The builder simulates on whatever the node's head is now, also after blocks it did not build."""

    async def body(env: Env, watch: Watcher) -> None:
        t1 = await env.transfer(0, 1, 10**18, nonce=0)
        before = await env.client.call_bundle([t1], await env.head() + 1)
        assert not before.results[0].reverted
        await env.node.call("eth_sendRawTransaction", [t1.raw])  # mined by the automining node
        rc = await env.mined_receipt(t1)
        head = await env.head()
        assert int(rc["blockNumber"], 16) == head
        t2 = await env.transfer(0, 1, 10**18, nonce=1)
        after = await env.client.call_bundle([t2], head + 1)
        assert after.state_block_number == head and not after.results[0].reverted
        with pytest.raises(EndpointRpcError, match="nonce"):  # t1's nonce is used on the new head
            await env.client.call_bundle([t1], head + 1)
        assert [h["number"] for h in await watch.heads_through(rc["blockHash"])] == [hex(head)]

    _scenario_with_watcher(node.url, body)


class _RacedBuilder(LocalBuilder):
    """The builder, with a block mined on the node by someone else while its first trial runs."""

    raced = False

    async def _trial(self, txs: Any, **kw: Any) -> Any:
        if not self.raced:
            self.raced = True
            await self._rpc("evm_mine")
        return await super()._trial(txs, **kw)


def test_a_build_whose_head_moves_under_it_mines_nothing(node: AnvilNode) -> None:
    async def run() -> None:
        async with JsonRpcClient(node.url) as rpc, _RacedBuilder(node.url) as builder:
            pid = builder.trial_node_pid
            assert pid is not None and pid_alive(pid)
            reputation = FlashbotsSigner.random()
            head = int(await rpc.call("eth_blockNumber"), 16)
            tx = TransactionSigner(dev_key(0), CHAIN_ID).sign(
                to=REVERTER, nonce=0, gas=100_000, fees=Fees(50 * GWEI, GWEI)
            )
            async with JsonRpcClient(builder.url, signer=reputation) as client:
                await client.call("eth_sendBundle", [{"txs": [tx.raw], "blockNumber": hex(head + 1),
                                                      "revertingTxHashes": [tx.hash]}])  # fmt: skip
            with pytest.raises(LocalBuilderError, match="head moved under the build"):
                await builder.build_block()
            assert int(await rpc.call("eth_blockNumber"), 16) == head + 1  # the other miner's block only
            assert await rpc.call("eth_getTransactionReceipt", [tx.hash]) is None
            assert await rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
            assert await rpc.call("anvil_getAutomine") is True
        assert builder.trial_node_pid is None and not pid_alive(pid)  # stopped with the builder, by PID

    asyncio.run(run())


class _ResendingBuilder(LocalBuilder):
    """The builder, with senders reaching the node's pool while its trials run: the victim its bundle carries
    sent again, and someone else's transfer."""

    def __init__(self, node_url: str) -> None:
        super().__init__(node_url)
        self.resend: list[str] = []

    async def _trial(self, txs: Any, **kw: Any) -> Any:
        while self.resend:
            await self._rpc("eth_sendRawTransaction", [self.resend.pop(0)])
        return await super()._trial(txs, **kw)


def test_transactions_reaching_the_pool_during_a_build_go_after_the_bundles(node: AnvilNode) -> None:
    """A block producer's build (`serve`): a victim resent by its sender and a transfer arriving while the
    bundles are tried must not split the bundle nor run ahead of it; they follow it in the block."""

    async def run() -> None:
        async with JsonRpcClient(node.url) as rpc, _ResendingBuilder(node.url) as builder:
            await rpc.call("evm_setAutomine", [False])  # what `serve` does
            head = int(await rpc.call("eth_blockNumber"), 16)
            fees = Fees(50 * GWEI, GWEI)
            victim = TransactionSigner(dev_key(2), CHAIN_ID).sign(to=REVERTER, nonce=0, gas=100_000, fees=fees)
            ours = TransactionSigner(dev_key(0), CHAIN_ID).sign(to=PAYER, nonce=0, gas=100_000, fees=fees, value=1)
            other = TransactionSigner(dev_key(1), CHAIN_ID).sign(to=PAYER, nonce=0, gas=100_000, fees=fees)
            await rpc.call("eth_sendRawTransaction", [victim.raw])  # pending in the public pool
            async with JsonRpcClient(builder.url, signer=FlashbotsSigner.random()) as client:
                await client.call("eth_sendBundle", [{"txs": [victim.raw, ours.raw], "blockNumber": hex(head + 1),
                                                      "revertingTxHashes": [victim.hash]}])  # fmt: skip
            builder.resend = [victim.raw, other.raw]
            built = await builder.build_with_mempool()
            block = await rpc.call("eth_getBlockByNumber", [hex(head + 1), False])
            assert block["transactions"] == [victim.hash, ours.hash, other.hash]
            assert built.tx_hashes == [victim.hash, ours.hash] and built.public == [other.hash]
            tracker = InclusionTracker(rpc, coinbase_names={builder.coinbase: "local"})
            landed = await tracker.check([victim.hash, ours.hash], [head + 1])
            assert landed.landed and landed.builder == "local", landed
            assert await rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
            await rpc.call("evm_setAutomine", [True])

    asyncio.run(run())


# ------------------------------------------------------------------ equivalence with mine-and-revert


async def _reference(rpc: JsonRpcClient, txs: list[SignedTx], coinbase: str, timestamp: int) -> dict[str, Any]:
    """eth_callBundle as the node itself answers it when the bundle is mined and rolled back: all txs in one
    block on the head (in a snapshot), the base fee of EIP-1559 over the head, each prefix of the bundle mined
    on its own for the coinbase balance after each tx, the error of a failed tx from the node's call tracer."""
    head = await rpc.call("eth_getBlockByNumber", ["latest", False])
    base_fee = next_base_fee(int(head["baseFeePerGas"], 16), int(head["gasUsed"], 16), int(head["gasLimit"], 16))

    async def mine(
        prefix: list[SignedTx],
    ) -> tuple[int, int, dict[str, Any], dict[str, dict[str, Any]], dict[str, str]]:
        snap = await rpc.call("evm_snapshot")
        try:
            await rpc.call("evm_setAutomine", [False])
            await rpc.call("anvil_setCoinbase", [coinbase])
            before = int(await rpc.call("eth_getBalance", [coinbase, "latest"]), 16)
            for tx in prefix:
                await rpc.call("eth_sendRawTransaction", [tx.raw])
            await rpc.call("evm_setNextBlockTimestamp", [timestamp])
            await rpc.call("anvil_setNextBlockBaseFeePerGas", [hex(base_fee)])
            (block,) = await rpc.call("evm_mine_detailed")
            receipts, errors = {}, {}
            for tx in prefix:
                receipts[tx.hash] = await rpc.call("eth_getTransactionReceipt", [tx.hash])
                if receipts[tx.hash]["status"] == "0x0":
                    trace = await rpc.call("debug_traceTransaction", [tx.hash, {"tracer": "callTracer"}])
                    errors[tx.hash] = trace.get("error") or "execution reverted"
            after = int(await rpc.call("eth_getBalance", [coinbase, "latest"]), 16)
            return before, after, block, receipts, errors
        finally:
            await rpc.call("evm_revert", [snap])
            await rpc.call("evm_setAutomine", [True])
            await rpc.call("anvil_setCoinbase", ["0x" + "00" * 20])

    start, end, block, receipts, errors = await mine(txs)
    balances = [start] + [(await mine(txs[:i]))[1] for i in range(1, len(txs))] + [end]
    outputs = {tx["hash"]: tx.get("output") or "0x" for tx in block["transactions"]}
    results, diff_total, fees_total, gas_total = [], 0, 0, 0
    for i, tx in enumerate(txs):
        rc = receipts[tx.hash]
        gas = int(rc["gasUsed"], 16)
        fees = gas * (int(rc["effectiveGasPrice"], 16) - base_fee)
        diff = balances[i + 1] - balances[i]
        entry: dict[str, Any] = {
            "coinbaseDiff": str(diff), "ethSentToCoinbase": str(diff - fees),
            "fromAddress": to_checksum_address(rc["from"]), "gasFees": str(fees),
            "gasPrice": str(diff // gas), "gasUsed": gas, "toAddress": to_checksum_address(rc["to"]),
            "txHash": tx.hash,
        }  # fmt: skip
        if rc["status"] == "0x1":
            entry["value"] = outputs[tx.hash]
        else:
            entry["error"] = errors[tx.hash]
            if outputs[tx.hash] not in ("0x", ""):
                entry["revert"] = bytes.fromhex(outputs[tx.hash][2:]).decode("utf-8", errors="replace")
        results.append(entry)
        diff_total, fees_total, gas_total = diff_total + diff, fees_total + fees, gas_total + gas
    return {
        "bundleGasPrice": str(diff_total // gas_total), "bundleHash": bundle_hash(txs),
        "coinbaseDiff": str(diff_total), "ethSentToCoinbase": str(diff_total - fees_total),
        "gasFees": str(fees_total), "results": results, "stateBlockNumber": int(head["number"], 16),
        "totalGasUsed": gas_total,
    }  # fmt: skip


async def _call_bundle_raw(builder: LocalBuilder, reputation: FlashbotsSigner, txs: list[SignedTx], **kw: Any) -> Any:
    async with JsonRpcClient(builder.node_url) as node:
        head = int(await node.call("eth_blockNumber"), 16)
    params = {"txs": [t.raw for t in txs], "blockNumber": hex(head + 1), **kw}
    async with JsonRpcClient(builder.url, signer=reputation, timeout=30) as client:
        return await client.call("eth_callBundle", [params])


def test_call_bundle_equals_mine_and_revert(node: AnvilNode) -> None:
    """Reverts, halts (out of gas, invalid opcode), coinbase payments, a fee cap below base fee + tip, a base
    fee moved by a full block and by empty blocks, another coinbase and timestamp."""

    async def body(env: Env, watch: Watcher) -> None:
        fees_low = Fees(2 * GWEI, 2 * GWEI)  # the cap binds once the base fee is above zero

        async def check(txs: list[SignedTx], **kw: Any) -> dict[str, Any]:
            got = await _call_bundle_raw(env.builder, env.reputation, txs, **kw)
            head = await env.node.call("eth_getBlockByNumber", ["latest", False])
            coinbase = to_checksum_address(kw.get("coinbase", env.builder.coinbase))
            ts = kw.get("timestamp", int(head["timestamp"], 16) + env.builder.block_time)
            want = await _reference(env.node, txs, coinbase, ts)
            assert got == want
            return got

        s0, s1 = env.signers[0], env.signers[1]
        pay = s0.sign(to=PAYER, nonce=0, gas=100_000, fees=Fees(50 * GWEI, 3 * GWEI), value=10**16)
        rev = s0.sign(to=REVERTER, nonce=1, gas=100_000, fees=Fees(50 * GWEI, GWEI))
        burn = s1.sign(to=BURNER, nonce=0, gas=200_000, fees=Fees(50 * GWEI, GWEI))
        bad = s1.sign(to=INVALID, nonce=1, gas=60_000, fees=fees_low)
        plain = s0.sign(to=s1.address, nonce=2, gas=21_000, fees=fees_low, value=1)
        got = await check([pay, rev, burn, bad, plain])
        errors = [r.get("error") for r in got["results"]]
        assert errors[0] is None and errors[1] == "execution reverted" and None not in errors[2:4]
        assert got["results"][1]["revert"] == "nope" and int(got["results"][0]["ethSentToCoinbase"]) == 10**16
        await check([pay, rev, plain], coinbase="0x00000000000000000000000000000000000000ee", timestamp=10**10)

        # A full block moves the base fee up; empty ones move it down.
        base_before = int((await env.node.call("eth_getBlockByNumber", ["latest", False]))["baseFeePerGas"], 16)
        filler = env.signers[2].sign(to=BURNER, nonce=0, gas=20_000_000, fees=Fees(50 * GWEI, GWEI))
        await env.node.call("eth_sendRawTransaction", [filler.raw])
        await env.mined_receipt(filler)
        head = await env.node.call("eth_getBlockByNumber", ["latest", False])
        assert int(head["gasUsed"], 16) == 20_000_000
        up = await check([pay, rev, burn, bad, plain])
        assert up["results"][4]["gasFees"] != got["results"][4]["gasFees"]  # the capped tip shrank
        for _ in range(3):
            await env.node.call("evm_mine")
        base_after = int((await env.node.call("eth_getBlockByNumber", ["latest", False]))["baseFeePerGas"], 16)
        assert base_after != base_before
        await check([pay, rev, burn, bad, plain])

    _scenario_with_watcher(node.url, body)


_SWAP = keccak(text="swap(uint256,uint256,address,bytes)")[:4]
_MINT = keccak(text="mint(address,uint256)")[:4]
_PAIR_ABI_GET_RESERVES = keccak(text="getReserves()")[:4]
_TOKEN0 = keccak(text="token0()")[:4]


@pytest.mark.replica
def test_call_bundle_through_one_v2_pair_equals_mine_and_revert(tmp_path: Path) -> None:
    """Several transactions through one real Uniswap V2 pair: pay in, swap out, a second swap the pair refuses
    (nothing paid in for it), a third that pays in again and swaps; each sees the pair as the one before left it."""
    node, manifest = snapshot.start(EXACTNESS, log_path=tmp_path / "anvil.log")
    try:
        pool = next(p for p in manifest.pools if p.kind == "uniswap_v2" and "WETH" not in (p.token0, p.token1))
        key = dev_key(0)

        async def run() -> None:
            async with JsonRpcClient(node.url, name="node") as rpc, LocalBuilder(node.url) as builder:
                reputation = FlashbotsSigner.random()
                await rpc.call("evm_mine")  # the loaded state's clock: blocks from now on follow it
                signer = TransactionSigner(key, CHAIN_ID, rpc=rpc)
                assert signer.address.lower() == manifest.deployer.lower()  # it may mint replica tokens
                raw = await rpc.call("eth_call", [{"to": pool.address, "data": "0x" + _PAIR_ABI_GET_RESERVES.hex()}])
                r0, r1 = int(raw[2:66], 16), int(raw[66:130], 16)
                word = await rpc.call("eth_call", [{"to": pool.address, "data": "0x" + _TOKEN0.hex()}])
                token0 = to_checksum_address("0x" + word[-40:])
                amount_in = r0 // 100
                out = amount_in * 997 * r1 // (r0 * 1000 + amount_in * 997)
                nonce = int(await rpc.call("eth_getTransactionCount", [signer.address, "latest"]), 16)
                fees = Fees(100 * GWEI, 2 * GWEI)

                def tx(i: int, to: str, data: bytes) -> SignedTx:
                    return signer.sign(to=to, nonce=nonce + i, gas=300_000, fees=fees, data=data)

                mint = _MINT + encode(["address", "uint256"], [pool.address, amount_in])
                # The second payment meets the reserves the first swap left.
                out2 = amount_in * 997 * (r1 - out) // ((r0 + amount_in) * 1000 + amount_in * 997)

                def swap(amount: int) -> bytes:
                    return _SWAP + encode(["uint256", "uint256", "address", "bytes"], [0, amount, signer.address, b""])

                txs = [tx(0, token0, mint), tx(1, pool.address, swap(out)), tx(2, pool.address, swap(out)),
                       tx(3, token0, mint), tx(4, pool.address, swap(out2))]  # fmt: skip
                got = await _call_bundle_raw(builder, reputation, txs)
                head = await rpc.call("eth_getBlockByNumber", ["latest", False])
                want = await _reference(rpc, txs, builder.coinbase, int(head["timestamp"], 16) + builder.block_time)
                assert got == want
                statuses = ["error" not in r for r in got["results"]]
                assert statuses == [True, True, False, True, True], got["results"]
                assert "UniswapV2: INSUFFICIENT_INPUT_AMOUNT" in got["results"][2]["revert"]

        asyncio.run(run())
    finally:
        node.stop()
