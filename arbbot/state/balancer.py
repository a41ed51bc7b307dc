"""Balancer V2 pools in the state: batch reads of their swap state, by pool kind, and their events applied to a model.

A pool's state lives in two places: its balances in the Vault (`getPoolTokens`), everything else in the pool
contract. Both are read at one block in JSON-RPC batches (one HTTP request carries the calls of many pools). Each
answer is checked against what the Vault registered for the pool; a pool whose answers are missing, malformed or
inconsistent is left out with a logged reason, never modelled from a guess.

Pool kinds plug in through `BalancerKind` (the calls its model needs beyond the Vault's balances, and how to build
it from them); `register_kind` adds one, such as a composable stable pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak

from arbbot.amm.balancer_pair import NTokenPool
from arbbot.amm.balancer_weighted import MAX_BALANCE, MAX_SWAP_FEE, MIN_SWAP_FEE, BalancerWeightedPool
from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.state.events import (
    BalancerBalancesEvent,
    BalancerEvent,
    BalancerPausedEvent,
    BalancerSwapEvent,
    BalancerSwapFeeEvent,
)

log = logging.getLogger(__name__)

CALLS_PER_REQUEST = 240  # eth_calls in one JSON-RPC batch request
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class BalancerStateError(ValueError):
    """A pool's answers or an event do not fit what the Vault registered for it (the message says what)."""


@dataclass(frozen=True)
class Call:
    """A view function of the pool contract a kind reads: its name (the key of its answer), signature and output
    types."""

    name: str
    signature: str
    outputs: tuple[str, ...]

    @property
    def data(self) -> str:
        """The call's calldata (no arguments)."""
        return "0x" + keccak(text=self.signature)[:4].hex()


@dataclass(frozen=True)
class BalancerRead:
    """A pool's identity (from discovery) and its answers at one block: the Vault's tokens and balances, and each
    `Call` of its kind by name (decoded tuples)."""

    pool_id: str
    address: str
    vault: str
    registered: tuple[str, ...]  # tokens the Vault registered, in its order
    tokens: tuple[str, ...]
    balances: tuple[int, ...]
    answers: Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True)
class BalancerKind:
    """How to read and build one kind of Balancer pool: the pool-contract calls beyond `Vault.getPoolTokens`, and a
    builder that returns the model or raises `BalancerStateError` / `ValueError` naming what does not fit."""

    kind: str
    calls: tuple[Call, ...]
    build: Callable[[BalancerRead], NTokenPool]


KINDS: dict[str, BalancerKind] = {}


def register_kind(kind: BalancerKind) -> BalancerKind:
    """Make a Balancer pool kind readable by `read_pools` (and so by discovery, sync and the store)."""
    KINDS[kind.kind] = kind
    return kind


GET_POOL_TOKENS = keccak(text="getPoolTokens(bytes32)")[:4]
PAUSED = Call("paused", "getPausedState()", ("bool", "uint256", "uint256"))
SWAP_FEE = Call("swap_fee", "getSwapFeePercentage()", ("uint256",))
SCALING = Call("scaling", "getScalingFactors()", ("uint256[]",))
WEIGHTS = Call("weights", "getNormalizedWeights()", ("uint256[]",))
RATE_PROVIDERS = Call("rate_providers", "getRateProviders()", ("address[]",))


def check_swap_fee(pool: str, fee: int) -> int:
    """A Balancer pool's swap fee as its contract allows it (1e12 to 1e17, 18 decimals), else BalancerStateError."""
    if not MIN_SWAP_FEE <= fee <= MAX_SWAP_FEE:
        raise BalancerStateError(f"pool {pool}: swap fee {fee} outside the pool's [{MIN_SWAP_FEE}, {MAX_SWAP_FEE}]")
    return fee


def _build_weighted(r: BalancerRead) -> NTokenPool:
    n = len(r.tokens)
    (weights,) = r.answers["weights"]
    (scaling,) = r.answers["scaling"]
    (providers,) = r.answers["rate_providers"]
    if len(weights) != n or len(scaling) != n or len(providers) != n:
        raise BalancerStateError(
            f"pool {r.pool_id}: {len(weights)} weights, {len(scaling)} scaling factors and {len(providers)} rate "
            f"providers for {n} tokens"
        )
    if any(int(p, 16) for p in providers):
        # A rate provider moves the scaling factors with no event: the state could not be kept exact.
        raise BalancerStateError(f"pool {r.pool_id}: rate providers {list(providers)} (scaling changes unannounced)")
    return BalancerWeightedPool(
        address=r.address,
        pool_id=r.pool_id,
        vault=r.vault,
        tokens=r.tokens,
        balances=list(r.balances),
        weights=tuple(weights),
        scaling_factors=tuple(scaling),
        swap_fee=check_swap_fee(r.pool_id, r.answers["swap_fee"][0]),
        paused=bool(r.answers["paused"][0]),
    )


register_kind(BalancerKind("balancer_weighted", (WEIGHTS, SCALING, SWAP_FEE, PAUSED, RATE_PROVIDERS), _build_weighted))


@dataclass(frozen=True)
class PoolToRead:
    """A registered Balancer pool: its kind, Vault id, contract, Vault and the tokens the Vault registered."""

    kind: str
    pool_id: str
    address: str
    vault: str
    tokens: tuple[str, ...]


def _decode(types: Sequence[str], answer: object, what: str) -> tuple[Any, ...]:
    if isinstance(answer, RpcError):
        raise BalancerStateError(f"{what} failed: {answer.message}")
    if not isinstance(answer, str) or not answer.startswith("0x"):
        raise BalancerStateError(f"{what} answered {str(answer)[:80]!r}")
    try:
        raw = bytes.fromhex(answer[2:])
        out = decode(list(types), raw)
    except (ValueError, DecodingError) as exc:
        raise BalancerStateError(f"{what} answered a malformed value ({exc})") from None
    return tuple(out)


def _same(a: Sequence[str], b: Sequence[str]) -> bool:
    return len(a) == len(b) and all(x.lower() == y.lower() for x, y in zip(a, b, strict=True))


def _build(p: PoolToRead, answers: Sequence[object], kind: BalancerKind) -> NTokenPool:
    tokens, balances, _ = _decode(("address[]", "uint256[]", "uint256"), answers[0], f"pool {p.pool_id}: getPoolTokens")
    if not _same(tokens, p.tokens):
        raise BalancerStateError(
            f"pool {p.pool_id}: the Vault holds tokens {list(tokens)}, registered {list(p.tokens)}"
        )
    if len(balances) != len(tokens) or any(b > MAX_BALANCE for b in balances):
        raise BalancerStateError(f"pool {p.pool_id}: balances {list(balances)} do not fit {len(tokens)} tokens")
    decoded = {
        call.name: _decode(call.outputs, answer, f"pool {p.pool_id}: {call.signature}")
        for call, answer in zip(kind.calls, answers[1:], strict=True)
    }
    read = BalancerRead(p.pool_id, p.address, p.vault, p.tokens, p.tokens, tuple(balances), decoded)
    return kind.build(read)


_Plan = tuple[PoolToRead, BalancerKind, list[tuple[str, Sequence[Any]]]]


def read_pools(
    rpc: RpcClient, pools: Sequence[PoolToRead], block: str = "latest"
) -> tuple[dict[str, NTokenPool], dict[str, str]]:
    """Models of the pools at `block` by pool id, and the reason each other pool was left out.

    Every call of every pool goes out in JSON-RPC batches of about `CALLS_PER_REQUEST` calls."""
    models: dict[str, NTokenPool] = {}
    failed: dict[str, str] = {}
    plans: list[_Plan] = []
    for p in pools:
        kind = KINDS.get(p.kind)
        if kind is None:
            failed[p.pool_id] = f"no reader for Balancer pool kind {p.kind!r} (known: {sorted(KINDS)})"
            continue
        vault_call = {"to": p.vault, "data": "0x" + (GET_POOL_TOKENS + bytes.fromhex(p.pool_id[2:])).hex()}
        calls: list[tuple[str, Sequence[Any]]] = [("eth_call", [vault_call, block])]
        calls += [("eth_call", [{"to": p.address, "data": c.data}, block]) for c in kind.calls]
        plans.append((p, kind, calls))
    start = 0
    while start < len(plans):
        group: list[_Plan] = []
        size = 0
        while start < len(plans) and (not group or size + len(plans[start][2]) <= CALLS_PER_REQUEST):
            group.append(plans[start])
            size += len(plans[start][2])
            start += 1
        answers = rpc.batch([c for _, _, calls in group for c in calls])
        at = 0
        for p, kind, calls in group:
            mine = answers[at : at + len(calls)]
            at += len(calls)
            try:
                models[p.pool_id] = _build(p, mine, kind)
            except ValueError as exc:  # BalancerStateError, or the model refusing the values
                failed[p.pool_id] = str(exc)
                log.warning("Balancer pool %s not tracked: %s", p.pool_id, exc)
    return models, failed


def apply_event(model: NTokenPool, event: BalancerEvent) -> None:
    """Book one Balancer event on the pool's model; `BalancerStateError` (model unchanged) when the event cannot be
    this pool's: tokens that are not its own, a balance below zero or past the Vault's 112 bits, a fee out of range.

    A `BalancerTokensChangedEvent` always raises: the pool's shape changed and it must be read again."""
    m: Any = model
    if isinstance(event, BalancerSwapEvent):
        try:
            m.apply_swap_event(event.token_in, event.token_out, event.amount_in, event.amount_out)
        except ValueError as exc:
            raise BalancerStateError(str(exc)) from None
    elif isinstance(event, BalancerBalancesEvent):
        balances = list(m.balances)
        if len(event.tokens) == len(m.tokens):
            if not _same(event.tokens, m.tokens):
                raise BalancerStateError(f"pool {model.pool_id}: balance change names {list(event.tokens)}")
            idx = list(range(len(m.tokens)))
        elif len(event.tokens) == 1:
            try:
                idx = [model.index(event.tokens[0])]
            except ValueError as exc:
                raise BalancerStateError(str(exc)) from None
        else:
            raise BalancerStateError(f"pool {model.pool_id}: balance change names {list(event.tokens)}")
        for k, delta in zip(idx, event.deltas, strict=True):
            balances[k] += delta
            if not 0 <= balances[k] <= MAX_BALANCE:
                raise BalancerStateError(f"pool {model.pool_id}: balance change {list(event.deltas)} leaves {balances}")
        m.balances = balances
    elif isinstance(event, BalancerSwapFeeEvent):
        m.swap_fee = check_swap_fee(model.pool_id, event.swap_fee)
    elif isinstance(event, BalancerPausedEvent):
        m.paused = event.paused
    else:
        raise BalancerStateError(f"pool {model.pool_id}: {event.what}: its tokens changed")


def read_paused(rpc: RpcClient, pools: Mapping[str, str], block: str) -> dict[str, bool]:
    """Whether each pool (pool id -> pool contract) refuses swaps at `block`, per its `getPausedState`; pools whose
    answer is unreadable are left out.

    A pause lapses by itself when the pool's buffer period ends (no event says so): the updater asks this of the
    paused pools after each block."""
    ids = list(pools)
    answers = rpc.batch([("eth_call", [{"to": pools[i], "data": PAUSED.data}, block]) for i in ids])
    out: dict[str, bool] = {}
    for pool_id, answer in zip(ids, answers, strict=True):
        try:
            out[pool_id] = bool(_decode(PAUSED.outputs, answer, f"pool {pool_id}: getPausedState")[0])
        except BalancerStateError as exc:
            log.warning("%s", exc)
    return out


def pool_address_of(pool_id: str) -> str:
    """The pool contract a Balancer pool id names (its first 20 bytes, lower case)."""
    return "0x" + pool_id[2:42].lower()
