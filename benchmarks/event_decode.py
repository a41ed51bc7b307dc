"""What the strict pool-event decoder costs: `arbbot.chain.pool_events.decode` beside a plain eth_abi `decode` of the
same logs and beside the state's loose decoder it replaced, per event, and the state's per-block update with each.

Per event: LOGS logs in the encoding a node answers with (0x-hex topics and data, written by `eth_abi.encode` from
the event's ABI types), their values taken from the pools of the v4 replica as synced: the pools' own addresses and
ids, a seeded swap quoted by the pool's exact model (amounts, then price, liquidity and tick after it), positions on
the pool's tick spacing around its tick. Each decoder reads every log once per round, after one untimed pass;
rounds are interleaved (their order rotated) and the garbage collector is off while timing, as `timeit` does; the
figure is the median round's CPU time per log (`time.process_time`, so that time given to other processes on a
shared machine is not counted). Before timing, the decoders' values are compared on every log.

Baselines, in the same process on the same logs:

- eth_abi: what a generic loose decoder does, the ABI types looked up by topic 0, then one `eth_abi.decode` of the
  indexed topics and the data. It checks each word's padding against its type (an address's twelve zero bytes, a
  sign-extended int24), not the topic count, the data length (extra bytes are ignored) or the tick math's bounds,
  and it builds tuples rather than records.
- The state's decoder before the strict one (`arbbot/state/events.py` at PREVIOUS, from git; its records swapped
  for today's so that the store can apply them): hex text sliced into words, a short log refused, nothing else
  checked. It reads only the state's events, so it is compared with the state's `decode` of today.

Per block: the blocks of benchmarks/state_update.py (same seed, same large replica), applied by stores holding the
same pools, one decoding as arbbot does and the others with a baseline decoder in its place; each block is timed in
every store in turn (CPU time, as above), and the final states are compared pool by pool.
"""

from __future__ import annotations

import gc
import importlib.metadata
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

import arbbot.state.store as store_module
from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.pancakeswap_v3 import PancakeSwapV3Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.chain import pool_events as pe
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import snapshot
from arbbot.devnet.context import known_pools
from arbbot.engine.bootstrap import load_store
from arbbot.progress import LogProgress
from arbbot.state import events as state_events
from arbbot.state.store import BlockRef, PoolStore
from benchmarks import state_update

SECTION = "Event decoding"
SCENARIO = "v4"
LOGS = 200
ROUNDS = 25
SEED = 20261206
# The commit that moved the state onto the strict decoder: its parent holds the loose one.
PREVIOUS = "b03752f^"
ROOT = Path(__file__).resolve().parent.parent
NOTE = (
    f"Per event, every decoder reads the same {LOGS} logs: 0x-hex topics and data as a node answers them, written by "
    "`eth_abi.encode` from the event's ABI types, their values from the v4 replica's synced pools (seeded swaps "
    "quoted by each pool's exact model, positions on its tick spacing). One untimed pass, then "
    f"{ROUNDS} interleaved rounds with the garbage collector off; each figure is the median round's time per log, "
    "in CPU time of the benchmark's process (`time.process_time`: time the machine gives other processes is not "
    "counted; on a shared machine a wall-clock round that loses one 4 ms scheduler slice reads twice its time). "
    "Figure: `arbbot.chain.pool_events.decode` (exact topic count and data length, every word checked against its "
    "ABI type and the tick math's bounds, a typed record) and, for the events the state follows, "
    "`arbbot.state.events.decode`, what the store calls (a topic filter, that decoder, a state record). "
    f"Baselines, same process, same logs: eth_abi {importlib.metadata.version('eth-abi')} `decode` of the indexed "
    "topics and the data in one call after a lookup by topic 0 (it checks each word's padding against its type, not "
    "the topic count, the data length or any bound, and builds tuples); and the state's decoder before the strict "
    f"one (`arbbot/state/events.py` at {PREVIOUS}, read from git: hex sliced into words, short data refused, nothing "
    "else checked), beside today's state decode. The decoders' values are compared on every log before timing. "
    "The last row applies the blocks of the per-block update row (same seed, the large replica) in stores that "
    "differ only in their decoder, each block timed (CPU time) in every store in turn; their final states are "
    "compared pool by pool."
)

Log = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One event measured: its record, ABI types (indexed topics, then data, each in the record's field order) and
    whether the state store follows it."""

    label: str
    cls: type[pe.PoolEvent]
    indexed: tuple[str, ...]
    data: tuple[str, ...]
    state: bool


_V3_SWAP_DATA = ("int256", "int256", "uint160", "uint128", "int24")
EVENTS = (
    Event("V2 Sync", pe.V2Sync, (), ("uint112", "uint112"), True),
    Event("V2 Swap", pe.V2Swap, ("address", "address"), ("uint256",) * 4, False),
    Event("V3 Swap", pe.V3Swap, ("address", "address"), _V3_SWAP_DATA, True),
    Event(
        "PancakeSwap V3 Swap", pe.PancakeV3Swap, ("address", "address"), (*_V3_SWAP_DATA, "uint128", "uint128"), True
    ),
    Event("V3 Mint", pe.V3Mint, ("address", "int24", "int24"), ("address", "uint128", "uint256", "uint256"), True),
    Event("V3 Burn", pe.V3Burn, ("address", "int24", "int24"), ("uint128", "uint256", "uint256"), True),
    Event(
        "V4 Swap",
        pe.V4Swap,
        ("bytes32", "address"),
        ("int128", "int128", "uint160", "uint128", "int24", "uint24"),
        True,
    ),
    Event(
        "V4 ModifyLiquidity",
        pe.V4ModifyLiquidity,
        ("bytes32", "address"),
        ("int24", "int24", "int256", "bytes32"),
        True,
    ),
)

# The loose decoder's table: topic 0 -> the ABI types of the indexed topics and the data, read in one call.
_ABI_TYPES: dict[str, tuple[str, ...]] = {e.cls.TOPIC: e.indexed + e.data for e in EVENTS}


def abi_decode_log(topics: Sequence[str], data: str) -> tuple[Any, ...] | None:
    """The baseline: a log's values as one eth_abi `decode` of its indexed topics and data (None for another
    event)."""
    types = _ABI_TYPES.get(topics[0])
    if types is None:
        return None
    return abi_decode(types, bytes.fromhex("".join(t[2:] for t in topics[1:]) + data[2:]))


def _abi_state_decode(log: Log) -> state_events.StateEvent | None:
    """The state's `decode` with eth_abi in place of the strict decoder: the same records from the same logs."""
    topics = log.get("topics") or []
    if not topics or topics[0] not in state_events.STATE_TOPICS:
        return None
    v = abi_decode_log(topics, log["data"])
    if v is None:
        return None
    t0 = topics[0]
    if t0 == pe.V2Sync.TOPIC:
        return state_events.SyncEvent(v[0], v[1])
    if t0 in (pe.V3Swap.TOPIC, pe.PancakeV3Swap.TOPIC, pe.V4Swap.TOPIC):
        return state_events.V3SwapEvent(v[4], v[5], v[6])
    if t0 == pe.V3Mint.TOPIC:
        return state_events.V3LiquidityEvent(v[1], v[2], v[4])
    if t0 == pe.V3Burn.TOPIC:
        return state_events.V3LiquidityEvent(v[1], v[2], -v[3])
    if t0 == pe.V4ModifyLiquidity.TOPIC:
        return state_events.V3LiquidityEvent(v[2], v[3], v[4])
    return None


def previous_state_decode() -> Callable[[Log], state_events.StateEvent | None] | None:
    """The state's `decode` as of PREVIOUS, building today's records (None without git or that commit)."""
    done = subprocess.run(
        ["git", "show", f"{PREVIOUS}:arbbot/state/events.py"], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        return None
    module = types.ModuleType("benchmarks._previous_state_events")
    sys.modules[module.__name__] = module  # dataclasses look their module up while the classes are made
    try:
        exec(compile(done.stdout, f"{PREVIOUS}:arbbot/state/events.py", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    for name in ("SyncEvent", "V3SwapEvent", "V3LiquidityEvent", "ProtocolFeeEvent", "MalformedLog"):
        setattr(module, name, getattr(state_events, name))  # read at call time: the store applies these
    decode: Callable[[Log], state_events.StateEvent | None] = module.decode
    return decode


# --- realistic logs ---------------------------------------------------------------------------------------------


def _hex(abi_types: Sequence[str], values: Sequence[Any]) -> str:
    return "0x" + abi_encode(list(abi_types), list(values)).hex()


def _log(event: Event, address: str, indexed: Sequence[Any], data: Sequence[Any]) -> Log:
    topics = [event.cls.TOPIC] + [_hex((t,), (v,)) for t, v in zip(event.indexed, indexed, strict=True)]
    return {"address": address.lower(), "topics": topics, "data": _hex(event.data, data)}


def _address(rng: random.Random) -> str:
    return "0x" + rng.randbytes(20).hex()


def _v3_swap(rng: random.Random, pool: UniswapV3Pool | UniswapV4Pool) -> tuple[bool, Any]:
    """A seeded exact-input swap quoted by the pool's model: (zeroForOne, its result); amounts 1e12..1e19."""
    for _ in range(100):
        zero_for_one = rng.random() < 0.5
        try:
            return zero_for_one, pool.swap(zero_for_one, int(10 ** rng.uniform(12, 19)))
        except AmmError:
            continue
    raise RuntimeError(f"pool {pool.address}: no swap of 1e12..1e19 quotes in 100 tries")


def _range(rng: random.Random, pool: UniswapV3Pool | UniswapV4Pool) -> tuple[int, int]:
    """A position's ticks on the pool's spacing around its tick, within the tick math's range."""
    s = pool.tick_spacing
    lowest, highest = -(pe.MAX_TICK // s) * s, (pe.MAX_TICK // s) * s
    centre = pool.tick // s * s
    lower = max(lowest, centre - s * rng.randint(1, 200))
    return lower, min(highest, centre + s * rng.randint(1, 200))


def _one(rng: random.Random, event: Event, pools: dict[type, list[Pool]], routers: list[str]) -> Log:
    """One log of `event` on a seeded pool of its kind."""
    cls = event.cls
    if cls in (pe.V2Sync, pe.V2Swap):
        v2 = rng.choice(pools[UniswapV2Pool])
        assert isinstance(v2, UniswapV2Pool)
        zero_for_one = rng.random() < 0.5
        r_in, r_out = (v2.reserve0, v2.reserve1) if zero_for_one else (v2.reserve1, v2.reserve0)
        a_in = max(1, int(r_in * rng.uniform(1e-4, 5e-2)))
        a_out = v2.amount_out(a_in, r_in, r_out)
        if cls is pe.V2Sync:
            r0, r1 = (r_in + a_in, r_out - a_out) if zero_for_one else (r_out - a_out, r_in + a_in)
            return _log(event, v2.address, (), (r0, r1))
        amounts = (a_in, 0, 0, a_out) if zero_for_one else (0, a_in, a_out, 0)
        return _log(event, v2.address, (rng.choice(routers), _address(rng)), amounts)
    if cls in (pe.V3Swap, pe.PancakeV3Swap):
        v3 = rng.choice(pools[PancakeSwapV3Pool if cls is pe.PancakeV3Swap else UniswapV3Pool])
        assert isinstance(v3, UniswapV3Pool)
        _, r = _v3_swap(rng, v3)
        data: tuple[int, ...] = (r.amount0, r.amount1, r.sqrt_price_x96, r.liquidity, r.tick)
        if cls is pe.PancakeV3Swap:
            data += (rng.randrange(10**15), rng.randrange(10**15))  # protocol fees taken, in raw units
        return _log(event, v3.address, (rng.choice(routers), _address(rng)), data)
    if cls in (pe.V3Mint, pe.V3Burn):
        v3 = rng.choice(pools[UniswapV3Pool] + pools[PancakeSwapV3Pool])
        assert isinstance(v3, UniswapV3Pool)
        lower, upper = _range(rng, v3)
        amount = rng.randrange(1, max(2, v3.liquidity // 10))
        owed = (rng.randrange(10**24), rng.randrange(10**24))
        ix = (_address(rng), lower, upper)
        if cls is pe.V3Mint:
            return _log(event, v3.address, ix, (rng.choice(routers), amount, *owed))
        return _log(event, v3.address, ix, (amount, *owed))
    v4 = rng.choice(pools[UniswapV4Pool])
    assert isinstance(v4, UniswapV4Pool)
    pool_id = bytes.fromhex(v4.address[2:])
    if cls is pe.V4Swap:
        _, r = _v3_swap(rng, v4)
        # V4 reports the swapper's side (negative: paid into the pool); the model answers the pool's.
        data = (-r.amount0, -r.amount1, r.sqrt_price_x96, r.liquidity, r.tick, v4.lp_fee)
        return _log(event, v4.manager, (pool_id, rng.choice(routers)), data)
    lower, upper = _range(rng, v4)
    delta = rng.randrange(1, max(2, v4.liquidity // 10)) * rng.choice((1, -1))
    return _log(event, v4.manager, (pool_id, rng.choice(routers)), (lower, upper, delta, rng.randbytes(32)))


def realistic_logs(pools: Sequence[Pool], routers: list[str], n: int = LOGS, seed: int = SEED) -> dict[str, list[Log]]:
    """`n` seeded logs of every event in EVENTS on `pools` (which must hold at least one quotable pool of each
    kind), keyed by the event's label."""
    rng = random.Random(seed)
    by_kind: dict[type, list[Pool]] = {k: [] for k in (UniswapV2Pool, UniswapV3Pool, PancakeSwapV3Pool, UniswapV4Pool)}
    for p in pools:
        if isinstance(p, UniswapV4Pool):
            try:
                p.swap(True, 10**12)  # a pool whose hook can change amounts is simulation-only: not modelled here
            except AmmError:
                continue
        by_kind[type(p)].append(p)
    return {e.label: [_one(rng, e, by_kind, routers) for _ in range(n)] for e in EVENTS}


def _normal(value: Any) -> Any:
    return "0x" + value.hex() if isinstance(value, bytes) else value


def same_values(logs: Sequence[Log]) -> int:
    """How many of `logs` the strict decoder and eth_abi read as the same values (a record's fields are the indexed
    topics, then the data, in ABI order)."""
    same = 0
    for log in logs:
        record = pe.decode(log["topics"], log["data"])
        loose = abi_decode_log(log["topics"], log["data"])
        same += record is not None and loose is not None and astuple(record) == tuple(map(_normal, loose))
    return same


def same_state_events(logs: Sequence[Log], other: Callable[[Log], state_events.StateEvent | None]) -> int:
    """How many of `logs` the state's `decode` and `other` read as the same (non-None) state change."""
    return sum(1 for log in logs if (e := state_events.decode(log)) is not None and other(log) == e)


# --- timing -----------------------------------------------------------------------------------------------------


def _rounds(calls: Sequence[tuple[Callable[..., Any], list[tuple[Any, ...]]]], rounds: int = ROUNDS) -> list[float]:
    """Median CPU seconds per call of each (function, argument tuples): one untimed pass, then `rounds` interleaved
    rounds (order rotated), the garbage collector off while timing."""
    for fn, args in calls:
        for a in args:
            fn(*a)
    times: list[list[float]] = [[] for _ in calls]
    enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            for k in [(r + j) % len(calls) for j in range(len(calls))]:
                fn, args = calls[k]
                t0 = time.process_time()
                for a in args:
                    fn(*a)
                times[k].append((time.process_time() - t0) / len(args))
    finally:
        if enabled:
            gc.enable()
    return [statistics.median(t) for t in times]


@dataclass(frozen=True)
class EventTiming:
    """Seconds per log of one event: the strict decoder, the eth_abi baseline, and for an event the state follows
    the state's `decode` and the previous one (None where not measured); how many of `logs` read alike (eth_abi
    against the strict decoder; the previous decoder against today's state decode), over `rounds` rounds."""

    event: Event
    strict: float
    abi: float
    state: float | None
    previous: float | None
    same_abi: int
    same_previous: int | None
    logs: int
    rounds: int


_Calls = list[tuple[Callable[..., Any], list[tuple[Any, ...]]]]


def time_events(
    logs: dict[str, list[Log]],
    previous: Callable[[Log], state_events.StateEvent | None] | None,
    rounds: int = ROUNDS,
) -> list[EventTiming]:
    """Time every event of EVENTS on its logs (see the module's docstring)."""
    out = []
    for event in EVENTS:
        batch = logs[event.label]
        pairs = [(log["topics"], log["data"]) for log in batch]
        calls: _Calls = [(pe.decode, pairs), (abi_decode_log, pairs)]
        if event.state:
            calls.append((state_events.decode, [(log,) for log in batch]))
            if previous is not None:
                calls.append((previous, [(log,) for log in batch]))
        t = _rounds(calls, rounds)
        state, before = (t[2] if len(t) > 2 else None), (t[3] if len(t) > 3 else None)
        same_previous = same_state_events(batch, previous) if before is not None and previous is not None else None
        out.append(EventTiming(event, t[0], t[1], state, before, same_values(batch), same_previous, len(batch), rounds))
    return out


@dataclass(frozen=True)
class BlockTiming:
    """Per-block update times (seconds, one per block) with the strict decoder, with eth_abi in its place and with
    the previous decoder (None without it); the pools tracked and how many ended in the same state in every store."""

    strict: list[float]
    abi: list[float]
    previous: list[float] | None
    pools: int
    equal: int


def _with_decoder(store: PoolStore, decode: Callable[[Log], Any]) -> state_update.Applier:
    """`store.apply_block` with `decode` in place of the state's decoder for the call."""
    strict = store_module.decode

    def apply(block: BlockRef, block_logs: list[Log]) -> object:
        store_module.decode = decode
        try:
            return store.apply_block(block, block_logs)
        finally:
            store_module.decode = strict

    return apply


def time_blocks(previous: Callable[[Log], state_events.StateEvent | None] | None) -> BlockTiming:
    """The state_update blocks applied by a strict store and by the baselines' (see the module's docstring)."""
    models, head = state_update.synced_models()
    at = BlockRef(head, "0x0", "0x")
    strict = PoolStore(models, at, max_undo=64)
    stores = [strict, PoolStore([p.copy() for p in models], at, max_undo=64)]
    appliers = [strict.apply_block, _with_decoder(stores[1], _abi_state_decode)]
    if previous is not None:
        stores.append(PoolStore([p.copy() for p in models], at, max_undo=64))
        appliers.append(_with_decoder(stores[2], previous))
    pools = list(strict.pools.values())
    times = state_update.block_times(appliers, pools, head, random.Random(1), clock=time.process_time)
    equal = sum(
        1
        for key, p in strict.pools.items()
        if all(key in s.pools and s.pools[key].to_dict() == p.to_dict() for s in stores[1:])
    )
    if any(len(s.pools) != len(strict.pools) for s in stores[1:]):
        equal = 0
    return BlockTiming(times[0], times[1], times[2] if previous is not None else None, len(models), equal)


def replica_logs() -> dict[str, list[Log]]:
    """Realistic logs (`realistic_logs`) on the pools of the v4 replica, synced at its head."""
    node, manifest = snapshot.start(SCENARIO, progress=LogProgress())
    try:
        weth = manifest.token("WETH").address
        store = load_store(RpcClient(node.url), known_pools(manifest), weth=weth)
    finally:
        node.stop()
    routers = sorted({v.router.lower() for v in manifest.venues.values()})
    return realistic_logs(list(store.pools.values()), routers)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def rows(events: list[EventTiming], blocks: BlockTiming | None) -> list[dict[str, str]]:
    """The section's rows."""
    version = importlib.metadata.version("eth-abi")
    out = []
    for t in events:
        e = t.event
        indexed = f", {len(e.indexed)} indexed" if e.indexed else ""
        figure = f"{_us(t.strict)} per log (median of {t.rounds} rounds over {t.logs} logs)"
        baseline = f"eth_abi {version} `decode` of the same topics and data: {_us(t.abi)}"
        baseline += f", same values on {t.same_abi}/{t.logs}"
        ratio = f"{t.strict / t.abi:.2f}x the eth_abi time"
        if t.state is not None:
            figure += f"; the state's `decode` (topic filter, state record): {_us(t.state)}"
        else:
            figure += "; not a state event (the hint strategy and the audit read it)"
        if t.state is not None and t.previous is not None:
            baseline += (
                f"; the state's decoder before ({PREVIOUS}): {_us(t.previous)}, same on {t.same_previous}/{t.logs}"
            )
            more = (t.state - t.previous) * 1e6
            ratio += f"; state's decode {t.state / t.previous:.2f}x the previous ({more:+.1f} µs per log)"
        out.append(
            {
                "benchmark": f"decode one {e.label} log ({len(e.indexed) + len(e.data)} fields{indexed})",
                "figure": figure,
                "baseline": baseline + " (same logs, rounds interleaved)",
                "ratio": ratio,
            }
        )
    if blocks is not None:
        s, a = statistics.median(blocks.strict) * 1e3, statistics.median(blocks.abi) * 1e3
        n = state_update.TOUCHED
        baseline = f"same blocks, eth_abi decoding in the store: {a:.2f} ms"
        ratio = f"{s / a:.2f}x eth_abi's ({s - a:+.2f} ms per block)"
        if blocks.previous is not None:
            p = statistics.median(blocks.previous) * 1e3
            baseline += f"; the decoder before ({PREVIOUS}): {p:.2f} ms"
            per_log = (s - p) * 1e3 / n
            ratio += f"; {s / p:.2f}x the previous decoder's ({s - p:+.2f} ms per block, {per_log:+.1f} µs per log)"
        out.append(
            {
                "benchmark": f"per-block update, {n} logs (V2 Sync, V3 Swap) on {n} of {blocks.pools:,} pools "
                "(the per-block update row's blocks)",
                "figure": f"{s:.2f} ms CPU time, median over {len(blocks.strict)} blocks (decode + apply + undo copy)",
                "baseline": f"{baseline} (blocks interleaved); final states equal on {blocks.equal:,}/"
                f"{blocks.pools:,} pools",
                "ratio": ratio,
            }
        )
    return out


def run() -> list[dict[str, str]]:
    """Measure every event, then the per-block update; the rows of the "Event decoding" section."""
    previous = previous_state_decode()
    events = time_events(replica_logs(), previous)
    return rows(events, time_blocks(previous))
