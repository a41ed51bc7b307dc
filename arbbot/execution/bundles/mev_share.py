"""`mev_sendBundle` (MEV-Share bundle API, version v0.1): a backrun that references a private transaction.

Wire format (one object in `params`):

    {"version": "v0.1",
     "inclusion": {"block": "0x..", "maxBlock": "0x.."},
     "body": [{"hash": "0x<victim>"}, {"tx": "0x<signed backrun>", "canRevert": false}],
     "validity": {"refund": [{"bodyIdx": 0, "percent": N}], "refundConfig": [{"address": .., "percent": ..}]},
     "privacy": {"hints": [...], "builders": [...]}}

One backrun transaction per bundle (the matchmaker's rule since 2025-10-20). The backrun never may revert:
with `canRevert: false` a backrun whose minProfit guard fails makes the whole bundle invalid, so a wrong
guess about the victim costs nothing. Requests are signed with the Flashbots reputation signer; failures are
the same EndpointError classes the builder client raises.

Simulation: the victim is private, so no fork can hold it. `sim_bundle` calls `mev_simBundle` where the
matchmaker offers it; otherwise the backrun's own on-chain minProfit guard is the protection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from arbbot.execution.bundles.errors import EndpointBadResponse
from arbbot.execution.bundles.rpc import JsonRpcClient
from arbbot.execution.bundles.signing import FlashbotsSigner

VERSION = "v0.1"
HINTS = ("calldata", "contract_address", "logs", "function_selector", "hash", "tx_hash", "full")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
MAX_BLOCK_SPAN = 30  # the matchmaker's own limit on maxBlock - block


@dataclass(frozen=True)
class Refund:
    """A MEV-Share refund entry: `percent` of the bundle's refund goes to the sender of body element `body_idx`."""

    body_idx: int
    percent: int


def send_bundle_params(
    victim_hash: str,
    backrun_raw: str,
    block: int,
    *,
    max_block: int | None = None,
    refund: Sequence[Refund] = (),
    refund_config: Sequence[tuple[str, int]] = (),
    hints: Sequence[str] = (),
    builders: Sequence[str] = (),
) -> dict[str, Any]:
    """The `mev_sendBundle` params object; ValueError naming the field for anything out of spec."""
    if not isinstance(victim_hash, str) or not _HASH.match(victim_hash):
        raise ValueError(f"body[0].hash must be a 0x-prefixed 32-byte hash, got {str(victim_hash)[:70]!r}")
    if not isinstance(backrun_raw, str) or not backrun_raw.startswith("0x") or len(backrun_raw) < 4:
        raise ValueError("body[1].tx must be a 0x-hex signed transaction")
    try:
        bytes.fromhex(backrun_raw[2:])
    except ValueError:
        raise ValueError("body[1].tx is not hex") from None
    if block <= 0:
        raise ValueError(f"inclusion.block must be positive, got {block}")
    top = block if max_block is None else max_block
    if not block <= top <= block + MAX_BLOCK_SPAN:
        raise ValueError(f"inclusion.maxBlock must be in [block, block+{MAX_BLOCK_SPAN}], got {top} for {block}")
    body: list[dict[str, Any]] = [{"hash": victim_hash.lower()}, {"tx": backrun_raw, "canRevert": False}]
    params: dict[str, Any] = {
        "version": VERSION,
        "inclusion": {"block": hex(block), "maxBlock": hex(top)},
        "body": body,
    }
    validity: dict[str, Any] = {}
    if refund:
        total = 0
        for r in refund:
            if not 0 <= r.body_idx < len(body) or not 0 < r.percent <= 100:
                raise ValueError(f"validity.refund entry out of range: bodyIdx {r.body_idx}, percent {r.percent}")
            total += r.percent
        if total > 100:
            raise ValueError(f"validity.refund percents sum to {total} > 100")
        validity["refund"] = [{"bodyIdx": r.body_idx, "percent": r.percent} for r in refund]
    if refund_config:
        total = 0
        for address, percent in refund_config:
            if not is_address(address) or not 0 < percent <= 100:
                raise ValueError(f"validity.refundConfig entry out of range: {address!r}, {percent}")
            total += percent
        if total > 100:
            raise ValueError(f"validity.refundConfig percents sum to {total} > 100")
        validity["refundConfig"] = [{"address": to_checksum_address(a), "percent": p} for a, p in refund_config]
    if validity:
        params["validity"] = validity
    if hints or builders:
        bad = [h for h in hints if h not in HINTS]
        if bad:
            raise ValueError(f"privacy.hints: unknown hint {bad[0]!r} (known: {', '.join(HINTS)})")
        privacy: dict[str, Any] = {}
        if hints:
            privacy["hints"] = list(hints)
        if builders:
            privacy["builders"] = list(builders)
        params["privacy"] = privacy
    return params


@dataclass(frozen=True)
class MevShareSent:
    """An accepted `mev_sendBundle`: the matchmaker's bundle hash (lower-case) and the params that were sent."""

    bundle_hash: str
    params: Mapping[str, Any]


class MevShareClient:
    """MEV-Share bundle API at one URL (e.g. the Flashbots relay), signed with the reputation key."""

    def __init__(self, url: str, signer: FlashbotsSigner, *, timeout: float = 5.0, name: str = "mev-share") -> None:
        self.rpc = JsonRpcClient(url, name=name, timeout=timeout, signer=signer, max_bytes=2**20)

    @property
    def name(self) -> str:
        """The endpoint's name (used in errors and logs)."""
        return self.rpc.name

    async def __aenter__(self) -> MevShareClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the underlying HTTP session if this client owns it."""
        await self.rpc.close()

    async def send_bundle(self, params: Mapping[str, Any], *, timeout: float | None = None) -> MevShareSent:
        """`mev_sendBundle` with `params` (see `send_bundle_params`), signed with the reputation key.

        Raises `EndpointBadResponse` unless the answer carries a 32-byte `bundleHash`.
        """
        result = await self.rpc.call("mev_sendBundle", [dict(params)], timeout=timeout)
        h = result.get("bundleHash") if isinstance(result, dict) else None
        if not isinstance(h, str) or not _HASH.match(h):
            raise EndpointBadResponse(self.name, "mev_sendBundle", f"no bundleHash in the answer: {str(result)[:120]}")
        return MevShareSent(h.lower(), params)

    async def sim_bundle(self, params: Mapping[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        """`mev_simBundle`: the answer's `success`, `error`, `profit`, `gasUsed`… as the matchmaker gives them."""
        result = await self.rpc.call("mev_simBundle", [dict(params), {}], timeout=timeout)
        if not isinstance(result, dict) or not isinstance(result.get("success"), bool):
            raise EndpointBadResponse(self.name, "mev_simBundle", f"no success flag in the answer: {str(result)[:120]}")
        return result
