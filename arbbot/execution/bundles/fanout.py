"""Concurrent fan-out of one bundle to several builders for the next N blocks, with per-builder latency and
error, plus well-known public builder endpoints (bundles-spec A9) as data — nothing here contacts them
unless a caller does.

Replacement UUIDs: builders key replacement on (uuid, signer) and keep one bundle per key (spec A4,
A7.9), so sending one uuid for N target blocks would leave only the last. For N > 1 the fan-out derives
one uuid per block (uuid5 of the caller's uuid and the block number) and records them in the report;
`cancel(report)` cancels every one of them.
"""

from __future__ import annotations

import asyncio
import time
import uuid as uuid_lib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from arbbot.execution.bundles.client import BundleClient, send_bundle_params
from arbbot.execution.bundles.errors import BundleError
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

    @property
    def ok(self) -> bool:
        return self.error is None


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


class BundleFanout:
    """Owns one aiohttp session and one BundleClient per builder. Use `async with`."""

    def __init__(
        self,
        builders: Sequence[BuilderEndpoint],
        *,
        signer: FlashbotsSigner | None = None,
        timeout: float = 2.0,
        max_concurrency: int = 64,
    ) -> None:
        if not builders:
            raise ValueError("no builders to fan out to")
        names = [b.name for b in builders]
        if len(set(names)) != len(names):
            raise ValueError(f"builder names must be unique: {names}")
        self.builders = list(builders)
        self.signer = signer
        self.timeout = timeout
        self._limit = asyncio.Semaphore(max_concurrency)
        self._session: aiohttp.ClientSession | None = None
        self.clients: list[BundleClient] = []

    async def __aenter__(self) -> BundleFanout:
        self._session = aiohttp.ClientSession()
        self.clients = [
            BundleClient(b.url, name=b.name, signer=self.signer, timeout=self.timeout, session=self._session)
            for b in self.builders
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _need_clients(self) -> list[BundleClient]:
        if not self.clients:
            raise RuntimeError("BundleFanout used outside 'async with'")
        return self.clients

    async def _timed(self, client: BundleClient, method: str, block: int | None, coro: Any) -> SubmissionOutcome:
        async with self._limit:
            started = time.perf_counter()
            try:
                result = await coro
            except BundleError as exc:
                return SubmissionOutcome(
                    client.name, method, block, time.perf_counter() - started,
                    error=str(exc), error_type=type(exc).__name__,
                )  # fmt: skip
            latency = time.perf_counter() - started
        bundle_hash = getattr(result, "bundle_hash", None)
        return SubmissionOutcome(client.name, method, block, latency, bundle_hash=bundle_hash, result=result)

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
        """eth_sendBundle to every builder for blocks first_block … first_block+blocks-1, all at once."""
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
        outcomes = await asyncio.gather(*jobs)
        return FanoutReport(list(outcomes), targets, uuids)

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
