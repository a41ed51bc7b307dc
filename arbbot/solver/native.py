"""The compiled hot path behind the solver's interface: `arbbot_native` (Rust, built from
native/arbbot-native by `make setup`) quotes V2/V3 pools and solves whole cycles in machine integers.

The pure-Python pool models stay the reference: the extension is tested to the wei against them. Where
it is not installed (no Rust toolchain), or ARBBOT_NATIVE=0, everything runs in Python and a warning
says so once. Pool models are mirrored into the extension lazily and cached per model object: a price
change costs one small call, a tick change (Mint/Burn) rebuilds the tick table.
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Sequence
from typing import Any

from arbbot.amm.base import Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.solver.model import Hop, Solution

try:  # the extension is optional: a checkout without the Rust toolchain still works, only slower
    import arbbot_native as _ext
except ImportError:  # pragma: no cover - depends on the install
    _ext = None

_warned = False
MAX_U128 = (1 << 128) - 1


class NativeMissingWarning(RuntimeWarning):
    """The compiled solver is not installed: the pure-Python path is used."""


def loaded() -> bool:
    """Whether the compiled extension imported (see `enabled` for whether it is used)."""
    return _ext is not None


def enabled() -> bool:
    """Whether solve/quote go through the extension (installed, and not switched off by ARBBOT_NATIVE=0)."""
    if os.environ.get("ARBBOT_NATIVE", "1") == "0":
        return False
    if _ext is None:
        _warn_missing()
        return False
    return True


def _warn_missing() -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "arbbot_native (the compiled solver) is not installed: cycles are solved by the pure-Python "
            "path, several times slower. Run `make setup` with a Rust toolchain to build it.",
            NativeMissingWarning,
            stacklevel=3,
        )


# -- mirrors of pool models ------------------------------------------------------------------------------

# id(model) -> (weak reference, state key, tick key, mirror); entries leave with their model.
_mirrors: dict[int, tuple[weakref.ref[Any], tuple[Any, ...], tuple[Any, ...], Any]] = {}


def _forget(key: int) -> Any:
    return lambda _ref: _mirrors.pop(key, None)


def mirror(pool: Pool) -> Any | None:
    """The extension's copy of `pool` in its current state; None for kinds or values it does not take."""
    kind = type(pool)
    if kind is UniswapV2Pool:
        state: tuple[Any, ...] = (pool.reserve0, pool.reserve1, pool.fee_bps)  # type: ignore[attr-defined]
        ticks: tuple[Any, ...] = ()
    elif kind is UniswapV3Pool:
        p: UniswapV3Pool = pool  # type: ignore[assignment]
        state = (p.sqrt_price_x96, p.tick, p.liquidity)
        ticks = (p.fee, p.tick_spacing, p.ticks_version, id(p.ticks), len(p.ticks), id(p.bitmap), len(p.bitmap))
    else:
        return None
    key = id(pool)
    entry = _mirrors.get(key)
    if entry is not None and entry[0]() is pool and entry[2] == ticks:
        if entry[1] == state:
            return entry[3]
        # Same tick table (no Mint/Burn since): only the price, tick and in-range liquidity moved.
        if kind is UniswapV3Pool and entry[3] is not None:
            try:
                m = entry[3].with_slot(*state)
            except (OverflowError, ValueError, TypeError):
                m = None
            _mirrors[key] = (entry[0], state, ticks, m)
            return m
    m = _build(pool)
    _mirrors[key] = (weakref.ref(pool, _forget(key)), state, ticks, m)
    return m


def _build(pool: Pool) -> Any | None:
    assert _ext is not None
    try:
        if type(pool) is UniswapV2Pool:
            if not (0 <= pool.reserve0 <= MAX_U128 and 0 <= pool.reserve1 <= MAX_U128):
                return None
            return _ext.V2Pool(pool.reserve0, pool.reserve1, pool.fee_bps)
        p: UniswapV3Pool = pool  # type: ignore[assignment]
        return _ext.V3Pool(
            p.fee, p.tick_spacing, p.sqrt_price_x96, p.tick, p.liquidity, list(p.bitmap.items()),
            [(t, i.liquidity_net) for t, i in p.ticks.items()],
        )  # fmt: skip
    except (OverflowError, ValueError, TypeError):
        return None  # values the extension does not represent (the reference path handles them)


def _route(hops: Sequence[Hop]) -> list[tuple[Any, bool]] | None:
    out = []
    for h in hops:
        m = mirror(h.pool)
        if m is None:
            return None
        out.append((m, h.zero_for_one))
    return out


# -- the solver's interface ---------------------------------------------------------------------------


def quote_cycle(hops: Sequence[Hop], amount: int) -> int | None:
    """Exact cycle output, as `arbbot.solver.model.quote_cycle` (falls back to it where needed)."""
    route = _route(hops) if _ext is not None and amount > 0 else None
    if route is None:
        from arbbot.solver.model import quote_cycle as reference

        return reference(hops, amount)
    return _ext.quote_cycle(route, amount)


def solve(hops: Sequence[Hop], max_input: int, loan_fee_bps: int, scan_budget: int) -> Solution | Any | None:
    """The cycle's exact integer optimum from the extension; NotImplemented where it does not apply."""
    if _ext is None or loan_fee_bps < 0 or max_input < 1 or max_input.bit_length() > 200:
        return NotImplemented
    route = _route(hops)
    if route is None:
        return NotImplemented
    r = _ext.solve(route, max_input, loan_fee_bps, scan_budget)
    if r is None or r is NotImplemented:
        return r
    return Solution(*r)


def relax(hops: Sequence[Hop], max_input: int, loan_fee_bps: int) -> tuple[int, int] | Any | None:
    """(relaxed maximiser, exact upper bound on any input's profit), None when no input can pay;
    NotImplemented where the extension does not apply."""
    if _ext is None or loan_fee_bps < 0 or max_input < 1 or max_input.bit_length() > 200:
        return NotImplemented
    route = _route(hops)
    if route is None:
        return NotImplemented
    return _ext.relax(route, max_input, loan_fee_bps)
