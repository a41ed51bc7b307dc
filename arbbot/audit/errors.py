"""Errors of the audit. A problem with one trade is an `AuditProblem` (reported, the rest go on)."""

from __future__ import annotations

from arbbot.errors import ArbbotError


class AuditError(ArbbotError):
    """An audit request that cannot run at all (bad range, no executor, node unreachable)."""


class TradeProblem(ArbbotError):
    """One transaction cannot be audited (unknown hash, not ours, ...); the others still are."""
