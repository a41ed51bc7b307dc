"""Trade accounting from decoded events and the call trace. Pure: exact integers, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from arbbot.audit.types import Swap, Transfer
from arbbot.chain.addresses import ZERO_ADDRESS, v4_pool_id
from arbbot.execution.route import Capital, Route


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


def _hop_pools(route: Route, weth: str | None) -> list[tuple[str | None, tuple[str, str] | None]]:
    """Per hop: the pool as swap events name it (a V4 or Balancer hop: its pool id, lower-case; None if it cannot be
    known) and, for a V4 hop, its (currency0, currency1) as the route names them (native ether as WETH, which
    the executor wraps and unwraps around the PoolManager)."""
    out: list[tuple[str | None, tuple[str, str] | None]] = []
    token_in = route.token
    for hop in route.hops:
        if hop.balancer:
            out.append((hop.pool_id.lower(), None))
        elif not hop.v4:
            out.append((hop.pool, None))
        elif hop.native:
            others = [t for t in (token_in, hop.token_out) if weth is None or t.lower() != weth.lower()]
            if weth is None or len(others) != 1:
                out.append((None, None))
            else:
                pool_id = v4_pool_id(ZERO_ADDRESS, others[0], hop.v4_fee, hop.tick_spacing, hop.pool)
                out.append((pool_id.lower(), (weth, others[0])))
        else:
            c0, c1 = sorted((token_in, hop.token_out), key=lambda t: int(t, 16))
            out.append((v4_pool_id(c0, c1, hop.v4_fee, hop.tick_spacing, hop.pool).lower(), (c0, c1)))
        token_in = hop.token_out
    return out


def v4_pools(route: Route, weth: str | None) -> dict[str, tuple[str, str]]:
    """The V4 pools a route trades through: id -> (currency0, currency1), native ether named as WETH."""
    return {pool: tokens for pool, tokens in _hop_pools(route, weth) if pool is not None and tokens is not None}


def balancer_pools(route: Route) -> dict[str, str]:
    """The Balancer pools a route trades through: pool id (lower-case) -> the Vault its hop calls."""
    return {hop.pool_id.lower(): hop.pool for hop in route.hops if hop.balancer}


def in_route_order(route: Route, legs: Sequence[Swap]) -> list[Swap]:
    """The swaps in the route's hop order. With the first pair's flash swap as capital, that pair pays out
    first but logs its Swap last (after the rest of the route ran in its callback)."""
    if route.capital == Capital.FIRST_HOP and len(legs) == len(route.hops) > 1:
        return [legs[-1], *legs[:-1]]
    return list(legs)


def route_mismatches(route: Route, legs: Sequence[Swap], weth: str | None = None) -> list[str]:
    """Where the swaps that happened (in route order) differ from the route the transaction asked for."""
    notes: list[str] = []
    if len(legs) != len(route.hops):
        return [f"route asked for {len(route.hops)} hops, {len(legs)} swaps happened"]
    token_in = route.token
    pools = _hop_pools(route, weth)
    for i, (hop, leg, (pool, _tokens)) in enumerate(zip(route.hops, legs, pools, strict=True)):
        if pool is None or pool.lower() != leg.pool.lower():
            notes.append(f"hop {i}: route pool {pool or hop.pool}, swap in {leg.pool}")
        if leg.token_in.lower() != token_in.lower() or leg.token_out.lower() != hop.token_out.lower():
            notes.append(f"hop {i}: route {token_in}->{hop.token_out}, swap {leg.token_in}->{leg.token_out}")
        token_in = hop.token_out
    if legs and legs[0].amount_in != route.amount_in:
        notes.append(f"route amount in {route.amount_in}, first swap took {legs[0].amount_in}")
    return notes
