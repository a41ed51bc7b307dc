"""A local block builder: a TEST DOUBLE of a real Flashbots-style builder, over a real anvil node.

It serves the bundle JSON-RPC of /work/shared/notes/bundles-spec.md (part A) on 127.0.0.1 on a port
picked at run time, so `arbbot.execution.bundles.BundleClient` talks to it with exactly the code it uses
for a real builder URL. Start it with `async with LocalBuilder(node_url) as b: b.url`, or for synchronous
callers with `with LocalBuilder(node_url) as b:` (it then runs its own event loop in a background thread).

Simulations are private, as a real builder's are: every eth_callBundle and every trial of a build runs
on a second anvil the builder starts and stops itself, a fork of the node's head (re-forked when the head
moves) with the node's chain id, hardfork and transaction order. Whoever watches the node (newHeads,
`eth_blockNumber` polling, pending transactions) never sees a simulated block nor a bundle's transaction
before it is built: the node's head moves exactly once per block the builder builds, with that block.

What it does:

* Auth (spec A1/A7.1): verifies `X-Flashbots-Signature` over the raw body with the go-utils rules;
  missing or bad header -> HTTP 403 with a JSON-RPC error (-32600, "signature is required" /
  "error in signature check <addr>"). `require_signature=False` accepts unsigned requests (third-party
  builder mode) but still rejects a bad signature.
* `eth_callBundle` (A3): simulates on the node's head state (in the private fork, inside
  evm_snapshot/evm_revert) — all txs in one block, in order, with the given or builder coinbase and
  timestamp (default parent + 12 s) — and answers in the reference shape: per-tx gasUsed, coinbaseDiff,
  gasFees, ethSentToCoinbase, gasPrice, value / error + revert, totals, bundleHash = keccak(concat tx
  hashes). A tx the node refuses (nonce, balance, fee cap) fails the whole call with "err: <reason>; txhash
  <hash>". Per-tx coinbase diffs are exact: each prefix of the bundle is executed in its own throwaway block
  on the same parent.
* `eth_sendBundle` (A2): validates and stores per target block; replacement key is
  (replacementUuid, signer) (A4, A7.9); `txs: []` with a uuid cancels. `eth_cancelBundle` removes the
  bundle of (uuid, signer) and answers the list of cancelled bundle hashes.
* `build_block(number)`, called by the test/demo when the next block is due: considers only bundles whose
  target is exactly that block (A7.3) and whose min/maxTimestamp admit its timestamp; simulates each on its
  own, orders them by bundle gas price (coinbase diff / gas), then adds them greedily — a bundle is kept
  only if, after everything before it, all its txs execute in its order, contiguously, in this block, and
  none reverts unless its hash is in revertingTxHashes (A7.4, A7.5); otherwise the whole bundle is left out
  (A7.6). All of that is tried in the private fork; then the block is mined once on the node with the
  builder's coinbase, so inclusion trackers can attribute it. Bundles for earlier blocks are pruned; bundles
  for later blocks wait.

* `serve(block_time)` (what `arbbot builder serve` runs): the builder becomes the node's block producer.
  Automine is switched off; every `block_time` seconds it builds the next block from the bundles stored
  for it and then the public transactions waiting in the node's txpool (a pool transaction that a bundle
  already carries, such as a backrun's victim, goes in with its bundle only). `miss_every=N` makes every
  Nth bundle received lose its auction (never included), so a searcher sees misses on a quiet replica.

What it does NOT do (differences from a real builder):

* Outside `serve`, no public-mempool transactions: it refuses to build while the node's txpool is not
  empty (run the node with automine, its default). eth_callBundle and the trials run on the head state
  without the node's pool (a real builder simulates on the head state whatever its mempool holds).
* The private fork copies what anvil reports of the node (chain id, hardfork, transaction order, the
  parent's base fee and gas limit), not options it does not report (code size limit, a disabled block gas
  limit): run the node with anvil's defaults for those. It reads the node's state at the head block over
  RPC, so its first trial after each new head pays for the state it touches.
* Simulation is only on the head state: `stateBlockNumber` must be "latest"/"pending" or the head number;
  the simulated block is always head + 1 whatever `blockNumber` says (the NUMBER opcode sees head + 1).
* No relay, no MEV-Boost auction, no payment tx, no refunds (refundPercent etc. are ignored), no
  `builders` multiplexing, no mev_sendBundle/mev_simBundle, no getBundleStats, no rate limits, no size
  limit other than 100 txs, no blob (type-3) txs.
* Transaction order inside the block relies on the node: with anvil `--order fifo` it is exactly the
  bundle order; with the default `--order fees` anvil may reorder txs of different senders, and the
  builder then leaves the affected bundle out (reason recorded) instead of mis-ordering it.
* Invalid txs are never skipped (rbuilder skips those in revertingTxHashes; the Flashbots builder drops
  the bundle — this double does the latter). Not profit-optimal: greedy by bundle gas price.
* `build_block` changes the node's coinbase and automine only for the duration of the call and restores
  them; if someone else mines the node while a build tries its bundles, the build fails ("the head moved
  under the build") and nothing is mined.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import uuid as uuid_lib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web
from eth_utils import is_address, to_checksum_address

from arbbot.chain.anvil import AnvilNode
from arbbot.errors import DevnetError
from arbbot.execution.bundles.errors import BundleError, EndpointRpcError, SignatureError
from arbbot.execution.bundles.rpc import JsonRpcClient
from arbbot.execution.bundles.signing import HEADER, verify
from arbbot.execution.bundles.transactions import bundle_hash, decode_nonce, recover_sender, tx_hash
from arbbot.sim.fork import next_base_fee

T = TypeVar("T")

LOCAL_BUILDER_COINBASE = to_checksum_address("0x000000000000000000000000000000000000b11d")
MAX_TXS = 100
_FILL_ATTEMPTS = 3  # times the real block's pool is refilled when a transaction arrives while it is filled


class LocalBuilderError(BundleError):
    """The local builder could not do what a test asked (wrong block number, busy node, ...)."""


class _RpcFail(Exception):
    def __init__(self, code: int, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


@dataclass
class StoredBundle:
    """A bundle the local builder holds for its target block, as accepted by eth_sendBundle.

    `reverting` holds the tx hashes allowed to revert; `signer` is the address recovered from `X-Flashbots-Signature`
    (None when unsigned), which with `replacement_uuid` forms the replacement key; `seq` is the arrival order, used
    to break ties between bundles of equal gas price.
    """

    bundle_hash: str
    txs: list[str]
    tx_hashes: list[str]
    block_number: int
    min_timestamp: int = 0  # 0 = unset (spec A2)
    max_timestamp: int = 0
    reverting: frozenset[str] = frozenset()
    replacement_uuid: str | None = None
    signer: str | None = None
    seq: int = 0
    outbid: bool = False  # loses its auction (miss_every): never included


@dataclass
class BuiltBlock:
    """A block the local builder produced on the node, and why each bundle left out was left out.

    `timestamp` is in seconds; `tx_hashes` lists the bundles' transactions in block order.
    """

    number: int
    hash: str
    timestamp: int
    coinbase: str
    included: list[str] = field(default_factory=list)  # bundle hashes, in block order
    dropped: dict[str, str] = field(default_factory=dict)  # bundle hash -> reason
    tx_hashes: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)  # public (txpool) transactions after the bundles


@dataclass(frozen=True)
class RequestRecord:
    """One request the local builder received: its JSON-RPC method (None if it never got that far), the recovered
    signer, the HTTP status answered and the error message, if any.
    """

    method: str | None
    signer: str | None
    http_status: int
    error: str | None = None


@dataclass
class _Trial:
    """One block executed on a node (the private fork, or the public node for the real block): receipts and
    outputs by tx hash, or the tx the node refused."""

    block: dict[str, Any] | None = None
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # failed tx hash -> EVM error (from a trace)
    coinbase_before: int = 0
    coinbase_after: int = 0
    refused: tuple[str, str] | None = None  # (tx hash, node's reason)
    skipped: dict[str, str] = field(default_factory=dict)  # optional (public) tx hash -> why the node refused it
    raced: bool = False  # a tx of the block was in the node's pool already (sent there by someone else)


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


def _hex_quantity(value: Any, name: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise _RpcFail(-32602, f"{name} must be a hex string")
    try:
        return int(value, 16)
    except ValueError:
        raise _RpcFail(-32602, f"{name} must be a hex string") from None


def _opt_uint(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _RpcFail(-32602, f"{name} must be a non-negative number")
    return value


class LocalBuilder:
    """Test double of a bundle-accepting block builder over an anvil node (see the module docstring)."""

    def __init__(
        self,
        node_url: str,
        *,
        require_signature: bool = True,
        require_block_number: bool = True,
        coinbase: str = LOCAL_BUILDER_COINBASE,
        block_time: int = 12,
        host: str = "127.0.0.1",
        port: int = 0,
        node_timeout: float = 30.0,
        miss_every: int = 0,
    ) -> None:
        if not is_address(coinbase):
            raise ValueError(f"coinbase is not an address: {coinbase!r}")
        self.node_url = node_url
        self.require_signature = require_signature
        self.require_block_number = require_block_number
        self.coinbase = to_checksum_address(coinbase)
        self.block_time = block_time
        self.host = host
        self.requested_port = port
        self.node_timeout = node_timeout
        if miss_every < 0:
            raise ValueError(f"miss_every must be 0 (off) or positive, got {miss_every}")
        self.miss_every = miss_every
        self._received = 0
        self.port: int | None = None
        self.bundles: dict[str, StoredBundle] = {}  # bundle key (hash + seq) -> bundle
        self.requests: list[RequestRecord] = []
        self.built: list[BuiltBlock] = []
        self._by_uuid: dict[tuple[str, str | None], str] = {}
        self._seq = itertools.count(1)
        self._node: JsonRpcClient | None = None
        self._sim_node: AnvilNode | None = None  # the private fork every trial runs on
        self._sim: JsonRpcClient | None = None
        self._sim_head: str | None = None  # hash of the public block the trial node stands on
        self._runner: web.AppRunner | None = None
        self._node_lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """The bundle endpoint's URL; raises `LocalBuilderError` when the builder is not running."""
        if self.port is None:
            raise LocalBuilderError("local builder is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def trial_node_pid(self) -> int | None:
        """PID of the private anvil the simulations run on (None when the builder is not running)."""
        return self._sim_node.pid if self._sim_node is not None else None

    async def start(self) -> LocalBuilder:
        """Connect to the node and listen on `host` (port picked at run time unless one was given); raises
        `LocalBuilderError` if already started.
        """
        if self._runner is not None:
            raise LocalBuilderError("local builder already started")
        self._node = JsonRpcClient(self.node_url, name="node", timeout=self.node_timeout)
        self._node_lock = asyncio.Lock()
        try:
            await self._start_trial_node()
            app = web.Application(client_max_size=4 * 1024 * 1024)
            app.router.add_post("/", self._handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, self.host, self.requested_port)
            try:
                await site.start()
            except BaseException:
                await runner.cleanup()
                raise
        except BaseException:
            await self._stop_trial_node()
            await self._node.close()
            self._node = None
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Stop listening and close the node connection; stored bundles and records are kept for inspection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._stop_trial_node()
        if self._node is not None:
            await self._node.close()
            self._node = None
        self.port = None

    async def _start_trial_node(self) -> None:
        """Start the private anvil the trials run on: a fork of the public node's head with its chain id,
        hardfork, transaction order and block gas limit, no dev accounts (they would overwrite real balances), no
        mining of its own, no cache on disk."""
        info = await self._rpc("anvil_nodeInfo")
        head = await self._head()
        if not isinstance(info, dict):
            raise LocalBuilderError("node answered no anvil_nodeInfo: the local builder needs an anvil node")
        env = info.get("environment") or {}
        args = ["--no-mining", "--no-storage-caching", "--order", str(info.get("transactionOrder") or "fees"),
                "--gas-limit", str(_int(head["gasLimit"]))]  # fmt: skip
        if info.get("hardFork"):
            args += ["--hardfork", str(info["hardFork"]).lower()]
        node = AnvilNode(
            fork_url=self.node_url, fork_block_number=_int(head["number"]), chain_id=int(env.get("chainId") or 31337),
            accounts=0, extra_args=args,
        )  # fmt: skip
        try:
            await asyncio.to_thread(node.start)
        except DevnetError as exc:
            raise LocalBuilderError(f"trial node not started: {exc}") from None
        self._sim_node, self._sim_head = node, None
        self._sim = JsonRpcClient(node.url, name="trial node", timeout=self.node_timeout)

    async def _stop_trial_node(self) -> None:
        sim, self._sim = self._sim, None
        if sim is not None:
            await sim.close()
        node, self._sim_node = self._sim_node, None
        if node is not None:
            await asyncio.to_thread(node.stop)
        self._sim_head = None

    async def __aenter__(self) -> LocalBuilder:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # Synchronous use: the builder runs its own event loop in a daemon thread.

    def start_in_thread(self, timeout: float = 10.0) -> LocalBuilder:
        """Start the builder on its own event loop in a daemon thread, for synchronous callers; waits up to `timeout`
        seconds and stops the thread again if starting fails.
        """
        if self._thread is not None:
            raise LocalBuilderError("local builder thread already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="local-builder", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout)
        except BaseException:
            self.stop_thread()
            raise
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop the builder started by `start_in_thread` and join its thread; does nothing if none runs."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            loop.close()
            self._loop = self._thread = None

    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run one of this builder's coroutines on its thread's loop (for synchronous callers)."""
        if self._loop is None:
            coro.close()
            raise LocalBuilderError("local builder is not running in a thread; use start_in_thread()")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def build_block_sync(self, number: int | None = None, *, timestamp: int | None = None) -> BuiltBlock:
        """`build_block` for synchronous callers (the builder must run in its thread)."""
        return self.run_sync(self.build_block(number, timestamp=timestamp))

    def __enter__(self) -> LocalBuilder:
        return self.start_in_thread()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_thread()

    # ---------------------------------------------------------------- HTTP / JSON-RPC

    def _reply(
        self, request_id: Any, status: int, *, result: Any = None, error: tuple[int, str] | None = None
    ) -> web.Response:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            body["error"] = {"code": error[0], "message": error[1]}
        else:
            body["result"] = result
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        signer: str | None = None
        header = request.headers.get(HEADER)
        if header is None and self.require_signature:
            self.requests.append(RequestRecord(None, None, 403, "signature is required"))
            return self._reply(None, 403, error=(-32600, "signature is required"))
        if header is not None:
            try:
                signer = verify(header, raw)
            except SignatureError as exc:
                self.requests.append(RequestRecord(None, None, 403, str(exc)))
                return self._reply(None, 403, error=(-32600, str(exc)))
        try:
            payload = json.loads(raw)
        except ValueError:
            self.requests.append(RequestRecord(None, signer, 400, "parse error"))
            return self._reply(None, 400, error=(-32700, "parse error"))
        if (
            not isinstance(payload, dict)
            or payload.get("jsonrpc") != "2.0"
            or not isinstance(payload.get("method"), str)
        ):
            self.requests.append(RequestRecord(None, signer, 400, "invalid request"))
            return self._reply(None, 400, error=(-32600, "invalid request"))
        method: str = payload["method"]
        request_id = payload.get("id")
        handlers = {
            "eth_sendBundle": self._send_bundle,
            "eth_callBundle": self._call_bundle,
            "eth_cancelBundle": self._cancel_bundle,
        }
        handler = handlers.get(method)
        if handler is None:
            self.requests.append(RequestRecord(method, signer, 404, "method not found"))
            return self._reply(request_id, 404, error=(-32601, f"the method {method} does not exist/is not available"))
        params = payload.get("params")
        try:
            if not isinstance(params, list) or not params or not isinstance(params[0], dict):
                raise _RpcFail(-32602, "params must be a one-element array holding an object")
            result = await handler(params[0], signer)
        except _RpcFail as fail:
            self.requests.append(RequestRecord(method, signer, fail.http_status, fail.message))
            return self._reply(request_id, fail.http_status, error=(fail.code, fail.message))
        except BundleError as exc:  # the node failed under us
            self.requests.append(RequestRecord(method, signer, 500, str(exc)))
            return self._reply(request_id, 500, error=(-32603, f"internal error: {exc}"))
        self.requests.append(RequestRecord(method, signer, 200))
        return self._reply(request_id, 200, result=result)

    @staticmethod
    def _decode_txs(obj: dict[str, Any], *, allow_empty: bool) -> list[str]:
        txs = obj.get("txs")
        if txs is None and allow_empty:
            return []
        if not isinstance(txs, list) or not all(isinstance(t, str) for t in txs):
            raise _RpcFail(-32602, "txs must be an array of hex strings")
        if not txs and not allow_empty:
            raise _RpcFail(-32000, "bundle missing txs")
        if len(txs) > MAX_TXS:
            raise _RpcFail(-32602, f"too many transactions in bundle: {len(txs)} > {MAX_TXS}", 400)
        out = []
        for i, t in enumerate(txs):
            try:
                recover_sender(t)
            except BundleError:
                raise _RpcFail(-32000, f"unable to decode bundle: tx {i} is not a signed transaction") from None
            out.append("0x" + t[2:].lower() if t.startswith(("0x", "0X")) else "0x" + t.lower())
        return out

    async def _head(self) -> dict[str, Any]:
        block = await self._rpc("eth_getBlockByNumber", ["latest", False])
        if not isinstance(block, dict):
            raise LocalBuilderError("node returned no latest block")
        return block

    async def _rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        if self._node is None:
            raise LocalBuilderError("local builder is not running")
        return await self._node.call(method, list(params))

    async def _sim_rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        if self._sim is None:
            raise LocalBuilderError("local builder is not running")
        return await self._sim.call(method, list(params))

    async def _send_bundle(self, obj: dict[str, Any], signer: str | None) -> dict[str, Any]:
        uuid_value = obj.get("replacementUuid", obj.get("uuid"))
        replacement_uuid: str | None = None
        if uuid_value is not None:
            try:
                replacement_uuid = str(uuid_lib.UUID(str(uuid_value)))
            except ValueError:
                raise _RpcFail(-32602, "replacementUuid is not a UUID") from None
        txs = self._decode_txs(obj, allow_empty=replacement_uuid is not None)
        number_value = obj.get("blockNumber")
        if number_value in (None, "0x", "0x0", 0):
            if self.require_block_number:
                raise _RpcFail(-32000, "bundle missing blockNumber")
            block_number = _int((await self._head())["number"]) + 1
        else:
            block_number = _hex_quantity(number_value, "blockNumber")
        min_ts, max_ts = _opt_uint(obj, "minTimestamp"), _opt_uint(obj, "maxTimestamp")
        reverting_value = obj.get("revertingTxHashes") or []
        if not isinstance(reverting_value, list) or not all(isinstance(h, str) for h in reverting_value):
            raise _RpcFail(-32602, "revertingTxHashes must be an array of hashes")
        if replacement_uuid is not None and not txs:  # empty txs + uuid = cancellation (spec A2)
            self._cancel(replacement_uuid, signer)
            return {"bundleHash": bundle_hash([])}
        hashes = [tx_hash(t) for t in txs]
        self._received += 1
        stored = StoredBundle(
            bundle_hash=bundle_hash(txs),
            txs=txs,
            tx_hashes=hashes,
            block_number=block_number,
            min_timestamp=min_ts,
            max_timestamp=max_ts,
            reverting=frozenset(h.lower() for h in reverting_value),
            replacement_uuid=replacement_uuid,
            signer=signer,
            seq=next(self._seq),
            outbid=bool(self.miss_every) and self._received % self.miss_every == 0,
        )
        key = f"{stored.bundle_hash}#{stored.seq}"
        if replacement_uuid is not None:
            self._cancel(replacement_uuid, signer)
            self._by_uuid[(replacement_uuid, signer)] = key
        self.bundles[key] = stored
        return {"bundleHash": stored.bundle_hash}

    def _cancel(self, replacement_uuid: str, signer: str | None) -> list[str]:
        key = self._by_uuid.pop((replacement_uuid, signer), None)
        if key is None:
            return []
        old = self.bundles.pop(key, None)
        return [old.bundle_hash] if old is not None else []

    async def _cancel_bundle(self, obj: dict[str, Any], signer: str | None) -> list[str]:
        value = obj.get("replacementUuid", obj.get("uuid"))
        try:
            replacement_uuid = str(uuid_lib.UUID(str(value)))
        except ValueError:
            raise _RpcFail(-32602, "replacementUuid is not a UUID") from None
        return self._cancel(replacement_uuid, signer)

    def pending_bundles(self, block_number: int | None = None) -> list[StoredBundle]:
        """The bundles stored and not yet built or cancelled, only those targeting `block_number` when it is given."""
        return [b for b in self.bundles.values() if block_number is None or b.block_number == block_number]

    # ---------------------------------------------------------------- execution on the node

    async def _trial(self, txs: Sequence[str], *, coinbase: str, timestamp: int, head: dict[str, Any]) -> _Trial:
        """Execute `txs` as the block after `head` on the private trial node, then roll it back: the public node
        never sees the trial (no head, no pool transaction). Caller holds the node lock."""
        await self._follow(head)
        snapshot = await self._sim_rpc("evm_snapshot")
        try:
            return await self._run_block(self._sim_rpc, txs, coinbase=coinbase, timestamp=timestamp, parent=head)
        finally:
            await self._sim_rpc("evm_revert", [snapshot])
            await self._sim_rpc("anvil_dropAllTransactions")

    async def _follow(self, head: dict[str, Any]) -> None:
        """Re-fork the trial node at the public `head` unless it already stands on it."""
        if self._sim_head == head["hash"]:
            return
        self._sim_head = None
        await self._sim_rpc(
            "anvil_reset", [{"forking": {"jsonRpcUrl": self.node_url, "blockNumber": _int(head["number"])}}]
        )
        await self._sim_rpc("evm_setAutomine", [False])  # trials mine when asked, one block each
        forked = await self._sim_rpc("eth_getBlockByNumber", ["latest", False])
        if not isinstance(forked, dict) or forked.get("hash") != head["hash"]:
            raise LocalBuilderError(f"trial node did not fork block {_int(head['number'])} {head['hash']}")
        self._sim_head = head["hash"]

    async def _mine(
        self, txs: Sequence[str], *, coinbase: str, timestamp: int, head: dict[str, Any], optional: Sequence[str]
    ) -> _Trial:
        """Mine the real block after `head` on the public node: `txs`, then `optional` (each skipped if the node
        refuses it), then whatever reached the pool since the build began. Caller holds the node lock. Restores
        the node's coinbase and automine setting; what it sent and was not mined leaves the pool again (no half
        bundle is mined later), others' transactions stay."""
        automine = await self._rpc("anvil_getAutomine")
        node_coinbase = await self._rpc("eth_coinbase")
        await self._rpc("evm_setAutomine", [False])
        optional = list(optional)
        block: _Trial | None = None
        try:
            if (await self._head())["hash"] != head["hash"]:  # mined by someone else since the trials
                for raw in optional:  # back to the pool they were taken from
                    with contextlib.suppress(LocalBuilderError, BundleError):
                        await self._rpc("eth_sendRawTransaction", [raw])
                raise LocalBuilderError(f"block {_int(head['number']) + 1} not built: the head moved under the build")
            before = await self._prepare(self._rpc, coinbase=coinbase, parent=head)
            for _ in range(_FILL_ATTEMPTS):
                # The node mines its pool in arrival order: a transaction that reached it since the build began
                # (a sender resending one) would go in ahead of the bundles, or between a bundle's transactions
                # if it is one of theirs. Take the pool, then fill it in the block's order.
                known = {tx_hash(t) for t in [*txs, *optional]}
                optional += [t for t in await self._take_pool(queued=True) if tx_hash(t) not in known]
                block = _Trial(coinbase_before=before)
                sent = await self._send(self._rpc, txs, optional, block)
                if block.refused is not None:
                    break
                status = await self._rpc("txpool_status")
                if not block.raced and _int(status.get("pending", "0x0")) + _int(status.get("queued", "0x0")) == sent:
                    break  # the pool holds what was sent, in the block's order
            assert block is not None
            if block.refused is None:
                await self._seal(self._rpc, block, [*txs, *optional], coinbase=coinbase, timestamp=timestamp)
            return block
        finally:
            if block is None or block.block is None:
                for raw in [*txs, *optional]:
                    await self._rpc("anvil_dropTransaction", [tx_hash(raw)])
            await self._rpc("anvil_setCoinbase", [node_coinbase])
            await self._rpc("evm_setAutomine", [bool(automine)])

    async def _run_block(
        self, call: Callable[..., Awaitable[Any]], txs: Sequence[str], *, coinbase: str, timestamp: int,
        parent: dict[str, Any],
    ) -> _Trial:  # fmt: skip
        """Send `txs` to a node that is not mining and mine them as one block after `parent`, through `call`."""
        trial = _Trial(coinbase_before=await self._prepare(call, coinbase=coinbase, parent=parent))
        await self._send(call, txs, (), trial)
        if trial.refused is None:
            await self._seal(call, trial, txs, coinbase=coinbase, timestamp=timestamp)
        return trial

    @staticmethod
    async def _prepare(call: Callable[..., Awaitable[Any]], *, coinbase: str, parent: dict[str, Any]) -> int:
        """Set the next block's coinbase and base fee; the coinbase's balance before it."""
        await call("anvil_setCoinbase", [coinbase])
        # The EIP-1559 base fee of the real parent, pinned before the pool checks fee caps against it: anvil's
        # fee tracker is not rolled back by evm_revert, so after trial blocks it would price the next block as
        # if they had happened.
        base_fee = next_base_fee(
            _int(parent.get("baseFeePerGas") or 0), _int(parent["gasUsed"]), _int(parent["gasLimit"])
        )
        await call("anvil_setNextBlockBaseFeePerGas", [hex(base_fee)])
        return _int(await call("eth_getBalance", [coinbase, "latest"]))

    @staticmethod
    async def _send(
        call: Callable[..., Awaitable[Any]], txs: Sequence[str], optional: Sequence[str], trial: _Trial
    ) -> int:
        """Send `txs` (stopping at the first the node refuses), then `optional` (skipping those it refuses);
        the number the node took."""
        sent = 0
        for raw in txs:
            try:
                await call("eth_sendRawTransaction", [raw])
                sent += 1
            except EndpointRpcError as exc:
                if "already imported" in exc.message.lower() or "already known" in exc.message.lower():
                    trial.raced = True  # its sender sent it to the node meanwhile (or the bundle holds it twice)
                    continue
                trial.refused = (tx_hash(raw), exc.message)
                return sent
        for raw in optional:
            try:
                await call("eth_sendRawTransaction", [raw])
                sent += 1
            except EndpointRpcError as exc:
                trial.skipped[tx_hash(raw)] = exc.message
        return sent

    async def _seal(
        self, call: Callable[..., Awaitable[Any]], trial: _Trial, sent: Sequence[str], *, coinbase: str,
        timestamp: int,
    ) -> None:  # fmt: skip
        """Mine the block at `timestamp` and record in `trial` what happened to each of `sent`."""
        await call("evm_setNextBlockTimestamp", [timestamp])
        mined = await call("evm_mine_detailed")
        if not isinstance(mined, list) or len(mined) != 1:
            raise LocalBuilderError("evm_mine_detailed did not return one block")
        trial.block = mined[0]
        for tx in trial.block.get("transactions", []):
            if isinstance(tx, dict):
                trial.outputs[tx["hash"].lower()] = tx.get("output") or "0x"
        for raw in sent:
            h = tx_hash(raw)
            receipt = await call("eth_getTransactionReceipt", [h])
            if not isinstance(receipt, dict) or receipt.get("blockHash") != trial.block.get("hash"):
                continue  # not in this block (a fork answers for the node's older blocks too)
            trial.receipts[h] = receipt
            if _int(receipt["status"]) == 0:
                trial.errors[h] = await self._trace_error(call, h)
        trial.coinbase_after = _int(await call("eth_getBalance", [coinbase, "latest"]))

    @staticmethod
    async def _trace_error(call: Callable[..., Awaitable[Any]], h: str) -> str:
        try:
            trace = await call("debug_traceTransaction", [h, {"tracer": "callTracer"}])
        except BundleError:
            return "execution reverted"
        error = trace.get("error") if isinstance(trace, dict) else None
        return str(error) if error else "execution reverted"

    async def _require_empty_pool(self) -> None:
        status = await self._rpc("txpool_status")
        if _int(status.get("pending", "0x0")) or _int(status.get("queued", "0x0")):
            raise LocalBuilderError(
                "node txpool is not empty: the local builder does not handle public-mempool transactions"
            )

    def node_lock(self) -> asyncio.Lock:
        """The lock the builder holds while it works (trials and simulations on its private fork, builds on the
        node). Whoever else changes how the node mines (automine, dropping pool transactions) holds it too, or a
        build could restore a setting changed under it."""
        return self._lock()

    def _lock(self) -> asyncio.Lock:
        if self._node_lock is None:
            raise LocalBuilderError("local builder is not running")
        return self._node_lock

    # ---------------------------------------------------------------- eth_callBundle

    async def _call_bundle(self, obj: dict[str, Any], signer: str | None) -> dict[str, Any]:
        txs = self._decode_txs(obj, allow_empty=False)
        number_value = obj.get("blockNumber")
        if number_value in (None, "0x", "0x0", 0):
            raise _RpcFail(-32000, "bundle missing blockNumber")
        _hex_quantity(number_value, "blockNumber")
        coinbase_value = obj.get("coinbase")
        if coinbase_value is not None and not is_address(coinbase_value):
            raise _RpcFail(-32602, "coinbase is not an address")
        timestamp_value = obj.get("timestamp")
        if timestamp_value is not None and (isinstance(timestamp_value, bool) or not isinstance(timestamp_value, int)):
            raise _RpcFail(-32602, "timestamp must be a number")
        async with self._lock():
            return await self._call_bundle_on_head(obj, txs, coinbase_value, timestamp_value)

    async def _call_bundle_on_head(
        self, obj: dict[str, Any], txs: list[str], coinbase_value: Any, timestamp_value: Any
    ) -> dict[str, Any]:
        """eth_callBundle on the head state (without the public pool's transactions). Caller holds the node lock."""
        head = await self._head()
        head_number = _int(head["number"])
        state = obj.get("stateBlockNumber", "latest")
        if state not in ("latest", "pending") and _hex_quantity(state, "stateBlockNumber") != head_number:
            raise _RpcFail(-32000, f"stateBlockNumber {state}: this local builder simulates on the head only")
        coinbase = to_checksum_address(coinbase_value) if coinbase_value else self.coinbase
        timestamp = timestamp_value if timestamp_value is not None else _int(head["timestamp"]) + self.block_time
        return await self._simulate(txs, coinbase=coinbase, timestamp=timestamp, head=head)

    async def trial_receipts(self, txs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Receipts (with logs) of `txs` executed as the next block on the head state, then rolled back: what a
        matchmaker learns about a private transaction by simulating it. Takes the node lock."""
        async with self._lock():
            head = await self._head()
            trial = await self._trial(
                txs, coinbase=self.coinbase, timestamp=_int(head["timestamp"]) + self.block_time, head=head
            )
        if trial.refused is not None:
            h, reason = trial.refused
            raise LocalBuilderError(f"err: {reason}; txhash {h}")
        return trial.receipts

    async def simulate(self, txs: Sequence[str], *, coinbase: str, timestamp: int, state_block: int) -> dict[str, Any]:
        """eth_callBundle semantics (spec A3) on the head state, which must be block `state_block`; takes the node
        lock. The answer is the one the builder's eth_callBundle gives."""
        async with self._lock():
            head = await self._head()
            if _int(head["number"]) != state_block:
                raise LocalBuilderError(f"head is block {_int(head['number'])}, not {state_block}")
            return await self._simulate(txs, coinbase=coinbase, timestamp=timestamp, head=head)

    async def _simulate(
        self, txs: Sequence[str], *, coinbase: str, timestamp: int, head: dict[str, Any]
    ) -> dict[str, Any]:
        """`simulate`, trials on the private node; caller holds the node lock."""
        full = await self._trial(txs, coinbase=coinbase, timestamp=timestamp, head=head)
        if full.refused is not None:
            h, reason = full.refused
            raise _RpcFail(-32000, f"err: {reason}; txhash {h}")
        assert full.block is not None
        missing = [tx_hash(t) for t in txs if tx_hash(t) not in full.receipts]
        if missing:
            raise _RpcFail(-32000, f"err: transaction not executed (nonce gap?); txhash {missing[0]}")
        # Coinbase balance after each prefix of the bundle: exact per-tx coinbase diffs on one parent.
        balances = [full.coinbase_before]
        for i in range(1, len(txs)):
            prefix = await self._trial(txs[:i], coinbase=coinbase, timestamp=timestamp, head=head)
            balances.append(prefix.coinbase_after)
        balances.append(full.coinbase_after)
        base_fee = _int(full.block.get("baseFeePerGas") or 0)
        results = []
        totals = {"coinbaseDiff": 0, "gasFees": 0, "gas": 0}
        for i, raw in enumerate(txs):
            h = tx_hash(raw)
            rc = full.receipts[h]
            gas_used = _int(rc["gasUsed"])
            tip = _int(rc["effectiveGasPrice"]) - base_fee
            gas_fees = gas_used * tip
            coinbase_diff = balances[i + 1] - balances[i]
            entry: dict[str, Any] = {
                "coinbaseDiff": str(coinbase_diff),
                "ethSentToCoinbase": str(coinbase_diff - gas_fees),
                "fromAddress": to_checksum_address(rc["from"]),
                "gasFees": str(gas_fees),
                "gasPrice": str(coinbase_diff // gas_used if gas_used else 0),
                "gasUsed": gas_used,
                "toAddress": to_checksum_address(rc["to"]) if rc.get("to") else "0x",
                "txHash": h,
            }
            output = full.outputs.get(h, "0x")
            if _int(rc["status"]) == 1:
                entry["value"] = output
            else:
                entry["error"] = full.errors.get(h, "execution reverted")
                revert_bytes = bytes.fromhex(output[2:]) if output not in ("0x", "") else b""
                if revert_bytes:
                    entry["revert"] = revert_bytes.decode("utf-8", errors="replace")
            results.append(entry)
            totals["coinbaseDiff"] += coinbase_diff
            totals["gasFees"] += gas_fees
            totals["gas"] += gas_used
        return {
            "bundleGasPrice": str(totals["coinbaseDiff"] // totals["gas"] if totals["gas"] else 0),
            "bundleHash": bundle_hash(txs),
            "coinbaseDiff": str(totals["coinbaseDiff"]),
            "ethSentToCoinbase": str(totals["coinbaseDiff"] - totals["gasFees"]),
            "gasFees": str(totals["gasFees"]),
            "results": results,
            "stateBlockNumber": _int(head["number"]),
            "totalGasUsed": totals["gas"],
        }

    # ---------------------------------------------------------------- block building

    @staticmethod
    def _bundle_problem(bundle: StoredBundle, trial: _Trial) -> str | None:
        """Why `bundle` is not validly included in `trial`'s block, or None if it is."""
        if trial.refused is not None:
            if trial.refused[0] in bundle.tx_hashes:
                return f"tx {trial.refused[0]} refused by node: {trial.refused[1]}"
            return "block not executed: another bundle's tx was refused"
        assert trial.block is not None
        number = _int(trial.block["number"])
        indices = []
        for h in bundle.tx_hashes:
            rc = trial.receipts.get(h)
            if rc is None or _int(rc["blockNumber"]) != number:
                return f"tx {h} not executed in the block (nonce gap?)"
            if _int(rc["status"]) == 0 and h not in bundle.reverting:
                return f"tx {h} reverted and is not in revertingTxHashes"
            indices.append(_int(rc["transactionIndex"]))
        if indices != list(range(indices[0], indices[0] + len(indices))):
            return f"node did not keep the bundle contiguous and in order (indices {indices}); use anvil --order fifo"
        return None

    async def build_block(self, number: int | None = None, *, timestamp: int | None = None) -> BuiltBlock:
        """Produce block `number` (must be head + 1) on the node from the bundles stored for it."""
        async with self._lock():
            await self._require_empty_pool()
            return await self._build(number, timestamp, public=())

    async def build_with_mempool(self) -> BuiltBlock:
        """Produce the next block from its bundles, then the public transactions waiting in the txpool."""
        async with self._lock():
            public = await self._take_pool()
            return await self._build(None, None, public=public)

    async def _take_pool(self, queued: bool = False) -> list[str]:
        """The txpool's pending (and with `queued`, queued) transactions, raw, by sender then nonce, removed
        from the pool."""
        content = await self._rpc("txpool_content")
        content = content if isinstance(content, dict) else {}
        hashes: list[tuple[str, int, str]] = []
        for section in ("pending", "queued") if queued else ("pending",):
            for sender, by_nonce in (content.get(section) or {}).items():
                for nonce, tx in (by_nonce or {}).items():
                    if isinstance(tx, dict) and tx.get("hash"):
                        hashes.append((str(sender).lower(), int(nonce), str(tx["hash"])))
        raws = []
        for _sender, _nonce, h in sorted(hashes):
            raw = await self._rpc("eth_getRawTransactionByHash", [h])
            if isinstance(raw, str) and raw.startswith("0x"):
                raws.append(raw)
        await self._rpc("anvil_dropAllTransactions")
        return raws

    async def serve(self, block_time: float, stop: asyncio.Event, on_block: Any = None) -> None:
        """Be the node's block producer until `stop`: a block every `block_time` seconds (see the docstring)."""
        if block_time <= 0:
            raise ValueError(f"block_time must be positive, got {block_time}")
        await self._rpc("evm_setAutomine", [False])
        loop = asyncio.get_running_loop()
        next_at = loop.time() + block_time
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - loop.time()))
                    break
                except TimeoutError:
                    pass
                next_at += block_time
                try:
                    built = await self.build_with_mempool()
                except (BundleError, LocalBuilderError) as exc:
                    if on_block is not None:
                        on_block(None, exc)
                    continue
                if on_block is not None:
                    on_block(built, None)
        finally:
            await self._rpc("evm_setAutomine", [True])

    async def _build(self, number: int | None, timestamp: int | None, *, public: Sequence[str]) -> BuiltBlock:
        """Block `number` (head + 1) from its bundles, then `public` (skipping ones a bundle carries).
        Caller holds the node lock."""
        head = await self._head()
        head_number = _int(head["number"])
        if number is None:
            number = head_number + 1
        if number != head_number + 1:
            raise LocalBuilderError(f"can only build the next block {head_number + 1}, asked for {number}")
        ts = timestamp if timestamp is not None else _int(head["timestamp"]) + self.block_time
        built = BuiltBlock(number=number, hash="", timestamp=ts, coinbase=self.coinbase)

        for key, b in list(self.bundles.items()):  # prune: target already passed
            if b.block_number < number:
                self._forget(key)
        scored: list[tuple[int, int, str, StoredBundle]] = []
        # A copy: bundles keep arriving (eth_sendBundle) while the trials below await the node.
        for key, b in list(self.bundles.items()):
            if b.block_number != number:
                continue
            if b.outbid:
                built.dropped[b.bundle_hash] = "outbid by a competing bundle (simulated competition)"
                continue
            if (b.min_timestamp and ts < b.min_timestamp) or (b.max_timestamp and ts > b.max_timestamp):
                built.dropped[b.bundle_hash] = f"timestamp {ts} outside [{b.min_timestamp}, {b.max_timestamp}]"
                continue
            alone = await self._trial(b.txs, coinbase=self.coinbase, timestamp=ts, head=head)
            problem = self._bundle_problem(b, alone)
            if problem is not None:
                built.dropped[b.bundle_hash] = problem
                continue
            gas = sum(_int(alone.receipts[h]["gasUsed"]) for h in b.tx_hashes)
            price = (alone.coinbase_after - alone.coinbase_before) // gas if gas else 0
            scored.append((-price, b.seq, key, b))
        scored.sort(key=lambda item: item[:2])

        accepted: list[StoredBundle] = []
        used: dict[tuple[str, int], str] = {}  # (sender, nonce) -> tx hash, over accepted bundles
        for _, _, _, b in scored:
            clash = next((used[k] for k in self._nonce_keys(b) if k in used), None)
            if clash is not None:  # an earlier bundle already used this nonce (spec A7.7)
                built.dropped[b.bundle_hash] = f"nonce too low: nonce already used by {clash} of an earlier bundle"
                continue
            candidate = [*accepted, b]
            trial = await self._trial(
                [t for x in candidate for t in x.txs], coinbase=self.coinbase, timestamp=ts, head=head
            )
            own = self._bundle_problem(b, trial)
            problems = [p for x in accepted if (p := self._bundle_problem(x, trial))]
            if own is not None or problems:
                built.dropped[b.bundle_hash] = own or f"would break an earlier bundle: {problems[0]}"
            else:
                accepted.append(b)
                used.update({k: h for k, h in zip(self._nonce_keys(b), b.tx_hashes, strict=True)})

        carried = {h for x in accepted for h in x.tx_hashes}
        optional = [t for t in public if tx_hash(t) not in carried]
        final = await self._mine(
            [t for x in accepted for t in x.txs], coinbase=self.coinbase, timestamp=ts, head=head, optional=optional
        )
        if final.block is None:  # the node refused a transaction it took in the trial (a sender raced us)
            raise LocalBuilderError(f"block {number} not built: the node refused {final.refused}")
        for b in accepted:
            problem = self._bundle_problem(b, final)
            if problem is not None:  # the same txs on the same parent: cannot differ from the trial
                raise LocalBuilderError(f"final block differs from its trial: {problem}")
        built.hash = final.block["hash"]
        built.included = [b.bundle_hash for b in accepted]
        built.tx_hashes = [h for b in accepted for h in b.tx_hashes]
        built.public = [h for h in final.receipts if h not in carried]  # those arrived meanwhile too
        for key, b in list(self.bundles.items()):
            if b.block_number <= number:
                self._forget(key)
        self.built.append(built)
        return built

    @staticmethod
    def _nonce_keys(bundle: StoredBundle) -> list[tuple[str, int]]:
        return [(recover_sender(t), decode_nonce(t)) for t in bundle.txs]

    def _forget(self, key: str) -> None:
        b = self.bundles.pop(key, None)
        if b is not None and b.replacement_uuid is not None:
            uuid_key = (b.replacement_uuid, b.signer)
            if self._by_uuid.get(uuid_key) == key:
                del self._by_uuid[uuid_key]
