"""`BundleClient`: eth_callBundle / eth_sendBundle / eth_cancelBundle against one builder (bundles-spec A2-A4).

The same code talks to a real builder URL and to `arbbot.testing.local_builder.LocalBuilder`. Results are
parsed into typed objects; shapes that do not match the spec raise `EndpointBadResponse` naming the
builder and method. Wei amounts arrive as decimal strings, gas as JSON numbers (spec A3); the parser also
accepts hex strings and plain integers, which some builders return.
"""

from __future__ import annotations

import asyncio
import math
import uuid as uuid_lib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from eth_utils import is_address, to_checksum_address

from arbbot.execution.bundles.dialects import (
    DIALECTS,
    Dialect,
    DialectRefusal,
    InternalBundle,
    RateWindow,
    RefundIntent,
    normalise,
)
from arbbot.execution.bundles.errors import EndpointBadResponse
from arbbot.execution.bundles.rpc import JsonRpcClient
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import TxLike, raw_hex, tx_hash

MAX_BUNDLE_TXS = 100  # Flashbots relay and BuilderNet default limit (spec A8)


def _is_tx_hash(value: str) -> bool:
    if not (isinstance(value, str) and value.startswith("0x") and len(value) == 66):
        return False
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class TxSimulation:
    """One tx of an eth_callBundle answer."""

    tx_hash: str
    gas_used: int
    from_address: str | None
    to_address: str | None
    coinbase_diff: int
    eth_sent_to_coinbase: int
    gas_fees: int
    gas_price: int
    value: str | None = None
    error: str | None = None
    revert: str | None = None

    @property
    def reverted(self) -> bool:
        """True when the builder reported an `error` or a `revert` for this transaction."""
        return self.error is not None or self.revert is not None


@dataclass(frozen=True)
class CallBundleResult:
    """A parsed `eth_callBundle` answer: bundle-level totals and one `TxSimulation` per transaction.

    All amounts are wei as the builder reported them (its simulation, not a guarantee of inclusion);
    `state_block_number` is the block whose state it simulated on and `raw` the untouched result object.
    """

    bundle_hash: str
    bundle_gas_price: int
    coinbase_diff: int
    eth_sent_to_coinbase: int
    gas_fees: int
    total_gas_used: int
    state_block_number: int
    results: tuple[TxSimulation, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def first_revert(self) -> TxSimulation | None:
        """The first transaction that reverted in the simulation, or `None` if all succeeded."""
        return next((r for r in self.results if r.reverted), None)


@dataclass(frozen=True)
class SendBundleResult:
    """A builder's answer to `eth_sendBundle`: the bundle hash it assigned (if any) and its raw result.

    An accepted request says only that the builder received the bundle, not that it will build it.
    """

    builder: str
    bundle_hash: str | None  # None when the builder answers `result: null` (EigenPhi does, spec A2)
    raw: Any = field(repr=False, compare=False, default=None)
    received_ms: float | None = None  # `receivedTimestampMs` (BuilderNet): when the builder says it got it


class RateLimited(DialectRefusal):
    """The builder's published rate limit would be exceeded: not sent (a late bundle is worth nothing)."""


def _received_ms(value: Any) -> float | None:
    """`receivedTimestampMs` if it is a plausible unix time in ms; an answer's odd value is not trusted."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) and 0 < v < 1e14 else None


class _Parser:
    def __init__(self, builder: str, method: str) -> None:
        self.builder, self.method = builder, method

    def fail(self, what: str) -> EndpointBadResponse:
        return EndpointBadResponse(self.builder, self.method, f"unexpected result shape: {what}")

    def obj(self, value: Any, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"{what} is {type(value).__name__}, expected an object")
        return value

    def int_(self, obj: Mapping[str, Any], key: str) -> int:
        value = obj.get(key)
        try:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int):
                return value
            if isinstance(value, str):
                return int(value, 16) if value.startswith(("0x", "0X")) else int(value, 10)
        except ValueError:
            pass
        raise self.fail(f"{key}={value!r} is not an integer")

    def opt_str(self, obj: Mapping[str, Any], key: str) -> str | None:
        value = obj.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.fail(f"{key}={value!r} is not a string")

    def call_bundle(self, result: Any) -> CallBundleResult:
        top = self.obj(result, "result")
        entries = top.get("results")
        if not isinstance(entries, list):
            raise self.fail("results is not a list")
        sims = []
        for i, item in enumerate(entries):
            entry = self.obj(item, f"results[{i}]")
            sims.append(
                TxSimulation(
                    tx_hash=self.opt_str(entry, "txHash") or "",
                    gas_used=self.int_(entry, "gasUsed"),
                    from_address=self.opt_str(entry, "fromAddress"),
                    to_address=self.opt_str(entry, "toAddress"),
                    coinbase_diff=self.int_(entry, "coinbaseDiff"),
                    eth_sent_to_coinbase=self.int_(entry, "ethSentToCoinbase"),
                    gas_fees=self.int_(entry, "gasFees"),
                    gas_price=self.int_(entry, "gasPrice"),
                    value=self.opt_str(entry, "value"),
                    error=self.opt_str(entry, "error"),
                    revert=self.opt_str(entry, "revert"),
                )
            )
        return CallBundleResult(
            bundle_hash=self.opt_str(top, "bundleHash") or "",
            bundle_gas_price=self.int_(top, "bundleGasPrice"),
            coinbase_diff=self.int_(top, "coinbaseDiff"),
            eth_sent_to_coinbase=self.int_(top, "ethSentToCoinbase"),
            gas_fees=self.int_(top, "gasFees"),
            total_gas_used=self.int_(top, "totalGasUsed"),
            state_block_number=self.int_(top, "stateBlockNumber"),
            results=tuple(sims),
            raw=dict(top),
        )

    def send_bundle(self, result: Any) -> SendBundleResult:
        if result is None:
            return SendBundleResult(self.builder, None, None)
        top = self.obj(result, "result")
        bundle_hash = self.opt_str(top, "bundleHash")
        if bundle_hash is None:
            raise self.fail("result has no bundleHash")
        return SendBundleResult(self.builder, bundle_hash, dict(top), _received_ms(top.get("receivedTimestampMs")))


def _txs(txs: Sequence[TxLike], *, allow_empty: bool = False) -> list[str]:
    if isinstance(txs, str | bytes):
        raise TypeError("txs must be a sequence of signed transactions, not one string")
    out = [raw_hex(tx) for tx in txs]
    if not out and not allow_empty:
        raise ValueError("a bundle needs at least one transaction")
    if len(out) > MAX_BUNDLE_TXS:
        raise ValueError(f"a bundle holds at most {MAX_BUNDLE_TXS} transactions, got {len(out)}")
    return out


def send_bundle_params(
    txs: Sequence[TxLike],
    block_number: int,
    *,
    min_timestamp: int | None = None,
    max_timestamp: int | None = None,
    reverting_tx_hashes: Sequence[str] = (),
    replacement_uuid: str | uuid_lib.UUID | None = None,
    builders: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The eth_sendBundle params object; unset optional fields are omitted (as ethers does, spec A2).

    `txs=[]` with a `replacement_uuid` is the empty-bundle cancellation some builders support.
    """
    if block_number <= 0:
        raise ValueError("block_number must be positive")
    for name, ts in (("min_timestamp", min_timestamp), ("max_timestamp", max_timestamp)):
        if ts is not None and ts < 0:
            raise ValueError(f"{name} must be >= 0")
    if min_timestamp and max_timestamp and min_timestamp > max_timestamp:
        raise ValueError("min_timestamp is after max_timestamp")
    # Empty txs are allowed only with a uuid: that is the "cancel-empty-bundle" form some builders use (A2).
    params: dict[str, Any] = {
        "txs": _txs(txs, allow_empty=replacement_uuid is not None),
        "blockNumber": hex(block_number),
    }
    if min_timestamp is not None:
        params["minTimestamp"] = min_timestamp
    if max_timestamp is not None:
        params["maxTimestamp"] = max_timestamp
    if reverting_tx_hashes:
        bad = [h for h in reverting_tx_hashes if not _is_tx_hash(h)]
        if bad:
            raise ValueError(f"revertingTxHashes must be 0x-prefixed 32-byte hashes, got {bad[0]!r}")
        params["revertingTxHashes"] = [h.lower() for h in reverting_tx_hashes]
    if replacement_uuid is not None:
        params["replacementUuid"] = str(uuid_lib.UUID(str(replacement_uuid)))
    if builders:
        params["builders"] = list(builders)
    if extra:
        params.update(extra)
    return params


class BundleClient:
    """Bundle JSON-RPC against one builder. Signs every request when given a reputation signer."""

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        signer: FlashbotsSigner | None = None,
        timeout: float = 5.0,
        session: aiohttp.ClientSession | None = None,
        max_bytes: int = 2**20,
        dialect: Dialect | str = "generic",
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.rpc = JsonRpcClient(url, name=name, timeout=timeout, signer=signer, session=session, max_bytes=max_bytes,
                                 headers=headers)  # fmt: skip
        self.dialect = DIALECTS[dialect] if isinstance(dialect, str) else dialect
        limit = self.dialect.rate_limit
        self._window = RateWindow(limit, clock) if limit is not None else None
        self._connections = asyncio.Semaphore(limit.connections) if limit is not None and limit.connections else None
        self.missing_auth: str | None = None  # set when a needed credential is absent: sends are refused

    @property
    def name(self) -> str:
        """The builder's name (used in reports, health and logs)."""
        return self.rpc.name

    @property
    def url(self) -> str:
        """The builder endpoint URL."""
        return self.rpc.url

    def __repr__(self) -> str:
        return f"BundleClient({self.rpc!r})"

    async def __aenter__(self) -> BundleClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the underlying HTTP session if this client owns it."""
        await self.rpc.close()

    async def call_bundle(
        self,
        txs: Sequence[TxLike],
        block_number: int,
        *,
        state_block_number: int | str = "latest",
        timestamp: int | None = None,
        coinbase: str | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> CallBundleResult:
        """Simulate `txs` as block `block_number` on the state of `state_block_number` (spec A3)."""
        if block_number <= 0:
            raise ValueError("block_number must be positive")
        params: dict[str, Any] = {
            "txs": _txs(txs),
            "blockNumber": hex(block_number),
            "stateBlockNumber": state_block_number if isinstance(state_block_number, str) else hex(state_block_number),
        }
        if timestamp is not None:
            params["timestamp"] = timestamp
        if coinbase is not None:
            if not is_address(coinbase):
                raise ValueError(f"coinbase is not an address: {coinbase!r}")
            params["coinbase"] = to_checksum_address(coinbase)
        if extra:
            params.update(extra)
        result = await self._limited("eth_callBundle", [params], timeout)
        return _Parser(self.name, "eth_callBundle").call_bundle(result)

    async def send_bundle(
        self,
        txs: Sequence[TxLike],
        block_number: int,
        *,
        min_timestamp: int | None = None,
        max_timestamp: int | None = None,
        reverting_tx_hashes: Sequence[str] = (),
        replacement_uuid: str | uuid_lib.UUID | None = None,
        builders: Sequence[str] = (),
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        dropping_tx_hashes: Sequence[str] = (),
        refund: RefundIntent | None = None,
        sequence: int | None = None,
    ) -> SendBundleResult:
        """Submit for exactly one target block, in this builder's dialect. Acceptance is not inclusion."""
        # The generic checks first (tx count, hashes, timestamps): a bad argument is the caller's bug.
        send_bundle_params(
            txs, block_number, min_timestamp=min_timestamp, max_timestamp=max_timestamp,
            reverting_tx_hashes=reverting_tx_hashes, replacement_uuid=replacement_uuid,
        )  # fmt: skip
        raw = _txs(txs, allow_empty=replacement_uuid is not None)
        bundle = InternalBundle(
            tuple(raw), tuple(tx_hash(t) for t in raw), block_number,
            replacement_uuid=None if replacement_uuid is None else str(replacement_uuid),
            reverting=tuple(reverting_tx_hashes), dropping=tuple(dropping_tx_hashes), refund=refund,
            min_timestamp=min_timestamp, max_timestamp=max_timestamp, builders=tuple(builders), sequence=sequence,
        )  # fmt: skip
        return await self.send(bundle, extra=extra, timeout=timeout)

    def request(self, bundle: InternalBundle) -> tuple[str, Any]:
        """(method, params) this builder would be sent for `bundle`; raises DialectRefusal if it cannot be."""
        d = self.dialect
        if d.signature == "required" and self.rpc.signer is None:
            raise DialectRefusal(d.name, "requires a signed request (X-Flashbots-Signature); no signer configured")
        if self.missing_auth is not None:
            raise DialectRefusal(d.name, self.missing_auth)
        return normalise(bundle, d)

    async def send(
        self, bundle: InternalBundle, *, extra: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> SendBundleResult:
        """Normalise `bundle` into this builder's dialect and submit it (refused locally if it cannot be said
        there, or if the builder's published rate limit would be exceeded)."""
        method, params = self.request(bundle)
        if extra:  # caller's own fields, for the builder's flat params object
            if not isinstance(params, list):
                raise DialectRefusal(self.dialect.name, "extra fields only go into eth_sendBundle params")
            clash = sorted(set(extra) & set(params[0]))
            if clash:  # the dialect's own fields are not the caller's to overwrite
                raise DialectRefusal(self.dialect.name, f"extra fields {clash} would overwrite the bundle's own")
            params = [{**params[0], **extra}]
        result = await self._limited(method, params, timeout)
        return _Parser(self.name, method).send_bundle(result)

    async def _limited(self, method: str, params: Any, timeout: float | None) -> Any:
        """One request within the builder's published limits (every method counts against them)."""
        if self._window is not None:
            why = self._window.admit()
            if why is not None:
                raise RateLimited(self.dialect.name, why)
        if self._connections is None:
            return await self.rpc.call(method, params, timeout=timeout)
        async with self._connections:
            return await self.rpc.call(method, params, timeout=timeout)

    async def cancel_bundle(self, replacement_uuid: str | uuid_lib.UUID, *, timeout: float | None = None) -> Any:
        """eth_cancelBundle. The answer's shape is builder-specific (spec A4), so it is returned as is."""
        params = {"replacementUuid": str(uuid_lib.UUID(str(replacement_uuid)))}
        return await self._limited("eth_cancelBundle", [params], timeout)
