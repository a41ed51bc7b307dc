"""Trade accounting from decoded events and the call trace. Pure: exact integers, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from arbbot.audit.types import Swap, Transfer
from arbbot.execution.route import Route


def flows(transfers: Iterable[Transfer], holder: str) -> tuple[dict[str, int], dict[str, int]]:
    """(received, sent) per token by `holder`. A transfer to oneself moves nothing and is skipped."""
    received: dict[str, int] = {}
    sent: dict[str, int] = {}
    h = holder.lower()
    for t in transfers:
        to_holder, from_holder = t.recipient.lower() == h, t.sender.lower() == h
        if to_holder and from_holder:
            continue
        if to_holder:
            received[t.token] = received.get(t.token, 0) + t.amount
        elif from_holder:
            sent[t.token] = sent.get(t.token, 0) + t.amount
    return received, sent


def net_by_token(received: Mapping[str, int], sent: Mapping[str, int]) -> dict[str, int]:
    """Received minus sent, for every token that moved (a loss is negative)."""
    return {t: received.get(t, 0) - sent.get(t, 0) for t in sorted({*received, *sent})}


def value_in_eth(
    amounts: Mapping[str, int], weth: str | None, prices: Mapping[str, tuple[int, int]] | None = None
) -> tuple[int | None, list[str]]:
    """Sum of `amounts` in wei of ETH. WETH counts one for one; another token needs a price
    (wei per `den` units, as (num, den)) and is floored. Returns (value or None, tokens without a price)."""
    prices = {k.lower(): v for k, v in (prices or {}).items()}
    total, missing = 0, []
    for token, amount in amounts.items():
        if amount == 0:
            continue
        if weth is not None and token.lower() == weth.lower():
            total += amount
        elif token.lower() in prices:
            num, den = prices[token.lower()]
            total += amount * num // den if amount >= 0 else -((-amount) * num // den)
        else:
            missing.append(token)
    return (None if missing else total), missing


def coinbase_payments(frame: Mapping[str, Any], coinbase: str) -> int:
    """Wei sent to `coinbase` by calls that took effect, from a callTracer frame tree. A frame that
    failed undoes itself and everything under it."""
    if frame.get("error"):
        return 0
    total = 0
    to = frame.get("to")
    kind = str(frame.get("type", "")).upper()
    if to and to.lower() == coinbase.lower() and kind in ("CALL", "CALLCODE", "SELFDESTRUCT"):
        total += int(frame.get("value") or "0x0", 16)
    for child in frame.get("calls") or ():
        total += coinbase_payments(child, coinbase)
    return total


def priority_fees(receipts: Sequence[Mapping[str, Any]], base_fee: int) -> int:
    """What a block's transactions paid its coinbase in priority fees (the part of gas not burnt)."""
    return sum((int(r["effectiveGasPrice"], 16) - base_fee) * int(r["gasUsed"], 16) for r in receipts)


def route_mismatches(route: Route, legs: Sequence[Swap]) -> list[str]:
    """Where the swaps that happened differ from the route the transaction asked for."""
    notes: list[str] = []
    if len(legs) != len(route.hops):
        return [f"route asked for {len(route.hops)} hops, {len(legs)} swaps happened"]
    token_in = route.token
    for i, (hop, leg) in enumerate(zip(route.hops, legs, strict=True)):
        if hop.pool.lower() != leg.pool.lower():
            notes.append(f"hop {i}: route pool {hop.pool}, swap in {leg.pool}")
        if leg.token_in.lower() != token_in.lower() or leg.token_out.lower() != hop.token_out.lower():
            notes.append(f"hop {i}: route {token_in}->{hop.token_out}, swap {leg.token_in}->{leg.token_out}")
        token_in = hop.token_out
    if legs and legs[0].amount_in != route.amount_in:
        notes.append(f"route amount in {route.amount_in}, first swap took {legs[0].amount_in}")
    return notes
