"""Balancer V2 pools in the state: batch reads of their swap state, by pool kind, and their events applied to a model.

A pool's state lives in two places: its balances in the Vault (`getPoolTokens`), everything else in the pool
contract. Both are read at one block in JSON-RPC batches (one HTTP request carries the calls of many pools). Each
answer is checked against what the Vault registered for the pool; a pool whose answers are missing, malformed or
inconsistent is left out with a logged reason, never modelled from a guess.

Pool kinds plug in through `BalancerKind` (the calls its model needs beyond the Vault's balances, calls that depend
on those answers, how to build it from them, what to read again after every block and how to move it to a block's
timestamp); `register_kind` adds one. Weighted and composable stable pools are registered here; a stable pool's
model quotes at its block's timestamp (amplification ramp, rate caches expiring) and its rate providers' rates are
read again after every block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

from arbbot.amm.balancer_math import ONE, mul_down
from arbbot.amm.balancer_pair import NTokenPool
from arbbot.amm.balancer_stable import (
    AMP_PRECISION,
    RATE_BITS,
    TIMESTAMP_BITS,
    ZERO_ADDRESS,
    BalancerComposableStablePool,
    RateCache,
    amplification_at,
)
from arbbot.amm.balancer_weighted import MAX_BALANCE, MAX_SWAP_FEE, MIN_SWAP_FEE, BalancerWeightedPool
from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.state.events import (
    BalancerAmpEvent,
    BalancerBalancesEvent,
    BalancerEvent,
    BalancerPausedEvent,
    BalancerRateCacheEvent,
    BalancerRateDurationEvent,
    BalancerSwapEvent,
    BalancerSwapFeeEvent,
)

log = logging.getLogger(__name__)

CALLS_PER_REQUEST = 240  # eth_calls in one JSON-RPC batch request


class BalancerStateError(ValueError):
    """A pool's answers or an event do not fit what the Vault registered for it (the message says what)."""


@dataclass(frozen=True)
class Call:
    """A view function of the pool contract a kind reads: its name (the key of its answer), signature and output
    types; `args` its ABI-encoded arguments, `to` another contract to ask (a rate provider) instead of the pool,
    `slot` a storage slot of the pool read instead of a call (its word decoded as `outputs`). An `optional` call
    that fails is left out of the answers instead of failing the pool."""

    name: str
    signature: str
    outputs: tuple[str, ...]
    args: bytes = b""
    to: str | None = None
    slot: int | None = None
    optional: bool = False

    @property
    def data(self) -> str:
        """The call's calldata."""
        return "0x" + (keccak(text=self.signature)[:4] + self.args).hex()

    def request(self, pool: str, block: str) -> tuple[str, list[Any]]:
        """The JSON-RPC method and params that read this call of `pool` at `block`."""
        if self.slot is not None:
            return "eth_getStorageAt", [pool, hex(self.slot), block]
        return "eth_call", [{"to": self.to or pool, "data": self.data}, block]


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
    timestamp: int | None = None  # the block's, for kinds that read it (`BalancerKind.timed`)


GET_POOL_TOKENS = keccak(text="getPoolTokens(bytes32)")[:4]
PAUSED = Call("paused", "getPausedState()", ("bool", "uint256", "uint256"))
SWAP_FEE = Call("swap_fee", "getSwapFeePercentage()", ("uint256",))
SCALING = Call("scaling", "getScalingFactors()", ("uint256[]",))
WEIGHTS = Call("weights", "getNormalizedWeights()", ("uint256[]",))
RATE_PROVIDERS = Call("rate_providers", "getRateProviders()", ("address[]",))

Answers = Mapping[str, tuple[Any, ...]]  # decoded answers of a pool's calls, by call name


def paused_calls(model: NTokenPool) -> tuple[Call, ...]:
    """A paused pool's `getPausedState`: its pause lapses with no event when its buffer period ends."""
    return (PAUSED,) if model.paused else ()


def book_paused(model: NTokenPool, answers: Answers) -> None:
    """Book a `getPausedState` answer read at a block's end."""
    if "paused" in answers:
        model.paused = bool(answers["paused"][0])


@dataclass(frozen=True)
class BalancerKind:
    """How to read and keep one kind of Balancer pool.

    `calls`: the pool-contract calls its model needs beyond `Vault.getPoolTokens`; `build` makes the model from the
    answers or raises `BalancerStateError` / `ValueError` naming what does not fit. State that moves with no event
    (a pause lapsing; for other kinds an amplification ramp or a rate cache) is read again after every block:
    `block_calls(model)` says which calls, `book(model, answers)` books them (raising `BalancerStateError` for an
    answer that cannot be)."""

    kind: str
    calls: tuple[Call, ...]
    build: Callable[[BalancerRead], NTokenPool]
    block_calls: Callable[[NTokenPool], tuple[Call, ...]] = paused_calls
    book: Callable[[NTokenPool, Answers], None] = book_paused
    # Calls that depend on the first answers (per token, per rate provider), read in a second round.
    more_calls: Callable[[BalancerRead], tuple[Call, ...]] | None = None
    # For a model that quotes at a block timestamp: move it to `timestamp`; None when it was already there (nothing
    # changed), else whether its quotes may change.
    at_time: Callable[[NTokenPool, int], bool | None] | None = None

    @property
    def timed(self) -> bool:
        """Whether the model needs the block's timestamp."""
        return self.at_time is not None


KINDS: dict[str, BalancerKind] = {}


def register_kind(kind: BalancerKind) -> BalancerKind:
    """Make a Balancer pool kind readable by `read_pools` (and so by discovery, sync and the store)."""
    KINDS[kind.kind] = kind
    return kind


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


# -- composable stable pools ------------------------------------------------------------------------------------

BPT_INDEX = Call("bpt_index", "getBptIndex()", ("uint256",))
AMP = Call("amp", "getAmplificationParameter()", ("uint256", "bool", "uint256"))
# The pool's packed amplification data (start value, end value, start time, end time: 64 bits each from the low
# end): no view returns the ramp, only its current value, which the slot's reading must reproduce.
AMP_DATA_SLOT = 9
AMP_DATA = Call("amp_data", "", ("uint256",), slot=AMP_DATA_SLOT)
_U64 = 2**64 - 1


def _rate_cache_call(k: int, token: str) -> Call:
    return Call(f"cache:{k}", "getTokenRateCache(address)", ("uint256",) * 4, encode(["address"], [token]))


def _provider_rate_call(k: int, provider: str) -> Call:
    # Optional: a provider that does not answer leaves the rate unknown (the model then refuses to quote on an
    # expired cache), never failing the pool's other reads.
    return Call(f"rate:{k}", "getRate()", ("uint256",), to=provider, optional=True)


def _stable_more_calls(r: BalancerRead) -> tuple[Call, ...]:
    (providers,) = r.answers["rate_providers"]
    if len(providers) != len(r.tokens):
        raise BalancerStateError(f"pool {r.pool_id}: {len(providers)} rate providers for {len(r.tokens)} tokens")
    calls: list[Call] = []
    for k, (token, provider) in enumerate(zip(r.tokens, providers, strict=True)):
        if int(provider, 16):
            calls += [_rate_cache_call(k, token), _provider_rate_call(k, provider)]
    return tuple(calls)


def _decimal_factor(pool_id: str, k: int, scaling: int, rate: int) -> int:
    """The token's `1e18 * 10^(18 - decimals)`: the one whose product with its cached rate is the pool's scaling
    factor."""
    found: list[int] = [f for f in (ONE * 10**m for m in range(19)) if mul_down(f, rate) == scaling]
    if len(found) != 1:
        raise BalancerStateError(
            f"pool {pool_id}: scaling factor {scaling} of token {k} is no decimals factor at rate {rate}"
        )
    return found[0]


def _build_stable(r: BalancerRead) -> NTokenPool:
    n = len(r.tokens)
    at = f"pool {r.pool_id}"
    if r.timestamp is None:
        raise BalancerStateError(f"{at}: no block timestamp")
    (bpt_index,) = r.answers["bpt_index"]
    (scaling,) = r.answers["scaling"]
    (providers,) = r.answers["rate_providers"]
    if len(scaling) != n or len(providers) != n or not 0 <= bpt_index < n:
        raise BalancerStateError(
            f"{at}: {len(scaling)} scaling factors, {len(providers)} rate providers and BPT index {bpt_index} for {n} "
            "tokens"
        )
    if int(providers[bpt_index], 16):
        raise BalancerStateError(f"{at}: the BPT (token {bpt_index}) has rate provider {providers[bpt_index]}")
    amp_value, updating, precision = r.answers["amp"]
    (word,) = r.answers["amp_data"]
    ramp = (word & _U64, (word >> 64) & _U64, (word >> 128) & _U64, word >> 192)
    if precision != AMP_PRECISION:
        raise BalancerStateError(f"{at}: amplification precision {precision}, not {AMP_PRECISION}")
    try:
        now = amplification_at(*ramp, r.timestamp)
    except ValueError:
        now = None
    if now != amp_value or updating != (r.timestamp < ramp[3]):
        raise BalancerStateError(
            f"{at}: amplification data {ramp} do not give getAmplificationParameter's {amp_value} (updating "
            f"{updating}) at timestamp {r.timestamp}"
        )
    caches: list[RateCache | None] = []
    factors: list[int] = []
    for k in range(n):
        if not int(providers[k], 16):
            caches.append(None)
            factors.append(_decimal_factor(r.pool_id, k, scaling[k], ONE))
            continue
        rate, _old, duration, expires = r.answers[f"cache:{k}"]
        if rate == 0 or rate >= 2**RATE_BITS or duration >= 2**TIMESTAMP_BITS or expires >= 2**TIMESTAMP_BITS:
            raise BalancerStateError(f"{at}: token {k}: rate cache {(rate, duration, expires)} out of range")
        provider_rate = r.answers[f"rate:{k}"][0] if f"rate:{k}" in r.answers else None
        caches.append(RateCache(rate, duration, expires, provider_rate))
        factors.append(_decimal_factor(r.pool_id, k, scaling[k], rate))
    return BalancerComposableStablePool(
        address=r.address,
        pool_id=r.pool_id,
        vault=r.vault,
        tokens=r.tokens,
        balances=list(r.balances),
        bpt_index=bpt_index,
        decimal_factors=tuple(factors),
        rate_providers=tuple(to_checksum_address(p) if int(p, 16) else ZERO_ADDRESS for p in providers),
        rate_caches=caches,
        amp_start=ramp[0],
        amp_end=ramp[1],
        amp_start_time=ramp[2],
        amp_end_time=ramp[3],
        swap_fee=check_swap_fee(r.pool_id, r.answers["swap_fee"][0]),
        timestamp=r.timestamp,
        paused=bool(r.answers["paused"][0]),
    )


def _stable_block_calls(model: NTokenPool) -> tuple[Call, ...]:
    """A paused pool's pause state, and every rate provider's current rate (an expired cache is refreshed from it
    by the next swap, and a cache expires with no event)."""
    m: Any = model
    rates = tuple(
        _provider_rate_call(k, provider)
        for k, provider in enumerate(m.rate_providers)
        if provider.lower() != ZERO_ADDRESS
    )
    return paused_calls(model) + rates


def _stable_book(model: NTokenPool, answers: Answers) -> None:
    """Book the per-block answers: the pause, and each provider's rate (None when it did not answer: the pool then
    refuses to quote on that token's expired cache)."""
    book_paused(model, answers)
    m: Any = model
    for k, cache in enumerate(m.rate_caches):
        if cache is None:
            continue
        got = answers.get(f"rate:{k}")
        m.rate_caches[k] = replace(cache, provider_rate=None if got is None else got[0])


def _stable_at_time(model: NTokenPool, timestamp: int) -> bool | None:
    """Move the model to the block's `timestamp`: None when it was already there, else True when its quotes may move
    with it (the amplification, or which rate caches have expired)."""
    m: Any = model
    if m.timestamp == timestamp:
        return None
    try:
        before = (m.amplification, m.due_rate_reads())
    except ValueError:
        before = None
    m.timestamp = timestamp
    try:
        return before != (m.amplification, m.due_rate_reads())
    except ValueError as exc:
        raise BalancerStateError(str(exc)) from None


def _apply_stable_event(
    model: NTokenPool,
    event: BalancerAmpEvent | BalancerRateCacheEvent | BalancerRateDurationEvent,
    timestamp: int | None,
) -> None:
    if not isinstance(model, BalancerComposableStablePool):
        raise BalancerStateError(f"pool {model.pool_id}: {type(event).__name__} from a {model.kind} pool")
    if timestamp is None:
        raise BalancerStateError(f"pool {model.pool_id}: {type(event).__name__} without its block's timestamp")
    try:
        if isinstance(event, BalancerAmpEvent):
            if event.stopped:
                model.apply_amp_update(event.start, event.end, timestamp, timestamp)
            else:
                model.apply_amp_update(event.start, event.end, event.start_time, event.end_time)
            return
        if not 0 <= event.index < len(model.tokens):
            raise BalancerStateError(f"pool {model.pool_id}: token index {event.index} of {len(model.tokens)}")
        token = model.tokens[event.index]
        if isinstance(event, BalancerRateCacheEvent):
            model.apply_rate_update(token, event.rate, timestamp)
            return
        cache = model.rate_caches[event.index]
        if cache is None or event.provider.lower() != model.rate_providers[event.index].lower():
            raise BalancerStateError(
                f"pool {model.pool_id}: rate provider {event.provider} set for {token}, read with "
                f"{model.rate_providers[event.index]}"
            )
        if not 0 <= event.duration < 2**TIMESTAMP_BITS:
            raise BalancerStateError(f"pool {model.pool_id}: rate cache duration {event.duration}")
        # The pool refreshed the cache (TokenRateCacheUpdated, booked just before) with the new duration.
        model.rate_caches[event.index] = replace(cache, duration=event.duration, expires=timestamp + event.duration)
    except BalancerStateError:
        raise
    except ValueError as exc:
        raise BalancerStateError(str(exc)) from None


register_kind(
    BalancerKind(
        BalancerComposableStablePool.kind,
        (BPT_INDEX, SCALING, RATE_PROVIDERS, SWAP_FEE, PAUSED, AMP, AMP_DATA),
        _build_stable,
        block_calls=_stable_block_calls,
        book=_stable_book,
        more_calls=_stable_more_calls,
        at_time=_stable_at_time,
    )
)


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


def _decode_calls(pool_id: str, calls: Sequence[Call], answers: Sequence[object]) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for call, answer in zip(calls, answers, strict=True):
        try:
            out[call.name] = _decode(call.outputs, answer, f"pool {pool_id}: {call.signature or call.name}")
        except BalancerStateError:
            if not call.optional:
                raise
    return out


def _first_read(p: PoolToRead, answers: Sequence[object], kind: BalancerKind, timestamp: int | None) -> BalancerRead:
    tokens, balances, _ = _decode(("address[]", "uint256[]", "uint256"), answers[0], f"pool {p.pool_id}: getPoolTokens")
    if not _same(tokens, p.tokens):
        raise BalancerStateError(
            f"pool {p.pool_id}: the Vault holds tokens {list(tokens)}, registered {list(p.tokens)}"
        )
    if len(balances) != len(tokens) or any(b > MAX_BALANCE for b in balances):
        raise BalancerStateError(f"pool {p.pool_id}: balances {list(balances)} do not fit {len(tokens)} tokens")
    decoded = _decode_calls(p.pool_id, kind.calls, answers[1:])
    return BalancerRead(p.pool_id, p.address, p.vault, p.tokens, p.tokens, tuple(balances), decoded, timestamp)


def _build(
    p: PoolToRead,
    answers: Sequence[object],
    kind: BalancerKind,
    timestamp: int | None = None,
    more_answers: Sequence[object] = (),
) -> NTokenPool:
    """The model from a pool's answers: `getPoolTokens` and the kind's calls, then those of its `more_calls`."""
    read = _first_read(p, answers, kind, timestamp)
    more = kind.more_calls(read) if kind.more_calls is not None else ()
    if more:
        read = replace(read, answers={**read.answers, **_decode_calls(p.pool_id, more, more_answers)})
    return kind.build(read)


def _batches(rpc: RpcClient, plans: Sequence[Sequence[tuple[str, Sequence[Any]]]]) -> list[list[object]]:
    """The answers of each plan's calls, the plans sent in JSON-RPC batches of about `CALLS_PER_REQUEST` calls."""
    out: list[list[object]] = []
    start = 0
    while start < len(plans):
        group: list[Sequence[tuple[str, Sequence[Any]]]] = []
        size = 0
        while start < len(plans) and (not group or size + len(plans[start]) <= CALLS_PER_REQUEST):
            group.append(plans[start])
            size += len(plans[start])
            start += 1
        answers = rpc.batch([c for calls in group for c in calls])
        at = 0
        for calls in group:
            out.append(list(answers[at : at + len(calls)]))
            at += len(calls)
    return out


def _timestamp(rpc: RpcClient, block: str) -> int:
    header = rpc.call("eth_getBlockByNumber", [block, False])
    if not isinstance(header, dict) or not isinstance(header.get("timestamp"), str):
        raise BalancerStateError(f"block {block}: no header with a timestamp ({str(header)[:80]})")
    try:
        return int(str(header["timestamp"]), 16)
    except ValueError:
        raise BalancerStateError(f"block {block}: timestamp {header['timestamp'][:80]!r}") from None


def read_pools(
    rpc: RpcClient, pools: Sequence[PoolToRead], block: str = "latest"
) -> tuple[dict[str, NTokenPool], dict[str, str]]:
    """Models of the pools at `block` by pool id, and the reason each other pool was left out.

    Every call of every pool goes out in JSON-RPC batches of about `CALLS_PER_REQUEST` calls; a kind's calls that
    depend on the first answers (`BalancerKind.more_calls`) go out in a second round of batches."""
    models: dict[str, NTokenPool] = {}
    failed: dict[str, str] = {}
    todo: list[tuple[PoolToRead, BalancerKind]] = []
    for p in pools:
        kind = KINDS.get(p.kind)
        if kind is None:
            failed[p.pool_id] = f"no reader for Balancer pool kind {p.kind!r} (known: {sorted(KINDS)})"
            continue
        todo.append((p, kind))
    timestamp: int | None = None
    if any(kind.timed for _, kind in todo):
        try:
            timestamp = _timestamp(rpc, block)
        except BalancerStateError as exc:
            for p, kind in todo:
                if kind.timed:
                    failed[p.pool_id] = str(exc)
            todo = [(p, kind) for p, kind in todo if not kind.timed]
    plans = []
    for p, kind in todo:
        vault_call = {"to": p.vault, "data": "0x" + (GET_POOL_TOKENS + bytes.fromhex(p.pool_id[2:])).hex()}
        plans.append([("eth_call", [vault_call, block]), *(c.request(p.address, block) for c in kind.calls)])
    reads: list[tuple[PoolToRead, BalancerKind, BalancerRead, tuple[Call, ...]]] = []
    for (p, kind), answers in zip(todo, _batches(rpc, plans), strict=True):
        try:
            read = _first_read(p, answers, kind, timestamp)
            more = kind.more_calls(read) if kind.more_calls is not None else ()
            reads.append((p, kind, read, more))
        except ValueError as exc:  # BalancerStateError, or an answer that cannot be
            failed[p.pool_id] = str(exc)
            log.warning("Balancer pool %s not tracked: %s", p.pool_id, exc)
    second = _batches(rpc, [[c.request(p.address, block) for c in more] for p, _, _, more in reads if more])
    answers_of = iter(second)
    for p, kind, read, more in reads:
        try:
            if more:
                extra = _decode_calls(p.pool_id, more, next(answers_of))
                read = replace(read, answers={**read.answers, **extra})
            models[p.pool_id] = kind.build(read)
        except ValueError as exc:  # BalancerStateError, or the model refusing the values
            failed[p.pool_id] = str(exc)
            log.warning("Balancer pool %s not tracked: %s", p.pool_id, exc)
    return models, failed


def apply_event(model: NTokenPool, event: BalancerEvent, timestamp: int | None = None) -> None:
    """Book one Balancer event, logged in a block at `timestamp`, on the pool's model; `BalancerStateError` (model
    unchanged) when the event cannot be this pool's: tokens that are not its own, a balance below zero or past the
    Vault's 112 bits, a fee out of range, a composable stable pool's event on another kind of pool or naming a token
    without the rate provider the pool was read with.

    A `BalancerTokensChangedEvent` always raises: the pool's shape changed and it must be read again."""
    m: Any = model
    if isinstance(event, BalancerAmpEvent | BalancerRateCacheEvent | BalancerRateDurationEvent):
        _apply_stable_event(model, event, timestamp)
        return
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


def read_block_state(
    rpc: RpcClient, requests: Mapping[str, tuple[str, tuple[Call, ...]]], block: str
) -> dict[str, dict[str, tuple[Any, ...]]]:
    """The answers at `block` of each pool's per-block calls (pool id -> (pool contract, calls)), in one JSON-RPC
    batch; a pool with an unreadable answer is left out (logged) and keeps its state, unless the call is optional
    (a rate provider's rate): then only that answer is missing, and the kind's `book` says what that means."""
    plan = [(pool_id, address, call) for pool_id, (address, calls) in requests.items() for call in calls]
    if not plan:
        return {}
    answers = rpc.batch([call.request(address, block) for _, address, call in plan])
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    bad: set[str] = set()
    for (pool_id, _, call), answer in zip(plan, answers, strict=True):
        got = out.setdefault(pool_id, {})
        try:
            got[call.name] = _decode(call.outputs, answer, f"pool {pool_id}: {call.signature}")
        except BalancerStateError as exc:
            log.warning("%s", exc)
            if not call.optional:
                bad.add(pool_id)
    return {pool_id: got for pool_id, got in out.items() if pool_id not in bad}


def pool_address_of(pool_id: str) -> str:
    """The pool contract a Balancer pool id names (its first 20 bytes, lower case)."""
    return "0x" + pool_id[2:42].lower()
