"""Deployless batch reads: reader contracts run as the `data` of an eth_call without `to`.

The constructor reads many pools and returns packed bytes, so thousands of pools cost a handful of
calls. What a constructor returns is checked like deployed code, so each batch's output must stay
under the code-size limit (EIP-170, 24,576 bytes); its input under the initcode limit (EIP-3860,
49,152 bytes); its work under the call gas budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from eth_abi import encode

from arbbot import compiled
from arbbot.artifact import Artifact
from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.errors import ArbbotError

INITCODE_LIMIT = 49_152
CODE_SIZE_LIMIT = 24_576
CALL_GAS = 30_000_000  # what common nodes allow an eth_call by default (anvil: the block gas limit)
V2_BATCH = 700  # 32 output bytes per pair
V3_STATE_BATCH = 300  # 64 output bytes per pool
V3_WORDS_PER_CALL = 6_000  # ~4.5k gas per tickBitmap() call
PARALLEL_CALLS = 2  # concurrent eth_calls for the heavy V3 bitmap scan
V3_SLOT_WORDS_PER_CALL = 12_000  # ~2.3k gas per direct SLOAD (state-override path)
V3_TICKS_BATCH = 700  # 32 output bytes per tick
MAX_TICK = 887_272

_T = TypeVar("_T")


class LensError(ArbbotError):
    """A batch read failed as a whole."""


class OutputTooLarge(LensError):
    """The batch's output exceeded the code-size limit; split it and retry."""


def readers() -> dict[str, Artifact]:
    """The reader contracts, shipped compiled with the package (see arbbot.compiled)."""
    return compiled.readers()


def _deployless(
    rpc: RpcClient,
    name: str,
    types: list[str],
    args: Sequence[object],
    block: str,
    overrides: dict[str, dict[str, str]] | None = None,
) -> bytes:
    art = readers()[name]
    data = art.bytecode + encode(types, args).hex()
    if (len(data) - 2) // 2 > INITCODE_LIMIT:
        raise LensError(f"{name}: batch too large for one call ({(len(data) - 2) // 2} bytes of initcode)")
    params: list[object] = [{"data": data, "gas": hex(CALL_GAS)}, block]
    if overrides:
        params.append(overrides)
    try:
        result = rpc.call("eth_call", params)
    except RpcError as exc:
        if "size" in exc.message.lower() and "limit" in exc.message.lower():
            raise OutputTooLarge(f"{name}: output over {CODE_SIZE_LIMIT} bytes") from exc
        raise LensError(f"{name} batch read failed at block {block}: {exc.message}") from exc
    return bytes.fromhex(result[2:])


def _chunks(seq: Sequence[_T], n: int) -> list[Sequence[_T]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


@dataclass(frozen=True)
class V2Reserves:
    """A V2 pair's reserves (raw token units) and the timestamp of their last update, read in one batch."""

    reserve0: int
    reserve1: int
    block_timestamp_last: int


def read_v2(rpc: RpcClient, pairs: Sequence[str], block: str = "latest") -> dict[str, V2Reserves | None]:
    """Reserves of every pair (None where the read failed)."""
    out: dict[str, V2Reserves | None] = {}
    for chunk in _chunks(list(pairs), V2_BATCH):
        raw = _deployless(rpc, "V2ReservesReader", ["address[]"], [list(chunk)], block)
        n = int.from_bytes(raw[:32], "big")
        if n != len(chunk):
            raise LensError(f"V2ReservesReader returned {n} records for {len(chunk)} pairs")
        words = (n + 255) // 256
        bits = [int.from_bytes(raw[32 + 32 * w : 64 + 32 * w], "big") for w in range(words)]
        base = 32 + 32 * words
        for i, pair in enumerate(chunk):
            if not (bits[i // 256] >> (i % 256)) & 1:
                out[pair] = None
                continue
            v = int.from_bytes(raw[base + 32 * i : base + 32 * i + 32], "big")
            out[pair] = V2Reserves(v >> 144, (v >> 32) & ((1 << 112) - 1), v & 0xFFFFFFFF)
    return out


@dataclass
class V3Snapshot:
    """What the exact V3 swap math needs of a pool at one block: slot0, in-range liquidity, and the bitmap words and
    initialised ticks read around the price."""

    sqrt_price_x96: int
    tick: int
    liquidity: int
    tick_spacing: int
    bitmap: dict[int, int] = field(default_factory=dict)  # word position -> word
    ticks: dict[int, tuple[int, int]] = field(default_factory=dict)  # tick -> (liquidityGross, liquidityNet)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def word_range(tick_spacing: int) -> tuple[int, int]:
    """Bitmap words that can hold initialized ticks for this spacing."""
    return (-MAX_TICK // tick_spacing) >> 8, (MAX_TICK // tick_spacing) >> 8


UNISWAP_V3_BITMAP_SLOT = 6  # UniswapV3Pool.tickBitmap
PANCAKE_V3_BITMAP_SLOT = 7  # PancakeV3Pool.tickBitmap (its slot0 takes two slots)


def read_v3(
    rpc: RpcClient, pools: Sequence[str], block: str = "latest", bitmap_slot: int = UNISWAP_V3_BITMAP_SLOT
) -> dict[str, V3Snapshot | None]:
    """Full swap state of each pool: price, liquidity, non-zero bitmap words and initialized ticks.

    V3 forks with the same pool interface read the same way; `bitmap_slot` is where their layout keeps
    `tickBitmap` (used only on nodes that honour state overrides)."""
    out: dict[str, V3Snapshot | None] = {}
    for chunk in _chunks(list(pools), V3_STATE_BATCH):
        raw = _deployless(rpc, "V3StateReader", ["address[]"], [list(chunk)], block)
        for i, pool in enumerate(chunk):
            rec = raw[64 * i : 64 * i + 45]
            if rec[0] != 1:
                out[pool] = None
                continue
            out[pool] = V3Snapshot(
                sqrt_price_x96=int.from_bytes(rec[1:21], "big"),
                tick=_signed(int.from_bytes(rec[21:24], "big"), 24),
                liquidity=int.from_bytes(rec[24:40], "big"),
                tick_spacing=_signed(int.from_bytes(rec[40:43], "big"), 24),
            )
    live = {p: s for p, s in out.items() if s is not None}
    _read_bitmaps(rpc, live, block, bitmap_slot)
    _read_ticks(rpc, live, block)
    return out


def _slot_overrides(reqs: list[tuple[str, int, int]]) -> dict[str, dict[str, str]]:
    code = readers()["V3BitmapSlotReader"].deployed_bytecode
    return {pool: {"code": code} for pool in {r[0] for r in reqs}}


def _parse_slot_records(raw: bytes, reqs: list[tuple[str, int, int]], pools: dict[str, V3Snapshot]) -> None:
    off = 0
    while off < len(raw):
        idx = int.from_bytes(raw[off : off + 4], "big")
        length = int.from_bytes(raw[off + 32 : off + 64], "big")
        body = raw[off + 64 : off + 64 + length]
        for rec in range(0, len(body), 64):
            word_pos = _signed(int.from_bytes(body[rec : rec + 2], "big"), 16)
            pools[reqs[idx][0]].bitmap[word_pos] = int.from_bytes(body[rec + 32 : rec + 64], "big")
        off += 64 + length


def supports_state_override(rpc: RpcClient, block: str = "latest") -> bool:
    """Whether the node honours eth_call state overrides (anvil, geth, erigon, reth, nethermind do)."""
    probe = "0x000000000000000000000000000000000000a7b1"
    try:
        # Runtime code 0x602a5f5260205ff3 returns the word 42.
        out = rpc.call("eth_call", [{"to": probe, "data": "0x"}, block, {probe: {"code": "0x602a5f5260205ff3"}}])
    except RpcError:
        return False
    return isinstance(out, str) and out[2:] != "" and int(out, 16) == 42


def _read_bitmaps(rpc: RpcClient, pools: dict[str, V3Snapshot], block: str, bitmap_slot: int) -> None:
    # With state overrides, the pools' own storage is read by SLOAD (several times faster than one
    # external call per word); otherwise fall back to tickBitmap() calls.
    state_override = supports_state_override(rpc, block)
    words_per_call = V3_SLOT_WORDS_PER_CALL if state_override else V3_WORDS_PER_CALL
    # Plan (pool, fromWord, toWord) requests so each call scans at most words_per_call words.
    requests: list[tuple[str, int, int]] = []
    for pool, snap in pools.items():
        lo, hi = word_range(snap.tick_spacing)
        for start in range(lo, hi + 1, words_per_call):
            requests.append((pool, start, min(hi, start + words_per_call - 1)))
    batch: list[tuple[str, int, int]] = []
    budget = 0

    def scan(reqs: list[tuple[str, int, int]]) -> None:
        args = [[r[0] for r in reqs], [r[1] for r in reqs], [r[2] for r in reqs]]
        try:
            if state_override:
                raw = _deployless(
                    rpc,
                    "V3BitmapBatchReader",
                    ["address[]", "int16[]", "int16[]", "uint256[]"],
                    [*args, [bitmap_slot] * len(reqs)],
                    block,
                    _slot_overrides(reqs),
                )
                _parse_slot_records(raw, reqs, pools)
                return
            raw = _deployless(rpc, "V3BitmapReader", ["address[]", "int16[]", "int16[]"], args, block)
        except OutputTooLarge:
            # Many non-zero words: halve the requests (or a single request's word range) and retry.
            if len(reqs) > 1:
                scan(reqs[: len(reqs) // 2])
                scan(reqs[len(reqs) // 2 :])
                return
            pool, lo, hi = reqs[0]
            if lo == hi:
                raise
            mid = (lo + hi) // 2
            scan([(pool, lo, mid), (pool, mid + 1, hi)])
            return
        for off in range(0, len(raw), 64):
            idx = int.from_bytes(raw[off : off + 4], "big")
            word_pos = _signed(int.from_bytes(raw[off + 4 : off + 6], "big"), 16)
            pools[reqs[idx][0]].bitmap[word_pos] = int.from_bytes(raw[off + 32 : off + 64], "big")

    batches: list[list[tuple[str, int, int]]] = []
    for req in requests:
        words = req[2] - req[1] + 1
        if batch and budget + words > words_per_call:
            batches.append(batch)
            batch, budget = [], 0
        batch.append(req)
        budget += words
    if batch:
        batches.append(batch)
    # Scanning is node-side work: a few concurrent calls keep every node core busy. Each batch writes
    # only its own (pool, word) entries.
    if len(batches) > 1 and PARALLEL_CALLS > 1:
        with ThreadPoolExecutor(max_workers=PARALLEL_CALLS) as pool_exec:
            list(pool_exec.map(scan, batches))
    else:
        for b in batches:
            scan(b)


def initialized_ticks(snap: V3Snapshot) -> list[int]:
    """Every tick whose bit is set in the snapshot's bitmap words (bit position times the tick spacing)."""
    ticks = []
    for word_pos, word in snap.bitmap.items():
        bit = 0
        while word:
            if word & 1:
                ticks.append(((word_pos << 8) + bit) * snap.tick_spacing)
            word >>= 1
            bit += 1
    return sorted(ticks)


def _read_ticks(rpc: RpcClient, pools: dict[str, V3Snapshot], block: str) -> None:
    wanted = [(pool, t) for pool, snap in pools.items() for t in initialized_ticks(snap)]
    for chunk in _chunks(wanted, V3_TICKS_BATCH):
        raw = _deployless(
            rpc, "V3TicksReader", ["address[]", "int24[]"], [[c[0] for c in chunk], [c[1] for c in chunk]], block
        )
        for i, (pool, tick) in enumerate(chunk):
            v = int.from_bytes(raw[32 * i : 32 * i + 32], "big")
            pools[pool].ticks[tick] = (v >> 128, _signed(v & ((1 << 128) - 1), 128))


# --- Uniswap V4: every pool in the PoolManager's storage, read through extsload ----------------------------

V4_STATE_BATCH = 300  # 64 output bytes per pool
V4_WORDS_PER_CALL = 8_000  # a cold SLOAD plus keccak per word inside extsload
V4_TICKS_BATCH = 700


@dataclass
class V4Snapshot:
    """A V4 pool's state at one block, read from the PoolManager's storage: slot0 fees, liquidity, bitmap and ticks."""

    sqrt_price_x96: int
    tick: int
    protocol_fee: int  # 24 bits: zeroForOne fee low 12, oneForZero high 12
    lp_fee: int
    liquidity: int
    bitmap: dict[int, int] = field(default_factory=dict)
    ticks: dict[int, tuple[int, int]] = field(default_factory=dict)


def _slot0(word: int) -> tuple[int, int, int, int]:
    """(sqrtPriceX96, tick, protocolFee, lpFee) from v4's packed Slot0."""
    return (
        word & ((1 << 160) - 1),
        _signed((word >> 160) & 0xFFFFFF, 24),
        (word >> 184) & 0xFFFFFF,
        (word >> 208) & 0xFFFFFF,
    )


def _id_bytes(pool_id: str) -> bytes:
    raw = bytes.fromhex(pool_id.removeprefix("0x"))
    if len(raw) != 32:
        raise LensError(f"pool id {pool_id!r} is not 32 bytes")
    return raw


def read_v4_slot0(
    rpc: RpcClient, manager: str, pool_ids: Sequence[str], block: str = "latest"
) -> dict[str, V4Snapshot | None]:
    """Price, tick, fees and liquidity of each pool (None where the pool is not initialized)."""
    out: dict[str, V4Snapshot | None] = {}
    for chunk in _chunks(list(pool_ids), V4_STATE_BATCH):
        raw = _deployless(rpc, "V4StateReader", ["address", "bytes32[]"], [manager, [_id_bytes(i) for i in chunk]],
                          block)  # fmt: skip
        if len(raw) != 64 * len(chunk):
            raise LensError(f"V4StateReader returned {len(raw)} bytes for {len(chunk)} pools")
        for i, pool_id in enumerate(chunk):
            word = int.from_bytes(raw[64 * i : 64 * i + 32], "big")
            sqrt_p, tick, protocol_fee, lp_fee = _slot0(word)
            if sqrt_p == 0:
                out[pool_id] = None
                continue
            liquidity = int.from_bytes(raw[64 * i + 32 : 64 * i + 64], "big") & ((1 << 128) - 1)
            out[pool_id] = V4Snapshot(sqrt_p, tick, protocol_fee, lp_fee, liquidity)
    return out


def read_v4(
    rpc: RpcClient, manager: str, pools: Sequence[tuple[str, int]], block: str = "latest"
) -> dict[str, V4Snapshot | None]:
    """Full swap state of each (pool id, tick spacing): slot0, liquidity, bitmap words, initialized ticks."""
    spacing = dict(pools)
    out = read_v4_slot0(rpc, manager, [p for p, _ in pools], block)
    live = {p: s for p, s in out.items() if s is not None}
    requests: list[tuple[str, int, int]] = []
    for pool_id in live:
        lo, hi = word_range(spacing[pool_id])
        for start in range(lo, hi + 1, V4_WORDS_PER_CALL):
            requests.append((pool_id, start, min(hi, start + V4_WORDS_PER_CALL - 1)))
    batch: list[tuple[str, int, int]] = []
    budget = 0

    def scan(reqs: list[tuple[str, int, int]]) -> None:
        args = [manager, [_id_bytes(r[0]) for r in reqs], [r[1] for r in reqs], [r[2] for r in reqs]]
        raw = _deployless(rpc, "V4BitmapReader", ["address", "bytes32[]", "int16[]", "int16[]"], args, block)
        for off in range(0, len(raw), 64):
            idx = int.from_bytes(raw[off : off + 4], "big")
            word_pos = _signed(int.from_bytes(raw[off + 4 : off + 6], "big"), 16)
            live[reqs[idx][0]].bitmap[word_pos] = int.from_bytes(raw[off + 32 : off + 64], "big")

    for req in requests:
        words = req[2] - req[1] + 1
        if batch and budget + words > V4_WORDS_PER_CALL:
            scan(batch)
            batch, budget = [], 0
        batch.append(req)
        budget += words
    if batch:
        scan(batch)
    wanted = [
        (pool_id, t)
        for pool_id, snap in live.items()
        for t in initialized_ticks(V3Snapshot(0, 0, 0, spacing[pool_id], snap.bitmap))
    ]
    for chunk in _chunks(wanted, V4_TICKS_BATCH):
        raw = _deployless(
            rpc, "V4TicksReader", ["address", "bytes32[]", "int24[]"],
            [manager, [_id_bytes(c[0]) for c in chunk], [c[1] for c in chunk]], block,
        )  # fmt: skip
        for i, (pool_id, tick) in enumerate(chunk):
            v = int.from_bytes(raw[32 * i : 32 * i + 32], "big")
            live[pool_id].ticks[tick] = (v & ((1 << 128) - 1), _signed(v >> 128, 128))
    return out
