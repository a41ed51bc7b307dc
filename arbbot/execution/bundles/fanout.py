"""Concurrent fan-out of one bundle to several builders for the next N blocks, with per-builder latency and
error, plus well-known public builder endpoints (bundles-spec A9) as data — nothing here contacts them
unless a caller does.

Isolation: whatever one builder does (any exception, an answer over `max_bytes`, nested JSON, slowness up
to `timeout`) ends up in that builder's outcome, never in the others'. `start()` hands the outcomes over as
they arrive (`FanoutHandle`), so a caller can act on the first acceptance without waiting for the slowest
builder; `send()` waits for all. A builder that fails `backoff_after` times in a row (unreachable, slow,
garbage; a JSON-RPC refusal is an answer and does not count) is paused, for longer after each further
failure, and its outcome says so; it is tried again when the pause ends.

Dialects: each endpoint names its builder's dialect (`arbbot.execution.bundles.dialects`); the one bundle
is normalised per builder, and a builder that cannot be sent it faithfully (a refund it cannot express, a
dropping list it does not know, a published rate limit reached, a required signature missing) gets no
request: its outcome says why (kind "refused" or "rate_limited"), and such local refusals never pause it.

Replacement UUIDs: builders key replacement on (uuid, signer) and keep one bundle per key (spec A4,
A7.9), so sending one uuid for N target blocks would leave only the last. For N > 1 the fan-out derives
one uuid per block (uuid5 of the caller's uuid and the block number) and records them in the report;
`cancel(report)` cancels every one of them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import uuid as uuid_lib
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import aiohttp

from arbbot.chain.jsonrpc import describe
from arbbot.chain.revert import decode_revert
from arbbot.execution.bundles.client import BundleClient, CallBundleResult, RateLimited, send_bundle_params
from arbbot.execution.bundles.dialects import DIALECTS, DialectRefusal, RefundIntent
from arbbot.execution.bundles.errors import EndpointError, EndpointRpcError
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import TxLike, raw_hex, tx_hash

CancelDialect = Literal["endpoint", "empty_bundle", "none"]


@dataclass(frozen=True)
class BuilderEndpoint:
    """A builder and what it supports beyond eth_sendBundle.

    `call_bundle`: answers eth_callBundle (spec A3), so a bundle can be simulated there before it is sent.
    `cancel`: how a sent bundle is withdrawn (spec A4): "endpoint" = eth_cancelBundle with its
    replacementUuid; "empty_bundle" = eth_sendBundle with no txs under the same uuid (BuilderNet, Titan,
    rsync, builder0x69, beaverbuild); "none" = it cannot be withdrawn (it then competes with its
    successor: both spend the same nonce, so at most one lands).
    `dialect`: the request shape it accepts (`arbbot.execution.bundles.dialects.DIALECTS`).
    `auth_env`: an environment variable holding the value of its Authorization header (bloXroute)."""

    name: str
    url: str
    note: str = ""
    call_bundle: bool = False
    cancel: CancelDialect = "none"
    dialect: str = "generic"
    auth_env: str | None = None

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"builder {self.name}: unknown dialect {self.dialect!r}; known: {', '.join(DIALECTS)}")


# Mainnet eth_sendBundle endpoints named in bundles-spec A9. Data only; status as of the spec's sources.
BUILDER_PRESETS: Mapping[str, BuilderEndpoint] = {
    e.name: e
    for e in (
        BuilderEndpoint("flashbots", "https://relay.flashbots.net", "relay; shares with BuilderNet",
                        call_bundle=True, cancel="endpoint", dialect="flashbots"),
        BuilderEndpoint("buildernet", "https://rpc.buildernet.org", "signature mandatory", cancel="empty_bundle",
                        dialect="buildernet"),
        BuilderEndpoint("titan", "https://rpc.titanbuilder.xyz", "regional eu./us./ap. recommended", cancel="endpoint",
                        dialect="titan"),
        BuilderEndpoint("beaverbuild", "https://rpc.beaverbuild.org/", "retired for BuilderNet 2025-05-06; UNCONFIRMED",
                        cancel="empty_bundle", dialect="beaverbuild"),
        BuilderEndpoint("rsync", "https://rsync-builder.xyz", cancel="empty_bundle", dialect="rsync"),
        BuilderEndpoint("builder0x69", "https://builder0x69.io", cancel="empty_bundle", dialect="builder0x69"),
        BuilderEndpoint("jetbuilder", "https://rpc.jetbldr.xyz", "URL UNCONFIRMED", cancel="endpoint",
                        dialect="jetbuilder"),
        BuilderEndpoint("bloxroute", "https://api.blxrbdn.com", "Authorization from ARBBOT_BLOXROUTE_AUTH",
                        cancel="empty_bundle", dialect="bloxroute", auth_env="ARBBOT_BLOXROUTE_AUTH"),
        BuilderEndpoint("quasar", "https://rpc.quasar.win", "invalid signature -> 401", dialect="quasar"),
        BuilderEndpoint("buildai", "https://buildai.net", dialect="buildai"),
        BuilderEndpoint("eth-builder", "https://eth-builder.com", "ignores min/maxTimestamp", dialect="eth-builder"),
        BuilderEndpoint("tbuilder", "https://rpc.tbuilder.xyz", dialect="tbuilder"),
        BuilderEndpoint("eigenphi", "https://builder.eigenphi.io/", "answers result: null", dialect="eigenphi"),
    )
}  # fmt: skip

SEPOLIA_PRESETS: Mapping[str, BuilderEndpoint] = {
    e.name: e
    for e in (
        BuilderEndpoint(
            "flashbots", "https://relay-sepolia.flashbots.net", call_bundle=True, cancel="endpoint", dialect="flashbots"
        ),
        BuilderEndpoint("buildai", "https://buildai.net/sepolia", dialect="buildai"),
    )
}


def presets(names: Iterable[str], table: Mapping[str, BuilderEndpoint] = BUILDER_PRESETS) -> list[BuilderEndpoint]:
    """The `BuilderEndpoint` presets for `names`, in order; raises `KeyError` naming an unknown preset."""
    out = []
    for name in names:
        if name not in table:
            raise KeyError(f"unknown builder preset {name!r}; known: {', '.join(sorted(table))}")
        out.append(table[name])
    return out


def block_uuid(replacement_uuid: str | uuid_lib.UUID, block_number: int) -> str:
    """The per-block replacement uuid used when one bundle targets several blocks: derived (uuid5's bytes)
    but shaped as a version-4 UUID, which is what the Flashbots relay and rsync require."""
    derived = uuid_lib.uuid5(uuid_lib.UUID(str(replacement_uuid)), str(block_number))
    return str(uuid_lib.UUID(bytes=derived.bytes, version=4))


log = logging.getLogger(__name__)

PREFLIGHT = "eth_callBundle"
BUILDER_MAX_BYTES = 2**20  # a bundle answer is a few hundred bytes; more is a broken or hostile builder
BACKOFF_AFTER = 3  # consecutive failures before a builder is paused
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 120.0


@dataclass(frozen=True)
class SubmissionOutcome:
    """One request to one builder during a fan-out: which builder and method, for which block, how long it took,
    and either the bundle hash it answered or the error.

    `kind` classifies a failure (a `arbbot.chain.jsonrpc.KINDS` class, `"backed_off"`, `"refused"`,
    `"rate_limited"` or `"internal"`) so health tracking and reports need not parse error text.
    """

    builder: str
    method: str
    block_number: int | None
    latency_s: float
    bundle_hash: str | None = None
    error: str | None = None
    error_type: str | None = None
    result: Any = field(default=None, repr=False, compare=False)
    kind: str | None = None  # failure class (arbbot.chain.jsonrpc.KINDS), "backed_off", "refused",
    # "rate_limited" or "internal"
    received_ms: float | None = None  # the builder's own receive time (`receivedTimestampMs`), where given
    dialect: str | None = None

    @property
    def ok(self) -> bool:
        """True when the request got an answer without error."""
        return self.error is None


@dataclass
class _Health:
    failures: int = 0  # consecutive
    paused_until: float = 0.0
    pauses: int = 0


@dataclass
class FanoutReport:
    """Everything one fan-out did: every outcome, the target blocks and the replacement uuid sent per block."""

    outcomes: list[SubmissionOutcome]
    target_blocks: list[int] = field(default_factory=list)
    replacement_uuids: dict[int, str] = field(default_factory=dict)  # target block -> uuid sent

    @property
    def succeeded(self) -> list[SubmissionOutcome]:
        """Requests the builders accepted (a passed preflight is not an acceptance of the bundle)."""
        return [o for o in self.outcomes if o.ok and o.method != PREFLIGHT]

    @property
    def failed(self) -> list[SubmissionOutcome]:
        """Requests that failed (errors, refusals, back-offs and rate limits included)."""
        return [o for o in self.outcomes if not o.ok]

    def by_builder(self) -> dict[str, list[SubmissionOutcome]]:
        """Outcomes grouped by builder name, in report order."""
        out: dict[str, list[SubmissionOutcome]] = {}
        for o in self.outcomes:
            out.setdefault(o.builder, []).append(o)
        return out

    def accepted_by(self, block_number: int) -> list[str]:
        """Names of the builders that accepted the bundle for `block_number`."""
        return [o.builder for o in self.succeeded if o.block_number == block_number]


class FanoutHandle:
    """One fan-out in flight: `report.outcomes` grows as builders answer."""

    def __init__(self, report: FanoutReport, tasks: list[asyncio.Future[list[SubmissionOutcome]]]) -> None:
        self.report = report
        self.tasks = tasks
        self._changed = asyncio.Event()
        self._index: dict[int, int] = {}  # outcome id -> job order, to hand back a stable report at the end
        for i, t in enumerate(tasks):
            t.add_done_callback(functools.partial(self._done, i=i))

    def _done(self, task: asyncio.Future[list[SubmissionOutcome]], i: int) -> None:
        if not task.cancelled() and task.exception() is None:
            for outcome in task.result():  # a builder's preflight, then its send
                self._index[id(outcome)] = i
                self.report.outcomes.append(outcome)
        self._changed.set()

    @property
    def finished(self) -> bool:
        """True once every builder's requests have completed (answered, failed or cancelled)."""
        return all(t.done() for t in self.tasks)

    async def first_accepted(self, grace: float = 0.0) -> SubmissionOutcome | None:
        """Wait for the first acceptance (then `grace` seconds more for the others), or until all answered."""
        while not self.finished and not self.report.succeeded:
            self._changed.clear()
            await self._changed.wait()
        if grace > 0 and not self.finished:
            await asyncio.wait(self.tasks, timeout=grace)  # never cancels them (wait_for on a gather would)
        return next(iter(self.report.succeeded), None)

    async def wait_all(self) -> FanoutReport:
        """Wait for every request, then return the report with outcomes in job order (preflight before send).

        Never raises for a failed request: failures are outcomes in the report.
        """
        await asyncio.gather(*self.tasks, return_exceptions=True)
        # Job order (builders x blocks), a builder's preflight before its send.
        self.report.outcomes.sort(key=lambda o: (self._index.get(id(o), 0), o.method != PREFLIGHT))
        return self.report

    def cancel(self) -> None:
        """Cancel the requests still in flight; outcomes already recorded stay in the report."""
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
        preflight: bool = False,
        clock: Callable[[], float] | None = None,
        gate: Callable[[str], str | None] | None = None,
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
        # eth_callBundle before eth_sendBundle at builders that support it; a bundle that reverts there is
        # not sent to that builder. Builders that answer "method not found" are not asked again.
        self.preflight = preflight
        self.clock = clock  # for the client-side rate limits (tests pass their own)
        # Asked right before each bundle request leaves (builder name -> why not, or None): an operator's kill
        # switch or disabled builder. Withdrawals are never held back.
        self.gate = gate
        self.no_call_bundle: set[str] = {b.name for b in builders if not b.call_bundle}
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
                dialect=replace(DIALECTS[b.dialect], cancel=b.cancel),  # the endpoint's capability flag rules
                headers=_auth_headers(b),
                clock=self.clock,
            )
            for b in self.builders
        ]
        for b, c in zip(self.builders, self.clients, strict=True):
            if b.auth_env is not None and not os.environ.get(b.auth_env):
                c.missing_auth = f"needs its Authorization header from ${b.auth_env}, which is not set"
        return self

    def paused(self) -> list[str]:
        """Builders currently paused after repeated consecutive failures (not sent to until their pause ends)."""
        now = time.monotonic()
        return [name for name, h in self.health.items() if h.paused_until > now]

    def _note(self, outcome: SubmissionOutcome, exc: BaseException | None) -> None:
        """Track consecutive failures per builder; pause the ones that keep failing."""
        if isinstance(exc, DialectRefusal):  # decided here, before any request: says nothing of the builder
            return
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
        self,
        client: BundleClient,
        method: str,
        block: int | None,
        coro: Coroutine[Any, Any, Any],
        check: Callable[[Any], str | None] | None = None,
    ) -> SubmissionOutcome:
        if client.name in self.paused():
            coro.close()
            h = self.health[client.name]
            why = f"paused for {h.paused_until - time.monotonic():.0f}s more after {h.failures} failures in a row"
            return SubmissionOutcome(client.name, method, block, 0.0, error=why, error_type="BackedOff",
                                     kind="backed_off")  # fmt: skip
        async with self._limit:
            why_not = self.gate(client.name) if self.gate is not None and method != "eth_cancelBundle" else None
            if why_not is not None:  # decided here, at the last moment: nothing leaves, nothing said of the builder
                coro.close()
                return SubmissionOutcome(client.name, method, block, 0.0, error=why_not, error_type="ControlRefusal",
                                         kind="refused", dialect=client.dialect.name)  # fmt: skip
            started = time.perf_counter()
            try:
                result = await coro
            except Exception as exc:  # whatever one builder does stays in its own outcome
                kind = exc.kind if isinstance(exc, EndpointError) else "internal"
                if isinstance(exc, DialectRefusal):
                    kind = "rate_limited" if isinstance(exc, RateLimited) else "refused"
                text = describe(exc)
                outcome = SubmissionOutcome(
                    client.name, method, block, time.perf_counter() - started,
                    error=text if len(text) <= 300 else text[:300] + "…", error_type=type(exc).__name__, kind=kind,
                    dialect=client.dialect.name,
                )  # fmt: skip
                self._note(outcome, exc)
                return outcome
            latency = time.perf_counter() - started
        problem = check(result) if check is not None else None
        if problem is not None:  # the builder answered fine; the bundle is what failed there
            outcome = SubmissionOutcome(client.name, method, block, latency, error=problem, error_type="Rejected",
                                        result=result, kind="rejected", dialect=client.dialect.name)  # fmt: skip
            self._note(outcome, None)
            return outcome
        bundle_hash = getattr(result, "bundle_hash", None)
        outcome = SubmissionOutcome(client.name, method, block, latency, bundle_hash=bundle_hash, result=result,
                                    received_ms=getattr(result, "received_ms", None),
                                    dialect=client.dialect.name)  # fmt: skip
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
        dropping_tx_hashes: Sequence[str] = (),
        refund: RefundIntent | None = None,
        share_with: Sequence[str] = (),
        sequence: int | None = None,
    ) -> FanoutReport:
        """The bundle to every builder, in its dialect, for blocks first_block … first_block+blocks-1; waits
        for all. `share_with`: builder names a multiplexing relay (Flashbots `builders[]`, bloXroute
        `mev_builders`) forwards the bundle to; omitted at builders that are themselves the destination."""
        handle = self.start(
            txs, first_block=first_block, blocks=blocks, min_timestamp=min_timestamp, max_timestamp=max_timestamp,
            reverting_tx_hashes=reverting_tx_hashes, replacement_uuid=replacement_uuid, extra=extra,
            dropping_tx_hashes=dropping_tx_hashes, refund=refund, share_with=share_with, sequence=sequence,
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
        dropping_tx_hashes: Sequence[str] = (),
        refund: RefundIntent | None = None,
        share_with: Sequence[str] = (),
        sequence: int | None = None,
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
        own = {tx_hash(raw_hex(t)).lower() for t in txs}
        for h in dropping_tx_hashes:
            if not isinstance(h, str) or h.lower() not in own:
                raise ValueError(f"droppingTxHashes: {h!r} is not a transaction of the bundle")
        if refund is not None and refund.tx_hash is not None and refund.tx_hash.lower() not in own:
            raise ValueError(f"refund tx {refund.tx_hash!r} is not a transaction of the bundle")
        targets = list(range(first_block, first_block + blocks))
        uuids: dict[int, str] = {}
        if replacement_uuid is not None:
            for b in targets:
                uuids[b] = str(uuid_lib.UUID(str(replacement_uuid))) if blocks == 1 else block_uuid(replacement_uuid, b)

        def send(client: BundleClient, block: int) -> Coroutine[Any, Any, SubmissionOutcome]:
            return self._timed(
                client, "eth_sendBundle", block,
                client.send_bundle(
                    txs, block, min_timestamp=min_timestamp, max_timestamp=max_timestamp,
                    reverting_tx_hashes=reverting_tx_hashes, replacement_uuid=uuids.get(block), extra=extra,
                    dropping_tx_hashes=dropping_tx_hashes, refund=refund, builders=share_with, sequence=sequence,
                ),
            )  # fmt: skip

        jobs = []
        for client in clients:
            if self.preflight and client.name not in self.no_call_bundle:
                jobs.append(self._checked(client, targets, txs, send, reverting_tx_hashes))
            else:
                jobs += [self._plain(client, block, send) for block in targets]
        return FanoutHandle(FanoutReport([], targets, uuids), [asyncio.ensure_future(j) for j in jobs])

    @staticmethod
    async def _plain(
        client: BundleClient, block: int, send: Callable[[BundleClient, int], Coroutine[Any, Any, SubmissionOutcome]]
    ) -> list[SubmissionOutcome]:
        return [await send(client, block)]

    async def _checked(
        self,
        client: BundleClient,
        targets: list[int],
        txs: Sequence[TxLike],
        send: Callable[[BundleClient, int], Coroutine[Any, Any, SubmissionOutcome]],
        may_revert: Sequence[str],
    ) -> list[SubmissionOutcome]:
        """One builder: the preflight (once, as the first target block on the latest state), then the sends
        for every target block if it passed."""
        allowed = {h.lower() for h in may_revert}
        pre = await self._timed(
            client, PREFLIGHT, targets[0], client.call_bundle(txs, targets[0], state_block_number="latest"),
            check=lambda r: _preflight_problem(r, allowed),
        )  # fmt: skip
        if not pre.ok and pre.kind == "rpc_error" and _method_missing(pre.error):
            self.no_call_bundle.add(client.name)
            log.info("builder %s does not answer eth_callBundle; its bundles are sent without a preflight", client.name)
            return list(await asyncio.gather(*(send(client, b) for b in targets)))
        if not pre.ok:
            return [pre]  # fails there, or could not be simulated there: not sent to this builder
        return [pre, *await asyncio.gather(*(send(client, b) for b in targets))]

    async def cancel(self, report_or_uuids: FanoutReport | Iterable[str], *, dialects: bool = False) -> FanoutReport:
        """eth_cancelBundle every uuid of a previous `send` (or the given uuids) at every builder.

        With `dialects`, each builder is asked in its own way (`BuilderEndpoint.cancel`), only builders that
        accepted the bundle are asked, and builders that cannot withdraw a bundle are skipped. The outcomes
        are all recorded as eth_cancelBundle: what was asked for, whichever request carried it."""
        clients = self._need_clients()
        pairs: list[tuple[int | None, str]]
        if isinstance(report_or_uuids, FanoutReport):
            pairs = [(block, u) for block, u in report_or_uuids.replacement_uuids.items()]
        else:
            pairs = [(None, u) for u in report_or_uuids]
        if not pairs:
            raise ValueError("nothing to cancel: the bundle was sent without a replacement uuid")
        dialect = {b.name: b.cancel for b in self.builders}
        jobs = []
        for block, u in pairs:
            for client in clients:
                how = dialect[client.name] if dialects else "endpoint"
                accepted = (
                    report_or_uuids.accepted_by(block)
                    if isinstance(report_or_uuids, FanoutReport) and block is not None
                    else None
                )
                if dialects and accepted is not None and client.name not in accepted:
                    continue
                if how == "endpoint":
                    jobs.append(self._timed(client, "eth_cancelBundle", block, client.cancel_bundle(u)))
                elif how == "empty_bundle" and block is not None:
                    jobs.append(self._timed(client, "eth_cancelBundle", block,
                                            client.send_bundle([], block, replacement_uuid=u)))  # fmt: skip
        outcomes = await asyncio.gather(*jobs)
        return FanoutReport(
            list(outcomes), [b for b, _ in pairs if b is not None], {b: u for b, u in pairs if b is not None}
        )


def _auth_headers(b: BuilderEndpoint) -> dict[str, str]:
    """The endpoint's Authorization header from its environment variable (never stored or logged)."""
    value = os.environ.get(b.auth_env) if b.auth_env else None
    return {"Authorization": value} if value else {}


def _preflight_problem(result: Any, may_revert: set[str]) -> str | None:
    """Why a bundle must not go to the builder whose eth_callBundle answered `result` (None: send it)."""
    if not isinstance(result, CallBundleResult):
        return "preflight: no simulation result"
    for r in result.results:
        if r.reverted and r.tx_hash.lower() not in may_revert:
            detail = r.error or "reverted"
            if r.revert:
                detail += f": {_revert_text(r.revert)}"
            return f"preflight: tx {r.tx_hash} fails at this builder ({detail})"
    return None


def _revert_text(revert: str) -> str:
    """The revert readable: decoded when the builder sent it as hex, or as the raw bytes cast to a string
    (spec A3) that survived the JSON encoding; the builder's text as it came otherwise."""
    data = revert if revert.startswith("0x") else revert.encode("utf-8", "surrogateescape")
    shown = decode_revert(data) if "\ufffd" not in revert else ""
    known = shown and not shown.startswith(("unknown error", "unreadable"))
    return (shown if known else repr(revert))[:160]


def _method_missing(error: str | None) -> bool:
    text = (error or "").lower()
    return "-32601" in text or "method not found" in text or "does not exist" in text or "not supported" in text
