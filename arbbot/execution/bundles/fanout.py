"""Concurrent fan-out of one bundle to several builders for the next N blocks, with per-builder latency and
error, plus well-known public builder endpoints (bundles-spec A9) as data — nothing here contacts them
unless a caller does.

Isolation: whatever one builder does (any exception, an answer over `max_bytes`, nested JSON, slowness up
to `timeout`) ends up in that builder's outcome, never in the others'. `start()` hands the outcomes over as
they arrive (`FanoutHandle`), so a caller can act on the first acceptance without waiting for the slowest
builder; `send()` waits for all. A builder that fails `backoff_after` times in a row (unreachable, slow,
garbage; a JSON-RPC refusal is an answer and does not count) is paused, for longer after each further
failure, and its outcome says so; it is tried again when the pause ends.

Replacement UUIDs: builders key replacement on (uuid, signer) and keep one bundle per key (spec A4,
A7.9), so sending one uuid for N target blocks would leave only the last. For N > 1 the fan-out derives
one uuid per block (uuid5 of the caller's uuid and the block number) and records them in the report;
`cancel(report)` cancels every one of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid as uuid_lib
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from arbbot.chain.jsonrpc import describe
from arbbot.execution.bundles.client import BundleClient, send_bundle_params
from arbbot.execution.bundles.errors import EndpointError, EndpointRpcError
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import TxLike


@dataclass(frozen=True)
class BuilderEndpoint:
    name: str
    url: str
    note: str = ""


# Mainnet eth_sendBundle endpoints named in bundles-spec A9. Data only; status as of the spec's sources.
BUILDER_PRESETS: Mapping[str, BuilderEndpoint] = {
    e.name: e
    for e in (
        BuilderEndpoint("flashbots", "https://relay.flashbots.net", "relay; shares with BuilderNet"),
        BuilderEndpoint("buildernet", "https://rpc.buildernet.org", "signature mandatory"),
        BuilderEndpoint("titan", "https://rpc.titanbuilder.xyz", "regional eu./us./ap. recommended"),
        BuilderEndpoint(
            "beaverbuild", "https://rpc.beaverbuild.org/", "retired for BuilderNet 2025-05-06; UNCONFIRMED"
        ),
        BuilderEndpoint("rsync", "https://rsync-builder.xyz"),
        BuilderEndpoint("builder0x69", "https://builder0x69.io"),
        BuilderEndpoint("quasar", "https://rpc.quasar.win", "invalid signature -> 401"),
        BuilderEndpoint("buildai", "https://buildai.net"),
        BuilderEndpoint("eth-builder", "https://eth-builder.com", "ignores min/maxTimestamp"),
        BuilderEndpoint("tbuilder", "https://rpc.tbuilder.xyz"),
        BuilderEndpoint("eigenphi", "https://builder.eigenphi.io/", "answers result: null"),
    )
}

SEPOLIA_PRESETS: Mapping[str, BuilderEndpoint] = {
    e.name: e
    for e in (
        BuilderEndpoint("flashbots", "https://relay-sepolia.flashbots.net"),
        BuilderEndpoint("buildai", "https://buildai.net/sepolia"),
    )
}


def presets(names: Iterable[str], table: Mapping[str, BuilderEndpoint] = BUILDER_PRESETS) -> list[BuilderEndpoint]:
    out = []
    for name in names:
        if name not in table:
            raise KeyError(f"unknown builder preset {name!r}; known: {', '.join(sorted(table))}")
        out.append(table[name])
    return out


def block_uuid(replacement_uuid: str | uuid_lib.UUID, block_number: int) -> str:
    """The per-block replacement uuid used when one bundle targets several blocks."""
    return str(uuid_lib.uuid5(uuid_lib.UUID(str(replacement_uuid)), str(block_number)))


log = logging.getLogger(__name__)

BUILDER_MAX_BYTES = 2**20  # a bundle answer is a few hundred bytes; more is a broken or hostile builder
BACKOFF_AFTER = 3  # consecutive failures before a builder is paused
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 120.0


@dataclass(frozen=True)
class SubmissionOutcome:
    builder: str
    method: str
    block_number: int | None
    latency_s: float
    bundle_hash: str | None = None
    error: str | None = None
    error_type: str | None = None
    result: Any = field(default=None, repr=False, compare=False)
    kind: str | None = None  # failure class (arbbot.chain.jsonrpc.KINDS), "backed_off" or "internal"

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Health:
    failures: int = 0  # consecutive
    paused_until: float = 0.0
    pauses: int = 0


@dataclass
class FanoutReport:
    outcomes: list[SubmissionOutcome]
    target_blocks: list[int] = field(default_factory=list)
    replacement_uuids: dict[int, str] = field(default_factory=dict)  # target block -> uuid sent

    @property
    def succeeded(self) -> list[SubmissionOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[SubmissionOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def by_builder(self) -> dict[str, list[SubmissionOutcome]]:
        out: dict[str, list[SubmissionOutcome]] = {}
        for o in self.outcomes:
            out.setdefault(o.builder, []).append(o)
        return out

    def accepted_by(self, block_number: int) -> list[str]:
        return [o.builder for o in self.outcomes if o.ok and o.block_number == block_number]


class FanoutHandle:
    """One fan-out in flight: `report.outcomes` grows as builders answer."""

    def __init__(self, report: FanoutReport, tasks: list[asyncio.Future[SubmissionOutcome]]) -> None:
        self.report = report
        self.tasks = tasks
        self._changed = asyncio.Event()
        self._index: dict[int, int] = {}  # outcome id -> job order, to hand back a stable report at the end
        for i, t in enumerate(tasks):
            t.add_done_callback(lambda task, i=i: self._done(task, i))

    def _done(self, task: asyncio.Future[SubmissionOutcome], i: int) -> None:
        if not task.cancelled() and task.exception() is None:
            outcome = task.result()
            self._index[id(outcome)] = i
            self.report.outcomes.append(outcome)
        self._changed.set()

    @property
    def finished(self) -> bool:
        return all(t.done() for t in self.tasks)

    async def first_accepted(self, grace: float = 0.0) -> SubmissionOutcome | None:
        """Wait for the first acceptance (then `grace` seconds more for the others), or until all answered."""
        while not self.finished and not any(o.ok for o in self.report.outcomes):
            self._changed.clear()
            await self._changed.wait()
        if grace > 0 and not self.finished:
            await asyncio.wait(self.tasks, timeout=grace)  # never cancels them (wait_for on a gather would)
        return next((o for o in self.report.outcomes if o.ok), None)

    async def wait_all(self) -> FanoutReport:
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.report.outcomes.sort(key=lambda o: self._index.get(id(o), 0))  # job order: builders x blocks
        return self.report

    def cancel(self) -> None:
        for t in self.tasks:
            t.cancel()


class BundleFanout:
    """Owns one aiohttp session and one BundleClient per builder. Use `async with`."""

    def __init__(
        self,
        builders: Sequence[BuilderEndpoint],
        *,
        signer: FlashbotsSigner | None = None,
        timeout: float = 2.0,
        max_concurrency: int = 64,
        max_bytes: int = BUILDER_MAX_BYTES,
        backoff_after: int = BACKOFF_AFTER,
        on_health: Callable[[str, bool, str], None] | None = None,
    ) -> None:
        if not builders:
            raise ValueError("no builders to fan out to")
        names = [b.name for b in builders]
        if len(set(names)) != len(names):
            raise ValueError(f"builder names must be unique: {names}")
        self.builders = list(builders)
        self.signer = signer
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.backoff_after = backoff_after
        self.on_health = on_health  # (builder, paused, why): for metrics
        self._limit = asyncio.Semaphore(max_concurrency)
        self._session: aiohttp.ClientSession | None = None
        self.clients: list[BundleClient] = []
        self.health: dict[str, _Health] = {n: _Health() for n in names}

    async def __aenter__(self) -> BundleFanout:
        self._session = aiohttp.ClientSession()
        self.clients = [
            BundleClient(
                b.url,
                name=b.name,
                signer=self.signer,
                timeout=self.timeout,
                session=self._session,
                max_bytes=self.max_bytes,
            )
            for b in self.builders
        ]
        return self

    def paused(self) -> list[str]:
        now = time.monotonic()
        return [name for name, h in self.health.items() if h.paused_until > now]

    def _note(self, outcome: SubmissionOutcome, exc: BaseException | None) -> None:
        """Track consecutive failures per builder; pause the ones that keep failing."""
        h = self.health[outcome.builder]
        counts = exc is not None and not (isinstance(exc, EndpointRpcError) and exc.http_status == 200)
        if not counts:
            if h.pauses:
                log.info("builder %s answers again; no longer paused", outcome.builder)
                if self.on_health is not None:
                    self.on_health(outcome.builder, False, "answers again")
            h.failures, h.pauses, h.paused_until = 0, 0, 0.0
            return
        h.failures += 1
        if h.failures >= self.backoff_after:
            pause = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**h.pauses)
            h.pauses += 1
            h.paused_until = time.monotonic() + pause
            why = f"{h.failures} failures in a row, last: {outcome.error}"
            log.warning("builder %s paused for %.0fs (%s)", outcome.builder, pause, why)
            if self.on_health is not None:
                self.on_health(outcome.builder, True, why)

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _need_clients(self) -> list[BundleClient]:
        if not self.clients:
            raise RuntimeError("BundleFanout used outside 'async with'")
        return self.clients

    async def _timed(
        self, client: BundleClient, method: str, block: int | None, coro: Coroutine[Any, Any, Any]
    ) -> SubmissionOutcome:
        if client.name in self.paused():
            coro.close()
            h = self.health[client.name]
            why = f"paused for {h.paused_until - time.monotonic():.0f}s more after {h.failures} failures in a row"
            return SubmissionOutcome(client.name, method, block, 0.0, error=why, error_type="BackedOff",
                                     kind="backed_off")  # fmt: skip
        async with self._limit:
            started = time.perf_counter()
            try:
                result = await coro
            except Exception as exc:  # whatever one builder does stays in its own outcome
                kind = exc.kind if isinstance(exc, EndpointError) else "internal"
                text = describe(exc)
                outcome = SubmissionOutcome(
                    client.name, method, block, time.perf_counter() - started,
                    error=text if len(text) <= 300 else text[:300] + "…", error_type=type(exc).__name__, kind=kind,
                )  # fmt: skip
                self._note(outcome, exc)
                return outcome
            latency = time.perf_counter() - started
        bundle_hash = getattr(result, "bundle_hash", None)
        outcome = SubmissionOutcome(client.name, method, block, latency, bundle_hash=bundle_hash, result=result)
        self._note(outcome, None)
        return outcome

    async def send(
        self,
        txs: Sequence[TxLike],
        *,
        first_block: int,
        blocks: int = 1,
        min_timestamp: int | None = None,
        max_timestamp: int | None = None,
        reverting_tx_hashes: Sequence[str] = (),
        replacement_uuid: str | uuid_lib.UUID | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> FanoutReport:
        """eth_sendBundle to every builder for blocks first_block … first_block+blocks-1; waits for all."""
        handle = self.start(
            txs, first_block=first_block, blocks=blocks, min_timestamp=min_timestamp, max_timestamp=max_timestamp,
            reverting_tx_hashes=reverting_tx_hashes, replacement_uuid=replacement_uuid, extra=extra,
        )  # fmt: skip
        return await handle.wait_all()

    def start(
        self,
        txs: Sequence[TxLike],
        *,
        first_block: int,
        blocks: int = 1,
        min_timestamp: int | None = None,
        max_timestamp: int | None = None,
        reverting_tx_hashes: Sequence[str] = (),
        replacement_uuid: str | uuid_lib.UUID | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> FanoutHandle:
        """Like `send`, but returns at once: outcomes arrive in the handle's report as builders answer."""
        if blocks < 1:
            raise ValueError("blocks must be >= 1")
        clients = self._need_clients()
        # Validate once, up front: a bad argument is the caller's bug, not a per-builder failure.
        send_bundle_params(
            txs, first_block, min_timestamp=min_timestamp, max_timestamp=max_timestamp,
            reverting_tx_hashes=reverting_tx_hashes, replacement_uuid=replacement_uuid, extra=extra,
        )  # fmt: skip
        targets = list(range(first_block, first_block + blocks))
        uuids: dict[int, str] = {}
        if replacement_uuid is not None:
            for b in targets:
                uuids[b] = str(uuid_lib.UUID(str(replacement_uuid))) if blocks == 1 else block_uuid(replacement_uuid, b)
        jobs = [
            self._timed(
                client,
                "eth_sendBundle",
                block,
                client.send_bundle(
                    txs,
                    block,
                    min_timestamp=min_timestamp,
                    max_timestamp=max_timestamp,
                    reverting_tx_hashes=reverting_tx_hashes,
                    replacement_uuid=uuids.get(block),
                    extra=extra,
                ),
            )
            for block in targets
            for client in clients
        ]
        return FanoutHandle(FanoutReport([], targets, uuids), [asyncio.ensure_future(j) for j in jobs])

    async def cancel(self, report_or_uuids: FanoutReport | Iterable[str]) -> FanoutReport:
        """eth_cancelBundle every uuid of a previous `send` (or the given uuids) at every builder."""
        clients = self._need_clients()
        if isinstance(report_or_uuids, FanoutReport):
            pairs = [(block, u) for block, u in report_or_uuids.replacement_uuids.items()]
        else:
            pairs = [(None, u) for u in report_or_uuids]
        if not pairs:
            raise ValueError("nothing to cancel: the bundle was sent without a replacement uuid")
        jobs = [
            self._timed(client, "eth_cancelBundle", block, client.cancel_bundle(u))
            for block, u in pairs
            for client in clients
        ]
        outcomes = await asyncio.gather(*jobs)
        return FanoutReport(
            list(outcomes), [b for b, _ in pairs if b is not None], {b: u for b, u in pairs if b is not None}
        )
