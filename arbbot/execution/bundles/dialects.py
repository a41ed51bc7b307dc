"""Builder dialects as data, and the normalisation of one internal bundle into each of them.

Builders accept different eth_sendBundle shapes (bundles-spec A2, field-2026 "Builders and bundles"): the
name and format of the replacement uuid, whether and how refunds are expressed, `droppingTxHashes`,
`builders[]` multiplexing, timestamps, another method altogether (bloXroute). A `Dialect` states what one
builder accepts; `normalise(bundle, dialect)` writes the request that builder understands, leaving out
what the bundle does not use, and raises `DialectRefusal` when the bundle asks for something the dialect
cannot express. Sending a refund to a builder that ignores it, or a `droppingTxHashes` to one that does
not know it (which then treats the tx as required), would put a different bundle on chain than the one
simulated: such sends are refused, never approximated.
"""

from __future__ import annotations

import time
import uuid as uuid_lib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from eth_utils import is_address, to_checksum_address

CancelStyle = Literal["endpoint", "empty_bundle", "none"]
RefundStyle = Literal["none", "tx_hashes", "index", "last_only"]


class DialectRefusal(ValueError):
    """The bundle cannot be said in this builder's dialect; `reason` names the field and the rule."""

    def __init__(self, dialect: str, reason: str) -> None:
        super().__init__(f"{dialect}: {reason}")
        self.dialect, self.reason = dialect, reason


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per `window_s` seconds, `connections` requests in flight (None: unbounded)."""

    requests: int
    window_s: float
    connections: int | None = None

    def __str__(self) -> str:
        text = f"{self.requests} req/{self.window_s:g} s"
        return text + (f", {self.connections} connections" if self.connections else "")


@dataclass(frozen=True)
class Dialect:
    """What one builder accepts in a bundle submission.

    `uuid_field`: the replacement key's name (None: the builder has none, a uuid is not sent);
    `uuid_v4`: it must be a UUID of version 4. `sequence_field`: the replacement ordering number.
    `refund`: "none" (no refund fields), "tx_hashes" (`refundTxHashes`, at most one), "index"
    (`refundIndex`), "last_only" (percent and recipient only: the refund comes from the last tx).
    `refund_range`: accepted `refundPercent`; `refund_needs_recipient`: a percent without a recipient
    drops the bundle there (rsync), so both are sent or neither; `refund_identity`/`delayed_refund`:
    BuilderNet's extras. `signature`: "required" (unsigned requests are refused), "optional", "none".
    `cancel`: the way a bundle is withdrawn there; `empty_cancel`: an empty bundle under its uuid also
    cancels. `received_timestamp`: answers carry `receivedTimestampMs`. `null_result`: answers `result: null`.
    """

    name: str
    method: str = "eth_sendBundle"
    style: Literal["flashbots", "bloxroute"] = "flashbots"
    uuid_field: str | None = "replacementUuid"
    uuid_v4: bool = False
    sequence_field: str | None = None
    refund: RefundStyle = "none"
    refund_range: tuple[int, int] = (1, 99)
    refund_needs_recipient: bool = False
    refund_identity: bool = False
    delayed_refund: bool = False
    dropping: bool = False
    timestamps: bool = True
    builders_field: bool = False
    cancel: CancelStyle = "none"
    empty_cancel: bool = False  # also takes an empty bundle under a uuid as a cancellation
    cancel_caveat_s: float = 0.0  # a cancel this close to the builder's last relay submission may not hold
    signature: Literal["required", "optional", "none"] = "optional"
    rate_limit: RateLimit | None = None
    received_timestamp: bool = False
    null_result: bool = False
    note: str = ""


@dataclass(frozen=True)
class RefundIntent:
    """Give `percent` of the reward of one transaction back to `recipient`.

    `tx_hash`: whose reward (None: the last transaction's, the default everywhere)."""

    percent: int
    recipient: str | None = None
    tx_hash: str | None = None
    identity: str | None = None  # BuilderNet: the address the refund is attributed to
    delayed: bool = False  # BuilderNet: paid later, in a batch

    def __post_init__(self) -> None:
        if isinstance(self.percent, bool) or not isinstance(self.percent, int) or not 0 < self.percent < 100:
            raise ValueError(f"refund percent must be an integer in 1..99, got {self.percent!r}")
        for what, addr in (("recipient", self.recipient), ("identity", self.identity)):
            if addr is not None and not is_address(addr):
                raise ValueError(f"refund {what} is not an address: {addr!r}")


@dataclass(frozen=True)
class InternalBundle:
    """One bundle as arbbot means it, before any builder's dialect.

    `txs` are 0x-hex signed transactions and `tx_hashes` their hashes (same order); `reverting` and
    `dropping` name transactions of the bundle that may revert / may be left out; `builders` asks a
    multiplexing relay to share the bundle with those builders; `sequence` orders replacements."""

    txs: tuple[str, ...]
    tx_hashes: tuple[str, ...]
    block_number: int
    replacement_uuid: str | None = None
    reverting: tuple[str, ...] = ()
    dropping: tuple[str, ...] = ()
    refund: RefundIntent | None = None
    min_timestamp: int | None = None
    max_timestamp: int | None = None
    builders: tuple[str, ...] = ()
    sequence: int | None = None

    def __post_init__(self) -> None:
        if len(self.tx_hashes) != len(self.txs):
            raise ValueError("tx_hashes must match txs one for one")
        if self.block_number <= 0:
            raise ValueError("block_number must be positive")
        own = {h.lower() for h in self.tx_hashes}
        for what, hashes in (("revertingTxHashes", self.reverting), ("droppingTxHashes", self.dropping)):
            for h in hashes:
                if not _is_hash(h):
                    raise ValueError(f"{what} must be 0x-prefixed 32-byte hashes, got {h!r}")
        if self.refund is not None and self.refund.tx_hash is not None and self.refund.tx_hash.lower() not in own:
            raise ValueError(f"refund tx {self.refund.tx_hash} is not in the bundle")
        if self.sequence is not None and self.sequence < 0:
            raise ValueError("sequence must be >= 0")
        if not self.txs and self.replacement_uuid is None:
            raise ValueError("an empty bundle is only a cancellation, which needs a replacement uuid")


def _is_hash(value: Any) -> bool:
    if not (isinstance(value, str) and value.startswith("0x") and len(value) == 66):
        return False
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        return False
    return True


def _uuid(bundle: InternalBundle, d: Dialect) -> str:
    assert bundle.replacement_uuid is not None
    try:
        u = uuid_lib.UUID(str(bundle.replacement_uuid))
    except ValueError:
        raise DialectRefusal(d.name, f"replacement uuid {bundle.replacement_uuid!r} is not a UUID") from None
    if d.uuid_v4 and u.version != 4:
        raise DialectRefusal(d.name, f"{d.uuid_field} must be a UUID v4, got version {u.version}")
    return str(u)


def _refund_fields(bundle: InternalBundle, d: Dialect) -> dict[str, Any]:
    r = bundle.refund
    if r is None:
        return {}
    if d.refund == "none":
        raise DialectRefusal(d.name, "takes no refund fields; a refund cannot be expressed there")
    lo, hi = d.refund_range
    if not lo <= r.percent <= hi:
        raise DialectRefusal(d.name, f"refundPercent={r.percent} outside {lo}..{hi}")
    if d.refund_needs_recipient and r.recipient is None:
        raise DialectRefusal(d.name, "refundPercent without refundRecipient drops the bundle there; name a recipient")
    if r.identity is not None and not d.refund_identity:
        raise DialectRefusal(d.name, "has no refundIdentity")
    if r.delayed and not d.delayed_refund:
        raise DialectRefusal(d.name, "has no delayedRefund")
    out: dict[str, Any] = {"refundPercent": r.percent}
    if r.recipient is not None:
        out["refundRecipient"] = to_checksum_address(r.recipient)
    last = bundle.tx_hashes[-1].lower() if bundle.tx_hashes else None
    chosen = r.tx_hash.lower() if r.tx_hash is not None else None
    if chosen is not None and chosen != last:  # the default (last tx) needs no field anywhere
        if d.refund == "tx_hashes":
            out["refundTxHashes"] = [chosen]
        elif d.refund == "index":
            out["refundIndex"] = [h.lower() for h in bundle.tx_hashes].index(chosen)
        else:
            raise DialectRefusal(d.name, "refunds only from the last transaction; another tx's refund cannot be said")
    if r.identity is not None:
        out["refundIdentity"] = to_checksum_address(r.identity)
    if r.delayed:
        out["delayedRefund"] = True
    return out


def normalise(bundle: InternalBundle, d: Dialect) -> tuple[str, Any]:
    """(method, params) for `bundle` in dialect `d`; raises DialectRefusal when it cannot be said there."""
    if bundle.dropping and not d.dropping:
        raise DialectRefusal(d.name, "has no droppingTxHashes; a tx that may be dropped would be required there")
    if (bundle.min_timestamp or bundle.max_timestamp) and not d.timestamps:
        raise DialectRefusal(d.name, "ignores minTimestamp/maxTimestamp; the bundle could land outside its window")
    if not bundle.txs and d.cancel != "empty_bundle" and not d.empty_cancel:
        raise DialectRefusal(d.name, "does not cancel by an empty bundle")
    uuid_text = None
    if bundle.replacement_uuid is not None and d.uuid_field is not None:
        uuid_text = _uuid(bundle, d)
    elif bundle.replacement_uuid is not None and not bundle.txs:
        raise DialectRefusal(d.name, "has no replacement uuid; an empty bundle would cancel nothing")
    refund = _refund_fields(bundle, d)
    if d.style == "bloxroute":
        return d.method, _bloxroute(bundle, uuid_text)
    params: dict[str, Any] = {"txs": list(bundle.txs), "blockNumber": hex(bundle.block_number)}
    if bundle.min_timestamp is not None:
        params["minTimestamp"] = bundle.min_timestamp
    if bundle.max_timestamp is not None:
        params["maxTimestamp"] = bundle.max_timestamp
    if bundle.reverting:
        params["revertingTxHashes"] = [h.lower() for h in bundle.reverting]
    if bundle.dropping:
        params["droppingTxHashes"] = [h.lower() for h in bundle.dropping]
    if uuid_text is not None:
        assert d.uuid_field is not None
        params[d.uuid_field] = uuid_text
        if bundle.sequence is not None and d.sequence_field is not None:
            params[d.sequence_field] = bundle.sequence
    if bundle.builders and d.builders_field:  # elsewhere the builder itself is the destination: omitted
        params["builders"] = list(bundle.builders)
    params.update(refund)
    return d.method, [params]


def _bloxroute(bundle: InternalBundle, uuid_text: str | None) -> dict[str, Any]:
    """blxr_submit_bundle: one params object, raw txs without 0x, snake_case names, `mev_builders`."""
    params: dict[str, Any] = {
        "transaction": [t[2:] if t.startswith("0x") else t for t in bundle.txs],
        "block_number": hex(bundle.block_number),
    }
    if bundle.min_timestamp is not None:
        params["min_timestamp"] = bundle.min_timestamp
    if bundle.max_timestamp is not None:
        params["max_timestamp"] = bundle.max_timestamp
    if bundle.reverting:
        params["reverting_hashes"] = [h.lower() for h in bundle.reverting]
    if bundle.dropping:
        params["dropping_hashes"] = [h.lower() for h in bundle.dropping]
    if uuid_text is not None:
        params["uuid"] = uuid_text
    # Builders it forwards to, each with a signature that may be empty; "all" = every connected builder.
    params["mev_builders"] = {b: "" for b in bundle.builders} or {"all": ""}
    return params


DIALECTS: Mapping[str, Dialect] = {
    d.name: d
    for d in (
        Dialect("flashbots", uuid_v4=True, builders_field=True, cancel="endpoint", signature="required",
                note="relay; shares with BuilderNet, forwards to builders[]"),
        Dialect("buildernet", sequence_field="replacementNonce", refund="tx_hashes", refund_range=(1, 99),
                refund_identity=True, delayed_refund=True, dropping=True, cancel="empty_bundle",
                signature="required", rate_limit=RateLimit(100, 10.0, 3), received_timestamp=True),
        Dialect("titan", sequence_field="replacementSeqNumber", refund="tx_hashes", refund_range=(1, 99),
                dropping=True, cancel="endpoint", empty_cancel=True, cancel_caveat_s=4.0, rate_limit=RateLimit(50, 1.0),
                note="refundPercent 0-99 (0 = none); regional eu./us./ap. endpoints"),
        Dialect("rsync", uuid_v4=True, refund="last_only", refund_range=(1, 99), refund_needs_recipient=True,
                dropping=True, cancel="empty_bundle"),
        Dialect("builder0x69", uuid_field="uuid", refund="last_only", refund_range=(1, 99), cancel="empty_bundle"),
        Dialect("beaverbuild", cancel="empty_bundle", note="retired for BuilderNet 2025-05-06"),
        Dialect("jetbuilder", refund="index", refund_range=(1, 99), cancel="endpoint"),
        Dialect("bloxroute", method="blxr_submit_bundle", style="bloxroute", uuid_field="uuid", dropping=True,
                builders_field=True, cancel="empty_bundle", signature="none",
                note="Authorization header from the account; refunds are its own program, not a percent"),
        Dialect("quasar", note="invalid signature -> 401"),
        Dialect("buildai", refund="last_only", refund_range=(1, 99)),
        Dialect("eth-builder", uuid_field="uuid", timestamps=False),
        Dialect("tbuilder"),
        Dialect("eigenphi", null_result=True),
        # A builder given by URL: the Flashbots relay fields that every builder reads, nothing else.
        Dialect("generic", cancel="endpoint", empty_cancel=True),
    )
}  # fmt: skip


def dialect(name: str) -> Dialect:
    """The registered `Dialect` called `name`; raises `KeyError` listing the known ones."""
    if name not in DIALECTS:
        raise KeyError(f"unknown builder dialect {name!r}; known: {', '.join(sorted(DIALECTS))}")
    return DIALECTS[name]


def internal_bundle(
    txs: Sequence[str],
    tx_hashes: Sequence[str],
    block_number: int,
    **kwargs: Any,
) -> InternalBundle:
    """Build an `InternalBundle` from signed transactions and their hashes; extra keywords become its fields."""
    return InternalBundle(tuple(txs), tuple(tx_hashes), block_number, **kwargs)


@dataclass
class RateWindow:
    """Client-side rate limit: the send times of the last window. `clock` is injectable for tests."""

    limit: RateLimit
    clock: Any = None
    sent: list[float] = field(default_factory=list)

    def admit(self) -> str | None:
        """Record a send and return None, or return why it must not be sent now."""
        now = (self.clock or time.monotonic)()
        self.sent = [t for t in self.sent if now - t < self.limit.window_s]
        if len(self.sent) >= self.limit.requests:
            return f"rate limit {self.limit} reached; not sent"
        self.sent.append(now)
        return None
