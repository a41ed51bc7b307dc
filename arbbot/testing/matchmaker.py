"""A MEV-Share matchmaker: a TEST DOUBLE of the Flashbots MEV-Share node, over the local builder.

It serves on 127.0.0.1 on a port picked at run time:

* POST `/` JSON-RPC, every request signed with `X-Flashbots-Signature` (missing/bad -> HTTP 403):

  * `eth_sendPrivateTransaction` `[{tx, maxBlockNumber?, preferences?{privacy?{hints, builders}}}]` from a
    user: the transaction is held privately (never sent to the node's public pool); the double executes it
    once on the head state (rolled back) to learn its logs, and publishes a hint. Answers the tx hash.
  * `mev_sendBundle` (v0.1): a user's private bundle (`body` of `{tx}` items) is held like private
    transactions; a searcher's backrun `[{hash}, {tx, canRevert}]` must name a held transaction and carry
    exactly one transaction (the one-backrun rule). `inclusion{block, maxBlock}` is checked. Answers
    `{bundleHash}` = keccak of the body's tx hashes.
  * `mev_simBundle` `[bundle, simOverrides]` (when `offer_sim`): victim then backrun through the local
    builder's `eth_callBundle`; answers `success`, `error`, `stateBlock`, `profit`, `gasUsed`, `mevGasPrice`.

* GET `/events`: the hint stream as server-sent events (`id:` + `data: {json}` per hint; `:ping` every
  `ping_interval` seconds); `Last-Event-ID` replays the held events after that id. A hint carries `hash`
  always, and only what the sender's `privacy.hints` allow: `contract_address` -> `txs[].to`,
  `function_selector` -> `txs[].functionSelector`, `calldata` -> `txs[].callData`, `logs` -> the logs,
  `full` -> all of these plus `gasUsed`. Without preferences the default is
  `contract_address, function_selector, logs` (a configurable assumption).
* `build_block()` (called by the test when the next block is due): for each held transaction, every
  backrun is simulated after it through the local builder's `eth_callBundle`; the one paying the builder
  the most (coinbase difference) among those that do not revert is merged after the victim and sent to the
  local builder (`eth_sendBundle`, signed by the matchmaker's key); a victim without a valid backrun goes
  alone. Then the local builder builds the block. Included victims are forgotten; the others stay until
  their maxBlockNumber.

What it does NOT do (differences from the real MEV-Share node):

* Refunds only with `refund_key`: then a transfer of the backrun's `validity.refund` percent for body 0
  (default 90) of the backrun's simulated coinbase payment, from that key to the victim's sender, is added
  after the backrun in the same bundle (the real builder pays it from the block's value, and splits by
  `refundConfig`; `refundConfig` and the user's own `validity.refund` preferences are not applied here).
* `mev_simBundle` (unless `offer_sim=False`) only for a backrun of a held transaction, on the head state
  (simOverrides are ignored); `refundableValue` is the backrun's own coinbase payment.
* No `mev_cancelBundle`, `mev_getBundleStats`, event history API, bundle hints of
  searcher bundles, nested `{bundle}` bodies, hint rounding of `gasUsed`/`mevGasPrice` (`mevGasPrice` is
  never sent), filtering of logs to known DEX events (all logs are shared under the `logs` hint), rate limits.
* One builder (the local one): `privacy.builders` is recorded, not used. Hints are served from the
  matchmaker's own simulation on the head state; a victim that would revert is still hinted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import rlp
from aiohttp import web
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes

from arbbot.execution.bundles.client import BundleClient
from arbbot.execution.bundles.errors import BundleError, SignatureError
from arbbot.execution.bundles.signing import HEADER, FlashbotsSigner, verify
from arbbot.execution.bundles.transactions import Fees, TransactionSigner, recover_sender, tx_hash
from arbbot.testing.local_builder import BuiltBlock, LocalBuilder

DEFAULT_HINTS = ("contract_address", "function_selector", "logs")
KNOWN_HINTS = {"calldata", "contract_address", "logs", "function_selector", "hash", "tx_hash", "full",
               "default_logs", "special_logs"}  # fmt: skip
MAX_SPAN = 30


class _Fail(Exception):
    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Backrun:
    """A searcher's backrun held by the matchmaker double: its raw signed transaction and hash, the `inclusion` block
    range, the searcher's address recovered from the request signature, and the bundle's `validity.refund` entries as
    sent.
    """

    raw: str
    hash: str
    block: int
    max_block: int
    signer: str
    refund: list[Any] = field(default_factory=list)


@dataclass
class PrivateTx:
    """A user's private transaction held by the matchmaker double until it is included or its `max_block` (None: no
    limit) passes.

    `hints` are the hint names its sender allowed; `builders` is recorded as sent and not used; `backruns` are the
    searchers' backruns received for it.
    """

    raw: str
    hash: str
    max_block: int | None
    hints: tuple[str, ...]
    builders: tuple[str, ...] = ()
    backruns: list[Backrun] = field(default_factory=list)


@dataclass(frozen=True)
class Merged:
    """What the matchmaker handed the builder for a victim: the bundle hash and its txs."""

    victim: str
    backrun: str | None
    bundle_hash: str | None  # None: the builder accepted the bundle without naming its hash
    rejected: dict[str, str]  # backrun hash -> why it was not merged
    refund: int = 0  # wei paid back to the victim's sender (with `refund_key`)
    refund_tx: str | None = None


def _hex_int(value: Any, name: str) -> int:
    if isinstance(value, str) and value.startswith("0x") and 2 < len(value) <= 18:
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise _Fail(-32602, f"{name} must be a hex quantity")


class Matchmaker:
    """Test double of a MEV-Share node (see the module docstring)."""

    def __init__(
        self,
        builder: LocalBuilder,
        *,
        ping_interval: float = 15.0,
        host: str = "127.0.0.1",
        port: int = 0,
        default_hints: Sequence[str] = DEFAULT_HINTS,
        offer_sim: bool = True,
        refund_key: str | None = None,
        default_refund_percent: int = 90,
    ) -> None:
        self.builder = builder
        self.ping_interval = ping_interval
        self.host, self.requested_port = host, port
        self.default_hints = tuple(default_hints)
        self.offer_sim = offer_sim
        # Refunds are paid by this funded key (a real matchmaker has the builder pay them from the block's
        # value): `percent` of the backrun's payment to the coinbase goes to the victim's sender.
        self._refund_key = refund_key
        self.default_refund_percent = default_refund_percent
        self.signer = FlashbotsSigner.random()  # the matchmaker's own identity towards the builder
        self.port: int | None = None
        self.private: dict[str, PrivateTx] = {}
        self.events: list[tuple[int, str]] = []  # (id, JSON data)
        self.merged: list[Merged] = []
        self.requests: list[tuple[str | None, int, str | None]] = []  # method, HTTP status, error
        self._runner: web.AppRunner | None = None
        self._new_event: asyncio.Condition | None = None
        self._client: BundleClient | None = None
        self._closing: asyncio.Event | None = None

    @property
    def url(self) -> str:
        """The JSON-RPC URL (POST) on 127.0.0.1; raises `RuntimeError` when the double is not running."""
        if self.port is None:
            raise RuntimeError("matchmaker is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        """The server-sent-events URL of the hint stream (`url` + `/events`)."""
        return self.url + "/events"

    async def start(self) -> Matchmaker:
        """Listen (port picked at run time unless one was given) and connect to the local builder as the matchmaker's
        own signer; the builder must already be running.
        """
        self._new_event = asyncio.Condition()
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/", self._handle)
        app.router.add_get("/events", self._stream)
        app.router.add_get("/", self._stream)  # one URL for both: GET streams hints, POST takes bundles
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._client = BundleClient(self.builder.url, name="local", signer=self.signer, timeout=30.0)
        return self

    async def stop(self) -> None:
        """End open hint streams, stop listening and close the builder connection; held transactions and records are
        kept for inspection.
        """
        if self._closing is not None:
            self._closing.set()
        if self._new_event is not None:
            async with self._new_event:
                self._new_event.notify_all()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._client is not None:
            await self._client.close()
            self._client = None
        self.port = None

    async def __aenter__(self) -> Matchmaker:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- JSON-RPC

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
        try:
            signer = verify(request.headers.get(HEADER), raw)
        except SignatureError as exc:
            self.requests.append((None, 403, str(exc)))
            return self._reply(None, 403, error=(-32600, str(exc)))
        try:
            payload = json.loads(raw)
        except ValueError:
            self.requests.append((None, 400, "parse error"))
            return self._reply(None, 400, error=(-32700, "parse error"))
        if not isinstance(payload, dict) or not isinstance(payload.get("method"), str):
            self.requests.append((None, 400, "invalid request"))
            return self._reply(None, 400, error=(-32600, "invalid request"))
        method, request_id, params = payload["method"], payload.get("id"), payload.get("params")
        handlers = {"eth_sendPrivateTransaction": self._private_tx, "mev_sendBundle": self._send_bundle}
        if self.offer_sim:
            handlers["mev_simBundle"] = self._sim_bundle
        handler = handlers.get(method)
        try:
            if handler is None:
                raise _Fail(-32601, f"the method {method} does not exist/is not available", 404)
            if not isinstance(params, list) or not params or not isinstance(params[0], dict):
                raise _Fail(-32602, "params must be an array holding an object")
            result = await handler(params[0], signer)
        except _Fail as fail:
            self.requests.append((method, fail.status, fail.message))
            return self._reply(request_id, fail.status, error=(fail.code, fail.message))
        except BundleError as exc:
            self.requests.append((method, 500, str(exc)))
            return self._reply(request_id, 500, error=(-32603, f"internal error: {exc}"))
        self.requests.append((method, 200, None))
        return self._reply(request_id, 200, result=result)

    @staticmethod
    def _raw(value: Any, name: str) -> str:
        if not isinstance(value, str) or not value.startswith("0x"):
            raise _Fail(-32602, f"{name} must be a 0x-hex signed transaction")
        try:
            recover_sender(value)
        except Exception:
            raise _Fail(-32602, f"{name} is not a valid signed transaction") from None
        return value

    @staticmethod
    def _hints(prefs: Any) -> tuple[str, ...] | None:
        if prefs is None:
            return None
        if not isinstance(prefs, dict):
            raise _Fail(-32602, "privacy must be an object")
        hints = prefs.get("hints")
        if hints is None:
            return None
        if not isinstance(hints, list) or not all(isinstance(h, str) and h in KNOWN_HINTS for h in hints):
            raise _Fail(-32602, f"privacy.hints must be a list of known hints, got {str(hints)[:80]}")
        return tuple(hints)

    async def _private_tx(self, obj: dict[str, Any], signer: str) -> str:
        raw = self._raw(obj.get("tx"), "tx")
        max_block = _hex_int(obj["maxBlockNumber"], "maxBlockNumber") if obj.get("maxBlockNumber") else None
        prefs = obj.get("preferences") or {}
        if not isinstance(prefs, dict):
            raise _Fail(-32602, "preferences must be an object")
        hints = self._hints(prefs.get("privacy"))
        await self._hold(raw, max_block, self.default_hints if hints is None else hints)
        return tx_hash(raw)

    async def _send_bundle(self, obj: dict[str, Any], signer: str) -> dict[str, str]:
        if obj.get("version") != "v0.1":
            raise _Fail(-32602, f"version must be v0.1, got {str(obj.get('version'))[:20]!r}")
        inclusion = obj.get("inclusion")
        if not isinstance(inclusion, dict) or "block" not in inclusion:
            raise _Fail(-32602, "inclusion.block is required")
        block = _hex_int(inclusion["block"], "inclusion.block")
        max_block = _hex_int(inclusion["maxBlock"], "inclusion.maxBlock") if "maxBlock" in inclusion else block
        if not block <= max_block <= block + MAX_SPAN:
            raise _Fail(-32602, "inclusion.maxBlock out of range")
        body = obj.get("body")
        if not isinstance(body, list) or not body or not all(isinstance(b, dict) for b in body):
            raise _Fail(-32602, "body must be a non-empty list of objects")
        validity = obj.get("validity") or {}
        hints = self._hints(obj.get("privacy"))
        refs = [b for b in body if "hash" in b]
        if not refs:  # a user's private bundle: its transactions are held and hinted
            raws = [self._raw(b.get("tx"), f"body[{i}].tx") for i, b in enumerate(body)]
            for raw in raws:
                await self._hold(raw, max_block, self.default_hints if hints is None else hints)
            return {"bundleHash": "0x" + keccak(b"".join(bytes.fromhex(tx_hash(r)[2:]) for r in raws)).hex()}
        if len(body) != 2 or "hash" not in body[0] or "tx" not in body[1]:
            raise _Fail(-32602, "a backrun body is [{hash}, {tx, canRevert}]: one backrun transaction per bundle")
        victim = str(body[0]["hash"]).lower()
        held = self.private.get(victim)
        if held is None:
            raise _Fail(-32000, f"unknown transaction {victim[:66]}")
        if body[1].get("canRevert", False) is not False:
            raise _Fail(-32602, "body[1].canRevert: a backrun may not revert here")
        raw = self._raw(body[1]["tx"], "body[1].tx")
        refund = validity.get("refund", []) if isinstance(validity, dict) else []
        held.backruns.append(Backrun(raw, tx_hash(raw), block, max_block, signer, list(refund or [])))
        hashes = bytes.fromhex(victim[2:]) + bytes.fromhex(tx_hash(raw)[2:])
        return {"bundleHash": "0x" + keccak(hashes).hex()}

    async def _sim_bundle(self, obj: dict[str, Any], signer: str) -> dict[str, Any]:
        """`mev_simBundle` of a backrun on the head state: the held victim, then the backrun."""
        assert self._client is not None
        body = obj.get("body")
        if obj.get("version") != "v0.1" or not isinstance(body, list) or len(body) != 2:
            raise _Fail(-32602, "a v0.1 backrun body [{hash}, {tx, canRevert}] is required")
        if not all(isinstance(b, dict) for b in body) or "hash" not in body[0] or "tx" not in body[1]:
            raise _Fail(-32602, "a v0.1 backrun body [{hash}, {tx, canRevert}] is required")
        held = self.private.get(str(body[0]["hash"]).lower())
        if held is None:
            raise _Fail(-32000, f"unknown transaction {str(body[0]['hash'])[:66]}")
        raw = self._raw(body[1]["tx"], "body[1].tx")
        head = int(await self.builder._rpc("eth_blockNumber"), 16)
        try:
            sim = await self._client.call_bundle([held.raw, raw], head + 1)
        except BundleError as exc:
            return {"success": False, "error": str(exc)[:300], "stateBlock": hex(head)}
        revert = sim.first_revert
        gas = sim.total_gas_used
        answer: dict[str, Any] = {
            "success": revert is None, "stateBlock": hex(head), "profit": hex(sim.coinbase_diff),
            "gasUsed": hex(gas), "mevGasPrice": hex(sim.coinbase_diff // gas if gas else 0),
            "refundableValue": hex(sim.results[-1].coinbase_diff if sim.results else 0),
        }  # fmt: skip
        if revert is not None:
            answer["error"] = revert.error or "execution reverted"
        return answer

    async def _hold(self, raw: str, max_block: int | None, hints: tuple[str, ...]) -> None:
        h = tx_hash(raw)
        receipts = await self.builder.trial_receipts([raw])
        receipt = receipts.get(h, {})
        self.private[h] = PrivateTx(raw, h, max_block, hints)
        await self._publish(self._hint(raw, h, receipt, hints))

    @staticmethod
    def _hint(raw: str, h: str, receipt: dict[str, Any], hints: tuple[str, ...]) -> dict[str, Any]:
        full = "full" in hints
        event: dict[str, Any] = {"hash": h, "logs": None, "txs": None}
        body = bytes.fromhex(raw[2:])
        if body and body[0] < 0x7F:
            fields = TypedTransaction.from_bytes(HexBytes(body)).as_dict()
        else:  # legacy transaction
            items = rlp.decode(body)
            fields = {"to": items[3], "data": items[5]}
        to = fields.get("to") or b""
        data = bytes(fields.get("data") or b"")
        tx: dict[str, Any] = {}
        if full or "contract_address" in hints:
            tx["to"] = "0x" + bytes(to).hex() if to else None
        if (full or "function_selector" in hints) and len(data) >= 4:
            tx["functionSelector"] = "0x" + data[:4].hex()
        if full or "calldata" in hints:
            tx["callData"] = "0x" + data.hex()
        if tx:
            event["txs"] = [tx]
        if full or "logs" in hints:
            event["logs"] = [
                {"address": lg["address"].lower(), "topics": list(lg["topics"]), "data": lg["data"]}
                for lg in receipt.get("logs", [])
            ]
        if full and receipt.get("gasUsed"):
            event["gasUsed"] = receipt["gasUsed"]
        return event

    async def _publish(self, event: dict[str, Any]) -> None:
        assert self._new_event is not None
        async with self._new_event:
            self.events.append((len(self.events) + 1, json.dumps(event, separators=(",", ":"))))
            self._new_event.notify_all()

    # ---------------------------------------------------------------- SSE

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        assert self._new_event is not None and self._closing is not None
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        try:
            sent = int(request.headers.get("Last-Event-ID", "0"))
        except ValueError:
            sent = 0
        try:
            while not self._closing.is_set():
                pending = [(i, d) for i, d in self.events if i > sent]
                for i, data in pending:
                    await resp.write(f"id: {i}\ndata: {data}\n\n".encode())
                    sent = i
                if pending:
                    continue
                async with self._new_event:
                    try:
                        await asyncio.wait_for(self._new_event.wait(), self.ping_interval)
                    except TimeoutError:
                        await resp.write(b":ping\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        with contextlib.suppress(Exception):
            await resp.write_eof()
        return resp

    # ---------------------------------------------------------------- blocks

    async def _refund_tx(self, held: PrivateTx, backrun: Backrun, paid: int) -> tuple[str | None, int]:
        """The refund to the victim's sender: the backrun's `validity.refund` percent for body 0 (default
        `default_refund_percent`) of what the backrun paid the coinbase in the simulation."""
        assert self._refund_key is not None
        percents = [r.get("percent") for r in backrun.refund if isinstance(r, dict) and r.get("bodyIdx") == 0]
        percent = sum(p for p in percents if isinstance(p, int)) if percents else self.default_refund_percent
        value = paid * min(max(percent, 0), 100) // 100
        if value <= 0:
            return None, 0
        signer = TransactionSigner(self._refund_key, int(await self.builder._rpc("eth_chainId"), 16))
        head = await self.builder._rpc("eth_getBlockByNumber", ["latest", False])
        nonce = int(await self.builder._rpc("eth_getTransactionCount", [signer.address, "latest"]), 16)
        fee = 2 * int(head.get("baseFeePerGas") or "0x0", 16) + 1
        tx = signer.sign(to=recover_sender(held.raw), nonce=nonce, gas=21_000, fees=Fees(fee, 0), value=value)
        return tx.raw, value

    async def build_block(self) -> BuiltBlock:
        """Merge each held transaction with its best valid backrun, hand the bundles to the builder, build."""
        assert self._client is not None
        head = int(await self.builder._rpc("eth_blockNumber"), 16)
        target = head + 1
        for h, held in list(self.private.items()):
            if held.max_block is not None and held.max_block < target:
                del self.private[h]
                continue
            best: tuple[int, Backrun] | None = None
            rejected: dict[str, str] = {}
            for b in held.backruns:
                if not b.block <= target <= b.max_block:
                    rejected[b.hash] = f"not for block {target}"
                    continue
                try:
                    sim = await self._client.call_bundle([held.raw, b.raw], target)
                except BundleError as exc:
                    rejected[b.hash] = str(exc)
                    continue
                revert = sim.first_revert
                if revert is not None:
                    rejected[b.hash] = f"reverts: {revert.error} {revert.revert or ''}".strip()
                    continue
                if best is None or sim.results[-1].coinbase_diff > best[0]:
                    best = (sim.results[-1].coinbase_diff, b)
            txs = [held.raw] if best is None else [held.raw, best[1].raw]
            refund, refund_tx = 0, None
            if best is not None and self._refund_key is not None:
                refund_tx, refund = await self._refund_tx(held, best[1], best[0])
                if refund_tx is not None:
                    txs.append(refund_tx)
            sent = await self._client.send_bundle(txs, target)
            self.merged.append(Merged(h, None if best is None else best[1].hash, sent.bundle_hash, rejected, refund,
                                      None if refund_tx is None else tx_hash(refund_tx)))  # fmt: skip
        built = await self.builder.build_block(target)
        for h in list(self.private):
            if h in {x.lower() for x in built.tx_hashes}:
                del self.private[h]
        return built
